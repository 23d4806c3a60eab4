#include "models/serving/decode_time_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace fleetsim {
namespace {

// A convex piecewise-linear decode time in the context C for each batch size B, with kinks
// (like the roofline: per-op max(compute, memory) and a host-time floor), counting calls.
struct KinkedModel final : IterationTimeModel {
  mutable uint64_t calls = 0;
  double Seconds(const IterationShape& s) const override {
    ++calls;
    const double B = static_cast<double>(s.decode_seqs);
    const double C = static_cast<double>(s.decode_context_tokens);
    const double attention = std::max(2e-9 * C, 1e-5 * B + 5e-10 * C);  // kink at C = 6,667 B
    const double gpu = 0.01 + 1e-4 * B + attention;
    const double host = 0.012 + 2e-6 * B;  // host-bound for small C
    return std::max(gpu, host) + 0.001 + 1e-7 * static_cast<double>(s.prefill_tokens);
  }
};

TEST(DecodeTimeCacheTest, EqualsDirectEvaluationEverywhere) {
  auto inner = std::make_unique<KinkedModel>();
  const KinkedModel* direct = inner.get();
  DecodeTimeCache cache(std::move(inner), 4096);
  for (int64_t B : {1, 7, 64}) {
    for (int64_t C = B; C <= B * 4096; C += std::max<int64_t>(1, B * 13)) {
      IterationShape s;
      s.decode_seqs = B;
      s.decode_context_tokens = C;
      const double want = direct->Seconds(s);
      // Interpolation on exact affine pieces: equal to ~1e-12 relative.
      ASSERT_NEAR(cache.Seconds(s), want, 1e-12 * want) << "B " << B << " C " << C;
    }
  }
  // Two kinks per batch size, each found by bisection in ~log2(4096 B) steps: far fewer direct
  // evaluations than the ~(4096 / 13) points per batch size queried above.
  EXPECT_LT(cache.direct_evaluations(), 3u * 2 * 40);
}

TEST(DecodeTimeCacheTest, DecodeRunEqualsSecondsStepByStep) {
  // A run walks the table instead of searching it; every step must be bit-identical to
  // Seconds, across the attention kink (C = 6,667 B) and past the table's end
  // (B x max_context = 8,192 B).
  auto inner = std::make_unique<KinkedModel>();
  DecodeTimeCache cache(std::move(inner), 8192);
  for (int64_t B : {1, 7, 64}) {
    const int64_t steps = 7000;
    std::vector<double> run(steps);
    const int64_t c0 = B * 3000;  // the kink at step ~3,667, the table's end at step 5,192
    cache.DecodeRun(B, c0, steps, run.data());
    IterationShape s;
    s.decode_seqs = B;
    for (int64_t j = 0; j < steps; ++j) {
      s.decode_context_tokens = c0 + j * B;
      ASSERT_EQ(run[j], cache.Seconds(s)) << "B " << B << " step " << j;
    }
  }
}

TEST(DecodeTimeCacheTest, PrefillOnlyShapesAreMemoisedExactly) {
  // Two prefill-only iterations of the same shape: the wrapped model is called once, and both
  // get its value (1e-7 x 500 tokens + the host floor 0.012 + 0.001 = 0.01305 s). A different
  // pair count is a different shape and is evaluated.
  auto inner = std::make_unique<KinkedModel>();
  const KinkedModel* direct = inner.get();
  DecodeTimeCache cache(std::move(inner), 1024);
  IterationShape s;
  s.prefill_tokens = 500;
  s.prefill_attention_pairs = 500.0 * 501 / 2;
  EXPECT_DOUBLE_EQ(cache.Seconds(s), 0.01305);
  EXPECT_DOUBLE_EQ(cache.Seconds(s), 0.01305);
  EXPECT_EQ(direct->calls, 1u);
  s.prefill_attention_pairs = 2 * 250.0 * 251 / 2;  // two prompts of 250
  cache.Seconds(s);
  EXPECT_EQ(direct->calls, 2u);
}

TEST(DecodeTimeCacheTest, MixedShapesPassThrough) {
  auto inner = std::make_unique<KinkedModel>();
  const KinkedModel* direct = inner.get();
  DecodeTimeCache cache(std::move(inner), 1024);
  IterationShape s;
  s.prefill_tokens = 500;
  s.decode_seqs = 3;
  s.decode_context_tokens = 900;
  EXPECT_DOUBLE_EQ(cache.Seconds(s), direct->Seconds(s));
}

}  // namespace
}  // namespace fleetsim
