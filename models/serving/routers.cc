#include "models/serving/routers.h"

namespace fleetsim {

namespace {

// Ties go to the lowest index: deterministic.
template <class Key>
size_t ArgMin(const std::vector<ReplicaLoad>& r, Key key) {
  size_t best = 0;
  for (size_t i = 1; i < r.size(); ++i) {
    if (key(r[i]) < key(r[best])) best = i;
  }
  return best;
}

size_t RoundRobin(const std::vector<ReplicaLoad>& r, uint64_t& counter) {
  return static_cast<size_t>(counter++ % r.size());
}

size_t LeastOutstanding(const std::vector<ReplicaLoad>& r, uint64_t&) {
  return ArgMin(r, [](const ReplicaLoad& x) { return x.waiting + x.running; });
}

size_t ShortestQueue(const std::vector<ReplicaLoad>& r, uint64_t&) {
  return ArgMin(r, [](const ReplicaLoad& x) { return x.waiting; });
}

size_t KvAware(const std::vector<ReplicaLoad>& r, uint64_t&) {
  // Most free KV cache first; among equals, the shorter queue.
  return ArgMin(r, [](const ReplicaLoad& x) {
    return std::pair<int64_t, int64_t>(-x.kv_free_tokens, x.waiting);
  });
}

}  // namespace

bool RouterReadsKv(RouterFn router) { return router == KvAware; }

const Registry<RouterFn>& Routers() {
  static const Registry<RouterFn> registry = [] {
    Registry<RouterFn> r("router");
    r.Add({"round_robin", "replicas in turn, ignoring load", "", RoundRobin});
    r.Add({"least_outstanding", "the replica with the fewest requests waiting or running", "",
           LeastOutstanding});
    r.Add({"shortest_queue", "the replica with the fewest requests waiting", "", ShortestQueue});
    r.Add({"kv_aware", "the replica with the most free KV cache (then the shortest queue)", "",
           KvAware});
    return r;
  }();
  return registry;
}

}  // namespace fleetsim
