#include "scenarios/replica_binding.h"

#include <cstdio>

#include "models/compute/allreduce_estimate.h"
#include "models/compute/iteration_time.h"
#include "models/compute/memory_model.h"
#include "models/compute/weight_streaming.h"
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
  b.weights_bytes_per_gpu = mem.weights_bytes;
  b.kv_bytes_per_token_per_gpu = mem.kv_bytes_per_token;
  if (gpu.host_link) {
    b.swap_seconds_per_token = mem.kv_bytes_per_token / gpu.host_link->bandwidth_bytes_per_s.value;
  }
  double stream_seconds = 0;
  if (l.weight_streaming) {
    if (!gpu.host_link) {
      throw InputError("weight streaming on " + gpu.name + ": the catalog gives no host link");
    }
    const double usable = mem.capacity_bytes - mem.reserve_bytes - mem.workspace_bytes;
    const WeightStreamingPlan plan =
        PlanWeightStreaming(mem.weights_bytes, usable, l.kv_fraction,
                            gpu.host_link->bandwidth_bytes_per_s.value, l.link_efficiency);
    b.kv_capacity_tokens =
        static_cast<int64_t>(plan.kv_cache_bytes_per_gpu / mem.kv_bytes_per_token);
    b.streamed_bytes_per_gpu = plan.streamed_bytes_per_gpu;
    stream_seconds = plan.stream_seconds;
    b.notes += "weight streaming: " + FormatQuantity(plan.streamed_bytes_per_gpu, dim::kBytes) +
               " per GPU per iteration over " + gpu.host_link->kind + " at " +
               FormatQuantity(plan.link_bytes_per_s, dim::kBytesPerSecond) +
               " (>= " + std::to_string(plan.stream_seconds).substr(0, 6) + " s per iteration); ";
    if (b.kv_capacity_tokens < m.max_context) {
      throw InputError(m.name + " on " + std::to_string(tp) + " x " + gpu.name +
                       " with weight streaming: room for only " +
                       std::to_string(b.kv_capacity_tokens) +
                       " KV tokens; raise kv_fraction or use more GPUs");
    }
  } else {
    if (!mem.fits) {
      throw InputError(m.name + " (" + std::string(PrecisionName(l.precision)) + ") on " +
                       std::to_string(tp) + " x " + gpu.name + ": " + mem.reason +
                       " (use more tensor-parallel GPUs, a lower precision, a larger GPU, or "
                       "replica.weight_streaming)");
    }
    b.kv_capacity_tokens = mem.kv_capacity_tokens;
  }

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
  std::unique_ptr<IterationTimeModel> compute =
      std::make_unique<RooflineIterationModel>(m, gpu, ops, timing);
  if (stream_seconds > 0) {
    // max(convex, constant) stays convex: the decode cache below remains exact.
    compute = std::make_unique<StreamingIterationTime>(std::move(compute), stream_seconds);
  }
  b.iteration_time = std::make_unique<DecodeTimeCache>(std::move(compute), m.max_context);
  b.notes += "runtime " + timing.runtime.name;
  return b;
}

}  // namespace fleetsim
