// Job-level simulation of a cluster scheduler on the kernel: jobs arrive, are admitted or
// rejected, wait in an ordered queue, start as a gang on GPUs chosen by the placement policy
// (all shards at once or none), run at the speed of their GPU type and placement, may be
// preempted (save a checkpoint while still holding their GPUs, requeue, pay a restart cost
// when they start again), and finish when their work is done.
//
// Events (EventHandler + tag, no allocation per event): arrival, finish, checkpoint done and
// rank change (a least-attained-service threshold) for each job, and one scheduling pass per
// instant, coalesced: however many jobs finish or arrive at the same nanosecond, the queue is
// walked once, after all of them (kPhaseLast). Releases fire first (kPhaseFirst).
//
// Cost per pass stays low at 100,000 jobs on 10,000 GPUs: the queue is an ordered set
// whose keys are fixed while jobs wait, a job that failed to fit is not retried until some
// capacity has been released (ClusterState::release_epoch), EASY's shadow time comes from
// per-pool sets of running jobs ordered by estimated end, and preemption walks victims worst
// first and stops at the first one the policy may not evict (Preemption::monotone).
//
// Model weights (job.h): a job whose model is not resident on all its GPUs loads it first,
// holding the GPUs without progress (overhead, counted apart as weight-load GPU-seconds);
// its GPUs then hold that model. A job without a model evicts whatever weights they held; a
// job preempted before its load finished leaves its GPUs holding none.
//
// Invariants (tested on random cases): a GPU's shards never exceed its share or memory; a
// gang holds all its GPUs or none; work done + work left = the job's duration at all times,
// and every GPU-second a job holds is either useful, restart/checkpoint overhead, or idle
// while reserved.
//
// Not here: what a job computes (training-iteration and inference models), network
// contention between jobs (the locality factors stand in).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "models/scheduling/cluster.h"
#include "models/scheduling/job.h"
#include "models/scheduling/policy.h"
#include "sim/simulator.h"

namespace fleetsim {

// Jobs in arrival order.
class JobSource {
 public:
  virtual ~JobSource() = default;
  // The next job (arrival_s non-decreasing), or nullopt at the end.
  virtual std::optional<JobSpec> Next() = 0;
};

// A source over a job list (tests, traces loaded once and shared between runs).
class VectorJobSource final : public JobSource {
 public:
  explicit VectorJobSource(std::vector<JobSpec> jobs) : jobs_(std::move(jobs)) {}
  std::optional<JobSpec> Next() override {
    if (next_ >= jobs_.size()) return std::nullopt;
    return jobs_[next_++];
  }

 private:
  std::vector<JobSpec> jobs_;
  size_t next_ = 0;
};

struct SchedulingOptions {
  double horizon_s = kNoTime;  // arrivals at or after this are not simulated
};

class SchedulingSim final : public EventHandler, private SchedulerContext {
 public:
  // `jobs` describes the classes and device names the source's jobs refer to; it must
  // outlive the simulation. Device names are matched exactly against the pools' devices.
  SchedulingSim(Simulator& sim, const ClusterSpec& cluster, const JobSet& jobs,
                SchedulerPolicy policy, std::unique_ptr<JobSource> source,
                SchedulingOptions options = {});
  SchedulingSim(const SchedulingSim&) = delete;
  SchedulingSim& operator=(const SchedulingSim&) = delete;

  // Schedules the first arrival and registers the stall check; then run the Simulator.
  void Start();
  void HandleEvent(uint64_t tag) override;

  const ClusterState& cluster() const override { return cluster_; }
  const std::vector<Job>& jobs() const { return jobs_; }
  const SchedulerPolicy& policy() const { return policy_; }
  const JobSet& job_set() const override { return job_set_; }
  double now_s() const override { return sim_.Now().seconds(); }
  // Rejections by reason, in order of first occurrence.
  const std::vector<std::pair<std::string, int64_t>>& rejections() const { return rejections_; }
  int64_t passes() const { return passes_; }
  // Counters for time series, O(1): jobs waiting in the queue; jobs holding or reserving
  // GPUs (running, checkpointing, waiting for reserved GPUs); jobs completed; job starts
  // that loaded model weights.
  int64_t jobs_waiting() const { return static_cast<int64_t>(queue_live_ + deferred_.size()); }
  int64_t jobs_holding() const { return admitted_ - completed_ - jobs_waiting(); }
  int64_t jobs_completed() const { return completed_; }
  int64_t weight_loads() const { return weight_loads_; }

  // Work done and GPU-seconds held up to now (running jobs accrue continuously).
  double WorkDoneNow(const Job& job) const override;
  double AttainedNow(const Job& job) const override;
  // GPU-seconds of each kind up to now, including the running part of current segments.
  struct GpuSeconds {
    double useful = 0, overhead = 0, idle_reserved = 0;
    double weight_load = 0;  // part of overhead: loading model weights
    double cost_usd = 0;
  };
  GpuSeconds GpuSecondsNow(const Job& job) const;

  // Test hook: called after every event (and the pass it triggers).
  void SetObserver(std::function<void(const SchedulingSim&)> observer) {
    observer_ = std::move(observer);
  }

 private:
  enum EventType : uint64_t {
    kArrival = 0,
    kFinish = 1,
    kCheckpointDone = 2,
    kKeyChange = 3,
    kPass = 4
  };
  static uint64_t Tag(int32_t job, EventType type) {
    return static_cast<uint64_t>(job) << 3 | type;
  }
  // One waiting job. The queue is a vector sorted by (key, job) with tombstones: a pass
  // walks contiguous memory and rejects most jobs from the entry alone, without touching
  // the job (at 100,000 jobs the queue can hold thousands, and every release rescans it).
  struct QueueEntry {
    QueueKey key;
    int32_t job;
    int32_t need;  // whole GPUs; 0 for a fractional shard
    uint64_t pool_mask;
    uint64_t fail_epoch;  // placement failed at this release epoch
    int32_t job_class;
    double restart_s;   // restart cost at its next start
    double est_left_s;  // estimated remaining work (fixed while waiting)
    bool alive;
    bool operator<(const QueueEntry& o) const {
      return key < o.key || (key == o.key && job < o.job);
    }
  };
  struct VictimEntry {
    QueueKey key;
    int32_t job;
    bool operator<(const VictimEntry& o) const {
      return key < o.key || (key == o.key && job < o.job);
    }
  };
  struct EndEntry {
    int64_t end_ns;
    int32_t job;
    bool operator<(const EndEntry& o) const {
      return end_ns < o.end_ns || (end_ns == o.end_ns && job < o.job);
    }
  };
  struct Internal {
    QueueKey victim_key;
    int64_t est_end_ns = 0;
    bool in_victims = false, in_ends = false;
    EventId finish_event, key_event;
    double work_at_start = 0;  // work done when the current segment began
    SimTime checkpoint_end;
    // Preempting job waiting for its reserved GPUs.
    std::vector<int32_t> reserved;
    std::vector<double> reserved_idle_since;  // per reserved GPU; +inf while still occupied
    int32_t reserved_pool = -1;
    int32_t awaiting = 0;
  };

  // SchedulerContext
  const Job& job(int32_t index) const override { return jobs_[index]; }
  int64_t waiting_jobs() const override { return static_cast<int64_t>(queue_live_); }
  const QueueOrder& order() const override { return *policy_.order; }
  double SpeedOn(const Job& job, int32_t pool) const override;
  double RestartCost(const Job& job) const override;

  void OnArrival();
  void OnFinish(int32_t j);
  void OnCheckpointDone(int32_t j);
  void OnKeyChange(int32_t j);
  void RequestPass();
  void Pass();

  void Enqueue(Job& j);
  void Insert(const Job& j);
  void Kill(size_t i);
  // Could any waiting job start now without evicting another?
  bool AnyRoom() const {
    return cluster_.total_free() > 0 || (waiting_fractional_ > 0 && cluster_.total_shareable() > 0);
  }
  // Places j now (pool, gpus checked) and starts it. EASY limits apply when `easy` is set.
  struct EasyShadow {
    int32_t pool = -1;
    double time_s = 0;
    int32_t extra = 0;  // GPUs free at the shadow time beyond what the blocked job needs
  };
  bool TryStart(QueueEntry& e, Job& j, EasyShadow* easy);
  void ComputeShadow(const Job& blocked, EasyShadow* easy) const;
  // Tries to free room for j by evicting running jobs; on success j is removed from the
  // queue (by the caller) and reserved or started.
  bool TryPreempt(Job& j, std::vector<int32_t>* victims, std::vector<int32_t>* gpus, int32_t* pool);
  void CommitPreemption(Job& w, const std::vector<int32_t>& victims,
                        const std::vector<int32_t>& gpus, int32_t pool);
  void Preempt(Job& v);
  void FinishCheckpoint(Job& v);
  void StartReserved(Job& w);
  void StartOn(Job& j, int32_t pool, const std::vector<int32_t>& gpus);
  void CheckPlacement(const Job& j, int32_t pool, const std::vector<int32_t>& gpus) const;
  // Moves the accounting origin of a holding job to `t`.
  void Accrue(Job& j, SimTime t) const;
  void ReleaseShards(Job& j);
  void AddToIndexes(Job& j);
  void RemoveFromIndexes(Job& j);
  void ScheduleRunEvents(Job& j);
  int64_t ShardMemory(const Job& j, int32_t pool) const;
  double LocalityFactor(Locality l) const;
  uint64_t PoolMask(const JobSpec& s) const;

  Simulator& sim_;
  ClusterState cluster_;
  const JobSet& job_set_;
  SchedulerPolicy policy_;
  std::unique_ptr<JobSource> source_;
  SchedulingOptions options_;
  std::optional<JobSpec> next_;
  std::vector<std::vector<double>> speed_;  // [class][pool]
  std::vector<uint64_t> class_mask_;        // [class]
  std::vector<uint64_t> device_mask_;       // [device index]
  double max_locality_ = 1;                 // largest locality factor (1 unless > 1 is given)

  std::vector<Job> jobs_;
  std::vector<Internal> internal_;
  std::vector<QueueEntry> queue_;
  size_t queue_head_ = 0;  // every entry before this one is dead
  size_t queue_live_ = 0;
  size_t waiting_fractional_ = 0;
  bool in_pass_ = false;
  std::vector<int32_t> deferred_;         // jobs requeued during a pass, inserted after it
  std::set<VictimEntry> victims_;         // running preemptible jobs by victim key
  std::vector<std::set<EndEntry>> ends_;  // per pool: running/checkpointing by est. end
  bool pass_scheduled_ = false;
  int64_t passes_ = 0;
  int64_t admitted_ = 0, completed_ = 0, weight_loads_ = 0;
  std::vector<std::pair<std::string, int64_t>> rejections_;
  std::vector<int32_t> scratch_gpus_;
  std::function<void(const SchedulingSim&)> observer_;
};

}  // namespace fleetsim
