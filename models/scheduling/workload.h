// Workloads for policy studies: the `jobs:` section of a policy scenario, either a synthetic
// job stream or a replayed cluster trace, made into a fresh JobSource for every run.
//
//   jobs:
//     synthetic:
//       count: 2000                        # and/or the scenario's duration
//       arrivals: {process: poisson, rate: "60/h", diurnal: {...}}   # docs/demand.md
//       classes:
//         - {name: train, weight: 3, gpus: {values: [1, 2, 4, 8], weights: [6, 2, 1, 1]},
//            duration: {distribution: lognormal, median: "2 h", sigma: 1.5, max: "7 d"},
//            estimate: {error: 0.5}, priority: 0, devices: [...], speedup: {...}}
//   or
//     trace: {format: philly, file: cluster_job_log, class: {...}}
//     trace: {format: pai, job_table: ..., task_table: ..., gpu_types: {V100: V100-SXM2-32GB}}
//
// Determinism: a run's jobs depend only on (seed, the YAML): every policy sees the same jobs
// for the same seed (common random numbers), so policy differences are not sampling noise.
// Random streams: jobs.arrivals, jobs.class, jobs.gpus, jobs.duration, jobs.estimate,
// jobs.priority (sim/rng.h: adding a stream never shifts another).
//
// Estimates: estimate = duration x bias x exp(error x N(0, 1)): error 0 is a perfect user,
// error 1 is off by a factor e either way about a third of the time; bias 2 is a user who
// asks for twice what the job needs (as batch users do for wall-time limits).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/scheduling/job.h"
#include "models/scheduling/scheduler_sim.h"
#include "sim/config/config.h"
#include "sim/registry.h"
#include "sim/rng.h"

namespace fleetsim {

class Catalog;

// Job durations, in seconds.
class DurationDistribution {
 public:
  virtual ~DurationDistribution() = default;
  virtual double Sample(Rng& rng) const = 0;
};
using DurationFactory = std::unique_ptr<DurationDistribution> (*)(const ConfigNode& node,
                                                                  MapReader& reader);
// fixed, uniform, exponential, lognormal, empirical.
const Registry<DurationFactory>& JobDurations();
// Reads {distribution: NAME, ...}. Throws ConfigError.
std::unique_ptr<DurationDistribution> ReadDurationDistribution(const ConfigNode& node);

class JobWorkload {
 public:
  virtual ~JobWorkload() = default;
  const JobSet& job_set() const { return job_set_; }
  // For traces: what was read and skipped; nullptr for synthetic streams.
  virtual const TraceSummary* trace_summary() const { return nullptr; }
  // A fresh source of jobs for one run; the same seed gives the same jobs.
  virtual std::unique_ptr<JobSource> MakeSource(uint64_t seed) const = 0;

 protected:
  JobSet job_set_;
};

// Reads a `jobs:` map. Device names are checked against the catalog and made canonical;
// `horizon_s` (kNoTime if none) ends synthetic streams. Throws ConfigError.
std::shared_ptr<const JobWorkload> ReadJobWorkload(const ConfigNode& jobs, const Catalog& catalog,
                                                   double horizon_s);

}  // namespace fleetsim
