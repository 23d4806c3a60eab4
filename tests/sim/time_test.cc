#include "sim/time.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace fleetsim {
namespace {

TEST(DurationTest, FromSecondsRoundsUpToWholeNanoseconds) {
  // 1.5 us is exactly 1500 ns.
  EXPECT_EQ(Duration::FromSeconds(1.5e-6).ns(), 1500);
  // 0.1 ns rounds up to 1 ns: an event never fires before the work it stands for is done.
  EXPECT_EQ(Duration::FromSeconds(1e-10).ns(), 1);
  // 0 stays 0.
  EXPECT_EQ(Duration::FromSeconds(0.0).ns(), 0);
  // 3 days = 3 * 86400 * 1e9 ns.
  EXPECT_EQ(Duration::FromSeconds(3 * 86400.0).ns(), 259'200'000'000'000LL);
}

TEST(DurationTest, FromSecondsRejectsNanNegativeAndOverflow) {
  EXPECT_FALSE(Duration::TryFromSeconds(std::nan("")).has_value());
  EXPECT_FALSE(Duration::TryFromSeconds(-1e-9).has_value());
  // int64 nanoseconds cover ~292 years: 300 years must overflow.
  EXPECT_FALSE(Duration::TryFromSeconds(300.0 * 365 * 86400).has_value());
  EXPECT_FALSE(Duration::TryFromSeconds(std::numeric_limits<double>::infinity()).has_value());
  EXPECT_THROW(Duration::FromSeconds(-1.0), std::domain_error);
  // 290 years fits.
  EXPECT_TRUE(Duration::TryFromSeconds(290.0 * 365 * 86400).has_value());
}

TEST(SimTimeTest, ArithmeticAndSaturation) {
  const SimTime t = SimTime::Zero() + Duration::Milliseconds(5);
  EXPECT_EQ(t.ns(), 5'000'000);
  EXPECT_EQ((t - SimTime::Zero()).ns(), 5'000'000);
  // "Never" plus anything stays "never" instead of wrapping to a negative time.
  EXPECT_EQ(SimTime::Max() + Duration::Seconds(1), SimTime::Max());
}

TEST(FormatDurationTest, PicksReadableUnits) {
  EXPECT_EQ(FormatDuration(Duration::Milliseconds(12)), "12 ms");
  EXPECT_EQ(FormatDuration(Duration::Seconds(3 * 86400)), "3 d");
  EXPECT_EQ(FormatDuration(Duration::Nanoseconds(250)), "250 ns");
}

}  // namespace
}  // namespace fleetsim
