// Dollars and joules accrued over simulated time, by pool, category and consumer.
//
// The simulation tells the model what happens, in time order per pool:
//   cloud pools:  OnProvision (billing starts; the instance is usable at ReadyAt = t +
//                 startup), OnRelease (billing stops at t + teardown), OnInterrupt (a spot
//                 reclaim: billing stops at t), RequestCapacity (the cap rises after the
//                 pool's lead time)
//   owned pools:  OnPurchase (more servers, in service after the procurement lead time)
//   both:         OnBusyChange (GPUs busy, optionally per consumer: a job, a service, a
//                 request class), OnEgress (bytes leaving the cloud)
// and asks Accrued(pool, t) / Total(t) / Consumers(t) at any t not before the last event
// (for time series and the summary). Queries do not change the model.
//
// Accounting (docs/pricing.md has the formulas):
//   cloud  each instance is billed BilledSeconds(held) x GPUs x the plan's price, where
//          held runs from provision to release + teardown (to the reclaim for spot); while
//          running, an instance has accrued what it would be billed if released now, so a
//          per-hour instance owes its first full hour at once. A committed plan pays for
//          committed_instances all the time from t = 0; instances beyond it are on-demand.
//   owned  straight-line depreciation of capex x (1 - residual) over the life, per server
//          from its in-service time (nothing after the life: the server is paid off);
//          energy = integral of IT power x PUE x $/J, IT power = idle + busy share x
//          (loaded - idle) per server; space = peak power x $/J of provisioned capacity;
//          operations per server-second plus a fixed amount per pool-second.
// Consumers are charged by full-cost allocation: a pool's total (idle time included) is
// split in proportion to the busy GPU-seconds each consumer used in it.
//
// Preconditions are programming errors of the caller (std::logic_error): events out of
// time order, more GPUs busy than the pool holds, provisioning past the cap, releasing an
// instance twice. Everything is deterministic: no wall clock, no unordered containers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "models/pricing/pools.h"
#include "sim/time.h"

namespace fleetsim {

struct CostBreakdown {
  double cloud_on_demand_usd = 0;  // on-demand plan, and instances beyond a commitment
  double cloud_committed_usd = 0;  // the commitment itself, used or not
  double cloud_spot_usd = 0;
  double egress_usd = 0;
  double capex_depreciation_usd = 0;
  double energy_usd = 0;
  double space_usd = 0;
  double operations_usd = 0;
  double it_energy_j = 0;        // servers' / instances' own draw (cloud: when power is known)
  double facility_energy_j = 0;  // owned: IT x PUE (cloud: the provider's PUE is in the price)
  double provisioned_gpu_s = 0;  // GPU-seconds held: owned in service, cloud instances running
  double busy_gpu_s = 0;
  double egress_bytes = 0;

  double total_usd() const {
    return cloud_on_demand_usd + cloud_committed_usd + cloud_spot_usd + egress_usd +
           capex_depreciation_usd + energy_usd + space_usd + operations_usd;
  }
  CostBreakdown& operator+=(const CostBreakdown& o);
  // (column name, value) in a fixed order, base units: for timeseries.csv and summary.json.
  std::vector<std::pair<std::string, double>> Fields() const;
};

struct ConsumerCost {
  std::string name;
  double busy_gpu_s = 0;
  double allocated_usd = 0;
  double allocated_it_energy_j = 0;
  double allocated_facility_energy_j = 0;
};

class CostModel {
 public:
  using PoolId = size_t;
  using InstanceId = size_t;

  // Pool names must be unique (std::logic_error otherwise).
  PoolId AddCloudPool(CloudPool pool);
  PoolId AddOwnedPool(OwnedPool pool);
  size_t pool_count() const { return pools_.size(); }
  const std::string& pool_name(PoolId id) const;
  bool is_cloud(PoolId id) const;

  // ---- cloud pools
  // Under the cap at t (the cap counts raises whose lead time has passed).
  bool CanProvision(PoolId pool, SimTime t) const;
  // How many more instances the cap allows at t (INT64_MAX without a cap).
  int64_t Headroom(PoolId pool, SimTime t) const;
  InstanceId OnProvision(PoolId pool, SimTime t);
  SimTime ReadyAt(PoolId pool, InstanceId instance) const;
  void OnRelease(PoolId pool, InstanceId instance, SimTime t);
  // Releases the most recently provisioned running instance.
  void OnRelease(PoolId pool, SimTime t);
  void OnInterrupt(PoolId pool, InstanceId instance, SimTime t);
  // Asks for `extra` more instances of cap; returns when they can be used.
  SimTime RequestCapacity(PoolId pool, int64_t extra, SimTime t);
  int64_t running_instances(PoolId pool) const;
  std::vector<InstanceId> RunningInstances(PoolId pool) const;  // oldest first

  // ---- owned pools: returns when the servers enter service.
  SimTime OnPurchase(PoolId pool, int64_t servers, SimTime t);

  // ---- both
  // Sets the number of GPUs of the pool busy for `consumer` ("" = unattributed).
  void OnBusyChange(PoolId pool, std::string_view consumer, int64_t gpus_busy, SimTime t);
  void OnBusyChange(PoolId pool, int64_t gpus_busy, SimTime t) {
    OnBusyChange(pool, "", gpus_busy, t);
  }
  void OnEgress(PoolId pool, double bytes, SimTime t);

  CostBreakdown Accrued(PoolId pool, SimTime t) const;
  CostBreakdown Total(SimTime t) const;
  // Consumers in order of first appearance.
  std::vector<ConsumerCost> Consumers(SimTime t) const;

 private:
  struct Instance {
    double start_s = 0;
    double end_s = -1;     // < 0 while running
    bool covered = false;  // inside a commitment: no marginal charge
  };
  struct ServerBatch {
    int64_t servers = 0;
    double in_service_s = 0;
  };
  struct Pool {
    bool cloud = false;
    CloudPool c;
    OwnedPool o;
    double last_s = 0;
    int64_t busy = 0;
    std::map<size_t, int64_t> busy_by_consumer;
    std::map<size_t, double> busy_s_by_consumer;
    double it_energy_j = 0, provisioned_gpu_s = 0, busy_gpu_s = 0;
    double egress_bytes = 0, egress_usd = 0;
    // cloud
    std::vector<Instance> instances;
    std::vector<InstanceId> running;  // oldest first
    int64_t covered_running = 0;
    double released_on_demand_usd = 0, released_spot_usd = 0;
    std::vector<std::pair<double, int64_t>> cap_raises;  // (usable from, extra)
    // owned
    std::vector<ServerBatch> batches;
  };

  Pool& Get(PoolId id);
  const Pool& Get(PoolId id) const;
  static void Advance(Pool& p, double t_s);
  static double Units(const Pool& p, double t_s);  // servers in service / instances running
  static int64_t GpusPerUnit(const Pool& p);
  static int64_t Cap(const Pool& p, double t_s);
  CostBreakdown Evaluate(const Pool& p, double t_s) const;
  void End(PoolId pool, InstanceId instance, SimTime t, bool interrupted);
  size_t ConsumerIndex(std::string_view name);

  std::vector<Pool> pools_;
  std::vector<std::string> consumers_;
};

}  // namespace fleetsim
