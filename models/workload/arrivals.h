// Request arrivals for inference services: named processes (`fleetsim list arrivals`)
// over a time-varying rate (rate_profile.h), and replay of CSV traces.
//
// A synthetic process works in "operational time" tau = Lambda(t), the expected number of
// arrivals since t = 0: it draws unit-mean gaps in tau and maps them back to clock time
// through Lambda. A renewal process with unit-mean gaps in tau has exactly the requested
// mean rate at every instant, whatever the profile, so burstiness (the gap distribution)
// and the profile (cycles, spikes, growth) compose without interfering:
//   poisson   gaps ~ Exponential(1)                        (CV = 1)
//   gamma     gaps ~ Gamma(k = 1/cv^2, theta = cv^2)        (mean 1, CV = cv: > 1 burstier)
//   constant  gaps = 1                                      (CV = 0, for tests and studies)
//   trace     times, lengths and classes from a CSV file
//
// Memory is constant in the number of requests: streams generate lazily, and a trace is
// read line by line.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/workload/lengths.h"
#include "models/workload/rate_profile.h"
#include "sim/registry.h"
#include "sim/rng.h"

namespace fleetsim {

class ConfigNode;

struct RequestSpec {
  double arrival_s = 0;
  int64_t prompt_tokens = 0;
  int64_t output_tokens = 0;
  int32_t class_index = -1;  // index into StreamContext::class_names; -1 = not given
};

struct StreamContext {
  RngStreams rng{1, 0};
  std::string name = "demand";           // random stream prefix; distinct per service
  double horizon_s = 0;                  // no request at or after this time
  std::vector<std::string> class_names;  // valid values of a trace's class column
};

class RequestStream {
 public:
  virtual ~RequestStream() = default;
  // The next request (arrival times non-decreasing), or nullopt when the stream ends.
  virtual std::optional<RequestSpec> Next() = 0;
};

// Synthetic inter-arrival gaps in operational time (mean 1).
class GapSampler {
 public:
  virtual ~GapSampler() = default;
  virtual double Next(Rng& rng) = 0;
};

using ArrivalFactory = std::unique_ptr<GapSampler> (*)(const ConfigNode& arrivals,
                                                       class MapReader& reader);
// The synthetic processes (the trace process is handled by ReadRequestStream).
const Registry<ArrivalFactory>& ArrivalProcesses();

// Reads a demand map:
//   arrivals: {process: poisson|gamma|constant, rate: "100/s", cv, diurnal, growth, spikes}
//   prompt_tokens: {distribution: ...}
//   output_tokens: {distribution: ...}
// or
//   arrivals: {process: trace, file: PATH, time_scale: 1.0}
// Throws ConfigError.
std::unique_ptr<RequestStream> ReadRequestStream(const ConfigNode& demand,
                                                 const StreamContext& context);

}  // namespace fleetsim
