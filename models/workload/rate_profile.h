// How the request rate of a stream varies over time (S7: "demand can jump 10x in one day,
// or grow 50 % week over week"; daily cycles):
//
//   rate(t) = base x diurnal(t) x growth(t) x spikes(t)
//
//   diurnal(t) = 1 + a cos(2 pi (t - peak_at) / 1 d),  a = (r - 1) / (r + 1)
//                so that peak / trough = r and the daily mean is exactly 1;
//   growth(t)  = (1 + g)^(t / period)   compounding over the period written ("+50 %/week":
//                g = 0.5, period = 1 week; "10 %/day": g = 0.1, period = 1 day);
//   spikes(t)  = product over spikes of a trapezoid: 1 before `at`, rising linearly to
//                `factor` over `ramp`, holding for `duration`, falling back over `ramp`.
//
// The cumulative rate Lambda(t) (expected arrivals in [0, t]) is what arrival processes
// need; it is integrated on a fixed grid (`step`, default 1 s) with the rate taken at each
// step's midpoint, i.e. the rate is treated as constant within a step. Spikes and cycles
// change over minutes to hours, so a 1 s step is far below their scale.
#pragma once

#include <vector>

#include "sim/time.h"

namespace fleetsim {

class ConfigNode;

struct Spike {
  double at_s = 0;        // start of the ramp up
  double factor = 1;      // multiplier at the top (> 0; < 1 is a dip)
  double ramp_s = 0;      // ramp up and ramp down, each
  double duration_s = 0;  // time at the top
};

struct RateProfile {
  double base_per_s = 0;                 // > 0
  double diurnal_peak_to_trough = 1;     // >= 1; 1 = no daily cycle
  double diurnal_peak_at_s = 14 * 3600;  // time of day of the peak
  double growth_per_period = 0;          // g > -1; 0 = no growth
  double growth_period_s = 7 * 86400;
  std::vector<Spike> spikes;
  double step_s = 1.0;  // integration step of Lambda

  // Instantaneous rate (per second) at time t (seconds).
  double RateAt(double t_s) const;
  // The mean of RateAt over [t0, t1], by the same midpoint grid Lambda uses.
  double MeanRate(double t0_s, double t1_s) const;

  // Reads {rate, diurnal: {peak_to_trough, peak_at}, growth, spikes: [...]} keys from an
  // arrivals map; unknown keys are left for the caller's MapReader.
  static RateProfile FromConfig(const ConfigNode& arrivals, class MapReader& reader);
};

// Walks Lambda forward: maps operational time tau (expected arrivals since 0) back to
// clock time. Monotone use only (tau never decreases), O(1) amortised per call.
class CumulativeRate {
 public:
  explicit CumulativeRate(const RateProfile& profile) : profile_(profile) {}
  // Clock time (s) at which Lambda reaches `tau`, or +infinity if that is after `limit_s`.
  // Precondition: tau >= the previous call's.
  double TimeAt(double tau, double limit_s);

 private:
  const RateProfile& profile_;
  double step_start_s_ = 0;  // start of the current grid step
  double lambda_start_ = 0;  // Lambda at step_start_s_
  double step_rate_ = -1;    // rate within the current step (-1: not computed)
};

}  // namespace fleetsim
