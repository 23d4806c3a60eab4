// The training iteration model (models/training/training_model.h): the schedule and
// overlap formulas on toy numbers derived by hand, the memory rejection, and validation V2
// (Megatron-LM, Narayanan et al. SC'21, Table 1 of the weak-scaling study) with the one
// hardware calibration the compute model already has (A100 catalog efficiency block,
// DgxA100AllReduce, DgxA100Network). Nothing here is fitted to the V2 rows.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "models/catalog/catalog.h"
#include "models/training/training_fabric.h"
#include "models/training/training_job.h"
#include "models/training/training_model.h"
#include "sim/config/config_error.h"
#include "topologies/generators.h"

namespace fleetsim {
namespace {

const Catalog& Shipped() {
  static const Catalog c = Catalog::LoadShipped(FLEETSIM_SOURCE_DIR);
  return c;
}

TEST(TrainingModel, BubbleFormulaOnAToyPipeline) {
  // 8 micro-batches of 1 s on 4 stages, 1F1B: the last micro-batch enters stage 1 at
  // t = 7 and needs 3 more stage-steps to drain: 8 + 3 = 11 s.
  EXPECT_DOUBLE_EQ(PipelineScheduleSeconds(8, 4, 1, 1.0), 11.0);
  // Interleaved with v = 2: each stage-step is half a micro-batch's time, so the 3-step
  // ramp costs 3 / 2 = 1.5 s: 9.5 s (SC'21 bubble (p - 1) / (v m) = 3 / 16 of 8 s).
  EXPECT_DOUBLE_EQ(PipelineScheduleSeconds(8, 4, 2, 1.0), 9.5);
  // One stage has no bubble.
  EXPECT_DOUBLE_EQ(PipelineScheduleSeconds(8, 1, 1, 0.5), 4.0);
}

TEST(TrainingModel, ExposedDataParallelAllReduce) {
  TrainingNetwork net;
  net.inter_node_bytes_per_s = 25e9;
  net.inter_node_efficiency = 0.8;  // 20 GB/s
  net.inter_node_latency_s = 0;
  // 1 GB over 4 ranks: 2 x 3/4 x 1e9 / 20e9 = 0.075 s.
  const double t = InterNodeAllReduceSeconds(net, 1e9, 4);
  EXPECT_NEAR(t, 0.075, 1e-12);
  // 50 ms of last backward hides 50 ms of it: 25 ms exposed; 100 ms hides all of it.
  EXPECT_NEAR(ExposedSeconds(t, 0.050), 0.025, 1e-12);
  EXPECT_DOUBLE_EQ(ExposedSeconds(t, 0.100), 0.0);
  // With latency: 2 (n - 1) = 6 messages of 5 us on top.
  net.inter_node_latency_s = 5e-6;
  EXPECT_NEAR(InterNodeAllReduceSeconds(net, 1e9, 4), 0.075 + 30e-6, 1e-12);
  EXPECT_DOUBLE_EQ(InterNodeAllReduceSeconds(net, 1e9, 1), 0.0);
}

TEST(TrainingModel, BreakdownAddsUp) {
  const ModelCard& m = Shipped().FindModel("megatron-145.6b");
  const DeviceSpec& a100 = Shipped().FindDevice("A100-SXM4-80GB");
  TrainingLayout lay;
  lay.tp = 8, lay.pp = 8, lay.dp = 24, lay.virtual_stages = 2;
  lay.micro_batch = 2, lay.global_batch = 2304;
  lay.precision = Precision::kFp16;
  const TrainingIteration r = TrainingIterationTime(m, a100, lay, DgxA100Network());
  EXPECT_EQ(r.microbatches, 48);  // 2304 / (2 x 24)
  EXPECT_NEAR(r.compute_s + r.tp_comm_s + r.bubble_s + r.pp_comm_s + r.dp_exposed_s + r.optimizer_s,
              r.iteration_s, 1e-9 * r.iteration_s);
  EXPECT_NEAR(r.bubble_s, 3.5 * r.microbatch_s, 1e-12);  // (8 - 1) / 2
  EXPECT_LE(r.dp_exposed_s, r.dp_comm_s);
}

TEST(TrainingModel, PipelineSendRecvAndOptimizerByHand) {
  // 529.6B, TP 8, PP 35, v = 3, micro-batch 1, 280 micro-batches (2520 / (1 x 9)).
  // One activation b s h x 2 bytes = 2048 x 20480 x 2 = 83.886 MB, 1/8 per GPU = 10.486 MB
  // over 25 GB/s x 0.70 = 17.5 GB/s: 599.2 us + 5 us latency = 604.2 us per transfer;
  // 2 v = 6 transfers per micro-batch x 280 = 1.01504 s.
  const ModelCard& m = Shipped().FindModel("megatron-529.6b");
  const DeviceSpec& a100 = Shipped().FindDevice("A100-SXM4-80GB");
  TrainingLayout lay;
  lay.tp = 8, lay.pp = 35, lay.dp = 9, lay.virtual_stages = 3;
  lay.micro_batch = 1, lay.global_batch = 2520;
  lay.precision = Precision::kFp16;
  lay.flash_attention = false;
  const TrainingIteration r = TrainingIterationTime(m, a100, lay, DgxA100Network());
  EXPECT_EQ(r.microbatches, 280);
  const double per_transfer = 2048.0 * 20480 * 2 / 8 / 17.5e9 + 5e-6;
  EXPECT_NEAR(r.pp_comm_s, 280 * 6 * per_transfer, 1e-9);
  // Optimizer: 28 B per parameter of the first stage at 2,039 GB/s x 0.90 (no ZeRO).
  EXPECT_NEAR(r.optimizer_s, r.params_per_gpu * 28 / (2039e9 * 0.90), 1e-12);
  // Gradient all-reduce over 9 GPUs: 2 x 8/9 x 2 B x params / 17.5 GB/s + 16 x 5 us; with
  // dp_overlap (the default) the last micro-batch's backward hides up to its own length.
  const double t_dp = 2.0 * 8 / 9 * 2 * r.params_per_gpu / 17.5e9 + 16 * 5e-6;
  EXPECT_NEAR(r.dp_comm_s, t_dp, 1e-9);
  EXPECT_NEAR(r.dp_exposed_s, std::max(0.0, t_dp - r.backward_s), 1e-9);
}

TEST(TrainingModel, LayoutThatDoesNotFitIsRejectedWithTheNumbers) {
  // GPT-3 175B on 8 A100-80GB (TP 8, PP 1, no ZeRO): 174.6e9 / 8 = 21.8e9 params per GPU x
  // 16 B (Adam, mixed precision) = 349 GB > 80 GB.
  const ModelCard& m = Shipped().FindModel("gpt3-175b");
  const DeviceSpec& a100 = Shipped().FindDevice("A100-SXM4-80GB");
  TrainingLayout lay;
  lay.tp = 8, lay.pp = 1, lay.dp = 1;
  lay.micro_batch = 1, lay.global_batch = 8;
  try {
    TrainingIterationTime(m, a100, lay, DgxA100Network());
    FAIL() << "expected a memory rejection";
  } catch (const InputError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("does not fit in A100-SXM4-80GB"), std::string::npos) << what;
    EXPECT_NE(what.find("optimizer 261.9 GB"), std::string::npos) << what;  // 21.8e9 x 12
    EXPECT_NE(what.find("> 80.0 GB"), std::string::npos) << what;
  }
}

TEST(TrainingModel, BadLayoutsAreRejected) {
  const ModelCard& m = Shipped().FindModel("megatron-39.1b");
  const DeviceSpec& a100 = Shipped().FindDevice("A100-SXM4-80GB");
  TrainingLayout lay;
  lay.tp = 8, lay.pp = 2, lay.dp = 32, lay.micro_batch = 4, lay.global_batch = 1000;
  EXPECT_THROW(TrainingIterationTime(m, a100, lay, DgxA100Network()), InputError);
  lay.global_batch = 1536;
  lay.virtual_stages = 5;  // 24 layers per stage
  EXPECT_THROW(TrainingIterationTime(m, a100, lay, DgxA100Network()), InputError);
  lay.virtual_stages = 1;
  lay.pp = 5;  // does not divide 48 layers
  EXPECT_THROW(TrainingIterationTime(m, a100, lay, DgxA100Network()), InputError);
}

// ---------------------------------------------------------------- job simulation
// A toy job: 10 s iterations of 1,000 tokens each.
TrainingIteration ToyIteration() {
  TrainingIteration it;
  it.iteration_s = 10;
  it.tokens_per_s = 100;
  return it;
}

TEST(TrainingJob, NoFailuresFinishesAtIterationsTimesIterationTime) {
  Simulator sim(1);
  TrainingJobSim job(sim, "toy", ToyIteration(), 2, 16, 1e5, TrainingFailures{},
                     sim.rng().Stream("toy"), nullptr);
  job.Start();
  sim.Run();
  // 1e5 tokens / 1,000 per iteration = 100 iterations x 10 s = 1,000 s, in one event.
  EXPECT_TRUE(job.metrics().finished);
  EXPECT_DOUBLE_EQ(job.metrics().finish_time_s, 1000);
  EXPECT_EQ(job.metrics().iterations_done, 100);
  EXPECT_EQ(sim.events_processed(), 1u);
}

TEST(TrainingJob, CheckpointsStallTraining) {
  Simulator sim(1);
  TrainingFailures f;
  f.enabled = true;
  f.gpu_failure_rate_per_s = 0;
  f.checkpoint_interval_s = 100;  // every 10 iterations
  f.checkpoint_write_s = 5;
  TrainingJobSim job(sim, "toy", ToyIteration(), 1, 16, 1e5, f, sim.rng().Stream("toy"), nullptr);
  job.Start();
  sim.Run();
  // 10 segments of 100 s; a checkpoint after each but the last: 1,000 + 9 x 5 = 1,045 s.
  EXPECT_EQ(job.metrics().checkpoints, 9);
  EXPECT_DOUBLE_EQ(job.metrics().finish_time_s, 1045);
}

// The spot tests' job: checkpoints every 100 s (10 iterations) written in 5 s, restart 20 s,
// no failures.
TrainingFailures SpotToyFailures() {
  TrainingFailures f;
  f.checkpoint_interval_s = 100;
  f.checkpoint_write_s = 5;
  f.restart_s = 20;
  return f;
}

TEST(TrainingJob, ASpotNoticeCheckpointsAndAReclaimSuspendsUntilResume) {
  // 10 s iterations, 100 iterations, a checkpoint every 10 iterations written in 5 s, restart
  // 20 s, no failures. Without spot: 0-100 train, 100-105 checkpoint, 105-205, 205-210,
  // then iterations 21-30 from 210 s.
  // Notice at 250 s, reclaim at 370 s: 24 iterations are done (4 of the segment); a 5 s write
  // ends by 370 s, so the job stops the segment and writes an emergency checkpoint, 250-255 s
  // (committed 24). Iterations 25-34 run 255-355 s, checkpoint 355-360 s (committed 34).
  // The reclaim at 370 s loses 1 iteration (10 s since the checkpoint): back to 34.
  // New GPUs at 400 s (30 s suspended): restart 400-420 s, then 66 iterations: six segments
  // of 10 + checkpoint (6 x 105 s = 630 s, to 1,050 s) and 6 more: done at 1,110 s.
  // Checkpoints: 2 before the notice, the emergency one, 1 at 355 s, 6 after: 10.
  Simulator sim(1);
  TrainingJobSim job(sim, "toy", ToyIteration(), 1, 16, 1e5, SpotToyFailures(),
                     sim.rng().Stream("toy"), nullptr);
  job.Start();
  sim.At(SimTime::Zero() + Duration::Seconds(250),
         [&] { job.OnNotice(SimTime::Zero() + Duration::Seconds(370)); });
  sim.At(SimTime::Zero() + Duration::Seconds(370), [&] {
    job.Suspend();
    EXPECT_TRUE(job.suspended());
    EXPECT_EQ(job.IterationsAt(sim.Now()), 34);
  });
  sim.At(SimTime::Zero() + Duration::Seconds(400), [&] { job.Resume(); });
  sim.Run();
  const auto& m = job.metrics();
  EXPECT_TRUE(m.finished);
  EXPECT_DOUBLE_EQ(m.finish_time_s, 1110);
  EXPECT_EQ(m.emergency_checkpoints, 1);
  EXPECT_EQ(m.checkpoints, 10);
  EXPECT_EQ(m.preemptions, 1);
  EXPECT_DOUBLE_EQ(m.lost_work_s, 10);
  EXPECT_DOUBLE_EQ(m.suspended_s, 30);
  EXPECT_DOUBLE_EQ(m.restart_s, 20);
}

TEST(TrainingJob, ANoticeTooShortForTheWriteLosesTheWorkSinceTheLastCheckpoint) {
  // As above, but the reclaim comes 3 s after the notice (250 -> 253 s): a 5 s write does not
  // fit, so no emergency checkpoint. The reclaim loses 253 - 210 = 43 s (4 iterations and
  // part of a fifth): back to 20 iterations. New GPUs at 300 s: restart 300-320 s, 80
  // iterations: 7 segments + checkpoints (735 s, to 1,055 s) and 10 more: done at 1,155 s.
  Simulator sim(1);
  TrainingJobSim job(sim, "toy", ToyIteration(), 1, 16, 1e5, SpotToyFailures(),
                     sim.rng().Stream("toy"), nullptr);
  job.Start();
  sim.At(SimTime::Zero() + Duration::Seconds(250),
         [&] { job.OnNotice(SimTime::Zero() + Duration::Seconds(253)); });
  sim.At(SimTime::Zero() + Duration::Seconds(253), [&] { job.Suspend(); });
  sim.At(SimTime::Zero() + Duration::Seconds(300), [&] { job.Resume(); });
  sim.Run();
  const auto& m = job.metrics();
  EXPECT_EQ(m.emergency_checkpoints, 0);
  EXPECT_DOUBLE_EQ(m.lost_work_s, 43);
  EXPECT_DOUBLE_EQ(m.finish_time_s, 1155);
}

TEST(TrainingJob, SampledGoodputMatchesTheExpectation) {
  // Job failure rate 1 / 10,000 s (1e-5 per GPU-second x 10 GPUs), checkpoints every 1,000
  // s of work (100 iterations), written in 10 s, restart 100 s. Expected wall time per
  // cycle: (10,000 + 100) x (exp(1e-4 x 1,010) - 1) = 10,100 x 0.106277 = 1,073.40 s, so
  // goodput = 1,000 / 1,073.40 = 0.93162. (First order: 1000 / 1010 x (1 - 1e-4 x (100 +
  // 505)) = 0.93020.) 1e6 iterations make ~930 failures: sampling noise ~0.2 %.
  TrainingFailures f;
  f.enabled = true;
  f.gpu_failure_rate_per_s = 1e-5;
  f.checkpoint_interval_s = 1000;
  f.checkpoint_write_s = 10;
  f.restart_s = 100;
  EXPECT_NEAR(ExpectedGoodput(1e-4, 1000, 10, 100), 0.93162, 1e-5);
  EXPECT_DOUBLE_EQ(ExpectedGoodput(0, 1000, 10, 100), 1000.0 / 1010.0);
  // No checkpoints, a 10,000 s job: (10,000 + 100) x (e - 1) = 17,354.6 s expected.
  EXPECT_NEAR(ExpectedGoodput(1e-4, 10000, 0, 100), 10000 / (10100 * (std::exp(1.0) - 1)), 1e-12);
  Simulator sim(42);
  TrainingJobSim job(sim, "toy", ToyIteration(), 1, 10, 1e9, f,
                     sim.rng().Stream("training/toy/failures"), nullptr);
  job.Start();
  sim.Run();
  const auto& m = job.metrics();
  ASSERT_TRUE(m.finished);
  const double goodput = 1e6 * 10 / m.finish_time_s;
  std::printf("  sampled goodput %.4f (expected 0.9316), %lld failures\n", goodput,
              static_cast<long long>(m.failures));
  EXPECT_NEAR(goodput, 0.9316, 0.006);
  EXPECT_GT(m.failures, 800);
  EXPECT_LT(m.failures, 1100);
  // Every second is training that counted, a checkpoint, a restart, or lost work.
  EXPECT_NEAR(1e7 + m.checkpoint_s + m.restart_s + m.lost_work_s, m.finish_time_s, 1.0);
}

// ---------------------------------------------------------------- V2
// Megatron-LM SC'21 Table 1 rows. Micro-batch sizes and virtual stages from
// NVIDIA/Megatron-LM examples/sc21/run_table_1.sh (read 2026-11-25): 1.7B MBS 16, 7.5B MBS
// 16, 39B MBS 4 (no interleaving), 145B MBS 2 with 5 layers per virtual stage (v = 80 / 8 /
// 5 = 2), 530B MBS 1 with 1 layer per virtual stage (v = 105 / 35 = 3). Full (uniform)
// recomputation, fp16, 2021 attention (no FlashAttention) with dropout (Megatron-LM's GPT
// defaults: 0.1 on the attention probabilities and the block outputs). The 1.7B and 7.5B
// rows ran PyTorch DDP (overlapping all-reduce; one micro-batch per iteration, so the wgrad
// GEMM's output is the gradient: no accumulation kernel); the rest Megatron's local DDP,
// which all-reduces after the backward (no overlap) and adds each micro-batch's weight
// gradients into the main gradient with a separate kernel.
struct V2Row {
  const char* model;
  int tp, pp;
  int64_t gpus, global_batch, micro_batch;
  int v;
  bool overlap;
  double published;
  double predicted;  // docs/validation.md, V2 table (TFLOP/s per GPU)
};

std::vector<V2Row> V2Rows() {
  return {{"megatron-1.7b", 1, 1, 32, 512, 16, 1, true, 137, 0},
          {"megatron-7.5b", 4, 1, 128, 512, 16, 1, true, 142, 0},
          {"megatron-39.1b", 8, 2, 512, 1536, 4, 1, false, 138, 0},
          {"megatron-145.6b", 8, 8, 1536, 2304, 2, 2, false, 148, 0},
          {"megatron-529.6b", 8, 35, 2520, 2520, 1, 3, false, 163, 0}};
}

TrainingIteration V2Predict(const V2Row& r) {
  TrainingLayout lay;
  lay.tp = r.tp, lay.pp = r.pp, lay.dp = r.gpus / (r.tp * r.pp);
  lay.virtual_stages = r.v;
  lay.micro_batch = r.micro_batch, lay.global_batch = r.global_batch, lay.seq_len = 2048;
  lay.recompute = Recompute::kFull;
  lay.precision = Precision::kFp16;
  lay.flash_attention = false;
  lay.dropout = true;
  lay.dp_overlap = r.overlap;
  lay.grad_accumulation_fusion = r.overlap;
  return TrainingIterationTime(Shipped().FindModel(r.model), Shipped().FindDevice("A100-SXM4-80GB"),
                               lay, DgxA100Network());
}

TEST(TrainingValidationV2, MegatronTable1) {
  std::printf("V2 Megatron-LM SC'21 Table 1, achieved TFLOP/s per GPU\n");
  for (const auto& r : V2Rows()) {
    const TrainingIteration it = V2Predict(r);
    const double err = (it.tflops_per_gpu - r.published) / r.published;
    std::printf(
        "  %-16s m %3lld  t_mb %7.4f s  iter %7.3f s (compute %.3f tp %.3f bubble %.3f pp %.3f "
        "dp %.3f/%.3f opt %.4f)  mem %.1f GB  published %5.0f  predicted %6.1f  error %+5.1f %%\n",
        r.model, static_cast<long long>(it.microbatches), it.microbatch_s, it.iteration_s,
        it.compute_s, it.tp_comm_s, it.bubble_s, it.pp_comm_s, it.dp_exposed_s, it.dp_comm_s,
        it.optimizer_s, it.memory.total_bytes / 1e9, r.published, it.tflops_per_gpu, 100 * err);
    // The requirement: every row within 10 % of the published value.
    EXPECT_LE(std::abs(err), 0.10) << r.model;
  }
}

// The V2 table of docs/validation.md: the row whose first cell is `label` ("1.7B") in the
// section "## V2.", split into its cells (empty vector if absent).
std::vector<std::string> DocV2Row(const std::string& label) {
  std::ifstream in(std::string(FLEETSIM_SOURCE_DIR) + "/docs/validation.md");
  std::string line;
  bool in_v2 = false;
  while (std::getline(in, line)) {
    if (line.rfind("## ", 0) == 0) in_v2 = line.rfind("## V2.", 0) == 0;
    if (!in_v2 || line.rfind("| " + label + " |", 0) != 0) continue;
    std::vector<std::string> cells;
    std::stringstream ss(line.substr(1));
    std::string cell;
    while (std::getline(ss, cell, '|')) {
      const auto a = cell.find_first_not_of(' '), b = cell.find_last_not_of(' ');
      cells.push_back(a == std::string::npos ? "" : cell.substr(a, b - a + 1));
    }
    if (cells.size() == 11) return cells;  // the main table (the breakdown has 8 cells)
  }
  return {};
}

TEST(TrainingValidationV2, DocTableMatchesTheModel) {
  // docs/validation.md, V2: for each row the "Predicted" cell (TFLOP/s per GPU, one decimal)
  // and the "Error" cell ("+8.8 %") are what the model computes now, and the published
  // value is the reference's.
  for (const auto& r : V2Rows()) {
    std::string label = std::string(r.model).substr(std::string("megatron-").size());
    label.back() = 'B';  // "1.7b" -> "1.7B"
    const std::vector<std::string> cells = DocV2Row(label);
    ASSERT_EQ(cells.size(), 11u) << "no V2 row for " << label << " in docs/validation.md";
    const TrainingIteration it = V2Predict(r);
    EXPECT_DOUBLE_EQ(std::stod(cells[8]), r.published) << label;
    EXPECT_NEAR(std::stod(cells[9]), it.tflops_per_gpu, 0.051) << label;
    const double err = 100 * (it.tflops_per_gpu - r.published) / r.published;
    EXPECT_NEAR(std::stod(cells[10]), err, 0.051) << label;
  }
}

TEST(TrainingValidationV2, Gpt3TimeToTrain) {
  // SC'21 section 5.1: GPT-3 175B, 300B tokens, 1,024 A100s at 140 TFLOP/s -> ~34 days
  // (8 T P / (n X)). Layout: TP 8, PP 8, DP 16, global batch 1536 (the paper's 175B batch),
  // micro-batch 1, v = 2.
  TrainingLayout lay;
  lay.tp = 8, lay.pp = 8, lay.dp = 16, lay.virtual_stages = 2;
  lay.micro_batch = 1, lay.global_batch = 1536, lay.seq_len = 2048;
  lay.recompute = Recompute::kFull;
  lay.precision = Precision::kFp16;
  lay.flash_attention = false;
  lay.dropout = true;
  lay.dp_overlap = false;  // Megatron-LM local DDP, as the V2 rows of this size
  lay.grad_accumulation_fusion = false;
  const ModelCard& m = Shipped().FindModel("gpt3-175b");
  const TrainingIteration it =
      TrainingIterationTime(m, Shipped().FindDevice("A100-SXM4-80GB"), lay, DgxA100Network());
  const double days = 300e9 / it.tokens_per_s / 86400;
  std::printf("  GPT-3 175B on 1,024 A100: %.1f TFLOP/s per GPU, %.1f days (paper ~34)\n",
              it.tflops_per_gpu, days);
  // We predict 143.5 TFLOP/s per GPU where the paper assumes 140: 33.9 days, 0.3 % fewer
  // (docs/validation.md, V2). Within the 10 % band, and at the documented value.
  EXPECT_LE(std::abs(days - 34) / 34, 0.10);
  EXPECT_NEAR(days, 33.9, 0.05);
  std::ifstream doc(std::string(FLEETSIM_SOURCE_DIR) + "/docs/validation.md");
  const std::string text((std::istreambuf_iterator<char>(doc)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("**33.9 days**"), std::string::npos) << "docs/validation.md, V2";
}

// ---------------------------------------------------------------- jobs on a topology
// Six 1-GPU servers (GPU and NIC on the host's PCIe at 100 GB/s, never the bottleneck) on a
// two-level fat tree of radix 4 with 3:1 leaf oversubscription: leaf 0 holds node0..node2,
// leaf 1 node3..node5, each leaf has ONE 25 GB/s uplink. No latencies: the times below are
// exact.
ClusterGraph SharedUplinkTree() {
  ServerParams sp;
  sp.gpu_type = "A100-SXM4-80GB";
  sp.gpus = 1;
  sp.nics = 1;
  sp.pcie_link = LinkParams{LinkKind::kPcie, 100e9, Duration::Zero()};
  sp.pcie_uplink = sp.pcie_link;
  FabricParams fp;
  fp.shape = FabricShape::kFatTree;
  fp.servers = 6;
  fp.radix = 4;
  fp.oversubscription = 3;
  fp.levels = 2;
  fp.host_link = LinkParams{LinkKind::kInfiniband, 25e9, Duration::Zero()};
  fp.switch_link = fp.host_link;
  return MakeCluster("shared-uplink", MakeServer("one-gpu", sp), fp);
}

// A toy job: DP 2 (no TP, PP), 1 s of pipeline, 0.1 s of optimizer, 2.5 GB of gradients per
// GPU all-reduced after the pipeline. A 2-rank ring all-reduce sends 2 (n - 1) / n S = S =
// 2.5 GB each way: 0.1 s at 25 GB/s. Alone: 1 + 0.1 + 0.1 = 1.2 s per iteration.
TrainingTraffic ToyTraffic() {
  TrainingTraffic t;
  t.dp = 2;
  t.pipeline_s = 1.0;
  t.optimizer_s = 0.1;
  t.dp_bytes = 2.5e9;
  return t;
}

std::vector<NodeId> Gpus(const ClusterGraph& g, std::initializer_list<const char*> names) {
  std::vector<NodeId> out;
  for (const char* n : names) out.push_back(g.NodeNamed(n));
  return out;
}

TEST(TrainingOnFabric, AloneMatchesTheClosedFormAndFastForwards) {
  const ClusterGraph g = SharedUplinkTree();
  Simulator sim(1);
  TrainingFabric fab(sim, g);
  FabricTrainingJob a(fab, "a", ToyTraffic(), Gpus(g, {"node0/gpu0", "node3/gpu0"}), 10,
                      SimTime::Zero());
  sim.Run();
  // 10 x 1.2 s; one iteration at op level, the other nine in one fast-forward step.
  EXPECT_TRUE(a.metrics().finished);
  EXPECT_NEAR(a.metrics().finish_time_s, 12.0, 1e-8);
  EXPECT_NEAR(a.metrics().alone_iteration_s, 1.2, 1e-8);
  EXPECT_EQ(a.metrics().op_level_iterations, 1);
  EXPECT_EQ(a.metrics().fast_forwarded_iterations, 9);
  EXPECT_NEAR(a.metrics().dp_exposed_s, 0.1, 1e-8);
}

TEST(TrainingOnFabric, AloneOnAGeneratedDgxPodEqualsTheClosedForm) {
  // Megatron 39.1B, TP 8 x PP 2 x DP 4 on 8 generated DGX A100 servers (rail-optimized, one
  // 25 GB/s HDR NIC per GPU), with and without DP overlap: alone, every flow has its NIC to
  // itself (rail affinity, routing.h), so the pipeline transfers take m x 2v x b s h x 2 /
  // t / (25 GB/s x 0.70) plus their latencies and the rings 2 (n - 1) / n S / 17.5 GB/s:
  // the closed form's terms. The rings' route latencies (NIC-leaf-NIC, 2 x 1 us + PCIe)
  // replace the closed form's 5 us per message, a few microseconds in ~116 s.
  FabricParams fp;
  fp.shape = FabricShape::kRailOptimized;
  fp.servers = 8;
  fp.host_link = LinkParams{LinkKind::kInfiniband, 25e9, Duration::Microseconds(1)};
  fp.switch_link = fp.host_link;
  const ClusterGraph g = MakeCluster("pod", MakeServer("dgx", DgxA100Params()), fp);
  for (bool overlap : {false, true}) {
    TrainingLayout lay;
    lay.tp = 8, lay.pp = 2, lay.dp = 4;
    lay.micro_batch = 1, lay.global_batch = 1536;
    lay.precision = Precision::kFp16;
    lay.flash_attention = false;
    lay.dp_overlap = overlap;
    const TrainingIteration it =
        TrainingIterationTime(Shipped().FindModel("megatron-39.1b"),
                              Shipped().FindDevice("A100-SXM4-80GB"), lay, DgxA100Network());
    Simulator sim(1);
    TrainingFabric fab(sim, g);
    FabricTrainingJob job(fab, "j", TrainingTrafficOf(lay, it, DgxA100Network()), g.gpus(), 3,
                          SimTime::Zero());
    sim.Run();
    EXPECT_NEAR(job.metrics().alone_iteration_s, it.iteration_s, 1e-4) << overlap;
    EXPECT_NEAR(job.metrics().pp_s, it.pp_comm_s, 1e-4) << overlap;
    EXPECT_NEAR(job.metrics().dp_exposed_s, it.dp_exposed_s, 1e-4) << overlap;
    EXPECT_EQ(job.metrics().fast_forwarded_iterations, 2);
  }
}

TEST(TrainingOnFabric, TwoJobsSharingUplinksSlowEachOtherDown) {
  // Job A on node0 and node3, job B on node1 and node4: each ring sends one flow up leaf 0's
  // uplink and one up leaf 1's, so each uplink carries one flow of each job: 12.5 GB/s each,
  // the all-reduce takes 0.2 s instead of 0.1, and an iteration 1.3 s instead of 1.2.
  // Together from t = 0, 10 iterations each: both finish at 13.0 s (alone: 12.0).
  const ClusterGraph g = SharedUplinkTree();
  for (bool ff : {true, false}) {
    Simulator sim(1);
    TrainingFabric fab(sim, g);
    FabricTrainingJob a(fab, "a", ToyTraffic(), Gpus(g, {"node0/gpu0", "node3/gpu0"}), 10,
                        SimTime::Zero(), ff);
    FabricTrainingJob b(fab, "b", ToyTraffic(), Gpus(g, {"node1/gpu0", "node4/gpu0"}), 10,
                        SimTime::Zero(), ff);
    EXPECT_TRUE(a.SharesLinksWith(b));
    sim.Run();
    EXPECT_NEAR(a.metrics().finish_time_s, 13.0, 1e-8) << "fast-forward " << ff;
    EXPECT_NEAR(b.metrics().finish_time_s, 13.0, 1e-8) << "fast-forward " << ff;
    EXPECT_EQ(a.metrics().fast_forwarded_iterations, 0);  // never alone
    EXPECT_NEAR(a.metrics().max_iteration_s, 1.3, 1e-8);
  }
  // B on node2 and node5 instead of node1 and node4 changes nothing: same uplinks. B on
  // node1 and node2 (both under leaf 0) shares no link with A: A takes 12.0 s.
  Simulator sim(1);
  TrainingFabric fab(sim, g);
  FabricTrainingJob a(fab, "a", ToyTraffic(), Gpus(g, {"node0/gpu0", "node3/gpu0"}), 10,
                      SimTime::Zero());
  FabricTrainingJob b(fab, "b", ToyTraffic(), Gpus(g, {"node1/gpu0", "node2/gpu0"}), 10,
                      SimTime::Zero());
  EXPECT_FALSE(a.SharesLinksWith(b));
  sim.Run();
  EXPECT_NEAR(a.metrics().finish_time_s, 12.0, 1e-8);
  EXPECT_NEAR(b.metrics().finish_time_s, 12.0, 1e-8);
}

TEST(TrainingOnFabric, ALaterJobEndsTheFastForwardAndFastForwardChangesNothing) {
  // A: 10 iterations from t = 0. B: 4 iterations from t = 3.6 s, sharing A's uplinks. A runs
  // iteration 1 at op level (1.2 s), fast-forwards 2 iterations to 3.6 s (B's known start),
  // runs 4 iterations with B at 1.3 s (to 8.8 s, when B ends), then 3 alone: 8.8 + 3.6 =
  // 12.4 s = 12.0 + 4 x 0.1. B: 3.6 + 4 x 1.3 = 8.8 s. Without fast-forward: the same.
  const ClusterGraph g = SharedUplinkTree();
  double finish[2][2];
  for (int ff = 0; ff < 2; ++ff) {
    Simulator sim(1);
    TrainingFabric fab(sim, g);
    FabricTrainingJob a(fab, "a", ToyTraffic(), Gpus(g, {"node0/gpu0", "node3/gpu0"}), 10,
                        SimTime::Zero(), ff == 1);
    FabricTrainingJob b(fab, "b", ToyTraffic(), Gpus(g, {"node1/gpu0", "node4/gpu0"}), 4,
                        SimTime::Zero() + Duration::FromSeconds(3.6), ff == 1);
    sim.Run();
    finish[ff][0] = a.metrics().finish_time_s;
    finish[ff][1] = b.metrics().finish_time_s;
    EXPECT_NEAR(a.metrics().finish_time_s, 12.4, 1e-8) << ff;
    EXPECT_NEAR(b.metrics().finish_time_s, 8.8, 1e-8) << ff;
    if (ff == 1) {
      EXPECT_EQ(a.metrics().fast_forwarded_iterations, 2 + 3);
      EXPECT_EQ(a.metrics().op_level_iterations, 1 + 4);
    } else {
      EXPECT_EQ(a.metrics().op_level_iterations, 10);
    }
  }
  EXPECT_EQ(finish[0][0], finish[1][0]);  // identical results, not just close
  EXPECT_EQ(finish[0][1], finish[1][1]);
}

TEST(TrainingOnFabric, FailuresAndCheckpointsDriveTheFlowLevelJob) {
  // The toy job alone on the fabric (1.2 s per iteration, as above) driven by a
  // TrainingJobSim with failures (1e-3 per GPU-second x 2 GPUs: one every ~500 s),
  // checkpoints every 12 s of work (10 iterations) written in 1 s, 5 s restarts, 2,000
  // iterations. The same TrainingJobSim at the fixed 1.2 s iteration, with the same failure
  // stream, must give the same failures, checkpoints, lost work and finish time: alone, the
  // flow-level iteration is exactly 1.2 s, fast-forwarded between failures and checkpoints.
  const ClusterGraph g = SharedUplinkTree();
  TrainingFailures f;
  f.enabled = true;
  f.gpu_failure_rate_per_s = 1e-3;
  f.checkpoint_interval_s = 12;
  f.checkpoint_write_s = 1;
  f.restart_s = 5;
  TrainingIteration it;
  it.iteration_s = 1.2;
  it.tokens_per_s = 1000 / 1.2;  // 1,000 tokens per iteration
  TrainingJobMetrics fixed, flows;
  {
    Simulator sim(7);
    TrainingJobSim job(sim, "a", it, 1, 2, 2000 * 1000.0, f, sim.rng().Stream("a"), nullptr);
    job.Start();
    sim.Run();
    fixed = job.metrics();
  }
  int64_t fast_forwarded = 0, op_level = 0;
  {
    Simulator sim(7);
    TrainingFabric fab(sim, g);
    FabricTrainingJob driver(fab, "a", ToyTraffic(), Gpus(g, {"node0/gpu0", "node3/gpu0"}), 0,
                             SimTime::Max());
    TrainingJobSim job(sim, "a", it, 1, 2, 2000 * 1000.0, f, sim.rng().Stream("a"), nullptr);
    job.SetDriver(&driver);
    job.Start();
    sim.Run();
    flows = job.metrics();
    fast_forwarded = driver.metrics().fast_forwarded_iterations;
    op_level = driver.metrics().op_level_iterations;
  }
  ASSERT_TRUE(fixed.finished);
  ASSERT_TRUE(flows.finished);
  EXPECT_GT(fixed.failures, 3);
  EXPECT_EQ(flows.failures, fixed.failures);
  EXPECT_EQ(flows.checkpoints, fixed.checkpoints);
  EXPECT_NEAR(flows.lost_work_s, fixed.lost_work_s, 1e-6);
  EXPECT_NEAR(flows.finish_time_s, fixed.finish_time_s, 1e-6);
  // One op-level iteration measures the alone time; every later one is fast-forwarded
  // (segments end at checkpoints; failures stop them).
  EXPECT_EQ(op_level, 1);
  EXPECT_GT(fast_forwarded, 2000);
}

}  // namespace
}  // namespace fleetsim
