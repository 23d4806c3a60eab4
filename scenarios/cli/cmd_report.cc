// `fleetsim report DIR`: regenerates DIR/report.html from the outputs already in DIR.
#include <iostream>

#include "scenarios/cli/args.h"
#include "scenarios/cli/commands.h"
#include "scenarios/report/report_html.h"

namespace fleetsim {

int RunReport(const std::vector<std::string>& args) {
  ArgParser p("report",
              "Write DIR/report.html, a self-contained page of charts (no network needed to\n"
              "open it), from the outputs in DIR: summary.json and timeseries.csv of\n"
              "`fleetsim run`, or policies.csv of `fleetsim bench-policies`. `run` and\n"
              "`bench-policies` write it themselves; this regenerates it (docs/outputs.md).");
  p.Positional("DIR", "an output directory of fleetsim run or fleetsim bench-policies");
  p.Parse(args);
  if (p.help_requested()) {
    std::cout << p.Help();
    return 0;
  }
  std::cout << "wrote " << RegenerateReport(*p.Positional(0)) << "\n";
  return 0;
}

}  // namespace fleetsim
