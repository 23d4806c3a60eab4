// The serving simulation of one inference service: requests arrive from a RequestStream,
// a router picks a replica, and each replica runs an inference engine's iteration loop
// (static, continuous or chunked-prefill batching) within its KV-cache capacity.
//
// Model of a replica:
//   - KV cache: counted in tokens; a sequence holds prompt + generated tokens, and the
//     admission / growth check adds one partially filled block per sequence (the most paged
//     allocation can waste), so usage is never understated.
//   - Admission (continuous): at an iteration boundary, waiting requests are admitted in
//     FIFO order while batch slots, the prefill token budget and the KV cache allow; their
//     prompts run in one prefill iteration, whose end is the first token (TTFT).
//   - Decode: one token per running sequence per iteration.
//   - KV full during decode: the most recently admitted sequence is preempted (vLLM's
//     recompute policy): its KV is dropped and it goes back to the front of the queue; on
//     re-admission its prompt and the tokens it already generated are prefilled again.
//   - Chunked prefill: every iteration runs all decodes plus prompt chunks up to the token
//     budget; a request whose last prompt chunk ran emits its first token at the end of that
//     iteration.
//
// Fast-forward: between membership changes, decode iterations differ only in the context
// length, which grows by the batch size each step. Runs of such iterations are computed in a
// loop without scheduling events, in chunks that grow while nothing interrupts them. The
// exact mode (`exact_steps`) tries to admit the head of the queue at every step boundary;
// the fast mode stops a run at the first boundary where that admission would succeed: an
// arrival that becomes the head and fits cuts the run at the end of the step in progress,
// and a run that starts with a head that fits after one step (a sequence just preempted)
// is one step long. Free KV only shrinks during a run, so no later boundary of it could
// admit anything. What others read mid-run (KvFree for routers, KvUsedTokens, BusyNs)
// counts the steps ended by now. Each iteration's duration is rounded up to a whole
// nanosecond individually in both modes, so the two modes produce the same numbers, bit for
// bit, except when an arrival falls on a step boundary to the nanosecond: the fast mode
// then admits it at that boundary, the exact mode at that boundary or the next one,
// depending on which of the two events was scheduled first.
//
// Memory is bounded by the requests in flight (a slab of request records reused), not by
// the number of requests simulated.
//
// Replicas come and go (autoscaling, scenarios/service_fleet.h): AddReplica makes a new one
// routable at once (the caller has already waited for its instance and its weights);
// DrainReplica stops routing to one, which finishes the requests it holds and then stops
// (OnReplicaStopped). Only routable ("active") replicas are offered to the router, in the
// order they became active, so a run is deterministic. Stopped slots are reused.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "models/serving/iteration_model.h"
#include "models/serving/routers.h"
#include "models/serving/service_config.h"
#include "models/serving/service_metrics.h"
#include "models/workload/arrivals.h"
#include "sim/simulator.h"

namespace fleetsim {

// Optional observer of what replicas do, for traces. Decode runs are reported as one
// interval of `steps` iterations (the fast-forward does not materialise single steps).
class ServiceObserver {
 public:
  enum class Phase { kPrefill, kDecode, kMixed };
  virtual ~ServiceObserver() = default;
  virtual void OnIteration(size_t replica, Phase phase, SimTime start, SimTime end,
                           int64_t sequences, int64_t steps) = 0;
  // The number of replicas running an iteration changed (at the current simulated time).
  virtual void OnBusyReplicas(int64_t /*busy*/) {}
  // Replica `replica` started (busy) or stopped running iterations; comes with OnBusyReplicas.
  virtual void OnReplicaBusy(size_t /*replica*/, bool /*busy*/) {}
  // A draining replica finished its last request and stopped (its GPUs are free).
  virtual void OnReplicaStopped(size_t /*replica*/) {}
  // A replica that just became active spent [start, end) loading its weights (reported by
  // the fleet that added it, for traces).
  virtual void OnWeightLoad(size_t /*replica*/, SimTime /*start*/, SimTime /*end*/) {}
};

struct ReplicaPerformance {
  const IterationTimeModel* iteration_time = nullptr;  // not owned; outlives the simulation
  int64_t kv_capacity_tokens = 0;                      // > 0
  // Swap preemption: seconds to copy one token of KV between a GPU and host memory (KV bytes
  // per token per GPU / host-link bytes per second; the GPUs of a replica copy in parallel).
  // Required (> 0) when batching.preemption is swap.
  double swap_seconds_per_token = 0;
};

class ServiceSim final : public EventHandler {
 public:
  // Preconditions (std::invalid_argument otherwise): replicas >= 0, at least one class,
  // a known router, positive limits, perf.iteration_time set and kv capacity > 0.
  ServiceSim(Simulator& sim, ServiceConfig config, ReplicaPerformance perf,
             std::unique_ptr<RequestStream> stream, RngStreams rng);

  // Schedules the first arrival. Call once before Simulator::Run.
  void Start();
  // Not owned; may be null (the default). Set before Start().
  void SetObserver(ServiceObserver* observer) { observer_ = observer; }
  // Requests waiting and running over all replicas, and KV tokens in use.
  int64_t Waiting() const;
  int64_t Running() const;
  int64_t KvUsedTokens() const;
  // Over the live (active + draining) replicas.
  int64_t KvCapacityTokens() const { return perf_.kv_capacity_tokens * LiveReplicas(); }

  // Dynamic replicas. AddReplica returns the new replica's index (a stopped slot is reused).
  // DrainReplica(r) requires r active (std::logic_error otherwise); it returns at once, and
  // OnReplicaStopped(r) follows when r is empty (maybe immediately, inside this call).
  // With no active replica (a service may start with none, or drain its last one: model
  // swapping), arrivals wait, counted as waiting, and go to the router, in arrival order,
  // when a replica is added.
  size_t AddReplica();
  void DrainReplica(size_t r);
  // The replica's GPUs are gone (a spot instance reclaimed): r (active or draining) stops at
  // once, without OnReplicaStopped (the caller knows). Tokens already generated are kept,
  // including the steps of a decode run in progress that ended by now; the iteration in
  // progress is lost, and so is every KV cache: each request it held goes back to the router
  // (ahead of later arrivals, in arrival order) and prefills its prompt plus the tokens it
  // generated again (recompute; KV swapped to the lost host is lost too). Counted in
  // metrics().rerouted.
  void KillReplica(size_t r);
  // The active replica holding the fewest requests (the cheapest to drain); the most
  // recently activated among equals.
  size_t LeastLoadedActive() const;
  int64_t ActiveReplicas() const { return static_cast<int64_t>(active_.size()); }
  // The active replicas' indices, in activation order, and what one holds (waiting + in its
  // batch).
  const std::vector<uint32_t>& ActiveReplicaIds() const { return active_; }
  int64_t Outstanding(size_t replica) const {
    return static_cast<int64_t>(replicas_[replica].waiting.size()) + InBatch(replicas_[replica]);
  }
  int64_t LiveReplicas() const { return static_cast<int64_t>(active_.size()) + draining_; }
  int64_t BusyReplicas() const { return busy_replicas_; }
  // Replica time spent in iterations up to now, summed over replicas: metrics().replica_busy_ns
  // plus the steps of decode runs in progress that have ended (what the exact mode has
  // counted by now). Read this, not the metric, while the simulation runs.
  int64_t BusyNs() const;

  const ServiceMetrics& metrics() const { return metrics_; }
  const ServiceConfig& config() const { return config_; }
  // Current load of each active replica, in active order (for routers and tests).
  std::vector<ReplicaLoad> Loads() const;
  // As Loads(), into a reused buffer, for the router: kv_free_tokens is filled only for a
  // router that reads it (RouterReadsKv).
  const std::vector<ReplicaLoad>& UpdateLoads();

  void HandleEvent(uint64_t tag) override;

 private:
  struct Request {
    double arrival_s = 0;
    int64_t prompt = 0;
    int64_t output = 0;
    int32_t klass = 0;
    int32_t priority = 0;  // of its class
    double first_token_s = -1;
    int64_t generated = 0;    // tokens generated before the current run on a replica
    int64_t prefilled = 0;    // chunked prefill progress of the current admission
    int64_t join_step = 0;    // replica step index when it started decoding
    bool swapped = false;     // its KV waits in host memory (swap preemption)
    int64_t finish_step = 0;  // step index at which its last token is produced
  };
  enum class State : uint8_t { kActive, kDraining, kStopped };
  struct Replica {
    State state = State::kActive;
    std::deque<uint32_t> waiting;   // request ids, FIFO
    std::vector<uint32_t> running;  // decoding, in admission order
    int64_t step = 0;               // decode steps completed
    int64_t context_sum = 0;        // sum of context lengths of running sequences
    int64_t next_finish_step = 0;   // min finish_step over running
    // The iteration or decode run in progress.
    bool busy = false;
    bool in_decode_run = false;
    SimTime run_start;
    int64_t run_steps = 0;  // decode steps in the scheduled run
    // End of each step of the decode run in progress (ns since the epoch, run_steps of them):
    // what has finished by now, without scheduling events for it. Reused between runs.
    std::vector<int64_t> step_end_ns;
    // Steps of that run known to have ended (a cursor: time only moves forward, so finding
    // the steps done by now is amortised O(1) per step instead of a search per query).
    mutable int64_t steps_ended = 0;
    EventId end_event;
    int64_t chunk = 1;                 // fast-forward chunk length, grows while uninterrupted
    std::vector<uint32_t> prefilling;  // admitted this iteration (prefill in progress)
    int64_t iteration_seqs = 0;        // sequences in the iteration in progress (observer)
    double pending_swap_s = 0;         // swap-outs to add to the next iteration
  };

  enum EventKind : uint64_t { kArrival = 0, kIterationEnd = 1 };

  void ScheduleNextArrival();
  void OnArrival();
  void OnIterationEnd(size_t replica);
  void Iterate(size_t r);  // decide and start the next iteration at an iteration boundary
  bool StartPrefill(size_t r);
  void StartDecodeRun(size_t r);
  void StartChunkedIteration(size_t r);
  void FinishDecodeSteps(size_t r, int64_t steps);
  void Complete(size_t r, uint32_t id, double t_s);
  void PreemptNewest(size_t r);  // the newest of the lowest priority
  // Into the waiting queue in priority order: behind its equals (arrivals), or ahead of them
  // (`front`: preempted requests resume first).
  void Enqueue(Replica& rep, uint32_t id, bool front);
  // Ends r's decode run at the boundary after `steps` steps, if that is before its end.
  void CutRunAfter(size_t r, int64_t steps);
  double StepSeconds(int64_t seqs, int64_t context_sum) const;
  // Sequences in r's batch: decoding, and prompts in their prefill iteration (what a router
  // counts as running).
  int64_t InBatch(const Replica& rep) const;
  // Steps of r's decode run that ended before now (0 outside a run): the exact mode has
  // processed their boundaries by now.
  int64_t StepsDone(const Replica& rep) const;
  // Free KV tokens after `steps` steps of the decode run in progress (or from now outside a
  // run), and now (counting the steps done so far).
  int64_t KvFreeAfter(const Replica& rep, int64_t steps) const;
  int64_t KvFree(const Replica& rep) const;
  // Whether the head of r's queue could be admitted at the boundary after `steps` more
  // decode steps of its current batch (the checks of StartPrefill / StartChunkedIteration).
  bool HeadAdmissibleAfter(const Replica& rep, int64_t steps) const;
  int64_t ContextOf(const Request& q, int64_t step) const;
  void RecomputeNextFinish(Replica& rep);
  uint32_t NewRequest();
  void FreeRequest(uint32_t id);
  uint64_t Tag(EventKind k, size_t replica) const { return (uint64_t{k} << 32) | replica; }
  void NoteBusy(bool was_busy, const Replica& rep);  // rep is an element of replicas_
  // To a replica (or rejected); the request is counted in flight. `front`: ahead of the
  // replica's waiting requests of its priority (a request moved off a lost replica).
  void Route(uint32_t id, bool front = false);
  void MaybeStop(size_t r);
  // After routing with defer_iterate_: starts every idle active replica that has work.
  void StartIdleReplicasWithWork();

  Simulator& sim_;
  ServiceConfig config_;
  ReplicaPerformance perf_;
  std::unique_ptr<RequestStream> stream_;
  Rng class_rng_;
  RouterFn router_;
  bool router_reads_kv_ = false;  // fill ReplicaLoad::kv_free_tokens for it
  uint64_t router_counter_ = 0;
  std::vector<double> class_cdf_;
  std::vector<Replica> replicas_;
  std::vector<uint32_t> active_;   // routable replicas, in activation order
  std::deque<uint32_t> unrouted_;  // arrived while no replica was active
  bool defer_iterate_ = false;     // AddReplica is routing the held requests
  int64_t draining_ = 0;
  int64_t busy_replicas_ = 0;
  std::vector<Request> requests_;
  std::vector<uint32_t> free_requests_;
  std::optional<RequestSpec> next_arrival_;
  std::vector<ReplicaLoad> loads_;  // reused by every routing decision: no allocation
  std::vector<double> step_s_;      // reused by every decode run: its step durations
  ServiceMetrics metrics_;
  ServiceObserver* observer_ = nullptr;
};

}  // namespace fleetsim
