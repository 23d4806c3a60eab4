// Deterministic random streams and in-tree distributions.
//
// A run's randomness is split into independent named streams: (seed, run, name) -> Rng.
// Adding a new random consumer (a new stream name) never shifts the numbers another
// stream draws, so results stay comparable across versions and between policies that
// consume randomness differently (common random numbers for policy comparisons).
//
// The generator is xoshiro256** seeded through splitmix64; the distributions are written
// here rather than taken from <random>, whose distributions differ between standard
// libraries. They use only +,-,*,/, sqrt (exact in IEEE 754) and log/exp/pow/cos from the
// C library, so results are bit-identical for a given libm (glibc on every supported
// platform).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace fleetsim {

class Rng {
 public:
  explicit Rng(uint64_t seed_material);

  uint64_t NextU64();
  // Uniform on [0, 1) with 53 random bits.
  double Uniform01();
  // Uniform on (0, 1]: safe to take the log of.
  double UniformOpen0();
  double Uniform(double lo, double hi);
  // Uniform integer in [0, n). Precondition: n > 0. Unbiased (rejection).
  uint64_t UniformInt(uint64_t n);
  bool Bernoulli(double p);

  // Exponential with the given rate (mean 1/rate). Precondition: rate > 0.
  double Exponential(double rate);
  // Normal (Marsaglia polar method; the second value is cached).
  double Normal(double mean, double stddev);
  // exp(Normal(mu, sigma)).
  double Lognormal(double mu, double sigma);
  // Gamma with shape k > 0 and scale theta > 0 (mean k*theta); Marsaglia-Tsang.
  double Gamma(double shape, double scale);
  // Pareto type I: support [scale, inf), P(X > x) = (scale/x)^alpha.
  double Pareto(double scale, double alpha);

 private:
  uint64_t s_[4];
  bool has_spare_normal_ = false;
  double spare_normal_ = 0.0;
};

// A distribution given by observed values and weights. Sample() draws one of the values
// with probability proportional to its weight; SampleInterpolated() treats the sorted
// values as the knots of a piecewise-linear CDF (for continuous quantities such as prompt
// lengths measured in buckets).
class EmpiricalDistribution {
 public:
  // Preconditions: values non-empty, weights empty (all equal) or the same size, every
  // weight >= 0 and their sum > 0. Throws std::invalid_argument otherwise.
  EmpiricalDistribution(std::vector<double> values, std::vector<double> weights = {});

  double Sample(Rng& rng) const;
  double SampleInterpolated(Rng& rng) const;
  double Mean() const;
  const std::vector<double>& values() const { return values_; }

 private:
  std::vector<double> values_;  // sorted ascending
  std::vector<double> cdf_;     // cumulative weight, normalised so cdf_.back() == 1
};

// Stable 64-bit hash of a name (FNV-1a, then mixed): part of the stream derivation, so it
// must never change.
uint64_t StableHash(std::string_view name);

class RngStreams {
 public:
  RngStreams(uint64_t seed, uint64_t run) : seed_(seed), run_(run) {}
  // The same (seed, run, name) always gives the same stream.
  Rng Stream(std::string_view name) const;
  uint64_t seed() const { return seed_; }
  uint64_t run() const { return run_; }

 private:
  uint64_t seed_;
  uint64_t run_;
};

}  // namespace fleetsim
