// The built-in scheduling policies and their registries.
#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "models/scheduling/policy.h"
#include "sim/suggest.h"

namespace fleetsim {

const char* JobStateName(JobState s) {
  switch (s) {
    case JobState::kNotArrived:
      return "not arrived";
    case JobState::kPending:
      return "pending";
    case JobState::kReserved:
      return "reserved";
    case JobState::kRunning:
      return "running";
    case JobState::kCheckpointing:
      return "checkpointing";
    case JobState::kDone:
      return "done";
    case JobState::kRejected:
      return "rejected";
  }
  return "?";
}

const char* BackfillName(Backfill b) {
  switch (b) {
    case Backfill::kStrict:
      return "strict";
    case Backfill::kGreedy:
      return "greedy";
    case Backfill::kEasy:
      return "easy";
  }
  return "?";
}

// ---- PolicyParams ----

PolicyParams::PolicyParams(const ConfigNode& map) : reader_(std::in_place, map) {
  reader_->Ignore("name");
}

double PolicyParams::Seconds(std::string_view key, double default_s) {
  if (!reader_) return default_s;
  auto n = reader_->Optional(key);
  return n ? n->AsDuration().seconds() : default_s;
}

double PolicyParams::Number(std::string_view key, double default_value, double min, double max) {
  if (!reader_) return default_value;
  auto n = reader_->Optional(key);
  if (!n) return default_value;
  const double v = n->AsDouble();
  if (!(v >= min && v <= max)) {
    std::ostringstream os;
    os << std::string(key) << " must be in [" << min << ", " << max << "]";
    n->Fail(os.str());
  }
  return v;
}

std::vector<double> PolicyParams::SecondsList(std::string_view key, std::vector<double> default_s) {
  if (!reader_) return default_s;
  auto n = reader_->Optional(key);
  if (!n) return default_s;
  if (!n->IsSequence()) n->Fail("expected a list of durations, e.g. [\"1 h\", \"10 h\"]");
  std::vector<double> v;
  for (const auto& item : n->Items()) {
    const double s = item.AsDuration().seconds();
    if (!v.empty() && !(s > v.back())) item.Fail("the list must increase");
    if (!(s > 0)) item.Fail("must be greater than zero");
    v.push_back(s);
  }
  return v;
}

void PolicyParams::Finish() const {
  if (reader_) reader_->Finish();
}

namespace {

// ---- queue orders ----

class Fifo final : public QueueOrder {
 public:
  QueueKey Key(const Job& j, const SchedulerContext&) const override {
    return {j.spec.arrival_s, 0};
  }
};

class ShortestJobFirst final : public QueueOrder {
 public:
  QueueKey Key(const Job& j, const SchedulerContext&) const override {
    return {j.spec.estimate_s, j.spec.arrival_s};
  }
};

class ShortestRemainingTime final : public QueueOrder {
 public:
  QueueKey Key(const Job& j, const SchedulerContext& ctx) const override {
    const double done = j.state == JobState::kRunning ? ctx.WorkDoneNow(j) : j.work_done_s;
    return {std::max(0.0, j.spec.estimate_s - done), j.spec.arrival_s};
  }
  // Running jobs: the estimated end of the remaining estimate, fixed while the job runs.
  // Remaining time = that end - now, so this orders running jobs by remaining time exactly
  // (by remaining reference work only when all run at the same speed).
  QueueKey RunningKey(const Job& j, const SchedulerContext& ctx) const override {
    const double from = std::max(ctx.now_s(), j.progress_start.seconds());
    return {from + std::max(0.0, j.spec.estimate_s - ctx.WorkDoneNow(j)) / j.speed,
            j.spec.arrival_s};
  }
};

class PriorityClasses final : public QueueOrder {
 public:
  QueueKey Key(const Job& j, const SchedulerContext&) const override {
    return {-static_cast<double>(j.spec.priority), j.spec.arrival_s};
  }
};

// Tiresias's discretised two-dimensional LAS (Gu et al., NSDI'19): a job's queue is the
// number of thresholds its attained service (GPU-seconds) has passed; lower queues first,
// FIFO by arrival within a queue. Discretising means a running job changes rank only when
// it crosses a threshold, so the scheduler re-evaluates at those moments, not continuously.
class LeastAttainedService final : public QueueOrder {
 public:
  explicit LeastAttainedService(std::vector<double> thresholds)
      : thresholds_(std::move(thresholds)) {}
  QueueKey Key(const Job& j, const SchedulerContext& ctx) const override {
    const double a = j.state == JobState::kRunning ? ctx.AttainedNow(j) : j.attained_gpu_s;
    return {Level(a), j.spec.arrival_s};
  }
  QueueKey RunningKey(const Job& j, const SchedulerContext&) const override {
    return {Level(j.attained_gpu_s), j.spec.arrival_s};
  }
  double NextKeyChange(const Job& j, const SchedulerContext&) const override {
    for (double t : thresholds_) {
      if (t > j.attained_gpu_s) {
        return j.accrued_to.seconds() + (t - j.attained_gpu_s) / j.spec.gpu_units();
      }
    }
    return kNoTime;
  }

 private:
  double Level(double attained) const {
    return static_cast<double>(std::upper_bound(thresholds_.begin(), thresholds_.end(), attained) -
                               thresholds_.begin());
  }
  std::vector<double> thresholds_;
};

std::unique_ptr<QueueOrder> MakeFifo(PolicyParams&) { return std::make_unique<Fifo>(); }
std::unique_ptr<QueueOrder> MakeSjf(PolicyParams&) { return std::make_unique<ShortestJobFirst>(); }
std::unique_ptr<QueueOrder> MakeSrtf(PolicyParams&) {
  return std::make_unique<ShortestRemainingTime>();
}
std::unique_ptr<QueueOrder> MakePriority(PolicyParams&) {
  return std::make_unique<PriorityClasses>();
}
std::unique_ptr<QueueOrder> MakeLas(PolicyParams& p) {
  return std::make_unique<LeastAttainedService>(p.SecondsList("thresholds", {3600.0, 10 * 3600.0}));
}

// ---- placements ----

int32_t PlaceShard(const Job& j, const SchedulerContext& ctx, bool tightest,
                   std::vector<int32_t>* gpus) {
  const ClusterState& c = ctx.cluster();
  for (int32_t p = 0; p < c.num_pools(); ++p) {
    if (!(j.pool_mask >> p & 1)) continue;
    const int32_t g = c.FitShard(p, j.spec.share, j.spec.memory_bytes, tightest);
    if (g >= 0) {
      gpus->push_back(g);
      return p;
    }
  }
  return -1;
}

class FirstFitPlacement final : public Placement {
 public:
  int32_t Place(const Job& j, const SchedulerContext& ctx,
                std::vector<int32_t>* gpus) const override {
    if (j.spec.share < 100) return PlaceShard(j, ctx, false, gpus);
    const ClusterState& c = ctx.cluster();
    for (int32_t p = 0; p < c.num_pools(); ++p) {
      if ((j.pool_mask >> p & 1) && c.FirstFit(p, j.spec.gpus, gpus)) return p;
    }
    return -1;
  }
};

class BestFitPlacement final : public Placement {
 public:
  int32_t Place(const Job& j, const SchedulerContext& ctx,
                std::vector<int32_t>* gpus) const override {
    if (j.spec.share < 100) return PlaceShard(j, ctx, true, gpus);
    const ClusterState& c = ctx.cluster();
    for (int32_t p = 0; p < c.num_pools(); ++p) {
      if ((j.pool_mask >> p & 1) && c.BestFit(p, j.spec.gpus, gpus)) return p;
    }
    return -1;
  }
};

// One packed candidate per pool the job may use, for the policies that choose among pools.
struct Candidate {
  int32_t pool;
  std::vector<int32_t> gpus;
  double speed;  // including locality
};

double LocalityFactor(const ClusterState& c, Locality l) {
  switch (l) {
    case Locality::kNode:
      return 1.0;
    case Locality::kRack:
      return c.spec().locality.rack;
    case Locality::kPod:
      return c.spec().locality.pod;
    case Locality::kCluster:
      return c.spec().locality.cluster;
  }
  return 1.0;
}

std::vector<Candidate> PackedCandidates(const Job& j, const SchedulerContext& ctx) {
  const ClusterState& c = ctx.cluster();
  std::vector<Candidate> out;
  for (int32_t p = 0; p < c.num_pools(); ++p) {
    if (!(j.pool_mask >> p & 1)) continue;
    Candidate cand{p, {}, 0};
    if (j.spec.share < 100) {
      const int32_t g = c.FitShard(p, j.spec.share, j.spec.memory_bytes, true);
      if (g < 0) continue;
      cand.gpus.push_back(g);
    } else if (!c.Packed(p, j.spec.gpus, &cand.gpus)) {
      continue;
    }
    cand.speed = ctx.SpeedOn(j, p) * LocalityFactor(c, c.LocalityOf(cand.gpus));
    out.push_back(std::move(cand));
  }
  return out;
}

int32_t Take(Candidate& c, std::vector<int32_t>* gpus) {
  gpus->insert(gpus->end(), c.gpus.begin(), c.gpus.end());
  return c.pool;
}

class PackedPlacement final : public Placement {
 public:
  int32_t Place(const Job& j, const SchedulerContext& ctx,
                std::vector<int32_t>* gpus) const override {
    const ClusterState& c = ctx.cluster();
    if (j.spec.share < 100) return PlaceShard(j, ctx, true, gpus);
    // The pool where the gang spans the fewest switch levels; the first such pool on ties.
    std::vector<int32_t> best, trial;
    int32_t best_pool = -1;
    Locality best_loc = Locality::kCluster;
    for (int32_t p = 0; p < c.num_pools(); ++p) {
      if (!(j.pool_mask >> p & 1)) continue;
      trial.clear();
      if (!c.Packed(p, j.spec.gpus, &trial)) continue;
      const Locality l = c.LocalityOf(trial);
      if (best_pool < 0 || l < best_loc) {
        best_pool = p;
        best_loc = l;
        best.swap(trial);
        if (l == Locality::kNode) break;
      }
    }
    if (best_pool >= 0) gpus->insert(gpus->end(), best.begin(), best.end());
    return best_pool;
  }
};

// Heterogeneity-aware: the GPU type on which this job runs fastest among those with room
// now (speed-up of the job's class on that type, times the locality factor of the packed
// gang); cheaper, then earlier-declared pools win ties.
class FastestGpuPlacement final : public Placement {
 public:
  int32_t Place(const Job& j, const SchedulerContext& ctx,
                std::vector<int32_t>* gpus) const override {
    auto cands = PackedCandidates(j, ctx);
    if (cands.empty()) return -1;
    const ClusterState& c = ctx.cluster();
    size_t best = 0;
    for (size_t i = 1; i < cands.size(); ++i) {
      const double pi = c.pool(cands[i].pool).usd_per_gpu_s;
      const double pb = c.pool(cands[best].pool).usd_per_gpu_s;
      if (cands[i].speed > cands[best].speed || (cands[i].speed == cands[best].speed && pi < pb)) {
        best = i;
      }
    }
    return Take(cands[best], gpus);
  }
};

// S7: the cheapest GPU type that still meets the job's deadline, judged by the user's
// estimate (cost = price x GPUs x estimated run time there, restart included). Without a
// deadline, simply the cheapest; when no type meets the deadline, the one finishing first.
class CheapestGpuPlacement final : public Placement {
 public:
  int32_t Place(const Job& j, const SchedulerContext& ctx,
                std::vector<int32_t>* gpus) const override {
    auto cands = PackedCandidates(j, ctx);
    if (cands.empty()) return -1;
    const ClusterState& c = ctx.cluster();
    const double restart = ctx.RestartCost(j);
    int32_t best = -1, fastest = 0;
    double best_cost = 0;
    for (size_t i = 0; i < cands.size(); ++i) {
      const double run = restart + j.estimated_remaining_s() / cands[i].speed;
      const double cost = c.pool(cands[i].pool).usd_per_gpu_s * j.spec.gpu_units() * run;
      if (cands[i].speed > cands[fastest].speed) fastest = static_cast<int32_t>(i);
      if (ctx.now_s() + run > j.spec.deadline_s) continue;
      if (best < 0 || cost < best_cost) {
        best = static_cast<int32_t>(i);
        best_cost = cost;
      }
    }
    return Take(cands[best >= 0 ? best : fastest], gpus);
  }
};

// S8, model affinity for inference: a job that serves a model goes where its weights already
// are (warm GPUs: free GPUs whose resident model is the job's), so fewer starts pay a weight
// load; and starts that must load, or jobs without a model, go to GPUs that hold no model
// (blank), so other models' warm GPUs stay warm. A gang takes warm GPUs only, in the first pool
// the job may use that has at least the gang's size of them, filling the nodes with the most
// warm GPUs first (one node when one node holds them all; ties to the lower node); else blank
// GPUs the same way; else it places as best_fit does. A fractional shard takes the warm GPU
// with room whose room is smallest, else as best_fit does.
// Cost: a scan of the free GPUs of the job's pools per placement.
class ModelAffinityPlacement final : public Placement {
 public:
  int32_t Place(const Job& j, const SchedulerContext& ctx,
                std::vector<int32_t>* gpus) const override {
    const ClusterState& c = ctx.cluster();
    const int32_t m = j.spec.model;
    if (j.spec.share < 100) {
      const int32_t g = m >= 0 ? WarmShard(j, c) : -1;
      if (g >= 0) {
        gpus->push_back(g);
        return c.node_pool(c.gpu_node(g));
      }
      return PlaceShard(j, ctx, true, gpus);
    }
    // The job's model, then no model (-1 twice for a job without one: harmless).
    for (const int32_t want : {m, -1}) {
      for (int32_t p = 0; p < c.num_pools(); ++p) {
        if ((j.pool_mask >> p & 1) && c.pool_free(p) >= j.spec.gpus &&
            TakeWarm(c, p, want, j.spec.gpus, gpus)) {
          return p;
        }
      }
      if (m < 0) break;
    }
    for (int32_t p = 0; p < c.num_pools(); ++p) {
      if ((j.pool_mask >> p & 1) && c.BestFit(p, j.spec.gpus, gpus)) return p;
    }
    return -1;
  }

 private:
  static bool Warm(const ClusterState& c, int32_t g, int32_t m) {
    return c.gpu_free(g) && c.gpu(g).resident_model == m;
  }
  // k free GPUs of pool p holding model m (-1: none), nodes with the most such GPUs first;
  // false if fewer than k.
  static bool TakeWarm(const ClusterState& c, int32_t p, int32_t m, int32_t k,
                       std::vector<int32_t>* gpus) {
    std::vector<std::pair<int32_t, int32_t>> nodes;  // (-warm GPUs, node)
    int32_t total = 0;
    const int32_t first = c.pool_first_node(p), last = first + c.pool_num_nodes(p);
    for (int32_t n = first; n < last; ++n) {
      if (c.node_free(n) == 0) continue;
      int32_t warm = 0;
      for (int32_t g = c.node_first_gpu(n); g < c.node_first_gpu(n) + c.node_num_gpus(n); ++g) {
        warm += Warm(c, g, m);
      }
      if (warm > 0) nodes.emplace_back(-warm, n);
      total += warm;
    }
    if (total < k) return false;
    std::sort(nodes.begin(), nodes.end());
    for (const auto& [neg, n] : nodes) {
      for (int32_t g = c.node_first_gpu(n); g < c.node_first_gpu(n) + c.node_num_gpus(n) && k > 0;
           ++g) {
        if (Warm(c, g, m)) {
          gpus->push_back(g);
          --k;
        }
      }
      if (k == 0) break;
    }
    return true;
  }
  // The warm GPU (free or shared, resident model m) with room for j's shard and the least
  // room left; -1 if none.
  static int32_t WarmShard(const Job& j, const ClusterState& c) {
    int32_t best = -1, best_room = 101;
    for (int32_t p = 0; p < c.num_pools(); ++p) {
      if (!(j.pool_mask >> p & 1)) continue;
      const int64_t gpu_mem = c.pool(p).gpu_memory_bytes;
      const int64_t mem =
          j.spec.memory_bytes > 0 ? j.spec.memory_bytes : gpu_mem * j.spec.share / 100;
      const int32_t first = c.pool_first_node(p), last = first + c.pool_num_nodes(p);
      for (int32_t g = c.node_first_gpu(first);
           g < c.node_first_gpu(last - 1) + c.node_num_gpus(last - 1); ++g) {
        const GpuState& st = c.gpu(g);
        if (st.resident_model != j.spec.model || st.reserved_for >= 0) continue;
        const int32_t room = 100 - st.used_share;
        if (room < j.spec.share || gpu_mem - st.used_memory < mem) continue;
        if (room < best_room) {
          best = g;
          best_room = room;
        }
      }
      if (best >= 0) break;  // the first pool with a warm GPU
    }
    return best;
  }
};

std::unique_ptr<Placement> MakeFirstFit(PolicyParams&) {
  return std::make_unique<FirstFitPlacement>();
}
std::unique_ptr<Placement> MakeBestFit(PolicyParams&) {
  return std::make_unique<BestFitPlacement>();
}
std::unique_ptr<Placement> MakePacked(PolicyParams&) { return std::make_unique<PackedPlacement>(); }
std::unique_ptr<Placement> MakeFastest(PolicyParams&) {
  return std::make_unique<FastestGpuPlacement>();
}
std::unique_ptr<Placement> MakeCheapest(PolicyParams&) {
  return std::make_unique<CheapestGpuPlacement>();
}
std::unique_ptr<Placement> MakeModelAffinity(PolicyParams&) {
  return std::make_unique<ModelAffinityPlacement>();
}

// ---- preemption ----

class NoPreemption final : public Preemption {
 public:
  bool enabled() const override { return false; }
  QueueKey VictimKey(const Job&, const SchedulerContext&) const override { return {}; }
  bool MayPreempt(const Job&, const Job&, const SchedulerContext&) const override { return false; }
};

// A waiting job evicts running jobs of strictly lower priority class, lowest class first
// and, within a class, the most recently started (it has the least progress since its
// start to checkpoint).
class PriorityPreemption final : public Preemption {
 public:
  explicit PriorityPreemption(double min_run_s) : min_run_s_(min_run_s) {}
  QueueKey VictimKey(const Job& r, const SchedulerContext&) const override {
    return {-static_cast<double>(r.spec.priority), r.segment_start.seconds()};
  }
  bool MayPreempt(const Job& w, const Job& r, const SchedulerContext&) const override {
    return w.spec.priority > r.spec.priority;
  }
  bool monotone() const override { return true; }
  double min_run_s() const override { return min_run_s_; }

 private:
  double min_run_s_;
};

// A waiting job evicts running jobs that the queue order now ranks strictly behind it:
// with `las` this is Tiresias, with `srtf` preemptive shortest-remaining-time.
class RankPreemption final : public Preemption {
 public:
  RankPreemption(const QueueOrder& order, double min_run_s)
      : order_(order), min_run_s_(min_run_s) {}
  QueueKey VictimKey(const Job& r, const SchedulerContext& ctx) const override {
    return order_.RunningKey(r, ctx);
  }
  bool MayPreempt(const Job& w, const Job& r, const SchedulerContext& ctx) const override {
    return order_.Key(w, ctx) < order_.Key(r, ctx);
  }
  bool monotone() const override { return true; }
  double min_run_s() const override { return min_run_s_; }

 private:
  const QueueOrder& order_;
  double min_run_s_;
};

std::unique_ptr<Preemption> MakeNoPreemption(PolicyParams&, const QueueOrder&) {
  return std::make_unique<NoPreemption>();
}
std::unique_ptr<Preemption> MakePriorityPreemption(PolicyParams& p, const QueueOrder&) {
  return std::make_unique<PriorityPreemption>(p.Seconds("min_run", 0));
}
std::unique_ptr<Preemption> MakeRankPreemption(PolicyParams& p, const QueueOrder& order) {
  return std::make_unique<RankPreemption>(order, p.Seconds("min_run", 0));
}

// ---- admission ----

class AdmitAll final : public Admission {
 public:
  bool Admit(const Job&, const SchedulerContext&, std::string*) const override { return true; }
};

// Rejects a job whose deadline it could not meet even if it started now on the fastest GPU
// type it may use (by its estimate): better to say no at once than to miss it late.
class DeadlineAdmission final : public Admission {
 public:
  bool Admit(const Job& j, const SchedulerContext& ctx, std::string* reason) const override {
    if (j.spec.deadline_s == kNoTime) return true;
    double speed = 0;
    for (int32_t p = 0; p < ctx.cluster().num_pools(); ++p) {
      if (j.pool_mask >> p & 1) speed = std::max(speed, ctx.SpeedOn(j, p));
    }
    if (speed > 0 && ctx.now_s() + j.spec.estimate_s / speed <= j.spec.deadline_s) return true;
    *reason = "deadline cannot be met";
    return false;
  }
};

class QueueLimitAdmission final : public Admission {
 public:
  explicit QueueLimitAdmission(int64_t max_waiting) : max_waiting_(max_waiting) {}
  bool Admit(const Job&, const SchedulerContext& ctx, std::string* reason) const override {
    if (ctx.waiting_jobs() < max_waiting_) return true;
    *reason = "queue full";
    return false;
  }

 private:
  int64_t max_waiting_;
};

std::unique_ptr<Admission> MakeAdmitAll(PolicyParams&) { return std::make_unique<AdmitAll>(); }
std::unique_ptr<Admission> MakeDeadlineAdmission(PolicyParams&) {
  return std::make_unique<DeadlineAdmission>();
}
std::unique_ptr<Admission> MakeQueueLimit(PolicyParams& p) {
  return std::make_unique<QueueLimitAdmission>(
      static_cast<int64_t>(p.Number("max_waiting", 1000, 1, 1e12)));
}

Backfill MakeStrict() { return Backfill::kStrict; }
Backfill MakeGreedy() { return Backfill::kGreedy; }
Backfill MakeEasy() { return Backfill::kEasy; }

}  // namespace

const Registry<QueueOrderFactory>& QueueOrders() {
  static const Registry<QueueOrderFactory> r = [] {
    Registry<QueueOrderFactory> r("queue order");
    r.Add({"fifo", "first come, first served (by arrival time)", "none", MakeFifo});
    r.Add({"sjf", "shortest job first, by the user's estimate of the run time (may be wrong)",
           "none", MakeSjf});
    r.Add({"srtf",
           "shortest remaining time first: estimate minus work done; with preemption: rank it "
           "is preemptive",
           "none", MakeSrtf});
    r.Add({"priority", "higher priority class first, FIFO within a class", "none", MakePriority});
    r.Add({"las",
           "least attained service, discretised as in Tiresias: queue = thresholds of GPU-time "
           "passed, FIFO within a queue; with preemption: rank it is Tiresias",
           "thresholds: increasing GPU-times (default [\"1 h\", \"10 h\"]: one GPU-hour, ten)",
           MakeLas});
    r.Add({"easy_backfill",
           "FIFO with EASY backfilling: the first blocked job gets a reservation, later jobs "
           "start only if they do not delay it (by their estimates)",
           "none (same as queue: fifo, backfill: easy)", MakeFifo});
    return r;
  }();
  return r;
}

const Registry<BackfillFactory>& BackfillModes() {
  static const Registry<BackfillFactory> r = [] {
    Registry<BackfillFactory> r("backfill mode");
    r.Add({"strict", "stop at the first job that does not fit (no job overtakes it)", "none",
           MakeStrict});
    r.Add({"greedy", "skip jobs that do not fit and try the next (may starve large jobs)", "none",
           MakeGreedy});
    r.Add({"easy",
           "reserve the earliest start of the first blocked job in one pool (from running jobs' "
           "estimated ends); later jobs use that pool only if they end before it or take GPUs "
           "it does not need, and other pools freely",
           "none", MakeEasy});
    return r;
  }();
  return r;
}

const Registry<PlacementFactory>& Placements() {
  static const Registry<PlacementFactory> r = [] {
    Registry<PlacementFactory> r("placement");
    r.Add({"first_fit", "the first node that holds the gang, else free GPUs in index order", "none",
           MakeFirstFit});
    r.Add({"best_fit", "the node left with the fewest free GPUs (fragments least)", "none",
           MakeBestFit});
    r.Add({"packed", "topology-aware: the gang under as few switches as possible (node, rack, pod)",
           "none", MakePacked});
    r.Add({"fastest_gpu",
           "heterogeneity-aware: the GPU type on which the job runs fastest among those with "
           "room now",
           "none", MakeFastest});
    r.Add({"cheapest_gpu",
           "heterogeneity-aware: the cheapest GPU type that meets the job's deadline (by its "
           "estimate); the fastest if none does",
           "none", MakeCheapest});
    r.Add({"model_affinity",
           "inference: GPUs that already hold the job's model weights (no load), else as "
           "best_fit",
           "none", MakeModelAffinity});
    return r;
  }();
  return r;
}

const Registry<PreemptionFactory>& Preemptions() {
  static const Registry<PreemptionFactory> r = [] {
    Registry<PreemptionFactory> r("preemption policy");
    r.Add({"none", "running jobs are never evicted", "none", MakeNoPreemption});
    r.Add({"priority", "a waiting job evicts running jobs of a lower priority class (lowest first)",
           "min_run: shortest run before a job may be evicted (default \"0 s\")",
           MakePriorityPreemption});
    r.Add({"rank",
           "a waiting job evicts running jobs the queue order ranks behind it (las: Tiresias, "
           "srtf: preemptive SRTF)",
           "min_run: shortest run before a job may be evicted (default \"0 s\")",
           MakeRankPreemption});
    return r;
  }();
  return r;
}

const Registry<AdmissionFactory>& Admissions() {
  static const Registry<AdmissionFactory> r = [] {
    Registry<AdmissionFactory> r("admission policy");
    r.Add({"all", "queue every job that could ever fit the cluster", "none", MakeAdmitAll});
    r.Add({"deadline",
           "reject a job whose deadline it would miss even starting now on its fastest GPU type",
           "none", MakeDeadlineAdmission});
    r.Add({"queue_limit", "reject arrivals while the queue is full (load shedding)",
           "max_waiting: queue length at which arrivals are rejected (default 1000)",
           MakeQueueLimit});
    return r;
  }();
  return r;
}

Backfill DefaultBackfill(std::string_view queue_order) {
  return queue_order == "easy_backfill" ? Backfill::kEasy : Backfill::kStrict;
}

namespace {

template <class R>
void Describe(std::ostringstream& os, const char* title, const char* key, const R& r) {
  os << title << " (scheduler." << key << ")\n";
  for (const auto& e : r.entries()) {
    std::string name = e.name;
    if (name.size() < 14) name.resize(14, ' ');
    os << "  " << name << " " << e.summary << "\n";
    if (e.doc != "none") os << "  " << std::string(14, ' ') << " parameters: " << e.doc << "\n";
  }
}

template <class R>
nlohmann::ordered_json DescribeJson(const R& r) {
  nlohmann::ordered_json arr = nlohmann::ordered_json::array();
  for (const auto& e : r.entries()) {
    arr.push_back({{"name", e.name}, {"summary", e.summary}, {"parameters", e.doc}});
  }
  return arr;
}

}  // namespace

std::string DescribePolicies(bool json) {
  if (json) {
    nlohmann::ordered_json j;
    j["queue"] = DescribeJson(QueueOrders());
    j["backfill"] = DescribeJson(BackfillModes());
    j["placement"] = DescribeJson(Placements());
    j["preemption"] = DescribeJson(Preemptions());
    j["admission"] = DescribeJson(Admissions());
    return j.dump(2) + "\n";
  }
  std::ostringstream os;
  Describe(os, "Queue orders", "queue", QueueOrders());
  os << "\n";
  Describe(os, "Backfill modes", "backfill", BackfillModes());
  os << "\n";
  Describe(os, "Placements", "placement", Placements());
  os << "\n";
  Describe(os, "Preemption", "preemption", Preemptions());
  os << "\n";
  Describe(os, "Admission", "admission", Admissions());
  os << "\nCombine them in a scenario's scheduler: map, or on the command line as\n"
        "  fleetsim bench-policies FILE --policies fifo,sjf+best_fit,las+rank+packed\n"
        "(docs/scheduling.md).\n";
  return os.str();
}

namespace {

template <class R>
auto Build(const R& registry, const PolicySpec::Component& c) {
  const auto& entry = registry.Find(c.name);
  PolicyParams params = c.params ? PolicyParams(*c.params) : PolicyParams();
  auto made = entry.factory(params);
  params.Finish();
  return made;
}

}  // namespace

SchedulerPolicy BuildPolicy(const PolicySpec& spec) {
  SchedulerPolicy p;
  p.label = spec.label;
  p.admission = Build(Admissions(), spec.admission);
  p.order = Build(QueueOrders(), spec.queue);
  p.backfill = spec.backfill ? BackfillModes().Find(spec.backfill->name).factory()
                             : DefaultBackfill(spec.queue.name);
  p.placement = Build(Placements(), spec.placement);
  {
    const auto& entry = Preemptions().Find(spec.preemption.name);
    PolicyParams params =
        spec.preemption.params ? PolicyParams(*spec.preemption.params) : PolicyParams();
    p.preemption = entry.factory(params, *p.order);
    params.Finish();
  }
  p.checkpoint_s = spec.checkpoint_s;
  p.restart_s = spec.restart_s;
  return p;
}

namespace {

template <class R>
PolicySpec::Component ReadComponent(const ConfigNode& n, const R& registry) {
  PolicySpec::Component c;
  ConfigNode name_node = n;
  if (n.IsMap()) {
    name_node = n.Get("name");
    c.params = n;
  }
  c.name = name_node.AsString();
  if (!registry.TryFind(c.name)) {
    name_node.Fail("unknown " + registry.what() + " '" + c.name + "'",
                   ClosestName(c.name, registry.NameList()).value_or(""));
  }
  return c;
}

}  // namespace

PolicySpec ReadPolicySpec(const ConfigNode& node, PolicySpec base) {
  MapReader r(node);
  if (auto n = r.Optional("queue")) base.queue = ReadComponent(*n, QueueOrders());
  if (auto n = r.Optional("backfill")) {
    if (n->IsMap()) n->Fail("backfill takes a name: strict, greedy or easy");
    base.backfill = ReadComponent(*n, BackfillModes());
  }
  if (auto n = r.Optional("placement")) base.placement = ReadComponent(*n, Placements());
  if (auto n = r.Optional("preemption")) base.preemption = ReadComponent(*n, Preemptions());
  if (auto n = r.Optional("admission")) base.admission = ReadComponent(*n, Admissions());
  if (auto n = r.Optional("checkpoint")) base.checkpoint_s = n->AsDuration().seconds();
  if (auto n = r.Optional("restart")) base.restart_s = n->AsDuration().seconds();
  r.Finish();
  return base;
}

PolicySpec ParsePolicyItem(const std::string& item, PolicySpec base) {
  base.label = item;
  if (item.empty()) throw InputError("empty policy in --policies");
  static const char* kKinds[] = {"queue", "backfill", "placement", "preemption", "admission"};
  auto kinds_of = [](const std::string& name) {
    std::vector<std::string> k;
    if (QueueOrders().TryFind(name)) k.push_back("queue");
    if (BackfillModes().TryFind(name)) k.push_back("backfill");
    if (Placements().TryFind(name)) k.push_back("placement");
    if (Preemptions().TryFind(name)) k.push_back("preemption");
    if (Admissions().TryFind(name)) k.push_back("admission");
    return k;
  };
  auto all_names = [] {
    std::vector<std::string> all;
    for (const auto& n : QueueOrders().NameList()) all.push_back(n);
    for (const auto& n : BackfillModes().NameList()) all.push_back(n);
    for (const auto& n : Placements().NameList()) all.push_back(n);
    for (const auto& n : Preemptions().NameList()) all.push_back(n);
    for (const auto& n : Admissions().NameList()) all.push_back(n);
    return all;
  };
  size_t start = 0;
  while (start <= item.size()) {
    const size_t end = std::min(item.find('+', start), item.size());
    const std::string token = item.substr(start, end - start);
    start = end + 1;
    if (token.empty()) throw InputError("empty name in policy '" + item + "'");
    std::string kind, name;
    if (const size_t eq = token.find('='); eq != std::string::npos) {
      kind = token.substr(0, eq);
      name = token.substr(eq + 1);
      if (std::find(std::begin(kKinds), std::end(kKinds), kind) == std::end(kKinds)) {
        throw InputError("unknown policy kind '" + kind + "' in '" + item +
                             "' (one of: queue, backfill, placement, preemption, admission)",
                         ClosestName(kind, {std::begin(kKinds), std::end(kKinds)}).value_or(""));
      }
    } else {
      name = token;
      const auto kinds = kinds_of(name);
      if (kinds.empty()) {
        throw InputError(
            "unknown policy '" + name + "' in '" + item + "' (see 'fleetsim list policies')",
            ClosestName(name, all_names()).value_or(""));
      }
      if (kinds.size() > 1) {
        std::string alts;
        for (const auto& k : kinds) alts += (alts.empty() ? "" : " or ") + k + "=" + name;
        throw InputError("'" + name + "' in '" + item +
                         "' names more than one kind of policy; "
                         "write " +
                         alts);
      }
      kind = kinds[0];
    }
    auto set = [&](PolicySpec::Component& c, const auto& registry) {
      registry.Find(name);                   // throws with a suggestion
      if (c.name != name) c.params.reset();  // parameters belong to the policy they were given for
      c.name = name;
    };
    if (kind == "queue") {
      set(base.queue, QueueOrders());
    } else if (kind == "backfill") {
      BackfillModes().Find(name);
      base.backfill = PolicySpec::Component{name, {}};
    } else if (kind == "placement") {
      set(base.placement, Placements());
    } else if (kind == "preemption") {
      set(base.preemption, Preemptions());
    } else {
      set(base.admission, Admissions());
    }
  }
  return base;
}

}  // namespace fleetsim
