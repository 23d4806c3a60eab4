// Running scenarios inside a study (fleetsim compare, fleetsim size): a scenario run in
// process, without files, reduced to the figures a study compares; and a parallel loop whose
// results do not depend on the number of threads.
//
// Definitions (docs/compare-and-size.md):
//   slo_attainment  requests that met their class SLOs / requests that arrived, over every
//                   service: a request still waiting or running at the end of the run, or
//                   rejected, counts as not met (conservative; negligible when the run is much
//                   longer than a request). 1 when nothing arrived.
//   ttft_p99_s,     the largest p99 over the services (completed requests; 1 % histogram
//   tpot_p99_s      bound, never understated); 0 without services.
//   training_s      the latest finish of the training jobs; +infinity if one did not finish.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "models/pricing/cost_model.h"
#include "scenarios/runner.h"
#include "scenarios/scenario.h"

namespace fleetsim {

struct PoolOutcome {
  std::string name;
  bool cloud = true;
  double total_usd = 0;
  double capex_depreciation_usd = 0;
  double facility_energy_j = 0;
  double it_energy_j = 0;
  int64_t capacity_shortfalls = 0;
};

struct ScenarioOutcome {
  std::string status;  // completed | stalled | stopped (by stop_when)
  double duration_s = 0;
  double cost_usd = 0;
  std::vector<PoolOutcome> pools;
  double arrived = 0, completed = 0, rejected = 0, slo_met = 0, output_tokens = 0;
  double slo_attainment = 1;
  double ttft_p99_s = 0, tpot_p99_s = 0;
  double training_s = 0;
  // Binding resources (sizing): the highest replica busy fraction of the services, their
  // preemptions (KV cache full), replicas refused by a pool's cap, services that reached
  // their autoscale maximum.
  double busy_fraction = 0;
  int64_t preemptions = 0, shortfalls = 0;
  bool at_max_replicas = false;
  // Training: exposed communication share of an iteration (TP + PP + DP exposed) and memory
  // per GPU / capacity, the largest over the jobs.
  double comm_share = 0, memory_fraction = 0;
  nlohmann::ordered_json summary;
};

// Runs without writing files (RunOptions::write_files = false). `stop_when` as in RunOptions.
ScenarioOutcome RunInProcess(const Scenario& scenario,
                             std::function<bool(const RunProgress&)> stop_when = {});

// The requests a run of the scenario (with its own seed) will see arrive: its services'
// demand streams, drawn as the runner draws them (the same named random streams) but
// without simulating. Lets a search know, before a run, how many SLO misses its target
// allows.
uint64_t CountArrivals(const Scenario& scenario);

// Reduces a run's summary.json to an outcome (used by RunInProcess; public for tests).
ScenarioOutcome OutcomeFromSummary(const nlohmann::ordered_json& summary);

// Calls body(i) for i in [0, n) on min(threads, n) threads. Every exception is caught; after
// all threads have joined, the one of the lowest i is rethrown. body must write only to its
// own slot i, so results do not depend on the number of threads.
void ParallelFor(size_t n, int threads, const std::function<void(size_t)>& body);

// All local cores (at least 1).
int DefaultThreads();

}  // namespace fleetsim
