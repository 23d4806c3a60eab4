#include "models/serving/autoscaler.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fleetsim {

namespace {

int64_t CeilCount(double x) {
  // Guard the rounding of products like 3 x 0.7 / 0.7 = 3.0000000000000004.
  return static_cast<int64_t>(std::ceil(x - 1e-9));
}

int64_t Utilisation(const AutoscaleObservation& o, const AutoscaleParams& p) {
  const int64_t current = o.ready + o.starting;
  if (o.ready == 0) return current;
  const double ratio = o.busy_fraction / p.target;
  if (ratio >= 0.9 && ratio <= 1.1) return current;  // HPA's default tolerance
  // Replicas still starting count as already providing what they will provide.
  return std::max(CeilCount(static_cast<double>(o.ready) * ratio), int64_t{0}) + o.starting;
}

int64_t QueueLength(const AutoscaleObservation& o, const AutoscaleParams& p) {
  return CeilCount(static_cast<double>(o.waiting + o.running) / p.target);
}

int64_t SloAttainment(const AutoscaleObservation& o, const AutoscaleParams& p) {
  const int64_t current = o.ready + o.starting;
  if (o.completed > 0 &&
      static_cast<double>(o.slo_met) < p.target * static_cast<double>(o.completed)) {
    return o.starting > 0 ? current : current + 1;  // one step at a time
  }
  if (o.waiting == 0 && o.ready > 1 && o.starting == 0 &&
      o.busy_fraction * static_cast<double>(o.ready) / static_cast<double>(o.ready - 1) <
          p.scale_down_utilisation) {
    return current - 1;
  }
  return current;
}

}  // namespace

const Registry<AutoscalePolicyFn>& AutoscalePolicies() {
  static const Registry<AutoscalePolicyFn> registry = [] {
    Registry<AutoscalePolicyFn> r("autoscaling policy");
    r.Add({"utilisation", "keep replica busy time near `target` (Kubernetes HPA rule)",
           "desired = ceil(ready x busy_fraction / target) + starting, unchanged while "
           "busy_fraction / target is within [0.9, 1.1]; target is a fraction in (0, 1]",
           Utilisation});
    r.Add({"queue_length", "keep outstanding requests per replica near `target`",
           "desired = ceil((waiting + running) / target); target is requests per replica",
           QueueLength});
    r.Add({"slo_attainment", "add a replica while SLO attainment is below `target`",
           "+1 when slo_met / completed < target in the last interval (none while replicas are "
           "starting); -1 when attainment is met, nothing waits, and ready - 1 replicas would "
           "be busy less than scale_down_utilisation (default 0.5); target in (0, 1]",
           SloAttainment});
    return r;
  }();
  return registry;
}

Autoscaler::Autoscaler(AutoscaleConfig config) : config_(std::move(config)) {
  const auto* e = AutoscalePolicies().TryFind(config_.policy);
  if (!e) throw std::invalid_argument("unknown autoscaling policy '" + config_.policy + "'");
  policy_ = e->factory;
  if (config_.min_replicas < 1 || config_.max_replicas < config_.min_replicas) {
    throw std::invalid_argument("autoscaling needs 1 <= min <= max replicas");
  }
  if (!(config_.params.target > 0)) throw std::invalid_argument("autoscaling target must be > 0");
  if (config_.interval <= Duration::Zero()) {
    throw std::invalid_argument("autoscaling interval must be > 0");
  }
}

int64_t Autoscaler::Decide(const AutoscaleObservation& obs, SimTime now) {
  const int64_t current = obs.ready + obs.starting;
  const int64_t rec =
      std::clamp(policy_(obs, config_.params), config_.min_replicas, config_.max_replicas);
  history_.emplace_back(now, rec);
  const Duration keep = std::max(config_.scale_up_cooldown, config_.scale_down_cooldown);
  while (now - history_.front().first > keep) history_.pop_front();
  int64_t up = rec, down = rec;
  for (const auto& [t, r] : history_) {
    if (now - t <= config_.scale_up_cooldown) up = std::min(up, r);
    if (now - t <= config_.scale_down_cooldown) down = std::max(down, r);
  }
  if (up > current) return up - current;
  if (down < current) return down - current;
  return 0;
}

}  // namespace fleetsim
