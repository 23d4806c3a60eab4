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
// interval. A new replica needs tensor_parallel GPUs from the pool; it becomes routable when
// its instance is ready plus the time to load its weights (bytes per GPU / load bandwidth,
// all GPUs of the replica in parallel). A replica removed is drained (no new requests; it
// finishes those it holds) and its GPUs are returned when it stops. The replicas of the
// initial count are ready at t = 0: the fleet was warm when the simulated window begins.
//
// GPU busy time, for energy and for splitting a pool's cost among its consumers, is the
// time a replica runs an iteration (a training job: the time it holds its GPUs).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/pricing/cost_model.h"
#include "models/serving/autoscaler.h"
#include "models/serving/service_sim.h"
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
};

class PoolLedger {
 public:
  PoolLedger(const PricedPool& spec, CostModel& costs, CostModel::PoolId id);

  // Takes `gpus` GPUs at the current time. A claim that fits one unit stays on one unit
  // (first fit by slot, else a new instance); a larger one takes whole empty units. The claim is
  // usable when every unit it uses is (now, or when new instances finish starting). nullopt when
  // the cap (cloud) or the servers (owned) do not allow it.
  std::optional<GpuClaim> Acquire(int64_t gpus, SimTime now);
  // Takes GPUs that are usable at once (the warm start at t = 0); as Acquire otherwise.
  std::optional<GpuClaim> AcquireWarm(int64_t gpus, SimTime now);
  // Returns a claim's GPUs; a cloud instance left with no GPU in use is released.
  void Release(const GpuClaim& claim, SimTime now);
  void SetBusy(const std::string& consumer, int64_t gpus, SimTime now);

  const PricedPool& spec() const { return *spec_; }
  CostModel::PoolId id() const { return id_; }
  int64_t gpus_held() const { return held_; }
  int64_t units() const;  // instances running (cloud) or servers (owned)
  int64_t busy_gpus() const { return busy_total_; }
  int64_t shortfalls() const { return shortfalls_; }

 private:
  std::optional<GpuClaim> Take(int64_t gpus, SimTime now, bool warm);

  struct Unit {
    bool live = false;                 // held (cloud: running); slots are reused
    CostModel::InstanceId instance{};  // cloud
    int64_t used = 0;                  // GPUs claimed
    SimTime ready;
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
};

class ServiceFleet final : public ServiceObserver, public EventHandler {
 public:
  // `pool` may be null (an unpriced service: fixed replicas); `burst` (may be null) gives
  // the replicas `pool` cannot hold. `trace` may be null.
  ServiceFleet(Simulator& sim, const ServiceSpec& spec, ServiceSim& service, PoolLedger* pool,
               PoolLedger* burst, double weights_bytes_per_gpu, ServiceObserver* trace);

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

 private:
  void Decide();
  void Account();  // replica-seconds up to now
  void StartReplica(std::optional<GpuClaim> claim, SimTime ready);
  std::optional<GpuClaim> Acquire(bool warm);  // base pool first, then the burst pool
  size_t ReplicaToDrain() const;               // burst replicas first, then the least loaded
  int64_t& BusyOn(const PoolLedger* pool) { return pool == burst_ ? burst_busy_ : pool_busy_; }

  Simulator& sim_;
  const ServiceSpec& spec_;
  ServiceSim& service_;
  PoolLedger* pool_;
  PoolLedger* burst_;
  int64_t pool_busy_ = 0, burst_busy_ = 0;  // busy replicas on each
  std::vector<char> busy_flag_;             // by replica index
  ServiceObserver* trace_;
  std::optional<Autoscaler> scaler_;
  SwapGroup* group_ = nullptr;
  int64_t handover_ = 0;                         // draining replicas whose GPUs go to another model
  std::vector<std::optional<GpuClaim>> claims_;  // by replica index
  std::vector<std::optional<GpuClaim>> pending_;  // starting replicas' claims (slots reused)
  double load_s_ = 0;
  int64_t starting_ = 0;
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

}  // namespace fleetsim
