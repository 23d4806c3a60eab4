// The fleetsim command-line entry point: dispatches to the command table, and turns
// InputError into a positioned message on stderr and exit code 2.
#include <algorithm>
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "scenarios/cli/commands.h"
#include "sim/config/config_error.h"
#include "sim/suggest.h"

namespace fleetsim {

const std::vector<Command>& Commands() {
  static const std::vector<Command> commands = {
      {"run", "simulate a scenario: summary.json, timeseries.csv, trace.json, report.html", RunRun},
      {"estimate", "the seed essay's back-of-envelope numbers for a model, device and price",
       RunEstimate},
      {"list", "list the hardware catalog (gpus) or the model cards (models)", RunList},
      {"validate", "check a YAML file and report the first problem with its position", RunValidate},
      {"topo", "inspect a topology file: show (counts, bandwidths), dot, route", RunTopo},
      {"bench-policies", "compare scheduling policies x seeds in parallel: mean and 95 % CI",
       RunBenchPolicies},
      {"report", "write report.html (charts, no network needed) from an output directory",
       RunReport},
      {"compare", "cost and SLOs of plans (cloud, committed, owned, ...) over months; break-even",
       RunCompare},
      {"size", "the cheapest configurations that meet a scenario's targets (sizing: section)",
       RunSize},
  };
  return commands;
}

namespace {

void PrintUsage(std::ostream& out) {
  out << "usage: fleetsim COMMAND [arguments] [--help]\n\n"
         "fleetsim simulates GPU clusters for AI training and inference.\n\ncommands:\n";
  for (const auto& c : Commands()) {
    std::string name = c.name;
    name.resize(std::max<size_t>(12, name.size() + 2), ' ');
    out << "  " << name << c.summary << "\n";
  }
  out << "\nexit codes: 0 ok, 1 the simulation could not complete, 2 bad input\n";
}

int Main(int argc, char** argv) {
  if (argc < 2) {
    PrintUsage(std::cerr);
    return 2;
  }
  const std::string name = argv[1];
  if (name == "help" || name == "--help" || name == "-h") {
    PrintUsage(std::cout);
    return 0;
  }
  if (name == "--version" || name == "version") {
    std::cout << "fleetsim 0.1.0\n";
    return 0;
  }
  std::vector<std::string> args(argv + 2, argv + argc);
  for (const auto& c : Commands()) {
    if (name == c.name) return c.run(args);
  }
  std::vector<std::string> names;
  for (const auto& c : Commands()) names.push_back(c.name);
  throw InputError("unknown command '" + name + "' (see 'fleetsim help')",
                   ClosestName(name, names).value_or(""));
}

}  // namespace
}  // namespace fleetsim

int main(int argc, char** argv) {
  try {
    return fleetsim::Main(argc, argv);
  } catch (const fleetsim::InputError& e) {
    std::cerr << "fleetsim: " << e.Format() << "\n";
    return 2;
  }
}
