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
#include <optional>
#include <ostream>
#include <string>

#include "scenarios/scenario.h"

namespace fleetsim {

struct RunOptions {
  std::string out_dir = "fleetsim-out";
  std::optional<uint64_t> seed;  // overrides the scenario's
  bool quiet = false;            // no progress on stderr
};

// Returns the exit code: 0 ok, 1 the simulation stalled. Bad input throws InputError.
int RunScenario(const Scenario& scenario, const RunOptions& options, std::ostream& out);

}  // namespace fleetsim
