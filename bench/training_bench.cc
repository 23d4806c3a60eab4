// Training benchmarks (training issue targets):
//
//   BM_Gpt3WholeRunWithFailures   GPT-3 175B, 300B tokens on 1,024 A100 (TP 8 x PP 8 x DP 16,
//                                 the scenarios/gpt3-175b-a100.yaml layout): the iteration
//                                 model (op list of a micro-batch on the first and last
//                                 stages, roofline per op) and the whole run on the simulator
//                                 with failures at Llama 3's rate, checkpoints every 30 min
//                                 (1 min writes) and 10 min restarts. Target: < 2 s.
//   BM_Gpt3WholeRunWithFailures/R at R x Llama 3's failure rate (R = 1, 100): the cost of
//                                 failures and lost-work bookkeeping
//   BM_IterationModel/L           the iteration model alone for a GPT-3-shaped model of L
//                                 layers (TP 8, PP 8, ZeRO-1): growth with layers
//   BM_OneIterationOnFabric/G     one iteration on a G-GPU generated DGX A100 pod (the
//                                 network_bench pod: rail-optimized 3-level fat tree of
//                                 40-port HDR switches) with every inter-server transfer as
//                                 flows in the network model: the pipeline send/recv of
//                                 every GPU and the data-parallel rings of every (stage, TP
//                                 rank); compute from the op-level closed form. Routes are
//                                 warm (computed once per pod, cached by the graph), as in a
//                                 run. Target at 1,024 GPUs: < 1 s.
//   BM_OneIterationOnFabricCold/G the same on a fresh pod each time (routes computed)
//   BM_Gpt3WholeRunOnFabric       the whole 300B-token run as a flow-level job on the
//                                 1,024-GPU pod: one op-level iteration, then fast-forward
//
// Counters: simulated seconds, flows, iterations, failures, events.
#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <vector>

#include "models/catalog/catalog.h"
#include "models/training/training_fabric.h"
#include "models/training/training_job.h"
#include "models/training/training_model.h"
#include "sim/simulator.h"
#include "topologies/generators.h"

namespace fleetsim {
namespace {

const Catalog& Shipped() {
  static const Catalog c = Catalog::LoadShipped(FLEETSIM_SOURCE_DIR);
  return c;
}

// The scenarios/gpt3-175b-a100.yaml layout, for `gpus` GPUs (DP = gpus / 64).
TrainingLayout Gpt3Layout(int64_t gpus) {
  TrainingLayout lay;
  lay.tp = 8, lay.pp = 8, lay.dp = gpus / 64, lay.virtual_stages = 2;
  lay.micro_batch = 1, lay.global_batch = 1536, lay.seq_len = 2048;
  lay.recompute = Recompute::kFull;
  lay.precision = Precision::kFp16;
  lay.flash_attention = false;
  lay.dropout = true;
  lay.dp_overlap = false;
  lay.grad_accumulation_fusion = false;
  return lay;
}

ClusterGraph MakePod(int64_t gpus) {
  FabricParams p;
  p.shape = FabricShape::kRailOptimized;
  p.servers = gpus / 8;
  p.server_name = "dgx{i}";
  p.radix = 40;
  p.levels = 3;
  p.host_link = {LinkKind::kInfiniband, 25e9, Duration::Nanoseconds(500)};
  p.switch_link = {LinkKind::kInfiniband, 25e9, Duration::Nanoseconds(200)};
  return MakeCluster("dgx-a100-pod", MakeServer("dgx-a100", DgxA100Params()), p);
}

const ClusterGraph& PodOf(int64_t gpus) {
  static const ClusterGraph p256 = MakePod(256), p1024 = MakePod(1024), p4096 = MakePod(4096);
  return gpus == 256 ? p256 : gpus == 4096 ? p4096 : p1024;
}

// GPUs server-major (the generator adds a server's nodes together, in local order).
std::vector<NodeId> ServerMajor(const ClusterGraph& g) {
  std::vector<std::vector<NodeId>> by_server(g.servers().size());
  for (NodeId n : g.gpus()) by_server[static_cast<size_t>(g.node(n).server)].push_back(n);
  std::vector<NodeId> out;
  for (const auto& s : by_server) out.insert(out.end(), s.begin(), s.end());
  return out;
}

void BM_Gpt3WholeRunWithFailures(benchmark::State& state) {
  const double rate_factor = static_cast<double>(state.range(0));
  const ModelCard& m = Shipped().FindModel("gpt3-175b");
  const DeviceSpec& a100 = Shipped().FindDevice("A100-SXM4-80GB");
  TrainingFailures f;
  f.enabled = true;
  f.gpu_failure_rate_per_s = kLlama3GpuFailuresPerSecond * rate_factor;
  f.checkpoint_interval_s = 1800;
  f.checkpoint_write_s = 60;
  f.restart_s = 600;
  TrainingJobMetrics last;
  double sim_s = 0;
  uint64_t events = 0;
  for (auto _ : state) {
    const TrainingLayout lay = Gpt3Layout(1024);
    const TrainingIteration it = TrainingIterationTime(m, a100, lay, DgxA100Network());
    Simulator sim(1);
    TrainingJobSim job(sim, "gpt3", it, lay.pp, lay.Gpus(), 300e9, f,
                       sim.rng().Stream("training/gpt3/failures"), nullptr);
    job.Start();
    sim.Run();
    last = job.metrics();
    sim_s = last.finish_time_s;
    events = sim.events_processed();
  }
  state.counters["sim_days"] = sim_s / 86400;
  state.counters["iterations"] = static_cast<double>(last.iterations_done);
  state.counters["failures"] = static_cast<double>(last.failures);
  state.counters["checkpoints"] = static_cast<double>(last.checkpoints);
  state.counters["events"] = static_cast<double>(events);
}
BENCHMARK(BM_Gpt3WholeRunWithFailures)->Arg(1)->Arg(100)->Unit(benchmark::kMillisecond);

void BM_IterationModel(benchmark::State& state) {
  ModelCard m = Shipped().FindModel("gpt3-175b");
  m.layers = state.range(0);
  const DeviceSpec& a100 = Shipped().FindDevice("A100-SXM4-80GB");
  TrainingLayout lay = Gpt3Layout(1024);
  lay.zero_stage = 1;  // 192 and 384 layers do not fit in 80 GB without it
  double iter_s = 0;
  for (auto _ : state) {
    const TrainingIteration it = TrainingIterationTime(m, a100, lay, DgxA100Network());
    iter_s = it.iteration_s;
  }
  state.counters["iteration_s"] = iter_s;
}
BENCHMARK(BM_IterationModel)->Arg(48)->Arg(96)->Arg(192)->Arg(384)->Unit(benchmark::kMicrosecond);

void OneIteration(benchmark::State& state, const ClusterGraph& pod) {
  const int64_t gpus = static_cast<int64_t>(pod.gpus().size());
  const TrainingLayout lay = Gpt3Layout(gpus);
  const TrainingIteration it =
      TrainingIterationTime(Shipped().FindModel("gpt3-175b"),
                            Shipped().FindDevice("A100-SXM4-80GB"), lay, DgxA100Network());
  const TrainingTraffic traffic = TrainingTrafficOf(lay, it, DgxA100Network());
  const std::vector<NodeId> gpu_nodes = ServerMajor(pod);
  double sim_s = 0, pp_s = 0, dp_s = 0;
  uint64_t flows = 0;
  for (auto _ : state) {
    Simulator sim(1);
    TrainingFabric fab(sim, pod);
    FabricTrainingJob job(fab, "gpt3", traffic, gpu_nodes, 1, SimTime::Zero(), false);
    sim.Run();
    sim_s = job.metrics().finish_time_s;
    pp_s = job.metrics().pp_s;
    dp_s = job.metrics().dp_exposed_s;
    flows = fab.network().stats().flows_started;
  }
  state.counters["sim_iteration_s"] = sim_s;
  state.counters["closed_form_s"] = it.iteration_s;
  state.counters["sim_pp_s"] = pp_s;
  state.counters["closed_pp_s"] = it.pp_comm_s;
  state.counters["sim_dp_s"] = dp_s;
  state.counters["closed_dp_s"] = it.dp_exposed_s;
  state.counters["flows"] = static_cast<double>(flows);
}

void BM_OneIterationOnFabric(benchmark::State& state) {
  OneIteration(state, PodOf(state.range(0)));
}
BENCHMARK(BM_OneIterationOnFabric)->Arg(256)->Arg(1024)->Arg(4096)->Unit(benchmark::kMillisecond);

void BM_OneIterationOnFabricCold(benchmark::State& state) {
  for (auto _ : state) {
    state.PauseTiming();
    auto pod = std::make_unique<ClusterGraph>(MakePod(state.range(0)));
    state.ResumeTiming();
    const TrainingLayout lay = Gpt3Layout(state.range(0));
    const TrainingIteration it =
        TrainingIterationTime(Shipped().FindModel("gpt3-175b"),
                              Shipped().FindDevice("A100-SXM4-80GB"), lay, DgxA100Network());
    Simulator sim(1);
    TrainingFabric fab(sim, *pod);
    FabricTrainingJob job(fab, "gpt3", TrainingTrafficOf(lay, it, DgxA100Network()),
                          ServerMajor(*pod), 1, SimTime::Zero(), false);
    sim.Run();
    benchmark::DoNotOptimize(job.metrics().finish_time_s);
    state.PauseTiming();
    pod.reset();
    state.ResumeTiming();
  }
}
BENCHMARK(BM_OneIterationOnFabricCold)->Arg(1024)->Unit(benchmark::kMillisecond);

void BM_Gpt3WholeRunOnFabric(benchmark::State& state) {
  const ClusterGraph& pod = PodOf(1024);
  const TrainingLayout lay = Gpt3Layout(1024);
  double sim_s = 0;
  int64_t ff = 0;
  for (auto _ : state) {
    const TrainingIteration it =
        TrainingIterationTime(Shipped().FindModel("gpt3-175b"),
                              Shipped().FindDevice("A100-SXM4-80GB"), lay, DgxA100Network());
    const auto iterations = static_cast<int64_t>(
        std::ceil(300e9 / static_cast<double>(lay.global_batch * lay.seq_len)));
    Simulator sim(1);
    TrainingFabric fab(sim, pod);
    FabricTrainingJob job(fab, "gpt3", TrainingTrafficOf(lay, it, DgxA100Network()),
                          ServerMajor(pod), iterations, SimTime::Zero());
    sim.Run();
    sim_s = job.metrics().finish_time_s;
    ff = job.metrics().fast_forwarded_iterations;
  }
  state.counters["sim_days"] = sim_s / 86400;
  state.counters["fast_forwarded"] = static_cast<double>(ff);
}
BENCHMARK(BM_Gpt3WholeRunOnFabric)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fleetsim

BENCHMARK_MAIN();
