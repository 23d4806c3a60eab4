#include "sim/stats/histogram.h"

#include <gtest/gtest.h>

namespace fleetsim {
namespace {

TEST(LogHistogramTest, QuantilesWithinTheRelativeError) {
  LogHistogram h;
  // 1..10,000 ms: the true p50 is 5,000 ms, p99 9,900 ms; 1 % buckets, upper edges.
  for (int i = 1; i <= 10000; ++i) h.Add(i * 1e-3);
  EXPECT_EQ(h.count(), 10000u);
  EXPECT_NEAR(h.Quantile(0.5), 5.0, 5.0 * 0.01);
  EXPECT_GE(h.Quantile(0.5), 5.0);  // never understates
  EXPECT_NEAR(h.Quantile(0.99), 9.9, 9.9 * 0.01);
  EXPECT_DOUBLE_EQ(h.Quantile(1.0), 10.0);  // clamped to the exact maximum
  EXPECT_DOUBLE_EQ(h.min(), 1e-3);
  EXPECT_NEAR(h.mean(), 5.0005, 1e-9);
  // About half the samples are <= 5 s (conservative at bucket resolution).
  EXPECT_NEAR(h.FractionAtMost(5.0), 0.5, 0.01);
}

TEST(LogHistogramTest, MergeEqualsAddingEverything) {
  LogHistogram a, b, all;
  for (int i = 1; i <= 100; ++i) {
    (i % 2 ? a : b).Add(i * 0.01);
    all.Add(i * 0.01);
  }
  a.Merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_DOUBLE_EQ(a.Quantile(0.9), all.Quantile(0.9));
  EXPECT_DOUBLE_EQ(a.max(), all.max());
}

TEST(LogHistogramTest, SinceHoldsOnlyTheLaterSamples) {
  LogHistogram h;
  for (int i = 1; i <= 1000; ++i) h.Add(i * 1e-3);  // 1 ms .. 1 s
  const LogHistogram before = h;
  for (int i = 1; i <= 100; ++i) h.Add(0.1 + i * 1e-3);  // 101 .. 200 ms
  const LogHistogram d = h.Since(before);
  // The 100 later samples only: true p50 150 ms, p99 199 ms, within 1 % and never below;
  // the mean is exact (150.5 ms). The maximum did not rise (1 s before), so it is the upper
  // edge of the bucket holding 200 ms: at most 1 % above it.
  EXPECT_EQ(d.count(), 100u);
  EXPECT_NEAR(d.mean(), 0.1505, 1e-12);
  EXPECT_GE(d.Quantile(0.5), 0.150);
  EXPECT_NEAR(d.Quantile(0.5), 0.150, 0.150 * 0.01);
  EXPECT_GE(d.Quantile(0.99), 0.199);
  EXPECT_NEAR(d.Quantile(0.99), 0.199, 0.199 * 0.01);
  EXPECT_GE(d.max(), 0.200);
  EXPECT_LE(d.max(), 0.200 * 1.01);
  // Nothing added since: empty. A later state is not an earlier one: an error.
  EXPECT_EQ(h.Since(h).count(), 0u);
  EXPECT_DOUBLE_EQ(h.Since(h).Quantile(0.99), 0.0);
  EXPECT_THROW(before.Since(h), std::invalid_argument);
}

}  // namespace
}  // namespace fleetsim
