// Distributions of token counts (prompt and output lengths of requests).
//
//   fixed      {distribution: fixed, value: 256}
//   uniform    {distribution: uniform, min: 64, max: 1024}          integers, inclusive
//   lognormal  {distribution: lognormal, median: 512, sigma: 0.8, min: 1, max: 8192}
//              ln L ~ Normal(ln median, sigma), rounded, clamped to [min, max]
//   empirical  {distribution: empirical, values: [128, 512, 2048], weights: [5, 3, 1]}
//              or {distribution: empirical, file: lengths.csv} (one "value[,weight]" a line)
//
// Every draw is an integer >= 1: a request has at least one prompt and one output token.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "sim/registry.h"
#include "sim/rng.h"

namespace fleetsim {

class ConfigNode;

class LengthDistribution {
 public:
  virtual ~LengthDistribution() = default;
  virtual int64_t Sample(Rng& rng) const = 0;
  virtual double Mean()
      const = 0;  // of the clamped, rounded distribution (approximate for lognormal)
};

using LengthFactory = std::unique_ptr<LengthDistribution> (*)(const ConfigNode& node,
                                                              class MapReader& reader);
const Registry<LengthFactory>& LengthDistributions();

// Reads a {distribution: NAME, ...} map. Throws ConfigError.
std::unique_ptr<LengthDistribution> ReadLengthDistribution(const ConfigNode& node);

}  // namespace fleetsim
