// SteadyFlowRates (models/network/steady_rates.h): max-min fair rates of concurrent
// transfers, checked by hand on one DGX A100 from the topology generator.
#include "models/network/steady_rates.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>

#include "topologies/cluster_graph.h"
#include "topologies/generators.h"

namespace fleetsim {
namespace {

ClusterGraph OneDgx() {
  FabricParams p;
  p.shape = FabricShape::kSingleSwitch;
  p.servers = 1;
  p.host_link = {LinkKind::kInfiniband, 25e9, Duration::Nanoseconds(500)};
  return MakeCluster("one-dgx", MakeServer("dgx", DgxA100Params()), p);
}

std::vector<std::pair<NodeId, NodeId>> ToGpus(const ClusterGraph& g, const std::string& source,
                                              int gpus) {
  std::vector<std::pair<NodeId, NodeId>> pairs;
  for (int i = 0; i < gpus; ++i) {
    pairs.push_back({g.NodeNamed("node0/" + source), g.NodeNamed("node0/gpu" + std::to_string(i))});
  }
  return pairs;
}

TEST(SteadyRatesTest, HostToEveryGpuSharesThePcieSwitchUplinks) {
  // DGX A100: GPUs 2s and 2s+1 sit behind PCIe switch s, whose uplink to the host carries
  // 32 GB/s per direction; each GPU's own link is 32 GB/s too. Eight streams from the host:
  // two per uplink, 16 GB/s each.
  const ClusterGraph g = OneDgx();
  const auto rates = SteadyFlowRates(g, ToGpus(g, "cpu", 8));
  ASSERT_EQ(rates.size(), 8u);
  for (double r : rates) EXPECT_DOUBLE_EQ(r, 16e9);
}

TEST(SteadyRatesTest, OneStreamGetsItsWholePath) {
  // A single stream from the host to GPU 0: nothing shares its links, 32 GB/s.
  const ClusterGraph g = OneDgx();
  EXPECT_DOUBLE_EQ(SteadyFlowRates(g, ToGpus(g, "cpu", 1))[0], 32e9);
}

TEST(SteadyRatesTest, NvmeToEveryGpuIsLimitedByTheNvmeLink) {
  // The NVMe array's link to the host is 50 GB/s (generators.cc): eight streams get 6.25 GB/s
  // each there, below the 16 GB/s the uplinks would give them.
  const ClusterGraph g = OneDgx();
  for (double r : SteadyFlowRates(g, ToGpus(g, "nvme", 8))) EXPECT_DOUBLE_EQ(r, 6.25e9);
}

TEST(SteadyRatesTest, UnequalBottlenecksAreFilledProgressively) {
  // Three streams from the NVMe to GPUs 0, 1 and 2: GPUs 0 and 1 share switch 0's uplink
  // (16 GB/s each), GPU 2 is alone on switch 1. The NVMe link's 50 GB/s split three ways
  // (16.7) is above 16, so GPUs 0 and 1 freeze at 16 GB/s first; GPU 2 gets what the NVMe
  // link has left, 50 - 32 = 18 GB/s.
  const ClusterGraph g = OneDgx();
  const auto rates = SteadyFlowRates(g, ToGpus(g, "nvme", 3));
  EXPECT_DOUBLE_EQ(rates[0], 16e9);
  EXPECT_DOUBLE_EQ(rates[1], 16e9);
  EXPECT_DOUBLE_EQ(rates[2], 18e9);
}

TEST(SteadyRatesTest, ANodeToItselfIsNotLimited) {
  const ClusterGraph g = OneDgx();
  const NodeId gpu = g.NodeNamed("node0/gpu0");
  EXPECT_EQ(SteadyFlowRates(g, {{gpu, gpu}})[0], std::numeric_limits<double>::infinity());
}

}  // namespace
}  // namespace fleetsim
