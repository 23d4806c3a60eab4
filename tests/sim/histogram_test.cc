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

}  // namespace
}  // namespace fleetsim
