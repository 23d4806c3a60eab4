#include "models/pricing/spot.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

namespace fleetsim {

SpotAvailability::SpotAvailability(const SpotParams& params, Rng rng) : params_(params), rng_(rng) {
  if (!(params.mean_available_s > 0) || !(params.available_cv > 0) ||
      !(params.mean_unavailable_s > 0) || !(params.notice_s >= 0) ||
      !(params.gang_all_or_nothing >= 0 && params.gang_all_or_nothing <= 1)) {
    throw std::invalid_argument("spot availability: parameters out of range");
  }
  next_ = Draw(0.0);
}

SpotAvailability SpotAvailability::ForPool(const SpotParams& params, const RngStreams& streams,
                                           std::string_view pool_name) {
  return SpotAvailability(params, streams.Stream("spot/" + std::string(pool_name)));
}

SpotInterruption SpotAvailability::Draw(double period_start_s) {
  SpotInterruption i;
  // Draw order is fixed (available, unavailable, gang, victims) so that a stream always
  // yields the same interruptions for the same parameters.
  const double cv = params_.available_cv;
  const double available = cv == 1.0
                               ? rng_.Exponential(1.0 / params_.mean_available_s)
                               : rng_.Gamma(1.0 / (cv * cv), params_.mean_available_s * cv * cv);
  const double unavailable = rng_.Exponential(1.0 / params_.mean_unavailable_s);
  i.whole_gang = rng_.Bernoulli(params_.gang_all_or_nothing);
  i.victim_seed = rng_.NextU64();
  i.reclaim_s = period_start_s + available;
  i.notice_s = std::max(period_start_s, i.reclaim_s - params_.notice_s);
  i.available_again_s = i.reclaim_s + unavailable;
  return i;
}

SpotInterruption SpotAvailability::Next() {
  const SpotInterruption current = next_;
  next_ = Draw(current.available_again_s);
  return current;
}

double SpotAvailability::LongRunAvailability() const {
  return params_.mean_available_s / (params_.mean_available_s + params_.mean_unavailable_s);
}

std::vector<size_t> SpotVictims(const SpotInterruption& interruption, size_t running) {
  std::vector<size_t> all(running);
  std::iota(all.begin(), all.end(), size_t{0});
  if (interruption.whole_gang || running <= 1) return all;
  Rng rng(interruption.victim_seed);
  const size_t k = 1 + static_cast<size_t>(rng.UniformInt(running - 1));  // 1..running-1
  // Partial Fisher-Yates: the first k entries are a uniform random k-subset.
  for (size_t i = 0; i < k; ++i) {
    const size_t j = i + static_cast<size_t>(rng.UniformInt(running - i));
    std::swap(all[i], all[j]);
  }
  all.resize(k);
  std::sort(all.begin(), all.end());
  return all;
}

}  // namespace fleetsim
