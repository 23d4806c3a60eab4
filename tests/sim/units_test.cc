#include "sim/units.h"

#include <gtest/gtest.h>

namespace fleetsim {
namespace {

double Q(const char* text, const Dimension& d) {
  const ParsedQuantity q = ParseQuantityAs(text, d);
  EXPECT_TRUE(q.quantity.has_value()) << text << ": " << q.error.message;
  return q.quantity ? q.quantity->value : -1;
}

std::string Err(const char* text, const Dimension& d) {
  const ParsedQuantity q = ParseQuantityAs(text, d);
  EXPECT_FALSE(q.quantity.has_value()) << text;
  return q.error.message + (q.error.suggestion.empty() ? "" : " | " + q.error.suggestion);
}

TEST(UnitsTest, DataSizesDecimalAndBinaryAreDistinct) {
  EXPECT_DOUBLE_EQ(Q("40 GB", dim::kBytes), 40e9);
  EXPECT_DOUBLE_EQ(Q("80 GiB", dim::kBytes), 80.0 * 1024 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(Q("1 TiB", dim::kBytes), 1099511627776.0);
  EXPECT_DOUBLE_EQ(Q("12 KB", dim::kBytes), 12e3);
}

TEST(UnitsTest, BandwidthInBytesAndBits) {
  // 2,039 GB/s with a thousands separator.
  EXPECT_DOUBLE_EQ(Q("2,039 GB/s", dim::kBytesPerSecond), 2039e9);
  // 400 Gb/s = 50 GB/s; Gbps is the same.
  EXPECT_DOUBLE_EQ(Q("400 Gb/s", dim::kBytesPerSecond), 50e9);
  EXPECT_DOUBLE_EQ(Q("400 Gbps", dim::kBytesPerSecond), 50e9);
  EXPECT_DOUBLE_EQ(Q("3.35 TB/s", dim::kBytesPerSecond), 3.35e12);
}

TEST(UnitsTest, Durations) {
  EXPECT_DOUBLE_EQ(Q("1.5 us", dim::kSeconds), 1.5e-6);
  EXPECT_DOUBLE_EQ(Q("3 d", dim::kSeconds), 3 * 86400.0);
  EXPECT_DOUBLE_EQ(Q("2 min", dim::kSeconds), 120.0);
  EXPECT_DOUBLE_EQ(Q("1 month", dim::kSeconds), 730 * 3600.0);
  EXPECT_DOUBLE_EQ(Q("1 year", dim::kSeconds), 8760 * 3600.0);
}

TEST(UnitsTest, PowerEnergyAndPrices) {
  EXPECT_DOUBLE_EQ(Q("700 W", dim::kWatts), 700.0);
  EXPECT_DOUBLE_EQ(Q("6.5 kW", dim::kWatts), 6500.0);
  // $2.21/h = 2.21/3600 $/s.
  EXPECT_DOUBLE_EQ(Q("$2.21/h", dim::kUsdPerSecond), 2.21 / 3600);
  // $0.10/kWh = 0.10 / 3.6e6 $/J.
  EXPECT_DOUBLE_EQ(Q("$0.10/kWh", dim::kUsdPerJoule), 0.10 / 3.6e6);
  // $0.09/GB = 0.09e-9 $/B.
  EXPECT_DOUBLE_EQ(Q("$0.09/GB", dim::kUsdPerByte), 0.09 / 1e9);
  // $184/kW-month: a price per unit of energy, 184 / (1000 W * 730 h * 3600 s/h).
  EXPECT_DOUBLE_EQ(Q("$184/kW-month", dim::kUsdPerJoule), 184.0 / (1000.0 * 730 * 3600));
  EXPECT_DOUBLE_EQ(Q("$199,000", dim::kUsd), 199000.0);
  EXPECT_DOUBLE_EQ(Q("$2.21/GPU-h", dim::kUsdPerSecond), 2.21 / 3600);
}

TEST(UnitsTest, RatesAndCompute) {
  EXPECT_DOUBLE_EQ(Q("10/s", dim::kPerSecond), 10.0);
  // 50 %/week = 0.5 per 604,800 s.
  EXPECT_DOUBLE_EQ(Q("50 %/week", dim::kPerSecond), 0.5 / 604800);
  EXPECT_DOUBLE_EQ(Q("3 GHz", dim::kPerSecond), 3e9);
  EXPECT_DOUBLE_EQ(Q("312 TFLOPS", dim::kFlopPerSecond), 312e12);
  EXPECT_DOUBLE_EQ(Q("1,979 TFLOPS", dim::kFlopPerSecond), 1979e12);
  EXPECT_DOUBLE_EQ(Q("624 TOPS", dim::kFlopPerSecond), 624e12);
  EXPECT_DOUBLE_EQ(Q("3.14e23 FLOP", dim::kFlop), 3.14e23);
  EXPECT_DOUBLE_EQ(Q("75 %", dim::kNumber), 0.75);
  EXPECT_DOUBLE_EQ(Q("0.33", dim::kNumber), 0.33);
}

TEST(UnitsTest, CountsWithSuffixes) {
  EXPECT_DOUBLE_EQ(ParseCount("175B").quantity->value, 175e9);
  EXPECT_DOUBLE_EQ(ParseCount("6.7B").quantity->value, 6.7e9);
  EXPECT_DOUBLE_EQ(ParseCount("340M").quantity->value, 340e6);
  EXPECT_DOUBLE_EQ(ParseCount("1.4T tokens").quantity->value, 1.4e12);
  EXPECT_DOUBLE_EQ(ParseCount("1,024").quantity->value, 1024.0);
  EXPECT_DOUBLE_EQ(ParseCount("300e9").quantity->value, 300e9);
  EXPECT_FALSE(ParseCount("12X").quantity.has_value());
}

TEST(UnitsTest, BadQuantitiesSayWhatIsWrong) {
  EXPECT_EQ(Err("80 GBs", dim::kBytes), "unknown unit 'GBs' | GB");
  EXPECT_EQ(Err("GB", dim::kBytes), "expected a number");
  EXPECT_EQ(Err("", dim::kBytes), "empty quantity");
  EXPECT_EQ(Err("2,03 GB/s", dim::kBytesPerSecond),
            "misplaced thousands separator ',' (groups of three digits expected)");
  // A bandwidth where a data size belongs.
  EXPECT_EQ(Err("80 GB/s", dim::kBytes),
            "expected a data size (for example \"80 GiB\"), got a bandwidth \"80 GB/s\"");
  EXPECT_EQ(Err("400 Gb/", dim::kBytesPerSecond), "nothing after '/'");
  // Case matters: "mb" is not a unit.
  EXPECT_NE(Err("5 mb", dim::kBytes).find("unknown unit 'mb'"), std::string::npos);
  // Overflow.
  EXPECT_EQ(Err("1e999 GB", dim::kBytes), "number out of range");
}

TEST(UnitsTest, MoneyAndCountsForHumans) {
  EXPECT_EQ(FormatUsd(559630.4), "$559,630");
  EXPECT_EQ(FormatUsd(350.4), "$350.40");
  EXPECT_EQ(FormatUsd(0.000224), "$0.000224");
  EXPECT_EQ(FormatCount(175e9), "175B");
  EXPECT_EQ(FormatCount(1.4e12), "1.4T");
  EXPECT_EQ(FormatCount(2048), "2,048");
}

TEST(UnitsTest, FormatIsReadable) {
  EXPECT_EQ(FormatQuantity(80e9, dim::kBytes), "80 GB");
  EXPECT_EQ(FormatQuantity(312e12, dim::kFlopPerSecond), "312 TFLOP/s");
  EXPECT_EQ(FormatQuantity(2.21 / 3600, dim::kUsdPerSecond), "$2.21/h");
}

}  // namespace
}  // namespace fleetsim
