// Routes (hop counts, latencies, the transit rules, ECMP determinism and spread),
// reachability and bisection bandwidth, each against a hand-derived expectation.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/topologies/topo_test_util.h"
#include "topologies/generators.h"
#include "topologies/routing.h"

namespace fleetsim {
namespace {

using testing::Box;
using testing::Link;
using testing::Tree;

std::vector<std::string> Path(const ClusterGraph& g, const Route& r) {
  std::vector<std::string> names;
  for (LinkId l : r.links) names.push_back(g.node(g.link(l).to).name);
  return names;
}

const Route& RouteOf(const ClusterGraph& g, const std::string& a, const std::string& b) {
  return g.RouteBetween(g.NodeNamed(a), g.NodeNamed(b));
}

void ExpectConnected(const ClusterGraph& g, NodeId from, NodeId to, const Route& r) {
  NodeId at = from;
  for (LinkId l : r.links) {
    ASSERT_EQ(g.link(l).from, at);
    at = g.link(l).to;
  }
  EXPECT_EQ(at, to);
}

TEST(RoutingTest, InsideADgxGpuToGpuCrossesTheNvswitch) {
  const ClusterGraph g = testing::LoadShipped("dgx_a100.yaml");
  const Route& r = RouteOf(g, "dgx0/gpu0", "dgx0/gpu7");
  // GPU -> NVSwitch -> GPU: 2 links of 0.5 us each.
  ASSERT_EQ(r.links.size(), 2u);
  EXPECT_EQ(Path(g, r), (std::vector<std::string>{"dgx0/nvswitch", "dgx0/gpu7"}));
  EXPECT_EQ(r.latency, Duration::Microseconds(1));
  // A node to itself: no links.
  EXPECT_TRUE(RouteOf(g, "dgx0/gpu3", "dgx0/gpu3").links.empty());
}

TEST(RoutingTest, GpuToNvmeGoesThroughPcieAndTheHost) {
  const ClusterGraph g = testing::LoadShipped("dgx_a100.yaml");
  // gpu2 sits on PCIe switch 2 * 4 / 8 = 1: gpu2 -> pcie1 -> cpu -> nvme.
  EXPECT_EQ(Path(g, RouteOf(g, "dgx0/gpu2", "dgx0/nvme")),
            (std::vector<std::string>{"dgx0/pcie1", "dgx0/cpu", "dgx0/nvme"}));
}

TEST(RoutingTest, WorkstationGpusTalkThroughTheRootComplex) {
  const ClusterGraph g = testing::LoadShipped("workstation_2x3080ti.yaml");
  // No NVLink: gpu0 -> cpu -> gpu1, 2 PCIe links of 0.25 us.
  const Route& r = RouteOf(g, "ws/gpu0", "ws/gpu1");
  EXPECT_EQ(Path(g, r), (std::vector<std::string>{"ws/cpu", "ws/gpu1"}));
  EXPECT_EQ(r.latency, Duration::Nanoseconds(500));
}

TEST(RoutingTest, GpusLeaveAndEnterThroughTheirPairedNic) {
  // A generated DGX A100 pod on a rail-optimized tree: GPUs 2s and 2s+1 share PCIe switch s
  // with NICs 2s and 2s+1, so both NICs are equally close to both GPUs. Rail affinity
  // (NCCL's pairing) sends GPU k through NIC k on both ends: GPU k of node0 to GPU k of node1
  // is gpu -> pcie -> nic k -> rail-k leaf -> nic k -> pcie -> gpu, 6 links, for every k
  // (a hash would put GPUs 2s and 2s+1 on one NIC about half the time).
  FabricParams fp;
  fp.shape = FabricShape::kRailOptimized;
  fp.servers = 4;
  fp.host_link = LinkParams{LinkKind::kInfiniband, 25e9, Duration::Microseconds(1)};
  fp.switch_link = fp.host_link;
  const ClusterGraph g = MakeCluster("pod", MakeServer("dgx", DgxA100Params()), fp);
  for (int k = 0; k < 8; ++k) {
    const std::string gpu = "/gpu" + std::to_string(k), nic = "/nic" + std::to_string(k);
    const std::vector<std::string> path = Path(g, RouteOf(g, "node0" + gpu, "node1" + gpu));
    ASSERT_EQ(path.size(), 6u) << k;
    EXPECT_EQ(path[1], "node0" + nic) << k;
    EXPECT_EQ(path[3], "node1" + nic) << k;
    // Across rails (GPU k to GPU 7 - k) the route still leaves through NIC k.
    const std::string other = "/gpu" + std::to_string(7 - k);
    const std::vector<std::string> cross = Path(g, RouteOf(g, "node0" + gpu, "node1" + other));
    EXPECT_EQ(cross[1], "node0" + nic) << k;
  }
}

TEST(RoutingTest, HopCountsAcrossAFatTree) {
  const ClusterGraph g = MakeCluster("k4", Box(), Tree(FabricShape::kFatTree, 16, 4));
  // Box: gpu - cpu - nic. Servers 0, 1 share leaf0; 2, 3 leaf1 (same pod); 4.. next pod.
  // Same leaf: gpu cpu nic leaf nic cpu gpu = 6 links.
  EXPECT_EQ(RouteOf(g, "node0/gpu0", "node1/gpu0").links.size(), 6u);
  // Same pod, other leaf: + leaf -> spine -> leaf = 8 links.
  EXPECT_EQ(RouteOf(g, "node0/gpu0", "node2/gpu0").links.size(), 8u);
  // Other pod: + spine -> core -> spine = 10 links; latency 4 x 250 ns (PCIe) +
  // 2 x 500 ns (NIC-leaf) + 4 x 200 ns (switch-switch) = 2.8 us.
  const Route& far = RouteOf(g, "node0/gpu0", "node15/gpu0");
  EXPECT_EQ(far.links.size(), 10u);
  EXPECT_EQ(far.latency, Duration::Nanoseconds(2800));
  ExpectConnected(g, g.NodeNamed("node0/gpu0"), g.NodeNamed("node15/gpu0"), far);
}

TEST(RoutingTest, EcmpIsDeterministicAndSpreadsOverTheCores) {
  const ClusterGraph g = MakeCluster("k4", Box(), Tree(FabricShape::kFatTree, 16, 4));
  const ClusterGraph again = MakeCluster("k4", Box(), Tree(FabricShape::kFatTree, 16, 4));
  // Between pods there are 2 spines x 2 cores = 4 equal-cost paths, one per core switch.
  // Over all 16 x 12 = 192 ordered cross-pod server pairs an even spread is 48 per core;
  // require every core used and none with more than twice another's share.
  std::map<std::string, int> per_core;
  for (int a = 0; a < 16; ++a) {
    for (int b = 0; b < 16; ++b) {
      if (a / 4 == b / 4) continue;
      const std::string src = "node" + std::to_string(a) + "/gpu0";
      const std::string dst = "node" + std::to_string(b) + "/gpu0";
      const Route& r = RouteOf(g, src, dst);
      // The same pair always gets the same route, in this graph and in an identical one.
      EXPECT_EQ(r.links, RouteOf(g, src, dst).links);
      EXPECT_EQ(r.links, RouteOf(again, src, dst).links);
      int cores = 0;
      for (const auto& name : Path(g, r)) {
        if (name.rfind("core", 0) == 0) {
          ++per_core[name];
          ++cores;
        }
      }
      EXPECT_EQ(cores, 1);
    }
  }
  ASSERT_EQ(per_core.size(), 4u);
  int lo = 1 << 30, hi = 0;
  for (const auto& [core, n] : per_core) {
    lo = std::min(lo, n);
    hi = std::max(hi, n);
  }
  EXPECT_LE(hi, 2 * lo) << "cores used " << lo << " to " << hi << " times";
}

TEST(RoutingTest, RailOptimizedPodUsesTheRailOrTheSpine) {
  const ClusterGraph g = testing::LoadShipped("dgx_h100_256.yaml");
  // GPU 0 of two servers in the SU: gpu pcie nic leaf nic pcie gpu = 6 links (its NICs 0
  // and 1 are on rails 0 and 1, and so are the peer's).
  EXPECT_EQ(RouteOf(g, "dgx0/gpu0", "dgx5/gpu0").links.size(), 6u);
  // GPU 0 to GPU 2 of another server: their NICs are on different rails, so the route goes
  // leaf -> spine -> leaf: 8 links, 4 x 0.25 + 2 x 0.5 + 2 x 0.2 = 2.4 us. (Through the
  // source host to the peer's rail instead would be gpu pcie cpu pcie nic leaf nic pcie gpu:
  // 2.5 us, so it loses.)
  const Route& r = RouteOf(g, "dgx0/gpu0", "dgx5/gpu2");
  EXPECT_EQ(r.links.size(), 8u);
  EXPECT_EQ(r.latency, Duration::Nanoseconds(2400));
}

TEST(RoutingTest, SixteenThousandGpuClusterRoutesLazily) {
  const ClusterGraph g = testing::LoadShipped("h100_16k.yaml");
  // Nothing is computed at load.
  EXPECT_EQ(g.cache_stats().routes, 0u);
  EXPECT_EQ(g.cache_stats().width_rows, 0u);
  EXPECT_EQ(g.cache_stats().cost_rows, 0u);
  // dgx0 is in pod 0 (SUs 0-3), dgx2047 in pod 15: gpu pcie nic leaf spine core spine leaf
  // nic pcie gpu = 10 links, 4 x 0.25 + 2 x 0.5 + 4 x 0.2 = 2.8 us.
  const Route& r = RouteOf(g, "dgx0/gpu0", "dgx2047/gpu7");
  EXPECT_EQ(r.links.size(), 10u);
  EXPECT_EQ(r.latency, Duration::Nanoseconds(2800));
  ExpectConnected(g, g.NodeNamed("dgx0/gpu0"), g.NodeNamed("dgx2047/gpu7"), r);
  // One route cached. Rows: the destination GPU reaches all 8 of its server's NICs (NICs 6
  // and 7 through its PCIe switch, the others through the host), all 50 GB/s wide, so the
  // width phase stops after the first leaf's row: 1 width row. Costs: NICs 6, 7 cost
  // 2 x 0.25 + 0.5 = 1 us to their leaves, the others 4 x 0.25 + 0.5 = 1.5 us; the best
  // route costs 1 + 0.8 + 1 = 2.8 us, and 1 us (cheapest entry) + 1.5 us < 2.8 us cannot
  // be ruled out without the fabric row, so all 8 leaves get a cost row.
  EXPECT_EQ(g.cache_stats().routes, 1u);
  EXPECT_EQ(g.cache_stats().width_rows, 1u);
  EXPECT_EQ(g.cache_stats().cost_rows, 8u);
}

TEST(RoutingTest, MetricChoosesBetweenFewHopsAndLowLatency) {
  // a and b (GPUs) joined directly by a slow link (10 us), and through two switches by
  // fast ones (3 x 1 us).
  for (RouteMetric metric : {RouteMetric::kLatency, RouteMetric::kHops}) {
    ClusterGraphBuilder b("metric");
    b.set_metric(metric);
    auto node = [&](const char* name, NodeKind kind) {
      NodeSpec n;
      n.name = name;
      n.kind = kind;
      if (kind == NodeKind::kGpu) n.gpu_type = "TestGPU";
      return b.AddNode(n);
    };
    const NodeId a = node("a", NodeKind::kGpu), z = node("b", NodeKind::kGpu);
    const NodeId s1 = node("s1", NodeKind::kSwitch), s2 = node("s2", NodeKind::kSwitch);
    b.AddCable({a, z, LinkKind::kNvlink, 1e9, Duration::Microseconds(10)});
    b.AddCable({a, s1, LinkKind::kEthernet, 1e9, Duration::Microseconds(1)});
    b.AddCable({s1, s2, LinkKind::kEthernet, 1e9, Duration::Microseconds(1)});
    b.AddCable({s2, z, LinkKind::kEthernet, 1e9, Duration::Microseconds(1)});
    const ClusterGraph g = b.Build();
    const Route& r = g.RouteBetween(a, z);
    // Latency: 3 us through the switches beats 10 us direct; hops: 1 beats 3.
    EXPECT_EQ(r.links.size(), metric == RouteMetric::kLatency ? 3u : 1u);
  }
}

ClusterGraph ThreeServersBridgedByTheMiddleOne() {
  // Servers A, B, C (Box: gpu, nic0, nic1, cpu); switch s1 joins A and C, s2 joins C and B.
  // A path A -> s1 -> C -> s2 -> B exists as a graph but transits server C.
  ClusterGraphBuilder b("bridge");
  const ServerTemplate box = Box(1, 2);
  for (const char* s : {"A", "B", "C"}) b.AddServer(box, s);
  NodeSpec sw;
  sw.kind = NodeKind::kSwitch;
  sw.name = "s1";
  const NodeId s1 = b.AddNode(sw);
  sw.name = "s2";
  const NodeId s2 = b.AddNode(sw);
  auto cable = [&](const char* a, NodeId s) {
    b.AddCable({*b.FindNode(a), s, LinkKind::kEthernet, 1e9, Duration::Microseconds(1)});
  };
  cable("A/nic0", s1);
  cable("C/nic0", s1);
  cable("C/nic1", s2);
  cable("B/nic0", s2);
  return b.Build();
}

TEST(RoutingTest, NeverTransitsAThirdServer) {
  const ClusterGraph g = ThreeServersBridgedByTheMiddleOne();
  EXPECT_EQ(g.TryRouteBetween(g.NodeNamed("A/gpu0"), g.NodeNamed("B/gpu0")), nullptr);
  EXPECT_THROW(RouteOf(g, "A/gpu0", "B/gpu0"), InputError);
  // A and C, C and B are fine.
  EXPECT_NE(g.TryRouteBetween(g.NodeNamed("A/gpu0"), g.NodeNamed("C/gpu0")), nullptr);
  EXPECT_NE(g.TryRouteBetween(g.NodeNamed("C/gpu0"), g.NodeNamed("B/gpu0")), nullptr);
  // The reachability check finds the same pair.
  auto bad = FindUnreachableGpus(g);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(g.node(bad->first).name, "A/gpu0");
  EXPECT_EQ(g.node(bad->second).name, "B/gpu0");
}

TEST(RoutingTest, GpusDoNotRelay) {
  // g0 - g1 - g2 joined by NVLink only: g0 and g2 need g1 to relay, which GPUs do not.
  ClusterGraphBuilder b("chain");
  NodeSpec n;
  n.kind = NodeKind::kGpu;
  n.gpu_type = "TestGPU";
  for (const char* name : {"g0", "g1", "g2"}) {
    n.name = name;
    b.AddNode(n);
  }
  b.AddCable({0, 1, LinkKind::kNvlink, 1e9, Duration::Microseconds(1)});
  b.AddCable({1, 2, LinkKind::kNvlink, 1e9, Duration::Microseconds(1)});
  const ClusterGraph g = b.Build();
  EXPECT_EQ(g.RouteBetween(0, 1).links.size(), 1u);
  EXPECT_EQ(g.TryRouteBetween(0, 2), nullptr);
  auto bad = FindUnreachableGpus(g);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->first, 0u);
  EXPECT_EQ(bad->second, 2u);
  EXPECT_THROW(CheckGpusReachable(g), InputError);
}

TEST(RoutingTest, TrafficInsideAServerStaysInside) {
  // gpu0 and gpu1 are joined inside the server only through a slow host (2 x 10 us), and
  // outside through their own NICs and a switch (4 x 0.5 us). The rule keeps the route
  // inside the server even though the fabric is faster.
  ServerTemplate t;
  t.name = "slowhost";
  auto add = [&](const char* name, NodeKind kind) {
    NodeSpec n;
    n.name = name;
    n.kind = kind;
    if (kind == NodeKind::kGpu) n.gpu_type = "TestGPU";
    t.nodes.push_back(n);
    return static_cast<uint32_t>(t.nodes.size() - 1);
  };
  const uint32_t g0 = add("gpu0", NodeKind::kGpu), g1 = add("gpu1", NodeKind::kGpu);
  const uint32_t cpu = add("cpu", NodeKind::kHost);
  const uint32_t n0 = add("nic0", NodeKind::kNic), n1 = add("nic1", NodeKind::kNic);
  const Duration slow = Duration::Microseconds(10), fast = Duration::Nanoseconds(500);
  t.cables = {{g0, cpu, LinkKind::kPcie, 1e9, slow, true},
              {g1, cpu, LinkKind::kPcie, 1e9, slow, true},
              {g0, n0, LinkKind::kPcie, 1e9, fast, true},
              {g1, n1, LinkKind::kPcie, 1e9, fast, true}};
  ClusterGraphBuilder b("inside");
  b.AddServer(t, "s");
  NodeSpec sw;
  sw.name = "leaf";
  sw.kind = NodeKind::kSwitch;
  const NodeId leaf = b.AddNode(sw);
  b.AddCable({*b.FindNode("s/nic0"), leaf, LinkKind::kEthernet, 1e9, fast});
  b.AddCable({*b.FindNode("s/nic1"), leaf, LinkKind::kEthernet, 1e9, fast});
  const ClusterGraph g = b.Build();
  EXPECT_EQ(Path(g, RouteOf(g, "s/gpu0", "s/gpu1")), (std::vector<std::string>{"s/cpu", "s/gpu1"}));
}

TEST(RoutingTest, HalfDuplexCablesGiveEachDirectionHalf) {
  ClusterGraphBuilder b("half");
  NodeSpec n;
  n.kind = NodeKind::kGpu;
  n.gpu_type = "TestGPU";
  n.name = "a";
  b.AddNode(n);
  n.name = "b";
  b.AddNode(n);
  b.AddCable({0, 1, LinkKind::kEthernet, 10e9, Duration::Microseconds(1), false});
  const ClusterGraph g = b.Build();
  // Cable 0 = links 0 (a -> b) and 1 (b -> a), 5 GB/s each.
  EXPECT_EQ(g.link(0).from, 0u);
  EXPECT_EQ(g.link(1).from, 1u);
  EXPECT_DOUBLE_EQ(g.link(0).bandwidth_bytes_per_s, 5e9);
  EXPECT_DOUBLE_EQ(g.link(1).bandwidth_bytes_per_s, 5e9);
}

TEST(BisectionTest, SmallFatTreesByHand) {
  // B = 12.5 GB/s per cable and direction.
  // 2-level, k = 4, 1:1, 8 servers: leaves 0, 1 hold the first 4 GPUs and have 2 up-links
  // each to the 2 spines: the cut is 4 B = 50 GB/s (= 4 GPUs x B: full bisection).
  {
    const ClusterGraph g = MakeCluster("t", Box(), Tree(FabricShape::kFatTree, 8, 4));
    const Bisection b = BisectionBandwidth(g);
    EXPECT_EQ(b.gpus_per_side, 4u);
    EXPECT_TRUE(b.servers_contracted);
    EXPECT_DOUBLE_EQ(b.bandwidth_bytes_per_s, 50e9);
  }
  // 2-level, k = 4, 3:1, 6 servers: leaf0 holds the first 3 GPUs and has 1 up-link: B.
  {
    const ClusterGraph g = MakeCluster("t", Box(), Tree(FabricShape::kFatTree, 6, 4, 3));
    EXPECT_DOUBLE_EQ(BisectionBandwidth(g).bandwidth_bytes_per_s, 12.5e9);
  }
  // 3-level, k = 4, 16 servers: pods 0 and 1 (8 GPUs) reach the cores through 2 spines x
  // 2 core cables each per pod = 8 cables: 8 B = 100 GB/s.
  {
    const ClusterGraph g = MakeCluster("t", Box(), Tree(FabricShape::kFatTree, 16, 4));
    EXPECT_DOUBLE_EQ(BisectionBandwidth(g).bandwidth_bytes_per_s, 100e9);
  }
}

TEST(BisectionTest, InsideOneServer) {
  // DGX A100, GPUs 0-3 vs 4-7: 4 x 300 GB/s into the NVSwitch, plus PCIe: GPUs 0-3 sit on
  // PCIe switches 0 and 1, whose two 32 GB/s uplinks reach the host: 1,200 + 64 = 1,264 GB/s.
  const ClusterGraph g = testing::LoadShipped("dgx_a100.yaml");
  const Bisection b = BisectionBandwidth(g);
  EXPECT_FALSE(b.servers_contracted);
  EXPECT_DOUBLE_EQ(b.bandwidth_bytes_per_s, 1264e9);
}

}  // namespace
}  // namespace fleetsim
