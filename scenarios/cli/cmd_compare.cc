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
  ArgParser p("compare",
              "Cost and SLO attainment of the same demand under several plans (cloud on-demand,\n"
              "committed + on-demand burst, owned, ...) over months with demand growth, and the\n"
              "break-even month of every pair of plans. Each month is one simulated window of the\n"
              "plan's scenario, its demand scaled by the growth, its costs scaled to 730 h\n"
              "(docs/compare-and-size.md). Give a study file, or scenario files as plans with\n"
              "--plan (each named by its scenario's name). Writes plans.csv, months.csv,\n"
              "break_even.csv, cumulative.svg, report.html and plans.html.\n"
              "Output is identical for any number of threads.");
  p.Positional("STUDY", "the study YAML file (docs/compare-and-size.md)", /*required=*/false);
  p.Option("--plan", "SCENARIO", "a scenario file as a plan, instead of a study file", true);
  p.Option("--months", "N", "horizon in months of 730 h (study default 12)");
  p.Option("--window", "DURATION", "simulated per month (default: the scenario's duration)");
  p.Option("--growth", "FRACTION", "demand growth per month, compounding, e.g. '2 %'");
  p.Option("--every", "N", "simulate every Nth month and the last; interpolate between");
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
  const auto plans = p.GetAll("--plan");
  if (p.Positional(0).has_value() == !plans.empty()) {
    throw InputError("give a study file or --plan SCENARIO (one per plan), not both or neither",
                     "fleetsim compare --plan cloud.yaml --plan owned.yaml --months 36");
  }
  Study study = plans.empty() ? LoadStudy(*p.Positional(0), p.GetAll("--set"))
                              : StudyFromScenarios(plans, p.GetAll("--set"));
  if (auto m = p.GetInt("--months")) {
    if (*m < 1 || *m > 600) throw InputError("--months must be between 1 and 600 (50 years)");
    study.months = static_cast<int>(*m);
  }
  if (auto w = p.GetQuantity("--window", dim::kSeconds)) {
    if (!(*w > 0) || *w > 730 * 3600.0) {
      throw InputError("--window must be greater than zero and at most a month (730 h)");
    }
    study.window_s = *w;
  }
  if (auto g = p.GetQuantity("--growth", dim::kNumber)) {
    if (!(*g > -1)) throw InputError("--growth must be above -100 % per month");
    study.growth_per_month = *g;
  }
  if (auto e = p.GetInt("--every")) study.every = static_cast<int>(*e);
  if (study.every < 1 || study.every > study.months) {
    throw InputError("every (" + std::to_string(study.every) + ") must be between 1 and months (" +
                     std::to_string(study.months) + ")");
  }
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
