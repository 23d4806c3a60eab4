// Autoscaling of an inference service: how many replicas it should have, decided every
// `interval` from what the service did in the last interval (`fleetsim list autoscalers`).
//
// The decision is separate from its execution: the policy returns a desired replica count;
// the Autoscaler clamps it to [min, max] and applies the cooldowns; the caller
// (scenarios/service_fleet.h) provisions instances, waits for their start-up and the weight
// load, or drains replicas and releases their instances.
//
// Counting: `current` is the replicas the service has or is getting (ready + starting), so
// a scale-up in progress is not requested again while its instances boot.
//
// Policies (desired replicas from one observation; docs/serving.md has the formulas):
//   utilisation    Kubernetes HPA's rule on replica busy time: ceil(ready x busy / target),
//                  with HPA's 10 % tolerance band (no change while busy/target is within
//                  [0.9, 1.1]).
//   queue_length   outstanding requests (waiting + running) per replica, as KEDA's queue
//                  scalers: ceil(outstanding / target).
//   slo_attainment step rule on the share of requests that met their class SLOs in the last
//                  interval: +1 replica below the target; -1 when at or above it and the
//                  remaining replicas would stay under `scale_down_utilisation` busy.
// Defaults follow Kubernetes' HPA (kubernetes.io, "Horizontal Pod Autoscaling", v1.31):
// a 15 s sync period, no scale-up stabilisation, a 300 s scale-down stabilisation window.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <utility>

#include "sim/registry.h"
#include "sim/time.h"

namespace fleetsim {

// What the service did over the last decision interval.
struct AutoscaleObservation {
  int64_t ready = 0;         // active replicas (routable)
  int64_t starting = 0;      // provisioned or loading, not yet routable
  int64_t waiting = 0;       // requests queued now
  int64_t running = 0;       // sequences in batches now
  double busy_fraction = 0;  // replica busy time / (ready x interval), in [0, 1]
  int64_t completed = 0;     // requests completed in the interval
  int64_t slo_met = 0;       // of those, meeting every SLO of their class
};

struct AutoscaleParams {
  double target = 0;                    // policy's set point (> 0)
  double scale_down_utilisation = 0.5;  // slo_attainment only, in (0, 1]
};

// Desired replica count (before clamping and cooldowns); may return any value >= 0.
using AutoscalePolicyFn = int64_t (*)(const AutoscaleObservation& obs,
                                      const AutoscaleParams& params);
const Registry<AutoscalePolicyFn>& AutoscalePolicies();

struct AutoscaleConfig {
  int64_t min_replicas = 1;  // >= 1
  int64_t max_replicas = 1;  // >= min_replicas
  std::string policy = "utilisation";
  AutoscaleParams params;
  Duration interval = Duration::Seconds(15);
  Duration scale_up_cooldown = Duration::Zero();
  Duration scale_down_cooldown = Duration::Seconds(300);
};

class Autoscaler {
 public:
  // Precondition: a valid config (known policy, 1 <= min <= max, target > 0); throws
  // std::invalid_argument otherwise.
  explicit Autoscaler(AutoscaleConfig config);
  // The change of replica count to make now: > 0 add, < 0 remove, 0 nothing. Cooldowns
  // are stabilisation windows, as in Kubernetes' HPA: the policy's recommendation (clamped
  // to [min, max]) is remembered; the count rises only to the smallest recommendation of
  // the last scale_up_cooldown, and falls only to the largest of the last
  // scale_down_cooldown. So one quiet interval cannot drain the fleet, and a brief burst
  // with a long up-window does not grow it.
  int64_t Decide(const AutoscaleObservation& obs, SimTime now);
  const AutoscaleConfig& config() const { return config_; }

 private:
  AutoscaleConfig config_;
  AutoscalePolicyFn policy_;
  std::deque<std::pair<SimTime, int64_t>> history_;  // (time, recommendation), oldest first
};

}  // namespace fleetsim
