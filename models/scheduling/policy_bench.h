// `fleetsim bench-policies`: every policy x seed, in parallel, summarised as mean and 95 %
// confidence interval per metric, as a text table, CSV and an SVG chart.
//
// Determinism: each run depends only on (scenario, policy, seed) and owns everything it
// mutates; results land in a slot fixed by (policy, seed) and are reduced in that order
// after all threads have joined. The outputs are therefore byte-identical for any number
// of threads (tested).
//
// The interval is Student's t: mean +- t(0.975, n - 1) x s / sqrt(n) over the seeds (n >= 2);
// with one seed there is no interval. Seeds are scenario seed + 0 .. n - 1; a seed fixes the
// jobs (synthetic draws, estimate errors), so all policies see the same jobs per seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/scheduling/metrics.h"
#include "models/scheduling/policy_scenario.h"

namespace fleetsim {

struct SweepResult {
  std::vector<std::string> labels;  // one per policy
  std::vector<uint64_t> seeds;
  std::vector<RunMetrics> runs;  // policy-major: runs[p * seeds.size() + s]
  const RunMetrics& at(size_t policy, size_t seed) const {
    return runs[policy * seeds.size() + seed];
  }
  bool any_stalled() const;
};

// Runs on `threads` threads (>= 1). Exceptions from runs are rethrown after all threads end,
// the one of the lowest (policy, seed) first.
SweepResult RunPolicySweep(const PolicyScenario& scenario, const std::vector<PolicySpec>& policies,
                           int seeds, int threads);

// Student's t quantile t(0.975, df) for df >= 1.
double StudentT975(int df);

struct MetricColumn {
  const char* key;    // CSV column stem, e.g. "jct_mean_h"
  const char* title;  // table and chart heading
  const char* unit;   // for the chart axis
  double (*get)(const RunMetrics&);
  bool higher_is_better;
};
// The compared metrics, in table order.
const std::vector<MetricColumn>& SweepMetrics();

struct MetricSummary {
  double mean = 0;
  double ci95 = 0;  // half-width; NaN with one seed
};
MetricSummary Summarise(const SweepResult& r, size_t policy, const MetricColumn& m);

// The text table (mean +- CI per metric), as printed by the command.
std::string FormatSweepTable(const SweepResult& r);
// One row per policy: policy, seeds, then <key>_mean,<key>_ci95 per metric.
std::string SweepCsv(const SweepResult& r);
// One row per run, every RunMetrics field.
std::string RunsCsv(const SweepResult& r);
// A self-contained SVG: one bar panel per metric with 95 % interval whiskers.
std::string SweepSvg(const SweepResult& r, const std::string& title);

}  // namespace fleetsim
