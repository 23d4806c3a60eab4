// The compute model against published measurements (../shared/reference/validation.md):
// V3 (Llama-2-70B on A100-80GB, Splitwise 2023), V4 (LLaMA-7B on one A100, TensorRT-LLM),
// and, for information, the compute-only TFLOP/s of the five V2 (Megatron-LM) shapes.
//
// Nothing here is fitted to these rows: the device efficiencies come from the catalog
// (MAMF, Calculon), the all-reduce from NCCL's cost model and nccl-tests measurements
// (allreduce_estimate.h), the runtime presets from vLLM's own issues and PRs
// (roofline.h). docs/validation.md lists every case and explains the misses.
//
// Each case asserts the 15 % band where the model meets it. Where it does not, the test
// asserts that the error stays at the value documented in docs/validation.md (+-1.5 points),
// so a change that moves a miss shows up here and in the doc together.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "models/catalog/catalog.h"
#include "models/compute/allreduce_estimate.h"
#include "models/compute/roofline.h"
#include "models/compute/transformer_ops.h"

namespace fleetsim {
namespace {

const Catalog& Shipped() {
  static const Catalog c = Catalog::LoadShipped(FLEETSIM_SOURCE_DIR);
  return c;
}

constexpr double kBand = 0.15;

struct Case {
  std::string name;
  double published;
  double predicted;
  // The documented error where the model misses the band; NAN where it meets it.
  double documented_miss;
};

void Report(const std::string& title, const std::vector<Case>& cases) {
  std::printf("%s\n", title.c_str());
  for (const auto& c : cases) {
    std::printf("  %-36s published %10.1f  predicted %10.1f  error %+6.1f %%\n", c.name.c_str(),
                c.published, c.predicted, 100 * (c.predicted - c.published) / c.published);
  }
}

void Check(const Case& c) {
  const double err = (c.predicted - c.published) / c.published;
  if (std::isnan(c.documented_miss)) {
    EXPECT_LE(std::abs(err), kBand) << c.name << ": error " << 100 * err << " %";
  } else {
    EXPECT_GT(std::abs(c.documented_miss), kBand) << c.name << " is documented as a miss";
    EXPECT_NEAR(err, c.documented_miss, 0.015) << c.name << ": error " << 100 * err << " %";
  }
}

// ---------------------------------------------------------------- V3
// Splitwise (ISCA'24) data/perf_model.csv, medians: Llama-2-70B fp16, A100-80GB, DGX-class
// node, 2023 vLLM-era software (PyTorch eager, one process per GPU).
double V3Seconds(int tp, const InferenceBatch& b) {
  const ModelCard& m = Shipped().FindModel("llama2-70b");
  const DeviceSpec& a100 = Shipped().FindDevice("A100-SXM4-80GB");
  OpOptions o;
  o.tp = tp;
  o.precision = Precision::kFp16;
  o.kv_precision = Precision::kFp16;
  o.flash_attention = true;  // xformers memory-efficient attention: no s x s in memory
  TimingOptions t;
  t.runtime = EagerRuntime2023();
  t.allreduce = DgxA100AllReduce();
  t.sequences = b.prefill_seqs + b.decode_seqs;
  return TimeStep(InferenceStepOps(m, b, o), a100, t).total_s;
}

std::vector<Case> V3Cases() {
  // The decode rows are perf_model.csv's token_time: the mean step time over the 128 output
  // tokens of 512-token prompts, so the mean context is 512 + 64 = 576.
  const int64_t ctx = 576;
  const double kNone = NAN;
  auto pre = [](int64_t s) { return InferenceBatch::Prefill(1, s); };
  auto dec = [&](int64_t b) { return InferenceBatch::Decode(b, ctx); };
  struct Row {
    const char* name;
    int tp;
    InferenceBatch batch;
    double published_ms;
    double documented_miss;
  };
  // Misses (documented error, docs/validation.md "V3"): the 8192-token prefills at TP 4 and
  // 8 scale with t far less than any per-GPU work does; the TP 8 rows and the batch-64
  // decodes carry host and synchronisation costs of the 2023 multi-process engine that the
  // sourced eager-2023 preset does not reach. The all-reduces take NCCL's protocol per size
  // (allreduce_estimate.h): a 512-token TP 8 prefill's 8 MiB all-reduce runs LL128 at an
  // effective 123 GB/s, not the 210 GB/s peak (that moved TP8 prefill 512 from -21.1 % to
  // -15.4 %, 2048 from -19.0 % to -16.5 %, TP4 decode batch 64 from -24.8 % to -22.3 %).
  const std::vector<Row> rows = {
      {"TP2 prefill 512", 2, pre(512), 196.9, kNone},
      {"TP2 prefill 2048", 2, pre(2048), 688.1, kNone},
      {"TP2 prefill 8192", 2, pre(8192), 2990, -0.167},
      {"TP2 decode batch 1", 2, dec(1), 54.9, kNone},
      {"TP2 decode batch 16", 2, dec(16), 65.5, kNone},
      {"TP4 prefill 512", 4, pre(512), 127.0, kNone},
      {"TP4 prefill 2048", 4, pre(2048), 403.3, kNone},
      {"TP4 prefill 8192", 4, pre(8192), 2279, -0.388},
      {"TP4 decode batch 1", 4, dec(1), 45.0, kNone},
      {"TP4 decode batch 16", 4, dec(16), 48.5, kNone},
      {"TP4 decode batch 64", 4, dec(64), 73.0, -0.223},
      {"TP8 prefill 512", 8, pre(512), 94.3, -0.154},
      {"TP8 prefill 2048", 8, pre(2048), 274.2, -0.165},
      {"TP8 prefill 8192", 8, pre(8192), 1550, -0.452},
      {"TP8 decode batch 1", 8, dec(1), 44.9, kNone},
      {"TP8 decode batch 16", 8, dec(16), 50.4, -0.159},
      {"TP8 decode batch 64", 8, dec(64), 71.6, -0.234},
  };
  std::vector<Case> out;
  for (const auto& r : rows) {
    out.push_back({r.name, r.published_ms, 1e3 * V3Seconds(r.tp, r.batch), r.documented_miss});
  }
  return out;
}

TEST(ComputeValidationV3, Llama2_70bOnA100StepTimes) {
  const auto cases = V3Cases();
  Report("V3 Llama-2-70B fp16 on A100-SXM4-80GB, step time in ms (runtime eager-2023)", cases);
  for (const auto& c : cases) Check(c);
}

// The rest of Splitwise's A100 grid (perf_model.csv, medians of 5 runs; docs/validation.md
// "The rest of the Splitwise A100 grid"): single prompts of 128, 256, 1024 and 4096 tokens
// and decode batches 2, 4, 8 and 32 after 512-token prompts, at TP 2, 4 and 8. Same model,
// same presets, nothing fitted. TP 2 batch 64 is left out: its prompt time (0.80 s for 64 x
// 512 tokens, against 6.6 s for batch 32) is not a measurement of the same engine path.
std::vector<Case> V3GridCases() {
  const int64_t ctx = 576;
  const double kNone = NAN;
  struct Row {
    const char* name;
    int tp;
    bool prefill;
    int64_t n;  // prompt tokens, or decode batch
    double published_ms;
    double documented_miss;
  };
  // Misses: the 4096-token prefills continue the >2048-token regime of the 8192 rows;
  // 128-1024-token prefills at TP 4 and 8 sit on a ~20 ms floor above a decode step that
  // the measured H100 rows show too (a per-prompt engine cost; docs/validation.md).
  const std::vector<Row> rows = {
      {"TP2 prefill 128", 2, true, 128, 81.08, kNone},
      {"TP2 prefill 256", 2, true, 256, 112.93, kNone},
      {"TP2 prefill 1024", 2, true, 1024, 377.06, kNone},
      {"TP2 prefill 4096", 2, true, 4096, 1485.3, -0.177},
      {"TP4 prefill 128", 4, true, 128, 63.65, -0.207},
      {"TP4 prefill 256", 4, true, 256, 78.57, kNone},
      {"TP4 prefill 1024", 4, true, 1024, 227.08, -0.153},
      {"TP4 prefill 4096", 4, true, 4096, 965.2, -0.283},
      {"TP8 prefill 128", 8, true, 128, 65.35, -0.349},
      {"TP8 prefill 256", 8, true, 256, 66.76, -0.177},
      {"TP8 prefill 1024", 8, true, 1024, 154.46, -0.160},
      {"TP8 prefill 4096", 8, true, 4096, 661.22, -0.349},
      {"TP2 decode batch 2", 2, false, 2, 59.92, kNone},
      {"TP2 decode batch 4", 2, false, 4, 60.52, kNone},
      {"TP2 decode batch 8", 2, false, 8, 61.69, kNone},
      {"TP2 decode batch 32", 2, false, 32, 72.19, kNone},
      {"TP4 decode batch 2", 4, false, 2, 45.00, kNone},
      {"TP4 decode batch 4", 4, false, 4, 45.09, kNone},
      {"TP4 decode batch 8", 4, false, 8, 45.80, kNone},
      {"TP4 decode batch 32", 4, false, 32, 52.35, kNone},
      {"TP8 decode batch 2", 8, false, 2, 44.56, kNone},
      {"TP8 decode batch 4", 8, false, 4, 45.79, kNone},
      {"TP8 decode batch 8", 8, false, 8, 46.47, kNone},
      {"TP8 decode batch 32", 8, false, 32, 53.02, kNone},
  };
  std::vector<Case> out;
  for (const auto& r : rows) {
    const InferenceBatch b =
        r.prefill ? InferenceBatch::Prefill(1, r.n) : InferenceBatch::Decode(r.n, ctx);
    out.push_back({r.name, r.published_ms, 1e3 * V3Seconds(r.tp, b), r.documented_miss});
  }
  return out;
}

TEST(ComputeValidationV3, RestOfTheSplitwiseA100Grid) {
  const auto cases = V3GridCases();
  Report("V3 grid: the other Splitwise A100 rows, step time in ms (runtime eager-2023)", cases);
  for (const auto& c : cases) Check(c);
}

// Over the whole grid (the 17 V3 rows and the 24 above) the model is within 15 % on 25 rows
// and its mean absolute error is 16.7 % (docs/validation.md). Every error is negative.
TEST(ComputeValidationV3, WholeGridTally) {
  auto all = V3Cases();
  for (const auto& c : V3GridCases()) all.push_back(c);
  int within = 0;
  double abs_sum = 0;
  for (const auto& c : all) {
    const double err = (c.predicted - c.published) / c.published;
    within += std::abs(err) <= kBand ? 1 : 0;
    abs_sum += std::abs(err);
    EXPECT_LT(err, 0) << c.name;
  }
  ASSERT_EQ(all.size(), 41u);
  EXPECT_EQ(within, 25);
  EXPECT_NEAR(abs_sum / all.size(), 0.167, 0.002);
}

// The >2048-token regime is in the measurements, not in the model. From the 1024->2048 to
// the 2048->4096 interval the measured prefill cost per added token rises by 28 % (TP 2),
// 59 % (TP 4) and 62 % (TP 8); the model's, whose only super-linear term is the causal
// attention (4 x pairs x heads/t x head_dim FLOPs), rises by less than 3 % at every TP.
TEST(ComputeValidationV3, ModelPrefillCostPerTokenHardlyGrowsPast2048) {
  for (int tp : {2, 4, 8}) {
    const double t1 = V3Seconds(tp, InferenceBatch::Prefill(1, 1024));
    const double t2 = V3Seconds(tp, InferenceBatch::Prefill(1, 2048));
    const double t4 = V3Seconds(tp, InferenceBatch::Prefill(1, 4096));
    const double low = (t2 - t1) / 1024, high = (t4 - t2) / 2048;
    EXPECT_GT(high / low, 1.0) << "TP" << tp;
    EXPECT_LT(high / low, 1.03) << "TP" << tp;
  }
}

// ---------------------------------------------------------------- V4
// TensorRT-LLM's published LLaMA-7B numbers on one A100 (as collected in LLM-Viewer issue
// #4): fp16, compiled runtime.
struct V4Model {
  const ModelCard& m = Shipped().FindModel("llama-7b");
  const DeviceSpec& a100 = Shipped().FindDevice("A100-SXM4-80GB");
  OpOptions o;
  TimingOptions t;
  V4Model() {
    o.precision = Precision::kFp16;
    o.kv_precision = Precision::kFp16;
    t.runtime = CompiledRuntime();
  }
  double Seconds(const InferenceBatch& b) {
    t.sequences = b.prefill_seqs + b.decode_seqs;
    return TimeStep(InferenceStepOps(m, b, o), a100, t).total_s;
  }
  // Output tokens per second of a static batch: the context phase yields the first token,
  // then out - 1 generation steps, the j-th attending to in + j tokens.
  double Throughput(int64_t batch, int64_t in, int64_t out) {
    double s = Seconds(InferenceBatch::Prefill(batch, in));
    for (int64_t j = 1; j < out; ++j) s += Seconds(InferenceBatch::Decode(batch, in + j));
    return batch * out / s;
  }
};

std::vector<Case> V4Cases() {
  V4Model v;
  const double kNone = NAN;
  return {
      {"batch 256, 128 in / 128 out (tok/s)", 5353, v.Throughput(256, 128, 128), kNone},
      {"batch 32, 128 in / 2048 out (tok/s)", 1518, v.Throughput(32, 128, 2048), kNone},
      {"batch 32, 2048 in / 128 out (tok/s)", 547, v.Throughput(32, 2048, 128), kNone},
      {"batch 16, 2048 in / 2048 out (tok/s)", 613, v.Throughput(16, 2048, 2048), kNone},
      // Miss (documented): 128 rows sit at the A100's ridge point (312e12 / 2.04e12 = 153
      // FLOP/B), where neither roof is reached and max(compute, memory) is optimistic.
      {"first token, batch 1, 128 (ms)", 16.1, 1e3 * v.Seconds(InferenceBatch::Prefill(1, 128)),
       -0.196},
      {"first token, batch 1, 2048 (ms)", 120.5, 1e3 * v.Seconds(InferenceBatch::Prefill(1, 2048)),
       kNone},
  };
}

TEST(ComputeValidationV4, Llama7bOnOneA100) {
  const auto cases = V4Cases();
  Report("V4 LLaMA-7B fp16 on one A100-SXM4-80GB (runtime compiled)", cases);
  for (const auto& c : cases) Check(c);
}

// ---------------------------------------------------------------- V2 (information)
// Megatron-LM (SC'21) weak-scaling shapes: the per-GPU compute-only throughput our model
// predicts for one micro-batch (b = 1, s = 2048, fp16, full recomputation, no
// FlashAttention in 2021), counted with the paper's FLOP formula. Published numbers include
// pipeline bubbles and data-parallel communication, which the training iteration model adds
// (tests/models/training_test.cc, TrainingValidationV2, is the V2 validation).
TEST(ComputeValidationV2, MegatronShapesComputeOnlyForInformation) {
  struct Row {
    const char* model;
    int tp;
    double published_tflops;
  };
  const std::vector<Row> rows = {{"megatron-1.7b", 1, 137},
                                 {"megatron-7.5b", 4, 142},
                                 {"megatron-39.1b", 8, 138},
                                 {"megatron-145.6b", 8, 148},
                                 {"megatron-529.6b", 8, 163}};
  const DeviceSpec& a100 = Shipped().FindDevice("A100-SXM4-80GB");
  std::printf("V2 Megatron shapes, per-GPU TFLOP/s (paper's FLOP count), b = 1, s = 2048\n");
  for (const auto& r : rows) {
    const ModelCard& m = Shipped().FindModel(r.model);
    OpOptions o;
    o.tp = r.tp;
    o.precision = Precision::kFp16;
    o.flash_attention = false;
    TrainingShape shape;
    shape.micro_batch = 1;
    shape.seq_len = 2048;
    shape.recompute = Recompute::kFull;
    const OpList ops = TrainingMicroBatchOps(m, shape, o);
    const double s = 2048, l = m.layers, h = m.hidden, V = m.vocab;
    // 96 B s l h^2 (1 + s / (6h) + V / (16 l h)) per batch of B sequences.
    const double paper_flops = 96 * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
    TimingOptions compute_only;
    const double t_compute = TimeStep(ops, a100, compute_only).total_s;
    TimingOptions with_tp = compute_only;
    with_tp.allreduce = DgxA100AllReduce();
    const double t_tp = TimeStep(ops, a100, with_tp).total_s;
    const double tflops = paper_flops / (r.tp * t_compute) / 1e12;
    const double tflops_tp = paper_flops / (r.tp * t_tp) / 1e12;
    std::printf("  %-16s TP%d published %5.0f  compute-only %5.1f  with TP all-reduce %5.1f\n",
                r.model, r.tp, r.published_tflops, tflops, tflops_tp);
    // Physics bounds: below the A100's 312 TFLOP/s x gemm_max, and the model's own FLOP count
    // agrees with the paper's formula within 10 % (the formula omits norms, softmax and the
    // attention-score FLOPs' masking; we count element-wise work separately).
    EXPECT_LT(tflops, 312 * 0.86);
    EXPECT_GT(tflops_tp, r.published_tflops) << "compute alone must be faster than measured";
    EXPECT_NEAR(ops.Flops() * r.tp / paper_flops, 1.0, 0.10) << r.model;
  }
}

}  // namespace
}  // namespace fleetsim
