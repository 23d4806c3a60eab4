// fleetsim compare and fleetsim size (scenarios/study/): break-even arithmetic, a steady
// fleet against the closed forms of tco.h, thread-count independence, sizing bounds.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "models/pricing/price_catalog.h"
#include "models/pricing/tco.h"
#include "scenarios/study/compare.h"
#include "scenarios/study/sizing.h"
#include "tests/scenarios/run_cli.h"
#include "tests/temp_path.h"

namespace fleetsim {
namespace {

const std::string kData = FLEETSIM_TEST_DATA_DIR;

TEST(CrossingMonthTest, HandDerivedCrossing) {
  // d = a - b = 100, 60, 20, -20, -60: the sign changes between boundaries 2 and 3, where
  // d falls linearly from 20 to -20: at 2 + 20 / 40 = 2.5 months.
  int crossings = 0;
  const auto m = CrossingMonth({100, 110, 120, 130, 140}, {0, 50, 100, 150, 200}, &crossings);
  ASSERT_TRUE(m.has_value());
  EXPECT_DOUBLE_EQ(*m, 2.5);
  EXPECT_EQ(crossings, 1);
}

TEST(CrossingMonthTest, NoCrossingAndTwoCrossings) {
  // d = 100, 70, 40, 10: never reaches 0.
  EXPECT_FALSE(CrossingMonth({100, 110, 120, 130}, {0, 40, 80, 120}).has_value());
  // d = 10, -10, 10: first crossing at 0 + 10 / 20 = 0.5, and two sign changes.
  int crossings = 0;
  const auto m = CrossingMonth({10, 10, 30}, {0, 20, 20}, &crossings);
  ASSERT_TRUE(m.has_value());
  EXPECT_DOUBLE_EQ(*m, 0.5);
  EXPECT_EQ(crossings, 2);
}

TEST(CompareTest, SteadyFleetMatchesTheClosedForms) {
  // tests/data/study/steady.yaml: 4 replicas x TP 4 = 16 H100 held all the time, rented as
  // 2 p5 instances on demand ($6.88/GPU-h) or owned as 2 h100-all-in servers ($400,000 each)
  // at us-colo-2024, over 24 months.
  const Study study = LoadStudy(kData + "/study/steady.yaml");
  const StudyResult r = RunStudy(study, 2);
  ASSERT_EQ(r.plans.size(), 2u);
  const auto& cloud = r.plans[0];
  const auto& owned = r.plans[1];
  // Cloud: 16 x 6.88 x 730 h x 24 = $1,928,601.60 (per-second billing of a 10-minute
  // window held whole: no rounding).
  EXPECT_NEAR(cloud.total_cash_usd, 16 * 6.88 * 730 * 24, 1e-3);
  EXPECT_NEAR(cloud.total_accrual_usd, cloud.total_cash_usd, 1e-6);
  // Owned cash: $800,000 at t = 0, then energy + space per GPU-hour held, 0.12528 + 0.32110
  // = 0.44638 (docs/pricing.md table, idle = loaded), x 16 x 730 x 24 = $125,140.
  const Catalog hardware = Catalog::LoadShipped(FLEETSIM_SOURCE_DIR);
  const PriceCatalog prices = PriceCatalog::LoadShipped(FLEETSIM_SOURCE_DIR, hardware);
  const OwnedPool pool = prices.MakeOwnedPool("h100-all-in", 2, "x", "us-colo-2024");
  const OwnedHourly h = OwnedCostPerGpuHour(pool, 1.0);
  EXPECT_NEAR(owned.cumulative_cash_usd[0], 800000, 1e-6);
  EXPECT_NEAR(owned.total_cash_usd, 800000 + (h.energy_usd + h.space_usd) * 16 * 730 * 24, 1.0);
  // Accrual: depreciation 800,000 / 60 months x 24 instead of the purchase.
  EXPECT_NEAR(owned.total_accrual_usd, owned.total_cash_usd - 800000 + 800000.0 * 24 / 60, 1.0);
  // Break-even as tco.h finds it for the same steady fleet: 800,000 / (110.08 - 7.142) $/h
  // = 7,772 h = 10.6 months.
  CloudPool p5 = prices.MakeCloudPool("aws-p5-h100-2026", CloudPlan::kOnDemand, "c", 0);
  const SteadyFleet fleet{16, 1.0, false};
  const BreakEven be = FindBreakEven(CloudCashflow(p5, fleet), OwnedCashflow(pool, fleet));
  ASSERT_TRUE(be.at_s.has_value());
  ASSERT_EQ(r.break_even.size(), 1u);
  EXPECT_EQ(r.break_even[0].a, "owned");
  ASSERT_TRUE(r.break_even[0].month.has_value());
  EXPECT_NEAR(*r.break_even[0].month, be.months(), 0.01);
  EXPECT_NEAR(*r.break_even[0].month, 10.6, 0.05);
}

TEST(CompareTest, OutputsDoNotDependOnThreadsAndGrowthIsApplied) {
  // Growth 10 %/month over 3 months, every month simulated: the month-3 window has
  // 1.1^2 = 1.21 x the demand of month 1.
  const std::string path = testing::TempPath("growth-study.yaml");
  {
    std::ofstream f(path);
    f << "name: growth\nscenario: " << kData << "/fleet/fixed-pool.yaml\nmonths: 3\n"
      << "window: \"5 min\"\ngrowth: \"10 %\"\nplans: [{name: cloud}]\n";
  }
  const Study study = LoadStudy(path);
  const StudyResult one = RunStudy(study, 1), two = RunStudy(study, 2);
  EXPECT_EQ(StudyMonthsCsv(one), StudyMonthsCsv(two));
  EXPECT_EQ(StudyPlansCsv(one), StudyPlansCsv(two));
  const auto& m = one.plans[0].months;
  ASSERT_EQ(m.size(), 3u);
  EXPECT_NEAR(m[2].growth_factor, 1.21, 1e-12);
  // Poisson arrivals at 1.21 x the rate: within 15 % of 1.21 x month 1's count (300 arrivals
  // expected in 5 min; the draws differ).
  EXPECT_NEAR(m[2].arrived / m[0].arrived, 1.21, 0.15);
  std::filesystem::remove(path);
}

TEST(SizingTest, BoundsPruneAndTheBestIsTheCheapest) {
  const std::string path = kData + "/study/size-small.yaml";
  const SizingSpec spec = LoadSizing(path);
  ASSERT_EQ(spec.dims.size(), 2u);
  SizingOptions opt;
  opt.threads = 2;
  const SizingResult r = RunSizing(path, {}, spec, opt);
  ASSERT_EQ(r.candidates.size(), 16u);
  // TP 1: 69 B parameters x 2 bytes = 138 GB do not fit one 80 GB H100: pruned, never run.
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(r.candidates[i].verdict, "pruned");
    EXPECT_EQ(r.candidates[i].reason.rfind("memory", 0), 0u) << r.candidates[i].reason;
    EXPECT_FALSE(r.candidates[i].simulated);
  }
  // The cheapest feasible holds one 8-GPU p5 instance for 10 minutes: 8 x 6.88 / 6 = $9.1733.
  ASSERT_FALSE(r.best.empty());
  EXPECT_NEAR(r.candidates[r.best[0]].outcome.cost_usd, 8 * 6.88 / 6, 1e-6);
  // Exhaustive search on one thread finds the same best, in the same order.
  SizingOptions all;
  all.threads = 1;
  all.prune = false;
  const SizingResult e = RunSizing(path, {}, spec, all);
  EXPECT_EQ(e.best, r.best);
  EXPECT_GE(e.simulated, r.simulated);
}

TEST(SizingTest, CountArrivalsIsWhatTheRunSees) {
  // The SLO early stop relies on it: the streams drawn without simulating give exactly the
  // run's arrivals (Poisson at 2/s for 10 min: ~1,200).
  const Scenario sc =
      LoadScenario(kData + "/study/size-small.yaml",
                   {"services[0].replica.tensor_parallel=4", "services[0].replicas=2"});
  const ScenarioOutcome o = RunInProcess(sc);
  EXPECT_EQ(static_cast<double>(CountArrivals(sc)), o.arrived);
  EXPECT_NEAR(o.arrived, 1200, 4 * std::sqrt(1200.0));
}

TEST(SizingMpiTest, TwoRanksGiveTheOutputsOfOneProcess) {
#ifndef FLEETSIM_HAVE_MPI
  GTEST_SKIP() << "built without -DFLEETSIM_MPI=ON";
#else
  // `mpirun -np 2 fleetsim size` deals candidates and batch members round-robin to the ranks
  // and exchanges the results: candidates.csv and report.html must be byte-identical to one
  // process's. (Open MPI's own allocations are not ours: leak checking is off under mpirun.)
  const std::string one = testing::TempPath("size-one"), two = testing::TempPath("size-two");
  const std::string file = kData + "/study/size-small.yaml";
  auto a = testing::RunCli("size " + file + " --threads 1 -o " + one);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  const std::string cmd =
      "mpirun --allow-run-as-root --oversubscribe -x ASAN_OPTIONS=detect_leaks=0 -np 2 " +
      std::string(FLEETSIM_BINARY) + " size " + file + " --threads 1 -o " + two + " > " + two +
      ".out 2>&1";
  ASSERT_EQ(std::system(("ASAN_OPTIONS=detect_leaks=0 " + cmd).c_str()), 0) << cmd;
  auto slurp = [](const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  EXPECT_EQ(slurp(one + "/candidates.csv"), slurp(two + "/candidates.csv"));
  EXPECT_EQ(slurp(one + "/report.html"), slurp(two + "/report.html"));
  EXPECT_NE(slurp(two + ".out").find("x 2 MPI ranks"), std::string::npos) << slurp(two + ".out");
  std::filesystem::remove_all(one);
  std::filesystem::remove_all(two);
  std::filesystem::remove(two + ".out");
#endif
}

TEST(StudyCliTest, CompareTakesScenarioFilesAsPlans) {
  // Two scenarios as plans, named by their scenarios, over 3 months of 5-minute windows.
  // fixed-pool holds 2 p5 instances all the time: 16 x $6.88 x 730 h x 3 = $241,075.20.
  const std::string dir = testing::TempPath("compare-plans");
  auto r = testing::RunCli("compare --plan " + kData + "/fleet/fixed-pool.yaml --plan " + kData +
                           "/fleet/spike-autoscale.yaml --months 3 --window '5 min' -o " + dir);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(dir + "/plans.csv");
  std::string header, first;
  std::getline(in, header);
  std::getline(in, first);
  EXPECT_EQ(first.rfind("fixed-pool,241075.200000,", 0), 0u) << first;
  EXPECT_NE(r.out.find("spike-autoscale"), std::string::npos);
  // A study and --plan together, or neither: bad input.
  auto both = testing::RunCli("compare " + kData + "/study/steady.yaml --plan " + kData +
                              "/fleet/fixed-pool.yaml");
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.err.find("give a study file or --plan SCENARIO"), std::string::npos) << both.err;
  auto months = testing::RunCli("compare " + kData + "/study/steady.yaml --months 0");
  EXPECT_EQ(months.exit_code, 2);
  EXPECT_NE(months.err.find("--months must be between 1 and 600"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(StudyCliTest, CompareAndSizeWriteTheirOutputs) {
  const std::string dir = testing::TempPath("compare-out");
  auto c = testing::RunCli("compare " + kData + "/study/steady.yaml -o " + dir);
  ASSERT_EQ(c.exit_code, 0) << c.err;
  EXPECT_NE(c.out.find("owned has cost no more than cloud"), std::string::npos) << c.out;
  for (const char* f : {"plans.csv", "months.csv", "break_even.csv", "cumulative.svg",
                        "report.html", "plans.html"}) {
    EXPECT_TRUE(std::filesystem::exists(dir + "/" + f)) << f;
  }
  const std::string sdir = testing::TempPath("size-out");
  auto s = testing::RunCli("size " + kData + "/study/size-small.yaml --threads 2 -o " + sdir);
  ASSERT_EQ(s.exit_code, 0) << s.err;
  EXPECT_NE(s.out.find("best 3"), std::string::npos) << s.out;
  EXPECT_TRUE(std::filesystem::exists(sdir + "/candidates.csv"));
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(sdir);
}

}  // namespace
}  // namespace fleetsim

namespace fleetsim {
namespace {

const std::string kStudies = std::string(FLEETSIM_SOURCE_DIR) + "/scenarios/studies/";

const StudyPlanResult& Plan(const StudyResult& r, const std::string& name) {
  for (const auto& p : r.plans) {
    if (p.name == name) return p;
  }
  throw std::runtime_error("no plan " + name);
}

TEST(EssayStudyTest, S4TwoRtx3080TiVersusOneA100OverThreeYears) {
  // The essay: 2 x 350 W vs 300 W at 1/3 duty for 3 years: 6,132 vs 2,628 kWh, 3,504 kWh
  // apart (docs/validation.md V1). In the study the duty comes from the simulated demand
  // (busy 8 h a day, plus the drain and a trickle): each within 2 % of the essay's.
  const StudyResult r = RunStudy(LoadStudy(kStudies + "s4-rtx-vs-a100.yaml"), 2);
  const auto& rtx = Plan(r, "2x-rtx-3080-ti");
  const auto& a100 = Plan(r, "1x-a100-pcie");
  EXPECT_NEAR(rtx.energy_kwh, 6132, 0.02 * 6132);
  EXPECT_NEAR(a100.energy_kwh, 2628, 0.02 * 2628);
  EXPECT_NEAR(rtx.energy_kwh - a100.energy_kwh, 3504, 0.02 * 3504);
  // At $0.10/kWh and PUE 1 the energy bill differs by the difference x $0.10; the capex
  // ($2,398 vs $15,000, 3-year life, no residual) dominates both totals.
  EXPECT_NEAR(rtx.total_cash_usd - 2398, rtx.energy_kwh * 0.10, 1e-6 * rtx.total_cash_usd);
  EXPECT_NEAR(a100.total_cash_usd - 15000, a100.energy_kwh * 0.10, 1e-6 * a100.total_cash_usd);
  EXPECT_GE(rtx.slo_attainment, 0.99);
  EXPECT_FALSE(r.break_even[0].month.has_value());
}

// S5, cut down for a test: cloud on demand against owned with a team, without the growth (so
// one simulated window per plan stands for every month).
StudyResult CutS5(const std::string& file, std::optional<double> window_s) {
  Study s = LoadStudy(kStudies + file);
  std::vector<StudyPlan> keep;
  for (const auto& p : s.plans) {
    if (p.name == "cloud-on-demand" || p.name == "owned") keep.push_back(p);
  }
  s.plans = keep;
  s.growth_per_month = 0;
  if (window_s) {
    for (auto& p : s.plans) p.overrides.push_back("duration=" + std::to_string(*window_s) + " s");
  }
  return RunStudy(s, 2);
}

TEST(EssayStudyTest, S5OwningPaysOffOnlyWhenLargeAndSteady) {
  // Small and spiky: the owned servers are sized for the spike and idle most of the day, and
  // they carry the team: owned never catches up with renting within the 36 months.
  const StudyResult small = CutS5("s5-small-spiky.yaml", std::nullopt);
  ASSERT_EQ(small.break_even.size(), 1u);
  EXPECT_EQ(small.break_even[0].a, "owned");
  EXPECT_FALSE(small.break_even[0].month.has_value()) << small.break_even[0].text;
  EXPECT_GT(Plan(small, "owned").total_cash_usd, 2 * Plan(small, "cloud-on-demand").total_cash_usd);
  // Large and steady (a 10-minute window of a steady load): owned earns back its $4M of
  // servers and the team against on demand within the horizon (the full study, with growth:
  // month 16.3).
  const StudyResult large = CutS5("s5-large-steady.yaml", 600.0);
  ASSERT_EQ(large.break_even.size(), 1u);
  EXPECT_EQ(large.break_even[0].a, "owned");
  ASSERT_TRUE(large.break_even[0].month.has_value());
  EXPECT_GT(*large.break_even[0].month, 12);
  EXPECT_LT(*large.break_even[0].month, 24);
  // Requests still in flight at the end of a window count as missed: over 10 minutes at
  // 80/s, ~1 % of them (the full study's 2 h windows: 99.9 %).
  EXPECT_GE(Plan(large, "owned").slo_attainment, 0.98);
}

}  // namespace
}  // namespace fleetsim
