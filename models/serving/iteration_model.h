// What one iteration of an inference engine costs: the interface between the serving
// simulation (which decides what goes into each iteration) and the execution model (which
// times it from the model card and the hardware: models/compute/).
#pragma once

#include <cstdint>

namespace fleetsim {

// The work of one engine iteration (one forward pass over a batch).
struct IterationShape {
  int64_t prefill_tokens = 0;  // prompt tokens processed (whole prompts or chunks)
  // Sum over prefill chunks of the query-key pairs attention computes: a chunk of c tokens
  // after p cached tokens costs c*p + c*(c+1)/2 (causal).
  double prefill_attention_pairs = 0;
  int64_t decode_seqs = 0;            // sequences producing one token each
  int64_t decode_context_tokens = 0;  // sum of their context lengths (KV cache read)
};

class IterationTimeModel {
 public:
  virtual ~IterationTimeModel() = default;
  // Wall time of the iteration in seconds, > 0 for any non-empty shape. Must be a pure
  // function of the shape: the fast-forward and exact modes rely on it.
  virtual double Seconds(const IterationShape& shape) const = 0;
  // The durations of `steps` decode-only iterations of `seqs` sequences whose total context
  // starts at `context` and grows by `seqs` a step: out[j] = Seconds({decode_seqs = seqs,
  // decode_context_tokens = context + j x seqs}), bit for bit. A model may compute a run
  // faster than step by step (DecodeTimeCache walks its table).
  virtual void DecodeRun(int64_t seqs, int64_t context, int64_t steps, double* out) const {
    IterationShape s;
    s.decode_seqs = seqs;
    for (int64_t j = 0; j < steps; ++j) {
      s.decode_context_tokens = context + j * seqs;
      out[j] = Seconds(s);
    }
  }
};

}  // namespace fleetsim
