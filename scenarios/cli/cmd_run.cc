// `fleetsim run SCENARIO.yaml`: one simulation with full outputs.
#include <iostream>

#include "scenarios/cli/args.h"
#include "scenarios/cli/commands.h"
#include "scenarios/policy_run.h"
#include "scenarios/runner.h"
#include "scenarios/scenario.h"

namespace fleetsim {

int RunRun(const std::vector<std::string>& args) {
  ArgParser p("run",
              "Simulate a scenario and write summary.json, timeseries.csv, trace.json (open it\n"
              "in ui.perfetto.dev) and report.html (charts; opens offline in any browser).\n"
              "Exit code 1 if the simulation stalled.\n"
              "A policy scenario (jobs: and scheduler:, docs/scheduling.md) runs its scheduler:\n"
              "section, or --policy, and writes summary.json, timeseries.csv and report.html.");
  p.Positional("SCENARIO", "the scenario YAML file (docs/scenarios.md)");
  p.Option("-o", "DIR", "output directory (default fleetsim-out)");
  p.Option("--seed", "N", "random seed, overriding the scenario's");
  p.Option("--set", "KEY=VALUE", "override a value of the scenario, e.g. services[0].replicas=16",
           true);
  p.Option("--policy", "NAME",
           "policy scenarios: a named policy or a combination like las+rank+packed "
           "(default: the scheduler: section)");
  p.Flag("--quiet", "no progress display on stderr");
  p.Parse(args);
  if (p.help_requested()) {
    std::cout << p.Help();
    return 0;
  }
  RunOptions opt;
  if (auto o = p.Get("-o")) opt.out_dir = *o;
  if (auto s = p.GetInt("--seed")) {
    if (*s < 0) throw InputError("--seed must not be negative");
    opt.seed = static_cast<uint64_t>(*s);
  }
  opt.quiet = p.Has("--quiet");
  if (IsPolicyScenarioFile(*p.Positional(0))) {
    return RunPolicyScenarioFile(*p.Positional(0), p.GetAll("--set"),
                                 p.Get("--policy").value_or(""), opt, std::cout);
  }
  if (p.Get("--policy")) {
    throw InputError("--policy is for policy scenarios (jobs: and scheduler:, docs/scheduling.md)");
  }
  const Scenario scenario = LoadScenario(*p.Positional(0), p.GetAll("--set"));
  return RunScenario(scenario, opt, std::cout);
}

}  // namespace fleetsim
