// The configuration of one inference service in the serving simulation.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/registry.h"

namespace fleetsim {

struct RequestClass {
  std::string name;
  double weight = 1.0;               // share of synthetic arrivals (traces name the class)
  std::optional<double> ttft_slo_s;  // time-to-first-token target
  std::optional<double> tpot_slo_s;  // time-per-output-token target
  // Admission order and preemption (docs/serving.md, "Priorities"): higher first; within a
  // priority, first come first served. Lower-priority work runs on what higher leaves idle.
  int32_t priority = 0;
};

struct BatchingConfig {
  // static:     a batch is formed when the replica is idle; no request joins until all of
  //             its requests finished (the pre-Orca way).
  // continuous: iteration-level scheduling (Orca, vLLM): waiting requests are admitted at
  //             any iteration boundary; a prefill iteration runs the admitted prompts, decode
  //             iterations run one token for every running sequence.
  // chunked:    chunked prefill (Sarathi-Serve, vLLM V1): every iteration runs all decodes
  //             plus prompt chunks up to the token budget.
  enum class Mode { kStatic, kContinuous, kChunked };
  Mode mode = Mode::kContinuous;
  int64_t max_batch = 256;            // sequences per replica batch
  int64_t max_batched_tokens = 8192;  // tokens per iteration (prefill; chunked: all)
  int64_t kv_block_tokens = 16;       // paged-KV block size
  int64_t max_waiting = -1;           // queue bound per replica; -1 = unbounded
  // What happens to a sequence evicted when the KV cache is full (vLLM's preemption modes):
  // recompute drops its KV and prefills prompt + generated tokens again on re-admission;
  // swap copies its KV to host memory over the host link and back (docs/serving.md).
  enum class Preemption { kRecompute, kSwap };
  Preemption preemption = Preemption::kRecompute;
};

// The batching modes by their scenario names (`batching.mode`, `fleetsim list batching`);
// the factory is the mode.
const Registry<BatchingConfig::Mode>& BatchingModes();

struct ServiceConfig {
  std::string name = "service";
  std::vector<RequestClass> classes;  // at least one
  BatchingConfig batching;
  std::string router = "least_outstanding";
  int64_t replicas = 1;
  // One event per iteration instead of fast-forwarding runs of decode iterations. Results
  // are identical (tested); this mode exists to show it and for debugging.
  bool exact_steps = false;
};

}  // namespace fleetsim
