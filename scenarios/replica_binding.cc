#include "scenarios/replica_binding.h"

#include <cstdio>

#include "models/compute/allreduce_estimate.h"
#include "models/compute/iteration_time.h"
#include "models/compute/memory_model.h"
#include "models/serving/decode_time_cache.h"
#include "sim/config/config_error.h"
#include "sim/units.h"

namespace fleetsim {

namespace {

// The tensor-parallel all-reduce inside a replica, closed form (models/compute/
// allreduce_estimate.h): NCCL's NVLink ring latencies measured on DGX A100, and a bus
// bandwidth of 70 % of the GPU's scale-up link per direction (the fraction nccl-tests reach
// on DGX A100). Without a scale-up link, the host link (PCIe peer-to-peer) at the same 70 %.
AlphaBetaAllReduce ReplicaAllReduce(const DeviceSpec& gpu, std::string* note) {
  AlphaBetaAllReduce ar = DgxA100AllReduce();
  constexpr double kBusFraction = 0.70;
  if (gpu.scale_up) {
    ar.bus_bandwidth_bytes_per_s = kBusFraction * gpu.scale_up->bandwidth_bytes_per_s.value / 2;
    *note += "TP all-reduce: ring over " + gpu.scale_up->kind + " at 70 % of " +
             FormatQuantity(gpu.scale_up->bandwidth_bytes_per_s.value / 2, dim::kBytesPerSecond) +
             " per direction, DGX A100 NCCL latencies; ";
  } else if (gpu.host_link) {
    ar.bus_bandwidth_bytes_per_s = kBusFraction * gpu.host_link->bandwidth_bytes_per_s.value;
    *note += "TP all-reduce: ring over " + gpu.host_link->kind + " (no NVLink) at 70 % of " +
             FormatQuantity(gpu.host_link->bandwidth_bytes_per_s.value, dim::kBytesPerSecond) +
             ", NVLink latencies (optimistic for PCIe); ";
  }
  return ar;
}

}  // namespace

BoundReplica BindReplica(const ReplicaLayout& l) {
  const ModelCard& m = *l.model;
  const DeviceSpec& gpu = *l.gpu;
  const int tp = static_cast<int>(l.tensor_parallel);
  if (!gpu.memory_bytes) throw InputError("device '" + gpu.name + "' has no memory size");

  BoundReplica b;
  InferenceMemoryInput mem_in;
  mem_in.tp = tp;
  mem_in.precision = l.precision;
  mem_in.kv_precision = l.precision == Precision::kFp32 ? Precision::kFp32 : Precision::kFp16;
  if (l.precision == Precision::kFp8) mem_in.kv_precision = Precision::kFp8;
  mem_in.capacity_bytes = gpu.memory_bytes->value;
  mem_in.max_batched_tokens = l.max_batched_tokens;
  mem_in.max_seqs = l.max_batch;
  const InferenceMemory mem = InferenceMemoryPerGpu(m, mem_in);
  if (!mem.fits) {
    throw InputError(m.name + " (" + std::string(PrecisionName(l.precision)) + ") on " +
                     std::to_string(tp) + " x " + gpu.name + ": " + mem.reason +
                     " (use more tensor-parallel GPUs, a lower precision, or a larger GPU)");
  }
  b.kv_capacity_tokens = mem.kv_capacity_tokens;
  b.weights_bytes_per_gpu = mem.weights_bytes;

  OpOptions ops;
  ops.tp = tp;
  ops.precision = l.precision;
  ops.kv_precision = mem_in.kv_precision;
  TimingOptions timing;
  if (l.runtime == "eager-2023") {
    timing.runtime = EagerRuntime2023();
  } else {
    timing.runtime = CompiledRuntime();
  }
  if (tp > 1) timing.allreduce = ReplicaAllReduce(gpu, &b.notes);
  // Decode iterations are looked up in an exact piecewise-linear table instead of building
  // the op list every step (models/serving/decode_time_cache.h).
  b.iteration_time = std::make_unique<DecodeTimeCache>(
      std::make_unique<RooflineIterationModel>(m, gpu, ops, timing), m.max_context);
  b.notes += "runtime " + timing.runtime.name;
  return b;
}

}  // namespace fleetsim
