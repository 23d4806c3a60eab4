// `fleetsim size SCENARIO.yaml`: the cheapest configurations of a scenario that meet its
// targets, over the search space of its `sizing:` section (docs/compare-and-size.md).
//
//   sizing:
//     vary:                                   # the search space: the product of these
//       - {key: services[0].replica.tensor_parallel, values: [2, 4, 8]}
//       - {key: services[0].replicas, range: {from: 1, to: 16}}        # step 1 unless given
//       - name: gpu                            # coupled changes: one option = several overrides
//         options:
//           - {name: h100, set: ["pools[0].cloud=aws-p5-h100-2026"]}
//           - {name: a100, set: ["pools[0].cloud=aws-p4d-a100-40gb-2023"]}
//     targets: {slo_attainment: "99 %", ttft_p99: "2 s", tpot_p99: "100 ms",
//               training_deadline: "30 d", budget: "$5,000"}
//     keep: 5                                 # how many of the best to report
//
// Search: every candidate (one value per dimension, as `--set` overrides of the scenario) is
// loaded; then, without simulating,
//   memory    a service whose weights do not fit its replica's GPUs is dropped;
//   capacity  a service whose peak-hour demand (requests/s x mean output tokens) exceeds the
//             decode roofline of its largest fleet (max replicas x max batch / step time at
//             the shortest context, prefill ignored: an upper bound on throughput) is dropped
//             when the scenario has a latency or SLO target;
//   budget    the cost of holding the minimum fleet for the whole run (a lower bound of the
//             run's cost) above the budget drops the candidate.
// Survivors run in order of that cost lower bound, in batches (as many as are still missing
// from the best `keep`, at least 2; kSizingBatch once `keep` are known): before a batch, the
// keep-th cheapest feasible cost so far is the bar; a candidate whose lower bound is above it is
// dropped unsimulated, and a run stops as soon as its accrued cost exceeds the bar or the budget
// (cost never decreases, so such a candidate could not have ranked). The batches do not depend on
// the thread count, so neither do the results; the best `keep` are exactly those an exhaustive
// search (--no-prune) finds. Ranking: cost, then the order of the search space (the last dimension
// varies fastest), so at equal cost -- whole instances are billed, so ties are common -- values
// listed first win: list the ones you prefer first. SLO attainment target: the run's arrivals are
// counted before it starts (CountArrivals), and it stops once more requests have missed their SLOs
// than the target allows.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scenarios/report/report_html.h"
#include "scenarios/study/study_run.h"

namespace fleetsim {

inline constexpr size_t kSizingBatch = 16;

struct SizingOption {
  std::string label;                   // shown in tables
  std::vector<std::string> overrides;  // "key.path=value"
};
struct SizingDimension {
  std::string name;  // the key's last component or the given name
  std::vector<SizingOption> options;
};
struct SizingTargets {
  std::optional<double> slo_attainment, ttft_p99_s, tpot_p99_s, training_deadline_s, budget_usd;
  bool latency() const { return slo_attainment || ttft_p99_s || tpot_p99_s; }
};
struct SizingSpec {
  std::vector<SizingDimension> dims;
  SizingTargets targets;
  int keep = 5;
};

// Reads the `sizing:` section of the scenario at `path` (with `overrides` applied). Throws
// ConfigError with file:line:col, InputError if there is no section.
SizingSpec LoadSizing(const std::string& path, const std::vector<std::string>& overrides = {});

struct SizingCandidate {
  size_t index = 0;
  std::string label;
  std::vector<std::string> overrides;
  // "feasible", "fails", "pruned", "stopped", "invalid", "stalled"
  std::string verdict;
  std::string reason;  // why pruned / failed / invalid, or what binds when feasible
  double cost_lower_bound_usd = 0;
  bool simulated = false;
  ScenarioOutcome outcome;           // when simulated
  std::vector<std::string> margins;  // feasible: per target, "ttft_p99 1.21 s (40 % under 2 s)"
  std::string binds;                 // the resource that binds (compute, bandwidth, memory, ...)
  std::string roofline;              // from the bounds: "bandwidth" or "compute" (decode)
  bool kv_limited = false;           // the decode batch is limited by KV capacity
};

struct SizingResult {
  std::string scenario;
  SizingSpec spec;
  std::vector<SizingCandidate> candidates;  // in enumeration order
  std::vector<size_t> best;                 // indices of the best `keep` feasible, cheapest first
  size_t simulated = 0, pruned = 0, stopped = 0;
};

struct SizingOptions {
  int threads = 1;
  bool prune = true;  // false: simulate every loadable candidate to the end
};

SizingResult RunSizing(const std::string& path, const std::vector<std::string>& overrides,
                       const SizingSpec& spec, const SizingOptions& options);

std::string FormatSizing(const SizingResult& r);
std::string SizingCandidatesCsv(const SizingResult& r);
// For report.html (scenarios/report): the best candidates, cheapest first, as bar panels of
// cost, SLO attainment, p99 TTFT / TPOT and the busiest replica's busy fraction; without a
// feasible candidate, the cheapest `keep` simulated ones, said so in the note.
PolicyComparison SizingComparison(const SizingResult& r);

}  // namespace fleetsim
