// Topology costs: loading the shipped 16,384-GPU H100 cluster, and what routes cost on it
// (cold, with the fabric rows being filled, and warm), plus `topo show`'s summary (the
// bisection max flow). Results in bench/RESULTS.md.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <vector>

#include "models/catalog/catalog.h"
#include "scenarios/cli/topology_options.h"
#include "topologies/generators.h"
#include "topologies/topology_loader.h"
#include "topologies/topology_report.h"

namespace fleetsim {
namespace {

const Catalog& ShippedCatalog() {
  static const Catalog c = Catalog::LoadShipped(DefaultDataDir());
  return c;
}

ClusterGraph Load(const char* file) {
  return LoadTopologyFile(DefaultDataDir() + "/topologies/" + file,
                          CatalogTopologyOptions(ShippedCatalog()));
}

void BM_LoadH100_16k(benchmark::State& state) {
  for (auto _ : state) {
    ClusterGraph g = Load("h100_16k.yaml");
    benchmark::DoNotOptimize(g.node_count());
  }
}
BENCHMARK(BM_LoadH100_16k)->Unit(benchmark::kMillisecond);

void BM_LoadSelene(benchmark::State& state) {
  for (auto _ : state) {
    ClusterGraph g = Load("selene_like_a100_pod.yaml");
    benchmark::DoNotOptimize(g.node_count());
  }
}
BENCHMARK(BM_LoadSelene)->Unit(benchmark::kMillisecond);

// Without YAML: the generator and the freeze alone.
void BM_GenerateH100_16k(benchmark::State& state) {
  FabricParams p;
  p.shape = FabricShape::kRailOptimized;
  p.servers = 2048;
  p.radix = 64;
  p.host_link = {LinkKind::kInfiniband, 50e9, Duration::Nanoseconds(500)};
  p.switch_link = {LinkKind::kInfiniband, 50e9, Duration::Nanoseconds(200)};
  const ServerTemplate dgx = MakeServer("dgx", DgxH100Params());
  for (auto _ : state) {
    ClusterGraph g = MakeCluster("h100-16k", dgx, p);
    benchmark::DoNotOptimize(g.node_count());
  }
}
BENCHMARK(BM_GenerateH100_16k)->Unit(benchmark::kMillisecond);

// Routes on a freshly loaded cluster (load not timed): `pairs` computed once each.
template <class MakePairs>
void TimeFreshRoutes(benchmark::State& state, MakePairs make_pairs) {
  size_t routes = 0;
  for (auto _ : state) {
    state.PauseTiming();
    ClusterGraph g = Load("h100_16k.yaml");
    const std::vector<std::pair<NodeId, NodeId>> pairs = make_pairs(g);
    state.ResumeTiming();
    for (const auto& [a, b] : pairs) benchmark::DoNotOptimize(g.RouteBetween(a, b).links.size());
    routes += pairs.size();
    state.PauseTiming();
    state.counters["width_rows"] = static_cast<double>(g.cache_stats().width_rows);
    state.counters["cost_rows"] = static_cast<double>(g.cache_stats().cost_rows);
    state.ResumeTiming();
  }
  state.counters["routes_per_s"] =
      benchmark::Counter(static_cast<double>(routes), benchmark::Counter::kIsRate);
}

// A ring over all 16,384 GPUs in server order (7 of 8 hops inside a DGX).
void BM_RingRoutesCold(benchmark::State& state) {
  TimeFreshRoutes(state, [](const ClusterGraph& g) {
    std::vector<std::pair<NodeId, NodeId>> pairs;
    const auto& gpus = g.gpus();
    for (size_t i = 0; i < gpus.size(); ++i)
      pairs.push_back({gpus[i], gpus[(i + 1) % gpus.size()]});
    return pairs;
  });
}
BENCHMARK(BM_RingRoutesCold)->Unit(benchmark::kMillisecond)->Iterations(2);

// A ring over GPU 0 of every server: every hop crosses the fabric.
void BM_CrossServerRingCold(benchmark::State& state) {
  TimeFreshRoutes(state, [](const ClusterGraph& g) {
    std::vector<std::pair<NodeId, NodeId>> pairs;
    std::vector<NodeId> firsts;
    for (size_t i = 0; i < g.gpus().size(); i += 8) firsts.push_back(g.gpus()[i]);
    for (size_t i = 0; i < firsts.size(); ++i) {
      pairs.push_back({firsts[i], firsts[(i + 1) % firsts.size()]});
    }
    return pairs;
  });
}
BENCHMARK(BM_CrossServerRingCold)->Unit(benchmark::kMillisecond)->Iterations(2);

// 100,000 random GPU pairs (fixed seed), cold then warm rows: most pairs are new routes.
void BM_RandomPairsCold(benchmark::State& state) {
  TimeFreshRoutes(state, [](const ClusterGraph& g) {
    std::vector<std::pair<NodeId, NodeId>> pairs;
    uint64_t x = 42;
    auto next = [&] {
      x = x * 6364136223846793005ULL + 1442695040888963407ULL;
      return static_cast<size_t>(x >> 33);
    };
    const auto& gpus = g.gpus();
    for (int i = 0; i < 100'000; ++i) {
      pairs.push_back({gpus[next() % gpus.size()], gpus[next() % gpus.size()]});
    }
    return pairs;
  });
}
BENCHMARK(BM_RandomPairsCold)->Unit(benchmark::kMillisecond)->Iterations(2);

// A cached route: the price of asking again.
void BM_CachedRoute(benchmark::State& state) {
  static const ClusterGraph g = Load("h100_16k.yaml");
  const NodeId a = g.gpus().front(), b = g.gpus().back();
  g.RouteBetween(a, b);
  for (auto _ : state) benchmark::DoNotOptimize(g.RouteBetween(a, b).links.data());
}
BENCHMARK(BM_CachedRoute);

// `topo show`'s numbers, the bisection max flow included.
void BM_SummarizeH100_16k(benchmark::State& state) {
  static const ClusterGraph g = Load("h100_16k.yaml");
  for (auto _ : state) benchmark::DoNotOptimize(Summarize(g).bisection.bandwidth_bytes_per_s);
}
BENCHMARK(BM_SummarizeH100_16k)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace fleetsim

BENCHMARK_MAIN();
