// Counters in trace.json (docs/outputs.md): per-service latency percentiles and per-pool
// cost rate, checked by parsing the trace of a real run against its other outputs.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "models/network/network_model.h"
#include "scenarios/report/link_counters.h"
#include "scenarios/report/report_html.h"
#include "sim/simulator.h"
#include "sim/trace/trace_writer.h"
#include "tests/models/network_test_fabric.h"
#include "tests/scenarios/run_cli.h"
#include "tests/temp_path.h"

namespace fleetsim {
namespace {

using testing::RunCli;
using testing::ShellQuote;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// (process name, counter name) -> [(time s, value)] in file order.
using Counters =
    std::map<std::pair<std::string, std::string>, std::vector<std::pair<double, double>>>;

Counters ReadCounters(const nlohmann::json& trace) {
  std::map<int, std::string> process;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] == "M" && e["name"] == "process_name") {
      process[e["pid"].get<int>()] = e["args"]["name"].get<std::string>();
    }
  }
  Counters c;
  for (const auto& e : trace["traceEvents"]) {
    if (e["ph"] != "C") continue;
    c[{process[e["pid"].get<int>()], e["name"].get<std::string>()}].emplace_back(
        e["ts"].get<double>() * 1e-6, e["args"]["value"].get<double>());
  }
  return c;
}

TEST(TraceCountersTest, PoolCostRateAndServiceLatencyPercentiles) {
  // tests/data/fleet/fixed-pool.yaml: 4 replicas x TP 4 = 16 H100 = 2 p5 instances of 8, on
  // demand at $6.88 per GPU-hour, for 1 h, sampled every minute (61 samples).
  const std::string out = testing::TempPath("trace_counters");
  const auto r =
      RunCli("run " + ShellQuote(std::string(FLEETSIM_TEST_DATA_DIR) + "/fleet/fixed-pool.yaml") +
             " --set outputs.trace=true --quiet -o " + ShellQuote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto trace = nlohmann::json::parse(Read(out + "/trace.json"));
  const Counters c = ReadCounters(trace);
  const TimeSeriesTable ts = ReadTimeSeriesCsv(out + "/timeseries.csv");
  ASSERT_EQ(ts.rows(), 61u);

  // Cost rate: one value per interval (60), written at the interval's start. While the
  // instances run, 2 x 8 x $6.88 = $110.08 per hour. Whatever the billing does at the
  // start, the rates integrate to the cost: cost at t = 0 + sum(rate x 1 min) = final cost.
  const auto& rate = c.at({"pool p5", "cost rate usd/h"});
  const auto& cost = c.at({"pool p5", "cost usd"});
  ASSERT_EQ(rate.size(), 60u);
  ASSERT_EQ(cost.size(), 61u);
  double integral = cost.front().second;
  for (size_t i = 0; i < rate.size(); ++i) {
    EXPECT_DOUBLE_EQ(rate[i].first, 60.0 * static_cast<double>(i));
    integral += rate[i].second / 60.0;
    if (i > 0) EXPECT_NEAR(rate[i].second, 110.08, 1e-6) << "interval " << i;
  }
  EXPECT_NEAR(integral, cost.back().second, 1e-6);
  EXPECT_NEAR(cost.back().second, 110.08, 1e-6);
  // A cloud offer without a power figure draws no energy: no power counter.
  EXPECT_EQ(c.count({"pool p5", "power w"}), 0u);

  // Latency percentiles: at the start of every interval with completions (1 request/s, so
  // all 60), the same value as the time-series row that closes the interval (CSV: 12
  // significant digits), and p99 >= p50.
  size_t col_p50 = 0, col_p99 = 0;
  for (size_t i = 0; i < ts.columns.size(); ++i) {
    if (ts.columns[i] == "chat.ttft_p50_s") col_p50 = i;
    if (ts.columns[i] == "chat.ttft_p99_s") col_p99 = i;
  }
  ASSERT_GT(col_p50, 0u);
  ASSERT_GT(col_p99, 0u);
  const auto& p50 = c.at({"service chat", "ttft p50 s"});
  const auto& p99 = c.at({"service chat", "ttft p99 s"});
  ASSERT_EQ(p50.size(), 60u);
  ASSERT_EQ(p99.size(), 60u);
  for (size_t i = 0; i < p99.size(); ++i) {
    EXPECT_DOUBLE_EQ(p99[i].first, 60.0 * static_cast<double>(i));
    EXPECT_GE(p99[i].second, p50[i].second);
    EXPECT_GT(p50[i].second, 0.0);
    EXPECT_NEAR(p99[i].second, ts.values[col_p99][i + 1], 1e-9 * p99[i].second);
    EXPECT_NEAR(p50[i].second, ts.values[col_p50][i + 1], 1e-9 * p50[i].second);
  }
  EXPECT_EQ(c.at({"service chat", "tpot p99 s"}).size(), 60u);
}

TEST(TraceCountersTest, LinkUtilisationPerIntervalWithAFewLinksShown) {
  // a -> b at 100 B/s, b -> c at 50 B/s, c -> a unused. One 100-byte flow a -> b -> c from
  // t = 0 runs at min(100, 50) = 50 B/s and ends at 2 s. Samples at 0, 1, 2, 3 s; each value
  // is written at its interval's start:
  //   [0, 1) and [1, 2): a->b 50 / 100 = 0.5, b->c 50 / 50 = 1: max 1, 2 busy links,
  //                      mean 0.75;
  //   [2, 3): nothing moves: 0, 0, 0.
  // With max_links = 1 only the busiest of the first links to carry traffic (b -> c) gets
  // its own counter.
  testing::TestFabric f;
  const auto n = f.AddNodes(3);
  const LinkId ab = f.AddLink(n[0], n[1], 100);
  const LinkId bc = f.AddLink(n[1], n[2], 50);
  f.AddLink(n[2], n[0], 100);
  const Route route = f.MakeRoute({ab, bc});
  const std::string path = testing::TempPath("link_counters.json");
  {
    Simulator sim;
    NetworkModel net(sim, f);
    TraceWriter trace(path);
    LinkTraceCounters links(
        trace, net, f, [](NodeId id) { return std::string(1, static_cast<char>('a' + id)); }, 1);
    net.StartFlow(route, 100, [] {});
    for (int t = 0; t <= 3; ++t) {
      sim.At(
          SimTime::Zero() + Duration::Seconds(t), [&] { links.Sample(sim.Now()); }, kPhaseLast);
    }
    sim.Run(SimTime::Zero() + Duration::Seconds(4));
    trace.Close();
  }
  const Counters c = ReadCounters(nlohmann::json::parse(Read(path)));
  using Points = std::vector<std::pair<double, double>>;
  EXPECT_EQ(c.at({"links", "max utilisation"}), (Points{{0, 1.0}, {1, 1.0}, {2, 0.0}}));
  EXPECT_EQ(c.at({"links", "busy links"}), (Points{{0, 2}, {1, 2}, {2, 0}}));
  EXPECT_EQ(c.at({"links", "mean utilisation, busy links"}),
            (Points{{0, 0.75}, {1, 0.75}, {2, 0.0}}));
  EXPECT_EQ(c.at({"links", "b -> c"}), (Points{{0, 1.0}, {1, 1.0}, {2, 0.0}}));
  EXPECT_EQ(c.count({"links", "a -> b"}), 0u);
  std::remove(path.c_str());
}

TEST(TraceCountersTest, RunOfTrainingOnATopologyHasLinkCounters) {
  // scenarios/two-jobs-shared-uplinks.yaml: two jobs' traffic runs as flows on the topology
  // (5-min samples over 2 h, jobs done at ~62 min). Utilisation is a fraction of capacity
  // (max-min rates never exceed it); links are busy while the jobs run and idle after; at
  // most 64 links get their own counter, the first being the busiest of the first interval,
  // so its first value is the first "max utilisation".
  const std::string out = testing::TempPath("trace_links");
  const auto r = RunCli(
      "run " +
      ShellQuote(std::string(FLEETSIM_SOURCE_DIR) + "/scenarios/two-jobs-shared-uplinks.yaml") +
      " --quiet -o " + ShellQuote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto trace = nlohmann::json::parse(Read(out + "/trace.json"));
  const Counters c = ReadCounters(trace);
  const auto& max = c.at({"links", "max utilisation"});
  const auto& busy = c.at({"links", "busy links"});
  ASSERT_EQ(max.size(), 24u);  // 2 h / 5 min
  for (const auto& [t, v] : max) {
    EXPECT_GE(v, 0.0);
    EXPECT_LE(v, 1.0 + 1e-9) << "at " << t << " s";
  }
  EXPECT_GT(busy.front().second, 0.0);
  EXPECT_EQ(busy.back().second, 0.0);
  size_t per_link = 0;
  for (const auto& [key, points] : c) {
    if (key.first == "links" && key.second.find(" -> ") != std::string::npos) ++per_link;
  }
  EXPECT_GT(per_link, 0u);
  EXPECT_LE(per_link, 64u);
  // The first per-link counter in the file.
  std::string first;
  for (const auto& e : trace["traceEvents"]) {
    const std::string name = e.value("name", "");
    if (e["ph"] == "C" && name.find(" -> ") != std::string::npos) {
      first = name;
      break;
    }
  }
  ASSERT_FALSE(first.empty());
  EXPECT_DOUBLE_EQ(c.at({"links", first}).front().second, max.front().second) << first;
  std::filesystem::remove_all(out);
}

}  // namespace
}  // namespace fleetsim
