// Collectives as flows: each algorithm against its closed-form alpha-beta time, the
// pipelined ring against the step-by-step ring, and contention between two jobs.
#include "models/network/collectives.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

#include "models/network/network_model.h"
#include "sim/simulator.h"
#include "tests/models/network_test_fabric.h"
#include "topologies/generators.h"

namespace fleetsim {
namespace {

using testing::TestFabric;

constexpr double kGB = 1e9;

// n hosts, each on its own full-duplex cable to one switch: bandwidth B per direction and
// latency `hop` per link, so host-to-host routes have latency 2 * hop and bottleneck B.
struct Star {
  TestFabric fab;
  std::vector<NodeId> hosts;
  Star(int n, double B, Duration hop) {
    const NodeId sw = fab.AddNode();
    for (int i = 0; i < n; ++i) {
      hosts.push_back(fab.AddNode());
      fab.AddCable(hosts.back(), sw, B, hop);
    }
  }
};

// Runs one collective alone and returns its simulated time in seconds.
double TimeOf(const Fabric& fab, const CollectiveSpec& spec) {
  Simulator sim;
  NetworkModel net(sim, fab);
  CollectiveEngine engine(sim, net, fab);
  double done = -1;
  engine.Start(spec, [&] { done = sim.Now().seconds(); });
  EXPECT_EQ(sim.Run().status, RunResult::Status::kFinished);
  EXPECT_EQ(engine.running(), 0u);
  return done;
}

CollectiveSpec Spec(CollectiveKind kind, CollectiveAlgorithm alg, std::vector<NodeId> group,
                    double bytes) {
  CollectiveSpec s;
  s.kind = kind;
  s.algorithm = alg;
  s.group = std::move(group);
  s.bytes = bytes;
  return s;
}

TEST(CollectivesTest, RingAllReduceMatchesTheAlphaBetaFormulaWithinOnePercent) {
  // 8 ranks on a star, 25 GB/s, 1 us per link (alpha = 2 us host to host), S = 1 GB:
  //   2(n-1) alpha + 2(n-1)/n S/B = 14 * 2 us + 1.75 * 1e9 / 25e9 = 28 us + 70 ms.
  Star star(8, 25 * kGB, Duration::Microseconds(1));
  const double t = TimeOf(
      star.fab, Spec(CollectiveKind::kAllReduce, CollectiveAlgorithm::kRing, star.hosts, 1e9));
  const double want = 14 * 2e-6 + 2.0 * 7 / 8 * 1e9 / 25e9;
  EXPECT_NEAR(t, want, 0.01 * want);
  EXPECT_NEAR(t, want, 1e-8);  // in fact exact up to nanosecond rounding
  CollectiveEstimateInput in;
  in.n = 8;
  in.bytes = 1e9;
  in.net = {2e-6, 25 * kGB};
  EXPECT_DOUBLE_EQ(EstimateCollectiveSeconds(in), want);
  // nccl-tests busbw = algbw * 2(n-1)/n equals the link bandwidth for a bandwidth-bound
  // ring: (1e9 / 0.070028) * 1.75 = 24.99 GB/s.
  EXPECT_NEAR(1e9 / t * BusBandwidthFactor(CollectiveKind::kAllReduce, 8), 25 * kGB,
              0.001 * 25 * kGB);
}

TEST(CollectivesTest, PipelinedRingAgreesWithTheStepByStepRing) {
  // Step mode: 2(n-1) synchronised steps, each n flows of S/n at B after alpha:
  //   2(n-1) (alpha + S/(nB)), the same sum as the one-phase pipelined form.
  for (int n : {2, 3, 4, 6}) {
    Star star(n, 10 * kGB, Duration::Microseconds(2));
    for (auto kind :
         {CollectiveKind::kAllReduce, CollectiveKind::kAllGather, CollectiveKind::kReduceScatter}) {
      const double piped =
          TimeOf(star.fab, Spec(kind, CollectiveAlgorithm::kRing, star.hosts, 64e6));
      const double steps =
          TimeOf(star.fab, Spec(kind, CollectiveAlgorithm::kRingStepwise, star.hosts, 64e6));
      EXPECT_NEAR(piped, steps, 0.01 * steps) << ToString(kind) << " n=" << n;
    }
  }
}

TEST(CollectivesTest, AllGatherAndReduceScatterMatchTheirFormula) {
  // (n-1) alpha + (n-1)/n S/B with n = 8, alpha = 2 us, S = 512 MB, B = 50 GB/s:
  //   14 us + 0.875 * 512e6 / 50e9 = 14 us + 8.96 ms.
  Star star(8, 50 * kGB, Duration::Microseconds(1));
  const double want = 7 * 2e-6 + 7.0 / 8 * 512e6 / 50e9;
  for (auto kind : {CollectiveKind::kAllGather, CollectiveKind::kReduceScatter}) {
    const double t = TimeOf(star.fab, Spec(kind, CollectiveAlgorithm::kRing, star.hosts, 512e6));
    EXPECT_NEAR(t, want, 0.01 * want) << ToString(kind);
    CollectiveEstimateInput in;
    in.kind = kind;
    in.n = 8;
    in.bytes = 512e6;
    in.net = {2e-6, 50 * kGB};
    EXPECT_DOUBLE_EQ(EstimateCollectiveSeconds(in), want);
  }
}

TEST(CollectivesTest, DoubleBinaryTreesAreTreesWithComplementaryLeaves) {
  for (uint32_t n = 1; n <= 70; ++n) {
    for (int which = 0; which < 2; ++which) {
      const BinaryTree t = DoubleBinaryTree(n, which);
      // Every rank reaches the root; at most two children each; height <= log2(n).
      std::vector<int> children(n, 0);
      for (uint32_t r = 0; r < n; ++r) {
        int steps = 0;
        for (int32_t q = static_cast<int32_t>(r); q != t.root; q = t.parent[q]) {
          ASSERT_GE(t.parent[q], 0) << "n=" << n;
          ASSERT_LT(++steps, 64);
        }
        if (t.parent[r] >= 0) ++children[t.parent[r]];
      }
      for (int c : children) EXPECT_LE(c, 2);
      EXPECT_LE(t.height, static_cast<uint32_t>(std::floor(std::log2(n))));
    }
    if (n % 2 == 0) {
      // Even n: a leaf of tree 0 is an inner node of tree 1 and vice versa, so no rank
      // carries both trees' leaf-and-inner traffic twice.
      const BinaryTree a = DoubleBinaryTree(n, 0);
      const BinaryTree b = DoubleBinaryTree(n, 1);
      std::vector<int> ca(n, 0), cb(n, 0);
      for (uint32_t r = 0; r < n; ++r) {
        if (a.parent[r] >= 0) ++ca[a.parent[r]];
        if (b.parent[r] >= 0) ++cb[b.parent[r]];
      }
      for (uint32_t r = 0; r < n && n > 2; ++r) {
        EXPECT_FALSE(ca[r] == 0 && cb[r] == 0) << "rank " << r << " is a leaf twice, n=" << n;
      }
    }
  }
}

TEST(CollectivesTest, DoubleBinaryTreeAllReduceMatchesItsFormula) {
  // 16 ranks: every tree edge carries S/2 each way; the busiest rank has 4 tree edges
  // (inner node of one tree: parent + 2 children; leaf of the other: parent), so it sends
  // 4 * S/2 = 2S through its B link: 2 * 1e9 / 25e9 = 80 ms. Latency: each flow waits
  // 2 h alpha with h = 4 (the taller tree over 16 ranks) and alpha = 2 us: 16 us.
  Star star(16, 25 * kGB, Duration::Microseconds(1));
  const double t = TimeOf(star.fab, Spec(CollectiveKind::kAllReduce,
                                         CollectiveAlgorithm::kDoubleBinaryTree, star.hosts, 1e9));
  const double want = 2 * 4 * 2e-6 + 2 * 1e9 / 25e9;
  EXPECT_NEAR(t, want, 0.01 * want);
  CollectiveEstimateInput in;
  in.algorithm = CollectiveAlgorithm::kDoubleBinaryTree;
  in.n = 16;
  in.bytes = 1e9;
  in.net = {2e-6, 25 * kGB};
  EXPECT_NEAR(EstimateCollectiveSeconds(in), want, 1e-12);
}

TEST(CollectivesTest, HierarchicalAllReduceMatchesItsFormula) {
  // 4 servers x 4 GPUs. Inside a server, each GPU has a 300 GB/s cable to the server's
  // NVSwitch (0.5 us per link); each GPU also has a 25 GB/s NIC cable to one network
  // switch (2 us per link). g = 4, m = 4, S = 1 GB:
  //   intra RS + AG: 2 (g-1) * 1 us + 2 (g-1)/g * S / 300e9 = 6 us + 5 ms
  //   rail rings:    2 (m-1) * 4 us + 2 (m-1)/m * (S/g) / 25e9 = 24 us + 15 ms
  TestFabric fab;
  const NodeId net_switch = fab.AddNode();
  std::vector<NodeId> gpus;
  for (int s = 0; s < 4; ++s) {
    const NodeId nvswitch = fab.AddNode();
    std::vector<NodeId> local;
    for (int k = 0; k < 4; ++k) {
      const NodeId g = fab.AddNode();
      fab.AddCable(g, nvswitch, 300 * kGB, Duration::Nanoseconds(500));
      local.push_back(g);
      gpus.push_back(g);
    }
    (void)local;
  }
  // NICs after the NVLink cables so that BFS prefers NVLink inside a server.
  for (NodeId g : gpus) fab.AddCable(g, net_switch, 25 * kGB, Duration::Microseconds(2));
  CollectiveSpec spec =
      Spec(CollectiveKind::kAllReduce, CollectiveAlgorithm::kHierarchical, gpus, 1e9);
  spec.ranks_per_server = 4;
  const double t = TimeOf(fab, spec);
  const double want = 6e-6 + 2.0 * 3 / 4 * 1e9 / 300e9 + 24e-6 + 2.0 * 3 / 4 * 0.25e9 / 25e9;
  EXPECT_NEAR(t, want, 0.01 * want);
  CollectiveEstimateInput in;
  in.algorithm = CollectiveAlgorithm::kHierarchical;
  in.n = 16;
  in.bytes = 1e9;
  in.ranks_per_server = 4;
  in.intra = {1e-6, 300 * kGB};
  in.net = {4e-6, 25 * kGB};
  EXPECT_NEAR(EstimateCollectiveSeconds(in), want, 1e-12);
  // The flat ring over the same 16 GPUs crosses the NICs for every step: S/B bound
  // 2 * 15/16 * 1e9 / 25e9 = 75 ms, against ~20 ms hierarchical.
  EXPECT_GT(TimeOf(fab, Spec(CollectiveKind::kAllReduce, CollectiveAlgorithm::kRing, gpus, 1e9)),
            3 * t);
}

TEST(CollectivesTest, AllToAllBroadcastAndPointToPointMatchTheirFormulas) {
  Star star(8, 20 * kGB, Duration::Microseconds(1));
  // All-to-all: each NIC sends n-1 flows of S/n; the 7 flows share B, each at B/7:
  //   alpha + (n-1)/n S/B = 2 us + 0.875 * 800e6 / 20e9 = 2 us + 35 ms.
  const double a2a = TimeOf(
      star.fab, Spec(CollectiveKind::kAllToAll, CollectiveAlgorithm::kDirect, star.hosts, 800e6));
  EXPECT_NEAR(a2a, 2e-6 + 7.0 / 8 * 800e6 / 20e9, 1e-3 * a2a);
  // Broadcast, pipelined chain from rank 3: (n-1) alpha + S/B = 14 us + 10 ms.
  CollectiveSpec bc =
      Spec(CollectiveKind::kBroadcast, CollectiveAlgorithm::kRing, star.hosts, 200e6);
  bc.root = 3;
  const double b = TimeOf(star.fab, bc);
  EXPECT_NEAR(b, 7 * 2e-6 + 200e6 / 20e9, 1e-3 * b);
  // Point-to-point: alpha + S/B = 2 us + 5 ms.
  const double p =
      TimeOf(star.fab, Spec(CollectiveKind::kPointToPoint, CollectiveAlgorithm::kDirect,
                            {star.hosts[0], star.hosts[5]}, 100e6));
  EXPECT_NEAR(p, 2e-6 + 100e6 / 20e9, 1e-9);
  for (auto [kind, alg, S, got] :
       {std::tuple{CollectiveKind::kAllToAll, CollectiveAlgorithm::kDirect, 800e6, a2a},
        std::tuple{CollectiveKind::kBroadcast, CollectiveAlgorithm::kRing, 200e6, b}}) {
    CollectiveEstimateInput in;
    in.kind = kind;
    in.algorithm = alg;
    in.n = 8;
    in.bytes = S;
    in.net = {2e-6, 20 * kGB};
    EXPECT_NEAR(EstimateCollectiveSeconds(in), got, 1e-3 * got) << ToString(kind);
  }
}

TEST(CollectivesTest, TwoJobsOnSharedUplinksSlowEachOtherByTheExpectedFactor) {
  // Two leaves under one spine; hosts have 100 GB/s cables, each leaf a 10 GB/s uplink;
  // 1 us per link. Job A ranks a0 a1 (leaf 1) a2 a3 (leaf 2), job B the same with b*.
  // Each ring crosses each uplink direction once (a1->a2 up leaf 1, a3->a0 up leaf 2), so
  // alone a crossing flow has the uplink to itself; together two flows share it.
  // Ring all-reduce, S = 1 GB: every flow carries 2(n-1)/n S = 1.5 GB with 2(n-1) = 6
  // latency terms of its route; crossing routes have 4 links (4 us), so the collective
  // ends with its crossing flows:
  //   alone:  6 * 4 us + 1.5e9 / 10e9 = 0.150024 s
  //   shared: 6 * 4 us + 1.5e9 /  5e9 = 0.300024 s   -> slowdown 1.99984
  // (the intra-leaf flows, at 50-100 GB/s, end long before and do not matter).
  TestFabric fab;
  const NodeId spine = fab.AddNode();
  const NodeId leaf1 = fab.AddNode();
  const NodeId leaf2 = fab.AddNode();
  fab.AddCable(leaf1, spine, 10 * kGB, Duration::Microseconds(1));
  fab.AddCable(leaf2, spine, 10 * kGB, Duration::Microseconds(1));
  const auto host = [&](NodeId leaf) {
    const NodeId h = fab.AddNode();
    fab.AddCable(h, leaf, 100 * kGB, Duration::Microseconds(1));
    return h;
  };
  std::vector<NodeId> a{host(leaf1), host(leaf1), host(leaf2), host(leaf2)};
  std::vector<NodeId> b{host(leaf1), host(leaf1), host(leaf2), host(leaf2)};
  const CollectiveSpec ja = Spec(CollectiveKind::kAllReduce, CollectiveAlgorithm::kRing, a, 1e9);
  const CollectiveSpec jb = Spec(CollectiveKind::kAllReduce, CollectiveAlgorithm::kRing, b, 1e9);

  const double alone = TimeOf(fab, ja);
  EXPECT_NEAR(alone, 0.150024, 1e-8);

  Simulator sim;
  NetworkModel net(sim, fab);
  CollectiveEngine engine(sim, net, fab);
  double ta = -1, tb = -1;
  engine.Start(ja, [&] { ta = sim.Now().seconds(); });
  engine.Start(jb, [&] { tb = sim.Now().seconds(); });
  sim.Run();
  EXPECT_NEAR(ta, 0.300024, 1e-8);
  EXPECT_NEAR(tb, 0.300024, 1e-8);
  EXPECT_NEAR(ta / alone, 0.300024 / 0.150024, 1e-6);
}

TEST(CollectivesTest, RingAllReduceInsideAGeneratedDgxA100) {
  // One DGX A100 from the topology generator (topologies/generators.h): 8 GPUs, each with a
  // 300 GB/s-per-direction NVSwitch link. GPU-to-GPU routes cross the NVSwitch (2 links),
  // so alpha is the route's latency and B = 300 GB/s:
  //   2(n-1) alpha + 2(n-1)/n S/B = 14 alpha + 1.75 * 4e9 / 300e9 = 14 alpha + 23.33 ms.
  FabricParams p;
  p.shape = FabricShape::kSingleSwitch;
  p.servers = 1;
  p.host_link = {LinkKind::kInfiniband, 25e9, Duration::Nanoseconds(500)};
  const ClusterGraph dgx = MakeCluster("one-dgx", MakeServer("dgx", DgxA100Params()), p);
  ASSERT_EQ(dgx.gpus().size(), 8u);
  const Route& hop = dgx.RouteBetween(dgx.gpus()[0], dgx.gpus()[1]);
  ASSERT_EQ(hop.links.size(), 2u);
  const double alpha = hop.latency.seconds();
  const double t =
      TimeOf(dgx, Spec(CollectiveKind::kAllReduce, CollectiveAlgorithm::kRing, dgx.gpus(), 4e9));
  const double want = 14 * alpha + 2.0 * 7 / 8 * 4e9 / 300e9;
  EXPECT_NEAR(t, want, 0.01 * want);
  // The NVSwitch links of GPU 0 carried its ring flow's 2(n-1)/n S = 7 GB each way.
  Simulator sim;
  NetworkModel net(sim, dgx);
  CollectiveEngine engine(sim, net, dgx);
  engine.Start(Spec(CollectiveKind::kAllReduce, CollectiveAlgorithm::kRing, dgx.gpus(), 4e9),
               [] {});
  sim.Run();
  EXPECT_NEAR(net.Usage(hop.links[0]).bytes_carried, 7e9, 7e9 * 1e-6);
}

TEST(CollectivesTest, GroupOfOneCompletesAtOnceAndBadSpecsAreRejected) {
  Star star(4, 10 * kGB, Duration::Microseconds(1));
  EXPECT_EQ(TimeOf(star.fab, Spec(CollectiveKind::kAllReduce, CollectiveAlgorithm::kRing,
                                  {star.hosts[0]}, 1e9)),
            0.0);
  Simulator sim;
  NetworkModel net(sim, star.fab);
  CollectiveEngine engine(sim, net, star.fab);
  const auto start = [&](CollectiveSpec s) { engine.Start(s, [] {}); };
  EXPECT_THROW(start(Spec(CollectiveKind::kAllGather, CollectiveAlgorithm::kDoubleBinaryTree,
                          star.hosts, 1)),
               std::invalid_argument);
  EXPECT_THROW(start(Spec(CollectiveKind::kAllReduce, CollectiveAlgorithm::kRing, {}, 1)),
               std::invalid_argument);
  EXPECT_THROW(start(Spec(CollectiveKind::kAllReduce, CollectiveAlgorithm::kRing,
                          {star.hosts[0], star.hosts[0]}, 1)),
               std::invalid_argument);
  CollectiveSpec h =
      Spec(CollectiveKind::kAllReduce, CollectiveAlgorithm::kHierarchical, star.hosts, 1);
  h.ranks_per_server = 3;
  EXPECT_THROW(start(h), std::invalid_argument);
  EXPECT_THROW(
      start(Spec(CollectiveKind::kPointToPoint, CollectiveAlgorithm::kDirect, star.hosts, 1)),
      std::invalid_argument);
  EXPECT_EQ(engine.running(), 0u);
}

TEST(CollectivesTest, CancelStopsTheFlowsAndTheCompletion) {
  Star star(4, 10 * kGB, Duration::Microseconds(1));
  Simulator sim;
  NetworkModel net(sim, star.fab);
  CollectiveEngine engine(sim, net, star.fab);
  bool done = false;
  const CollectiveId id = engine.Start(
      Spec(CollectiveKind::kAllReduce, CollectiveAlgorithm::kRingStepwise, star.hosts, 1e9),
      [&] { done = true; });
  sim.Run(SimTime::FromNanoseconds(10'000'000));
  EXPECT_TRUE(engine.IsRunning(id));
  EXPECT_GT(net.flows_in_flight(), 0u);
  EXPECT_TRUE(engine.Cancel(id));
  EXPECT_FALSE(engine.Cancel(id));
  EXPECT_EQ(net.flows_in_flight(), 0u);
  EXPECT_EQ(sim.Run().status, RunResult::Status::kFinished);
  EXPECT_FALSE(done);
}

}  // namespace
}  // namespace fleetsim
