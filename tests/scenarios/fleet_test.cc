// Pools, billing and autoscaling in runs (scenarios/service_fleet.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "models/pricing/spot.h"
#include "scenarios/report/report_html.h"
#include "scenarios/service_fleet.h"
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

std::string Data(const char* name) { return std::string(FLEETSIM_TEST_DATA_DIR) + "/" + name; }

SimTime At(double s) { return SimTime::Zero() + Duration::FromSeconds(s); }

TEST(PoolLedgerTest, CloudInstancesAreSharedSplitCappedAndReleased) {
  // 8 GPUs per instance at $1 per GPU-hour, per-second billing, 300 s start-up, at most 2
  // instances, more capacity 3,600 s after asking.
  PricedPool spec;
  spec.name = "p";
  spec.cloud = true;
  spec.gpus_per_unit = 8;
  spec.max_units = 2;
  spec.cloud_pool.name = "p";
  spec.cloud_pool.gpus_per_instance = 8;
  spec.cloud_pool.usd_per_gpu_s = 1.0 / 3600;
  spec.cloud_pool.on_demand_usd_per_gpu_s = 1.0 / 3600;
  spec.cloud_pool.startup_s = 300;
  spec.cloud_pool.max_instances = 2;
  spec.cloud_pool.capacity_lead_time_s = 3600;
  CostModel costs;
  const auto id = costs.AddCloudPool(spec.cloud_pool);
  PoolLedger pool(spec, costs, id);

  const auto a1 = pool.AcquireWarm(4, At(0));  // instance A, usable at once
  ASSERT_TRUE(a1);
  EXPECT_EQ(pool.units(), 1);
  // 4 more fit on A: usable now.
  const auto a2 = pool.Acquire(4, At(100));
  ASSERT_TRUE(a2);
  EXPECT_EQ(a2->ready, At(100));
  // 4 more need instance B: usable after its 300 s start-up.
  const auto b1 = pool.Acquire(4, At(200));
  ASSERT_TRUE(b1);
  EXPECT_EQ(b1->ready, At(500));
  EXPECT_EQ(pool.units(), 2);
  // 8 GPUs need a whole empty instance (B has only 4 free, and an 8-GPU group stays on one
  // instance): a third one is over the cap of 2. The ledger asks for capacity.
  EXPECT_FALSE(pool.Acquire(8, At(300)));
  EXPECT_EQ(pool.shortfalls(), 1);
  // The raise is usable from 300 + 3,600 = 3,900 s: at 4,000 s instance C starts.
  const auto c1 = pool.Acquire(8, At(4000));
  ASSERT_TRUE(c1);
  EXPECT_EQ(c1->ready, At(4300));
  EXPECT_EQ(pool.gpus_held(), 20);
  // Releasing C's 8 GPUs frees C, which is released.
  pool.Release(*c1, At(5000));
  EXPECT_EQ(pool.units(), 2);
  // Billed GPU-seconds at 5,000 s: A 5,000 + B 4,800 + C 1,000 = 10,800 instance-seconds
  // x 8 GPUs = 86,400 GPU-s = 24 GPU-hours at $1.
  EXPECT_NEAR(costs.Total(At(5000)).total_usd(), 24.0, 1e-9);
  // A keeps running while one of its two claims holds GPUs; then it goes, B stays.
  pool.Release(*a1, At(5000));
  EXPECT_EQ(pool.units(), 2);
  pool.Release(*a2, At(5000));
  EXPECT_EQ(pool.units(), 1);
  EXPECT_EQ(pool.gpus_held(), 4);
}

TEST(PoolLedgerTest, ANeverLeadTimeMakesTheCapHard) {
  // A 1-year commitment of 2 instances capped at 2 with capacity_lead_time never: a third
  // instance is refused now and later (the pool asks for no capacity), and both instances
  // are covered by the commitment (no on-demand charge).
  PricedPool spec;
  spec.name = "c";
  spec.cloud = true;
  spec.gpus_per_unit = 8;
  spec.max_units = 2;
  spec.cloud_pool.name = "c";
  spec.cloud_pool.gpus_per_instance = 8;
  spec.cloud_pool.plan = CloudPlan::kCommitted1y;
  spec.cloud_pool.committed_instances = 2;
  spec.cloud_pool.usd_per_gpu_s = 2.0 / 3600;
  spec.cloud_pool.on_demand_usd_per_gpu_s = 3.0 / 3600;
  spec.cloud_pool.max_instances = 2;
  spec.cloud_pool.capacity_lead_time_s = std::numeric_limits<double>::infinity();
  CostModel costs;
  PoolLedger pool(spec, costs, costs.AddCloudPool(spec.cloud_pool));
  ASSERT_TRUE(pool.AcquireWarm(8, At(0)));
  ASSERT_TRUE(pool.AcquireWarm(8, At(0)));
  EXPECT_FALSE(pool.Acquire(8, At(10)));
  EXPECT_FALSE(pool.Acquire(8, At(100000)));
  EXPECT_EQ(pool.shortfalls(), 2);
  // 1 h: the commitment, 2 x 8 GPUs x $2 = $32, and nothing on demand.
  const CostBreakdown c = costs.Total(At(3600));
  EXPECT_NEAR(c.cloud_committed_usd, 32.0, 1e-9);
  EXPECT_EQ(c.cloud_on_demand_usd, 0.0);
}

TEST(PoolLedgerTest, OwnedPoolsHoldTheirServersAndRefuseMore) {
  // 2 servers of 8 GPUs: 16 GPUs, usable at once.
  PricedPool spec;
  spec.name = "dc";
  spec.cloud = false;
  spec.gpus_per_unit = 8;
  spec.max_units = 2;
  spec.owned_pool.name = "dc";
  spec.owned_pool.servers = 2;
  spec.owned_pool.gpus_per_server = 8;
  CostModel costs;
  PoolLedger pool(spec, costs, costs.AddOwnedPool(spec.owned_pool));
  // Two 8-GPU claims take one server each; a 17th GPU has no room.
  ASSERT_TRUE(pool.Acquire(8, At(10)));
  const auto second = pool.Acquire(8, At(10));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->ready, At(10));
  EXPECT_FALSE(pool.Acquire(1, At(10)));
  EXPECT_EQ(pool.units(), 2);
}

// Records what a spot pool tells a claim's holder.
struct SpotRecorder final : ClaimHolder {
  Simulator* sim = nullptr;
  std::vector<std::pair<uint64_t, double>> notices;  // (claim, reclaim time s)
  std::vector<std::pair<uint64_t, double>> lost;     // (claim, when)
  std::vector<double> available;                     // when
  void OnSpotNotice(const PoolLedger&, uint64_t id, SimTime reclaim) override {
    notices.emplace_back(id, reclaim.seconds());
  }
  void OnClaimLost(const PoolLedger&, uint64_t id) override {
    lost.emplace_back(id, sim->Now().seconds());
  }
  void OnPoolAvailable() override { available.push_back(sim->Now().seconds()); }
};

TEST(PoolLedgerTest, ASpotInterruptionTakesBackItsInstancesAndStopsTheirBilling) {
  // A spot pool of 8-GPU instances at $1 per GPU-hour, per-second billing; interruptions hit
  // every instance (gang 100 %) with a 120 s notice. Two 8-GPU claims at t = 0 hold two
  // instances. The process draws from the run's stream "spot/s", so the same stream here
  // gives the first interruption i (notice, reclaim, return of capacity).
  PricedPool spec;
  spec.name = "s";
  spec.cloud = true;
  spec.gpus_per_unit = 8;
  spec.cloud_pool.name = "s";
  spec.cloud_pool.gpus_per_instance = 8;
  spec.cloud_pool.plan = CloudPlan::kSpot;
  spec.cloud_pool.usd_per_gpu_s = 1.0 / 3600;
  spec.cloud_pool.on_demand_usd_per_gpu_s = 3.0 / 3600;
  spec.cloud_pool.spot = {120, 3 * 3600.0, 1.0, 1800, 1.0};
  const SpotInterruption i =
      SpotAvailability::ForPool(spec.cloud_pool.spot, RngStreams(5, 0), "s").Peek();
  ASSERT_GT(i.notice_s, 0);
  Simulator sim(5, 0);
  CostModel costs;
  PoolLedger pool(spec, costs, costs.AddCloudPool(spec.cloud_pool));
  SpotRecorder rec;
  rec.sim = &sim;
  pool.Listen(&rec);
  pool.StartSpot(sim);
  const auto a = pool.AcquireWarm(8, sim.Now(), &rec);
  const auto b = pool.AcquireWarm(8, sim.Now(), &rec);
  ASSERT_TRUE(a && b);
  const SimTime notice = SimTime::Zero() + Duration::FromSeconds(i.notice_s);
  const SimTime reclaim = SimTime::Zero() + Duration::FromSeconds(i.reclaim_s);
  sim.At(notice, [&] {
    // From the notice the pool provisions nothing (the two instances are full anyway).
    EXPECT_FALSE(pool.available());
    EXPECT_FALSE(pool.Acquire(8, sim.Now(), &rec));
  });
  sim.Run(SimTime::Zero() + Duration::FromSeconds(i.available_again_s + 1));
  // Both claims heard the notice (reclaim 120 s later) and were lost at the reclaim.
  ASSERT_EQ(rec.notices.size(), 2u);
  EXPECT_NEAR(rec.notices[0].second, reclaim.seconds(), 1e-9);
  ASSERT_EQ(rec.lost.size(), 2u);
  EXPECT_EQ(rec.lost[0].first, a->id);
  EXPECT_EQ(rec.lost[1].first, b->id);
  EXPECT_NEAR(rec.lost[0].second, reclaim.seconds(), 1e-9);
  // Capacity came back once, and the pool is empty.
  ASSERT_EQ(rec.available.size(), 1u);
  EXPECT_NEAR(rec.available[0],
              (SimTime::Zero() + Duration::FromSeconds(i.available_again_s)).seconds(), 1e-9);
  EXPECT_TRUE(pool.available());
  EXPECT_EQ(pool.units(), 0);
  EXPECT_EQ(pool.gpus_held(), 0);
  EXPECT_EQ(pool.spot_stats().interruptions, 1);
  EXPECT_EQ(pool.spot_stats().instances_hit, 2);
  EXPECT_EQ(pool.spot_stats().instances_reclaimed, 2);
  // Unavailable from the notice to the return of capacity.
  EXPECT_NEAR(pool.spot_stats().unavailable_s,
              (SimTime::Zero() + Duration::FromSeconds(i.available_again_s) - notice).seconds(),
              1e-9);
  // Billing stopped at the reclaim: 16 GPUs x ceil(reclaim) seconds at $1 per GPU-hour, all
  // of it spot (no tear-down: the provider took them).
  const double billed_s = std::ceil(reclaim.seconds());
  const CostBreakdown c = costs.Total(sim.Now());
  EXPECT_NEAR(c.cloud_spot_usd, 16 * billed_s / 3600, 1e-9);
  EXPECT_NEAR(c.total_usd(), c.cloud_spot_usd, 1e-12);
  // A new claim now provisions a new instance.
  EXPECT_TRUE(pool.Acquire(8, sim.Now(), &rec));
}

TEST(FleetRunTest, AFixedReplicaOnSpotMovesToItsFallbackPoolAtTheNotice) {
  // One Llama-2-70B TP 8 replica on a spot p5 instance, on-demand p5 as the fallback; light
  // load (0.2 requests/s of 256 + 64 tokens: a request takes ~2 s). Spot interruptions
  // (tests/data/fleet/spot-fallback.yaml: mean available 3 h, unavailable 1 h, notice 2 min,
  // gang 100 %) come from the stream "spot/spot" of seed 3, reproduced here.
  // At the first notice t the replica drains (its few requests finish within seconds, long
  // before the reclaim) and a replacement is asked of the pools: spot provisions nothing
  // until capacity returns, so it comes from on-demand, held from t to the end of the 12 h.
  // A fixed fleet stays there: later interruptions hit no instance.
  SpotParams sp{120, 3 * 3600.0, 1.0, 3600, 1.0};
  SpotAvailability process = SpotAvailability::ForPool(sp, RngStreams(3, 0), "spot");
  const double t = process.Peek().notice_s;
  ASSERT_LT(t, 40000.0) << "the test needs an interruption inside the 12 h";
  int64_t interruptions = 0;
  while (process.Peek().notice_s < 43200) {
    process.Next();
    ++interruptions;
  }
  const std::string out = testing::TempPath("fleet_spot");
  const auto r = RunCli("run " + ShellQuote(Data("fleet/spot-fallback.yaml")) + " --quiet -o " +
                        ShellQuote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto s = nlohmann::json::parse(Read(out + "/summary.json"));
  const auto& svc = s["services"][0];
  EXPECT_TRUE(svc["accounted"].get<bool>());
  EXPECT_EQ(svc["rejected"], 0);
  const auto& spot = svc["scaling"]["spot"];
  EXPECT_EQ(spot["notices"], 1);
  EXPECT_EQ(spot["replacements"], 1);
  EXPECT_EQ(spot["replicas_lost"], 0);
  const auto& pools = s["costs"]["pools"];
  EXPECT_EQ(pools[0]["spot"]["interruptions"], interruptions);
  EXPECT_EQ(pools[0]["spot"]["instances_hit"], 1);
  EXPECT_EQ(pools[0]["spot"]["instances_reclaimed"], 0);  // drained and released first
  // Spot held 8 GPUs from 0 until the drain ended, within the 120 s notice.
  const double spot_held = pools[0]["provisioned_gpu_s"].get<double>();
  EXPECT_GE(spot_held, 8 * t - 1e-6);
  EXPECT_LE(spot_held, 8 * (t + 120));
  // On-demand held 8 GPUs from the notice (to the nanosecond) to the end.
  const double t_ns = (SimTime::Zero() + Duration::FromSeconds(t)).seconds();
  EXPECT_NEAR(pools[1]["provisioned_gpu_s"].get<double>(), 8 * (43200 - t_ns), 1e-3);
}

TEST(FleetRunTest, AFixedFleetOnACloudPoolIsBilledByTheInstanceHour) {
  // 4 replicas x TP 4 = 16 GPUs = 2 p5 instances of 8 for 1 h at $6.88 per GPU-hour
  // (models/pricing/prices.yaml, aws-2026): 16 x 6.88 = $110.08.
  const std::string out = testing::TempPath("fleet_fixed");
  const auto r =
      RunCli("run " + ShellQuote(Data("fleet/fixed-pool.yaml")) + " --quiet -o " + ShellQuote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto s = nlohmann::json::parse(Read(out + "/summary.json"));
  EXPECT_NEAR(s["costs"]["total_usd"].get<double>(), 110.08, 1e-6);
  const auto& pool = s["costs"]["pools"][0];
  EXPECT_NEAR(pool["usd_per_gpu_hour_held"].get<double>(), 6.88, 1e-9);
  EXPECT_EQ(pool["provisioned_gpu_s"].get<double>(), 16 * 3600.0);
  const auto& svc = s["services"][0];
  // One consumer: the whole bill is the service's.
  EXPECT_NEAR(svc["cost_usd"].get<double>(), 110.08, 1e-6);
  EXPECT_EQ(svc["scaling"]["policy"], "fixed");
  EXPECT_EQ(svc["scaling"]["replica_seconds"].get<double>(), 4 * 3600.0);
  // $ per 1k output tokens = cost / (output tokens / 1,000).
  EXPECT_NEAR(svc["usd_per_1k_output_tokens"].get<double>(),
              110.08 / (svc["output_tokens_per_s"].get<double>() * 3600 / 1e3), 1e-9);
}

TEST(FleetRunTest, TheAutoscalerFollowsASpikeAndComesBack) {
  // A 20x spike for 30 min on 1 replica: fixed at 1 replica the queue explodes (SLO met for
  // about a fifth of the requests); autoscaled between 1 and 8, replicas are added during
  // the spike, all removed after it, and nearly every request meets its 2 s TTFT.
  const std::string out = testing::TempPath("fleet_spike");
  auto r = RunCli("run " + ShellQuote(Data("fleet/spike-autoscale.yaml")) + " --quiet -o " +
                  ShellQuote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto svc = nlohmann::json::parse(Read(out + "/summary.json"))["services"][0];
  const auto& sc = svc["scaling"];
  EXPECT_GT(sc["peak_replicas"].get<int>(), 1);
  EXPECT_LE(sc["peak_replicas"].get<int>(), 8);  // max, and 4 instances x 2 replicas
  EXPECT_EQ(sc["replicas_at_end"].get<int>(), 1);
  EXPECT_EQ(sc["scale_ups"].get<int>(), sc["scale_downs"].get<int>());
  EXPECT_TRUE(svc["accounted"].get<bool>());
  EXPECT_GT(svc["overall"]["slo_attainment"].get<double>(), 0.99);
  // Cost between 1 instance for 3 h (8 x 6.88 x 3 = $165.12) and 4 for 3 h ($660.48).
  const double usd = svc["cost_usd"].get<double>();
  EXPECT_GT(usd, 165.12);
  EXPECT_LT(usd, 660.48);

  const std::string fixed = testing::TempPath("fleet_spike_fixed");
  r = RunCli("run " + ShellQuote(Data("fleet/spike-autoscale.yaml")) +
             " --set services[0].autoscale.max=1 --quiet -o " + ShellQuote(fixed));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto one = nlohmann::json::parse(Read(fixed + "/summary.json"))["services"][0];
  EXPECT_LT(one["overall"]["slo_attainment"].get<double>(), 0.5);
  EXPECT_NEAR(one["cost_usd"].get<double>(), 165.12, 1e-6);
  // The time series shows the replicas: more than one during the spike (1 h - 1 h 35).
  const std::string ts = Read(out + "/timeseries.csv");
  EXPECT_NE(ts.find("chat.replicas,chat.replicas_starting"), std::string::npos);
}

TEST(FleetRunTest, ClassRoutingSendsEachClassToItsServiceAndKeepsTheDemand) {
  // The shipped heterogeneous fleet for 1 h: interactive requests on the A100 service, batch
  // on the A10 service, each billed on its own pool.
  const std::string scenario = std::string(FLEETSIM_SOURCE_DIR) + "/scenarios/hetero-a100-a10.yaml";
  const std::string out = testing::TempPath("fleet_hetero");
  auto r =
      RunCli("run " + ShellQuote(scenario) + " --set 'duration=1 h' --quiet -o " + ShellQuote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto s = nlohmann::json::parse(Read(out + "/summary.json"));
  const auto& fast = s["services"][0];
  const auto& cheap = s["services"][1];
  EXPECT_EQ(fast["classes"][1]["completed"].get<int>(), 0);   // no batch on the A100s
  EXPECT_EQ(cheap["classes"][0]["completed"].get<int>(), 0);  // no interactive on the A10s
  EXPECT_GT(cheap["classes"][1]["completed"].get<int>(), 1000);
  EXPECT_EQ(cheap["gpu"], "A10");
  // Each service is billed on its own pool.
  EXPECT_EQ(s["costs"]["pools"][0]["name"], "a100");
  EXPECT_NEAR(s["costs"]["pools"][1]["total_usd"].get<double>(), cheap["cost_usd"].get<double>(),
              1e-6);

  // Latency over time per class (docs/outputs.md, timeseries.csv): service chat serves only
  // interactive requests, so its interactive columns hold the same requests as its overall
  // columns (equal in every row) and its batch columns are empty; chat-batch the reverse.
  // Per request E2E >= TTFT, so every E2E percentile is >= the same TTFT percentile.
  const TimeSeriesTable ts = ReadTimeSeriesCsv(out + "/timeseries.csv");
  auto col = [&](const std::string& name) -> const std::vector<double>& {
    const auto it = std::find(ts.columns.begin(), ts.columns.end(), name);
    EXPECT_NE(it, ts.columns.end()) << name;
    return ts.values.at(static_cast<size_t>(it - ts.columns.begin()));
  };
  ASSERT_EQ(ts.rows(), 13u);  // every 5 min, 0 to 1 h
  size_t with_values = 0;
  for (const std::string m : {"ttft_p50_s", "ttft_p90_s", "ttft_p99_s", "tpot_p50_s", "tpot_p90_s",
                              "tpot_p99_s", "e2e_p50_s", "e2e_p90_s", "e2e_p99_s"}) {
    for (const auto& [svc, served, other] :
         {std::tuple<std::string, std::string, std::string>{"chat", "interactive", "batch"},
          {"chat-batch", "batch", "interactive"}}) {
      const auto& all = col(svc + "." + m);
      const auto& mine = col(svc + "." + served + "." + m);
      const auto& none = col(svc + "." + other + "." + m);
      for (size_t i = 0; i < ts.rows(); ++i) {
        EXPECT_TRUE(std::isnan(none[i])) << svc << " " << other << " " << m << " row " << i;
        if (std::isnan(all[i])) {
          EXPECT_TRUE(std::isnan(mine[i])) << svc << " " << m << " row " << i;
        } else {
          EXPECT_EQ(all[i], mine[i]) << svc << " " << m << " row " << i;
          ++with_values;
        }
      }
    }
  }
  EXPECT_GT(with_values, 100u);
  for (const std::string q : {"p50", "p90", "p99"}) {
    const auto& ttft = col("chat.ttft_" + q + "_s");
    const auto& e2e = col("chat.e2e_" + q + "_s");
    for (size_t i = 0; i < ts.rows(); ++i) {
      if (!std::isnan(ttft[i])) {
        EXPECT_GE(e2e[i], ttft[i]) << q << " row " << i;
      }
    }
  }
}

TEST(FleetRunTest, RoutingAClassKeepsEveryRequestAndItsClass) {
  // routed.yaml sends class b to a second service; unrouted.yaml is the same demand on one
  // service. Classes are drawn from the same stream either way, so class a's requests are
  // the same in both runs and class b's arrivals move, one for one, to the second service.
  const std::string routed = testing::TempPath("fleet_routed");
  const std::string unrouted = testing::TempPath("fleet_unrouted");
  auto r =
      RunCli("run " + ShellQuote(Data("fleet/routed.yaml")) + " --quiet -o " + ShellQuote(routed));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunCli("run " + ShellQuote(Data("fleet/unrouted.yaml")) + " --quiet -o " +
             ShellQuote(unrouted));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto two = nlohmann::json::parse(Read(routed + "/summary.json"))["services"];
  const auto one = nlohmann::json::parse(Read(unrouted + "/summary.json"))["services"][0];
  EXPECT_EQ(two[0]["arrived"].get<int>() + two[1]["arrived"].get<int>(), one["arrived"].get<int>());
  // Class a stays on the front service and both runs saw the same class-a requests; they
  // may differ only in which were still in flight at the horizon (the front is less loaded
  // when class b goes elsewhere). Likewise class b on the A10s.
  const int in_flight = two[0]["in_flight_at_end"].get<int>() +
                        two[1]["in_flight_at_end"].get<int>() + one["in_flight_at_end"].get<int>();
  EXPECT_NEAR(two[0]["classes"][0]["completed"].get<int>(),
              one["classes"][0]["completed"].get<int>(), in_flight);
  EXPECT_NEAR(two[1]["classes"][1]["completed"].get<int>(),
              one["classes"][1]["completed"].get<int>(), in_flight);
  EXPECT_GT(two[1]["classes"][1]["completed"].get<int>(), 2000);  // 0.3 x 5/s x 1,800 s = 2,700
  EXPECT_EQ(two[0]["classes"][1]["completed"].get<int>(), 0);
  EXPECT_TRUE(two[1]["accounted"].get<bool>());
}

TEST(FleetRunTest, ASwapGroupMovesReplicasToTheBusyModel) {
  // The shipped two-models scenario for 6 h (chat's trough, code's peak at 2 h): with the
  // swap group, replicas move from chat to code (code gets more than its 3 on average and
  // code's SLO attainment is higher than with the fixed 3 + 3 split, which a group that
  // never decides gives). The GPUs are the same 6 either way: the same cost.
  const std::string scenario =
      std::string(FLEETSIM_SOURCE_DIR) + "/scenarios/two-models-swapping.yaml";
  const std::string swap = testing::TempPath("fleet_swap");
  const std::string fixed = testing::TempPath("fleet_swap_fixed");
  auto r = RunCli("run " + ShellQuote(scenario) + " --set 'duration=6 h' --quiet -o " +
                  ShellQuote(swap));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunCli("run " + ShellQuote(scenario) +
             " --set 'duration=6 h' --set 'swap_groups[0].interval=100 d' --quiet -o " +
             ShellQuote(fixed));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = nlohmann::json::parse(Read(swap + "/summary.json"));
  const auto b = nlohmann::json::parse(Read(fixed + "/summary.json"));
  const auto& code = a["services"][1];
  EXPECT_GT(code["scaling"]["swaps_in"].get<int>(), 0);
  EXPECT_GT(code["scaling"]["mean_replicas"].get<double>(), 3.0);
  EXPECT_EQ(b["services"][1]["scaling"]["swaps_in"].get<int>(), 0);
  EXPECT_GT(code["overall"]["slo_attainment"].get<double>(),
            b["services"][1]["overall"]["slo_attainment"].get<double>());
  // Swaps out of chat = swaps into code + swaps out of code - swaps into chat, up to the
  // one move that may be in transit at the horizon.
  const auto& chat = a["services"][0];
  const int out = chat["scaling"]["swaps_out"].get<int>() + code["scaling"]["swaps_out"].get<int>();
  const int in = chat["scaling"]["swaps_in"].get<int>() + code["scaling"]["swaps_in"].get<int>();
  EXPECT_LE(out - in, 1);
  EXPECT_GE(out - in, 0);
  EXPECT_NEAR(a["costs"]["total_usd"].get<double>(), b["costs"]["total_usd"].get<double>(), 1e-6);
  EXPECT_TRUE(code["accounted"].get<bool>());
}

TEST(FleetRunTest, EgressIsBilledPerCompletedRequest) {
  // image-gen-egress sends 1.6 MB per completed request out of AWS at $0.09/GB:
  // egress_usd = completed x 1.6e6 B x 0.09e-9 $/B.
  const std::string out = testing::TempPath("fleet_egress");
  const auto r = RunCli(
      "run " + ShellQuote(std::string(FLEETSIM_SOURCE_DIR) + "/scenarios/image-gen-egress.yaml") +
      " --set 'duration=1 h' --quiet -o " + ShellQuote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto s = nlohmann::json::parse(Read(out + "/summary.json"));
  const double completed = s["services"][0]["completed"].get<double>();
  ASSERT_GT(completed, 0);
  const auto& pool = s["costs"]["pools"][0];
  EXPECT_NEAR(pool["egress_bytes"].get<double>(), completed * 1.6e6, 1e-3);
  EXPECT_NEAR(pool["egress_usd"].get<double>(), completed * 1.6e6 * 0.09e-9, 1e-9);
}

TEST(FleetRunTest, WeightLoadsOfNewReplicasAreInTheTrace) {
  // Every replica the autoscaler adds shows a "load weights" slice on its track, as long as
  // the load finished within the run: Llama-2-70B at TP 4 holds 68.98e9 x 2 B / 4 = 34.49 GB
  // per GPU, at 2 GB/s: 17.245 s.
  const std::string out = testing::TempPath("fleet_trace_loads");
  const auto r = RunCli("run " + ShellQuote(Data("fleet/spike-autoscale.yaml")) +
                        " --set outputs.trace=true --quiet -o " + ShellQuote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto svc = nlohmann::json::parse(Read(out + "/summary.json"))["services"][0];
  const auto trace = nlohmann::json::parse(Read(out + "/trace.json"));
  int loads = 0;
  for (const auto& e : trace["traceEvents"]) {
    if (e.value("name", "") != "load weights") continue;
    ++loads;
    EXPECT_NEAR(e["dur"].get<double>(), 17.245e6, 0.02e6);  // microseconds
  }
  EXPECT_GT(loads, 0);
  EXPECT_EQ(loads, svc["scaling"]["scale_ups"].get<int>());  // all were ready by 3 h
}

TEST(FleetRunTest, OwnedBaseLoadWithCloudBurst) {
  // hybrid.yaml: 2 replicas on one owned DGX H100 (8 GPUs) for the whole 3 h, the spike's
  // extra replicas on p5 instances (at most 3), drained first afterwards: at the end no cloud
  // instance is left and the 2 owned replicas remain.
  const std::string out = testing::TempPath("fleet_hybrid");
  const auto r =
      RunCli("run " + ShellQuote(Data("fleet/hybrid.yaml")) + " --quiet -o " + ShellQuote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto s = nlohmann::json::parse(Read(out + "/summary.json"));
  const auto& dc = s["costs"]["pools"][0];
  const auto& p5 = s["costs"]["pools"][1];
  // The owned server is in service all the time: 8 GPUs x 3 h = 86,400 GPU-s.
  EXPECT_EQ(dc["provisioned_gpu_s"].get<double>(), 86400.0);
  EXPECT_LE(dc["busy_gpu_s"].get<double>(), 86400.0);
  EXPECT_GT(dc["busy_gpu_s"].get<double>(), 0.0);
  // The burst was used, and billed; busy GPU time never exceeds held time on either pool.
  EXPECT_GT(p5["total_usd"].get<double>(), 0.0);
  EXPECT_GT(p5["busy_gpu_s"].get<double>(), 0.0);
  EXPECT_LE(p5["busy_gpu_s"].get<double>(), p5["provisioned_gpu_s"].get<double>());
  const auto& svc = s["services"][0];
  EXPECT_EQ(svc["scaling"]["replicas_at_end"].get<int>(), 2);
  EXPECT_GT(svc["scaling"]["peak_replicas"].get<int>(), 2);
  // The time series ends with no p5 instance running.
  const std::string ts = Read(out + "/timeseries.csv");
  const std::string last = ts.substr(ts.rfind('\n', ts.size() - 2) + 1);
  const std::string header = ts.substr(0, ts.find('\n'));
  size_t col = 0;
  for (size_t p = 0, c = 0; p != std::string::npos; p = header.find(',', p + 1), ++c) {
    if (header.compare(p ? p + 1 : 0, 13, "pool.p5.units") == 0) col = c;
  }
  ASSERT_GT(col, 0u);
  size_t start = 0;
  for (size_t c = 0; c < col; ++c) start = last.find(',', start) + 1;
  EXPECT_EQ(std::stod(last.substr(start)), 0.0);
}

// ---- replica-seconds of a replica drained while busy (docs/outputs.md:
// replica_busy_fraction = busy time / replica time, in [0, 1])

// A test double: every iteration takes 1 s, whatever its shape.
struct OneSecondIterations final : IterationTimeModel {
  double Seconds(const IterationShape&) const override { return 1.0; }
};

struct TwoRequests final : RequestStream {
  int next = 0;
  std::optional<RequestSpec> Next() override {
    if (next == 2) return std::nullopt;
    ++next;
    return RequestSpec{0.0, 10, 20, -1};
  }
};

TEST(FleetAccountingTest, AReplicaDrainedWhileBusyCountsUntilItStops) {
  // Two replicas at t = 0, one request each (round_robin): prefill 0-1 s (first token), 19 decode
  // steps of 1 s: both busy until t = 20 s. The autoscaler (queue_length, target 100, no cooldown)
  // decides at t = 15 s: ceil(2 / 100) = 1 replica, so one busy replica drains; it stops at t = 20
  // s, when its request ends. The run ends at t = 20 s. Replica time: 2 replicas x 20 s = 40 s (the
  // drained one is live until it stops). Busy time: 2 x 20 s = 40 s. Busy fraction 40 / 40 = 1,
  // never above.
  Simulator sim;
  OneSecondIterations model;
  ServiceConfig cfg;
  cfg.name = "svc";
  cfg.classes = {{"chat", 1.0, std::nullopt, std::nullopt}};
  cfg.replicas = 2;
  cfg.router = "round_robin";
  ServiceSim service(sim, cfg, {&model, 1000000}, std::make_unique<TwoRequests>(), sim.rng());
  ServiceSpec spec;
  spec.name = "svc";
  spec.config = cfg;
  spec.weights_load_bytes_per_s = 1e9;
  AutoscaleConfig as;
  as.min_replicas = 1;
  as.max_replicas = 2;
  as.policy = "queue_length";
  as.params.target = 100;
  as.interval = Duration::Seconds(15);
  as.scale_down_cooldown = Duration::Zero();
  spec.autoscale = as;
  ServiceFleet fleet(sim, spec, service, {}, 0.0, nullptr);
  service.SetObserver(&fleet);
  fleet.Start();
  service.Start();
  const SimTime end = At(20);
  sim.Run(end);
  fleet.Finish(end);
  ASSERT_EQ(service.metrics().completed, 2u);
  EXPECT_EQ(fleet.stats().scale_downs, 1);
  EXPECT_EQ(service.LiveReplicas(), 1);
  EXPECT_EQ(service.metrics().replica_busy_ns, 40'000'000'000);
  EXPECT_DOUBLE_EQ(fleet.stats().replica_seconds, 40.0);
  EXPECT_LE(static_cast<double>(service.metrics().replica_busy_ns) * 1e-9,
            fleet.stats().replica_seconds);
}

}  // namespace
}  // namespace fleetsim
