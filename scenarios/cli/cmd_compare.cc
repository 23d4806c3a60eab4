// `fleetsim compare STUDY.yaml`: the same demand under several plans over months
// (scenarios/study/compare.h, docs/compare-and-size.md).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "scenarios/cli/args.h"
#include "scenarios/cli/commands.h"
#include "scenarios/study/compare.h"
#include "sim/config/config_error.h"

namespace fleetsim {

namespace {

void Write(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw InputError("cannot write " + path.string());
}

}  // namespace

int RunCompare(const std::vector<std::string>& args) {
  ArgParser p(
      "compare",
      "Cost and SLO attainment of the same demand under several plans (cloud on-demand,\n"
      "committed + on-demand burst, owned + cloud burst, owned only, ...) over months with\n"
      "demand growth, and the break-even month of every pair of plans. Each month is one\n"
      "simulated window of the plan's scenario, its demand scaled by the growth, its\n"
      "costs scaled to 730 h (docs/compare-and-size.md). Writes plans.csv, months.csv,\n"
      "break_even.csv, cumulative.svg, report.html and plans.html.\n"
      "Output is identical for any number of threads.");
  p.Positional("STUDY", "the study YAML file (docs/compare-and-size.md)");
  p.Option("--threads", "T", "worker threads; default: all local cores");
  p.Option("-o", "DIR", "output directory (default fleetsim-compare)");
  p.Option("--set", "KEY=VALUE", "override a value of every plan's scenario", true);
  p.Parse(args);
  if (p.help_requested()) {
    std::cout << p.Help();
    return 0;
  }
  int threads = DefaultThreads();
  if (auto t = p.GetInt("--threads")) {
    if (*t < 1 || *t > 1024) throw InputError("--threads must be between 1 and 1,024");
    threads = static_cast<int>(*t);
  }
  const std::filesystem::path dir = p.Get("-o").value_or("fleetsim-compare");
  const Study study = LoadStudy(*p.Positional(0), p.GetAll("--set"));
  const auto t0 = std::chrono::steady_clock::now();
  const StudyResult r = RunStudy(study, threads);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError("cannot create output directory " + dir.string() + ": " + ec.message());
  Write(dir / "plans.csv", StudyPlansCsv(r));
  Write(dir / "months.csv", StudyMonthsCsv(r));
  Write(dir / "break_even.csv", StudyBreakEvenCsv(r));
  Write(dir / "cumulative.svg", StudyCumulativeSvg(r));
  Write(dir / "report.html", StudyReportHtml(r));
  Write(dir / "plans.html", PolicyReportHtml(StudyComparison(r)));
  std::cout << FormatStudy(r);
  std::cout << "wrote " << (dir / "plans.csv").string()
            << ", months.csv, break_even.csv, cumulative.svg, report.html, plans.html\n";
  int windows = 0;
  for (const auto& pl : r.plans) windows += pl.windows_run;
  std::cerr << "fleetsim: " << windows << " windows simulated in " << wall << " s\n";
  return 0;
}

}  // namespace fleetsim
