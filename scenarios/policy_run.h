// `fleetsim run` on a policy scenario (models/scheduling/policy_scenario.h, the files
// `fleetsim bench-policies` compares policies on): one run of one policy with one seed, with
// the usual run outputs in a directory:
//   summary.json     schema fleetsim.summary/1 with a `scheduler` object: the policy's
//                    components, every RunMetrics field, rejections by reason (docs/outputs.md)
//   timeseries.csv   one row per `outputs.timeseries_interval` (default 1 min) until the last
//                    job ends or the horizon: jobs waiting, jobs holding GPUs, jobs completed,
//                    GPUs held, their fraction of the cluster, weight loads so far
//   report.html      charts of the above (scenarios/report/report_html.h)
// No trace.json: a job-level run has no per-iteration slices to show.
//
// Which policy: the scenario's `scheduler:` section, or `policy` (a name from its
// `policies:` section or a combination such as las+rank+packed, as --policies takes them).
// The run is the same simulation bench-policies runs for that policy and seed: its metrics
// equal bench-policies' runs.csv row (tested).
//
// Outputs depend only on the scenario, the policy and the seed (wall-clock time goes to
// stderr only).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "scenarios/runner.h"

namespace fleetsim {

// True when `path` holds a policy scenario (a top-level `jobs`, `scheduler` or `policies`
// key), which LoadScenario does not take. False for anything else, including files that do
// not parse (LoadScenario then reports the error).
bool IsPolicyScenarioFile(const std::string& path);

// Runs the policy scenario at `path` (with --set overrides). Uses options.out_dir, seed and
// quiet. Returns 0, or 1 if the simulation stalled. Bad input throws InputError/ConfigError.
int RunPolicyScenarioFile(const std::string& path, const std::vector<std::string>& overrides,
                          const std::string& policy, const RunOptions& options, std::ostream& out);

}  // namespace fleetsim
