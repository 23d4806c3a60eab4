// Generated servers and fabrics: node and cable counts derived by hand from the formulas in
// docs/topologies.md, and parameter errors.
#include <gtest/gtest.h>

#include "tests/topologies/topo_test_util.h"
#include "topologies/generators.h"
#include "topologies/routing.h"

namespace fleetsim {
namespace {

using testing::Box;
using testing::Link;
using testing::Tree;

size_t CountKind(const ClusterGraph& g, NodeKind k) {
  size_t n = 0;
  for (NodeId id = 0; id < g.node_count(); ++id) n += g.node(id).kind == k;
  return n;
}

TEST(ServerGeneratorTest, DgxA100Shape) {
  const ServerTemplate t = MakeServer("dgx", DgxA100Params());
  // 8 GPUs + 1 NVSwitch + 4 PCIe switches + 8 NICs + 1 host + 1 NVMe = 23 nodes.
  EXPECT_EQ(t.nodes.size(), 23u);
  // 8 GPU-NVSwitch + 8 GPU-PCIe + 8 NIC-PCIe + 4 PCIe-host + 1 NVMe-host = 29 cables.
  EXPECT_EQ(t.cables.size(), 29u);
  EXPECT_EQ(t.gpu_count(), 8u);
  EXPECT_EQ(t.Ports().size(), 8u);
  // GPU 5 and NIC 5 share PCIe switch 5 * 4 / 8 = 2 (the DGX pairing).
  auto index = [&](const std::string& name) {
    for (uint32_t i = 0; i < t.nodes.size(); ++i) {
      if (t.nodes[i].name == name) return i;
    }
    return UINT32_MAX;
  };
  auto parent = [&](uint32_t node) {
    for (const auto& c : t.cables) {
      if (c.a == node && c.kind == LinkKind::kPcie) return c.b;
    }
    return UINT32_MAX;
  };
  EXPECT_EQ(parent(index("gpu5")), index("pcie2"));
  EXPECT_EQ(parent(index("nic5")), index("pcie2"));
}

TEST(ServerGeneratorTest, WorkstationHasNoNvlink) {
  const ServerTemplate t = MakeServer("ws", PcieWorkstationParams());
  // 2 GPUs + host + NVMe = 4 nodes; 2 GPU-host + NVMe-host = 3 cables, all PCIe.
  EXPECT_EQ(t.nodes.size(), 4u);
  EXPECT_EQ(t.cables.size(), 3u);
  for (const auto& c : t.cables) EXPECT_EQ(c.kind, LinkKind::kPcie);
}

TEST(ServerGeneratorTest, ParameterErrorsNameTheParameter) {
  ServerParams p = DgxA100Params();
  p.gpus = 0;
  try {
    MakeServer("x", p);
    FAIL();
  } catch (const GeneratorError& e) {
    EXPECT_EQ(e.param(), "gpus");
  }
  p = DgxA100Params();
  p.pcie_link.bandwidth_bytes_per_s = 0;
  EXPECT_THROW(MakeServer("x", p), GeneratorError);
}

TEST(FatTreeTest, TextbookFourAryFatTree) {
  // k = 4, 16 single-NIC servers: leaf down = up = 2; 8 leaves > k, so 3 levels; pods of
  // k/2 = 2 leaves -> 4 pods; 2 spines per pod -> 8; spine up k/2 = 2, 4 pods -> 1 cable per
  // core, 2 cores per group x 2 groups = 4 cores (Al-Fares et al.: (k/2)^2 = 4 cores,
  // k^2/2 = 8 aggregation, 8 edge switches, k^3/4 = 16 hosts).
  const FabricLayout f = PlanFabric(Box(), Tree(FabricShape::kFatTree, 16, 4));
  EXPECT_EQ(f.levels, 3);
  EXPECT_EQ(f.leaves, 8);
  EXPECT_EQ(f.pods, 4);
  EXPECT_EQ(f.spines, 8);
  EXPECT_EQ(f.cores, 4);
  EXPECT_EQ(f.spine_core_parallel, 1);
  // 16 host cables + 8 x 2 leaf-spine + 8 x 2 spine-core = 48 cables.
  EXPECT_EQ(f.cables(), 48);
  const ClusterGraph g = MakeCluster("k4", Box(), Tree(FabricShape::kFatTree, 16, 4));
  // 16 servers x 3 nodes (gpu, nic, cpu) + 20 switches = 68 nodes;
  // 16 x 2 cables inside servers + 48 = 80 cables, 160 directed links.
  EXPECT_EQ(g.node_count(), 68u);
  EXPECT_EQ(g.cable_count(), 80u);
  EXPECT_EQ(g.link_count(), 160u);
  EXPECT_EQ(CountKind(g, NodeKind::kSwitch), 20u);
  EXPECT_EQ(g.servers().size(), 16u);
  EXPECT_EQ(g.gpus().size(), 16u);
  EXPECT_EQ(g.node(*g.FindNode("node15/gpu0")).server, 15);
}

TEST(FatTreeTest, TwoLevelWithOversubscription) {
  // k = 4, 3:1: leaf down = 4 * 3 / 4 = 3, up = 1. 6 servers -> 2 leaves (2-level); each
  // leaf's single up port, 2 leaves x p <= 4 -> p = 1, so 1 spine; 2 leaf-spine cables.
  const FabricLayout f = PlanFabric(Box(), Tree(FabricShape::kFatTree, 6, 4, 3));
  EXPECT_EQ(f.levels, 2);
  EXPECT_EQ(f.leaf_down, 3);
  EXPECT_EQ(f.leaf_up, 1);
  EXPECT_EQ(f.leaves, 2);
  EXPECT_EQ(f.spines, 1);
  EXPECT_EQ(f.leaf_spine_cables, 2);
}

TEST(FatTreeTest, OneLeafNeedsNoSpine) {
  // 2 servers x 1 NIC on a radix-8 leaf (4 down): one leaf, level 1, no spines.
  const FabricLayout f = PlanFabric(Box(), Tree(FabricShape::kFatTree, 2, 8));
  EXPECT_EQ(f.levels, 1);
  EXPECT_EQ(f.leaves, 1);
  EXPECT_EQ(f.switches(), 1);
}

TEST(RailOptimizedTest, ReproducesTheDgxSuperPodTable) {
  // NVIDIA DGX SuperPOD reference architecture, component counts (SU = 32 DGX nodes, 8 NDR
  // rails, 64-port switches): nodes -> leaf / spine / core switches.
  //   64 -> 16 / 8 / -     128 -> 32 / 16 / -     256 -> 64 / 32 / -
  //   512 -> 128 / 128 / 64     1,024 -> 256 / 256 / 128     2,048 -> 512 / 512 / 256
  // By hand for 128 nodes: 4 SUs x 8 rails = 32 leaves <= 64, 2 levels; 32 up ports per
  // leaf, 32 x p <= 64 -> p = 2 cables per leaf-spine pair, 32 / 2 = 16 spines.
  // For 512: 128 leaves > 64, 3 levels; pods of 32 leaves -> 4 pods x 32 spines = 128;
  // spine up 32, 4 pods x p <= 64 -> p = 16, 32 / 16 = 2 cores x 32 groups = 64.
  const ServerTemplate dgx = MakeServer("dgx", DgxH100Params());
  struct Row {
    int64_t nodes, leaves, spines, cores;
  };
  for (const Row& row :
       {Row{64, 16, 8, 0}, Row{128, 32, 16, 0}, Row{256, 64, 32, 0}, Row{512, 128, 128, 64},
        Row{1024, 256, 256, 128}, Row{2048, 512, 512, 256}}) {
    FabricParams p = Tree(FabricShape::kRailOptimized, row.nodes, 64);
    const FabricLayout f = PlanFabric(dgx, p);
    EXPECT_EQ(f.leaves, row.leaves) << row.nodes;
    EXPECT_EQ(f.spines, row.spines) << row.nodes;
    EXPECT_EQ(f.cores, row.cores) << row.nodes;
    // The table's cable counts: one per GPU per tier (8 x nodes).
    EXPECT_EQ(f.host_cables, 8 * row.nodes);
    EXPECT_EQ(f.leaf_spine_cables, 8 * row.nodes);
    EXPECT_EQ(f.spine_core_cables, row.cores ? 8 * row.nodes : 0);
  }
}

TEST(RailOptimizedTest, NicJOfEveryServerInAnSuSharesLeafJ) {
  // 4 servers x 2 NICs, radix 8 (4 down): one SU of 4 servers, rails 0 and 1 -> 2 leaves.
  const ClusterGraph g = MakeCluster("rails", Box(1, 2), Tree(FabricShape::kRailOptimized, 4, 8));
  auto leaf_of = [&](const std::string& nic) {
    for (LinkId l : g.LinksFrom(*g.FindNode(nic))) {
      if (g.node(g.link(l).to).kind == NodeKind::kSwitch) return g.node(g.link(l).to).name;
    }
    return std::string();
  };
  for (int s = 0; s < 4; ++s) {
    EXPECT_EQ(leaf_of("node" + std::to_string(s) + "/nic0"), "leaf0");
    EXPECT_EQ(leaf_of("node" + std::to_string(s) + "/nic1"), "leaf1");
  }
}

TEST(FabricErrorsTest, OutOfRangeParametersNameTheParameter) {
  auto param_of = [](const FabricParams& p, const ServerTemplate& t) {
    try {
      PlanFabric(t, p);
    } catch (const GeneratorError& e) {
      return e.param();
    }
    return std::string("no error");
  };
  EXPECT_EQ(param_of(Tree(FabricShape::kFatTree, 16, 5), Box()), "radix");
  EXPECT_EQ(param_of(Tree(FabricShape::kFatTree, 16, 4, 2), Box()), "oversubscription");
  EXPECT_EQ(param_of(Tree(FabricShape::kFatTree, 0, 4), Box()), "servers");
  // k = 4 holds at most 4 pods x 2 leaves x 2 ports = 16 single-NIC servers.
  EXPECT_EQ(param_of(Tree(FabricShape::kFatTree, 17, 4), Box()), "servers");
  EXPECT_EQ(param_of(Tree(FabricShape::kFatTree, 16, 4, 1, 2), Box()), "servers");
  EXPECT_EQ(param_of(Tree(FabricShape::kFatTree, 4, 4), Box(1, 0)), "template");
  FabricParams unnamed = Tree(FabricShape::kFatTree, 4, 4);
  unnamed.server_name = "box";
  EXPECT_EQ(param_of(unnamed, Box()), "server_name");
}

TEST(CloudClusterTest, OneSwitchForTheProvidersNetwork) {
  FabricParams p = Tree(FabricShape::kSingleSwitch, 16, 64);
  const ClusterGraph g = MakeCluster("cloud", MakeServer("p4d", CloudInstanceParams()), p);
  // 16 instances x (8 GPUs + NVSwitch + 4 PCIe switches + 4 NICs + host + NVMe = 19) + 1.
  EXPECT_EQ(g.node_count(), 16u * 19 + 1);
  // 16 x (8 + 8 + 4 + 4 + 1 = 25) + 16 x 4 NIC cables = 464.
  EXPECT_EQ(g.cable_count(), 464u);
}

TEST(ExpandIndexTest, ReplacesEveryPlaceholder) {
  EXPECT_EQ(ExpandIndex("dgx{i}", 12), "dgx12");
  EXPECT_EQ(ExpandIndex("r{i}-{i}", 3), "r3-3");
  EXPECT_EQ(ExpandIndex("plain", 3), "plain");
}

}  // namespace
}  // namespace fleetsim
