// Network model benchmarks on a 1,024-GPU DGX A100 pod: 128 servers of the dgx_a100 preset
// on the rail-optimized 3-level fat tree of 40-port HDR switches that
// topologies/selene_like_a100_pod.yaml uses for 280 (topologies/generators.h).
//
//   BM_SolveFromScratch/N     N flows between random GPU pairs started at one instant:
//                             the one solve that rates them all (max-min over the pod)
//   BM_FlowChurn/N            N flows in flight (random pairs); each iteration is ONE
//                             change: cancel a random flow or start a new one, then solve.
//                             The cost of a flow start or end with N flows in flight.
//   BM_FlowChurnRail/N        the same with rail-local traffic (GPU k to GPU k of another
//                             server, as NCCL's rail-aligned rings and PXN produce)
//   BM_FlowChurnPodSize/G     10,000 random flows on pods of G GPUs: growth with links
//   BM_FlowSimulation/N       closed loop through the simulator: N flows in flight, sizes
//                             exponential (mean 64 MiB); each completion starts a new flow.
//                             Time per completion (one end + one start, one solve)
//   BM_AllReduce1024/alg      a 1 GiB all-reduce across all 1,024 GPUs, simulated alone
//
// Counters: per solve, the flows the solver re-rated, the (link, flow) entries it
// scanned and the links it visited; simulated seconds and bus bandwidth for collectives.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "models/network/collectives.h"
#include "models/network/network_model.h"
#include "sim/rng.h"
#include "sim/simulator.h"
#include "topologies/generators.h"

namespace fleetsim {
namespace {

// A pod of `gpus / 8` DGX A100 servers, generated as selene_like_a100_pod.yaml describes
// its fabric (rail-optimized, radix 40, 3 levels, full bisection, HDR 200 Gb/s links).
class Pod {
 public:
  explicit Pod(uint32_t gpus) : graph_(Make(gpus)) {
    // GPUs by server, then by local index (the generator adds a server's nodes together).
    std::vector<std::vector<NodeId>> by_server(graph_.servers().size());
    for (NodeId g : graph_.gpus()) by_server[graph_.node(g).server].push_back(g);
    for (const auto& s : by_server) {
      for (NodeId g : s) gpus_.push_back(g);
    }
  }
  const ClusterGraph& graph() const { return graph_; }
  size_t link_count() const { return graph_.link_count(); }
  const std::vector<NodeId>& gpus() const { return gpus_; }  // server-major
  uint32_t gpu_count() const { return static_cast<uint32_t>(gpus_.size()); }
  const Route& RouteBetween(NodeId a, NodeId b) const { return graph_.RouteBetween(a, b); }

 private:
  static ClusterGraph Make(uint32_t gpus) {
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
  ClusterGraph graph_;
  std::vector<NodeId> gpus_;
};

const Pod& PodOf(uint32_t gpus) {
  static const Pod p256(256), p1024(1024), p4096(4096);
  return gpus == 256 ? p256 : gpus == 4096 ? p4096 : p1024;
}

struct Pair {
  NodeId from, to;
};

// Random distinct GPU pairs; rail_local: same local rank, different server.
std::vector<Pair> RandomPairs(const Pod& pod, size_t n, uint64_t seed, bool rail_local) {
  Rng rng(seed);
  std::vector<Pair> out;
  out.reserve(n);
  const uint32_t gpus = pod.gpu_count();
  while (out.size() < n) {
    const auto a = static_cast<uint32_t>(rng.UniformInt(gpus));
    uint32_t b;
    if (rail_local) {
      b = static_cast<uint32_t>(rng.UniformInt(gpus / 8) * 8 + a % 8);
    } else {
      b = static_cast<uint32_t>(rng.UniformInt(gpus));
    }
    if (a == b) continue;
    const Pair p{pod.gpus()[a], pod.gpus()[b]};
    pod.RouteBetween(p.from, p.to);  // build and cache the route outside the timed region
    out.push_back(p);
  }
  return out;
}

struct NoOp final : EventHandler {
  void HandleEvent(uint64_t) override {}
};

void ReportSolverCounters(benchmark::State& state, const NetworkStats& before,
                          const NetworkStats& after) {
  const double solves = static_cast<double>(after.solves - before.solves);
  if (solves == 0) return;
  state.counters["rerated/solve"] =
      static_cast<double>(after.flows_rerated - before.flows_rerated) / solves;
  state.counters["changed/solve"] =
      static_cast<double>(after.rates_changed - before.rates_changed) / solves;
  state.counters["scanned/solve"] =
      static_cast<double>(after.entries_scanned - before.entries_scanned) / solves;
  state.counters["rounds/solve"] =
      static_cast<double>(after.extra_rounds - before.extra_rounds) / solves;
  state.counters["fallbacks/solve"] =
      static_cast<double>(after.full_fallbacks - before.full_fallbacks) / solves;
  state.counters["links/solve"] =
      static_cast<double>(after.links_visited - before.links_visited) / solves;
}

void BM_SolveFromScratch(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const Pod& pod = PodOf(1024);
  const std::vector<Pair> pairs = RandomPairs(pod, n, 1, false);
  NoOp noop;
  for (auto _ : state) {
    state.PauseTiming();
    auto sim = std::make_unique<Simulator>();
    auto net = std::make_unique<NetworkModel>(*sim, pod.graph());
    for (const Pair& p : pairs) {
      const Route& r = pod.RouteBetween(p.from, p.to);
      net->StartFlow(r.links, Duration::Zero(), 1e12, &noop);
    }
    state.ResumeTiming();
    net->Flush();
    benchmark::DoNotOptimize(net->stats().solves);
    state.PauseTiming();
    net.reset();
    sim.reset();
    state.ResumeTiming();
  }
  state.counters["flows"] = static_cast<double>(n);
  state.counters["links"] = static_cast<double>(pod.link_count());
}
BENCHMARK(BM_SolveFromScratch)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

// One change per iteration with `n` flows in flight on `pod`.
void Churn(benchmark::State& state, const Pod& pod, size_t n, bool rail_local) {
  const std::vector<Pair> pairs = RandomPairs(pod, 4 * n, 2, rail_local);
  Simulator sim;
  NetworkModel net(sim, pod.graph());
  NoOp noop;
  std::vector<FlowId> live;
  live.reserve(n);
  size_t next = 0;
  // Huge flows: nothing completes; every change is ours.
  const auto start = [&] {
    const Pair& p = pairs[next++ % pairs.size()];
    const Route& r = pod.RouteBetween(p.from, p.to);
    return net.StartFlow(r.links, Duration::Zero(), 1e15, &noop);
  };
  for (size_t i = 0; i < n; ++i) live.push_back(start());
  net.Flush();
  Rng rng(3);
  const NetworkStats before = net.stats();
  bool cancel = true;
  for (auto _ : state) {
    if (cancel) {
      const size_t k = rng.UniformInt(live.size());
      net.CancelFlow(live[k]);
      live[k] = live.back();
      live.pop_back();
    } else {
      live.push_back(start());
    }
    net.Flush();
    cancel = !cancel;
  }
  ReportSolverCounters(state, before, net.stats());
  state.counters["flows"] = static_cast<double>(n);
  state.counters["links"] = static_cast<double>(pod.link_count());
}

void BM_FlowChurn(benchmark::State& state) {
  Churn(state, PodOf(1024), static_cast<size_t>(state.range(0)), false);
}
BENCHMARK(BM_FlowChurn)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

void BM_FlowChurnRail(benchmark::State& state) {
  Churn(state, PodOf(1024), static_cast<size_t>(state.range(0)), true);
}
BENCHMARK(BM_FlowChurnRail)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

void BM_FlowChurnPodSize(benchmark::State& state) {
  Churn(state, PodOf(static_cast<uint32_t>(state.range(0))), 10000, false);
}
BENCHMARK(BM_FlowChurnPodSize)->Arg(256)->Arg(1024)->Arg(4096)->Unit(benchmark::kMicrosecond);

// Closed loop through the simulator: every completion starts a replacement flow and
// stops the run, so each Run() processes exactly one completion instant.
class ClosedLoop final : public EventHandler {
 public:
  ClosedLoop(Simulator& sim, NetworkModel& net, const Pod& pod, size_t n)
      : sim_(sim), net_(net), pod_(pod), pairs_(RandomPairs(pod, 4 * n, 4, false)), rng_(5) {
    for (size_t i = 0; i < n; ++i) StartOne();
  }
  void HandleEvent(uint64_t) override {
    ++completed;
    StartOne();
    sim_.Stop();
  }
  uint64_t completed = 0;

 private:
  void StartOne() {
    const Pair& p = pairs_[next_++ % pairs_.size()];
    net_.StartFlow(pod_.RouteBetween(p.from, p.to), rng_.Exponential(1.0 / (64.0 * 1024 * 1024)),
                   this);
  }
  Simulator& sim_;
  NetworkModel& net_;
  const Pod& pod_;
  std::vector<Pair> pairs_;
  Rng rng_;
  size_t next_ = 0;
};

void BM_FlowSimulation(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const Pod& pod = PodOf(1024);
  Simulator sim;
  NetworkModel net(sim, pod.graph());
  ClosedLoop loop(sim, net, pod, n);
  net.Flush();
  const NetworkStats before = net.stats();
  const SimTime t0 = sim.Now();
  for (auto _ : state) sim.Run();
  state.counters["completions"] = static_cast<double>(loop.completed);
  state.counters["solves/completion"] =
      static_cast<double>(net.stats().solves - before.solves) / static_cast<double>(loop.completed);
  state.counters["sim_ms"] = (sim.Now() - t0).seconds() * 1e3;
  ReportSolverCounters(state, before, net.stats());
}
BENCHMARK(BM_FlowSimulation)->Arg(1000)->Arg(10000)->Arg(100000)->Unit(benchmark::kMicrosecond);

void AllReduce1024(benchmark::State& state, CollectiveAlgorithm alg) {
  const Pod& pod = PodOf(1024);
  CollectiveSpec spec;
  spec.kind = CollectiveKind::kAllReduce;
  spec.algorithm = alg;
  spec.group = pod.gpus();
  spec.bytes = 1024.0 * 1024 * 1024;
  spec.ranks_per_server = 8;
  for (uint32_t a = 0; a < 1024; ++a) {  // warm the route cache for every pair used
    for (uint32_t b : {(a + 1) % 1024, (a + 8) % 1024, (a & ~7u) | ((a + 1) & 7u)}) {
      pod.RouteBetween(pod.gpus()[a], pod.gpus()[b]);
    }
  }
  if (alg == CollectiveAlgorithm::kDoubleBinaryTree) {
    for (int which = 0; which < 2; ++which) {
      const BinaryTree t = DoubleBinaryTree(1024, which);
      for (uint32_t r = 0; r < 1024; ++r) {
        if (t.parent[r] < 0) continue;
        pod.RouteBetween(pod.gpus()[r], pod.gpus()[t.parent[r]]);
        pod.RouteBetween(pod.gpus()[t.parent[r]], pod.gpus()[r]);
      }
    }
  }
  double simulated = 0;
  uint64_t flows = 0;
  for (auto _ : state) {
    Simulator sim;
    NetworkModel net(sim, pod.graph());
    CollectiveEngine engine(sim, net, pod.graph());
    engine.Start(spec, [&] { simulated = sim.Now().seconds(); });
    sim.Run();
    flows = engine.flows_started();
  }
  state.counters["sim_ms"] = simulated * 1e3;
  state.counters["busbw_GBps"] = spec.bytes / simulated * 2 * 1023 / 1024 / 1e9;
  state.counters["flows"] = static_cast<double>(flows);
}

void BM_AllReduce1024Ring(benchmark::State& state) {
  AllReduce1024(state, CollectiveAlgorithm::kRing);
}
BENCHMARK(BM_AllReduce1024Ring)->Unit(benchmark::kMillisecond);
void BM_AllReduce1024Hierarchical(benchmark::State& state) {
  AllReduce1024(state, CollectiveAlgorithm::kHierarchical);
}
BENCHMARK(BM_AllReduce1024Hierarchical)->Unit(benchmark::kMillisecond);
void BM_AllReduce1024Tree(benchmark::State& state) {
  AllReduce1024(state, CollectiveAlgorithm::kDoubleBinaryTree);
}
BENCHMARK(BM_AllReduce1024Tree)->Unit(benchmark::kMillisecond);
void BM_AllReduce1024RingStepwise(benchmark::State& state) {
  AllReduce1024(state, CollectiveAlgorithm::kRingStepwise);
}
BENCHMARK(BM_AllReduce1024RingStepwise)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace fleetsim

BENCHMARK_MAIN();
