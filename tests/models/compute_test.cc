// Unit tests of models/compute: op lists, the efficiency curve and roofline timing, the
// all-reduce estimate and the memory model, each against a hand-derived number.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "models/catalog/catalog.h"
#include "models/compute/allreduce_estimate.h"
#include "models/compute/iteration_time.h"
#include "models/compute/memory_model.h"
#include "models/compute/roofline.h"
#include "models/compute/transformer_ops.h"
#include "sim/config/config_error.h"

namespace fleetsim {
namespace {

const Catalog& Shipped() {
  static const Catalog c = Catalog::LoadShipped(FLEETSIM_SOURCE_DIR);
  return c;
}

double SumWhere(const OpList& l, OpKind kind, OpPhase phase, double (*f)(const Op&)) {
  double s = 0;
  for (const auto& o : l.ops) {
    if (o.kind == kind && o.phase == phase) s += f(o) * o.count;
  }
  return s;
}
double FlopsOf(const Op& o) { return o.flops; }
double WeightBytesOf(const Op& o) { return o.weight_bytes; }
double CommBytesOf(const Op& o) { return o.comm_bytes; }
double CountOf(const Op&) { return 1; }

// ------------------------------------------------------------------ catalog efficiency

TEST(ComputeEfficiencyTest, CatalogBlockIsLoadedWithItsSource) {
  // devices.yaml: A100 SXM 267.9 / 312 = 0.86 (MAMF), 108 SMs, 0.90 of HBM (Calculon), 3 us.
  const Efficiency e = ResolveEfficiency(Shipped().FindDevice("A100-SXM4-80GB"));
  EXPECT_TRUE(e.from_catalog);
  EXPECT_DOUBLE_EQ(e.gemm_max, 0.86);
  EXPECT_EQ(e.sm_count, 108);
  EXPECT_EQ(e.gemm_tile, 128);
  EXPECT_DOUBLE_EQ(e.memory, 0.90);
  EXPECT_NEAR(e.kernel_overhead_s, 3e-6, 1e-12);
  EXPECT_NE(e.origin.find("mamf-table"), std::string::npos) << e.origin;
  // The training ceiling (docs/training.md, Calibration): 0.69, used only by training timings.
  EXPECT_DOUBLE_EQ(e.training_gemm_max, 0.69);
  // H200: the measured reality check of reference/hardware.md, 790 / 989 and 4.3 / 4.8.
  const Efficiency h = ResolveEfficiency(Shipped().FindDevice("H200"));
  EXPECT_DOUBLE_EQ(h.gemm_max, 0.80);
  EXPECT_DOUBLE_EQ(h.memory, 0.90);
  EXPECT_EQ(h.sm_count, 132);
}

TEST(ComputeEfficiencyTest, DevicesWithoutABlockGetTheDefaultsOfTheirKind) {
  // A10 has no efficiency block: gpu defaults 0.75 / 0.85 / 5 us, no wave quantisation.
  const Efficiency e = ResolveEfficiency(Shipped().FindDevice("A10"));
  EXPECT_FALSE(e.from_catalog);
  EXPECT_DOUBLE_EQ(e.gemm_max, 0.75);
  EXPECT_DOUBLE_EQ(e.memory, 0.85);
  EXPECT_EQ(e.sm_count, 0);
  EXPECT_EQ(e.origin, "default for kind gpu (no efficiency block in the catalog)");
  EXPECT_DOUBLE_EQ(ResolveEfficiency(Shipped().FindDevice("TPU-v4")).gemm_max, 0.70);
  EXPECT_DOUBLE_EQ(ResolveEfficiency(Shipped().FindDevice("cpu-core")).gemm_max, 0.50);
}

TEST(ComputeEfficiencyTest, UserFilesWriteFractionsEitherWayAndCarryPerNumberSources) {
  // gemm_max "86 %" = 0.86; memory as a sourced map; kernel_overhead "4 us".
  const std::string path = ::testing::TempDir() + "/eff_user.yaml";
  std::ofstream(path) << R"(sources:
  s: {title: "t", date: "2026-01"}
  m: {title: "measured", date: "2026-02"}
devices:
  - name: X1
    vendor: V
    kind: gpu
    source: s
    memory: "80 GB"
    memory_bandwidth: "2 TB/s"
    peak: {bf16: "300 TFLOPS"}
    tdp: "400 W"
    efficiency:
      source: m
      gemm_max: "86 %"
      memory: {value: 0.9, source: s, note: "copy kernel"}
      kernel_overhead: "4 us"
)";
  Catalog c;
  c.AddFile(path);
  const DeviceSpec& d = c.FindDevice("X1");
  ASSERT_TRUE(d.efficiency.has_value());
  EXPECT_DOUBLE_EQ(d.efficiency->gemm_max, 0.86);
  EXPECT_DOUBLE_EQ(d.efficiency->memory, 0.9);
  EXPECT_NEAR(d.efficiency->kernel_overhead_s, 4e-6, 1e-15);
  EXPECT_EQ(d.efficiency->sm_count, 0);
  EXPECT_EQ(d.efficiency->source.id, "m");
}

TEST(ComputeEfficiencyTest, EveryEfficiencyBlockHasADatedSource) {
  for (const auto& d : Shipped().devices()) {
    if (!d.efficiency) continue;
    EXPECT_FALSE(d.efficiency->source.id.empty()) << d.name;
    EXPECT_FALSE(d.efficiency->source.date.empty()) << d.name;
  }
}

TEST(ComputeEfficiencyTest, GemmEfficiencyFollowsTileAndWaveQuantisation) {
  const Efficiency e = ResolveEfficiency(Shipped().FindDevice("A100-SXM4-80GB"));
  // 4096 x 4096: 32 x 32 = 1024 tiles of 128 x 128 on 108 SMs, w = 9.481 waves,
  // wave = w / (w + 0.5) = 0.94990; 0.86 x 0.94990 = 0.81692.
  EXPECT_NEAR(GemmEfficiency(e, 4096, 4096), 0.81692, 1e-5);
  // One row (a batch-1 decode GEMV) pads to the smallest, 16-row tile: 1/16, and 32 tiles
  // fill 0.296 of a wave: 0.2963 / 0.7963 = 0.3721; 0.86 x 0.0625 x 0.3721 = 0.0200.
  EXPECT_NEAR(GemmEfficiency(e, 1, 4096), 0.0200, 1e-4);
  // 200 rows: two 128-row tiles, 200 / 256 = 0.78125 used; 2 x 32 = 64 tiles, w = 0.5926,
  // wave 0.5424; 0.86 x 0.78125 x 0.5424 = 0.3644.
  EXPECT_NEAR(GemmEfficiency(e, 200, 4096), 0.3644, 1e-4);
  // The curve rises with size and stays below gemm_max.
  double prev = 0;
  for (int64_t n : {128, 512, 2048, 8192, 32768}) {
    const double eff = GemmEfficiency(e, n, n);
    EXPECT_GT(eff, prev);
    EXPECT_LT(eff, e.gemm_max);
    prev = eff;
  }
  // Without an SM count (defaults), only tile padding remains.
  const Efficiency d = DefaultEfficiency(DeviceKind::kGpu);
  EXPECT_DOUBLE_EQ(GemmEfficiency(d, 4096, 4096), 0.75);
  EXPECT_DOUBLE_EQ(GemmEfficiency(d, 64, 4096), 0.75);
  EXPECT_DOUBLE_EQ(GemmEfficiency(d, 80, 4096), 0.75 * 80 / 128);
}

// ------------------------------------------------------------------ op lists

TEST(TransformerOpsTest, ParameterCountsSplitConsistently) {
  // layers x per-layer + embeddings + head == ParameterCount for every catalog model.
  for (const auto& m : Shipped().models()) {
    const double sum =
        m.layers * LayerParameterCount(m) + EmbeddingParameterCount(m) + HeadParameterCount(m);
    EXPECT_NEAR(sum, ParameterCount(m), 1e-6 * ParameterCount(m)) << m.name;
  }
}

TEST(TransformerOpsTest, DecodeReadsEveryWeightOnce) {
  // Llama-2-7B per layer: QKV 4096 x 12288, out 4096 x 4096, gate-up 4096 x 22016,
  // down 11008 x 4096 = 202,375,168 weights = 12 h^2 + 3 h f; at 2 bytes each per layer.
  const ModelCard& m = Shipped().FindModel("llama2-7b");
  OpOptions o;
  const OpList l = InferenceStepOps(m, InferenceBatch::Decode(1, 100), o);
  const double gemm_weights = SumWhere(l, OpKind::kGemm, OpPhase::kForward, WeightBytesOf);
  // + the LM head, 32000 x 4096.
  EXPECT_DOUBLE_EQ(gemm_weights, 2.0 * (32 * 202375168.0 + 32000.0 * 4096));
}

TEST(TransformerOpsTest, PrefillFlopsAre2NPPlusAttention) {
  // Prefill of 128 tokens on Llama-2-7B: GEMMs 2 x 128 x 32 x 202,375,168, the LM head for
  // the last token only (2 x 32000 x 4096), causal attention 4 x (128 x 129 / 2) x 32 x 128
  // per layer.
  const ModelCard& m = Shipped().FindModel("llama2-7b");
  const OpList l = InferenceStepOps(m, InferenceBatch::Prefill(1, 128), OpOptions{});
  EXPECT_DOUBLE_EQ(SumWhere(l, OpKind::kGemm, OpPhase::kForward, FlopsOf),
                   2.0 * 128 * 32 * 202375168.0 + 2.0 * 32000 * 4096);
  EXPECT_DOUBLE_EQ(l.FlopsOf("prefill_attention"), 32 * 4.0 * (128 * 129 / 2) * 32 * 128);
}

TEST(TransformerOpsTest, MixedLengthsSumTheirWork) {
  // Prompts of 100 and 28 tokens: 128 tokens, 100 x 101 / 2 + 28 x 29 / 2 = 5,456 causal
  // pairs, 2 prompts. Contexts 10, 20, 30: 3 sequences reading 60 KV entries.
  const InferenceBatch p = InferenceBatch::Prompts({100, 28});
  EXPECT_EQ(p.prefill_tokens, 128);
  EXPECT_DOUBLE_EQ(p.prefill_attention_pairs, 5456);
  EXPECT_EQ(p.prefill_seqs, 2);
  const InferenceBatch d = InferenceBatch::Contexts({10, 20, 30});
  EXPECT_EQ(d.decode_seqs, 3);
  EXPECT_EQ(d.decode_context_tokens, 60);
  // Same total work as the uniform helpers where lengths are equal.
  const InferenceBatch u = InferenceBatch::Prompts({64, 64});
  EXPECT_DOUBLE_EQ(u.prefill_attention_pairs,
                   InferenceBatch::Prefill(2, 64).prefill_attention_pairs);
  EXPECT_THROW(InferenceBatch::Contexts({0}), InputError);
}

TEST(TransformerOpsTest, GroupedQueryAttentionShardsAndReplicatesKvHeads) {
  // Llama-2-70B: 64 query heads, 8 KV heads. TP 8: 8 + 2 x 1 heads of 128 -> 1280 QKV
  // columns per GPU. TP 16 would hold half a KV head: it keeps (replicates) one.
  const ModelCard& m = Shipped().FindModel("llama2-70b");
  EXPECT_EQ(KvHeadsPerGpu(m, 2), 4);
  EXPECT_EQ(KvHeadsPerGpu(m, 8), 1);
  EXPECT_EQ(KvHeadsPerGpu(m, 16), 1);
  OpOptions o;
  o.tp = 8;
  const OpList l = InferenceStepOps(m, InferenceBatch::Decode(1, 10), o);
  for (const auto& op : l.ops) {
    if (op.name == "qkv_proj") {
      EXPECT_EQ(op.n, 1280);
    }
  }
  o.tp = 3;
  EXPECT_THROW(InferenceStepOps(m, InferenceBatch::Decode(1, 10), o), InputError);
}

TEST(TransformerOpsTest, DecodeKvCacheReadsDominateAtLongContext) {
  // Llama-2-70B, TP 2, 16 sequences at 512 tokens: 4 KV heads per GPU, K and V of 128 fp16
  // values each: 2 x 4 x 128 x 2 = 2,048 B per token per layer; 16 x 512 x 2,048 = 16.78 MB.
  const ModelCard& m = Shipped().FindModel("llama2-70b");
  OpOptions o;
  o.tp = 2;
  const OpList l = InferenceStepOps(m, InferenceBatch::Decode(16, 512), o);
  for (const auto& op : l.ops) {
    if (op.name == "decode_attention") {
      EXPECT_DOUBLE_EQ(op.kv_bytes, 16.0 * 512 * 2048);
      EXPECT_DOUBLE_EQ(op.count, 80);
    }
  }
  // The per-GPU KV bytes per token agree with the catalog's whole-model figure / t.
  EXPECT_DOUBLE_EQ(2.0 * 80 * KvHeadsPerGpu(m, 2) * 128 * 2, KvCacheBytesPerToken(m, 2) / 2);
}

TEST(TransformerOpsTest, TensorParallelEmitsTwoAllReducesPerLayerEachWay) {
  // Megatron-7.5B at TP 4, b = 1, s = 2048, no recomputation: per layer 2 forward and 2
  // backward all-reduces of b s h x 2 bytes = 2048 x 4096 x 2 = 16.8 MB each.
  const ModelCard& m = Shipped().FindModel("megatron-7.5b");
  OpOptions o;
  o.tp = 4;
  o.precision = Precision::kFp16;
  o.include_embedding = false;
  o.include_head = false;
  TrainingShape s;
  const OpList l = TrainingMicroBatchOps(m, s, o);
  const double per = 2048.0 * 4096 * 2;
  EXPECT_DOUBLE_EQ(SumWhere(l, OpKind::kCommunication, OpPhase::kForward, CommBytesOf),
                   36 * 2 * per);
  EXPECT_DOUBLE_EQ(SumWhere(l, OpKind::kCommunication, OpPhase::kBackward, CommBytesOf),
                   36 * 2 * per);
  for (const auto& op : l.ops) {
    if (op.kind == OpKind::kCommunication) {
      EXPECT_EQ(op.comm_ranks, 4);
    }
  }
  // Full recomputation repeats the forward, its two all-reduces included.
  s.recompute = Recompute::kFull;
  const OpList f = TrainingMicroBatchOps(m, s, o);
  EXPECT_DOUBLE_EQ(SumWhere(f, OpKind::kCommunication, OpPhase::kRecompute, CommBytesOf),
                   36 * 2 * per);
}

TEST(TransformerOpsTest, BackwardIsTwiceTheForwardGemmsAndRecomputationAddsTheForward) {
  // Megatron-1.7B, TP 1: backward GEMM FLOPs = 2 x forward; full recomputation adds the
  // layers' forward GEMMs once more (not the LM head's).
  const ModelCard& m = Shipped().FindModel("megatron-1.7b");
  OpOptions o;
  o.precision = Precision::kFp16;
  TrainingShape s;
  s.recompute = Recompute::kFull;
  const OpList l = TrainingMicroBatchOps(m, s, o);
  const double fwd = SumWhere(l, OpKind::kGemm, OpPhase::kForward, FlopsOf);
  const double bwd = SumWhere(l, OpKind::kGemm, OpPhase::kBackward, FlopsOf);
  const double rec = SumWhere(l, OpKind::kGemm, OpPhase::kRecompute, FlopsOf);
  EXPECT_DOUBLE_EQ(bwd, 2 * fwd);
  const double head = 2.0 * 2048 * 51200 * 2304;  // LM head forward
  EXPECT_DOUBLE_EQ(rec, fwd - head);
  // FlashAttention's backward is 2.5 x its forward; a materialising one's 2 x.
  EXPECT_DOUBLE_EQ(l.FlopsOf("attention_bwd"), 2.5 * l.FlopsOf("attention") / 2);
  o.flash_attention = false;
  const OpList n = TrainingMicroBatchOps(m, s, o);
  // Materialising: the scores and context products (2 x 2048^2 x 96 x 2 FLOPs each per head
  // and sequence, 24 heads, 24 layers) forward, and two products each in the backward.
  const double product = 2.0 * 2048 * 2048 * 96 * 24 * 24;
  EXPECT_DOUBLE_EQ(n.FlopsOf("attn_scores"), 2 * product);  // forward + recomputation
  EXPECT_DOUBLE_EQ(SumWhere(n, OpKind::kAttention, OpPhase::kForward, FlopsOf), 2 * product);
  EXPECT_DOUBLE_EQ(SumWhere(n, OpKind::kAttention, OpPhase::kBackward, FlopsOf), 4 * product);
}

TEST(TransformerOpsTest, MaterialisingAttentionKernelsMoveTheScoresByHand) {
  // Megatron-1.7B, b = 1, s = 2048, TP 1, 2-byte precision, with dropout: E = 24 heads x
  // 2048^2 = 100.66e6 score elements per layer. Forward: softmax reads and writes them (4
  // bytes each), dropout reads them and writes them and a 1-byte mask (5); backward: softmax
  // reads dP and P and writes dS (6), dropout reads the gradient and the mask and writes (5).
  const ModelCard& m = Shipped().FindModel("megatron-1.7b");
  OpOptions o;
  o.precision = Precision::kFp16;
  o.flash_attention = false;
  o.dropout = true;
  o.layers = 1;
  o.include_embedding = false;
  o.include_head = false;
  TrainingShape s;
  const OpList l = TrainingMicroBatchOps(m, s, o);
  const double E = 24.0 * 2048 * 2048;
  auto bytes = [&](const std::string& name) {
    for (const auto& op : l.ops)
      if (op.name == name) return op.Bytes();
    return -1.0;
  };
  EXPECT_DOUBLE_EQ(bytes("attn_softmax"), 4 * E);
  EXPECT_DOUBLE_EQ(bytes("attn_dropout"), 5 * E);
  EXPECT_DOUBLE_EQ(bytes("attn_softmax_bwd"), 6 * E);
  EXPECT_DOUBLE_EQ(bytes("attn_dropout_bwd"), 5 * E);
  // The scores product writes E x 2 bytes besides reading Q and K (2048 x 2304 x 2 each).
  EXPECT_DOUBLE_EQ(bytes("attn_scores"), 2 * E + 2 * 2048.0 * 2304 * 2);
  // Without dropout there is no dropout kernel and the residual adds write no mask:
  // 3 x 2 bytes x 2048 x 2304 each.
  o.dropout = false;
  const OpList n = TrainingMicroBatchOps(m, s, o);
  for (const auto& op : n.ops) {
    EXPECT_NE(op.name, "attn_dropout");
    if (op.name == "residual_add") {
      EXPECT_DOUBLE_EQ(op.Bytes(), 6.0 * 2048 * 2304);
    }
  }
}

TEST(TransformerOpsTest, UnfusedGradientAccumulationAddsOneAddPerWeightGradient) {
  // Megatron-1.7B, one layer, TP 1: fc1's weight is 2304 x 9216. Fused: the wgrad GEMM reads
  // and writes the fp32 main gradient (8 bytes per weight). Unfused (Megatron-LM 2021 local
  // DDP): the GEMM writes the 2-byte gradient and an add kernel reads it and reads and writes
  // the 2-byte main gradient: 6 bytes per weight.
  const ModelCard& m = Shipped().FindModel("megatron-1.7b");
  OpOptions o;
  o.precision = Precision::kFp16;
  o.layers = 1;
  o.include_embedding = false;
  o.include_head = false;
  TrainingShape s;
  const double w = 2304.0 * 9216;
  auto find = [](const OpList& l, const std::string& name) -> const Op* {
    for (const auto& op : l.ops)
      if (op.name == name) return &op;
    return nullptr;
  };
  const OpList fused = TrainingMicroBatchOps(m, s, o);
  ASSERT_NE(find(fused, "fc1_wgrad"), nullptr);
  EXPECT_DOUBLE_EQ(find(fused, "fc1_wgrad")->weight_bytes, 8 * w);
  EXPECT_EQ(find(fused, "fc1_grad_accumulate"), nullptr);
  o.grad_accumulation_fusion = false;
  const OpList unfused = TrainingMicroBatchOps(m, s, o);
  EXPECT_DOUBLE_EQ(find(unfused, "fc1_wgrad")->weight_bytes, 2 * w);
  ASSERT_NE(find(unfused, "fc1_grad_accumulate"), nullptr);
  EXPECT_DOUBLE_EQ(find(unfused, "fc1_grad_accumulate")->Bytes(), 6 * w);
}

TEST(TransformerOpsTest, SelectiveRecomputationRepeatsOnlyAMaterialisingAttention) {
  const ModelCard& m = Shipped().FindModel("megatron-1.7b");
  OpOptions o;
  TrainingShape s;
  s.recompute = Recompute::kSelective;
  o.flash_attention = false;
  const OpList l = TrainingMicroBatchOps(m, s, o);
  // Non-flash: the recomputed ops are the attention core, once per layer: its two products
  // (scores, context) and the softmax between them.
  EXPECT_DOUBLE_EQ(SumWhere(l, OpKind::kAttention, OpPhase::kRecompute, CountOf), 2 * 24);
  EXPECT_DOUBLE_EQ(SumWhere(l, OpKind::kElementwise, OpPhase::kRecompute, CountOf), 24);
  EXPECT_DOUBLE_EQ(SumWhere(l, OpKind::kGemm, OpPhase::kRecompute, CountOf), 0);
  // FlashAttention already recomputes in its backward: nothing is added.
  o.flash_attention = true;
  const OpList f = TrainingMicroBatchOps(m, s, o);
  EXPECT_DOUBLE_EQ(SumWhere(f, OpKind::kAttention, OpPhase::kRecompute, CountOf), 0);
}

// ------------------------------------------------------------------ timing

TEST(RooflineTest, OneGemmByHand) {
  // A100-SXM4-80GB, fp16 4096^3: 1.374e11 FLOP / (312e12 x 0.81692) = 539.23 us; its
  // 100.7 MB / (2039e9 x 0.9) = 54.85 us: compute bound; + one 3 us kernel overhead.
  const DeviceSpec& a100 = Shipped().FindDevice("A100-SXM4-80GB");
  Op g;
  g.name = "g";
  g.kind = OpKind::kGemm;
  g.precision = Precision::kFp16;
  g.m = g.n = g.k = 4096;
  g.flops = 2.0 * 4096 * 4096 * 4096;
  g.weight_bytes = 4096.0 * 4096 * 2;
  g.activation_bytes = 2 * 4096.0 * 4096 * 2;
  OpList l;
  l.ops.push_back(g);
  const StepTiming t = TimeStep(l, a100, TimingOptions{});
  EXPECT_NEAR(t.total_s * 1e6, 542.23, 0.01);
  EXPECT_TRUE(t.ops[0].compute_bound);
  EXPECT_NEAR(t.ops[0].memory_s * 1e6, 54.85, 0.01);
}

TEST(RooflineTest, BatchOneDecodeIsMemoryBoundAndNearTheBandwidthBound) {
  // Llama-2-7B batch-1 decode on one A100-80GB: every weight but the embedding table (of
  // which one row is read) once, 2 x (6,738,415,616 - 32000 x 4096) = 13.21 GB at
  // 0.9 x 2,039 GB/s = 7.20 ms, plus 32 x 12 + 3 = 387 kernels at 3 us = 1.16 ms: ~8.4 ms.
  // Every GEMM is memory bound (a 1-row GEMM runs on 16-row tiles).
  const ModelCard& m = Shipped().FindModel("llama2-7b");
  const DeviceSpec& a100 = Shipped().FindDevice("A100-SXM4-80GB");
  const OpList l = InferenceStepOps(m, InferenceBatch::Decode(1, 128), OpOptions{});
  const StepTiming t = TimeStep(l, a100, TimingOptions{});
  for (const auto& op : t.ops) {
    if (op.kind == OpKind::kGemm) {
      EXPECT_FALSE(op.compute_bound) << op.name;
    }
  }
  const double weights = (ParameterCount(m) - 32000.0 * 4096) * 2;
  EXPECT_NEAR(t.memory_s, weights / (2039e9 * 0.9), 0.01 * t.memory_s);
  EXPECT_DOUBLE_EQ(l.Kernels(), 387);
  EXPECT_NEAR(t.overhead_s, 387 * 3e-6, 1e-12);
  EXPECT_NEAR(t.total_s * 1e3, 8.4, 0.1);
}

TEST(RooflineTest, AnEagerHostBoundsSmallStepsAndAddsItsOverheads) {
  // The same step with the eager-2023 runtime: host = kernels x 26 us exceeds the GPU time,
  // then + 9 ms per step + 0.26 ms per sequence.
  const ModelCard& m = Shipped().FindModel("llama2-7b");
  const DeviceSpec& a100 = Shipped().FindDevice("A100-SXM4-80GB");
  const OpList l = InferenceStepOps(m, InferenceBatch::Decode(1, 128), OpOptions{});
  TimingOptions o;
  o.runtime = EagerRuntime2023();
  o.sequences = 1;
  const StepTiming t = TimeStep(l, a100, o);
  EXPECT_NEAR(t.host_s, l.Kernels() * 26e-6, 1e-12);
  EXPECT_EQ(t.host_bound, t.host_s > t.gpu_s);
  EXPECT_TRUE(t.host_bound);
  EXPECT_NEAR(t.total_s, t.host_s + 9e-3 + 0.26e-3, 1e-12);
}

TEST(RooflineTest, CollectivesAreTimedOnlyWithACostFunction) {
  // Llama-2-70B TP 8 decode: 2 x 80 all-reduces of 16 KB; with the DGX A100 estimate each
  // takes 17.85 us (NCCL's LL protocol, AllReduceEstimateTest below): 2.86 ms in all.
  // Without a function they cost nothing (compute only).
  const ModelCard& m = Shipped().FindModel("llama2-70b");
  const DeviceSpec& a100 = Shipped().FindDevice("A100-SXM4-80GB");
  OpOptions o;
  o.tp = 8;
  o.include_embedding = false;
  const OpList l = InferenceStepOps(m, InferenceBatch::Decode(1, 128), o);
  EXPECT_EQ(TimeStep(l, a100, TimingOptions{}).comm_s, 0);
  TimingOptions t;
  t.allreduce = DgxA100AllReduce();
  EXPECT_NEAR(TimeStep(l, a100, t).comm_s * 1e3, 160 * 17.8462e-3, 1e-4);
}

TEST(RooflineTest, MissingPrecisionIsAnInputError) {
  // A100 has no FP8 datapath.
  const ModelCard& m = Shipped().FindModel("llama2-7b");
  OpOptions o;
  o.precision = Precision::kFp8;
  const OpList l = InferenceStepOps(m, InferenceBatch::Decode(1, 8), o);
  EXPECT_THROW(TimeStep(l, Shipped().FindDevice("A100-SXM4-80GB"), TimingOptions{}), InputError);
}

TEST(AllReduceEstimateTest, NcclProtocolsByHand) {
  // launch 2.3 us + the fastest of LL (6.6 us + 0.6 us/step, 210 / 4 GB/s), LL128 (14 us +
  // 1.9 us/step, 0.92 x 210 GB/s), Simple (8.4 us + 3.4 us/step, 210 GB/s); 2 (n-1) steps
  // moving 2 (n-1)/n of the bytes.
  const AlphaBetaAllReduce ar = DgxA100AllReduce();
  // 32 B over 2 GPUs: LL, 2.3 + 6.6 + 2 x 0.6 + 32 / 52.5e9 s = 10.10 us (nccl #583 measured
  // 10.1 us: the launch cost was derived from it).
  EXPECT_NEAR(ar(32, 2) * 1e6, 10.1006, 1e-3);
  EXPECT_EQ(ar.ProtocolFor(32, 2), "LL");
  // 16 KB over 2 GPUs: LL, 2.3 + 7.8 + 16384 / 52.5e9 = 10.412 us.
  EXPECT_NEAR(ar(16384, 2) * 1e6, 10.4121, 1e-3);
  // 16 KB over 8 GPUs: LL, 2.3 + 6.6 + 14 x 0.6 + 1.75 x 16384 / 52.5e9 = 17.846 us.
  EXPECT_NEAR(ar(16384, 8) * 1e6, 17.8461, 1e-3);
  // 8 MiB over 8 GPUs: LL128, 2.3 + 14 + 14 x 1.9 + 1.75 x 8388608 / 193.2e9 = 118.88 us
  // (Simple: 2.3 + 8.4 + 47.6 + 69.91 = 128.2 us; LL: 296.9 us). Effective bus bandwidth
  // 1.75 x 8388608 / 118.88 us = 123 GB/s: a medium message is well below the 210 peak.
  EXPECT_NEAR(ar(8388608, 8) * 1e6, 118.876, 1e-2);
  EXPECT_EQ(ar.ProtocolFor(8388608, 8), "LL128");
  // 32 MiB over 8 GPUs: Simple, 2.3 + 56 + 1.75 x 33554432 / 210e9 = 337.92 us.
  EXPECT_NEAR(ar(33554432, 8) * 1e6, 337.919, 1e-2);
  EXPECT_EQ(ar.ProtocolFor(33554432, 8), "Simple");
  // 1 GB over 8 GPUs: the bandwidth term 1.75 x 1e9 / 210e9 = 8.3333 ms dominates, + 58.3 us.
  EXPECT_NEAR(ar(1e9, 8) * 1e3, 8.3333 + 0.0583, 1e-3);
  EXPECT_EQ(ar(1e9, 1), 0);
  EXPECT_EQ(ar.ProtocolFor(1e9, 1), "");
}

TEST(RooflineIterationModelTest, TimesServingIterationsThroughTheOpList) {
  // A decode-only iteration of 16 sequences at 512 tokens is exactly the op-list timing of
  // InferenceBatch::Decode(16, 512); a mixed iteration costs more than either part alone.
  const ModelCard& m = Shipped().FindModel("llama2-70b");
  const DeviceSpec& a100 = Shipped().FindDevice("A100-SXM4-80GB");
  OpOptions o;
  o.tp = 4;
  TimingOptions t;
  t.allreduce = DgxA100AllReduce();
  const RooflineIterationModel model(m, a100, o, t);
  IterationShape decode;
  decode.decode_seqs = 16;
  decode.decode_context_tokens = 16 * 512;
  TimingOptions t16 = t;
  t16.sequences = 16;
  EXPECT_DOUBLE_EQ(
      model.Seconds(decode),
      TimeStep(InferenceStepOps(m, InferenceBatch::Decode(16, 512), o), a100, t16).total_s);
  IterationShape mixed = decode;
  mixed.prefill_tokens = 512;
  mixed.prefill_attention_pairs = 512 * 513 / 2.0;
  IterationShape prefill;
  prefill.prefill_tokens = 512;
  prefill.prefill_attention_pairs = 512 * 513 / 2.0;
  EXPECT_GT(model.Seconds(mixed), model.Seconds(decode));
  EXPECT_GT(model.Seconds(mixed), model.Seconds(prefill));
  EXPECT_EQ(model.BatchOf(mixed).prefill_seqs, 1);
}

// ------------------------------------------------------------------ memory

TEST(MemoryModelTest, MixedPrecisionAdamIs16BytesPerParamAndZeroDividesIt) {
  // GPT-3 175B (174.6e9 from its shape) on one GPU: 2 + 2 + 12 = 16 B/param; the essay's
  // S2 rule is 2 + 8 = 10 B/param.
  const ModelCard& m = Shipped().FindModel("gpt3-175b");
  TrainingMemoryInput in;
  in.precision = Precision::kFp16;
  in.recompute = Recompute::kFull;
  const TrainingMemory r = TrainingMemoryPerGpu(m, in);
  const double p = ParameterCount(m);
  EXPECT_NEAR(r.params_per_gpu, p, 1e-6 * p);
  EXPECT_NEAR(r.weights_bytes + r.gradient_bytes + r.optimizer_bytes, 16 * p, 1e-5 * p);
  EXPECT_NEAR(r.essay_bytes, 10 * p, 1e-5 * p);
  // ZeRO with 8 data-parallel ranks: stage 1 divides the 12 B of optimizer state, stage 2
  // also the 2 B of gradients, stage 3 also the 2 B of weights.
  in.dp = 8;
  in.zero_stage = 1;
  EXPECT_NEAR(TrainingMemoryPerGpu(m, in).optimizer_bytes, 12 * p / 8, 1e-5 * p);
  in.zero_stage = 2;
  EXPECT_NEAR(TrainingMemoryPerGpu(m, in).gradient_bytes, 2 * p / 8, 1e-5 * p);
  EXPECT_NEAR(TrainingMemoryPerGpu(m, in).weights_bytes, 2 * p, 1e-5 * p);
  in.zero_stage = 3;
  EXPECT_NEAR(TrainingMemoryPerGpu(m, in).weights_bytes, 2 * p / 8, 1e-5 * p);
}

TEST(MemoryModelTest, ActivationsFollowKorthikanti2022) {
  // GPT-3 175B, s = 2048, b = 1, h = 12288, a = 96, t = 8; sbh = 25,165,824.
  //   TP only:               sbh (10 + 24/8 + 5 x 96 x 2048 / (12288 x 8)) = 23 sbh
  //   TP + sequence parallel: sbh (34 + 80) / 8 = 14.25 sbh
  //   + selective:            sbh 34 / 8 = 4.25 sbh
  //   full recomputation:     2 sbh (2 sbh / 8 with sequence parallelism)
  const ModelCard& m = Shipped().FindModel("gpt3-175b");
  const double sbh = 2048.0 * 12288;
  TrainingMemoryInput in;
  in.tp = 8;
  EXPECT_DOUBLE_EQ(ActivationBytesPerLayer(m, in), 23 * sbh);
  in.sequence_parallel = true;
  EXPECT_DOUBLE_EQ(ActivationBytesPerLayer(m, in), 14.25 * sbh);
  in.recompute = Recompute::kSelective;
  EXPECT_DOUBLE_EQ(ActivationBytesPerLayer(m, in), 4.25 * sbh);
  in.recompute = Recompute::kFull;
  EXPECT_DOUBLE_EQ(ActivationBytesPerLayer(m, in), 2 * sbh / 8);
  in.sequence_parallel = false;
  EXPECT_DOUBLE_EQ(ActivationBytesPerLayer(m, in), 2 * sbh);
  // No TP at all: sbh (34 + 5 a s / h) = sbh (34 + 80).
  in.tp = 1;
  in.recompute = Recompute::kNone;
  EXPECT_DOUBLE_EQ(ActivationBytesPerLayer(m, in), 114 * sbh);
  // FlashAttention drops the score term like selective recomputation.
  in.flash_attention = true;
  EXPECT_DOUBLE_EQ(ActivationBytesPerLayer(m, in), 34 * sbh);
}

TEST(MemoryModelTest, PipelineStagesHoldTheirLayersAndInFlightMicroBatches) {
  // 1F1B: the first of 8 stages holds min(8, micro-batches) micro-batches of its 12 layers.
  const ModelCard& m = Shipped().FindModel("gpt3-175b");
  TrainingMemoryInput in;
  in.tp = 8;
  in.pp = 8;
  in.microbatches = 64;
  const TrainingMemory r = TrainingMemoryPerGpu(m, in);
  EXPECT_DOUBLE_EQ(r.activation_bytes, r.activation_bytes_per_layer * 12 * 8);
  in.microbatches = 2;
  EXPECT_DOUBLE_EQ(TrainingMemoryPerGpu(m, in).activation_bytes,
                   r.activation_bytes_per_layer * 12 * 2);
  in.pp = 7;  // does not divide 96 layers
  EXPECT_THROW(TrainingMemoryPerGpu(m, in), InputError);
}

TEST(MemoryModelTest, KvCapacitySubtractsWeightsWorkspaceAndReserve) {
  // Llama-2-70B fp16, TP 4, on A100-80GB (80e9 B as printed), vLLM defaults:
  //   reserve 10 % = 8e9; weights 68,976,648,192 / 4 x 2 = 34,488,324,096;
  //   workspace 4,096 tokens x (2 x 8192 + 3 x 7168) x 2 + 256 x 8000 x 4 = 318,570,496;
  //   KV per token per GPU 2 x 80 x 2 x 128 x 2 = 81,920 B;
  //   (80e9 - 8e9 - 34,488,324,096 - 318,570,496) / 81,920 = 454,017 tokens.
  const ModelCard& m = Shipped().FindModel("llama2-70b");
  InferenceMemoryInput in;
  in.tp = 4;
  in.precision = in.kv_precision = Precision::kFp16;
  in.capacity_bytes = Shipped().FindDevice("A100-SXM4-80GB").memory_bytes->value;
  const InferenceMemory r = InferenceMemoryPerGpu(m, in);
  EXPECT_DOUBLE_EQ(r.reserve_bytes, 8e9);
  EXPECT_DOUBLE_EQ(r.weights_bytes, 34488324096.0);
  EXPECT_DOUBLE_EQ(r.workspace_bytes, 318570496.0);
  EXPECT_DOUBLE_EQ(r.kv_bytes_per_token, 81920);
  EXPECT_EQ(r.kv_capacity_tokens, 454017);
  EXPECT_TRUE(r.fits);
  // On one GPU the 138 GB of weights do not fit.
  in.tp = 1;
  const InferenceMemory one = InferenceMemoryPerGpu(m, in);
  EXPECT_FALSE(one.fits);
  EXPECT_EQ(one.reason, "weights and workspace exceed the usable memory");
}

}  // namespace
}  // namespace fleetsim
