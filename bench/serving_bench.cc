// Serving simulation throughput: simulated requests per wall-second.
//
// The case: a service at 1,000 requests/s on average over a simulated day (86.4M
// requests) on 64 replicas with continuous batching and a spike. Google Benchmark runs a
// one-hour slice of it (3.6M requests) per iteration, and the scaling cases vary the rate
// and the number of replicas. The full day runs once as BM_ServingFullDay.
//
// The iteration-time model here is an affine stand-in with magnitudes of a 7B model on one
// A100 (20 ms per step + 0.1 ms per sequence + KV read), so that the engine's own cost is
// measured. BM_ServingHourRealModel runs the same demand on the model `fleetsim run` binds
// (BindReplica: Llama-2-7B fp16 on one A100-SXM4-80GB, the roofline with its decode-time
// cache), so the cost of the step-time model is in it too.
// Rates are per CPU-second of this process (Google Benchmark's default), which stays
// meaningful when other work shares the machine.
#include <benchmark/benchmark.h>

#include "models/catalog/catalog.h"
#include "models/serving/service_sim.h"
#include "models/workload/arrivals.h"
#include "scenarios/replica_binding.h"
#include "sim/config/config.h"

namespace fleetsim {
namespace {

struct StandInTime final : IterationTimeModel {
  double Seconds(const IterationShape& s) const override {
    return 0.020 + 2e-7 * static_cast<double>(s.prefill_tokens) +
           1e-4 * static_cast<double>(s.decode_seqs) +
           1e-8 * static_cast<double>(s.decode_context_tokens);
  }
};

std::unique_ptr<RequestStream> Demand(double rate, double horizon_s, RngStreams rng) {
  // A diurnal cycle (peak/trough 2) and a 2x spike of two hours in the afternoon, scaled so
  // that the slice benchmarks see the spike too (it starts at 20 min).
  const std::string yaml =
      "arrivals:\n"
      "  process: poisson\n"
      "  rate: \"" +
      std::to_string(rate) +
      "/s\"\n"
      "  diurnal: {peak_to_trough: 2, peak_at: \"14 h\"}\n"
      "  spikes: [{at: \"20 min\", factor: 2, ramp: \"10 min\", duration: \"2 h\"}]\n"
      "prompt_tokens: {distribution: lognormal, median: 256, sigma: 1.0, min: 1, max: 4096}\n"
      "output_tokens: {distribution: lognormal, median: 100, sigma: 0.8, min: 1, max: 1024}\n";
  static std::vector<std::shared_ptr<const ConfigDocument>> docs;
  docs.push_back(ConfigDocument::Parse(yaml, "bench.yaml"));
  StreamContext ctx;
  ctx.rng = rng;
  ctx.name = "bench";
  ctx.horizon_s = horizon_s;
  return ReadRequestStream(docs.back()->Root(), ctx);
}

void RunService(benchmark::State& state, double rate, int64_t replicas, double horizon_s,
                const IterationTimeModel* real = nullptr, int64_t real_kv_tokens = 0) {
  StandInTime stand_in;
  const IterationTimeModel& model = real ? *real : stand_in;
  const int64_t kv_tokens = real ? real_kv_tokens : 400000;
  uint64_t requests = 0, events = 0;
  for (auto _ : state) {
    Simulator sim(1);
    ServiceConfig cfg;
    cfg.name = "bench";
    cfg.classes = {{"chat", 1.0, 1.0, 0.1}};
    cfg.replicas = replicas;
    cfg.batching.max_batch = 128;
    ServiceSim svc(sim, cfg, {&model, kv_tokens}, Demand(rate, horizon_s, sim.rng()), sim.rng());
    svc.Start();
    sim.Run();
    requests += svc.metrics().arrived;
    events += sim.events_processed();
    benchmark::DoNotOptimize(svc.metrics().overall.e2e_s.Quantile(0.99));
  }
  state.counters["requests_per_s"] =
      benchmark::Counter(static_cast<double>(requests), benchmark::Counter::kIsRate);
  state.counters["events_per_request"] =
      static_cast<double>(events) / static_cast<double>(std::max<uint64_t>(requests, 1));
}

// args: rate (requests/s), replicas; one simulated hour.
void BM_ServingHour(benchmark::State& state) {
  RunService(state, static_cast<double>(state.range(0)), state.range(1), 3600);
}
BENCHMARK(BM_ServingHour)
    ->Args({1000, 64})
    ->Args({100, 8})
    ->Args({1000, 8})
    ->Args({250, 16})
    ->Args({4000, 256})
    ->Unit(benchmark::kMillisecond);

// As BM_ServingHour, on the bound roofline model of Llama-2-7B on one A100 (per replica).
void BM_ServingHourRealModel(benchmark::State& state) {
  static const Catalog catalog = Catalog::LoadShipped(FLEETSIM_SOURCE_DIR);
  ReplicaLayout layout;
  layout.model = &catalog.FindModel("llama2-7b");
  layout.gpu = &catalog.FindDevice("A100-SXM4-80GB");
  layout.max_batch = 128;
  static const BoundReplica bound = BindReplica(layout);
  RunService(state, static_cast<double>(state.range(0)), state.range(1), 3600,
             bound.iteration_time.get(), bound.kv_capacity_tokens);
}
BENCHMARK(BM_ServingHourRealModel)->Args({1000, 64})->Unit(benchmark::kMillisecond);

void BM_ServingFullDay(benchmark::State& state) { RunService(state, 1000, 64, 86400); }
BENCHMARK(BM_ServingFullDay)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace
}  // namespace fleetsim

BENCHMARK_MAIN();
