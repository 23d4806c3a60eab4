#include "scenarios/replica_binding.h"

#include <algorithm>
#include <climits>
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

// NVLink (or, without one, the host link) between two stages of one server, for
// PipelineSendSeconds: the per-direction bandwidth at the 70 % bus fraction of the TP
// all-reduce above, and 9.5 us per message: NCCL's model of one LL ring step (base 6.6 us +
// 0.6 us per step) plus the 2.3 us launch of DgxA100AllReduce (ASSUMED: a send costs one
// step of the all-reduce model).
TrainingNetwork IntraServerLink(const DeviceSpec& gpu, std::string* kind) {
  TrainingNetwork n;
  n.inter_node_efficiency = 0.70;
  n.inter_node_latency_s = 9.5e-6;
  if (gpu.scale_up) {
    n.inter_node_bytes_per_s = gpu.scale_up->bandwidth_bytes_per_s.value / 2;
    *kind = gpu.scale_up->kind;
  } else if (gpu.host_link) {
    n.inter_node_bytes_per_s = gpu.host_link->bandwidth_bytes_per_s.value;
    *kind = gpu.host_link->kind + " (no NVLink)";
  } else {
    throw InputError("pipeline parallelism on " + gpu.name +
                     ": the catalog gives neither a scale-up nor a host link");
  }
  return n;
}

}  // namespace

std::vector<int64_t> StageLayers(int64_t layers, int64_t pp) {
  if (pp < 1 || pp > layers) {
    throw InputError("pipeline_parallel " + std::to_string(pp) + " must be between 1 and the " +
                     std::to_string(layers) + " layers");
  }
  std::vector<int64_t> v(static_cast<size_t>(pp), layers / pp);
  const int64_t extra = layers % pp;
  for (int64_t i = 0; i < extra; ++i) v[static_cast<size_t>(pp - 2 - i)] += 1;
  return v;
}

TrainingNetwork ReplicaNetwork(const std::string& name) {
  if (name == "dgx-a100") return DgxA100Network();
  if (name == "dgx-h100") return DgxH100Network();
  throw InputError("unknown network '" + name + "' (dgx-a100 or dgx-h100)");
}

BoundReplica BindReplica(const ReplicaLayout& l) {
  const ModelCard& m = *l.model;
  const DeviceSpec& gpu = *l.gpu;
  const int tp = static_cast<int>(l.tensor_parallel);
  const int64_t pp = l.pipeline_parallel;
  if (!gpu.memory_bytes) throw InputError("device '" + gpu.name + "' has no memory size");

  BoundReplica b;
  b.stage_layers = StageLayers(m.layers, pp);
  const size_t stages = b.stage_layers.size();
  InferenceMemoryInput mem_in;
  mem_in.tp = tp;
  mem_in.precision = l.precision;
  mem_in.kv_precision = l.precision == Precision::kFp32 ? Precision::kFp32 : Precision::kFp16;
  if (l.precision == Precision::kFp8) mem_in.kv_precision = Precision::kFp8;
  mem_in.capacity_bytes = gpu.memory_bytes->value;
  mem_in.max_batched_tokens = l.max_batched_tokens;
  mem_in.max_seqs = l.max_batch;
  // One memory budget per stage (pp = 1: the whole model, as before).
  std::vector<InferenceMemoryInput> stage_in(stages, mem_in);
  std::vector<InferenceMemory> mems;
  for (size_t k = 0; k < stages && pp > 1; ++k) {
    stage_in[k].layers = b.stage_layers[k];
    stage_in[k].include_embedding = k == 0;
    stage_in[k].include_head = k + 1 == stages;
  }
  for (size_t k = 0; k < stages; ++k) mems.push_back(InferenceMemoryPerGpu(m, stage_in[k]));
  // How the layout reads in messages: "4 x H100-SXM5" or "TP4 x PP2 H100-SXM5 (stage 1: ...)".
  const std::string on =
      pp == 1 ? std::to_string(tp) + " x " + gpu.name
              : "TP" + std::to_string(tp) + " x PP" + std::to_string(pp) + " " + gpu.name;
  auto stage_of = [&](size_t k) {
    return pp == 1 ? std::string()
                   : " (stage " + std::to_string(k) + ": " + std::to_string(b.stage_layers[k]) +
                         " layers" + (k == 0 ? ", embedding" : "") +
                         (k + 1 == stages ? ", LM head" : "") + ")";
  };
  for (const InferenceMemory& mem : mems) {
    b.weights_bytes_per_gpu = std::max(b.weights_bytes_per_gpu, mem.weights_bytes);
    b.kv_bytes_per_token_per_gpu = std::max(b.kv_bytes_per_token_per_gpu, mem.kv_bytes_per_token);
  }
  if (gpu.host_link) {
    // Every stage swaps its share of a token's KV over its own link, in parallel.
    b.swap_seconds_per_token =
        b.kv_bytes_per_token_per_gpu / gpu.host_link->bandwidth_bytes_per_s.value;
  }
  std::vector<double> stream_s(stages, 0.0);
  b.kv_capacity_tokens = INT64_MAX;
  if (l.weight_streaming) {
    const bool from_server = l.stream_link_bytes_per_s > 0;
    if (!from_server && !gpu.host_link) {
      throw InputError("weight streaming on " + gpu.name + ": the catalog gives no host link");
    }
    // The source's rate per GPU: resolved from a server of the topology, or the host link.
    const double source_bytes_per_s =
        from_server ? l.stream_link_bytes_per_s : gpu.host_link->bandwidth_bytes_per_s.value;
    const std::string over = from_server ? l.stream_path : gpu.host_link->kind;
    for (size_t k = 0; k < stages; ++k) {
      const InferenceMemory& mem = mems[k];
      const double usable = mem.capacity_bytes - mem.reserve_bytes - mem.workspace_bytes;
      const WeightStreamingPlan plan = PlanWeightStreaming(mem.weights_bytes, usable, l.kv_fraction,
                                                           source_bytes_per_s, l.link_efficiency);
      b.kv_capacity_tokens =
          std::min(b.kv_capacity_tokens,
                   static_cast<int64_t>(plan.kv_cache_bytes_per_gpu / mem.kv_bytes_per_token));
      b.streamed_bytes_per_gpu = std::max(b.streamed_bytes_per_gpu, plan.streamed_bytes_per_gpu);
      stream_s[k] = plan.stream_seconds;
    }
    const double link = source_bytes_per_s * l.link_efficiency;
    const double worst = *std::max_element(stream_s.begin(), stream_s.end());
    b.notes += "weight streaming: " + FormatQuantity(b.streamed_bytes_per_gpu, dim::kBytes) +
               " per GPU per iteration over " + over + " at " +
               FormatQuantity(link, dim::kBytesPerSecond) +
               " (>= " + std::to_string(worst).substr(0, 6) + " s per iteration" +
               (pp > 1 ? " per stage" : "") + "); ";
    if (b.kv_capacity_tokens < m.max_context) {
      throw InputError(m.name + " on " + on + " with weight streaming: room for only " +
                       std::to_string(b.kv_capacity_tokens) +
                       " KV tokens; raise kv_fraction or use more GPUs");
    }
  } else {
    for (size_t k = 0; k < stages; ++k) {
      const InferenceMemory& mem = mems[k];
      if (!mem.fits) {
        throw InputError(
            m.name + " (" + std::string(PrecisionName(l.precision)) + ") on " + on + stage_of(k) +
            ": " + mem.reason +
            " (use more tensor- or pipeline-parallel GPUs, a lower precision, a larger GPU, or "
            "replica.weight_streaming)");
      }
      b.kv_capacity_tokens = std::min(b.kv_capacity_tokens, mem.kv_capacity_tokens);
    }
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
  std::unique_ptr<IterationTimeModel> compute;
  if (pp == 1) {
    compute = std::make_unique<RooflineIterationModel>(m, gpu, ops, timing);
    if (stream_s[0] > 0) {
      // max(convex, constant) stays convex: the decode cache below remains exact.
      compute = std::make_unique<StreamingIterationTime>(std::move(compute), stream_s[0]);
    }
  } else {
    std::vector<PipelineIterationModel::Stage> st(stages);
    for (size_t k = 0; k < stages; ++k) {
      st[k].ops = ops;
      st[k].ops.layers = b.stage_layers[k];
      st[k].ops.include_embedding = k == 0;
      st[k].ops.include_head = k + 1 == stages;
      st[k].stream_s = stream_s[k];
    }
    // Stage boundaries: stage k's GPUs are [k tp, (k + 1) tp) of the replica; a replica
    // larger than a server fills whole servers in order (PoolLedger::Take).
    const int64_t per = l.gpus_per_server;
    const bool spans = per > 0 && tp * pp > per;
    if (spans && (tp > per || per % tp != 0)) {
      throw InputError("a pipeline stage of " + std::to_string(tp) +
                       " GPUs must sit in one server of " + std::to_string(per) +
                       " GPUs (tensor_parallel must divide the GPUs per server)");
    }
    std::string nv_kind;
    const TrainingNetwork nvlink = IntraServerLink(gpu, &nv_kind);
    const TrainingNetwork nic = ReplicaNetwork(l.network);
    std::vector<PipelineIterationModel::SendSeconds> sends;
    for (size_t k = 0; k + 1 < stages; ++k) {
      const bool across = spans && (static_cast<int64_t>(k + 1) * tp) % per == 0;
      b.boundaries_across_servers += across ? 1 : 0;
      const TrainingNetwork net = across ? nic : nvlink;
      sends.emplace_back([net](double bytes) { return PipelineSendSeconds(net, bytes); });
    }
    std::string layers;
    for (size_t k = 0; k < stages; ++k) {
      layers += (k ? "/" : "") + std::to_string(b.stage_layers[k]);
    }
    b.notes += "pipeline: " + std::to_string(pp) + " stages of " + layers +
               " layers run one after the other (no overlap of steps across stages); " +
               std::to_string(pp - 1 - b.boundaries_across_servers) + " stage send(s) over " +
               nv_kind + " at 70 % of " +
               FormatQuantity(nvlink.inter_node_bytes_per_s, dim::kBytesPerSecond);
    if (b.boundaries_across_servers > 0) {
      b.notes += ", " + std::to_string(b.boundaries_across_servers) + " across servers of " +
                 std::to_string(per) + " GPUs over the " + l.network + " NIC at 70 % of " +
                 FormatQuantity(nic.inter_node_bytes_per_s, dim::kBytesPerSecond);
    }
    b.notes += "; ";
    compute =
        std::make_unique<PipelineIterationModel>(m, gpu, std::move(st), std::move(sends), timing);
  }
  // Decode iterations are looked up in an exact piecewise-linear table instead of building
  // the op list every step (models/serving/decode_time_cache.h).
  b.iteration_time = std::make_unique<DecodeTimeCache>(std::move(compute), m.max_context);
  b.notes += "runtime " + timing.runtime.name;
  return b;
}

}  // namespace fleetsim
