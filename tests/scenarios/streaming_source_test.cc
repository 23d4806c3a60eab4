// Weight streaming from a server of the scenario's topology (scenarios/streaming_source.h):
// the per-GPU rate when every GPU of the server streams, and the iteration floor it sets.
#include "scenarios/streaming_source.h"

#include <gtest/gtest.h>

#include <string>

#include "models/serving/iteration_model.h"
#include "scenarios/replica_binding.h"

namespace fleetsim {
namespace {

const std::string kFile = std::string(FLEETSIM_TEST_DATA_DIR) + "/scenarios/stream-from-nvme.yaml";

TEST(StreamingSourceTest, NvmeLinkSharedByEveryGpuOfTheServer) {
  // 8 x L40S behind one 25 GB/s NVMe link (the test topology): 8 streams, 3.125 GB/s each;
  // the PCIe switch uplinks (32 GB/s for 4 GPUs: 8 GB/s each) do not bind.
  const Scenario sc = LoadScenario(kFile);
  ASSERT_EQ(sc.services.size(), 1u);
  EXPECT_DOUBLE_EQ(sc.services[0].stream_link_bytes_per_s, 3.125e9);
}

TEST(StreamingSourceTest, HostMemoryStreamsShareThePcieUplinks) {
  // From host memory the NVMe link is off the path: 4 GPUs per 32 GB/s switch uplink,
  // 8 GB/s each (a quarter of the 32 GB/s the catalog's L40S host link alone would give).
  const Scenario sc = LoadScenario(kFile, {"services[0].replica.weight_streaming.from=host"});
  EXPECT_DOUBLE_EQ(sc.services[0].stream_link_bytes_per_s, 8e9);
}

TEST(StreamingSourceTest, TheSharedRateSetsTheIterationFloor) {
  // The replica streams the same bytes per GPU either way; only the rate differs. With copy
  // efficiency 0.8, each iteration lasts at least streamed / (3.125 GB/s x 0.8) from the
  // NVMe, against streamed / (32 GB/s x 0.8) over an unshared catalog host link: 10.24x.
  const Scenario shared = LoadScenario(kFile);
  const Scenario alone = LoadScenario(kFile, {"services[0].replica.weight_streaming.from=host",
                                              "services[0].replica.weight_streaming.server=''"});
  const BoundReplica a = BindReplica(LayoutOf(shared.services[0]));
  const BoundReplica b = BindReplica(LayoutOf(alone.services[0]));
  ASSERT_GT(a.streamed_bytes_per_gpu, 1e10);
  EXPECT_DOUBLE_EQ(a.streamed_bytes_per_gpu, b.streamed_bytes_per_gpu);
  IterationShape one;
  one.decode_seqs = 1;
  one.decode_context_tokens = 600;
  const double floor_shared = a.streamed_bytes_per_gpu / (3.125e9 * 0.8);
  const double floor_alone = b.streamed_bytes_per_gpu / (32e9 * 0.8);
  // A one-token decode computes in milliseconds: the stream is the iteration.
  EXPECT_NEAR(a.iteration_time->Seconds(one), floor_shared, 1e-9 * floor_shared);
  EXPECT_NEAR(b.iteration_time->Seconds(one), floor_alone, 1e-9 * floor_alone);
}

}  // namespace
}  // namespace fleetsim
