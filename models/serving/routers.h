// Routers: which replica an arriving request goes to (`fleetsim list routers`).
#pragma once

#include <cstdint>
#include <vector>

#include "sim/registry.h"

namespace fleetsim {

// What a router may look at: a read-only summary of each replica.
struct ReplicaLoad {
  int64_t waiting = 0;         // requests queued
  int64_t running = 0;         // sequences in the batch (decoding, or prompts being prefilled)
  int64_t kv_free_tokens = 0;  // KV capacity not in use
};

// Returns the replica index. `counter` is the router's own state (round robin).
using RouterFn = size_t (*)(const std::vector<ReplicaLoad>& replicas, uint64_t& counter);
const Registry<RouterFn>& Routers();
// Whether `router` reads ReplicaLoad::kv_free_tokens; the engine fills that field only for
// such routers (finding the free KV of a replica mid-run costs more than its queue length).
bool RouterReadsKv(RouterFn router);

}  // namespace fleetsim
