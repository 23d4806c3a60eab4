// The operations of one transformer step, each with its FLOPs and the bytes it moves: what
// the roofline (models/compute/roofline.h) times and what the memory model sizes. Pure
// arithmetic on a ModelCard and a shape; nothing here knows about devices or time.
//
// Units: FLOPs (a multiply-add is 2), bytes, counts. Every quantity is PER GPU of a
// tensor-parallel group of t GPUs in the Megatron-LM layout (Shoeybi et al. 2019):
//   - column-parallel GEMMs (QKV, MLP up / gate-up) split their output columns by t,
//     row-parallel GEMMs (attention output, MLP down) split their inner dimension by t;
//   - attention heads are split by t; KV heads too, replicated once t exceeds them (GQA);
//   - the vocabulary is split by t (embedding and LM head);
//   - norms, residual adds and their activations are replicated on every rank, unless
//     sequence parallelism splits them by t (training only);
//   - each layer's forward ends its attention and its MLP block with an all-reduce of the
//     b*s*h activations, and its backward has two more (at the column-parallel inputs).
//     Collectives are listed as kCommunication ops with their payload; this file does not
//     time them (roofline.h takes an all-reduce cost function).
//
// What is deliberately not here: pipeline send/receive and data-parallel gradient
// all-reduce (they belong to the training step model), sampling, MoE layers, bias adds and
// dropout (fused into GEMM epilogues / the residual add by the engines we model).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "models/catalog/model_card.h"
#include "models/precision.h"

namespace fleetsim {

enum class OpKind {
  kGemm,           // a dense matrix multiply: m x n output, k inner
  kAttention,      // scores + softmax + context (one fused kernel with FlashAttention)
  kElementwise,    // norms, residual adds, activations, rotary, embedding lookup
  kCommunication,  // a collective over the tensor-parallel group
};
enum class OpPhase { kForward, kBackward, kRecompute };
const char* OpKindName(OpKind k);
const char* OpPhaseName(OpPhase p);

struct Op {
  std::string name;  // "qkv_proj", "attention", "mlp_allreduce", ...
  OpKind kind = OpKind::kGemm;
  OpPhase phase = OpPhase::kForward;
  Precision precision = Precision::kBf16;  // operand precision: selects the device peak
  double count = 1;                        // occurrences in the step (e.g. the number of layers)
  // Per occurrence:
  double flops = 0;
  double weight_bytes = 0;      // parameters (or their gradients) read and written
  double activation_bytes = 0;  // activations read and written
  double kv_bytes = 0;          // KV cache read and written (inference)
  // GEMM shape after sharding; for attention m = query rows x heads, n = head_dim,
  // k = keys per query (the shape of the work grid); zero for other kinds.
  int64_t m = 0, n = 0, k = 0;
  int kernels = 1;  // kernel launches per occurrence
  // kCommunication only: an all-reduce of `comm_bytes` per rank over `comm_ranks` GPUs.
  double comm_bytes = 0;
  int comm_ranks = 1;

  double Bytes() const { return weight_bytes + activation_bytes + kv_bytes; }
};

struct OpList {
  std::vector<Op> ops;
  // Sums over ops of value x count. Communication ops have no FLOPs or bytes.
  double Flops() const;
  double Bytes() const;
  double CommBytes() const;
  double Kernels() const;
  // The FLOPs of one named op summed over its phases (for tests and reports).
  double FlopsOf(const std::string& name) const;
};

enum class Recompute {
  kNone,       // keep every activation for the backward pass
  kSelective,  // recompute the attention core (Korthikanti et al. 2022)
  kFull,       // keep each layer's input, recompute the whole layer forward
};
const char* RecomputeName(Recompute r);

struct OpOptions {
  int tp = 1;                                 // tensor-parallel degree t
  Precision precision = Precision::kBf16;     // weights, activations and GEMM operands
  Precision kv_precision = Precision::kBf16;  // KV cache (inference)
  bool flash_attention = true;                // no s x s scores written to memory
  bool sequence_parallel = false;             // training: norms / adds split by t
  // Training only. Dropout (GPT-2/3-era models, p = 0.1 on the attention probabilities and
  // on each block's output): a materialising attention gets a dropout kernel on its s x s
  // probabilities, the residual adds write a 1-byte mask per element. Off: Llama-era models.
  bool dropout = false;
  // Training only. Weight gradients accumulated into the main gradient inside the wgrad
  // GEMM (Megatron-LM's gradient-accumulation fusion, 2022+). Off: the GEMM writes the
  // gradient and a separate add kernel reads it and reads and writes the main gradient
  // (Megatron-LM 2021 local DDP: param.main_grad.add_(param.grad.data) after each GEMM).
  bool grad_accumulation_fusion = true;
  int64_t layers = 0;             // 0 = all; a pipeline stage passes its share
  bool include_embedding = true;  // first pipeline stage
  bool include_head = true;       // last pipeline stage (final norm, LM head)
};

// --- Training: one micro-batch, forward + backward (+ recomputation) ---------------------
struct TrainingShape {
  int64_t micro_batch = 1;  // b sequences
  int64_t seq_len = 2048;   // s tokens each
  Recompute recompute = Recompute::kNone;
};
// Backward GEMMs are two GEMMs per forward GEMM (input gradient and weight gradient), so
// 2x the forward GEMM FLOPs; FlashAttention's backward is 2.5x its forward (it recomputes
// the scores: 5 matrix products against 2, Dao 2023), a materialising attention's is 2x.
// Without FlashAttention the attention is the separate kernels of Megatron-LM (2021,
// megatron/model/transformer.py ParallelAttention): scores QK^T (baddbmm, writes the
// b a s^2 scores), fused scale-mask-softmax (reads them, writes the probabilities),
// dropout when on (reads, writes the dropped probabilities and a 1-byte mask), context PV
// (bmm, reads them): 13 bytes per score element forward at 2-byte precision (11 without
// dropout); backward dP = dO V^T (writes 2), dV = P^T dO (reads 2), dropout backward
// (reads 2 + 1, writes 2), softmax backward (reads dP and P, writes dS: 6), dQ = dS K and
// dK = dS^T Q (read 2 each): 19 bytes (14 without dropout). Each kernel is its own roofline,
// so the s^2 traffic adds to the matrix products instead of hiding under them.
// The vocabulary-parallel cross-entropy runs unfused on fp32 logits (Megatron-LM
// _VocabParallelCrossEntropy on output.float()): forward cast (2 + 4 bytes per logit), max
// (4), subtract (8), exp (8), sum (4), divide (8) = 38 bytes per logit; backward scale (8)
// and cast back (4 + 2) = 14.
// Preconditions (InputError otherwise): tp >= 1 divides heads, micro_batch, seq_len >= 1.
OpList TrainingMicroBatchOps(const ModelCard& m, const TrainingShape& shape, const OpOptions& opt);

// --- Inference: one engine step (prefill chunks and decode tokens together) ---------------
struct InferenceBatch {
  int64_t prefill_tokens = 0;          // prompt tokens processed in this step
  double prefill_attention_pairs = 0;  // causal query-key pairs of those tokens
  int64_t prefill_seqs = 0;            // prompts completing here (their last token -> logits)
  int64_t decode_seqs = 0;             // sequences producing one token each
  int64_t decode_context_tokens = 0;   // sum of their context lengths (KV entries read)

  // `batch` prompts of `prompt_len` tokens each, processed whole.
  static InferenceBatch Prefill(int64_t batch, int64_t prompt_len);
  // `batch` sequences, each attending to `context_len` cached tokens (the new one included).
  static InferenceBatch Decode(int64_t batch, int64_t context_len);
  // Prompts of the given lengths, processed whole in one step.
  static InferenceBatch Prompts(const std::vector<int64_t>& prompt_lens);
  // Decoding sequences at the given context lengths (the new token included).
  static InferenceBatch Contexts(const std::vector<int64_t>& context_lens);
  int64_t Tokens() const { return prefill_tokens + decode_seqs; }
};
// Preconditions (InputError otherwise): tp >= 1 divides heads, at least one token.
OpList InferenceStepOps(const ModelCard& m, const InferenceBatch& batch, const OpOptions& opt);

// --- Parameter counts, consistent with ParameterCount() of model_card.h -------------------
double LayerParameterCount(const ModelCard& m);      // one transformer layer
double EmbeddingParameterCount(const ModelCard& m);  // token (+ learned position) tables
double HeadParameterCount(const ModelCard& m);       // final norm + untied LM head (+ BERT extras)
// KV heads held per GPU at tensor-parallel degree t: kv_heads / t, at least 1.
int64_t KvHeadsPerGpu(const ModelCard& m, int tp);

}  // namespace fleetsim
