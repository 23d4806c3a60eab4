// What a serving simulation measures, per request class and overall, in constant memory.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/stats/histogram.h"

namespace fleetsim {

struct LatencyStats {
  LogHistogram ttft_s;  // arrival -> first output token
  LogHistogram tpot_s;  // (finish - first token) / (output tokens - 1), requests with > 1 token
  LogHistogram e2e_s;   // arrival -> last output token
  uint64_t completed = 0;
  uint64_t slo_met = 0;  // completed requests meeting every SLO of their class (goodput)
  uint64_t output_tokens = 0;
};

struct ServiceMetrics {
  uint64_t arrived = 0;
  uint64_t completed = 0;
  uint64_t rejected = 0;        // never admitted: prompt larger than a replica's KV, or queue full
  uint64_t preemptions = 0;     // sequences evicted from the KV cache (recomputed or swapped)
  uint64_t swapped_tokens = 0;  // KV tokens copied to host memory by swap preemption
  uint64_t rerouted = 0;        // requests moved off a replica that was lost (KillReplica)
  uint64_t in_flight = 0;       // waiting or running now
  uint64_t prompt_tokens = 0;   // of completed requests
  uint64_t output_tokens = 0;   // of completed requests
  uint64_t iterations = 0;      // engine iterations run, all replicas
  int64_t replica_busy_ns = 0;  // summed over replicas: time spent in iterations (exact)
  LatencyStats overall;
  std::vector<LatencyStats> by_class;  // in the service's class order

  // Every request is accounted for: arrived = completed + rejected + in flight.
  bool Balanced() const { return arrived == completed + rejected + in_flight; }
};

}  // namespace fleetsim
