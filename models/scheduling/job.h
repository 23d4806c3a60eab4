// Jobs as a cluster scheduler sees them: a gang of GPU shards that must start together, an
// amount of work, and what the user told the scheduler about it (an estimate that may be
// wrong, a priority, a deadline, allowed GPU types).
//
// Units: times in seconds (double) at this boundary; the simulation converts to SimTime.
// Work is measured in seconds on the reference GPU (speed 1.0): a job of duration_s = 3600
// runs one hour on a pool of speed 1 and 30 minutes on a pool of speed 2.
//
// GPU demand: `gpus` whole GPUs (share == 100), or one shard of `share` percent of a GPU
// (gpus == 1, share < 100) for the fractional jobs of shared clusters (Alibaba PAI). Memory
// is per shard; 0 means "the share's part of the GPU's memory".
//
// Model weights (inference): a service or batch-inference job may name the model it serves
// (JobSpec::model, an index into JobSet::models). Every GPU remembers the model whose
// weights it last held; a job started on GPUs that do not all hold its model first loads its
// weights for load_s = model bytes / gpus / load bandwidth (the gang's GPUs load their
// slices in parallel), holding the GPUs without progress (docs/scheduling.md).
//
// Not here: training iterations or inference replicas (their own models); this layer only
// needs GPU counts and durations.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace fleetsim {

enum class JobKind : uint8_t { kTraining, kBatch, kService };
const char* JobKindName(JobKind k);

inline constexpr double kNoTime = std::numeric_limits<double>::infinity();

// What several jobs share: a kind, the GPU types they may use and how fast they run there.
struct JobClass {
  std::string name = "default";
  JobKind kind = JobKind::kTraining;
  std::vector<std::string> devices;                     // allowed device names; empty = any
  std::vector<std::pair<std::string, double>> speedup;  // device name -> speed over reference
  bool preemptible = true;
  double load_bytes_per_s = 0;  // how fast a GPU loads model weights; > 0 when jobs have a model
};

// A set of weights that jobs serve. Two classes naming the same model at the same size
// share it (a GPU holding it is warm for both); the same name at another size (another
// precision) is another set of weights.
struct ServedModel {
  std::string name;
  int64_t bytes = 0;  // all weights; a gang of g GPUs holds bytes / g per GPU
};

struct JobSpec {
  std::string id;
  double arrival_s = 0;
  int32_t gpus = 1;              // whole GPUs, or 1 with share < 100
  int32_t share = 100;           // percent of one GPU per shard, 1..100
  double duration_s = 0;         // work, in seconds on the reference GPU; > 0
  double estimate_s = 0;         // the user's estimate of duration_s (may be wrong); > 0
  int32_t priority = 0;          // higher is more important
  int64_t memory_bytes = 0;      // per shard; 0 = share x GPU memory
  int32_t job_class = 0;         // index into JobSet::classes
  int32_t device = -1;           // index into JobSet::device_names: required GPU type; -1 = any
  double deadline_s = kNoTime;   // absolute completion deadline
  double start_slo_s = kNoTime;  // longest acceptable wait before the first start (services)
  double checkpoint_s = -1;      // time to save state when preempted; < 0: the scheduler's default
  double restart_s = -1;         // time to restore state on restart; < 0: the scheduler's default
  int32_t model = -1;            // index into JobSet::models: the weights it serves; -1 none

  // GPUs held, counting a fractional shard as its share.
  double gpu_units() const { return static_cast<double>(gpus) * share / 100.0; }
};

// Everything about a workload that is not a per-job record.
struct JobSet {
  std::vector<JobClass> classes{JobClass{}};
  std::vector<std::string> device_names;  // referenced by JobSpec::device
  std::vector<ServedModel> models;        // referenced by JobSpec::model

  // Seconds a job of `spec` loads its weights onto its GPUs (0 without a model).
  double LoadSeconds(const JobSpec& spec) const {
    if (spec.model < 0) return 0;
    const double bw = classes[spec.job_class].load_bytes_per_s;
    return static_cast<double>(models[spec.model].bytes) / spec.gpus / bw;
  }
};

// Why trace records became jobs or were left out: printed before results, so a study never
// silently drops a third of a trace.
struct TraceSummary {
  std::string format;  // "philly", "pai"
  std::string file;
  int64_t records = 0;  // records (jobs) read
  int64_t jobs = 0;     // records converted into jobs
  struct Reason {
    std::string reason;
    int64_t count = 0;
    int64_t first_line = 0;  // where the first such record starts
  };
  std::vector<Reason> skipped;  // in order of first occurrence
  std::vector<Reason> notes;    // conversions worth knowing (rounded GPU counts, ...)

  void Skip(const std::string& reason, int64_t line);
  void Note(const std::string& what, int64_t line);
  // "philly trace x.json: 7 records, 5 jobs; skipped: 1 no attempts (line 40), ..."
  std::string Format() const;
};

}  // namespace fleetsim
