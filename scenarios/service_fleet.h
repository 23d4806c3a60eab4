// The elastic part of a run: pools of GPUs that cost money, and the services and training
// jobs holding GPUs from them.
//
// PoolLedger tracks one scenario pool during a run: how many GPUs its consumers hold, how
// many instances (cloud) back them, and tells the cost model (models/pricing/cost_model.h)
// every change, in time order. Cloud pools provision whole instances on demand (billing
// starts at the request; usable after the pool's start-up time) and release an instance as
// soon as a whole instance's GPUs are free again (most recent first). A pool's cap
// (max_instances) bounds the instances held at once; a request beyond it fails, and the
// ledger asks for the shortfall of capacity once, usable after the pool's capacity lead time
// (scarce GPUs). Owned pools hold a fixed number of servers from t = 0.
//
// ServiceFleet runs one service's replica count: fixed, or driven by an Autoscaler every
// interval. A new replica needs tensor_parallel x pipeline_parallel GPUs from the pool; it
// becomes routable when its instance is ready plus the time to load its weights (bytes per
// GPU / load bandwidth, all GPUs of the replica in parallel; with pipeline stages, the
// largest stage's bytes). A replica removed is drained (no new requests; it
// finishes those it holds) and its GPUs are returned when it stops. The replicas of the
// initial count are ready at t = 0: the fleet was warm when the simulated window begins.
//
// GPU busy time, for energy and for splitting a pool's cost among its consumers, is the
// time a replica runs an iteration (a training job: the time it holds its GPUs).
//
// A service takes its replicas from a list of pools in order of preference (`pool: [a, b]`;
// `burst_pool` appends one): a replica comes from the first pool that can provide it, and
// scale-down drains the replicas of the last pools first.
//
// Spot pools (plan spot): the ledger runs the pool's availability process (models/pricing/
// spot.h, stream "spot/<pool>"). At an interruption's notice the pool stops provisioning
// until capacity returns, and the ledger tells the holder of every claim on an instance
// that will be hit (ClaimHolder::OnSpotNotice); at the reclaim it takes those GPUs back
// (OnClaimLost), billing of the instances hit stops (CostModel::OnInterrupt), and instances
// left empty are released. A service drains a replica at its notice and asks its pools for
// a replacement at once (the fleet may hold both for up to the notice time); a replica still
// holding requests at the reclaim is killed and its requests go back to the router
// (ServiceSim::KillReplica). A fixed-size service retries a replacement it could not get
// whenever one of its pools can provision again; an autoscaled one leaves that to its
// autoscaler. A training job (TrainingLease) writes an emergency checkpoint at the notice
// when the write fits before the reclaim, stops at the reclaim (losing the work since its
// last checkpoint), waits until its pool can provision again, takes new instances (start-up
// time), restarts (restart time) and resumes.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/pricing/cost_model.h"
#include "models/pricing/spot.h"
#include "models/serving/autoscaler.h"
#include "models/serving/service_sim.h"
#include "models/training/training_job.h"
#include "scenarios/scenario.h"
#include "sim/simulator.h"

namespace fleetsim {

// GPUs taken from a pool by one replica or job: which units (instances or servers) hold
// them, and how many on each.
class PoolLedger;

struct GpuClaim {
  std::vector<std::pair<size_t, int64_t>> parts;  // (unit slot, GPUs)
  SimTime ready;                                  // usable from
  PoolLedger* from = nullptr;                     // the pool that holds them
  uint64_t id = 0;                                // unique within its pool, from 1
};

// Who holds claims on a spot pool, told when capacity goes away (service_fleet.h, top).
class ClaimHolder {
 public:
  virtual ~ClaimHolder() = default;
  // The provider's notice: claim `claim_id` of `pool` (ids are unique within a pool only)
  // is taken back at `reclaim` (>= now). The holder may Release the claim now.
  virtual void OnSpotNotice(const PoolLedger& pool, uint64_t claim_id, SimTime reclaim) = 0;
  // The claim's GPUs are gone now: the holder sets its busy GPUs on the pool down and forgets
  // the claim (it must not Release it: the ledger frees it after this call).
  virtual void OnClaimLost(const PoolLedger& pool, uint64_t claim_id) = 0;
  // A spot pool the holder listens to (PoolLedger::Listen) can provision again.
  virtual void OnPoolAvailable() {}
};

struct SpotStats {
  int64_t interruptions = 0;        // notices (each one hits some or all instances)
  int64_t instances_hit = 0;        // instances running at a notice and named by it
  int64_t instances_reclaimed = 0;  // of those, still running at the reclaim (taken back)
  double unavailable_s = 0;         // time the pool could not provision (notice to return)
};

class PoolLedger final : public EventHandler {
 public:
  PoolLedger(const PricedPool& spec, CostModel& costs, CostModel::PoolId id);

  // Takes `gpus` GPUs at the current time. A claim that fits one unit stays on one unit
  // (first fit by slot, else a new instance); a larger one takes whole empty units. The claim is
  // usable when every unit it uses is (now, or when new instances finish starting). nullopt when
  // the cap (cloud) or the servers (owned) do not allow it, or a spot pool cannot provision
  // now. `holder` (may be null for pools that are not spot) hears of spot interruptions.
  std::optional<GpuClaim> Acquire(int64_t gpus, SimTime now, ClaimHolder* holder = nullptr);
  // Takes GPUs that are usable at once (the warm start at t = 0); as Acquire otherwise.
  std::optional<GpuClaim> AcquireWarm(int64_t gpus, SimTime now, ClaimHolder* holder = nullptr);
  // Returns a claim's GPUs; a cloud instance left with no GPU in use is released.
  void Release(const GpuClaim& claim, SimTime now);
  void SetBusy(const std::string& consumer, int64_t gpus, SimTime now);

  // Spot pools: starts the availability process (stream "spot/<pool>" of the run). Call once,
  // before the simulation runs; nothing for other pools.
  void StartSpot(Simulator& sim);
  bool is_spot() const { return spot_.has_value(); }
  // Whether new instances can be provisioned now (always, except a spot pool between an
  // interruption's notice and the return of capacity).
  bool available() const { return available_; }
  // `holder` hears OnPoolAvailable when this spot pool can provision again.
  void Listen(ClaimHolder* holder);
  const SpotStats& spot_stats() const { return spot_stats_; }
  // Closes the unavailable-time integral at `t`.
  void Finish(SimTime t);
  // EventHandler: tag 0 = notice, 1 = reclaim, 2 = capacity returns.
  void HandleEvent(uint64_t tag) override;

  const PricedPool& spec() const { return *spec_; }
  CostModel::PoolId id() const { return id_; }
  int64_t gpus_held() const { return held_; }
  int64_t units() const;  // instances running (cloud) or servers (owned)
  int64_t busy_gpus() const { return busy_total_; }
  int64_t shortfalls() const { return shortfalls_; }

 private:
  std::optional<GpuClaim> Take(int64_t gpus, SimTime now, bool warm, ClaimHolder* holder);
  void OnNotice();
  void OnReclaim();
  void OnAvailable();
  // Frees a claim's GPUs; units left empty are released (billing stops), except, while
  // `reclaiming`, the doomed ones (the provider takes them).
  void Free(const std::vector<std::pair<size_t, int64_t>>& parts, SimTime now,
            bool reclaiming = false);

  struct Unit {
    bool live = false;                 // held (cloud: running); slots are reused
    CostModel::InstanceId instance{};  // cloud
    int64_t used = 0;                  // GPUs claimed
    SimTime ready;
    bool doomed = false;  // hit by the spot interruption whose notice came
  };
  struct HeldClaim {
    uint64_t id;
    ClaimHolder* holder;
    std::vector<std::pair<size_t, int64_t>> parts;
  };
  const PricedPool* spec_;
  CostModel* costs_;
  CostModel::PoolId id_;
  int64_t held_ = 0;
  int64_t busy_total_ = 0;
  std::vector<std::pair<std::string, int64_t>> busy_;  // by consumer
  std::vector<Unit> units_;                            // first fit goes by slot
  int64_t shortfalls_ = 0;
  std::optional<SimTime> capacity_requested_until_;
  uint64_t next_claim_id_ = 1;
  // Spot pools only.
  Simulator* sim_ = nullptr;
  std::optional<SpotAvailability> spot_;
  SpotInterruption current_;       // the interruption whose notice came last
  std::vector<HeldClaim> claims_;  // claims with a holder
  std::vector<ClaimHolder*> listeners_;
  bool available_ = true;
  SimTime unavailable_since_;
  SpotStats spot_stats_;
};

class SwapGroup;

struct FleetStats {
  int64_t swaps_in = 0;        // replicas that took over GPUs of another model (swap group)
  int64_t swaps_out = 0;       // replicas drained to give their GPUs to another model
  int64_t scale_ups = 0;       // replicas requested
  int64_t scale_downs = 0;     // replicas drained
  int64_t shortfalls = 0;      // replicas the pool could not provide when asked
  int64_t peak_replicas = 0;   // live (ready + draining) at most
  double replica_seconds = 0;  // integral of live replicas over time
  int64_t spot_notices = 0;    // replicas drained (or starting ones given up) at a spot notice
  int64_t replicas_lost = 0;   // replicas killed by a spot reclaim (requests rerouted)
  int64_t replacements = 0;    // replicas requested to replace those of a spot notice or loss
};

class ServiceFleet final : public ServiceObserver, public EventHandler, public ClaimHolder {
 public:
  // `pools`: in order of preference (empty: an unpriced service, fixed replicas). `trace` may
  // be null.
  ServiceFleet(Simulator& sim, const ServiceSpec& spec, ServiceSim& service,
               std::vector<PoolLedger*> pools, double weights_bytes_per_gpu,
               ServiceObserver* trace);

  // Takes the initial replicas' GPUs (warm) and schedules the first autoscaling decision.
  // Throws InputError when the pool cannot hold the initial replicas.
  void Start();
  // Closes the replica-seconds integral at `t`.
  void Finish(SimTime t);

  // Model swapping: the fleet lends and borrows replicas' GPUs within its group.
  void SetSwapGroup(SwapGroup* group) { group_ = group; }
  int64_t Outstanding() const { return service_.Waiting() + service_.Running(); }
  int64_t Slots() const { return service_.ActiveReplicas() + starting_; }
  // Drains the least loaded replica; its GPUs go to the group when it stops.
  void GiveSlot();
  // Starts a replica on GPUs handed over by another model: ready after the weight load.
  void TakeSlot(std::optional<GpuClaim> claim);

  int64_t ready() const { return service_.ActiveReplicas(); }
  int64_t starting() const { return starting_; }
  int64_t live() const { return service_.LiveReplicas(); }
  const FleetStats& stats() const { return stats_; }
  double weights_load_s() const { return load_s_; }

  // ServiceObserver
  void OnIteration(size_t replica, Phase phase, SimTime start, SimTime end, int64_t sequences,
                   int64_t steps) override;
  void OnReplicaBusy(size_t replica, bool busy) override;
  void OnReplicaStopped(size_t replica) override;
  // EventHandler: tag 0 = decision; tag 1 + k = the starting replica of pending_[k] is ready.
  void HandleEvent(uint64_t tag) override;
  // ClaimHolder (spot pools)
  void OnSpotNotice(const PoolLedger& pool, uint64_t claim_id, SimTime reclaim) override;
  void OnClaimLost(const PoolLedger& pool, uint64_t claim_id) override;
  void OnPoolAvailable() override;

 private:
  void Decide();
  // Replica-seconds up to now, over live_ (not ServiceSim::LiveReplicas(): a draining
  // replica no longer counts there when OnReplicaStopped reports its stop, yet it was live
  // until now).
  void Account();
  void StartReplica(std::optional<GpuClaim> claim, SimTime ready);
  std::optional<GpuClaim> Acquire(bool warm);  // the pools in order of preference
  // A replica to replace one lost to spot: from the pools now, else (fixed size) later.
  void Replace();
  size_t ReplicaToDrain() const;  // replicas of the last pools first, then the least loaded
  int64_t& BusyOn(const PoolLedger* pool);
  // The replica (claims_) or starting replica (pending_) holding claim `id` of `from`.
  std::optional<size_t> ReplicaWithClaim(uint64_t id, const PoolLedger* from) const;
  std::optional<size_t> PendingWithClaim(uint64_t id, const PoolLedger* from) const;
  void AbandonPending(size_t k, bool release);

  Simulator& sim_;
  const ServiceSpec& spec_;
  ServiceSim& service_;
  std::vector<PoolLedger*> pools_;
  std::vector<int64_t> busy_on_;  // busy replicas on each pool
  int64_t deficit_ = 0;           // fixed size: replacements still to get
  std::vector<char> busy_flag_;   // by replica index
  ServiceObserver* trace_;
  std::optional<Autoscaler> scaler_;
  SwapGroup* group_ = nullptr;
  int64_t handover_ = 0;                         // draining replicas whose GPUs go to another model
  std::vector<std::optional<GpuClaim>> claims_;  // by replica index
  std::vector<std::optional<GpuClaim>> pending_;  // starting replicas' claims (slots reused)
  std::vector<EventId> pending_ready_;            // their ready events
  double load_s_ = 0;
  int64_t starting_ = 0;
  int64_t live_ = 0;  // replicas ready or draining, as of the last Account()
  FleetStats stats_;
  SimTime last_account_;
  // Previous decision's counters, for per-interval deltas.
  uint64_t last_completed_ = 0, last_slo_met_ = 0;
  int64_t last_busy_ns_ = 0;
};

// Services whose replicas share one set of GPUs and take turns (S8: a GPU serving several
// models pays a reload of the weights when it switches). The group's slots (replica-sized
// GPU sets, the sum of its services' initial replicas) move between the services: every
// `interval`, the service with the most outstanding requests per slot gets one slot from the
// service with the fewest, when its pressure is more than twice the donor's; the donor keeps
// `keep_loaded` slots (0 lets an idle model be unloaded completely; its next request then
// waits for a swap). The donor's replica drains, then the receiver loads its weights onto
// those GPUs (bytes per GPU / its weights_load_bandwidth) and serves. One move per interval.
class SwapGroup final : public EventHandler {
 public:
  SwapGroup(Simulator& sim, std::vector<ServiceFleet*> members, Duration interval,
            int64_t keep_loaded);
  void Start();
  // A donor's replica stopped: its GPUs go to the receiver chosen when it was asked.
  void Handover(std::optional<GpuClaim> claim);
  void HandleEvent(uint64_t tag) override;
  int64_t moves() const { return moves_; }

 private:
  Simulator& sim_;
  std::vector<ServiceFleet*> members_;
  Duration interval_;
  int64_t keep_loaded_;
  std::deque<ServiceFleet*> receivers_;  // waiting for a donor's replica to stop
  int64_t moves_ = 0;
};

// A training job's GPUs from one pool, held from t = 0 until the job finishes. On a spot pool
// the lease carries the job through interruptions (service_fleet.h, top): the notice asks
// the job for an emergency checkpoint, the reclaim suspends it, and when the pool can
// provision again the lease takes new instances and resumes the job once they are ready.
class TrainingLease final : public ClaimHolder {
 public:
  TrainingLease(Simulator& sim, TrainingJobSim& job, PoolLedger& pool, std::string name,
                int64_t gpus);
  // Takes the job's GPUs warm at t = 0; false when the pool cannot hold them.
  bool Acquire();
  // Starts the job at `at` (>= now), or as soon as it has GPUs again after that.
  void StartJobAt(SimTime at);
  int64_t reacquisitions() const { return reacquisitions_; }

  void OnSpotNotice(const PoolLedger& pool, uint64_t claim_id, SimTime reclaim) override;
  void OnClaimLost(const PoolLedger& pool, uint64_t claim_id) override;
  void OnPoolAvailable() override;

 private:
  void TryReacquire();
  void Go();  // GPUs ready: start or resume the job

  Simulator& sim_;
  TrainingJobSim& job_;
  PoolLedger& pool_;
  std::string name_;
  int64_t gpus_;
  std::optional<GpuClaim> claim_;
  bool started_ = false;     // the job's Start has run
  bool want_start_ = false;  // its start time has come
  bool waiting_ = false;     // lost its GPUs, waiting for new ones
  int64_t reacquisitions_ = 0;
  EventId ready_event_;
};

}  // namespace fleetsim
