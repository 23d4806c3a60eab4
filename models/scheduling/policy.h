// Cluster scheduling policies, split the way Blox splits them so that they combine freely:
//
//   Admission   at arrival: queue the job or reject it.
//   QueueOrder  which waiting job goes first (FIFO, shortest job first, priority, least
//               attained service, ...): a sort key per job.
//   Backfill    how a pass walks the ordered queue: strict (stop at the first job that does
//               not fit), greedy (skip it and try the next) or EASY (reserve the earliest
//               start for the first blocked job in the pool where it comes soonest; later
//               jobs may use that pool only if they do not delay it, judged by the users'
//               estimates, and other pools freely).
//   Placement   which GPUs a job gets (first fit, best fit, topology-aware packing,
//               heterogeneity-aware choice of GPU type).
//   Preemption  whether a waiting job may evict running ones (priority, queue rank); an
//               evicted job saves a checkpoint, requeues and pays a restart cost later.
//
// Policies see the simulation only through SchedulerContext (read-only) and decide; the
// scheduler (scheduler_sim.h) enforces gang semantics, memory limits and accounting, and
// checks a placement before applying it, so a buggy policy cannot corrupt the cluster.
//
// Every built-in policy is registered by name with a summary and its parameters, listable
// with `fleetsim list policies`. docs/scheduling.md shows how to add one.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/scheduling/cluster.h"
#include "models/scheduling/job.h"
#include "sim/config/config.h"
#include "sim/registry.h"
#include "sim/time.h"

namespace fleetsim {

// Lower sorts first. Ties are broken by arrival order, so keys need not be unique.
struct QueueKey {
  double primary = 0;
  double secondary = 0;
  friend auto operator<=>(const QueueKey&, const QueueKey&) = default;
};

enum class JobState : uint8_t {
  kNotArrived,
  kPending,        // waiting in the queue
  kReserved,       // chose GPUs held by preempted jobs; starts when their checkpoints end
  kRunning,        // holds GPUs (restoring, then making progress)
  kCheckpointing,  // preempted: holds GPUs while it saves state, then requeues
  kDone,
  kRejected,
};
const char* JobStateName(JobState s);

// A job and its progress, as policies and metrics see it.
struct Job {
  JobSpec spec;
  int32_t index = 0;  // position in arrival order
  JobState state = JobState::kNotArrived;
  uint64_t pool_mask = 0;  // pools whose GPU type, memory and size the job can use

  // Progress. Work is in reference seconds (JobSpec::duration_s).
  double work_done_s = 0;     // as of accrued_to
  double attained_gpu_s = 0;  // GPU-seconds held while running (LAS's service), as of accrued_to
  double first_start_s = -1;  // -1 until started
  double finish_s = -1;
  double waited_s = 0;  // total time pending (all waits), as of the last start
  double pending_since_s = 0;
  int32_t starts = 0;
  int32_t preemptions = 0;

  // Current placement (running, checkpointing); empty otherwise.
  std::vector<Shard> shards;
  int32_t pool = -1;
  Locality locality = Locality::kNode;
  double speed = 1;                        // reference seconds of work per second, here
  SimTime segment_start;                   // when the current placement began
  SimTime load_end;                        // segment_start + weight-load time (docs: job.h)
  SimTime progress_start;                  // load_end + restart cost
  SimTime accrued_to;                      // progress and accounting fields are current to here
  double restart_s = 0, checkpoint_s = 0;  // resolved costs (spec or scheduler default)

  // Accounting, GPU-seconds (a shard counts as its share).
  double useful_gpu_s = 0;         // making progress
  double overhead_gpu_s = 0;       // restoring after a restart, saving a checkpoint
  double idle_reserved_gpu_s = 0;  // GPUs reserved for this job while victims checkpoint
  double load_gpu_s = 0;           // loading model weights (part of overhead_gpu_s)
  int32_t weight_loads = 0;        // starts that had to load the job's model weights
  double cost_usd = 0;             // all of the above at the pools' prices

  double remaining_s() const { return spec.duration_s - work_done_s; }
  // The user's view: estimate minus work done, never negative.
  double estimated_remaining_s() const {
    const double r = spec.estimate_s - work_done_s;
    return r > 0 ? r : 0;
  }
};

class QueueOrder;

// Read-only view of the scheduler for policies.
class SchedulerContext {
 public:
  virtual ~SchedulerContext() = default;
  virtual double now_s() const = 0;
  virtual const ClusterState& cluster() const = 0;
  virtual const JobSet& job_set() const = 0;
  virtual const Job& job(int32_t index) const = 0;
  virtual int64_t waiting_jobs() const = 0;
  virtual const QueueOrder& order() const = 0;
  // Speed of `job` on pool p's GPU type, before locality (class speed-up, else pool speed).
  virtual double SpeedOn(const Job& job, int32_t pool) const = 0;
  // Work done and GPU-seconds held by a running job up to now.
  virtual double WorkDoneNow(const Job& job) const = 0;
  virtual double AttainedNow(const Job& job) const = 0;
  // The restart cost the job pays at its next start (0 on its first start).
  virtual double RestartCost(const Job& job) const = 0;
};

class QueueOrder {
 public:
  virtual ~QueueOrder() = default;
  // The job's key now. Called when the job enters the queue; the key must stay valid while
  // the job waits, so it may depend only on the spec and the progress fields, which do not
  // change while a job waits. For running jobs (preemption by rank) it is called with the
  // progress as of now (ctx.WorkDoneNow / AttainedNow).
  virtual QueueKey Key(const Job& job, const SchedulerContext& ctx) const = 0;
  // A key for a running job that stays fixed while it runs and orders running jobs as Key
  // would (exactly or approximately); used to walk preemption victims worst first.
  virtual QueueKey RunningKey(const Job& job, const SchedulerContext& ctx) const {
    return Key(job, ctx);
  }
  // When a running job's key next changes class (e.g. it crosses a least-attained-service
  // threshold), so the scheduler re-evaluates then; kNoTime if never.
  virtual double NextKeyChange(const Job& job, const SchedulerContext& ctx) const {
    return kNoTime;
  }
};

enum class Backfill : uint8_t { kStrict, kGreedy, kEasy };
const char* BackfillName(Backfill b);

class Placement {
 public:
  virtual ~Placement() = default;
  // Chooses GPUs for `job` among free ones (ctx.cluster()): exactly job.spec.gpus whole free
  // GPUs of one pool in job.pool_mask, or, for a fractional job (share < 100), one GPU with
  // room for the shard. Returns the pool, or -1 if the job cannot be placed now.
  virtual int32_t Place(const Job& job, const SchedulerContext& ctx,
                        std::vector<int32_t>* gpus) const = 0;
};

class Admission {
 public:
  virtual ~Admission() = default;
  // At arrival: true queues the job; false rejects it with `reason` (counted per reason).
  virtual bool Admit(const Job& job, const SchedulerContext& ctx, std::string* reason) const = 0;
};

class Preemption {
 public:
  virtual ~Preemption() = default;
  virtual bool enabled() const { return true; }
  // Victims are tried from the largest key down. Fixed while the job runs (the scheduler
  // recomputes it when the queue order reports a key change).
  virtual QueueKey VictimKey(const Job& running, const SchedulerContext& ctx) const = 0;
  // May `running` be evicted so that `waiting` can start?
  virtual bool MayPreempt(const Job& waiting, const Job& running,
                          const SchedulerContext& ctx) const = 0;
  // True when MayPreempt(w, v) == false implies false for every victim with a smaller
  // VictimKey and for every waiting job behind w in the queue: lets the scheduler stop
  // looking early.
  virtual bool monotone() const { return false; }
  // A job runs at least this long (since its last start) before it may be evicted, so that
  // two jobs cannot evict each other back and forth. Enforced by the scheduler.
  virtual double min_run_s() const { return 0; }
};

// Parameters of one policy: the keys of its YAML map besides `name`. A policy given by name
// alone (on the command line, or `placement: best_fit`) gets its defaults.
class PolicyParams {
 public:
  PolicyParams() = default;
  explicit PolicyParams(const ConfigNode& map);  // the `name` key is taken as read
  double Seconds(std::string_view key, double default_s);
  double Number(std::string_view key, double default_value, double min, double max);
  std::vector<double> SecondsList(std::string_view key, std::vector<double> default_s);
  void Finish() const;

 private:
  std::optional<MapReader> reader_;
};

using QueueOrderFactory = std::unique_ptr<QueueOrder> (*)(PolicyParams&);
using PlacementFactory = std::unique_ptr<Placement> (*)(PolicyParams&);
using AdmissionFactory = std::unique_ptr<Admission> (*)(PolicyParams&);
// Preemption by rank needs the queue order; it is passed in.
using PreemptionFactory = std::unique_ptr<Preemption> (*)(PolicyParams&, const QueueOrder&);
using BackfillFactory = Backfill (*)();

const Registry<QueueOrderFactory>& QueueOrders();
const Registry<BackfillFactory>& BackfillModes();
const Registry<PlacementFactory>& Placements();
const Registry<PreemptionFactory>& Preemptions();
const Registry<AdmissionFactory>& Admissions();

// The backfill mode a queue order implies when none is given: easy for easy_backfill,
// strict for the others.
Backfill DefaultBackfill(std::string_view queue_order);

// `fleetsim list policies`: every registry with summaries and parameters (or JSON).
std::string DescribePolicies(bool json);

// A complete scheduler: one policy of each kind plus the preemption costs.
struct SchedulerPolicy {
  std::string label;
  std::unique_ptr<Admission> admission;
  std::unique_ptr<QueueOrder> order;
  Backfill backfill = Backfill::kStrict;
  std::unique_ptr<Placement> placement;
  std::unique_ptr<Preemption> preemption;
  double checkpoint_s = 30;  // default time to save a checkpoint when preempted
  double restart_s = 60;     // default time to restore on restart
};

// A policy combination as written (names and parameter maps), built into a SchedulerPolicy
// once per run so that runs on different threads share nothing mutable.
struct PolicySpec {
  std::string label;
  struct Component {
    std::string name;
    std::optional<ConfigNode> params;  // the {name: ..., key: value} map, if given as a map
  };
  Component admission{"all", {}};
  Component queue{"fifo", {}};
  std::optional<Component> backfill;  // default: DefaultBackfill(queue.name)
  Component placement{"first_fit", {}};
  Component preemption{"none", {}};
  double checkpoint_s = 30;
  double restart_s = 60;
};

// Throws InputError / ConfigError for unknown names and bad parameters.
SchedulerPolicy BuildPolicy(const PolicySpec& spec);

// Reads a `scheduler:` map (queue, backfill, placement, preemption, admission, checkpoint,
// restart) on top of `base`. Throws ConfigError.
PolicySpec ReadPolicySpec(const ConfigNode& node, PolicySpec base);

// Applies one command-line policy item, "las+rank+packed" or "queue=priority+preemption=
// priority": each token names a policy (bare names must be unambiguous across kinds) and
// replaces that kind in `base`. Throws InputError.
PolicySpec ParsePolicyItem(const std::string& item, PolicySpec base);

}  // namespace fleetsim
