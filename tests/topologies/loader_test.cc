// The topology loader: the shipped files (with their counts derived by hand), the YAML
// features, the checks, and the topo CLI.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "sim/config/config.h"
#include "tests/scenarios/run_cli.h"
#include "tests/topologies/topo_test_util.h"
#include "topologies/routing.h"
#include "topologies/topology_report.h"

namespace fleetsim {
namespace {

ClusterGraph LoadText(const std::string& yaml, TopologyLoadOptions options = {}) {
  auto doc = ConfigDocument::Parse(yaml, "test.yaml");
  return LoadTopology(doc->Root().Get("topology"), options);
}

std::string LoadError(const std::string& yaml) {
  try {
    LoadText(yaml, CatalogTopologyOptions(testing::ShippedCatalog()));
  } catch (const ConfigError& e) {
    return e.Format();
  }
  return "no error";
}

size_t Switches(const ClusterGraph& g, int level) {
  size_t n = 0;
  for (NodeId id = 0; id < g.node_count(); ++id) {
    n += g.node(id).kind == NodeKind::kSwitch && g.node(id).level == level;
  }
  return n;
}

TEST(ShippedTopologiesTest, CountsMatchTheHandDerivation) {
  struct Expect {
    const char* file;
    size_t nodes, cables, gpus, servers;
  };
  // DGX (A100 and H100): 23 nodes, 29 cables per server (generators_test).
  //   dgx_a100: 1 server.
  //   selene_like_a100_pod: 280 servers + 112 leaves + 120 spines + 80 cores = 6,752 nodes;
  //     280 x 29 + 2,240 NIC-leaf + 112 x 20 leaf-spine + 120 x 20 spine-core = 15,000.
  //   dgx_h100_256: 32 servers + 8 leaves + 4 spines = 748; 32 x 29 + 256 + 8 x 32 = 1,440.
  //   h100_16k: 2,048 x 23 + 512 + 512 + 256 = 48,384; 2,048 x 29 + 3 x 16,384 = 108,544.
  //   workstation: 2 GPUs, host, NVMe; 3 PCIe cables.
  //   l4x8: 8 GPUs, 2 PCIe switches, NIC, host = 12; 8 + 1 + 2 = 11 cables.
  //   cloud_p4d: 16 x 19 + 1 switch = 305; 16 x 25 + 64 = 464.
  const Expect expected[] = {
      {"dgx_a100.yaml", 23, 29, 8, 1},
      {"selene_like_a100_pod.yaml", 6752, 15000, 2240, 280},
      {"dgx_h100_256.yaml", 748, 1440, 256, 32},
      {"h100_16k.yaml", 48384, 108544, 16384, 2048},
      {"workstation_2x3080ti.yaml", 4, 3, 2, 1},
      {"l4x8_inference_server.yaml", 12, 11, 8, 1},
      {"cloud_p4d_cluster.yaml", 305, 464, 128, 16},
  };
  for (const Expect& e : expected) {
    const ClusterGraph g = testing::LoadShipped(e.file);
    EXPECT_EQ(g.node_count(), e.nodes) << e.file;
    EXPECT_EQ(g.cable_count(), e.cables) << e.file;
    EXPECT_EQ(g.link_count(), 2 * e.cables) << e.file;
    EXPECT_EQ(g.gpus().size(), e.gpus) << e.file;
    EXPECT_EQ(g.servers().size(), e.servers) << e.file;
  }
}

TEST(ShippedTopologiesTest, SixteenThousandGpuClusterShape) {
  const ClusterGraph g = testing::LoadShipped("h100_16k.yaml");
  // The DGX SuperPOD table's 64-SU row: 512 leaves, 512 spines, 256 cores.
  EXPECT_EQ(Switches(g, 1), 512u);
  EXPECT_EQ(Switches(g, 2), 512u);
  EXPECT_EQ(Switches(g, 3), 256u);
  // GPU types come back as the catalog names them.
  EXPECT_EQ(g.node(g.gpus().front()).gpu_type, "H100-SXM5");
  EXPECT_EQ(g.node(g.gpus().back()).name, "dgx2047/gpu7");
  // Full bisection: 8,192 GPUs x 400 Gb/s (50 GB/s) = 409.6 TB/s per direction.
  const TopologySummary s = Summarize(g);
  EXPECT_DOUBLE_EQ(s.bisection.bandwidth_bytes_per_s, 8192 * 50e9);
  EXPECT_DOUBLE_EQ(s.scale_up_min, 450e9);
  EXPECT_DOUBLE_EQ(s.network_max, 50e9);
}

TEST(ShippedTopologiesTest, SummaryOfTheCloudCluster) {
  const TopologySummary s = Summarize(testing::LoadShipped("cloud_p4d_cluster.yaml"));
  // 4 x 100 Gb/s per 8-GPU instance = 50 GB/s / 8 = 6.25 GB/s per GPU; 8 instances each
  // side of the one switch: 8 x 4 x 12.5 GB/s = 400 GB/s.
  EXPECT_DOUBLE_EQ(s.network_min, 6.25e9);
  EXPECT_DOUBLE_EQ(s.bisection.bandwidth_bytes_per_s, 400e9);
  EXPECT_EQ(s.gpu_types.at("A100-SXM4-40GB"), 128u);
}

constexpr const char* kHandWritten = R"(
topology:
  name: hand
  routing: {metric: hops}
  templates:
    box:
      nodes:
        - {name: "gpu{i}", kind: gpu, type: h100, count: 2}
        - {name: cpu, kind: host, memory: "512 GB"}
        - {name: nic, kind: nic}
      links:
        - {ends: ["gpu{i}", cpu], kind: pcie, bandwidth: "64 GB/s", latency: "250 ns", repeat: 2}
        - {ends: [gpu0, gpu1], kind: nvlink, bandwidth: "450 GB/s", latency: "1 us", count: 2}
        - {ends: [nic, cpu], kind: pcie, bandwidth: "32 GB/s", latency: "250 ns"}
  servers:
    - {name: "s{i}", template: box, count: 3}
  nodes:
    - {name: tor, kind: switch}
  links:
    - {ends: ["s{i}/nic", tor], kind: ethernet, bandwidth: "100 Gb/s", latency: "2 us", repeat: 3,
       full_duplex: false}
)";

TEST(LoaderTest, HandWrittenTemplatesServersAndLinks) {
  const ClusterGraph g = LoadText(kHandWritten, CatalogTopologyOptions(testing::ShippedCatalog()));
  // 3 servers x 4 nodes + tor = 13 nodes; 3 x (2 + 2 + 1) + 3 = 18 cables.
  EXPECT_EQ(g.node_count(), 13u);
  EXPECT_EQ(g.cable_count(), 18u);
  EXPECT_EQ(g.metric(), RouteMetric::kHops);
  // "h100" is an alias: stored as the catalog's name.
  EXPECT_EQ(g.node(g.NodeNamed("s2/gpu1")).gpu_type, "H100-SXM5");
  EXPECT_DOUBLE_EQ(g.node(g.NodeNamed("s0/cpu")).memory_bytes, 512e9);
  // Half duplex: 100 Gb/s = 12.5 GB/s shared, 6.25 GB/s each way.
  const Route& r = g.RouteBetween(g.NodeNamed("s0/gpu0"), g.NodeNamed("s1/gpu0"));
  // gpu cpu nic tor nic cpu gpu = 6 hops.
  ASSERT_EQ(r.links.size(), 6u);
  EXPECT_DOUBLE_EQ(g.link(r.links[2]).bandwidth_bytes_per_s, 6.25e9);
  // The two parallel NVLinks: one hop, picked among both.
  EXPECT_EQ(g.RouteBetween(g.NodeNamed("s0/gpu0"), g.NodeNamed("s0/gpu1")).links.size(), 1u);
}

TEST(LoaderTest, WithoutACatalogTypesAreTakenAsWritten) {
  const ClusterGraph g = LoadText(kHandWritten);
  EXPECT_EQ(g.node(g.NodeNamed("s0/gpu0")).gpu_type, "h100");
}

TEST(LoaderTest, ErrorsArePositioned) {
  // A dangling end points at the end, with the closest name.
  const std::string dangling = R"(topology:
  name: t
  nodes:
    - {name: g0, kind: gpu, type: L4}
    - {name: sw, kind: switch}
  links:
    - {ends: [g0, sww], kind: pcie, bandwidth: "1 GB/s", latency: "1 us"}
)";
  const std::string e = LoadError(dangling);
  EXPECT_NE(e.find("test.yaml:7:19: error: topology.links[0].ends[1]: unknown node 'sww'"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("did you mean 'sw'?"), std::string::npos) << e;
  // An unreachable GPU is reported at its declaration.
  const std::string lonely = R"(topology:
  name: t
  nodes:
    - {name: g0, kind: gpu, type: L4}
    - {name: g1, kind: gpu, type: L4}
)";
  const std::string u = LoadError(lonely);
  EXPECT_NE(u.find("test.yaml:5:7: error: topology.nodes[1]: GPU 'g1' cannot reach GPU 'g0'"),
            std::string::npos)
      << u;
}

TEST(TopoCliTest, ShowJsonHasTheCounts) {
  const auto r = testing::RunCli(std::string("topo show ") + FLEETSIM_SOURCE_DIR +
                                 "/topologies/dgx_h100_256.yaml --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["nodes"]["total"], 748);
  EXPECT_EQ(j["nodes"]["gpu"], 256);
  EXPECT_EQ(j["switch_levels"]["leaf"], 8);
  EXPECT_EQ(j["switch_levels"]["spine"], 4);
  EXPECT_EQ(j["cables"]["total"], 1440);
  // 128 GPUs x 50 GB/s.
  EXPECT_DOUBLE_EQ(j["bisection"]["bytes_per_s"].get<double>(), 6.4e12);
  EXPECT_DOUBLE_EQ(j["per_gpu_bytes_per_s"]["scale_up"]["min"].get<double>(), 450e9);
}

TEST(TopoCliTest, ShowIsByteIdenticalAcrossRuns) {
  const std::string cmd =
      std::string("topo show ") + FLEETSIM_SOURCE_DIR + "/topologies/selene_like_a100_pod.yaml";
  const auto a = testing::RunCli(cmd);
  const auto b = testing::RunCli(cmd);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  EXPECT_NE(a.out.find("2,240 x A100-SXM4-80GB"), std::string::npos) << a.out;
}

TEST(TopoCliTest, DotDrawsServersAndCables) {
  const auto r =
      testing::RunCli(std::string("topo dot ") + FLEETSIM_SOURCE_DIR + "/topologies/dgx_a100.yaml");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("graph \"dgx-a100\" {", 0), 0u) << r.out;
  EXPECT_NE(r.out.find("subgraph \"cluster_dgx0\""), std::string::npos);
  EXPECT_NE(r.out.find("\"dgx0/gpu0\" -- \"dgx0/nvswitch\" [label=\"300 GB/s\""), std::string::npos)
      << r.out;
  const auto c = testing::RunCli(std::string("topo dot ") + FLEETSIM_SOURCE_DIR +
                                 "/topologies/cloud_p4d_cluster.yaml --collapse");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  // Each instance's 4 NIC cables to the switch merge into one edge.
  EXPECT_NE(c.out.find("\"network\" -- \"p4d0\" [label=\"4 x 12.5 GB/s\""), std::string::npos)
      << c.out;
}

TEST(TopoCliTest, RouteListsTheLinks) {
  const auto r = testing::RunCli(std::string("topo route ") + FLEETSIM_SOURCE_DIR +
                                 "/topologies/dgx_a100.yaml dgx0/gpu0 dgx0/gpu1");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("dgx0/gpu0 -> dgx0/gpu1: 2 links, latency 1 us"), std::string::npos)
      << r.out;
}

TEST(TopoCliTest, ShippedTopologiesValidate) {
  for (const char* f :
       {"dgx_a100.yaml", "selene_like_a100_pod.yaml", "dgx_h100_256.yaml", "h100_16k.yaml",
        "workstation_2x3080ti.yaml", "l4x8_inference_server.yaml", "cloud_p4d_cluster.yaml"}) {
    const auto r =
        testing::RunCli(std::string("validate ") + FLEETSIM_SOURCE_DIR + "/topologies/" + f);
    EXPECT_EQ(r.exit_code, 0) << f << ": " << r.err;
    EXPECT_NE(r.out.find(": ok: topology"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace fleetsim
