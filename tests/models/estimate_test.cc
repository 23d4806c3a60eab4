// Every V1 row of ../shared/reference/validation.md (the seed essay's own numbers).
#include "models/estimate/estimate.h"

#include <gtest/gtest.h>

#include "models/catalog/catalog.h"
#include "sim/config/config_error.h"

namespace fleetsim {
namespace {

const Catalog& Shipped() {
  static const Catalog c = Catalog::LoadShipped(FLEETSIM_SOURCE_DIR);
  return c;
}

EstimateInput Gpt3On(const char* device) {
  EstimateInput in;
  in.params = 175e9;  // the essay's p
  in.tokens = 1024;
  in.training_tokens = 300e9;
  in.device = &Shipped().FindDevice(device);
  return in;
}

TEST(EstimateV1Test, Gpt3ForwardFlops) {
  // 2 n p = 2 * 1024 * 175e9 = 3.584e14 (the essay's "~350 TFLOP").
  EXPECT_DOUBLE_EQ(Estimate(Gpt3On("A100")).inference_flops, 3.584e14);
}

TEST(EstimateV1Test, Gpt3OnOneCpuCore) {
  // 3.584e14 / (3e9 FLOP/s) = 119,467 s = 33.2 h. The essay says ~116,000 s (~32 h) because it
  // rounds the FLOPs down to 350e12: 350e12 / 3e9 = 116,667 s. Our value is 2.4 % above that.
  const EstimateResult r = Estimate(Gpt3On("cpu-core"));
  EXPECT_NEAR(r.inference_seconds, 3.584e14 / 3e9, 1e-6);
  EXPECT_NEAR(r.inference_seconds, 116000, 0.03 * 116000);
}

TEST(EstimateV1Test, Gpt3OnOneA100AtNominalPeak) {
  // 3.584e14 / 312e12 = 1.149 s ("~1.1 s").
  EXPECT_NEAR(Estimate(Gpt3On("A100")).inference_seconds, 1.1487, 1e-3);
}

TEST(EstimateV1Test, CostPer1kTokensAcrossTheEssaysPriceRange) {
  // 2 * 1000 * 175e9 / 312e12 = 1.1218 s per 1k tokens.
  // At $0.72/h: 1.1218 * 0.72 / 3600 = $0.000224; at $5.04/h: $0.00157.
  // The essay quotes $0.0002-$0.0014 because it takes ~1 s per 1k tokens: both ends of our
  // range are 12 % above its figures for that reason (documented in docs/validation.md).
  EstimateInput in = Gpt3On("A100");
  in.price_usd_per_device_s = 0.72 / 3600;
  EXPECT_NEAR(*Estimate(in).cost_usd_per_1k_tokens, 0.000224, 0.000001);
  in.price_usd_per_device_s = 5.04 / 3600;
  EXPECT_NEAR(*Estimate(in).cost_usd_per_1k_tokens, 0.00157, 0.00001);
}

TEST(EstimateV1Test, Gpt3TrainingFlopsAndCost) {
  // 6 p D = 6 * 175e9 * 300e9 = 3.15e23 (essay: ~3.14e23).
  EstimateInput in = Gpt3On("A100");
  in.price_usd_per_device_s = 2.0 / 3600;
  const EstimateResult r = Estimate(in);
  EXPECT_DOUBLE_EQ(r.training_flops, 3.15e23);
  // 3.15e23 / 312e12 = 1.00962e9 s = 280,449 A100-hours; at $2/h = $560,897 (essay ~$560k).
  EXPECT_NEAR(r.training_device_hours, 280449, 1);
  EXPECT_NEAR(*r.training_cost_usd, 560897, 2);
}

TEST(EstimateV1Test, Gpt3Fp32WeightsAndTrainingMemory) {
  // 175e9 * 4 B = 700 GB (S2). Training at fp16: 175e9 * (2 + 8) = 1.75 TB, "more than 1 TB".
  EstimateInput in = Gpt3On("A100");
  in.precision = Precision::kFp32;
  EXPECT_DOUBLE_EQ(Estimate(in).weights_bytes, 700e9);
  in.precision = Precision::kFp16;
  const EstimateResult r = Estimate(in);
  EXPECT_DOUBLE_EQ(r.training_memory_bytes, 1.75e12);
  EXPECT_FALSE(r.weights_fit);
  // 350 GB of fp16 weights on 40 GB A100s: ceil(8.75) = 9 devices.
  EXPECT_EQ(r.min_devices_inference, 9);
}

TEST(EstimateV1Test, RtxVersusA100EnergyOverThreeYears) {
  // Two RTX 3080 Ti at their 350 W TDP = 700 W vs one A100 PCIe 80GB at 300 W, 3 years at
  // 1/3 duty: (700 - 300) W * 26,280 h / 3 = 3,504 kWh (essay: 3,500 kWh). At $0.10/kWh that
  // is $350.40; the essay's "~$1,000" does not follow from its own numbers.
  EstimateInput rtx;
  rtx.params = 1e9;
  rtx.device = &Shipped().FindDevice("RTX-3080-Ti");
  rtx.devices = 2;
  rtx.duty = 1.0 / 3;
  rtx.electricity_usd_per_joule = 0.10 / 3.6e6;
  EstimateInput a100 = rtx;
  a100.device = &Shipped().FindDevice("A100-PCIe-80GB");
  a100.devices = 1;
  const EstimateResult r1 = Estimate(rtx), r2 = Estimate(a100);
  EXPECT_DOUBLE_EQ(r1.power_watts, 350);
  EXPECT_DOUBLE_EQ(r2.power_watts, 300);
  EXPECT_NEAR(r1.energy_kwh - r2.energy_kwh, 3504, 1e-6);
  EXPECT_NEAR(*r1.energy_cost_usd - *r2.energy_cost_usd, 350.4, 1e-6);
}

TEST(EstimateTest, ChinchillaTokensWhenNotGiven) {
  // D = 20 p: a 7e9 model trains on 1.4e11 tokens, 6 * 7e9 * 1.4e11 = 5.88e21 FLOP.
  EstimateInput in = Gpt3On("A100");
  in.params = 7e9;
  in.training_tokens.reset();
  const EstimateResult r = Estimate(in);
  EXPECT_TRUE(r.training_tokens_chinchilla);
  EXPECT_DOUBLE_EQ(r.training_flops, 5.88e21);
}

TEST(EstimateTest, RejectsPrecisionTheDeviceLacks) {
  EstimateInput in = Gpt3On("A100");
  in.precision = Precision::kFp8;  // Ampere has no FP8 datapath
  EXPECT_THROW(Estimate(in), InputError);
}

}  // namespace
}  // namespace fleetsim
