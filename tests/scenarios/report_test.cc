// report.html's planning and page assembly (scenarios/report/report_html.h); the page in a
// real browser is tested in report_browser_test.cc.
#include "scenarios/report/interval_latency.h"
#include "scenarios/report/report_html.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "sim/config/config_error.h"
#include "tests/temp_path.h"

namespace fleetsim {
namespace {

using Json = nlohmann::ordered_json;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

TimeSeriesTable Table(std::vector<std::string> columns, std::vector<std::vector<double>> values) {
  TimeSeriesTable t;
  t.columns = std::move(columns);
  t.values = std::move(values);
  return t;
}

const ReportChart* Find(const ReportPlan& plan, const std::string& title) {
  for (const auto& c : plan.charts) {
    if (c.title == title) return &c;
  }
  return nullptr;
}

const ReportSeries* FindSeries(const ReportChart& c, const std::string& label) {
  for (const auto& s : c.series) {
    if (s.label == label) return &s;
  }
  return nullptr;
}

size_t Count(const std::string& s, const std::string& part) {
  size_t n = 0;
  for (size_t p = s.find(part); p != std::string::npos; p = s.find(part, p + 1)) ++n;
  return n;
}

Json ChatSummary() {
  return Json::parse(R"({"schema": "fleetsim.summary/1", "scenario": "t", "seed": 1,
    "duration_s": 120, "status": "completed", "events": 10,
    "services": [{"name": "chat", "replicas": 3, "classes": [
       {"name": "interactive", "ttft_slo_s": 0.5}, {"name": "batch"}]}],
    "training_jobs": [], "pools": [{"name": "a", "cost_usd": 12.5}]})");
}

TEST(ReportCsvTest, ReadsColumnsAndMissingValues) {
  // Three columns, two rows; an empty field is a missing value (NaN), as TimeSeriesWriter
  // writes NaN.
  const std::string path = testing::TempPath("report_ts.csv");
  std::ofstream(path) << "time_s,a.x,a.y\n0.000000000,1,\n60.000000000,2.5,3\n";
  const TimeSeriesTable t = ReadTimeSeriesCsv(path);
  ASSERT_EQ(t.columns, (std::vector<std::string>{"time_s", "a.x", "a.y"}));
  ASSERT_EQ(t.rows(), 2u);
  EXPECT_EQ(t.values[0][1], 60.0);
  EXPECT_EQ(t.values[1][1], 2.5);
  EXPECT_TRUE(std::isnan(t.values[2][0]));
  std::remove(path.c_str());
}

TEST(ReportCsvTest, MalformedRowNamesFileAndLine) {
  // Line 3 has two fields where the header has three.
  const std::string path = testing::TempPath("report_bad.csv");
  std::ofstream(path) << "time_s,a.x,a.y\n0,1,2\n60,2\n";
  try {
    ReadTimeSeriesCsv(path);
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(path + ":3:"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(IntervalLatencyTest, PercentilesOfTheRequestsSinceThePreviousSample) {
  // Interval 1: ten TTFTs of 100 ms, no TPOT, ten end-to-end latencies: nine of 1 s and one
  // of 3 s. TTFT p50 = p90 = p99 = 100 ms (within the 1 % bucket, never below), TPOT empty;
  // E2E p50 = p90 = 1 s (the 5th and 9th smallest), p99 = 3 s (the 10th: ceil(0.99 x 10)).
  // Interval 2: ten TTFTs of 2 s: 2 s, although the cumulative p50 is still 100 ms.
  // Interval 3: nothing completed: all empty.
  LatencyStats s;
  IntervalLatencyColumns cols;
  std::vector<std::string> names;
  IntervalLatencyColumns::AppendNames("chat", names);
  EXPECT_EQ(names,
            (std::vector<std::string>{"chat.ttft_p50_s", "chat.ttft_p90_s", "chat.ttft_p99_s",
                                      "chat.tpot_p50_s", "chat.tpot_p90_s", "chat.tpot_p99_s",
                                      "chat.e2e_p50_s", "chat.e2e_p90_s", "chat.e2e_p99_s"}));
  names.clear();
  IntervalLatencyColumns::AppendNames("chat.batch", names);  // a class of service chat
  EXPECT_EQ(names.front(), "chat.batch.ttft_p50_s");
  EXPECT_EQ(names.back(), "chat.batch.e2e_p99_s");
  std::vector<double> row(11, -1);
  for (int i = 0; i < 10; ++i) s.ttft_s.Add(0.1);
  for (int i = 0; i < 9; ++i) s.e2e_s.Add(1.0);
  s.e2e_s.Add(3.0);
  EXPECT_EQ(cols.Sample(s, row, 1), 10u);
  EXPECT_EQ(row[0], -1);   // untouched
  EXPECT_EQ(row[10], -1);  // untouched
  for (int i = 1; i <= 3; ++i) {
    EXPECT_GE(row[i], 0.1);
    EXPECT_NEAR(row[i], 0.1, 0.001);
  }
  for (int i = 4; i <= 6; ++i) EXPECT_TRUE(std::isnan(row[i]));
  EXPECT_NEAR(row[7], 1.0, 0.01);
  EXPECT_GE(row[7], 1.0);
  EXPECT_NEAR(row[8], 1.0, 0.01);
  EXPECT_DOUBLE_EQ(row[9], 3.0);  // clamped to the exact maximum
  for (int i = 0; i < 10; ++i) s.ttft_s.Add(2.0);
  cols.Sample(s, row, 1);
  EXPECT_DOUBLE_EQ(row[1], 2.0);  // clamped to the exact maximum, which rose
  EXPECT_DOUBLE_EQ(row[3], 2.0);
  EXPECT_TRUE(std::isnan(row[7]));  // no end-to-end latency in this interval
  EXPECT_NEAR(s.ttft_s.Quantile(0.5), 0.1, 0.001);
  cols.Sample(s, row, 1);
  for (int i = 1; i <= 9; ++i) EXPECT_TRUE(std::isnan(row[i]));
}

TEST(ReportPlanTest, DemandIsARateWithReplicasOnTheRightAxis) {
  // arrived 0, 60, 180 at t = 0, 60, 120 s: the rate is undefined at the first row, then
  // 60 / 60 = 1/s and 120 / 60 = 2/s. No replicas column: the summary's 3 replicas are drawn
  // as a constant on the right axis. rejected is always 0: left out.
  const auto t = Table({"time_s", "chat.arrived", "chat.completed", "chat.rejected"},
                       {{0, 60, 120}, {0, 60, 180}, {0, 30, 150}, {0, 0, 0}});
  const ReportPlan plan = PlanRunReport(ChatSummary(), t);
  const ReportChart* c = Find(plan, "chat: demand, capacity and replicas");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->unit, "requests/s");
  EXPECT_EQ(c->unit_right, "replicas");
  const ReportSeries* a = FindSeries(*c, "arrivals");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(std::isnan(a->values[0]));
  EXPECT_DOUBLE_EQ(a->values[1], 1.0);
  EXPECT_DOUBLE_EQ(a->values[2], 2.0);
  EXPECT_EQ(FindSeries(*c, "rejections"), nullptr);
  const ReportSeries* r = FindSeries(*c, "replicas (configured)");
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->right_axis);
  EXPECT_EQ(r->values, (std::vector<double>{3, 3, 3}));
}

TEST(ReportPlanTest, ColumnsPickTheirCharts) {
  // A replicas column replaces the configured constant; ttft_p99_s gets the interactive
  // class's 0.5 s SLO as a reference line; cost_usd and gpu_utilization go to the run-wide
  // charts; a column no rule knows (widgets) still gets a chart; an all-NaN column gets none.
  const auto t =
      Table({"time_s", "chat.arrived", "chat.replicas", "chat.ttft_p99_s", "pool-a.cost_usd",
             "pool-a.gpu_utilization", "pool-a.widgets", "pool-a.nothing"},
            {{0, 60}, {0, 6}, {3, 4}, {kNaN, 0.7}, {0, 2.5}, {0, 0.5}, {1, 2}, {kNaN, kNaN}});
  const ReportPlan plan = PlanRunReport(ChatSummary(), t);
  const ReportChart* demand = Find(plan, "chat: demand, capacity and replicas");
  ASSERT_NE(demand, nullptr);
  ASSERT_NE(FindSeries(*demand, "replicas"), nullptr);
  EXPECT_EQ(FindSeries(*demand, "replicas (configured)"), nullptr);
  const ReportChart* ttft = Find(plan, "chat: TTFT over time");
  ASSERT_NE(ttft, nullptr);
  ASSERT_EQ(ttft->refs.size(), 1u);
  EXPECT_EQ(ttft->refs[0].label, "interactive TTFT SLO");
  EXPECT_EQ(ttft->refs[0].value, 0.5);
  EXPECT_NE(FindSeries(*ttft, "p99"), nullptr);
  const ReportChart* cost = Find(plan, "cost over time (cumulative)");
  ASSERT_NE(cost, nullptr);
  EXPECT_EQ(cost->unit, "USD");
  const ReportChart* util = Find(plan, "utilisation (GPU, KV cache, links)");
  ASSERT_NE(util, nullptr);
  EXPECT_EQ(util->unit, "fraction");
  EXPECT_NE(Find(plan, "other columns: widgets"), nullptr);
  EXPECT_EQ(Find(plan, "other columns: nothing"), nullptr);
  // Every chart has a unique id.
  std::set<std::string> ids;
  for (const auto& c : plan.charts) EXPECT_TRUE(ids.insert(c.id).second) << c.id;
}

TEST(ReportPlanTest, PoolGpusAndEnergy) {
  // Pool a holds 8 GPUs, 2 then 6 busy: utilisation 2 / 8 = 0.25 then 6 / 8 = 0.75, drawn
  // with the utilisation fractions. it_energy_j reaches 3.6e6 J = 1 kWh. Both GPU counts
  // share the GPUs chart.
  const auto t = Table({"time_s", "pool.a.gpus_held", "pool.a.gpus_busy", "pool.a.it_energy_j"},
                       {{0, 60}, {8, 8}, {2, 6}, {0, 3.6e6}});
  const ReportPlan plan = PlanRunReport(ChatSummary(), t);
  const ReportChart* util = Find(plan, "utilisation (GPU, KV cache, links)");
  ASSERT_NE(util, nullptr);
  const ReportSeries* busy = FindSeries(*util, "pool.a: GPUs busy / held");
  ASSERT_NE(busy, nullptr);
  EXPECT_EQ(busy->values, (std::vector<double>{0.25, 0.75}));
  const ReportChart* gpus = Find(plan, "GPUs");
  ASSERT_NE(gpus, nullptr);
  EXPECT_EQ(gpus->series.size(), 2u);
  const ReportChart* energy = Find(plan, "energy (cumulative)");
  ASSERT_NE(energy, nullptr);
  ASSERT_EQ(energy->series.size(), 1u);
  EXPECT_DOUBLE_EQ(energy->series[0].values[1], 1.0);
  EXPECT_EQ(energy->unit, "kWh");
  // No power column: power is the energy's change, 3.6e6 J in 60 s = 60,000 W.
  const ReportChart* power = Find(plan, "power (change of cumulative energy)");
  ASSERT_NE(power, nullptr);
  EXPECT_DOUBLE_EQ(power->series[0].values[1], 60000.0);
}

TEST(ReportPlanTest, CostRateFromCumulativeCost) {
  // cost_usd 0, 1, 3 at 0, 1 h, 2 h and no cost-rate column: the rate chart shows the
  // change per hour, undefined at the first row, then 1 and 2 USD/h.
  const auto t = Table({"time_s", "cost_usd"}, {{0, 3600, 7200}, {0, 1, 3}});
  const ReportPlan plan = PlanRunReport(ChatSummary(), t);
  ASSERT_NE(Find(plan, "cost over time (cumulative)"), nullptr);
  const ReportChart* rate = Find(plan, "cost rate (change of cumulative cost)");
  ASSERT_NE(rate, nullptr);
  EXPECT_EQ(rate->unit, "USD/h");
  EXPECT_TRUE(std::isnan(rate->series[0].values[0]));
  EXPECT_DOUBLE_EQ(rate->series[0].values[1], 1.0);
  EXPECT_DOUBLE_EQ(rate->series[0].values[2], 2.0);
}

TEST(ReportPlanTest, AttainmentIsNotUtilisation) {
  // `fleetsim compare` writes plan.slo_attainment_fraction: an SLO attainment, drawn apart
  // from the utilisation fractions.
  const auto t = Table({"time_s", "plan.slo_attainment_fraction", "chat.kv_used_fraction"},
                       {{0, 60}, {0.9, 1}, {0.1, 0.2}});
  const ReportPlan plan = PlanRunReport(ChatSummary(), t);
  const ReportChart* slo = Find(plan, "SLO attainment");
  ASSERT_NE(slo, nullptr);
  ASSERT_EQ(slo->series.size(), 1u);
  EXPECT_EQ(slo->series[0].column, "plan.slo_attainment_fraction");
  const ReportChart* util = Find(plan, "utilisation (GPU, KV cache, links)");
  ASSERT_NE(util, nullptr);
  ASSERT_EQ(util->series.size(), 1u);
  EXPECT_EQ(util->series[0].column, "chat.kv_used_fraction");
}

TEST(ReportPlanTest, ClassLatencyJoinsItsServiceCharts) {
  // chat.interactive.ttft_p99_s and chat.batch.ttft_p99_s are the p99 of chat's two classes:
  // one line each in chat's TTFT chart ("interactive p99", "batch p99") beside the overall
  // p99, and no run-wide TTFT chart (that one is for prefixes that are not services).
  const auto t = Table({"time_s", "chat.ttft_p99_s", "chat.interactive.ttft_p50_s",
                        "chat.interactive.ttft_p99_s", "chat.batch.ttft_p99_s"},
                       {{0, 60}, {kNaN, 0.7}, {kNaN, 0.2}, {kNaN, 0.4}, {kNaN, 0.9}});
  const ReportPlan plan = PlanRunReport(ChatSummary(), t);
  const ReportChart* ttft = Find(plan, "chat: TTFT over time");
  ASSERT_NE(ttft, nullptr);
  ASSERT_EQ(ttft->series.size(), 3u);
  EXPECT_NE(FindSeries(*ttft, "p99"), nullptr);
  EXPECT_NE(FindSeries(*ttft, "interactive p99"), nullptr);
  EXPECT_NE(FindSeries(*ttft, "batch p99"), nullptr);
  EXPECT_EQ(Find(plan, "TTFT over time"), nullptr);
}

TEST(ReportPlanTest, LatencyOfNonServicesSharesOneChart) {
  // `fleetsim compare` writes cloud.ttft_p99_s and owned.ttft_p99_s for plans, not services:
  // one TTFT chart with both, labelled by column; no per-plan charts. Its report_title
  // replaces "fleetsim run: ...".
  Json s = Json::parse(R"({"report_title": "fleetsim compare: steady", "duration_s": 60})");
  const auto t = Table({"time_s", "cloud.ttft_p99_s", "owned.ttft_p99_s"},
                       {{0, 60}, {kNaN, 0.04}, {kNaN, 0.05}});
  const ReportPlan plan = PlanRunReport(s, t);
  const ReportChart* c = Find(plan, "TTFT over time");
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->series.size(), 2u);
  EXPECT_EQ(c->series[1].label, "owned.ttft_p99_s");
  EXPECT_EQ(Find(plan, "cloud: TTFT over time"), nullptr);
  const std::string html = RunReportHtml(s, t);
  EXPECT_NE(html.find("<h1>fleetsim compare: steady</h1>"), std::string::npos);
  EXPECT_EQ(html.find("fleetsim run:"), std::string::npos);
}

TEST(ReportPlanTest, LongSeriesAreReduced) {
  // 3,001 rows (t = 0 .. 3000 s): ceil(3001 / 1500) = 3 rows per point, 1,001 points. A
  // gauge at point k is the mean of rows 3k .. 3k+2 (values 3k .. 3k+2): 3k + 1. The time of
  // a point is its last row's. Latencies take the maximum: 3k + 2.
  std::vector<double> time, gauge;
  for (int i = 0; i <= 3000; ++i) {
    time.push_back(i);
    gauge.push_back(i);
  }
  const auto t = Table({"time_s", "s.waiting", "s.ttft_p50_s"}, {time, gauge, gauge});
  const ReportPlan plan = PlanRunReport(ChatSummary(), t);
  EXPECT_EQ(plan.rows_per_point, 3u);
  ASSERT_EQ(plan.time_s.size(), 1001u);
  EXPECT_EQ(plan.time_s[1], 5.0);
  const ReportChart* q = Find(plan, "s: queue and batch");
  ASSERT_NE(q, nullptr);
  EXPECT_DOUBLE_EQ(q->series[0].values[1], 4.0);
  const ReportChart* l = Find(plan, "TTFT over time");  // s is not a service: shared chart
  ASSERT_NE(l, nullptr);
  EXPECT_DOUBLE_EQ(l->series[0].values[1], 5.0);
  // The last point holds row 3000 alone.
  EXPECT_DOUBLE_EQ(q->series[0].values[1000], 3000.0);
}

TEST(ReportPlanTest, TrainingIterationBreakdown) {
  // The iteration's parts become one bar's segments, in the documented order; the total
  // dp_comm_total_s (overlapped, not a part) is left out.
  Json s = ChatSummary();
  s["training_jobs"] = Json::parse(R"([{"name": "j", "iteration": {"seconds": 10,
      "compute_s": 6, "tp_comm_s": 1, "pipeline_bubble_s": 1, "pp_comm_exposed_s": 0.5,
      "dp_comm_exposed_s": 1, "dp_comm_total_s": 3, "optimizer_s": 0.5}}])");
  const ReportPlan plan = PlanRunReport(s, Table({"time_s"}, {{0, 60}}));
  const ReportChart* c = Find(plan, "training: breakdown of one iteration");
  ASSERT_NE(c, nullptr);
  ASSERT_EQ(c->bars.size(), 1u);
  ASSERT_EQ(c->bars[0].segments.size(), 6u);
  double sum = 0;
  for (const auto& [name, v] : c->bars[0].segments) sum += v;
  EXPECT_DOUBLE_EQ(sum, 10.0);
  EXPECT_EQ(c->bars[0].segments[0].first, "compute");
}

TEST(ReportPageTest, SelfContainedAndDeterministic) {
  // Nothing to fetch: no src/href attributes, no stylesheet links, no CSS url(); a policy
  // forbids loading anything. A scenario name that closes a script element cannot break out
  // of the data island: the page has exactly its two </script> tags.
  Json s = ChatSummary();
  s["scenario"] = "x</script><script>alert(1)</script>";
  const auto t = Table({"time_s", "chat.arrived"}, {{0, 60}, {0, 6}});
  const std::string html = RunReportHtml(s, t);
  EXPECT_EQ(Count(html, "src="), 0u);
  EXPECT_EQ(Count(html, "href="), 0u);
  EXPECT_EQ(Count(html, "<link"), 0u);
  EXPECT_EQ(Count(html, "url("), 0u);
  EXPECT_EQ(Count(html, "default-src 'none'"), 1u);
  EXPECT_EQ(Count(html, "</script>"), 2u);
  EXPECT_EQ(html, RunReportHtml(s, t));
  // Unknown summary keys are listed, flattened: pools[a].cost_usd.
  EXPECT_NE(html.find("pools[a].cost_usd"), std::string::npos);
}

TEST(ReportPageTest, StalledRunShowsItsStallReport) {
  // A stalled run: the status is flagged and the stall report shown, HTML-escaped.
  Json s = ChatSummary();
  s["status"] = "stalled";
  s["stall_report"] = "job <j> waits for 8 GPUs & none free";
  const std::string html = RunReportHtml(s, Table({"time_s", "chat.arrived"}, {{0, 60}, {0, 6}}));
  EXPECT_NE(html.find("<b class=\"warn\">stalled</b>"), std::string::npos);
  EXPECT_NE(html.find("job &lt;j&gt; waits for 8 GPUs &amp; none free"), std::string::npos);
}

TEST(ReportPageTest, PolicyComparisonRoundTripsThroughPoliciesCsv) {
  // policies.csv as bench-policies writes it (a quoted label, a missing interval): the page
  // regenerated from it has one chart per metric, with the known metric's title.
  const std::string dir = testing::TempPath("report_policies");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/policies.csv")
      << "policy,seeds,jct_mean_h_mean,jct_mean_h_ci95,new_metric_mean,new_metric_ci95\n"
         "fifo,2,1.5,0.25,3,\n\"a,b\",2,2,0.5,4,1\n";
  const PolicyComparison c = ReadPolicyComparison(dir, "study");
  ASSERT_EQ(c.labels, (std::vector<std::string>{"fifo", "a,b"}));
  ASSERT_EQ(c.metrics.size(), 2u);
  EXPECT_EQ(c.metrics[0].title, "JCT mean");
  EXPECT_EQ(c.metrics[0].unit, "h");
  EXPECT_EQ(c.metrics[1].title, "new_metric");
  EXPECT_TRUE(std::isnan(c.metrics[1].ci95[0]));
  EXPECT_EQ(c.metrics[1].mean[1], 4.0);
  EXPECT_EQ(RegenerateReport(dir), dir + "/report.html");
  std::ifstream in(dir + "/report.html");
  const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(Count(html, "\"kind\":\"policy-bars\""), 2u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fleetsim
