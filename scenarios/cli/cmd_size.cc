// `fleetsim size SCENARIO.yaml`: the cheapest configurations that meet the scenario's targets
// (scenarios/study/sizing.h, docs/compare-and-size.md).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "scenarios/cli/args.h"
#include "scenarios/cli/commands.h"
#include "scenarios/study/ranks.h"
#include "scenarios/study/sizing.h"
#include "sim/config/config_error.h"

namespace fleetsim {

int RunSize(const std::vector<std::string>& args) {
  ArgParser p("size",
              "Search the scenario's `sizing:` space (GPU offers, tensor parallel, replicas,\n"
              "autoscale limits, plans: any scenario value) for the cheapest configurations that\n"
              "meet its targets (SLO attainment, p99 TTFT / TPOT, training deadline, budget).\n"
              "Analytic bounds drop candidates first (weights beyond memory, demand beyond the\n"
              "decode roofline, minimum cost above the budget or the best found); survivors are\n"
              "simulated in parallel in cost order. Prints the best with their margins and what\n"
              "binds them; writes candidates.csv and report.html (charts). Output is identical\n"
              "for any number of threads. Exit code 1 when no candidate meets the targets.");
  p.Positional("SCENARIO", "a scenario YAML file with a sizing: section");
  p.Option("--threads", "T", "worker threads; default: all local cores");
  p.Option("-o", "DIR", "output directory (default fleetsim-size)");
  p.Option("--set", "KEY=VALUE", "override a scenario value for every candidate", true);
  p.Flag("--no-prune", "simulate every candidate that loads, to the end (for checking)");
  p.Parse(args);
  if (p.help_requested()) {
    std::cout << p.Help();
    return 0;
  }
  SizingOptions opt;
  opt.threads = DefaultThreads();
  if (auto t = p.GetInt("--threads")) {
    if (*t < 1 || *t > 1024) throw InputError("--threads must be between 1 and 1,024");
    opt.threads = static_cast<int>(*t);
  }
  opt.prune = !p.Has("--no-prune");
  const std::string path = *p.Positional(0);
  const auto overrides = p.GetAll("--set");
  LoadScenario(path, overrides);  // the base scenario must load: its errors come first
  const SizingSpec spec = LoadSizing(path, overrides);
  const auto t0 = std::chrono::steady_clock::now();
  const SizingResult r = RunSizing(path, overrides, spec, opt);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  // Under MPI every rank holds the whole result; rank 0 reports it.
  const Ranks& ranks = Ranks::World();
  if (ranks.rank() != 0) return r.best.empty() ? 1 : 0;
  const std::filesystem::path dir = p.Get("-o").value_or("fleetsim-size");
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError("cannot create output directory " + dir.string() + ": " + ec.message());
  {
    std::ofstream out(dir / "candidates.csv", std::ios::binary);
    out << SizingCandidatesCsv(r);
    if (!out) throw InputError("cannot write " + (dir / "candidates.csv").string());
  }
  {
    std::ofstream out(dir / "report.html", std::ios::binary);
    out << PolicyReportHtml(SizingComparison(r));
    if (!out) throw InputError("cannot write " + (dir / "report.html").string());
  }
  std::cout << FormatSizing(r);
  std::cout << "wrote " << (dir / "candidates.csv").string() << ", report.html\n";
  std::cerr << "fleetsim: " << r.candidates.size() << " candidates, " << r.simulated
            << " simulated, in " << wall << " s on " << opt.threads << " threads"
            << (ranks.size() > 1 ? " x " + std::to_string(ranks.size()) + " MPI ranks" : "")
            << "\n";
  return r.best.empty() ? 1 : 0;
}

}  // namespace fleetsim
