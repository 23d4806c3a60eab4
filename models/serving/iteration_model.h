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
};

}  // namespace fleetsim
