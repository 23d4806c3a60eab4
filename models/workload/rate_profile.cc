#include "models/workload/rate_profile.h"

#include <cmath>
#include <limits>

#include "sim/config/config.h"
#include "sim/units.h"

namespace fleetsim {

namespace {
constexpr double kDay = 86400.0;
constexpr double kPi = 3.14159265358979323846;

double SpikeMultiplier(const Spike& s, double t) {
  const double up_end = s.at_s + s.ramp_s;
  const double top_end = up_end + s.duration_s;
  const double down_end = top_end + s.ramp_s;
  if (t <= s.at_s || t >= down_end) return 1.0;
  if (t < up_end) return 1.0 + (s.factor - 1.0) * (t - s.at_s) / s.ramp_s;
  if (t <= top_end) return s.factor;
  return s.factor + (1.0 - s.factor) * (t - top_end) / s.ramp_s;
}
}  // namespace

double RateProfile::RateAt(double t) const {
  double rate = base_per_s;
  if (diurnal_peak_to_trough > 1.0) {
    const double a = (diurnal_peak_to_trough - 1.0) / (diurnal_peak_to_trough + 1.0);
    rate *= 1.0 + a * std::cos(2.0 * kPi * (t - diurnal_peak_at_s) / kDay);
  }
  if (growth_per_period != 0.0) {
    rate *= std::exp(std::log1p(growth_per_period) * t / growth_period_s);
  }
  for (const Spike& s : spikes) rate *= SpikeMultiplier(s, t);
  return rate;
}

double RateProfile::MeanRate(double t0, double t1) const {
  // Lambda(t) by walking the same grid: integrate step midpoints.
  double total = 0;
  for (double t = std::floor(t0 / step_s) * step_s; t < t1; t += step_s) {
    const double lo = std::max(t, t0), hi = std::min(t + step_s, t1);
    total += RateAt(t + 0.5 * step_s) * (hi - lo);
  }
  return total / (t1 - t0);
}

RateProfile RateProfile::FromConfig(const ConfigNode& arrivals, MapReader& r) {
  RateProfile p;
  auto rate = r.Required("rate");
  p.base_per_s = rate.AsQuantity(dim::kPerSecond);
  if (!(p.base_per_s > 0)) rate.Fail("rate must be greater than zero");
  if (auto d = r.Optional("diurnal")) {
    MapReader dr(*d);
    auto ratio = dr.Required("peak_to_trough");
    p.diurnal_peak_to_trough = ratio.AsDouble();
    if (!(p.diurnal_peak_to_trough >= 1.0)) ratio.Fail("peak_to_trough must be at least 1");
    if (auto at = dr.Optional("peak_at")) {
      p.diurnal_peak_at_s = at->AsQuantity(dim::kSeconds);
      if (p.diurnal_peak_at_s < 0 || p.diurnal_peak_at_s >= kDay) {
        at->Fail("peak_at is a time of day: between \"0 h\" and \"24 h\"");
      }
    }
    dr.Finish();
  }
  if (auto g = r.Optional("growth")) {
    // "+50 %/week": a fraction per period, compounded over the period written ("10 %/day"
    // is 1.1x a day, not 0.7 a week compounded weekly); kept as (g, period) so it is exact.
    const double per_s = g->AsQuantity(dim::kPerSecond);
    const std::string text = g->AsString();
    const size_t slash = text.rfind('/');
    const ParsedQuantity period = ParseQuantityAs(
        "1 " + text.substr(slash == std::string::npos ? text.size() : slash + 1), dim::kSeconds);
    p.growth_period_s = period.quantity ? period.quantity->value : 7 * kDay;
    p.growth_per_period = per_s * p.growth_period_s;
    if (!(p.growth_per_period > -1.0)) g->Fail("growth must be above -100 % per period");
  }
  if (auto spikes = r.Optional("spikes")) {
    for (const auto& item : spikes->Items()) {
      MapReader sr(item);
      Spike s;
      s.at_s = sr.Required("at").AsQuantity(dim::kSeconds);
      auto factor = sr.Required("factor");
      s.factor = factor.AsDouble();
      if (!(s.factor > 0)) factor.Fail("factor must be greater than zero");
      if (auto ramp = sr.Optional("ramp")) s.ramp_s = ramp->AsQuantity(dim::kSeconds);
      auto dur = sr.Required("duration");
      s.duration_s = dur.AsQuantity(dim::kSeconds);
      if (s.at_s < 0 || s.ramp_s < 0 || s.duration_s < 0) {
        item.Fail("at, ramp and duration must not be negative");
      }
      sr.Finish();
      p.spikes.push_back(s);
    }
  }
  if (auto step = r.Optional("rate_step")) {
    p.step_s = step->AsQuantity(dim::kSeconds);
    if (!(p.step_s > 0)) step->Fail("rate_step must be greater than zero");
  }
  return p;
}

double CumulativeRate::TimeAt(double tau, double limit_s) {
  const double step = profile_.step_s;
  for (;;) {
    if (step_rate_ < 0) step_rate_ = profile_.RateAt(step_start_s_ + 0.5 * step);
    const double lambda_end = lambda_start_ + step_rate_ * step;
    if (tau <= lambda_end) {
      return step_start_s_ + (step_rate_ > 0 ? (tau - lambda_start_) / step_rate_ : 0.0);
    }
    step_start_s_ += step;
    lambda_start_ = lambda_end;
    step_rate_ = -1;
    if (step_start_s_ > limit_s) return std::numeric_limits<double>::infinity();
  }
}

}  // namespace fleetsim
