#include "models/catalog/catalog.h"

#include <gtest/gtest.h>

#include "tests/temp_path.h"

#include <cmath>
#include <fstream>

#include "sim/config/config.h"

namespace fleetsim {
namespace {

const Catalog& Shipped() {
  static const Catalog c = Catalog::LoadShipped(FLEETSIM_SOURCE_DIR);
  return c;
}

TEST(CatalogTest, EveryReferenceAcceleratorIsPresent) {
  // The accelerators of ../shared/reference/hardware.md and the essay's names (S7).
  for (const char* name : {"A100",      "A100-SXM4-80GB",
                           "H100",      "H100-PCIe",
                           "H200",      "B200",
                           "V100",      "A10",
                           "A40",       "L4",
                           "L40S",      "T4",
                           "RTX-A4000", "RTX-A5000",
                           "RTX-A6000", "RTX-3080-Ti",
                           "RTX-4090",  "MI300X",
                           "Gaudi2",    "TPU-v4",
                           "TPU-v5e",   "cpu-core"}) {
    EXPECT_NE(Shipped().TryFindDevice(name), nullptr) << name;
  }
}

TEST(CatalogTest, DatasheetValuesAreDensePeaks) {
  // A100: 312 TFLOPS dense BF16/FP16 (624 is the sparse figure), 1,555 GB/s for the 40 GB part.
  const DeviceSpec& a100 = Shipped().FindDevice("A100-SXM4-40GB");
  EXPECT_DOUBLE_EQ(*a100.Peak(Precision::kBf16), 312e12);
  EXPECT_DOUBLE_EQ(a100.memory_bandwidth_bytes_per_s->value, 1555e9);
  EXPECT_FALSE(a100.Peak(Precision::kFp8).has_value());  // Ampere has no FP8
  // H100 SXM: 989.4 TFLOPS dense BF16, 1,979 dense FP8.
  const DeviceSpec& h100 = Shipped().FindDevice("H100");
  EXPECT_NEAR(*h100.Peak(Precision::kBf16), 989.4e12, 1e9);
  EXPECT_NEAR(*h100.Peak(Precision::kFp8), 1979e12, 1e9);
  // The generic CPU core of S1: 3 GHz x 1 FLOP/cycle.
  EXPECT_DOUBLE_EQ(*Shipped().FindDevice("cpu-core").Peak(Precision::kFp16), 3e9);
}

TEST(CatalogTest, EveryNumberHasASourceWithADate) {
  for (const auto& d : Shipped().devices()) {
    auto check = [&](const std::optional<SourcedValue>& v, const char* what) {
      if (!v) return;
      EXPECT_FALSE(v->source.id.empty()) << d.name << " " << what;
      EXPECT_FALSE(v->source.date.empty()) << d.name << " " << what;
    };
    check(d.memory_bytes, "memory");
    check(d.memory_bandwidth_bytes_per_s, "memory_bandwidth");
    check(d.tdp_watts, "tdp");
    for (const auto& p : d.peak_flops_per_s) check(p, "peak");
  }
  for (const auto& m : Shipped().models()) {
    EXPECT_FALSE(m.source.date.empty()) << m.name;
  }
}

TEST(CatalogTest, ParameterCountsMatchPublishedCounts) {
  // Computed from the shape (docs/catalog.md) vs the published count: within 1 %, or half a
  // unit of the last published digit ("1.7B" is only known to +-0.05B).
  ASSERT_GE(Shipped().models().size(), 18u);
  for (const auto& m : Shipped().models()) {
    const double computed = ParameterCount(m);
    EXPECT_NEAR(computed, m.published_params, PublishedParamsTolerance(m))
        << m.name << ": computed " << computed / 1e9 << "B vs published "
        << m.published_params_text;
  }
}

TEST(CatalogTest, HandComputedParameterCountOfGpt3) {
  // GPT-3 175B: 96 layers x (12 h^2 + 13 h) + V h + C h + 2h with h = 12288, V = 50257,
  // C = 2048: 96 * (1,811,939,328 + 159,744) + 617,558,016 + 25,165,824 + 24,576
  // = 173,961,510,912 + 642,748,416 = 174,604,259,328.
  const ModelCard& m = Shipped().FindModel("gpt3-175b");
  EXPECT_DOUBLE_EQ(ParameterCount(m), 174604259328.0);
}

TEST(CatalogTest, ToleranceFollowsThePublishedPrecision) {
  ModelCard m;
  // "1.7B": known to +-0.05B, more than 1 % of 1.7B (0.017B).
  m.published_params = 1.7e9;
  m.published_params_text = "1.7B";
  EXPECT_DOUBLE_EQ(PublishedParamsTolerance(m), 0.05e9);
  // "6,053,381,344": exact to the unit, so the 1 % floor applies (60.5M).
  m.published_params = 6053381344.0;
  m.published_params_text = "6,053,381,344";
  EXPECT_DOUBLE_EQ(PublishedParamsTolerance(m), 0.01 * 6053381344.0);
}

TEST(CatalogTest, LookupIsCaseInsensitiveAndSuggestsOnMiss) {
  EXPECT_EQ(&Shipped().FindDevice("a100"), &Shipped().FindDevice("A100"));
  try {
    Shipped().FindDevice("H10O");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.suggestion(), "H100");
  }
}

TEST(CatalogTest, UserFileOverridesShippedEntryByName) {
  Catalog c = Catalog::LoadShipped(FLEETSIM_SOURCE_DIR);
  const size_t before = c.devices().size();
  const std::string path = testing::TempPath("override.yaml");
  std::ofstream(path) << "sources:\n"
                         "  mine: {title: \"Our own measurement\", date: \"2026-11\"}\n"
                         "devices:\n"
                         "  - name: A100-SXM4-40GB\n"
                         "    vendor: NVIDIA\n"
                         "    kind: gpu\n"
                         "    source: mine\n"
                         "    memory: \"40 GiB\"\n"
                         "    memory_bandwidth: \"1,400 GB/s\"\n"
                         "    peak: {bf16: \"312 TFLOPS\"}\n"
                         "    tdp: \"400 W\"\n";
  c.AddFile(path);
  // Same name: replaced, not appended; the new value and source are in effect.
  EXPECT_EQ(c.devices().size(), before);
  const DeviceSpec& d = c.FindDevice("A100-SXM4-40GB");
  EXPECT_DOUBLE_EQ(d.memory_bandwidth_bytes_per_s->value, 1400e9);
  EXPECT_EQ(d.source.id, "mine");
}

}  // namespace
}  // namespace fleetsim
