// Closed-form planning arithmetic on pools: what an owned GPU-hour costs at a utilisation,
// what a steady fleet costs on each plan over time, and when owning breaks even with
// renting. These answer "build vs cloud" without a simulation (docs/pricing.md, worked
// examples); the simulation (cost_model.h) answers it for a workload that varies in time.
//
// Money is USD, time seconds; a month is 730 h and a year 8,760 h (sim/units.h).
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "models/pricing/pools.h"

namespace fleetsim {

inline constexpr double kSecondsPerHour = 3600.0;
inline constexpr double kSecondsPerMonth = 730.0 * 3600.0;
inline constexpr double kSecondsPerYear = 8760.0 * 3600.0;

// Owned cost per GPU-hour held, by category, at `utilisation` (fraction of GPU-time busy,
// 0..1; it sets the power between idle and loaded). Per busy GPU-hour = total / utilisation.
//   capex       = capex x (1 - residual) / (life x GPUs per server)
//   energy      = (idle + u x (loaded - idle)) x PUE x $/J / GPUs per server
//   space       = peak x $/J of provisioned capacity / GPUs per server
//   operations  = per-server rate / GPUs per server + fixed rate / pool GPUs (pool GPUs =
//                 servers x GPUs per server; the fixed part is left out when servers = 0)
struct OwnedHourly {
  double capex_usd = 0, energy_usd = 0, space_usd = 0, operations_usd = 0;
  double total_usd = 0;           // per GPU-hour held
  double total_per_busy_usd = 0;  // per busy GPU-hour; infinity at utilisation 0
  double facility_watts_per_gpu = 0;
};
// Preconditions: 0 <= utilisation <= 1, pool.gpus_per_server > 0, depreciation > 0.
OwnedHourly OwnedCostPerGpuHour(const OwnedPool& pool, double utilisation);

// A fleet of `gpus` GPUs used steadily at `utilisation`. On the cloud an elastic fleet rents
// only what is busy (gpus x utilisation GPU-hours per hour, on-demand or spot); otherwise it
// keeps all instances. Committed plans always pay for the whole fleet.
struct SteadyFleet {
  int64_t gpus = 0;
  double utilisation = 1.0;
  bool cloud_elastic = false;
};

// Cumulative cash spent on a plan: upfront + rate x t, less `credit_usd` from `credit_at_s`
// on (the residual value, recovered when the hardware is retired at the end of its life).
struct PlanCashflow {
  std::string name;
  double upfront_usd = 0;
  double usd_per_s = 0;
  double credit_usd = 0;
  double credit_at_s = std::numeric_limits<double>::infinity();
  double life_s = std::numeric_limits<double>::infinity();  // beyond it, hardware is replaced
  double CumulativeUsd(double t_s) const {
    return upfront_usd + usd_per_s * t_s - (t_s >= credit_at_s ? credit_usd : 0.0);
  }
};

// Cloud: instances = ceil(gpus / GPUs per instance), all GPUs of them paid at the plan's
// price (x utilisation when elastic and on-demand or spot). Spot interruptions and the
// on-demand fallback they force are not in this steady-state figure.
PlanCashflow CloudCashflow(const CloudPool& pool, const SteadyFleet& fleet);
// Owned: servers = ceil(gpus / GPUs per server) bought at t = 0 (pool.servers is ignored);
// running cost = energy at the fleet's utilisation + space + operations; the residual value
// comes back at the end of the depreciation life. Procurement lead time is not counted.
PlanCashflow OwnedCashflow(const OwnedPool& pool, const SteadyFleet& fleet);

struct BreakEven {
  std::optional<double> at_s;  // first t with owned cumulative <= cloud cumulative
  std::string explanation;     // one line, for humans
  double months() const { return at_s ? *at_s / kSecondsPerMonth : -1; }
};
// When owning has cost no more than renting, within the owned hardware's life; nullopt when
// it never does within the life (explained). Both plans start at t = 0.
BreakEven FindBreakEven(const PlanCashflow& cloud, const PlanCashflow& owned);

// Summary ratios (0 when the denominator is 0).
double UsdPerGpuHour(double usd, double gpu_s);
double UsdPer1kTokens(double usd, double tokens);

}  // namespace fleetsim
