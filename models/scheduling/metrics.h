// What a policy study compares, for one run (one policy, one seed).
//
// Definitions (docs/scheduling.md has them with their reasons):
//   JCT             completion - arrival, over completed jobs; p99 by nearest rank.
//   queueing delay  total time a completed job spent waiting without GPUs (all waits,
//                   including after preemptions).
//   makespan        time of the last completion (arrivals start at t = 0); the horizon when
//                   the run was cut there with jobs unfinished.
//   utilisation     GPU-seconds held by jobs (progress, restart and checkpoint overhead, GPUs
//                   reserved for a preempting job) / (GPUs x makespan); goodput counts only
//                   progress.
//   SLO attainment  over jobs with a deadline or a start SLO: completed by the deadline and
//                   started within the start SLO; rejected jobs miss; unfinished jobs whose
//                   deadline lies beyond the end are left out. NaN when no job has an SLO.
//   cost            every held GPU-second at its pool's price.
//   weight loads    job starts that had to load their model's weights (job.h), and the
//                   GPU-seconds spent loading (part of the overhead).
//   fairness        finish-time fairness rho = JCT / duration on the reference GPU (Themis's
//                   rho with the job alone on its GPUs as the ideal); its mean, max, and
//                   Jain's index over rho (1 = every job slowed down alike).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "models/scheduling/scheduler_sim.h"

namespace fleetsim {

struct RunMetrics {
  std::string policy;
  uint64_t seed = 0;
  std::string status;        // finished | horizon | stalled
  std::string stall_report;  // when stalled
  int64_t jobs = 0, completed = 0, rejected = 0, unfinished = 0;
  double jct_mean_s = 0, jct_p99_s = 0;
  double queue_mean_s = 0;
  double makespan_s = 0;
  double utilisation = 0, goodput = 0;
  double slo_attainment = 0;
  int64_t slo_jobs = 0;
  double cost_usd = 0;
  double ftf_mean = 0, ftf_max = 0, fairness_jain = 0;
  int64_t preemptions = 0;
  double overhead_gpu_h = 0, idle_reserved_gpu_h = 0;
  int64_t weight_loads = 0;
  double weight_load_gpu_h = 0;
  uint64_t events = 0;
  int64_t passes = 0;
};

// Metrics of `sim` at the simulator's current time. `status` as above.
RunMetrics ComputeMetrics(const SchedulingSim& sim, const std::string& status);

// Runs one simulation to the end (or the horizon) and returns its metrics. Exceptions from
// the job source (malformed input) propagate.
RunMetrics RunSchedulingSimulation(const ClusterSpec& cluster, const JobSet& job_set,
                                   SchedulerPolicy policy, std::unique_ptr<JobSource> jobs,
                                   uint64_t seed, double horizon_s);

}  // namespace fleetsim
