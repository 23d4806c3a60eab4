#include "models/compute/memory_model.h"

#include <algorithm>
#include <cmath>

#include "sim/config/config_error.h"

namespace fleetsim {

namespace {

void CheckTp(const ModelCard& m, int tp) {
  if (tp < 1 || m.heads % tp != 0) {
    throw InputError("tensor-parallel degree " + std::to_string(tp) + " must divide the " +
                     std::to_string(m.heads) + " attention heads of " + m.name);
  }
}

}  // namespace

double ActivationBytesPerLayer(const ModelCard& m, const TrainingMemoryInput& in) {
  const double s = static_cast<double>(in.seq_len);
  const double b = static_cast<double>(in.micro_batch);
  const double h = static_cast<double>(m.hidden);
  const double a = static_cast<double>(m.heads);
  const double t = static_cast<double>(in.tp);
  const double sbh = s * b * h;
  if (in.recompute == Recompute::kFull) {
    return 2 * sbh / (in.sequence_parallel ? t : 1.0);
  }
  // The attention-score term: scores, softmax output and dropout mask, 5 a s / h bytes per
  // hidden element. Gone with selective recomputation or FlashAttention.
  const bool scores = in.recompute == Recompute::kNone && !in.flash_attention;
  const double score_term = scores ? 5 * a * s / h : 0;
  if (in.sequence_parallel) return sbh * (34 + score_term) / t;
  return sbh * (10 + 24 / t + score_term / t);
}

TrainingMemory TrainingMemoryPerGpu(const ModelCard& m, const TrainingMemoryInput& in) {
  CheckTp(m, in.tp);
  if (in.pp < 1 || m.layers % in.pp != 0) {
    throw InputError("pipeline degree " + std::to_string(in.pp) + " must divide the " +
                     std::to_string(m.layers) + " layers of " + m.name);
  }
  if (in.dp < 1) throw InputError("data-parallel degree must be at least 1");
  if (in.zero_stage < 0 || in.zero_stage > 3) throw InputError("ZeRO stage must be 0, 1, 2 or 3");
  if (in.micro_batch < 1 || in.seq_len < 1 || in.microbatches < 1) {
    throw InputError("micro-batch size, sequence length and micro-batch count must be >= 1");
  }
  TrainingMemory r;
  const double layers_per_stage = static_cast<double>(m.layers / in.pp);
  // The first stage: embedding (vocabulary split by t) and its share of the layers. Norm
  // weights are replicated in truth; dividing them by t errs by < 0.01 %.
  r.params_per_gpu =
      (EmbeddingParameterCount(m) + layers_per_stage * LayerParameterCount(m)) / in.tp;
  if (in.pp == 1) r.params_per_gpu += HeadParameterCount(m) / in.tp;
  const double dp = static_cast<double>(in.dp);
  const double wb = BytesPerElement(in.precision);
  r.weights_bytes = r.params_per_gpu * wb / (in.zero_stage >= 3 ? dp : 1.0);
  r.gradient_bytes = r.params_per_gpu * kAdamGradientBytes / (in.zero_stage >= 2 ? dp : 1.0);
  r.optimizer_bytes = r.params_per_gpu * kAdamOptimizerBytes / (in.zero_stage >= 1 ? dp : 1.0);
  r.activation_bytes_per_layer = ActivationBytesPerLayer(m, in);
  const double in_flight = static_cast<double>(std::min<int64_t>(in.pp, in.microbatches));
  r.activation_bytes = r.activation_bytes_per_layer * layers_per_stage * in_flight;
  if (in.recompute == Recompute::kFull) {
    TrainingMemoryInput full = in;
    full.recompute = Recompute::kNone;
    r.activation_bytes += ActivationBytesPerLayer(m, full);
  }
  r.total_bytes = r.weights_bytes + r.gradient_bytes + r.optimizer_bytes + r.activation_bytes;
  r.essay_bytes = r.params_per_gpu * (wb + kEssayTrainingExtraBytesPerParam);
  return r;
}

InferenceMemory InferenceMemoryPerGpu(const ModelCard& m, const InferenceMemoryInput& in) {
  CheckTp(m, in.tp);
  if (!(in.capacity_bytes > 0)) throw InputError("device memory capacity must be > 0");
  if (!(in.utilization > 0 && in.utilization <= 1)) {
    throw InputError("memory utilisation must be in (0, 1]");
  }
  InferenceMemory r;
  const double t = static_cast<double>(in.tp);
  const double bpe = BytesPerElement(in.precision);
  r.capacity_bytes = in.capacity_bytes;
  r.reserve_bytes = in.capacity_bytes * (1 - in.utilization);
  if (in.layers < 0 || in.layers > m.layers) {
    throw InputError("a stage of " + m.name + " holds between 1 and " + std::to_string(m.layers) +
                     " layers");
  }
  const bool whole =
      in.layers == 0 || (in.layers == m.layers && in.include_embedding && in.include_head);
  const int64_t layers = in.layers == 0 ? m.layers : in.layers;
  if (whole) {
    r.weights_bytes = ParameterCount(m) / t * bpe;
  } else {
    double params = static_cast<double>(layers) * LayerParameterCount(m);
    if (in.include_embedding) params += EmbeddingParameterCount(m);
    if (in.include_head) {
      params += HeadParameterCount(m);
      // Tied embeddings: the last stage keeps its own copy of the table for the LM head.
      if (m.tied_embeddings && !in.include_embedding)
        params += static_cast<double>(m.vocab) * m.hidden;
    }
    r.weights_bytes = params / t * bpe;
  }
  r.kv_bytes_per_token =
      2.0 * layers * KvHeadsPerGpu(m, in.tp) * m.head_dim * BytesPerElement(in.kv_precision);
  // Peak live activations of one step over T tokens: the residual stream and its normed copy
  // (2 h), plus the widest intermediate (QKV, or the MLP's up/gate output and its
  // activation), plus fp32 logits of the sampled rows.
  const double tokens =
      static_cast<double>(in.max_batched_tokens > 0 ? in.max_batched_tokens : m.max_context);
  const double h = static_cast<double>(m.hidden);
  const double qkv =
      static_cast<double>(m.heads / in.tp + 2 * KvHeadsPerGpu(m, in.tp)) * m.head_dim;
  const double f = static_cast<double>(m.ffn_hidden) / t;
  const double mlp = m.architecture == Architecture::kLlama ? 3 * f : 2 * f;
  const double logits =
      in.include_head
          ? static_cast<double>(std::min<int64_t>(in.max_seqs, static_cast<int64_t>(tokens))) *
                std::ceil(m.vocab / t) * 4.0
          : 0.0;
  r.workspace_bytes = tokens * (2 * h + std::max(qkv, mlp)) * bpe + logits;
  r.kv_cache_bytes = in.capacity_bytes - r.reserve_bytes - r.weights_bytes - r.workspace_bytes;
  r.kv_capacity_tokens =
      r.kv_cache_bytes > 0 ? static_cast<int64_t>(r.kv_cache_bytes / r.kv_bytes_per_token) : 0;
  r.fits = r.kv_capacity_tokens >= m.max_context;
  if (!r.fits) {
    r.reason = r.kv_cache_bytes <= 0 ? "weights and workspace exceed the usable memory"
                                     : "room for " + std::to_string(r.kv_capacity_tokens) +
                                           " KV tokens, less than one max_context sequence (" +
                                           std::to_string(m.max_context) + ")";
  }
  return r;
}

}  // namespace fleetsim
