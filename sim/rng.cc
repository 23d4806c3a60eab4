#include "sim/rng.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace fleetsim {

namespace {

uint64_t SplitMix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t Mix(uint64_t x) { return SplitMix64(x); }

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

uint64_t StableHash(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return Mix(h);
}

Rng::Rng(uint64_t seed_material) {
  uint64_t x = seed_material;
  for (auto& s : s_) s = SplitMix64(x);
  // xoshiro must not start from the all-zero state (splitmix64 never yields four zeros,
  // but make the invariant explicit).
  if ((s_[0] | s_[1] | s_[2] | s_[3]) == 0) s_[0] = 1;
}

uint64_t Rng::NextU64() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

double Rng::Uniform01() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

double Rng::UniformOpen0() { return static_cast<double>((NextU64() >> 11) + 1) * 0x1.0p-53; }

double Rng::Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform01(); }

uint64_t Rng::UniformInt(uint64_t n) {
  // Rejection on the top of the range: unbiased and independent of the platform.
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do {
    x = NextU64();
  } while (x >= limit);
  return x % n;
}

bool Rng::Bernoulli(double p) { return Uniform01() < p; }

double Rng::Exponential(double rate) { return -std::log(UniformOpen0()) / rate; }

double Rng::Normal(double mean, double stddev) {
  if (has_spare_normal_) {
    has_spare_normal_ = false;
    return mean + stddev * spare_normal_;
  }
  double u, v, s;
  do {
    u = 2.0 * Uniform01() - 1.0;
    v = 2.0 * Uniform01() - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  const double f = std::sqrt(-2.0 * std::log(s) / s);
  spare_normal_ = v * f;
  has_spare_normal_ = true;
  return mean + stddev * u * f;
}

double Rng::Lognormal(double mu, double sigma) { return std::exp(Normal(mu, sigma)); }

double Rng::Gamma(double shape, double scale) {
  if (shape < 1.0) {
    // Boost: Gamma(k) = Gamma(k + 1) * U^(1/k).
    const double u = UniformOpen0();
    return Gamma(shape + 1.0, scale) * std::pow(u, 1.0 / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x, v;
    do {
      x = Normal(0.0, 1.0);
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = UniformOpen0();
    const double x2 = x * x;
    if (u < 1.0 - 0.0331 * x2 * x2) return d * v * scale;
    if (std::log(u) < 0.5 * x2 + d * (1.0 - v + std::log(v))) return d * v * scale;
  }
}

double Rng::Pareto(double scale, double alpha) {
  return scale / std::pow(UniformOpen0(), 1.0 / alpha);
}

EmpiricalDistribution::EmpiricalDistribution(std::vector<double> values,
                                             std::vector<double> weights) {
  if (values.empty()) throw std::invalid_argument("empirical distribution: no values");
  if (weights.empty()) weights.assign(values.size(), 1.0);
  if (weights.size() != values.size()) {
    throw std::invalid_argument("empirical distribution: values and weights differ in length");
  }
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return values[a] < values[b]; });
  double total = 0.0;
  for (double w : weights) {
    if (!(w >= 0.0) || !std::isfinite(w)) {
      throw std::invalid_argument("empirical distribution: weights must be finite and >= 0");
    }
    total += w;
  }
  if (!(total > 0.0)) throw std::invalid_argument("empirical distribution: weights sum to 0");
  double acc = 0.0;
  for (size_t i : order) {
    if (!std::isfinite(values[i])) {
      throw std::invalid_argument("empirical distribution: values must be finite");
    }
    values_.push_back(values[i]);
    acc += weights[i];
    cdf_.push_back(acc / total);
  }
  cdf_.back() = 1.0;
}

double EmpiricalDistribution::Sample(Rng& rng) const {
  const double u = rng.Uniform01();
  const auto it = std::upper_bound(cdf_.begin(), cdf_.end(), u);
  const size_t i = std::min<size_t>(static_cast<size_t>(it - cdf_.begin()), values_.size() - 1);
  return values_[i];
}

double EmpiricalDistribution::SampleInterpolated(Rng& rng) const {
  if (values_.size() == 1) return values_[0];
  // Knots: (values_[0], 0) ... (values_[i], cdf_[i]) with the first knot's mass spread
  // over the interval to the second value.
  const double u = rng.Uniform01();
  const auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
  const size_t i = static_cast<size_t>(it - cdf_.begin());
  if (i == 0) return values_[0];  // the first knot's weight is a point mass at the minimum
  const double lo = cdf_[i - 1];
  const double hi = cdf_[i];
  const double f = hi > lo ? (u - lo) / (hi - lo) : 0.0;
  return values_[i - 1] + f * (values_[i] - values_[i - 1]);
}

double EmpiricalDistribution::Mean() const {
  double mean = 0.0, prev = 0.0;
  for (size_t i = 0; i < values_.size(); ++i) {
    mean += values_[i] * (cdf_[i] - prev);
    prev = cdf_[i];
  }
  return mean;
}

Rng RngStreams::Stream(std::string_view name) const {
  uint64_t x = Mix(seed_ ^ 0x6a09e667f3bcc908ULL);
  x = Mix(x ^ Mix(run_ ^ 0xbb67ae8584caa73bULL));
  x = Mix(x ^ StableHash(name));
  return Rng(x);
}

}  // namespace fleetsim
