#include "scenarios/study/study_run.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <sstream>
#include <thread>

#include "models/workload/arrivals.h"
#include "scenarios/runner.h"

namespace fleetsim {

namespace {

double Num(const nlohmann::ordered_json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return 0;
  return j[key].get<double>();
}

}  // namespace

ScenarioOutcome OutcomeFromSummary(const nlohmann::ordered_json& s) {
  ScenarioOutcome o;
  o.status = s.value("status", std::string("completed"));
  o.duration_s = Num(s, "duration_s");
  for (const auto& sv : s["services"]) {
    o.arrived += Num(sv, "arrived");
    o.completed += Num(sv, "completed");
    o.rejected += Num(sv, "rejected");
    const auto& all = sv["overall"];
    o.slo_met += Num(all, "slo_met");
    o.output_tokens += Num(all, "output_tokens");
    o.ttft_p99_s = std::max(o.ttft_p99_s, Num(all["ttft_s"], "p99"));
    o.tpot_p99_s = std::max(o.tpot_p99_s, Num(all["tpot_s"], "p99"));
    o.busy_fraction = std::max(o.busy_fraction, Num(sv, "replica_busy_fraction"));
    o.preemptions += static_cast<int64_t>(Num(sv, "preemptions"));
    const auto& sc = sv["scaling"];
    o.shortfalls += static_cast<int64_t>(Num(sc, "capacity_shortfalls"));
    if (sc.contains("policy") && sc["policy"] != "fixed" &&
        Num(sc, "peak_replicas") >= Num(sc, "max_replicas")) {
      o.at_max_replicas = true;
    }
  }
  o.slo_attainment = o.arrived > 0 ? o.slo_met / o.arrived : 1.0;
  for (const auto& j : s["training_jobs"]) {
    const bool done = j.value("finished", false);
    o.training_s = std::max(
        o.training_s, done ? Num(j, "time_to_train_s") : std::numeric_limits<double>::infinity());
    const auto& it = j["iteration"];
    const double iter = Num(it, "seconds");
    if (iter > 0) {
      o.comm_share = std::max(o.comm_share, (Num(it, "tp_comm_s") + Num(it, "pp_comm_exposed_s") +
                                             Num(it, "dp_comm_exposed_s")) /
                                                iter);
    }
    const double cap = Num(j, "memory_capacity_bytes");
    if (cap > 0)
      o.memory_fraction = std::max(o.memory_fraction, Num(j, "memory_per_gpu_bytes") / cap);
  }
  if (s.contains("costs")) {
    o.cost_usd = Num(s["costs"], "total_usd");
    for (const auto& p : s["costs"]["pools"]) {
      PoolOutcome po;
      po.name = p.value("name", std::string());
      po.cloud = p.value("kind", std::string("cloud")) == "cloud";
      po.total_usd = Num(p, "total_usd");
      po.capex_depreciation_usd = Num(p, "capex_depreciation_usd");
      po.facility_energy_j = Num(p, "facility_energy_j");
      po.it_energy_j = Num(p, "it_energy_j");
      po.capacity_shortfalls = static_cast<int64_t>(Num(p, "capacity_shortfalls"));
      o.pools.push_back(po);
    }
  }
  o.summary = s;
  return o;
}

uint64_t CountArrivals(const Scenario& sc) {
  uint64_t n = 0;
  for (const auto& spec : sc.services) {
    if (!spec.demand) continue;
    StreamContext ctx;
    ctx.rng = RngStreams(sc.seed, 0);
    ctx.name = spec.name;
    ctx.horizon_s = sc.duration.seconds();
    for (const auto& c : spec.config.classes) ctx.class_names.push_back(c.name);
    auto stream = ReadRequestStream(*spec.demand, ctx);
    while (stream->Next()) ++n;
  }
  return n;
}

ScenarioOutcome RunInProcess(const Scenario& scenario,
                             std::function<bool(const RunProgress&)> stop_when) {
  RunOptions opt;
  opt.write_files = false;
  opt.quiet = true;
  nlohmann::ordered_json summary;
  opt.summary_out = &summary;
  opt.stop_when = std::move(stop_when);
  std::ostringstream sink;
  RunScenario(scenario, opt, sink);
  return OutcomeFromSummary(summary);
}

void ParallelFor(size_t n, int threads, const std::function<void(size_t)>& body) {
  std::vector<std::exception_ptr> errors(n);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < n; i = next++) {
      try {
        body(i);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  const size_t t = std::min<size_t>(static_cast<size_t>(std::max(1, threads)), n);
  if (t <= 1) {
    worker();
  } else {
    std::vector<std::thread> pool;
    for (size_t k = 0; k < t; ++k) pool.emplace_back(worker);
    for (auto& th : pool) th.join();
  }
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

int DefaultThreads() { return static_cast<int>(std::max(1u, std::thread::hardware_concurrency())); }

}  // namespace fleetsim
