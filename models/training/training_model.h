// The time of one training iteration of a dense transformer on a TP x PP x DP layout, per
// GPU: what the `training_jobs:` of a scenario advance by, and what validation V2 checks.
//
// The model (docs/training.md has the derivations and the sources):
//   m        = global_batch / (micro_batch x dp)            micro-batches per pipeline
//   t_mb     = forward + backward (+ recomputation) of one micro-batch on the slowest stage
//              (its L/p layers; the first stage adds the embedding, the last the LM head),
//              with the tensor-parallel all-reduces in the op list (roofline.h TimeStep)
//   pipeline = (m + (p - 1) / v) x t_mb                      1F1B, interleaved with v
//              virtual stages per GPU (Narayanan et al., SC'21, section 2.2.2: bubble
//              fraction (p - 1) / (v m)); v = 1 is plain 1F1B (PipeDream-Flush)
//   pp comm  = m x 2 v x (latency + b s h x bytes / t / link) for p > 1: every micro-batch
//              crosses v stage boundaries forward and v backward per GPU; the scatter/gather
//              optimisation of the same paper (section 4.1) sends 1/t of the activation over
//              each of the t GPUs' own NICs. Counted as exposed (blocking send/recv in the
//              steady state of Megatron-LM's schedule).
//   dp comm  = ring all-reduce of the gradients held per GPU (params / (t p) x 2 bytes)
//              over dp GPUs on the inter-node link; exposed = max(0, t_dp - overlap), with
//              overlap = the backward of the last micro-batch when dp_overlap is on (the
//              bucketed all-reduce of PyTorch DDP runs while the last backward computes;
//              ASSUMPTION: earlier micro-batches only accumulate gradients, so nothing
//              overlaps before the last backward); at least the all-reduce of the last
//              bucket (the first stage's embedding gradient, or kDdpBucketBytes) stays
//              exposed: it is complete only when the backward ends. With ZeRO >= 1 the
//              all-reduce becomes a reduce-scatter + all-gather of the same total bytes:
//              same time.
//   optimizer= Adam over the params per GPU, memory bound: kAdamStepBytesPerParam bytes per
//              parameter at the HBM bandwidth x memory efficiency, divided by dp with ZeRO >= 1
//   iteration= pipeline + pp comm + exposed dp comm + optimizer
// Achieved TFLOP/s per GPU counts the paper's FLOPs, 96 B s l h^2 (1 + s/(6h) + V/(16 l h))
// per iteration (recomputation included), over the GPUs and the iteration time.
//
// Units: seconds, bytes, FLOPs. Preconditions (InputError otherwise): tp divides the heads,
// pp divides the layers, virtual_stages divides the layers per stage, micro_batch x dp
// divides global_batch, at least one micro-batch per pipeline, dp >= 1; v > 1 needs m to be
// a multiple of p (Megatron-LM's own requirement for the interleaved schedule).
#pragma once

#include <cstdint>
#include <string>

#include "models/catalog/device_spec.h"
#include "models/catalog/model_card.h"
#include "models/compute/memory_model.h"
#include "models/compute/roofline.h"
#include "models/compute/transformer_ops.h"
#include "models/precision.h"

namespace fleetsim {

struct TrainingLayout {
  int tp = 1;
  int pp = 1;
  int64_t dp = 1;
  int virtual_stages = 1;  // v: model chunks per GPU (interleaved schedule); 1 = 1F1B
  int64_t micro_batch = 1;
  int64_t global_batch = 1;
  int64_t seq_len = 2048;
  int zero_stage = 0;
  Recompute recompute = Recompute::kFull;
  Precision precision = Precision::kBf16;
  bool flash_attention = true;
  bool sequence_parallel = false;
  bool dp_overlap = true;                // overlap the gradient all-reduce with the last backward
  bool dropout = false;                  // OpOptions::dropout (GPT-3-era models train with it)
  bool grad_accumulation_fusion = true;  // OpOptions::grad_accumulation_fusion
  int64_t Gpus() const { return static_cast<int64_t>(tp) * pp * dp; }
};

// The links a job's collectives use beyond the tensor-parallel group.
struct TrainingNetwork {
  AllReduceSeconds tp_allreduce;      // inside the server (NVSwitch); nullptr: untimed
  double inter_node_bytes_per_s = 0;  // per GPU: its own NIC (rail-optimised fabrics)
  double inter_node_efficiency = 1;   // achievable fraction (NCCL bus bandwidth / link)
  double inter_node_latency_s = 0;    // one message, NIC to NIC
};

// Selene / DGX A100 (2020): one 200 Gb/s HDR ConnectX-6 per GPU (DGX A100 datasheet,
// 2020-05; topologies/selene_like_a100_pod.yaml), NVSwitch all-reduces of DgxA100AllReduce().
// Efficiency 0.70 is ASSUMED equal to the NVSwitch ratio of DgxA100AllReduce (nccl-tests
// 200-208 of 300 GB/s, 2023); no multi-node nccl-tests figure was read. Latency 5 us:
// ASSUMED, a few NIC-switch-NIC hops (ConnectX-6 "sub 0.6 usec" plus software).
TrainingNetwork DgxA100Network();
// DGX H100 (2023): one 400 Gb/s NDR ConnectX-7 per GPU (DGX H100 datasheet, 2023;
// topologies/h100_16k.yaml); NVSwitch gen 3 at 450 GB/s per direction per GPU with the same
// ASSUMED 0.70 efficiency and the DGX A100 latencies.
TrainingNetwork DgxH100Network();

// Adam with mixed precision, bytes moved per parameter by the optimizer step: read the
// 2-byte gradient, read and write the fp32 master weight, m and v (3 x 8), write the
// 2-byte weight = 28. The state sizes are those of Rajbhandari et al. 2020 (ZeRO, sec. 3.1).
inline constexpr double kAdamStepBytesPerParam = 28;
// PyTorch DDP's default bucket size (bucket_cap_mb = 25; Li et al., "PyTorch Distributed",
// VLDB 2020): with dp_overlap the last bucket's all-reduce is exposed.
inline constexpr double kDdpBucketBytes = 25e6;

struct TrainingIteration {
  int64_t microbatches = 0;  // m, per pipeline
  double microbatch_s = 0;   // t_mb on the slowest stage
  double forward_s = 0;      // of t_mb: the forward part (no recomputation)
  double backward_s = 0;     // of t_mb: backward + recomputation
  double compute_s = 0;      // m x t_mb minus the TP all-reduces in it
  double tp_comm_s = 0;      // m x the TP all-reduce time in t_mb
  double bubble_s = 0;       // (p - 1) / v x t_mb
  double pp_comm_s = 0;      // exposed pipeline send/recv
  double dp_comm_s = 0;      // the whole gradient all-reduce
  double dp_exposed_s = 0;   // its exposed part
  double optimizer_s = 0;
  double iteration_s = 0;
  double params_per_gpu = 0;  // the largest stage's, before ZeRO
  // What the inter-node terms move (training_fabric.h runs them as flows):
  double pp_bytes_per_transfer = 0;  // b s h x bytes / t: one GPU's share of an activation
  double dp_bytes_per_gpu = 0;       // gradients all-reduced per GPU
  double dp_last_bucket_bytes = 0;   // with dp_overlap: the bucket reduced after the backward
  double paper_flops = 0;            // per iteration, all GPUs (the SC'21 formula)
  double tflops_per_gpu = 0;         // achieved: paper_flops / (GPUs x iteration) / 1e12
  double mfu = 0;                    // tflops_per_gpu / device peak at the precision
  double tokens_per_s = 0;           // global_batch x seq_len / iteration
  TrainingMemory memory;             // per GPU, first stage
  double memory_capacity_bytes = 0;
};

// The SC'21 FLOP count of one iteration of B sequences (96 B s l h^2 (1 + s/6h + V/16lh)).
double MegatronIterationFlops(const ModelCard& m, int64_t global_batch, int64_t seq_len);

// Preconditions above; also throws InputError when the layout does not fit in the device's
// memory, with the per-GPU numbers (weights, gradients, optimizer, activations, capacity).
TrainingIteration TrainingIterationTime(const ModelCard& m, const DeviceSpec& device,
                                        const TrainingLayout& layout, const TrainingNetwork& net);

// (m + (p - 1) / v) x t_mb: the interleaved 1F1B schedule's time for m micro-batches of
// t_mb seconds each on p stages with v virtual stages per GPU (v = 1: plain 1F1B).
double PipelineScheduleSeconds(int64_t microbatches, int pp, int virtual_stages,
                               double microbatch_s);
// The part of a gradient all-reduce of `allreduce_s` not hidden behind `overlap_s` of
// backward compute: max(0, allreduce_s - overlap_s).
double ExposedSeconds(double allreduce_s, double overlap_s);

// One pipeline send/receive of `bytes` per GPU between consecutive stages over the
// inter-node link: latency + bytes / (link x efficiency). The `pp comm` term above is
// m x 2v of these; the serving pipeline (scenarios/replica_binding.h) charges it per stage
// boundary crossed by an engine step.
double PipelineSendSeconds(const TrainingNetwork& net, double bytes);

// Ring all-reduce of `bytes` per rank over `ranks` GPUs on the inter-node link:
// 2 (n - 1) x latency + 2 (n - 1) / n x bytes / (link x efficiency); 0 for one rank.
double InterNodeAllReduceSeconds(const TrainingNetwork& net, double bytes, int64_t ranks);

}  // namespace fleetsim
