#include "models/serving/service_config.h"

namespace fleetsim {

const Registry<BatchingConfig::Mode>& BatchingModes() {
  using Mode = BatchingConfig::Mode;
  static const Registry<Mode> registry = [] {
    Registry<Mode> r("batching mode");
    r.Add({"static",
           "a batch forms when the replica is idle; no request joins until all of it finished",
           "max_batch, max_batched_tokens (prefill), kv_block, max_waiting, preemption",
           Mode::kStatic});
    r.Add({"continuous",
           "iteration-level scheduling (Orca, vLLM): waiting requests join at any iteration "
           "boundary in a prefill iteration",
           "max_batch, max_batched_tokens (prefill), kv_block, max_waiting, preemption",
           Mode::kContinuous});
    r.Add({"chunked",
           "chunked prefill (Sarathi-Serve, vLLM V1): every iteration runs all decodes plus "
           "prompt chunks up to the token budget",
           "max_batch, max_batched_tokens (the token budget of every iteration), kv_block, "
           "max_waiting, preemption",
           Mode::kChunked});
    return r;
  }();
  return registry;
}

}  // namespace fleetsim
