// Demand features read from YAML that had no test of their own (issue 5): empirical request
// lengths from a file, and the growth string of an arrivals map.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/workload/arrivals.h"
#include "models/workload/lengths.h"
#include "models/workload/rate_profile.h"
#include "sim/config/config.h"
#include "sim/rng.h"

namespace fleetsim {
namespace {

constexpr double kWeek = 7 * 86400.0;

// Parses `yaml` as if it were a file in tests/data/workload/ (relative paths resolve there).
// The document is kept alive for the nodes handed out.
ConfigNode Parse(const std::string& yaml) {
  static std::vector<std::shared_ptr<const ConfigDocument>> keep;
  keep.push_back(
      ConfigDocument::Parse(yaml, std::string(FLEETSIM_TEST_DATA_DIR) + "/workload/demand.yaml"));
  return keep.back()->Root();
}

TEST(EmpiricalLengthFileTest, SamplesTheFileValuesByWeight) {
  // tests/data/workload/lengths_empirical.csv: 100 (w 1), 200 (w 2), 400 (w 1), 800 (no
  // weight: 1), with a comment and an empty line that are skipped. Total weight 5:
  // P = 0.2, 0.4, 0.2, 0.2; mean = (100 + 2 x 200 + 400 + 800) / 5 = 1,700 / 5 = 340.
  const auto d =
      ReadLengthDistribution(Parse("{distribution: empirical, file: lengths_empirical.csv}"));
  EXPECT_DOUBLE_EQ(d->Mean(), 340);

  Rng rng(11);
  constexpr int kDraws = 50000;
  std::map<int64_t, int> counts;
  double sum = 0;
  for (int i = 0; i < kDraws; ++i) {
    const int64_t x = d->Sample(rng);
    ++counts[x];
    sum += static_cast<double>(x);
  }
  // Support: exactly the four values of the file, nothing else (no interpolation).
  ASSERT_EQ(counts.size(), 4u);
  EXPECT_EQ(counts.begin()->first, 100);
  EXPECT_EQ(counts.rbegin()->first, 800);
  // Frequencies within 4 sd of p: sd = sqrt(p (1 - p) / n) = 0.00179 (p = 0.2) and 0.00219
  // (p = 0.4); 4 sd < 0.009.
  const std::map<int64_t, double> p = {{100, 0.2}, {200, 0.4}, {400, 0.2}, {800, 0.2}};
  for (const auto& [value, prob] : p) {
    EXPECT_NEAR(counts[value] / static_cast<double>(kDraws), prob, 0.009) << value;
  }
  // Sample mean within 4 standard errors of 340: E[x^2] = (1e4 + 2 x 4e4 + 1.6e5 + 6.4e5) / 5
  // = 178,000, variance 178,000 - 340^2 = 62,400, sd 249.8, se = 249.8 / sqrt(50,000) = 1.117.
  EXPECT_NEAR(sum / kDraws, 340, 4 * 1.117);
}

TEST(EmpiricalLengthFileTest, AMissingFileIsAConfigError) {
  // The path resolves next to the YAML (tests/data/workload/), where no such file exists.
  EXPECT_THROW(ReadLengthDistribution(Parse("{distribution: empirical, file: no-such.csv}")),
               ConfigError);
}

// The rate profile of an arrivals map (its `process` key is the stream's, not the profile's).
RateProfile ProfileOf(const std::string& yaml) {
  const ConfigNode arrivals = Parse(yaml);
  MapReader r(arrivals);
  r.Ignore("process");
  RateProfile p = RateProfile::FromConfig(arrivals, r);
  r.Finish();
  return p;
}

TEST(GrowthStringTest, FiftyPercentPerWeekCompounds) {
  // "50 %/week" is a rate of 0.5 per 604,800 s; docs/demand.md: growth(t) = (1 + g)^(t / 1
  // week) with g = 0.5, so rate(1 week) = 10 x 1.5 = 15/s and rate(2 weeks) = 10 x 1.5^2 =
  // 22.5/s (compound, not the linear 20/s), and half a week 10 x sqrt(1.5) = 12.247/s.
  const RateProfile p = ProfileOf(R"({process: poisson, rate: "10/s", growth: "50 %/week"})");
  EXPECT_NEAR(p.growth_per_period, 0.5, 1e-12);
  EXPECT_NEAR(p.growth_period_s, kWeek, 1e-9);
  EXPECT_NEAR(p.RateAt(0), 10, 1e-12);
  EXPECT_NEAR(p.RateAt(kWeek), 15, 1e-9);
  EXPECT_NEAR(p.RateAt(2 * kWeek), 22.5, 1e-9);
  EXPECT_NEAR(p.RateAt(0.5 * kWeek), 10 * std::sqrt(1.5), 1e-9);
}

TEST(GrowthStringTest, GrowthCompoundsOverTheUnitWritten) {
  // "10 %/day": g = 0.1 per day, compounded daily: 10 x 1.1 = 11/s after a day and
  // 10 x 1.1^7 = 19.487/s after a week (not 0.7 a week compounded weekly: 17/s).
  const RateProfile p = ProfileOf(R"({process: poisson, rate: "10/s", growth: "10 %/day"})");
  EXPECT_NEAR(p.growth_period_s, 86400, 1e-9);
  EXPECT_NEAR(p.RateAt(86400), 11, 1e-9);
  EXPECT_NEAR(p.RateAt(kWeek), 10 * std::pow(1.1, 7), 1e-9);
}

TEST(GrowthStringTest, ArrivalsOfTheSecondWeekAreOneAndAHalfTimesTheFirst) {
  // Constant process at 0.01/s growing 50 %/week: arrivals sit at tau = 1, 2, 3, ... of
  // Lambda(t) = integral of 0.01 x 1.5^(s / W) ds = 0.01 W (1.5^(t / W) - 1) / ln 1.5.
  // Week 1: 0.01 x 604,800 x 0.5 / 0.405465 = 7,458.1 arrivals; week 2: 1.5 times as many,
  // 11,187.2 (Lambda is integrated at 1 s midpoints: off by ~1e-12 relative). Counts are
  // floor(Lambda), so each is within 1 of the integral.
  auto stream = ReadRequestStream(Parse(R"(
arrivals: {process: constant, rate: "0.01/s", growth: "50 %/week"}
prompt_tokens: {distribution: fixed, value: 10}
output_tokens: {distribution: fixed, value: 10}
)"),
                                  StreamContext{RngStreams(1, 0), "demand", 2 * kWeek, {}});
  int64_t week1 = 0, week2 = 0;
  while (auto q = stream->Next()) ++(q->arrival_s < kWeek ? week1 : week2);
  const double lambda1 = 0.01 * kWeek * 0.5 / std::log(1.5);
  EXPECT_NEAR(static_cast<double>(week1), lambda1, 1.0);
  EXPECT_NEAR(static_cast<double>(week2), 1.5 * lambda1, 1.0 + 1.0);
  EXPECT_NEAR(static_cast<double>(week2) / static_cast<double>(week1), 1.5, 2.0 / 7458);
}

}  // namespace
}  // namespace fleetsim
