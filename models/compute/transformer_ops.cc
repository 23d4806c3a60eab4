#include "models/compute/transformer_ops.h"

#include <algorithm>
#include <cmath>

#include "sim/config/config_error.h"

namespace fleetsim {

namespace {

// The dimensions of one layer on one GPU of the tensor-parallel group.
struct Dims {
  double h = 0;     // hidden
  double d = 0;     // head_dim
  int64_t ht = 0;   // query heads per GPU
  int64_t kvt = 0;  // KV heads per GPU
  double ft = 0;    // MLP intermediate width per GPU
  int64_t vt = 0;   // vocabulary rows per GPU
  double bpe = 2;   // bytes per element (weights, activations)
  int tp = 1;
  bool llama = false;
  bool causal = true;  // BERT attends both ways
  int64_t layers = 0;
  bool dropout = false;
  bool grad_accumulation_fusion = true;
};

Dims MakeDims(const ModelCard& m, const OpOptions& opt) {
  if (opt.tp < 1) throw InputError("tensor-parallel degree must be at least 1");
  if (m.heads % opt.tp != 0) {
    throw InputError("tensor-parallel degree " + std::to_string(opt.tp) + " does not divide the " +
                     std::to_string(m.heads) + " attention heads of " + m.name);
  }
  if (opt.layers < 0 || opt.layers > m.layers) {
    throw InputError("layers must be between 1 and " + std::to_string(m.layers) + " for " + m.name);
  }
  Dims d;
  d.h = static_cast<double>(m.hidden);
  d.d = static_cast<double>(m.head_dim);
  d.ht = m.heads / opt.tp;
  d.kvt = KvHeadsPerGpu(m, opt.tp);
  d.ft = static_cast<double>(m.ffn_hidden) / opt.tp;
  d.vt = (m.vocab + opt.tp - 1) / opt.tp;
  d.bpe = BytesPerElement(opt.precision);
  d.tp = opt.tp;
  d.llama = m.architecture == Architecture::kLlama;
  d.causal = m.architecture != Architecture::kBert;
  d.layers = opt.layers == 0 ? m.layers : opt.layers;
  d.dropout = opt.dropout;
  d.grad_accumulation_fusion = opt.grad_accumulation_fusion;
  return d;
}

int64_t Ceil(double x) { return static_cast<int64_t>(std::ceil(x - 1e-9)); }

Op Gemm(std::string name, const Dims& d, Precision p, double count, int64_t m, int64_t n,
        int64_t k) {
  Op op;
  op.name = std::move(name);
  op.kind = OpKind::kGemm;
  op.precision = p;
  op.count = count;
  op.m = m;
  op.n = n;
  op.k = k;
  op.flops = 2.0 * m * n * k;
  op.weight_bytes = static_cast<double>(n) * k * d.bpe;
  op.activation_bytes = (static_cast<double>(m) * k + static_cast<double>(m) * n) * d.bpe;
  return op;
}

Op Elementwise(std::string name, Precision p, double count, double flops, double act_bytes,
               double weight_bytes = 0) {
  Op op;
  op.name = std::move(name);
  op.kind = OpKind::kElementwise;
  op.precision = p;
  op.count = count;
  op.flops = flops;
  op.activation_bytes = act_bytes;
  op.weight_bytes = weight_bytes;
  return op;
}

Op AllReduce(std::string name, const Dims& d, Precision p, double count, double bytes) {
  Op op;
  op.name = std::move(name);
  op.kind = OpKind::kCommunication;
  op.precision = p;
  op.count = count;
  op.comm_bytes = bytes;
  op.comm_ranks = d.tp;
  op.kernels = 1;
  return op;
}

// The forward ops of `count` identical layers over `rows` tokens, with the attention ops
// supplied by the caller (they differ between training and inference). `norm_rows` is the
// number of rows the replicated element-wise work runs on (rows / t with sequence
// parallelism).
void AppendLayerForward(std::vector<Op>& out, const Dims& d, Precision p, int64_t rows,
                        double norm_rows, const std::vector<Op>& attention, OpPhase phase,
                        double count) {
  const size_t first = out.size();
  const double norm_weights = (d.llama ? 1 : 2) * d.h * d.bpe;
  out.push_back(Elementwise("input_norm", p, count, 5 * norm_rows * d.h,
                            2 * norm_rows * d.h * d.bpe, norm_weights));
  const int64_t qkv_cols = (d.ht + 2 * d.kvt) * static_cast<int64_t>(d.d);
  out.push_back(Gemm("qkv_proj", d, p, count, rows, qkv_cols, static_cast<int64_t>(d.h)));
  if (d.llama) {
    const double width = static_cast<double>(d.ht + d.kvt) * d.d;
    out.push_back(Elementwise("rotary", p, count, 6 * rows * width, 2 * rows * width * d.bpe));
  }
  for (Op a : attention) {
    a.count = count;
    out.push_back(a);
  }
  out.push_back(Gemm("out_proj", d, p, count, rows, static_cast<int64_t>(d.h),
                     d.ht * static_cast<int64_t>(d.d)));
  if (d.tp > 1) out.push_back(AllReduce("attn_allreduce", d, p, count, rows * d.h * d.bpe));
  // Bias-dropout-add (one fused kernel): reads the block output and the residual, writes
  // the sum, and with dropout its 1-byte mask.
  const double add_bytes = (3 * d.bpe + (d.dropout ? 1 : 0)) * norm_rows * d.h;
  out.push_back(Elementwise("residual_add", p, count, norm_rows * d.h, add_bytes));
  out.push_back(Elementwise("post_norm", p, count, 5 * norm_rows * d.h, 2 * norm_rows * d.h * d.bpe,
                            norm_weights));
  const int64_t ft = Ceil(d.ft);
  if (d.llama) {
    // SwiGLU: gate and up projections in one GEMM, silu(gate) * up, down projection.
    out.push_back(Gemm("gate_up_proj", d, p, count, rows, 2 * ft, static_cast<int64_t>(d.h)));
    out.push_back(Elementwise("swiglu", p, count, 4 * rows * d.ft, 3 * rows * d.ft * d.bpe));
    out.push_back(Gemm("down_proj", d, p, count, rows, static_cast<int64_t>(d.h), ft));
  } else {
    out.push_back(Gemm("fc1", d, p, count, rows, ft, static_cast<int64_t>(d.h)));
    out.push_back(Elementwise("gelu", p, count, 8 * rows * d.ft, 2 * rows * d.ft * d.bpe));
    out.push_back(Gemm("fc2", d, p, count, rows, static_cast<int64_t>(d.h), ft));
  }
  if (d.tp > 1) out.push_back(AllReduce("mlp_allreduce", d, p, count, rows * d.h * d.bpe));
  out.push_back(Elementwise("residual_add", p, count, norm_rows * d.h, add_bytes));
  for (size_t i = first; i < out.size(); ++i) out[i].phase = phase;
}

// Causal FlashAttention over `seqs` sequences of `s` tokens (training): one kernel.
Op FlashTrainingAttention(const Dims& d, Precision p, int64_t seqs, int64_t s) {
  Op op;
  op.name = "attention";
  op.kind = OpKind::kAttention;
  op.precision = p;
  const double rows = static_cast<double>(seqs) * s;
  // FlashAttention skips the masked half of a causal score matrix.
  const double pairs = d.causal ? seqs * (s * (s + 1.0) / 2) : seqs * double(s) * s;
  op.flops = 4.0 * pairs * d.ht * d.d;  // QK^T and PV: 2 FLOPs x d each per pair and head
  // Q, K, V read and O written; FlashAttention also writes the softmax statistics (fp32).
  op.activation_bytes = (2.0 * rows * d.ht * d.d + 2.0 * rows * d.kvt * d.d) * d.bpe;
  op.activation_bytes += rows * d.ht * 4.0;
  op.kernels = 1;
  op.m = seqs * s * d.ht;
  op.n = static_cast<int64_t>(d.d);
  op.k = s;
  return op;
}

// A materialising attention as separate kernels (transformer_ops.h has the byte counts and
// the source): scores, softmax, dropout (when on), context. E = seqs x heads x s x s score
// elements per GPU.
std::vector<Op> UnfusedTrainingAttention(const Dims& d, Precision p, int64_t seqs, int64_t s) {
  const double rows = static_cast<double>(seqs) * s;
  const double E = static_cast<double>(seqs) * d.ht * double(s) * s;
  const double q_bytes = rows * d.ht * d.d * d.bpe;    // Q, or the context output
  const double kv_bytes = rows * d.kvt * d.d * d.bpe;  // K, or V
  std::vector<Op> out;
  Op scores;
  scores.name = "attn_scores";
  scores.kind = OpKind::kAttention;
  scores.precision = p;
  scores.flops = 2.0 * E * d.d;
  scores.activation_bytes = q_bytes + kv_bytes + E * d.bpe;
  scores.m = seqs * s * d.ht;  // the batched s x s outputs stacked: the same tile count
  scores.n = s;
  scores.k = static_cast<int64_t>(d.d);
  out.push_back(scores);
  // Scale, mask, max, exp, sum, divide: ~5 FLOPs per element (vector units).
  out.push_back(Elementwise("attn_softmax", p, 1, 5 * E, 2 * E * d.bpe));
  if (d.dropout) out.push_back(Elementwise("attn_dropout", p, 1, 2 * E, (2 * d.bpe + 1) * E));
  Op context;
  context.name = "attn_context";
  context.kind = OpKind::kAttention;
  context.precision = p;
  context.flops = 2.0 * E * d.d;
  context.activation_bytes = E * d.bpe + kv_bytes + q_bytes;
  context.m = seqs * s * d.ht;
  context.n = static_cast<int64_t>(d.d);
  context.k = s;
  out.push_back(context);
  return out;
}

std::vector<Op> BackwardOf(const Op& f, const Dims& d, bool flash) {
  std::vector<Op> out;
  switch (f.kind) {
    case OpKind::kGemm: {
      // Input gradient: dY (m x n) times W^T -> m x k. Weight gradient: X^T dY -> n x k,
      // accumulated into fp32 main gradients (read and written: Megatron-LM's
      // gradient-accumulation fusion).
      Op dgrad = Gemm(f.name + "_dgrad", d, f.precision, f.count, f.m, f.k, f.n);
      dgrad.weight_bytes = static_cast<double>(f.n) * f.k * d.bpe;
      Op wgrad = Gemm(f.name + "_wgrad", d, f.precision, f.count, f.n, f.k, f.m);
      wgrad.weight_bytes = 2.0 * f.n * f.k * 4.0;
      wgrad.activation_bytes =
          (static_cast<double>(f.m) * f.n + static_cast<double>(f.m) * f.k) * d.bpe;
      out.push_back(dgrad);
      if (d.grad_accumulation_fusion) {
        out.push_back(wgrad);
      } else {
        // The GEMM writes the gradient; an add kernel reads it and reads and writes the
        // main gradient (same precision: Megatron-LM 2021 without
        // --accumulate-allreduce-grads-in-fp32).
        wgrad.weight_bytes = static_cast<double>(f.n) * f.k * d.bpe;
        out.push_back(wgrad);
        out.push_back(Elementwise(f.name + "_grad_accumulate", f.precision, f.count,
                                  static_cast<double>(f.n) * f.k, 3.0 * f.n * f.k * d.bpe));
      }
      break;
    }
    case OpKind::kAttention: {
      if (f.name == "attn_scores" || f.name == "attn_context") {
        // Two batched products each. For the scores S = Q K^T: dQ = dS K and dK = dS^T Q,
        // each reading the s x s gradient dS. For the context O = P V: dP = dO V^T writes
        // the s x s gradient, dV = P^T dO reads P.
        const double E_bytes = f.flops / (2.0 * d.d) * d.bpe;  // one pass over the scores
        const double small = f.activation_bytes - E_bytes;     // the Q / K / V / O tensors
        const bool scores = f.name == "attn_scores";
        Op a = f, b = f;
        a.name = f.name + (scores ? "_dq" : "_dp");
        b.name = f.name + (scores ? "_dk" : "_dv");
        a.activation_bytes = E_bytes + small;
        b.activation_bytes = E_bytes + small;
        // dQ, dK and dV are (rows x heads) x head_dim outputs with the scores' length as
        // inner dimension; dP is an s x s output with head_dim inner, like the scores.
        const int64_t s_len = scores ? f.n : f.k;
        a.m = b.m = f.m;
        a.n = scores ? static_cast<int64_t>(d.d) : s_len;
        a.k = scores ? s_len : static_cast<int64_t>(d.d);
        b.n = static_cast<int64_t>(d.d);
        b.k = s_len;
        out.push_back(a);
        out.push_back(b);
        break;
      }
      Op b = f;
      b.name = f.name + "_bwd";
      b.flops = f.flops * (flash ? 2.5 : 2.0);
      b.activation_bytes = 2 * f.activation_bytes;
      b.kernels = flash ? 2 : 4;
      out.push_back(b);
      break;
    }
    case OpKind::kElementwise: {
      Op b = f;
      b.name = f.name + "_bwd";
      b.flops = 2 * f.flops;
      b.activation_bytes = 2 * f.activation_bytes;
      if (f.name == "attn_softmax") {
        b.activation_bytes = 1.5 * f.activation_bytes;  // reads dP and P, writes dS
      } else if (f.name == "attn_dropout") {
        b.activation_bytes = f.activation_bytes;  // reads the gradient and mask, writes
        b.flops = f.flops / 2;
      } else if (f.name == "cross_entropy") {
        b.activation_bytes = f.activation_bytes * 14.0 / 38.0;  // transformer_ops.h
        b.flops = f.flops / 5;
      }
      out.push_back(b);
      break;
    }
    case OpKind::kCommunication:
      break;  // the backward collectives are placed explicitly
  }
  for (auto& o : out) o.phase = OpPhase::kBackward;
  return out;
}

}  // namespace

const char* OpKindName(OpKind k) {
  switch (k) {
    case OpKind::kGemm:
      return "gemm";
    case OpKind::kAttention:
      return "attention";
    case OpKind::kElementwise:
      return "elementwise";
    case OpKind::kCommunication:
      return "communication";
  }
  return "?";
}

const char* OpPhaseName(OpPhase p) {
  switch (p) {
    case OpPhase::kForward:
      return "forward";
    case OpPhase::kBackward:
      return "backward";
    case OpPhase::kRecompute:
      return "recompute";
  }
  return "?";
}

const char* RecomputeName(Recompute r) {
  switch (r) {
    case Recompute::kNone:
      return "none";
    case Recompute::kSelective:
      return "selective";
    case Recompute::kFull:
      return "full";
  }
  return "?";
}

double OpList::Flops() const {
  double s = 0;
  for (const auto& o : ops) s += o.flops * o.count;
  return s;
}
double OpList::Bytes() const {
  double s = 0;
  for (const auto& o : ops) s += o.Bytes() * o.count;
  return s;
}
double OpList::CommBytes() const {
  double s = 0;
  for (const auto& o : ops) s += o.comm_bytes * o.count;
  return s;
}
double OpList::Kernels() const {
  double s = 0;
  for (const auto& o : ops) s += o.kernels * o.count;
  return s;
}
double OpList::FlopsOf(const std::string& name) const {
  double s = 0;
  for (const auto& o : ops) {
    if (o.name == name) s += o.flops * o.count;
  }
  return s;
}

int64_t KvHeadsPerGpu(const ModelCard& m, int tp) {
  return std::max<int64_t>(1, (m.kv_heads + tp - 1) / tp);
}

double LayerParameterCount(const ModelCard& m) {
  // The per-layer part of ParameterCount() (docs/catalog.md).
  const double h = static_cast<double>(m.hidden);
  const double q = static_cast<double>(m.heads) * m.head_dim;
  const double kv = static_cast<double>(m.kv_heads) * m.head_dim;
  const double f = static_cast<double>(m.ffn_hidden);
  const bool biases = m.architecture != Architecture::kLlama;
  double attention = h * q + 2 * h * kv + q * h;
  if (biases) attention += q + 2 * kv + h;
  const double mlp = biases ? 2 * h * f + f + h : 3 * h * f;
  const double norms = biases ? 4 * h : 2 * h;
  return attention + mlp + norms;
}

double EmbeddingParameterCount(const ModelCard& m) {
  const double h = static_cast<double>(m.hidden);
  double e = static_cast<double>(m.vocab) * h;
  if (m.architecture != Architecture::kLlama) e += static_cast<double>(m.max_context) * h;
  return e;
}

double HeadParameterCount(const ModelCard& m) {
  const double h = static_cast<double>(m.hidden);
  double head = m.tied_embeddings ? 0 : static_cast<double>(m.vocab) * h;
  if (m.architecture == Architecture::kGpt) head += 2 * h;
  if (m.architecture == Architecture::kLlama) head += h;
  if (m.architecture == Architecture::kBert) head += 2 * h + 2 * h + h * h + h;
  return head;
}

InferenceBatch InferenceBatch::Prefill(int64_t batch, int64_t prompt_len) {
  InferenceBatch b;
  b.prefill_tokens = batch * prompt_len;
  b.prefill_attention_pairs = batch * (prompt_len * (prompt_len + 1.0) / 2);
  b.prefill_seqs = batch;
  return b;
}

InferenceBatch InferenceBatch::Decode(int64_t batch, int64_t context_len) {
  InferenceBatch b;
  b.decode_seqs = batch;
  b.decode_context_tokens = batch * context_len;
  return b;
}

InferenceBatch InferenceBatch::Prompts(const std::vector<int64_t>& prompt_lens) {
  InferenceBatch b;
  for (int64_t s : prompt_lens) {
    if (s < 1) throw InputError("a prompt needs at least one token");
    b.prefill_tokens += s;
    b.prefill_attention_pairs += s * (s + 1.0) / 2;
    b.prefill_seqs += 1;
  }
  return b;
}

InferenceBatch InferenceBatch::Contexts(const std::vector<int64_t>& context_lens) {
  InferenceBatch b;
  for (int64_t c : context_lens) {
    if (c < 1) throw InputError("a decoding sequence attends to at least its new token");
    b.decode_seqs += 1;
    b.decode_context_tokens += c;
  }
  return b;
}

OpList TrainingMicroBatchOps(const ModelCard& m, const TrainingShape& shape, const OpOptions& opt) {
  if (shape.micro_batch < 1 || shape.seq_len < 1) {
    throw InputError("micro-batch size and sequence length must be at least 1");
  }
  const Dims d = MakeDims(m, opt);
  const Precision p = opt.precision;
  const int64_t rows = shape.micro_batch * shape.seq_len;
  const double norm_rows = opt.sequence_parallel ? double(rows) / d.tp : double(rows);
  const double L = static_cast<double>(d.layers);
  const bool flash = opt.flash_attention;

  OpList list;
  auto& ops = list.ops;
  // Embedding lookup (+ learned positions), vocabulary-parallel: an all-reduce joins the
  // rows each rank holds.
  if (opt.include_embedding) {
    ops.push_back(
        Elementwise("embedding", p, 1, rows * d.h, 2 * rows * d.h * d.bpe, rows * d.h * d.bpe));
    if (d.tp > 1) ops.push_back(AllReduce("embedding_allreduce", d, p, 1, rows * d.h * d.bpe));
  }
  const std::vector<Op> attention =
      flash ? std::vector<Op>{FlashTrainingAttention(d, p, shape.micro_batch, shape.seq_len)}
            : UnfusedTrainingAttention(d, p, shape.micro_batch, shape.seq_len);
  std::vector<Op> layer;
  AppendLayerForward(layer, d, p, rows, norm_rows, attention, OpPhase::kForward, L);
  ops.insert(ops.end(), layer.begin(), layer.end());

  std::vector<Op> head;
  if (opt.include_head) {
    head.push_back(Elementwise("final_norm", p, 1, 5 * norm_rows * d.h, 2 * norm_rows * d.h * d.bpe,
                               d.h * d.bpe));
    head.push_back(Gemm("lm_head", d, p, 1, rows, d.vt, static_cast<int64_t>(d.h)));
    // Vocabulary-parallel cross-entropy on fp32 logits, unfused: 38 bytes per logit forward
    // (transformer_ops.h), 14 backward.
    head.push_back(
        Elementwise("cross_entropy", Precision::kFp32, 1, 5.0 * rows * d.vt, 38.0 * rows * d.vt));
    head.back().kernels = 6;
    ops.insert(ops.end(), head.begin(), head.end());
  }

  // Backward, last op first (the order does not change the sum, but reads naturally).
  for (auto it = head.rbegin(); it != head.rend(); ++it) {
    for (auto& b : BackwardOf(*it, d, flash)) ops.push_back(b);
  }
  if (opt.include_head && d.tp > 1) {
    // The LM head's input is copied to every rank (column parallel): its gradient is summed.
    Op ar = AllReduce("lm_head_input_grad_allreduce", d, p, 1, rows * d.h * d.bpe);
    ar.phase = OpPhase::kBackward;
    ops.push_back(ar);
  }
  if (shape.recompute == Recompute::kFull) {
    std::vector<Op> again;
    AppendLayerForward(again, d, p, rows, norm_rows, attention, OpPhase::kRecompute, L);
    ops.insert(ops.end(), again.begin(), again.end());
  } else if (shape.recompute == Recompute::kSelective && !flash) {
    // FlashAttention's backward recomputes the scores anyway: selective recomputation then
    // costs nothing extra. Otherwise the attention core's kernels run again.
    for (Op a : attention) {
      a.count = L;
      a.phase = OpPhase::kRecompute;
      ops.push_back(a);
    }
  }
  for (auto it = layer.rbegin(); it != layer.rend(); ++it) {
    for (auto& b : BackwardOf(*it, d, flash)) ops.push_back(b);
  }
  if (d.tp > 1) {
    // The conjugates of the forward all-reduces: the gradients of the column-parallel inputs.
    for (const char* name : {"qkv_input_grad_allreduce", "mlp_input_grad_allreduce"}) {
      Op ar = AllReduce(name, d, p, L, rows * d.h * d.bpe);
      ar.phase = OpPhase::kBackward;
      ops.push_back(ar);
    }
  }
  if (opt.include_embedding) {
    ops.push_back(
        Elementwise("embedding_grad", p, 1, rows * d.h, rows * d.h * d.bpe, 2 * rows * d.h * 4.0));
    ops.back().phase = OpPhase::kBackward;
  }
  return list;
}

OpList InferenceStepOps(const ModelCard& m, const InferenceBatch& b, const OpOptions& opt) {
  if (b.prefill_tokens < 0 || b.decode_seqs < 0 || b.Tokens() < 1) {
    throw InputError("an inference step needs at least one token");
  }
  const Dims d = MakeDims(m, opt);
  const Precision p = opt.precision;
  const double bkv = BytesPerElement(opt.kv_precision);
  const int64_t rows = b.Tokens();
  const double L = static_cast<double>(d.layers);
  const double kv_width = 2.0 * d.kvt * d.d;  // K and V elements per token per layer

  std::vector<Op> attention;
  if (b.prefill_tokens > 0) {
    Op a;
    a.name = "prefill_attention";
    a.kind = OpKind::kAttention;
    a.precision = p;
    const double tokens = static_cast<double>(b.prefill_tokens);
    double pairs = b.prefill_attention_pairs;
    if (!d.causal) pairs *= 2;  // bidirectional: the full square
    a.activation_bytes = (2.0 * tokens * d.ht * d.d + tokens * kv_width) * d.bpe;
    if (opt.flash_attention) {
      a.kernels = 1;
    } else {
      pairs = 2 * b.prefill_attention_pairs;  // all s x s scores computed, then masked
      a.activation_bytes += 4.0 * pairs * d.ht * d.bpe;
      a.kernels = 3;
    }
    a.flops = 4.0 * pairs * d.ht * d.d;
    a.m = b.prefill_tokens * d.ht;
    a.n = static_cast<int64_t>(d.d);
    a.k = std::max<int64_t>(1, static_cast<int64_t>(pairs / tokens));
    attention.push_back(a);
  }
  if (b.decode_seqs > 0) {
    // One query per sequence against its whole cached context: reading the KV cache
    // dominates (paged attention).
    Op a;
    a.name = "decode_attention";
    a.kind = OpKind::kAttention;
    a.precision = p;
    const double ctx = static_cast<double>(b.decode_context_tokens);
    a.flops = 4.0 * ctx * d.ht * d.d;
    a.activation_bytes = 2.0 * b.decode_seqs * d.ht * d.d * d.bpe;
    a.kv_bytes = ctx * kv_width * bkv;
    a.m = b.decode_seqs * d.ht;
    a.n = static_cast<int64_t>(d.d);
    a.k = std::max<int64_t>(1, b.decode_context_tokens / b.decode_seqs);
    attention.push_back(a);
  }
  // Every new token's K and V are stored into the cache.
  attention.push_back(Elementwise("kv_cache_write", p, 1, 0, rows * kv_width * d.bpe));
  attention.back().kv_bytes = rows * kv_width * bkv;

  OpList list;
  auto& ops = list.ops;
  if (opt.include_embedding) {
    ops.push_back(
        Elementwise("embedding", p, 1, rows * d.h, 2 * rows * d.h * d.bpe, rows * d.h * d.bpe));
    if (d.tp > 1) ops.push_back(AllReduce("embedding_allreduce", d, p, 1, rows * d.h * d.bpe));
  }
  AppendLayerForward(ops, d, p, rows, static_cast<double>(rows), attention, OpPhase::kForward, L);
  if (opt.include_head) {
    // Only the last token of a completed prompt and each decoding sequence need logits.
    const int64_t logit_rows = std::max<int64_t>(1, b.prefill_seqs + b.decode_seqs);
    ops.push_back(Elementwise("final_norm", p, 1, 5.0 * logit_rows * d.h,
                              2.0 * logit_rows * d.h * d.bpe, d.h * d.bpe));
    ops.push_back(Gemm("lm_head", d, p, 1, logit_rows, d.vt, static_cast<int64_t>(d.h)));
  }
  return list;
}

}  // namespace fleetsim
