// Flow-level network model: transfers are fluid flows on routed paths, sharing every
// directed link max-min fairly (SimGrid's LMM idea, restricted to the bandwidth-only case).
//
// A flow first waits its path latency (propagation and switching, paid once), then moves
// its bytes at its max-min fair rate. Rates are recomputed when flows join or leave, and
// only around the change (docs/network.md, "The incremental solve"): flows whose rate lies
// below a threshold the change provably cannot move are left alone, and the re-solved
// region grows from the changed links through saturated links to the flows they are the
// bottleneck of; a check of the max-min bottleneck condition at the region's edge keeps
// the result exact. Changes made at the same simulated instant are solved together once
// (a collective that starts 1,000 flows costs one solve; flows that completion handlers
// start join the solve of the departures).
//
// Progress is lazy: a flow stores (bytes left, rate, time of last rate change); nothing is
// advanced while rates stay the same. The model keeps ONE pending simulator event, at the
// earliest of: a flow finishing its latency, a flow finishing its bytes, or "now" when
// changes wait to be solved. A flow's completion is delivered as its own simulator event
// at the completion instant (the handler + tag given to StartFlow, or a closure).
//
// Deterministic: every order depends on link ids, flow start order and list positions that
// follow from the call sequence; no pointer or hash order is used.
//
// Not here: routing (the Fabric gives routes), collectives (collectives.h), packets,
// congestion control, in-network reduction.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "models/network/radix_heap.h"
#include "sim/simulator.h"
#include "sim/time.h"
#include "topologies/link_types.h"

namespace fleetsim {

// Identifies one flow; stale once the flow completed or was cancelled.
struct FlowId {
  uint32_t slot = std::numeric_limits<uint32_t>::max();
  uint32_t generation = 0;
  bool valid() const { return slot != std::numeric_limits<uint32_t>::max(); }
  friend bool operator==(FlowId, FlowId) = default;
};

// What one directed link has carried and carries now. Bytes are the time integral of the
// link's load (the sum of its flows' rates) up to the query time.
struct LinkUsage {
  double capacity_bytes_per_s = 0;
  double load_bytes_per_s = 0;  // sum of the current rates of the flows on the link
  double bytes_carried = 0;     // integral of the load since the model was created
  uint32_t flows = 0;           // flows currently transferring over the link
  double utilization() const { return load_bytes_per_s / capacity_bytes_per_s; }
};

// Counters for benchmarks and traces: how much work the incremental solver did.
struct NetworkStats {
  uint64_t flows_started = 0;
  uint64_t flows_completed = 0;
  uint64_t flows_cancelled = 0;
  uint64_t solves = 0;           // incremental max-min solves (one per batch of changes)
  uint64_t links_visited = 0;    // summed over solves
  uint64_t flows_rerated = 0;    // flows whose rate the solves recomputed, summed
  uint64_t rates_changed = 0;    // of those, flows whose rate actually changed
  uint64_t entries_scanned = 0;  // (link, flow) incidences read, summed over solves
  uint64_t extra_rounds = 0;     // solves repeated after a failed bottleneck check
  uint64_t full_fallbacks = 0;   // solves that fell back to the whole component
};

class NetworkModel final : private EventHandler {
 public:
  // Copies each link's bandwidth; `fabric` must outlive the model (routes are read from it
  // by callers, not stored). Throws std::invalid_argument if a link's bandwidth is not a
  // positive finite number. The model must outlive every Run of `sim` while flows are in
  // flight (its events point at it).
  NetworkModel(Simulator& sim, const Fabric& fabric);
  ~NetworkModel();
  NetworkModel(const NetworkModel&) = delete;
  NetworkModel& operator=(const NetworkModel&) = delete;

  // Starts a flow of `bytes` over `route` (waits route.latency, then transfers). On
  // completion, handler->HandleEvent(tag) runs as a simulator event at the completion
  // instant (allocation-free path). A route with no links is a local copy: it completes
  // after its latency, without using bandwidth. Throws std::invalid_argument for negative
  // or non-finite bytes and std::out_of_range for a link id outside the fabric.
  FlowId StartFlow(const Route& route, double bytes, EventHandler* handler, uint64_t tag = 0);
  FlowId StartFlow(const Route& route, double bytes, std::function<void()> on_done);
  // As above with an explicit link list and latency (collectives add pipeline latency
  // terms to a route's own latency this way). `links` is copied.
  FlowId StartFlow(std::span<const LinkId> links, Duration latency, double bytes,
                   EventHandler* handler, uint64_t tag = 0);
  FlowId StartFlow(std::span<const LinkId> links, Duration latency, double bytes,
                   std::function<void()> on_done);

  // Removes a flow without running its completion. Returns false if it already completed
  // or was cancelled. The bytes it moved so far stay counted on its links.
  bool CancelFlow(FlowId id);

  // Solves pending changes now (queries do this themselves). Cheap when nothing changed.
  void Flush();

  // ---- queries (each solves pending changes first) ----
  bool IsInFlight(FlowId id) const;
  // Current rate in bytes/s; 0 while the flow waits its latency or once it is gone.
  double RateOf(FlowId id);
  // Bytes still to move; the full size while the flow waits its latency, 0 once it is gone.
  double RemainingBytes(FlowId id);
  size_t flows_in_flight() const { return in_flight_; }
  size_t link_count() const { return links_.size(); }
  LinkUsage Usage(LinkId link);
  const NetworkStats& stats() const { return stats_; }

  // Test hook: checks the max-min conditions on the current rates (every link within
  // capacity; every transferring flow crosses a saturated link on which no flow has a
  // larger rate). Returns an empty string if they hold, else a description of the first
  // violation. `rel_tol` is relative to the link capacity. O(flows x path length).
  std::string CheckMaxMinConditions(double rel_tol = 1e-9);

 private:
  enum class State : uint8_t { kFree, kLatency, kActive };
  struct Hop {
    LinkId link;
    uint32_t pos;  // index of this flow's entry in the link's flow list
  };
  struct LinkEntry {
    uint32_t flow;  // flow slot
    uint32_t hop;   // index into that flow's path
    double rate;    // copy of rate_[flow]: the solver's scans read the list sequentially
  };
  struct Flow {
    uint32_t path_len = 0;  // hops at hops_[slot * stride_ ...]
    double size = 0;        // bytes requested
    double remaining = 0;   // bytes left at `updated`
    int64_t updated_ns = 0;
    EventHandler* handler = nullptr;
    uint64_t tag = 0;
    uint32_t closure = kNoClosure;  // index into closures_ when completed by a closure
    uint32_t generation = 0;
    State state = State::kFree;
    static constexpr uint32_t kNoClosure = std::numeric_limits<uint32_t>::max();
  };
  struct Link {
    double capacity = 0;
    double load = 0;   // sum of flow rates as of the last solve touching this link
    double bytes = 0;  // integral of load up to since_ns
    int64_t since_ns = 0;
  };
  struct LinkScratch {       // the solver's per-link state, kept apart from the cold fields
    double residual = 0;     // capacity left to the unfixed region flows
    double level = -1;       // share at which the filling fixed flows here; -1 if none
    double region_load = 0;  // old rates of the region flows crossing it
    uint32_t unfixed = 0;
    uint32_t region_flows = 0;
    uint32_t mark = 0;      // == epoch_: touched by the current solve
    uint32_t expanded = 0;  // == epoch_: its top flows (at least) were taken in
    uint32_t full = 0;      // == epoch_: all its candidates were taken in
  };

  // Min-heap of flow slots on (key_ns_, seq_): the next transition of every flow that has
  // one (end of latency, or completion).
  void HeapPush(uint32_t f);
  void HeapRemove(uint32_t f);
  void HeapFix(uint32_t f);
  void HeapSiftUp(size_t i);
  void HeapSiftDown(size_t i);
  void HeapRebuild();
  bool HeapLess(uint32_t a, uint32_t b) const {
    return key_ns_[a] < key_ns_[b] || (key_ns_[a] == key_ns_[b] && seq_[a] < seq_[b]);
  }

  FlowId Start(std::span<const LinkId> links, Duration latency, double bytes, EventHandler* handler,
               uint64_t tag, uint32_t closure);
  uint32_t AllocateSlot();
  void Join(uint32_t f);      // latency over: attach to links, mark for solve
  void Detach(uint32_t f);    // leave the links, mark them for solve
  void Complete(uint32_t f);  // deliver the completion, free the slot
  void FreeSlot(uint32_t f);
  void Solve();  // the incremental max-min solve
  void SetRate(uint32_t f, double rate, int64_t now_ns);
  void SetEntryRates(uint32_t f, double rate);
  void VisitLink(LinkId l);
  void QueueExpansion(LinkId l, bool full);
  void ExpandLink(LinkId l);
  void TakeIn(uint32_t f, double rate);
  void Integrate(Link& link, int64_t now_ns);
  int64_t CompletionKey(uint32_t f, int64_t now_ns) const;
  double RemainingAt(uint32_t f, int64_t now_ns) const;
  void Reschedule();
  void HandleEvent(uint64_t tag) override;
  const Flow* Lookup(FlowId id) const;
  std::span<Hop> Path(uint32_t f) {
    return {hops_.data() + size_t{f} * stride_, flows_[f].path_len};
  }
  std::span<const Hop> Path(uint32_t f) const {
    return {hops_.data() + size_t{f} * stride_, flows_[f].path_len};
  }
  void Restride(uint32_t min_hops);

  Simulator& sim_;
  std::vector<Link> links_;
  std::vector<LinkScratch> scratch_;
  std::vector<std::vector<LinkEntry>> link_flows_;

  std::vector<Flow> flows_;
  // Every slot's path in one flat array, `stride_` hops per slot (grown, rarely, when a
  // longer route arrives): the solver walks paths without chasing a pointer per flow.
  std::vector<Hop> hops_;
  uint32_t stride_ = 8;
  // Hot per-flow fields kept dense for the solver's scans.
  std::vector<double> rate_;    // +inf while waiting for its first solve; 0 in latency
  std::vector<uint32_t> mark_;  // 2 * epoch_: free in the current solve; 2 * epoch_ + 1: fixed
  std::vector<double> new_rate_;
  std::vector<int64_t> key_ns_;
  std::vector<uint64_t> seq_;
  std::vector<uint32_t> heap_pos_;
  std::vector<uint32_t> heap_;
  std::vector<uint32_t> free_slots_;
  std::vector<std::function<void()>> closures_;
  std::vector<uint32_t> free_closures_;
  uint64_t next_seq_ = 0;
  size_t in_flight_ = 0;

  // Changes waiting for the next solve.
  bool dirty_ = false;
  std::vector<LinkId> seed_links_;
  std::vector<uint32_t> joined_;  // flows attached since the last solve (rate +inf)
  double removed_min_rate_ = std::numeric_limits<double>::infinity();

  // Solver scratch, reused.
  uint32_t epoch_ = 0;
  std::vector<LinkId> visit_links_;
  std::vector<LinkId> expand_queue_;
  std::vector<LinkId> check_links_;
  double cut_ = 0;
  bool expand_all_ = false;
  std::vector<uint32_t> free_flows_;
  RadixHeap link_heap_;
  std::vector<uint32_t> changed_;

  // The one pending wake-up event.
  EventId wake_;
  SimTime wake_time_ = SimTime::Max();

  NetworkStats stats_;
  std::shared_ptr<NetworkModel*> alive_;  // lets the stall check outlive the model safely
};

}  // namespace fleetsim
