// What a pool of GPUs costs to hold: the plain data the cost model (cost_model.h) and the
// planning formulas (tco.h) work on, in base units (USD, seconds, joules, watts, bytes).
//
// A pool is a priced offer made concrete: a cloud offer on one plan (on-demand, 1- or 3-year
// commitment, spot), or an owned server type at one site with a number of servers. Pools
// are built from the price catalog (price_catalog.h: MakeCloudPool / MakeOwnedPool) or
// filled in by hand in tests and studies. Nothing here reads YAML or keeps sources: the
// catalog keeps where each number came from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetsim {

enum class CloudPlan { kOnDemand, kCommitted1y, kCommitted3y, kSpot };
inline constexpr int kCloudPlanCount = 4;
// "on_demand", "committed_1y", "committed_3y", "spot": the names used in YAML.
const char* CloudPlanName(CloudPlan p);
std::optional<CloudPlan> ParseCloudPlan(std::string_view name);
std::vector<std::string> CloudPlanNames();

// How a provider turns the time an instance was held into billed time: whole granules,
// at least `minimum_s` (AWS Linux: per second, 60 s minimum; a per-hour cloud bills 3,600 s
// granules). Preconditions: granularity_s > 0, minimum_s >= 0.
struct BillingPolicy {
  double granularity_s = 1.0;
  double minimum_s = 0.0;
};

// Billed seconds for an instance held `held_s` >= 0 seconds: max(minimum, ceil(held /
// granularity) x granularity). Computed on whole nanoseconds, so that 61 s per second is
// exactly 61 s and 3,600 s per hour exactly one hour (no floating-point ceil surprises).
double BilledSeconds(const BillingPolicy& billing, double held_s);

// The spot availability process of one pool (spot.h): alternating available and
// unavailable periods; an interruption at the start of each unavailable period hits all
// instances of the pool with probability gang_all_or_nothing, otherwise some of them.
// Preconditions: mean_available_s > 0, available_cv > 0, mean_unavailable_s > 0,
// 0 <= gang_all_or_nothing <= 1, notice_s >= 0.
struct SpotParams {
  double notice_s = 120.0;
  double mean_available_s = 8 * 3600.0;
  double available_cv = 1.0;
  double mean_unavailable_s = 3600.0;
  double gang_all_or_nothing = 0.94;
};

// IT power of one server (owned) or instance (cloud), before PUE: `idle` with no GPU busy,
// `loaded` with all busy (average, e.g. TDP x server factor x load factor), `peak` the
// nameplate power that space is provisioned (and colocation charged) for.
// Preconditions: 0 <= idle_watts <= loaded_watts <= peak_watts.
struct PowerDraw {
  double idle_watts = 0.0;
  double loaded_watts = 0.0;
  double peak_watts = 0.0;
  // Power with `busy` of `gpus` GPUs busy: linear between idle and loaded.
  double At(double busy_fraction) const {
    return idle_watts + busy_fraction * (loaded_watts - idle_watts);
  }
};

struct CloudPool {
  std::string name;   // the pool's name in a scenario (trace and summary key)
  std::string offer;  // the price-catalog entry it was made from ("" when built by hand)
  std::string provider, sku, device;
  int64_t gpus_per_instance = 1;
  CloudPlan plan = CloudPlan::kOnDemand;
  // The plan's price per GPU-second; for committed plans the price of committed capacity.
  double usd_per_gpu_s = 0.0;
  // Instances beyond a commitment are billed at on-demand.
  double on_demand_usd_per_gpu_s = 0.0;
  // Committed plans: instances paid for all the time from t = 0, used or not. The term
  // (1 or 3 years) is longer than most runs; a run is charged pro rata for its duration.
  int64_t committed_instances = 0;
  BillingPolicy billing;
  double startup_s = 0.0;   // provision request -> usable; billed
  double teardown_s = 0.0;  // release -> billing stops
  double egress_usd_per_byte = 0.0;
  // Capacity: at most max_instances at once (0 = no cap); raising the cap takes
  // capacity_lead_time_s (scarce GPUs).
  int64_t max_instances = 0;
  double capacity_lead_time_s = 0.0;
  SpotParams spot;  // used when plan == kSpot
  // Per instance, for energy reporting only (cloud energy is in the price); nullopt = unknown.
  std::optional<PowerDraw> power;
};

struct OwnedPool {
  std::string name;
  std::string offer;
  std::string site;
  std::string device;
  int64_t servers = 0;  // in service from t = 0
  int64_t gpus_per_server = 1;
  double capex_usd_per_server = 0.0;
  double depreciation_s = 5 * 8760 * 3600.0;  // straight-line life
  double residual_fraction = 0.0;             // of capex, recovered at the end of the life
  PowerDraw power;                            // per server
  double pue = 1.0;                           // facility energy / IT energy, >= 1
  double electricity_usd_per_joule = 0.0;
  // Space (colocation) per joule of provisioned capacity: "$184/kW-month" is 184 USD per
  // kW x 730 h. Charged on power.peak_watts for every second a server is in service.
  double space_usd_per_joule = 0.0;
  double operations_usd_per_server_s = 0.0;  // maintenance, staff share per server
  double fixed_operations_usd_per_s = 0.0;   // per pool, independent of its size
  double procurement_lead_time_s = 0.0;      // order -> in service

  int64_t gpus() const { return servers * gpus_per_server; }
};

}  // namespace fleetsim
