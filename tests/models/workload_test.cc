#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "models/workload/arrivals.h"
#include "models/workload/lengths.h"
#include "models/workload/rate_profile.h"
#include "models/workload/trace_reader.h"
#include "sim/config/config.h"

namespace fleetsim {
namespace {

constexpr double kHour = 3600, kDay = 86400, kWeek = 7 * kDay;

std::unique_ptr<RequestStream> Stream(const std::string& yaml, double horizon_s,
                                      uint64_t seed = 1) {
  StreamContext ctx;
  ctx.rng = RngStreams(seed, 0);
  ctx.horizon_s = horizon_s;
  ctx.class_names = {"chat", "batch"};
  static std::vector<std::shared_ptr<const ConfigDocument>> keep;  // nodes outlive the call
  keep.push_back(
      ConfigDocument::Parse(yaml, std::string(FLEETSIM_TEST_DATA_DIR) + "/workload/inline.yaml"));
  return ReadRequestStream(keep.back()->Root(), ctx);
}

std::vector<RequestSpec> Drain(RequestStream& s) {
  std::vector<RequestSpec> out;
  while (auto r = s.Next()) out.push_back(*r);
  return out;
}

TEST(RateProfileTest, DiurnalCycleHasTheRatioAndADailyMeanOfOne) {
  RateProfile p;
  p.base_per_s = 100;
  p.diurnal_peak_to_trough = 3;
  p.diurnal_peak_at_s = 14 * kHour;
  // a = (3 - 1) / (3 + 1) = 0.5: peak 150/s at 14 h, trough 50/s at 2 h, ratio 3.
  EXPECT_NEAR(p.RateAt(14 * kHour), 150, 1e-9);
  EXPECT_NEAR(p.RateAt(2 * kHour), 50, 1e-9);
  // The cosine integrates to zero over a day: the mean is the base rate.
  EXPECT_NEAR(p.MeanRate(0, kDay), 100, 1e-6);
}

TEST(RateProfileTest, GrowthCompoundsAndSpikesAreTrapezoids) {
  RateProfile p;
  p.base_per_s = 10;
  p.growth_per_period = 0.5;  // +50 %/week
  // After one week 10 * 1.5 = 15/s; after two 10 * 1.5^2 = 22.5/s.
  EXPECT_NEAR(p.RateAt(kWeek), 15, 1e-9);
  EXPECT_NEAR(p.RateAt(2 * kWeek), 22.5, 1e-9);
  RateProfile s;
  s.base_per_s = 10;
  s.spikes.push_back({kHour, 10, 1000, 2000});
  // Before: 10; halfway up the 1,000 s ramp: 10 * (1 + 9 * 0.5) = 55; top: 100; after: 10.
  EXPECT_NEAR(s.RateAt(kHour - 1), 10, 1e-9);
  EXPECT_NEAR(s.RateAt(kHour + 500), 55, 1e-9);
  EXPECT_NEAR(s.RateAt(kHour + 2000), 100, 1e-9);
  EXPECT_NEAR(s.RateAt(kHour + 4001), 10, 1e-9);
}

TEST(ArrivalsTest, PoissonCountMatchesTheIntegratedRate) {
  // 50/s over 1,000 s: 50,000 expected, sd sqrt(50,000) = 224; allow 4 sd.
  auto s = Stream(R"(
arrivals: {process: poisson, rate: "50/s"}
prompt_tokens: {distribution: fixed, value: 100}
output_tokens: {distribution: fixed, value: 10}
)",
                  1000);
  const auto reqs = Drain(*s);
  EXPECT_NEAR(static_cast<double>(reqs.size()), 50000, 4 * 224);
  EXPECT_TRUE(std::is_sorted(reqs.begin(), reqs.end(),
                             [](auto& a, auto& b) { return a.arrival_s < b.arrival_s; }));
  EXPECT_LT(reqs.back().arrival_s, 1000);
}

TEST(ArrivalsTest, TenfoldSpikeGivesTenfoldArrivals) {
  // 20/s with a x10 spike from 1,000 s to 2,000 s (no ramp): 20 * 10 * 1,000 = 200,000
  // expected inside the spike (sd 447), 20 * 1,000 = 20,000 in the 1,000 s before it (sd 141).
  auto s = Stream(R"(
arrivals:
  process: poisson
  rate: "20/s"
  spikes: [{at: "1000 s", factor: 10, duration: "1000 s"}]
prompt_tokens: {distribution: fixed, value: 1}
output_tokens: {distribution: fixed, value: 1}
)",
                  2000);
  const auto reqs = Drain(*s);
  const auto in_spike =
      std::count_if(reqs.begin(), reqs.end(), [](auto& r) { return r.arrival_s >= 1000; });
  const auto before = static_cast<long>(reqs.size()) - in_spike;
  EXPECT_NEAR(static_cast<double>(in_spike), 200000, 4 * 447);
  EXPECT_NEAR(static_cast<double>(before), 20000, 4 * 142);
}

TEST(ArrivalsTest, GammaGapsHaveTheRequestedCv) {
  auto s = Stream(R"(
arrivals: {process: gamma, rate: "100/s", cv: 3}
prompt_tokens: {distribution: fixed, value: 1}
output_tokens: {distribution: fixed, value: 1}
)",
                  2000);
  const auto reqs = Drain(*s);
  double sum = 0, sum2 = 0;
  for (size_t i = 1; i < reqs.size(); ++i) {
    const double g = reqs[i].arrival_s - reqs[i - 1].arrival_s;
    sum += g;
    sum2 += g * g;
  }
  const double n = static_cast<double>(reqs.size() - 1);
  const double mean = sum / n, sd = std::sqrt(sum2 / n - mean * mean);
  // Mean gap 1/100 s; CV 3 (the sample CV of ~200k heavy-tailed gaps is within ~5 %).
  EXPECT_NEAR(mean, 0.01, 0.0005);
  EXPECT_NEAR(sd / mean, 3.0, 0.15);
}

TEST(ArrivalsTest, ConstantProcessIsEvenlySpaced) {
  // 4/s: arrivals at 0.25, 0.5, 0.75, ... exactly (the first after one gap).
  auto s = Stream(R"(
arrivals: {process: constant, rate: "4/s"}
prompt_tokens: {distribution: fixed, value: 1}
output_tokens: {distribution: fixed, value: 1}
)",
                  2.1);
  const auto reqs = Drain(*s);
  ASSERT_EQ(reqs.size(), 8u);
  for (size_t i = 0; i < reqs.size(); ++i) EXPECT_NEAR(reqs[i].arrival_s, 0.25 * (i + 1), 1e-9);
}

TEST(ArrivalsTest, LengthDistributionDoesNotMoveArrivalTimes) {
  const char* a = R"(
arrivals: {process: poisson, rate: "10/s"}
prompt_tokens: {distribution: fixed, value: 100}
output_tokens: {distribution: fixed, value: 10}
)";
  const char* b = R"(
arrivals: {process: poisson, rate: "10/s"}
prompt_tokens: {distribution: lognormal, median: 512, sigma: 1}
output_tokens: {distribution: uniform, min: 1, max: 100}
)";
  const auto ra = Drain(*Stream(a, 100)), rb = Drain(*Stream(b, 100));
  ASSERT_EQ(ra.size(), rb.size());
  for (size_t i = 0; i < ra.size(); ++i) EXPECT_EQ(ra[i].arrival_s, rb[i].arrival_s);
  // And the same seed gives the same stream; another seed another.
  const auto rc = Drain(*Stream(b, 100));
  EXPECT_EQ(rb.back().prompt_tokens, rc.back().prompt_tokens);
  EXPECT_NE(Drain(*Stream(a, 100, 2)).size(), 0u);
}

TEST(LengthsTest, MeansOfTheDistributions) {
  Rng rng(9);
  auto doc = ConfigDocument::Parse(R"(
u: {distribution: uniform, min: 10, max: 30}
l: {distribution: lognormal, median: 500, sigma: 0.5, min: 1, max: 100000}
e: {distribution: empirical, values: [100, 300], weights: [3, 1]}
)",
                                   "t.yaml");
  auto u = ReadLengthDistribution(doc->Root().Get("u"));
  auto l = ReadLengthDistribution(doc->Root().Get("l"));
  auto e = ReadLengthDistribution(doc->Root().Get("e"));
  // Uniform integers 10..30: mean 20. Empirical: (3 * 100 + 300) / 4 = 150.
  EXPECT_DOUBLE_EQ(u->Mean(), 20);
  EXPECT_DOUBLE_EQ(e->Mean(), 150);
  std::vector<int64_t> xs;
  for (int i = 0; i < 100001; ++i) xs.push_back(l->Sample(rng));
  std::nth_element(xs.begin(), xs.begin() + 50000, xs.end());
  // The sample median of a lognormal with median 500 (sd of the median estimate ~0.4 %).
  EXPECT_NEAR(static_cast<double>(xs[50000]), 500, 10);
  for (int i = 0; i < 1000; ++i) {
    const int64_t x = u->Sample(rng);
    EXPECT_GE(x, 10);
    EXPECT_LE(x, 30);
  }
}

TEST(TraceTest, ReplaysTimesLengthsAndClasses) {
  StreamContext ctx;
  ctx.horizon_s = 1.0;
  ctx.class_names = {"chat", "batch"};
  auto s =
      OpenTraceStream(std::string(FLEETSIM_TEST_DATA_DIR) + "/workload/trace_ok.csv", 2.0, ctx);
  // time_scale 2: 0, 1.0, 1.0, 4.0; the horizon of 1 s keeps only the first row.
  const auto reqs = Drain(*s);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].prompt_tokens, 512);
  EXPECT_EQ(reqs[0].class_index, 0);
  ctx.horizon_s = 10;
  const auto all = Drain(
      *OpenTraceStream(std::string(FLEETSIM_TEST_DATA_DIR) + "/workload/trace_ok.csv", 1.0, ctx));
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[1].class_index, 1);
  EXPECT_DOUBLE_EQ(all[3].arrival_s, 2.0);
}

// One bad trace file per message: tests/data/bad_trace/*.csv, first line "# expect: ...".
class BadTraceTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BadTraceTest, FailsWithThePositionedMessage) {
  const std::string path = std::string(FLEETSIM_TEST_DATA_DIR) + "/bad_trace/" + GetParam();
  std::ifstream in(path);
  std::string first;
  std::getline(in, first);
  ASSERT_EQ(first.rfind("# expect: ", 0), 0u);
  std::string expected = first.substr(10);
  expected.replace(expected.find("{file}"), 6, path);
  StreamContext ctx;
  ctx.horizon_s = 1e9;
  ctx.class_names = {"chat", "batch"};
  try {
    auto s = OpenTraceStream(path, 1.0, ctx);
    Drain(*s);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_NE(e.Format().find(expected), std::string::npos) << e.Format();
  }
}

std::vector<std::string> BadTraces() {
  std::vector<std::string> v;
  for (const auto& e : std::filesystem::directory_iterator(FLEETSIM_TEST_DATA_DIR "/bad_trace")) {
    v.push_back(e.path().filename().string());
  }
  std::sort(v.begin(), v.end());
  return v;
}

INSTANTIATE_TEST_SUITE_P(Files, BadTraceTest, ::testing::ValuesIn(BadTraces()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param.substr(0, info.param.find('.'));
                         });

TEST(DemandConfigTest, BadDemandIsPositioned) {
  auto err = [](const char* yaml) {
    try {
      Stream(yaml, 10);
    } catch (const ConfigError& e) {
      return e.Format();
    }
    return std::string();
  };
  EXPECT_NE(err("arrivals: {process: poison, rate: \"1/s\"}\n").find("did you mean 'poisson'?"),
            std::string::npos);
  EXPECT_NE(err("arrivals: {process: gamma, rate: \"1/s\"}\nprompt_tokens: {distribution: fixed, "
                "value: 1}\noutput_tokens: {distribution: fixed, value: 1}\n")
                .find("missing required key 'cv'"),
            std::string::npos);
  EXPECT_NE(err("arrivals: {process: poisson, rate: \"1 GB\"}\n")
                .find("expected a rate per unit of time"),
            std::string::npos);
  EXPECT_NE(err("arrivals: {process: trace, file: x.csv}\nprompt_tokens: {distribution: fixed, "
                "value: 1}\n")
                .find("prompt_tokens comes from the trace file"),
            std::string::npos);
  EXPECT_NE(err("arrivals: {process: poisson, rate: \"1/s\"}\nprompt_tokens: {distribution: "
                "lognormal, median: 5}\noutput_tokens: {distribution: fixed, value: 1}\n")
                .find("missing required key 'sigma'"),
            std::string::npos);
}

}  // namespace
}  // namespace fleetsim
