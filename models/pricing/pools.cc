#include "models/pricing/pools.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace fleetsim {

const char* CloudPlanName(CloudPlan p) {
  switch (p) {
    case CloudPlan::kOnDemand:
      return "on_demand";
    case CloudPlan::kCommitted1y:
      return "committed_1y";
    case CloudPlan::kCommitted3y:
      return "committed_3y";
    case CloudPlan::kSpot:
      return "spot";
  }
  return "?";
}

std::optional<CloudPlan> ParseCloudPlan(std::string_view name) {
  for (int i = 0; i < kCloudPlanCount; ++i) {
    const auto p = static_cast<CloudPlan>(i);
    if (name == CloudPlanName(p)) return p;
  }
  return std::nullopt;
}

std::vector<std::string> CloudPlanNames() {
  std::vector<std::string> names;
  for (int i = 0; i < kCloudPlanCount; ++i)
    names.push_back(CloudPlanName(static_cast<CloudPlan>(i)));
  return names;
}

double BilledSeconds(const BillingPolicy& billing, double held_s) {
  // Whole nanoseconds: the simulator's clock is integral, and an exact ceil matters at
  // granule boundaries (3,600 s held is one hour, not two).
  const int64_t held = std::llround(std::max(0.0, held_s) * 1e9);
  const int64_t granule = std::max<int64_t>(1, std::llround(billing.granularity_s * 1e9));
  const int64_t minimum = std::llround(std::max(0.0, billing.minimum_s) * 1e9);
  const int64_t granules = held / granule + (held % granule != 0 ? 1 : 0);
  const int64_t billed = std::max(granules * granule, minimum);
  return static_cast<double>(billed) / 1e9;  // exact for whole seconds
}

}  // namespace fleetsim
