#include "models/training/training_model.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "models/compute/allreduce_estimate.h"
#include "sim/config/config_error.h"

namespace fleetsim {

namespace {

std::string Gb(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f GB", bytes / 1e9);
  return buf;
}

struct StageTime {
  double total_s = 0, forward_s = 0, comm_s = 0;
};

StageTime TimeStage(const ModelCard& m, const DeviceSpec& device, const TrainingLayout& lay,
                    const TrainingNetwork& net, bool first, bool last) {
  OpOptions o;
  o.tp = lay.tp;
  o.precision = lay.precision;
  o.flash_attention = lay.flash_attention;
  o.sequence_parallel = lay.sequence_parallel;
  o.dropout = lay.dropout;
  o.grad_accumulation_fusion = lay.grad_accumulation_fusion;
  o.layers = m.layers / lay.pp;
  o.include_embedding = first;
  o.include_head = last;
  TrainingShape shape;
  shape.micro_batch = lay.micro_batch;
  shape.seq_len = lay.seq_len;
  shape.recompute = lay.recompute;
  TimingOptions t;
  t.allreduce = net.tp_allreduce;
  t.training = true;
  const StepTiming st = TimeStep(TrainingMicroBatchOps(m, shape, o), device, t);
  StageTime r;
  r.total_s = st.total_s;
  r.comm_s = st.comm_s;
  for (const auto& op : st.ops) {
    if (op.phase == OpPhase::kForward) r.forward_s += op.seconds;
  }
  return r;
}

}  // namespace

double PipelineSendSeconds(const TrainingNetwork& net, double bytes) {
  return net.inter_node_latency_s +
         bytes / (net.inter_node_bytes_per_s * net.inter_node_efficiency);
}

TrainingNetwork DgxA100Network() {
  TrainingNetwork n;
  const AlphaBetaAllReduce ab = DgxA100AllReduce();
  n.tp_allreduce = [ab](double bytes, int ranks) { return ab(bytes, ranks); };
  n.inter_node_bytes_per_s = 200e9 / 8;  // HDR 200 Gb/s per GPU
  n.inter_node_efficiency = 0.70;        // ASSUMED (header)
  n.inter_node_latency_s = 5e-6;         // ASSUMED (header)
  return n;
}

TrainingNetwork DgxH100Network() {
  TrainingNetwork n;
  AlphaBetaAllReduce ab = DgxA100AllReduce();
  // NVLink 4 through NVSwitch gen 3: 450 GB/s per direction per GPU (DGX H100 datasheet,
  // 2023: 900 GB/s bidirectional), at the same 0.70 bus-bandwidth ratio (ASSUMED).
  ab.bus_bandwidth_bytes_per_s = 0.70 * 450e9;
  n.tp_allreduce = [ab](double bytes, int ranks) { return ab(bytes, ranks); };
  n.inter_node_bytes_per_s = 400e9 / 8;  // NDR 400 Gb/s per GPU
  n.inter_node_efficiency = 0.70;        // ASSUMED (header)
  n.inter_node_latency_s = 5e-6;         // ASSUMED (header)
  return n;
}

double InterNodeAllReduceSeconds(const TrainingNetwork& net, double bytes, int64_t ranks) {
  if (ranks <= 1) return 0;
  const double n = static_cast<double>(ranks);
  const double bw = net.inter_node_bytes_per_s * net.inter_node_efficiency;
  if (!(bw > 0)) throw InputError("inter-node bandwidth must be > 0 for data parallelism");
  return 2 * (n - 1) * net.inter_node_latency_s + 2 * (n - 1) / n * bytes / bw;
}

double PipelineScheduleSeconds(int64_t microbatches, int pp, int virtual_stages,
                               double microbatch_s) {
  return (static_cast<double>(microbatches) +
          static_cast<double>(pp - 1) / static_cast<double>(virtual_stages)) *
         microbatch_s;
}

double ExposedSeconds(double allreduce_s, double overlap_s) {
  return std::max(0.0, allreduce_s - overlap_s);
}

double MegatronIterationFlops(const ModelCard& m, int64_t global_batch, int64_t seq_len) {
  const double B = static_cast<double>(global_batch), s = static_cast<double>(seq_len);
  const double l = static_cast<double>(m.layers), h = static_cast<double>(m.hidden);
  const double V = static_cast<double>(m.vocab);
  return 96 * B * s * l * h * h * (1 + s / (6 * h) + V / (16 * l * h));
}

TrainingIteration TrainingIterationTime(const ModelCard& m, const DeviceSpec& device,
                                        const TrainingLayout& lay, const TrainingNetwork& net) {
  if (lay.tp < 1 || m.heads % lay.tp != 0) {
    throw InputError("tensor-parallel degree " + std::to_string(lay.tp) + " must divide the " +
                     std::to_string(m.heads) + " attention heads of " + m.name);
  }
  if (lay.pp < 1 || m.layers % lay.pp != 0) {
    throw InputError("pipeline degree " + std::to_string(lay.pp) + " must divide the " +
                     std::to_string(m.layers) + " layers of " + m.name);
  }
  const int64_t per_stage = m.layers / lay.pp;
  if (lay.virtual_stages < 1 || per_stage % lay.virtual_stages != 0) {
    throw InputError("virtual stages " + std::to_string(lay.virtual_stages) + " must divide the " +
                     std::to_string(per_stage) + " layers of each pipeline stage of " + m.name);
  }
  if (lay.dp < 1) throw InputError("data-parallel degree must be at least 1");
  if (lay.micro_batch < 1 || lay.seq_len < 1) {
    throw InputError("micro-batch size and sequence length must be >= 1");
  }
  const int64_t per_step = lay.micro_batch * lay.dp;
  if (lay.global_batch < per_step || lay.global_batch % per_step != 0) {
    throw InputError("global batch " + std::to_string(lay.global_batch) +
                     " must be a positive multiple of micro-batch x data-parallel = " +
                     std::to_string(per_step));
  }
  TrainingIteration r;
  r.microbatches = lay.global_batch / per_step;
  if (lay.virtual_stages > 1 && r.microbatches % lay.pp != 0) {
    throw InputError("the interleaved schedule needs the " + std::to_string(r.microbatches) +
                     " micro-batches per pipeline to be a multiple of the pipeline degree " +
                     std::to_string(lay.pp));
  }

  // Memory first: a layout that does not fit is not timed.
  TrainingMemoryInput mi;
  mi.tp = lay.tp;
  mi.pp = lay.pp;
  mi.dp = lay.dp;
  mi.zero_stage = lay.zero_stage;
  mi.recompute = lay.recompute;
  mi.sequence_parallel = lay.sequence_parallel;
  mi.flash_attention = lay.flash_attention;
  mi.micro_batch = lay.micro_batch;
  mi.seq_len = lay.seq_len;
  mi.microbatches = r.microbatches;
  mi.precision = lay.precision;
  r.memory = TrainingMemoryPerGpu(m, mi);
  r.memory_capacity_bytes = device.memory_bytes ? device.memory_bytes->value : 0;
  if (r.memory_capacity_bytes > 0 && r.memory.total_bytes > r.memory_capacity_bytes) {
    throw InputError("training layout TP" + std::to_string(lay.tp) + " PP" +
                     std::to_string(lay.pp) + " DP" + std::to_string(lay.dp) + " ZeRO-" +
                     std::to_string(lay.zero_stage) + " of " + m.name + " does not fit in " +
                     device.name + ": " + Gb(r.memory.total_bytes) + " per GPU (weights " +
                     Gb(r.memory.weights_bytes) + ", gradients " + Gb(r.memory.gradient_bytes) +
                     ", optimizer " + Gb(r.memory.optimizer_bytes) + ", activations " +
                     Gb(r.memory.activation_bytes) + ") > " + Gb(r.memory_capacity_bytes) +
                     "; raise TP/PP, the ZeRO stage or recomputation, or lower the micro-batch");
  }

  // The slowest stage sets the pipeline's pace.
  StageTime slow;
  if (lay.pp == 1) {
    slow = TimeStage(m, device, lay, net, true, true);
  } else {
    const StageTime first = TimeStage(m, device, lay, net, true, false);
    const StageTime last = TimeStage(m, device, lay, net, false, true);
    slow = first.total_s >= last.total_s ? first : last;
  }
  const double mb = static_cast<double>(r.microbatches);
  const double p = lay.pp, v = lay.virtual_stages;
  r.microbatch_s = slow.total_s;
  r.forward_s = slow.forward_s;
  r.backward_s = slow.total_s - slow.forward_s;
  r.compute_s = mb * (slow.total_s - slow.comm_s);
  r.tp_comm_s = mb * slow.comm_s;
  r.bubble_s = (p - 1) / v * slow.total_s;

  if (lay.pp > 1) {
    const double act_bytes = static_cast<double>(lay.micro_batch * lay.seq_len * m.hidden) *
                             BytesPerElement(lay.precision) / lay.tp;
    const double bw = net.inter_node_bytes_per_s * net.inter_node_efficiency;
    if (!(bw > 0)) throw InputError("inter-node bandwidth must be > 0 for pipeline parallelism");
    r.pp_comm_s = mb * 2 * v * PipelineSendSeconds(net, act_bytes);
    r.pp_bytes_per_transfer = act_bytes;
  }

  // Gradients per GPU: the largest stage's parameters (the first stage's, embedding
  // included; TrainingMemoryPerGpu's params_per_gpu).
  r.params_per_gpu = r.memory.params_per_gpu;
  const double grad_bytes = r.params_per_gpu * kAdamGradientBytes;
  r.dp_comm_s = InterNodeAllReduceSeconds(net, grad_bytes, lay.dp);
  r.dp_bytes_per_gpu = grad_bytes;
  const double overlap = lay.dp_overlap ? r.backward_s : 0;
  r.dp_exposed_s = ExposedSeconds(r.dp_comm_s, overlap);
  if (lay.dp_overlap && lay.dp > 1) {
    // Buckets are reduced as they fill, in reverse parameter order: the last one holds the
    // first stage's embedding table (a tensor larger than the 25 MB bucket cap gets a bucket
    // of its own), whose gradient is complete only when the backward ends. Its all-reduce
    // cannot overlap anything (PyTorch DDP, Li et al. VLDB 2020, sections 3.2.3 and 4.2).
    const double last_bucket =
        std::max(kDdpBucketBytes, EmbeddingParameterCount(m) / lay.tp * kAdamGradientBytes);
    r.dp_exposed_s = std::max(r.dp_exposed_s, InterNodeAllReduceSeconds(net, last_bucket, lay.dp));
    r.dp_last_bucket_bytes = last_bucket;
  }

  const double hbm =
      device.memory_bandwidth_bytes_per_s
          ? device.memory_bandwidth_bytes_per_s->value * ResolveEfficiency(device).memory
          : 0;
  if (!(hbm > 0)) throw InputError(device.name + " has no memory bandwidth for the optimizer step");
  const double opt_params = r.params_per_gpu / (lay.zero_stage >= 1 ? lay.dp : 1);
  r.optimizer_s = opt_params * kAdamStepBytesPerParam / hbm;

  r.iteration_s =
      PipelineScheduleSeconds(r.microbatches, lay.pp, lay.virtual_stages, slow.total_s) +
      r.pp_comm_s + r.dp_exposed_s + r.optimizer_s;
  r.paper_flops = MegatronIterationFlops(m, lay.global_batch, lay.seq_len);
  r.tflops_per_gpu = r.paper_flops / (static_cast<double>(lay.Gpus()) * r.iteration_s) / 1e12;
  const auto peak = device.Peak(lay.precision);
  r.mfu = peak ? r.tflops_per_gpu * 1e12 / *peak : 0;
  r.tokens_per_s = static_cast<double>(lay.global_batch * lay.seq_len) / r.iteration_s;
  return r;
}

}  // namespace fleetsim
