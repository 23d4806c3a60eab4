#include "models/pricing/tco.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "sim/units.h"

namespace fleetsim {

OwnedHourly OwnedCostPerGpuHour(const OwnedPool& p, double u) {
  if (!(u >= 0 && u <= 1)) throw std::invalid_argument("utilisation must be in [0, 1]");
  if (p.gpus_per_server <= 0 || !(p.depreciation_s > 0)) {
    throw std::invalid_argument("owned pool needs GPUs per server > 0 and a depreciation life");
  }
  const double g = static_cast<double>(p.gpus_per_server);
  OwnedHourly h;
  h.capex_usd =
      p.capex_usd_per_server * (1 - p.residual_fraction) / p.depreciation_s / g * kSecondsPerHour;
  h.facility_watts_per_gpu = p.power.At(u) * p.pue / g;
  h.energy_usd = h.facility_watts_per_gpu * p.electricity_usd_per_joule * kSecondsPerHour;
  h.space_usd = p.power.peak_watts * p.space_usd_per_joule / g * kSecondsPerHour;
  h.operations_usd = p.operations_usd_per_server_s / g * kSecondsPerHour;
  if (p.servers > 0) {
    h.operations_usd +=
        p.fixed_operations_usd_per_s / static_cast<double>(p.gpus()) * kSecondsPerHour;
  }
  h.total_usd = h.capex_usd + h.energy_usd + h.space_usd + h.operations_usd;
  h.total_per_busy_usd = u > 0 ? h.total_usd / u : std::numeric_limits<double>::infinity();
  return h;
}

PlanCashflow CloudCashflow(const CloudPool& p, const SteadyFleet& f) {
  const int64_t per = p.gpus_per_instance;
  const int64_t instances = (f.gpus + per - 1) / per;
  const double gpus = static_cast<double>(instances * per);
  const bool pay_per_use = p.plan == CloudPlan::kOnDemand || p.plan == CloudPlan::kSpot;
  PlanCashflow c;
  c.name = p.name + " (" + CloudPlanName(p.plan) + ")";
  c.usd_per_s = gpus * p.usd_per_gpu_s * (f.cloud_elastic && pay_per_use ? f.utilisation : 1.0);
  return c;
}

PlanCashflow OwnedCashflow(const OwnedPool& p, const SteadyFleet& f) {
  const int64_t servers = (f.gpus + p.gpus_per_server - 1) / p.gpus_per_server;
  const double n = static_cast<double>(servers);
  PlanCashflow c;
  c.name = p.name + " (owned)";
  c.upfront_usd = n * p.capex_usd_per_server;
  c.usd_per_s = n * (p.power.At(f.utilisation) * p.pue * p.electricity_usd_per_joule +
                     p.power.peak_watts * p.space_usd_per_joule + p.operations_usd_per_server_s) +
                p.fixed_operations_usd_per_s;
  c.credit_usd = n * p.capex_usd_per_server * p.residual_fraction;
  c.credit_at_s = p.depreciation_s;
  c.life_s = p.depreciation_s;
  return c;
}

BreakEven FindBreakEven(const PlanCashflow& cloud, const PlanCashflow& owned) {
  BreakEven b;
  const double life = std::min(owned.life_s, cloud.life_s);
  const double d_upfront = owned.upfront_usd - cloud.upfront_usd;  // what owning must earn back
  const double d_rate = cloud.usd_per_s - owned.usd_per_s;         // what it saves per second
  char buf[256];
  if (d_upfront <= 0 && d_rate >= 0) {
    b.at_s = 0.0;
    b.explanation = "owning costs no more from the start";
    return b;
  }
  if (d_rate > 0) {
    const double t = d_upfront / d_rate;
    if (t < life) {
      b.at_s = t;
      std::snprintf(buf, sizeof buf, "owning earns back %s upfront at %s/h saved: %.1f months",
                    FormatUsd(d_upfront).c_str(), FormatUsd(d_rate * kSecondsPerHour).c_str(),
                    t / kSecondsPerMonth);
      b.explanation = buf;
      return b;
    }
  }
  // At the end of the life the residual value comes back; that can be what tips it.
  if (std::isfinite(life) && owned.CumulativeUsd(life) <= cloud.CumulativeUsd(life)) {
    b.at_s = life;
    b.explanation =
        "owning breaks even only when the residual value is recovered at the end of "
        "its life";
    return b;
  }
  if (d_rate <= 0) {
    std::snprintf(buf, sizeof buf,
                  "never: owned running costs (%s/h) are not below the cloud's (%s/h)",
                  FormatUsd(owned.usd_per_s * kSecondsPerHour).c_str(),
                  FormatUsd(cloud.usd_per_s * kSecondsPerHour).c_str());
  } else {
    std::snprintf(buf, sizeof buf,
                  "not within the hardware's %.0f-month life: %s upfront at %s/h saved needs "
                  "%.1f months",
                  life / kSecondsPerMonth, FormatUsd(d_upfront).c_str(),
                  FormatUsd(d_rate * kSecondsPerHour).c_str(),
                  d_upfront / d_rate / kSecondsPerMonth);
  }
  b.explanation = buf;
  return b;
}

double UsdPerGpuHour(double usd, double gpu_s) {
  return gpu_s > 0 ? usd / (gpu_s / kSecondsPerHour) : 0.0;
}

double UsdPer1kTokens(double usd, double tokens) { return tokens > 0 ? usd / tokens * 1000 : 0.0; }

}  // namespace fleetsim
