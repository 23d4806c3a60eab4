#include "models/compute/weight_streaming.h"

#include <gtest/gtest.h>

#include "sim/config/config_error.h"

namespace fleetsim {
namespace {

TEST(WeightStreamingTest, PlanSplitsMemoryAndTimesTheTransfer) {
  // 69 GB of weights per GPU, 40 GB usable, half for the KV cache: 20 GB resident weights,
  // 49 GB streamed per iteration over 32 GB/s x 0.8 = 25.6 GB/s: 1.9141 s per iteration.
  const WeightStreamingPlan p = PlanWeightStreaming(69e9, 40e9, 0.5, 32e9, 0.8);
  EXPECT_DOUBLE_EQ(p.kv_cache_bytes_per_gpu, 20e9);
  EXPECT_DOUBLE_EQ(p.resident_bytes_per_gpu, 20e9);
  EXPECT_DOUBLE_EQ(p.streamed_bytes_per_gpu, 49e9);
  EXPECT_DOUBLE_EQ(p.link_bytes_per_s, 25.6e9);
  EXPECT_NEAR(p.stream_seconds, 49e9 / 25.6e9, 1e-12);
}

TEST(WeightStreamingTest, NothingStreamsWhenTheWeightsFit) {
  // 10 GB of weights in 40 GB usable: no streaming, the KV cache gets the other 30 GB.
  const WeightStreamingPlan p = PlanWeightStreaming(10e9, 40e9, 0.5, 32e9, 0.8);
  EXPECT_DOUBLE_EQ(p.streamed_bytes_per_gpu, 0);
  EXPECT_DOUBLE_EQ(p.kv_cache_bytes_per_gpu, 30e9);
  EXPECT_DOUBLE_EQ(p.stream_seconds, 0);
}

TEST(WeightStreamingTest, IterationTimeIsBoundedBelowByTheTransfer) {
  struct Fixed final : IterationTimeModel {
    double s;
    explicit Fixed(double v) : s(v) {}
    double Seconds(const IterationShape&) const override { return s; }
  };
  // Compute 0.5 s under a 1.9 s transfer: 1.9 s (overlapped); compute 3 s: 3 s.
  EXPECT_DOUBLE_EQ(StreamingIterationTime(std::make_unique<Fixed>(0.5), 1.9).Seconds({}), 1.9);
  EXPECT_DOUBLE_EQ(StreamingIterationTime(std::make_unique<Fixed>(3.0), 1.9).Seconds({}), 3.0);
}

TEST(WeightStreamingTest, BadParametersAreInputErrors) {
  EXPECT_THROW(PlanWeightStreaming(1e9, 1e9, 1.0, 32e9, 0.8), InputError);
  EXPECT_THROW(PlanWeightStreaming(1e9, 1e9, 0.5, 0, 0.8), InputError);
  EXPECT_THROW(PlanWeightStreaming(1e9, -1, 0.5, 32e9, 0.8), InputError);
}

}  // namespace
}  // namespace fleetsim
