// `fleetsim bench-policies SCENARIO.yaml --policies a,b,c --seeds N`: compares scheduling
// policies on one cluster and workload (docs/scheduling.md).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "models/scheduling/policy_bench.h"
#include "models/scheduling/policy_scenario.h"
#include "scenarios/cli/args.h"
#include "scenarios/cli/commands.h"
#include "scenarios/report/report_html.h"
#include "sim/config/config_error.h"

namespace fleetsim {

namespace {

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw InputError("cannot write " + path.string());
}

}  // namespace

int RunBenchPolicies(const std::vector<std::string>& args) {
  ArgParser p("bench-policies",
              "Run every policy x seed of a policy scenario in parallel and print the mean and\n"
              "95 % confidence interval of JCT, queueing delay, makespan, utilisation, SLO\n"
              "attainment, cost and fairness; writes policies.csv, runs.csv, policies.svg and\n"
              "report.html (the charts, with each seed's value).\n"
              "Output is identical for any number of threads. Exit code 1 if a run stalled.\n"
              "Without --policies: the scheduler: section, then every named policy. Policy\n"
              "names and combinations: fleetsim list policies.");
  p.Positional("SCENARIO", "the policy scenario YAML file (docs/scheduling.md)");
  p.Option("--policies", "LIST",
           "a,b,c: named policies of the scenario or combinations like las+rank+packed");
  p.Option("--seeds", "N", "number of seeds (scenario seed, +1, ...); default 3");
  p.Option("--threads", "T", "worker threads; default: all local cores");
  p.Option("-o", "DIR", "output directory (default fleetsim-policies)");
  p.Option("--set", "KEY=VALUE", "override a scenario value, e.g. cluster.pools[0].nodes=64", true);
  p.Parse(args);
  if (p.help_requested()) {
    std::cout << p.Help();
    return 0;
  }
  int64_t seeds = 3;
  if (auto s = p.GetInt("--seeds")) {
    if (*s < 1 || *s > 10000) throw InputError("--seeds must be between 1 and 10,000");
    seeds = *s;
  }
  int64_t threads = std::max(1u, std::thread::hardware_concurrency());
  if (auto t = p.GetInt("--threads")) {
    if (*t < 1 || *t > 1024) throw InputError("--threads must be between 1 and 1,024");
    threads = *t;
  }
  const std::filesystem::path dir = p.Get("-o").value_or("fleetsim-policies");
  const PolicyScenario scenario = LoadPolicyScenario(*p.Positional(0), p.GetAll("--set"));
  const auto policies = ResolvePolicies(scenario, p.Get("--policies").value_or(""));

  const auto t0 = std::chrono::steady_clock::now();
  const SweepResult result =
      RunPolicySweep(scenario, policies, static_cast<int>(seeds), static_cast<int>(threads));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError("cannot create output directory " + dir.string() + ": " + ec.message());
  WriteFile(dir / "policies.csv", SweepCsv(result));
  WriteFile(dir / "runs.csv", RunsCsv(result));
  WriteFile(dir / "policies.svg", SweepSvg(result, scenario.name));
  WriteFile(dir / "report.html", PolicyReportHtml(ComparePolicies(result, scenario.name)));

  std::cout << scenario.name << ": " << policies.size() << " policies x " << seeds << " seeds\n";
  if (const TraceSummary* t = scenario.workload->trace_summary()) std::cout << t->Format();
  std::cout << FormatSweepTable(result);
  std::cout << "wrote " << (dir / "policies.csv").string()
            << ", runs.csv, policies.svg, report.html\n";
  std::cerr << "fleetsim: " << result.runs.size() << " simulations in " << wall << " s on "
            << std::min<int64_t>(threads, static_cast<int64_t>(result.runs.size())) << " threads\n";
  if (result.any_stalled()) {
    for (const auto& m : result.runs) {
      if (m.status == "stalled") {
        std::cerr << "fleetsim: " << m.policy << " seed " << m.seed << " stalled:\n"
                  << m.stall_report;
      }
    }
    return 1;
  }
  return 0;
}

}  // namespace fleetsim
