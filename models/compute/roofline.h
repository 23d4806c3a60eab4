// Step time of an op list (transformer_ops.h) on one device: a roofline per op with
// size-dependent efficiency, fixed per-kernel and per-step costs, the host that issues the
// kernels, and the tensor-parallel collectives through a pluggable cost function.
//
// The model (docs/models.md has the derivations and the sources):
//   op time   = max(FLOPs / (peak(precision) x eff_compute), bytes / (HBM BW x eff_memory))
//               + kernels x kernel_overhead
//   eff_compute(GEMM m x n) = gemm_max x tile(m, n) x wave(m, n)
//       tile = m n / (ceil(m/Tm) Tm x ceil(n/Tn) Tn)  padding of the last tile row / column;
//              Tm = the smallest power of two >= m between 16 (the MMA granularity) and T
//              (the catalog's gemm_tile), likewise Tn: libraries pick small tiles for
//              small dimensions
//       wave = w / (w + 1/2),  w = ceil(m/Tm) ceil(n/Tn) / SMs
//           the tiles run in waves over the SMs; the last wave is on average half full
//           (NVIDIA, "Matrix Multiplication Background User's Guide", tile and wave
//           quantisation). A GEMM of a few tiles keeps most SMs idle; a GEMM of many waves
//           approaches gemm_max.
//   communication op time = allreduce_seconds(bytes, ranks) (no kernel overhead: the
//       measured collective latency includes its launch)
//   GPU time  = sum over ops of op time x count
//   host time = kernels x host_per_kernel (the CPU issuing the kernels: an eager Python
//               engine issues them one by one; a captured graph or C++ runtime does not)
//   step time = max(GPU time, host time) + device step_overhead + runtime step_overhead
//               + per_sequence x sequences
// Element-wise and attention ops use the same formula: attention's work grid is
// (query rows x heads) x head_dim tiles, element-wise ops are memory bound.
//
// What does not belong here: which ops a step has (transformer_ops.h), network contention
// (models/network/), pipeline bubbles and data-parallel gradient exchange (training step).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "models/catalog/device_spec.h"
#include "models/compute/transformer_ops.h"

namespace fleetsim {

// The efficiencies a timing uses: the device's `efficiency:` block, or the defaults of its
// kind (DefaultEfficiency), with where they came from.
struct Efficiency {
  double gemm_max = 0;
  double training_gemm_max = 0;  // DeviceEfficiency::training_gemm_max; 0 = none
  double memory = 0;
  int64_t sm_count = 0;  // 0: no wave quantisation
  int64_t gemm_tile = 128;
  double kernel_overhead_s = 0;
  double step_overhead_s = 0;
  bool from_catalog = false;
  std::string origin;  // "catalog efficiency block (source: ...)" or "default for kind gpu ..."
};

// Defaults for a device without an efficiency block (documented in docs/models.md):
//   gpu:               gemm_max 0.75, memory 0.85, kernel_overhead 5 us
//   tpu / accelerator: gemm_max 0.70, memory 0.85, kernel_overhead 5 us
//   cpu:               gemm_max 0.50, memory 0.60, kernel_overhead 0
// all with no wave quantisation (SM count unknown) and no step overhead.
Efficiency DefaultEfficiency(DeviceKind kind);
Efficiency ResolveEfficiency(const DeviceSpec& device);

// The wave-tail constant of the wave factor above: the last wave is half full on average.
inline constexpr double kWaveTail = 0.5;
// The smallest tile edge: the row count of one tensor-core MMA (mma.m16n8k16).
inline constexpr int64_t kMinTile = 16;
// eff_compute of an m x n output GEMM (m, n >= 1).
double GemmEfficiency(const Efficiency& e, int64_t m, int64_t n);

// Host-side costs of the software that drives the GPU: they depend on the engine, not the
// hardware. Two documented presets (sources in docs/models.md).
struct Runtime {
  std::string name;
  double host_per_kernel_s = 0;  // CPU time to issue one kernel
  double step_overhead_s = 0;    // scheduler, input preparation, output processing per step
  double per_sequence_s = 0;     // per sequence in the batch per step (e.g. sampling)
};
// Graph-captured or C++ engines (TensorRT-LLM, CUDA graphs) and large training kernels:
// the host is never the bottleneck; no extra per-step cost.
Runtime CompiledRuntime();
// PyTorch-eager serving engines of 2023 (vLLM before CUDA graphs, v0.2.7 of 2023-12):
//   host_per_kernel 26 us: vLLM PR #1440 (2023-10), Llama-2-7B batch 1: 12.0 ms per token
//     eager vs 10.5 ms with a CUDA graph; an eager step that is all host time over ~460
//     launches gives at most 26 us each (the upper bound: the source bounds it, no more);
//   step_overhead 9 ms: vLLM RFC #6854 (2024-07) measures "5-13 ms of GPU bubble" per
//     decode step from scheduling, input preparation and output processing: the midpoint;
//   per_sequence 0.26 ms: vLLM issue #249 (2023-06): sampling runs one request at a time,
//     ~10 small tensor ops per sequence at 26 us.
// docs/models.md shows how the V3 errors move across the sources' ranges.
Runtime EagerRuntime2023();

// Cost of one all-reduce of `bytes` per rank over `ranks` GPUs, in seconds.
using AllReduceSeconds = std::function<double(double bytes, int ranks)>;

struct OpTiming {
  std::string name;
  OpKind kind = OpKind::kGemm;
  OpPhase phase = OpPhase::kForward;
  double count = 1;
  double compute_s = 0;   // per occurrence
  double memory_s = 0;    // per occurrence
  double overhead_s = 0;  // per occurrence (kernel overheads)
  double comm_s = 0;      // per occurrence (collectives)
  double efficiency = 0;  // eff_compute used
  double seconds = 0;     // total over `count`
  bool compute_bound = false;
};

struct StepTiming {
  std::vector<OpTiming> ops;
  double compute_s = 0;   // sum over compute-bound ops of their compute time
  double memory_s = 0;    // sum over memory-bound ops of their memory time
  double overhead_s = 0;  // kernel overheads
  double comm_s = 0;      // collectives
  double gpu_s = 0;       // compute + memory + overhead + comm
  double host_s = 0;      // kernels x host_per_kernel
  double fixed_s = 0;     // step overheads (device + runtime) + per-sequence costs
  double total_s = 0;     // max(gpu, host) + fixed
  bool host_bound = false;
  std::string efficiency_origin;
};

struct TimingOptions {
  Runtime runtime = CompiledRuntime();
  // nullptr: collectives are not timed (compute-only); their bytes remain in the op list.
  AllReduceSeconds allreduce;
  int64_t sequences = 0;  // for the runtime's per-sequence cost
  // Training: the GEMM and attention products use the device's training_gemm_max (the
  // ceiling sustained in end-to-end training) in place of gemm_max when it has one.
  bool training = false;
};

// Preconditions (InputError otherwise): the device has a memory bandwidth and a peak at
// every op's precision.
StepTiming TimeStep(const OpList& ops, const DeviceSpec& device, const TimingOptions& opt);

}  // namespace fleetsim
