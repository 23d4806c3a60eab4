// Runs a loaded scenario: builds the simulation, runs it to the scenario's duration, and
// writes the outputs into a directory:
//   summary.json     totals and latency percentiles per service (docs/outputs.md)
//   timeseries.csv   one row per `timeseries_interval`
//   trace.json       Chrome / Perfetto trace events (open in ui.perfetto.dev)
//   report.html      charts of the above, self-contained (scenarios/report/report_html.h)
// Outputs depend only on the scenario and the seed: byte-identical across runs (wall-clock
// figures go to stdout only).
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <ostream>
#include <string>

#include "scenarios/scenario.h"

namespace fleetsim {

// What a run has reached, for RunOptions::stop_when.
struct RunProgress {
  SimTime now;
  double cost_usd = 0;  // accrued by all pools so far (never decreases)
  // Requests of all services that can no longer meet their SLOs: completed without meeting
  // them, or rejected (never decreases).
  uint64_t slo_missed = 0;
};

struct RunOptions {
  std::string out_dir = "fleetsim-out";
  std::optional<uint64_t> seed;  // overrides the scenario's
  bool quiet = false;            // no progress on stderr
  // In-process studies (fleetsim compare / size, scenarios/study/): with write_files false
  // nothing is written (no trace, time series, summary or report.html, no text on `out`);
  // the summary is handed back through summary_out when it is set.
  bool write_files = true;
  nlohmann::ordered_json* summary_out = nullptr;
  // Asked between the run's 200 equal slices; true ends the run there (summary status
  // "stopped"). For a search that drops a candidate once it has exceeded a budget or missed
  // more SLOs than its target allows: both never decrease, so the verdict is the one the
  // horizon would give.
  std::function<bool(const RunProgress&)> stop_when;
};

// Returns the exit code: 0 ok, 1 the simulation stalled. Bad input throws InputError.
int RunScenario(const Scenario& scenario, const RunOptions& options, std::ostream& out);

}  // namespace fleetsim
