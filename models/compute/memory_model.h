// Device memory per GPU: what training and serving placements hold, and whether they fit.
// Bytes throughout; "80 GB" in the catalog is read as 80e9 bytes (as printed).
//
// Training (mixed precision with Adam, the accounting of Rajbhandari et al. 2020, ZeRO):
//   weights   2 B/param (fp16/bf16)      gradients 2 B/param
//   optimizer 12 B/param (fp32 master weights 4 + Adam m 4 + v 4)       = 16 B/param in all
//   The seed essay's rule (S2) is simpler: weights + ~8 B/param "fp32 intermediate values /
//   optimizer state" (Adam's m and v); EssayTrainingBytesPerParam() keeps it for comparison.
//   ZeRO stage 1 divides the optimizer state by the data-parallel degree, stage 2 also the
//   gradients, stage 3 also the weights.
//   Activations per layer and micro-batch (Korthikanti et al. 2022, "Reducing Activation
//   Recomputation in Large Transformer Models", Table 2; 2-byte activations, s tokens, b
//   sequences, h hidden, a heads, t tensor-parallel degree):
//     no TP:                      s b h (34 + 5 a s / h)
//     TP, no sequence parallel:   s b h (10 + 24/t + 5 a s / (h t))
//     TP + sequence parallel:     s b h (34 + 5 a s / h) / t
//     selective recomputation:    the 5 a s / h term disappears (so does it with
//                                 FlashAttention, which never stores the s x s scores)
//     full recomputation:         2 s b h (/ t with sequence parallelism): the layer input
//   The formula is derived for the GPT layer (4h GELU MLP, dropout); we apply it to every
//   architecture (a SwiGLU MLP of the same parameter count stores ~the same bytes).
//   With 1F1B pipelining the first stage holds min(pp, micro-batches) micro-batches of its
//   L/pp layers: L layers' worth. Full recomputation adds one layer's full activations (the
//   layer being recomputed).
//
// Serving (what vLLM and TensorRT-LLM do at start-up):
//   usable     = capacity x utilisation (vLLM gpu_memory_utilization, default 0.9;
//                TensorRT-LLM free_gpu_memory_fraction, default 0.9): the rest is the
//                runtime reserve (CUDA context, NCCL buffers, allocator fragmentation)
//   weights    = parameters / t x bytes (norms replicated)
//                A pipeline stage (InferenceMemoryInput::layers > 0) holds its layers, the
//                embedding on the first stage, the final norm and LM head on the last: the
//                same parameter counts as OpOptions::layers / include_embedding /
//                include_head in transformer_ops.h. A model with tied embeddings split over
//                stages keeps a copy of the embedding table on the last stage for its head
//                (Megatron-LM's shared word embeddings; vLLM's PP loads lm_head there).
//   workspace  = peak activations of the largest step: max_batched_tokens x (residual +
//                normed input + the widest intermediate) + the logits of the sequences
//   KV cache   = usable - weights - workspace;  capacity in tokens = KV cache / KV bytes per
//                token per GPU (2 x layers x KV heads per GPU x head_dim x bytes; a stage's
//                layers only)
//   A stage without the head has no logits in its workspace.
#pragma once

#include <cstdint>
#include <string>

#include "models/catalog/model_card.h"
#include "models/compute/transformer_ops.h"
#include "models/precision.h"

namespace fleetsim {

// --- Training -----------------------------------------------------------------------------
struct TrainingMemoryInput {
  int tp = 1;
  int pp = 1;
  int64_t dp = 1;
  int zero_stage = 0;  // 0..3
  Recompute recompute = Recompute::kNone;
  bool sequence_parallel = false;
  bool flash_attention = false;  // removes the s x s term like selective recomputation
  int64_t micro_batch = 1;
  int64_t seq_len = 2048;
  int64_t microbatches = 1;  // per iteration; bounds the micro-batches in flight (1F1B)
  Precision precision = Precision::kBf16;
};

struct TrainingMemory {
  double params_per_gpu = 0;  // first pipeline stage (embedding + its layers)
  double weights_bytes = 0;
  double gradient_bytes = 0;
  double optimizer_bytes = 0;
  double activation_bytes_per_layer = 0;  // one micro-batch
  double activation_bytes = 0;            // all in flight on the first stage
  double total_bytes = 0;
  double essay_bytes = 0;  // params_per_gpu x (bytes(precision) + 8), the seed's S2 rule
};

// Preconditions (InputError otherwise): tp divides heads, pp divides layers, dp >= 1,
// zero_stage in 0..3, micro_batch, seq_len, microbatches >= 1.
TrainingMemory TrainingMemoryPerGpu(const ModelCard& m, const TrainingMemoryInput& in);

// Activation bytes of one layer for one micro-batch, per GPU (Korthikanti et al. 2022).
double ActivationBytesPerLayer(const ModelCard& m, const TrainingMemoryInput& in);

// The seed essay's extra bytes per parameter for training (S2).
inline constexpr double kEssayTrainingExtraBytesPerParam = 8.0;
// Mixed-precision Adam, explicitly: 2 (weights) + 2 (gradients) + 12 (fp32 master, m, v).
inline constexpr double kAdamWeightBytes = 2, kAdamGradientBytes = 2, kAdamOptimizerBytes = 12;

// --- Serving ------------------------------------------------------------------------------
struct InferenceMemoryInput {
  int tp = 1;
  Precision precision = Precision::kBf16;     // weights and activations
  Precision kv_precision = Precision::kBf16;  // KV cache
  double capacity_bytes = 0;                  // device memory (catalog)
  double utilization = 0.9;                   // vLLM / TensorRT-LLM default
  int64_t max_batched_tokens = 0;             // 0 = the model's max_context
  int64_t max_seqs = 256;                     // logits rows (vLLM default max_num_seqs)
  // A pipeline stage (as OpOptions in transformer_ops.h): 0 layers = the whole model.
  int64_t layers = 0;
  bool include_embedding = true;  // first stage
  bool include_head = true;       // last stage
};

struct InferenceMemory {
  double capacity_bytes = 0;
  double reserve_bytes = 0;  // capacity x (1 - utilisation)
  double weights_bytes = 0;
  double workspace_bytes = 0;
  double kv_bytes_per_token = 0;  // per GPU
  double kv_cache_bytes = 0;      // what is left for the KV cache (negative: does not fit)
  int64_t kv_capacity_tokens = 0;
  bool fits = false;   // weights + workspace fit, with room for at least one max context
  std::string reason;  // why not, when it does not fit
};

// Preconditions (InputError otherwise): tp divides heads, capacity > 0, 0 < utilization <= 1,
// 0 <= layers <= the model's layers.
InferenceMemory InferenceMemoryPerGpu(const ModelCard& m, const InferenceMemoryInput& in);

}  // namespace fleetsim
