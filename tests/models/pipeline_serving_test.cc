// Pipeline-parallel serving replicas (scenarios/replica_binding.h, PipelineIterationModel in
// models/compute/iteration_time.h): stage partition, per-stage memory and KV capacity, the
// step time of a pp = 2 replica, a cross-server stage boundary, and a run end to end.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "models/catalog/catalog.h"
#include "models/compute/iteration_time.h"
#include "models/compute/memory_model.h"
#include "models/compute/roofline.h"
#include "models/compute/transformer_ops.h"
#include "models/training/training_model.h"
#include "scenarios/replica_binding.h"
#include "sim/config/config_error.h"
#include "tests/scenarios/run_cli.h"
#include "tests/temp_path.h"

namespace fleetsim {
namespace {

const Catalog& Shipped() {
  static const Catalog c = Catalog::LoadShipped(FLEETSIM_SOURCE_DIR);
  return c;
}

// A small Llama-style model whose parameter counts are easy by hand:
//   per layer: attention 4 h^2 = 4,194,304 (q, k, v, o: 8 KV heads = 8 query heads),
//              MLP 3 h f = 3 x 1024 x 4096 = 12,582,912, norms 2 h = 2,048
//              -> 16,779,264
//   embedding V h = 32,000 x 1,024 = 32,768,000; head (untied) V h + h = 32,769,024
//   whole model 4 x 16,779,264 + 32,768,000 + 32,769,024 = 132,654,080 parameters.
ModelCard Tiny() {
  ModelCard m;
  m.name = "tiny-llama";
  m.architecture = Architecture::kLlama;
  m.layers = 4;
  m.hidden = 1024;
  m.heads = 8;
  m.kv_heads = 8;
  m.head_dim = 128;
  m.ffn_hidden = 4096;
  m.vocab = 32000;
  m.max_context = 2048;
  m.tied_embeddings = false;
  return m;
}

TEST(PipelineServingTest, StageLayersPutTheRemainderBeforeTheLastStage) {
  // 80 layers over 2 stages: 40 / 40. Over 3: 26 each and 2 left over, one each on the
  // stages before the last (stage 1, then stage 0): 27 / 27 / 26.
  EXPECT_EQ(StageLayers(80, 2), (std::vector<int64_t>{40, 40}));
  EXPECT_EQ(StageLayers(80, 3), (std::vector<int64_t>{27, 27, 26}));
  // pp = layers: one layer each; pp > layers is an input error.
  EXPECT_EQ(StageLayers(4, 4), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_THROW(StageLayers(4, 5), InputError);
  EXPECT_THROW(StageLayers(4, 0), InputError);
}

TEST(PipelineServingTest, StageMemoryHoldsItsLayersEmbeddingAndHead) {
  const ModelCard m = Tiny();
  InferenceMemoryInput in;
  in.tp = 1;
  in.precision = Precision::kFp16;
  in.kv_precision = Precision::kFp16;
  in.capacity_bytes = 10e9;
  in.max_batched_tokens = 1024;
  in.max_seqs = 16;
  const InferenceMemory whole = InferenceMemoryPerGpu(m, in);
  InferenceMemoryInput s0 = in, s1 = in;
  s0.layers = s1.layers = 2;
  s0.include_head = false;
  s1.include_embedding = false;
  const InferenceMemory first = InferenceMemoryPerGpu(m, s0);
  const InferenceMemory last = InferenceMemoryPerGpu(m, s1);
  // Weights, 2 bytes each: whole 132,654,080 x 2 = 265,308,160; stage 0 (2 layers +
  // embedding) (33,558,528 + 32,768,000) x 2 = 132,653,056; stage 1 (2 layers + head)
  // (33,558,528 + 32,769,024) x 2 = 132,655,104.
  EXPECT_DOUBLE_EQ(whole.weights_bytes, 265308160.0);
  EXPECT_DOUBLE_EQ(first.weights_bytes, 132653056.0);
  EXPECT_DOUBLE_EQ(last.weights_bytes, 132655104.0);
  // KV per token per GPU: 2 x layers x 8 KV heads x 128 x 2 bytes = 4,096 x layers.
  EXPECT_DOUBLE_EQ(whole.kv_bytes_per_token, 16384.0);
  EXPECT_DOUBLE_EQ(first.kv_bytes_per_token, 8192.0);
  // Workspace: 1,024 tokens x (2 h + max(QKV 3,072, MLP 3 x 4,096)) x 2 = 29,360,128, plus
  // fp32 logits on the head's stage only: 16 rows x 32,000 x 4 = 2,048,000.
  EXPECT_DOUBLE_EQ(first.workspace_bytes, 29360128.0);
  EXPECT_DOUBLE_EQ(last.workspace_bytes, 29360128.0 + 2048000.0);
  // KV tokens = (9e9 usable - weights - workspace) / KV bytes per token, floored:
  //   whole   (9e9 - 265,308,160 - 31,408,128) / 16,384 = 531,206
  //   stage 0 (9e9 - 132,653,056 - 29,360,128) / 8,192 = 1,078,855
  //   stage 1 (9e9 - 132,655,104 - 31,408,128) / 8,192 = 1,078,605
  EXPECT_EQ(whole.kv_capacity_tokens, 531206);
  EXPECT_EQ(first.kv_capacity_tokens, 1078855);
  EXPECT_EQ(last.kv_capacity_tokens, 1078605);
}

ReplicaLayout TinyOnH100(const ModelCard& m, int64_t tp, int64_t pp) {
  ReplicaLayout l;
  l.model = &m;
  l.precision = Precision::kFp16;
  l.gpu = &Shipped().FindDevice("H100-SXM5");
  l.tensor_parallel = tp;
  l.pipeline_parallel = pp;
  l.max_batch = 16;
  l.max_batched_tokens = 1024;
  return l;
}

TEST(PipelineServingTest, KvCapacityOfTheReplicaIsTheSmallestStagesAndDoublesWithPp2) {
  const ModelCard m = Tiny();
  const BoundReplica one = BindReplica(TinyOnH100(m, 1, 1));
  const BoundReplica two = BindReplica(TinyOnH100(m, 1, 2));
  // H100-SXM5: 80 GB, 72e9 usable. Every token has KV on both stages, so the replica holds
  // the smaller stage's count (derivation as above with 72e9):
  //   pp = 1:   (72e9 - 265,308,160 - 31,408,128) / 16,384 = 4,376,421
  //   stage 0:  (72e9 - 132,653,056 - 29,360,128) / 8,192 = 8,769,285
  //   stage 1:  (72e9 - 132,655,104 - 31,408,128) / 8,192 = 8,769,035  <- the replica's
  // 8,769,035 / 4,376,421 = 2.004: each GPU holds half the layers' KV per token and half the
  // weights, so the capacity slightly more than doubles.
  EXPECT_EQ(one.kv_capacity_tokens, 4376421);
  EXPECT_EQ(two.kv_capacity_tokens, 8769035);
  EXPECT_EQ(two.stage_layers, (std::vector<int64_t>{2, 2}));
  // A model load moves the largest stage's weights per GPU: stage 1's 132,655,104 bytes.
  EXPECT_DOUBLE_EQ(two.weights_bytes_per_gpu, 132655104.0);
  // Swap preemption: a token's KV per GPU on the busiest stage, 8,192 bytes, over the host
  // link of each stage's GPUs in parallel.
  EXPECT_DOUBLE_EQ(two.kv_bytes_per_token_per_gpu, 8192.0);
}

TEST(PipelineServingTest, StepTimeIsTheStagesInSequencePlusOneSendAndTheFixedCostsOnce) {
  const ModelCard m = Tiny();
  const DeviceSpec& h100 = Shipped().FindDevice("H100-SXM5");
  const BoundReplica two = BindReplica(TinyOnH100(m, 1, 2));
  // A decode step of 4 sequences with 512 cached tokens each.
  IterationShape shape;
  shape.decode_seqs = 4;
  shape.decode_context_tokens = 2048;
  const InferenceBatch batch = InferenceBatch::Contexts({512, 512, 512, 512});
  OpOptions o0, o1, whole;
  o0.tp = o1.tp = whole.tp = 1;
  o0.precision = o1.precision = whole.precision = Precision::kFp16;
  o0.kv_precision = o1.kv_precision = whole.kv_precision = Precision::kFp16;
  o0.layers = o1.layers = 2;
  o0.include_head = false;
  o1.include_embedding = false;
  const OpList l0 = InferenceStepOps(m, batch, o0), l1 = InferenceStepOps(m, batch, o1);
  const OpList lw = InferenceStepOps(m, batch, whole);
  // The two stages' op lists split the whole model's: FLOPs and bytes add up exactly
  // (stage 0: embedding + 2 layers, stage 1: 2 layers + final norm + LM head).
  EXPECT_DOUBLE_EQ(l0.Flops() + l1.Flops(), lw.Flops());
  EXPECT_DOUBLE_EQ(l0.Bytes() + l1.Bytes(), lw.Bytes());
  // The LM head GEMM (4 rows x 32,000 x 1,024: 2 x 4 x 32,000 x 1,024 = 262,144,000 FLOPs)
  // is on the last stage only.
  EXPECT_DOUBLE_EQ(l1.FlopsOf("lm_head"), 262144000.0);
  EXPECT_DOUBLE_EQ(l0.FlopsOf("lm_head"), 0.0);
  // Each stage timed alone (compiled runtime: no host time), its fixed part left out:
  TimingOptions t;  // CompiledRuntime, TP 1: no all-reduce
  t.sequences = 4;
  const StepTiming s0 = TimeStep(l0, h100, t), s1 = TimeStep(l1, h100, t);
  // One send of 4 tokens x 1,024 x 2 bytes = 8,192 bytes over NVLink4 (H100: 900 GB/s both
  // directions, 450e9 one way, at 70 %: 315e9 B/s) + 9.5 us: 9.5e-6 + 8,192 / 315e9
  // = 9.526006e-6 s.
  const double send = 9.5e-6 + 8192.0 / 315e9;
  // Step = stage 0 + stage 1 + one send + the device / runtime step costs once.
  const double expected = s0.gpu_s + s1.gpu_s + send + s0.fixed_s;
  EXPECT_NEAR(two.iteration_time->Seconds(shape), expected, 1e-12 * expected);
  // The fixed costs are not paid twice: the step is less than the two stages' full times
  // plus the send whenever the device has a step overhead.
  EXPECT_LE(two.iteration_time->Seconds(shape), s0.total_s + s1.total_s + send + 1e-15);
  // And the pipeline's send, by itself, through PipelineSendSeconds (training's send):
  TrainingNetwork nv;
  nv.inter_node_bytes_per_s = 450e9;
  nv.inter_node_efficiency = 0.70;
  nv.inter_node_latency_s = 9.5e-6;
  EXPECT_NEAR(PipelineSendSeconds(nv, 8192.0), send, 1e-18);
}

TEST(PipelineServingTest, StageBoundariesBetweenServersUseTheScaleOutNic) {
  const ModelCard& m = Shipped().FindModel("llama2-70b");
  ReplicaLayout l;
  l.model = &m;
  l.precision = Precision::kFp16;
  l.gpu = &Shipped().FindDevice("H100-SXM5");
  l.tensor_parallel = 4;
  l.pipeline_parallel = 4;
  l.gpus_per_server = 8;
  l.network = "dgx-h100";
  const BoundReplica b = BindReplica(l);
  // 16 GPUs on servers of 8: stages 0, 1 on server 0, stages 2, 3 on server 1. Of the 3
  // boundaries only 1 -> 2 crosses servers.
  EXPECT_EQ(b.boundaries_across_servers, 1);
  // The same replica without a server shape (no pool): all boundaries on NVLink, so a
  // step is faster by exactly one NIC send minus one NVLink send. Prefill of 512 tokens:
  // 512 x 8,192 x 2 = 8,388,608 bytes; NIC (DGX H100 preset): 5 us + 8,388,608 /
  // (50e9 x 0.7) = 244.675 us; NVLink: 9.5 us + 8,388,608 / 315e9 = 36.130 us.
  ReplicaLayout one_server = l;
  one_server.gpus_per_server = 0;
  const BoundReplica c = BindReplica(one_server);
  EXPECT_EQ(c.boundaries_across_servers, 0);
  IterationShape prefill;
  prefill.prefill_tokens = 512;
  prefill.prefill_attention_pairs = 512.0 * 513 / 2;
  const double nic = 5e-6 + 8388608.0 / (50e9 * 0.7);
  const double nvl = 9.5e-6 + 8388608.0 / 315e9;
  const double diff = b.iteration_time->Seconds(prefill) - c.iteration_time->Seconds(prefill);
  EXPECT_NEAR(diff, nic - nvl, 1e-12);
  // A stage that would straddle servers (TP 16 on 8-GPU servers) is refused.
  ReplicaLayout straddle = l;
  straddle.tensor_parallel = 16;
  straddle.pipeline_parallel = 2;
  EXPECT_THROW(BindReplica(straddle), InputError);
}

TEST(PipelineServingTest, WeightStreamingStreamsEachStagesShare) {
  // Llama-2-70B in fp16 on 2 x L4 (24 GB) needs streaming with TP 2 alone; with PP 2 on
  // top (4 GPUs) each GPU holds half as many weights to begin with.
  const ModelCard& m = Shipped().FindModel("llama2-70b");
  ReplicaLayout l;
  l.model = &m;
  l.precision = Precision::kFp16;
  l.gpu = &Shipped().FindDevice("L4");
  l.tensor_parallel = 2;
  l.weight_streaming = true;
  const BoundReplica tp2 = BindReplica(l);
  l.pipeline_parallel = 2;
  const BoundReplica pp2 = BindReplica(l);
  // Weights per GPU: ~138 GB / 2 = 69 GB at TP 2; the larger stage's ~34.5 GB at TP 2 x
  // PP 2 (40 layers + the embedding or the head: the halves differ by the final norm's 8,192
  // parameters).
  EXPECT_NEAR(pp2.weights_bytes_per_gpu / tp2.weights_bytes_per_gpu, 0.5, 1e-3);
  // Resident weights are the same per GPU (same usable memory and kv_fraction), so the
  // streamed bytes per GPU drop by that half of the weights: streamed(pp2) = streamed(tp2)
  // - weights(tp2) / 2 to within the embedding/head difference.
  EXPECT_NEAR(pp2.streamed_bytes_per_gpu,
              tp2.streamed_bytes_per_gpu - tp2.weights_bytes_per_gpu / 2,
              1e-3 * tp2.weights_bytes_per_gpu);
}

TEST(PipelineServingTest, RunsEndToEndWithEveryRequestAccountedFor) {
  const std::string dir = testing::TempPath("pp_run");
  std::filesystem::create_directories(dir);
  const std::string yaml = dir + "/pp.yaml";
  std::ofstream(yaml) << R"(name: pp
seed: 3
duration: "5 min"
pools:
  - {name: h100, cloud: aws-p5-h100-2026, plan: on_demand, max_instances: 4}
services:
  - name: chat
    model: llama2-70b
    pool: h100
    replica: {tensor_parallel: 4, pipeline_parallel: 2}
    replicas: 1
    batching: {mode: continuous, max_batch: 64, max_batched_tokens: 4096}
    demand:
      arrivals: {process: poisson, rate: "2/s"}
      prompt_tokens: {distribution: fixed, value: 256}
      output_tokens: {distribution: fixed, value: 64}
)";
  const auto r = testing::RunCli("run " + testing::ShellQuote(yaml) + " --quiet -o " +
                                 testing::ShellQuote(dir + "/out"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(dir + "/out/summary.json");
  const auto j = nlohmann::json::parse(in);
  const auto& s = j["services"][0];
  // TP 4 x PP 2 on 8-GPU p5 instances: one replica of 8 GPUs, stages of 40 / 40 layers,
  // both on one instance (no boundary across servers).
  EXPECT_EQ(s["pipeline_parallel"].get<int64_t>(), 2);
  EXPECT_EQ(s["gpus"].get<int64_t>(), 8);
  EXPECT_EQ(s["stage_layers"], nlohmann::json::array({40, 40}));
  EXPECT_EQ(s["stage_boundaries_across_servers"].get<int64_t>(), 0);
  // Every request is accounted for: arrived = completed + rejected + in flight.
  EXPECT_EQ(s["arrived"].get<int64_t>(), s["completed"].get<int64_t>() +
                                             s["rejected"].get<int64_t>() +
                                             s["in_flight_at_end"].get<int64_t>());
  EXPECT_GT(s["completed"].get<int64_t>(), 0);
  // The replica's KV capacity is what BindReplica gives for the same layout.
  ReplicaLayout l;
  l.model = &Shipped().FindModel("llama2-70b");
  l.precision = Precision::kFp16;
  l.gpu = &Shipped().FindDevice("H100-SXM5");
  l.tensor_parallel = 4;
  l.pipeline_parallel = 2;
  l.gpus_per_server = 8;
  l.max_batch = 64;
  l.max_batched_tokens = 4096;
  EXPECT_EQ(s["kv_capacity_tokens_per_replica"].get<int64_t>(), BindReplica(l).kv_capacity_tokens);
}

}  // namespace
}  // namespace fleetsim
