#include "models/scheduling/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace fleetsim {

RunMetrics ComputeMetrics(const SchedulingSim& sim, const std::string& status) {
  RunMetrics m;
  m.policy = sim.policy().label;
  m.status = status;
  m.passes = sim.passes();
  const double now = sim.now_s();
  std::vector<double> jct, rho;
  double queue_sum = 0, last_finish = 0;
  double held = 0, useful = 0, overhead = 0, idle = 0, loading = 0;
  int64_t slo_met = 0;
  for (const Job& j : sim.jobs()) {
    ++m.jobs;
    m.preemptions += j.preemptions;
    const auto g = sim.GpuSecondsNow(j);
    useful += g.useful;
    overhead += g.overhead;
    idle += g.idle_reserved;
    loading += g.weight_load;
    m.weight_loads += j.weight_loads;
    held += g.useful + g.overhead + g.idle_reserved;
    m.cost_usd += g.cost_usd;
    if (j.state == JobState::kRejected) ++m.rejected;
    if (j.state == JobState::kDone) {
      ++m.completed;
      const double t = j.finish_s - j.spec.arrival_s;
      jct.push_back(t);
      rho.push_back(t / j.spec.duration_s);
      queue_sum += j.waited_s;
      last_finish = std::max(last_finish, j.finish_s);
    } else if (j.state != JobState::kRejected) {
      ++m.unfinished;
    }
    const bool has_deadline = j.spec.deadline_s < kNoTime;
    const bool has_start_slo = j.spec.start_slo_s < kNoTime;
    if (has_deadline || has_start_slo) {
      if (j.state != JobState::kDone && j.state != JobState::kRejected && has_deadline &&
          j.spec.deadline_s > now) {
        continue;  // undecided at the end of the run
      }
      ++m.slo_jobs;
      bool met = j.state != JobState::kRejected;
      if (has_deadline) met = met && j.state == JobState::kDone && j.finish_s <= j.spec.deadline_s;
      if (has_start_slo) {
        const double started = j.first_start_s >= 0 ? j.first_start_s : now;
        met = met && j.first_start_s >= 0 && started - j.spec.arrival_s <= j.spec.start_slo_s;
      }
      slo_met += met;
    }
  }
  m.makespan_s = m.unfinished > 0 ? now : last_finish;
  if (!jct.empty()) {
    const double n = static_cast<double>(jct.size());
    double sum = 0;
    for (double v : jct) sum += v;
    m.jct_mean_s = sum / n;
    m.queue_mean_s = queue_sum / n;
    // Nearest rank: the smallest value with at least 99 % of the samples at or below it.
    const size_t rank = static_cast<size_t>(std::ceil(0.99 * n));
    std::nth_element(jct.begin(), jct.begin() + (rank - 1), jct.end());
    m.jct_p99_s = jct[rank - 1];
    double rsum = 0, rsq = 0;
    for (double r : rho) {
      rsum += r;
      rsq += r * r;
      m.ftf_max = std::max(m.ftf_max, r);
    }
    m.ftf_mean = rsum / n;
    m.fairness_jain = rsq > 0 ? rsum * rsum / (n * rsq) : 1.0;
  }
  const double capacity = static_cast<double>(sim.cluster().total_gpus()) * m.makespan_s;
  if (capacity > 0) {
    m.utilisation = held / capacity;
    m.goodput = useful / capacity;
  }
  m.slo_attainment = m.slo_jobs > 0 ? static_cast<double>(slo_met) / m.slo_jobs
                                    : std::numeric_limits<double>::quiet_NaN();
  m.overhead_gpu_h = overhead / 3600;
  m.idle_reserved_gpu_h = idle / 3600;
  m.weight_load_gpu_h = loading / 3600;
  return m;
}

RunMetrics RunSchedulingSimulation(const ClusterSpec& cluster, const JobSet& job_set,
                                   SchedulerPolicy policy, std::unique_ptr<JobSource> jobs,
                                   uint64_t seed, double horizon_s) {
  Simulator sim(seed);
  SchedulingOptions opt;
  opt.horizon_s = horizon_s;
  SchedulingSim sched(sim, cluster, job_set, std::move(policy), std::move(jobs), opt);
  sched.Start();
  const RunResult r = horizon_s < kNoTime
                          ? sim.Run(SimTime::FromNanoseconds(Duration::FromSeconds(horizon_s).ns()))
                          : sim.Run();
  std::string status = "finished";
  if (r.status == RunResult::Status::kStalled) status = "stalled";
  if (r.status == RunResult::Status::kReachedLimit) status = "horizon";
  RunMetrics m = ComputeMetrics(sched, status);
  m.seed = seed;
  m.events = r.events_processed;
  m.stall_report = r.stall_report;
  return m;
}

}  // namespace fleetsim
