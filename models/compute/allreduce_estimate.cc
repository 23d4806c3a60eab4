#include "models/compute/allreduce_estimate.h"

#include <limits>

namespace fleetsim {

namespace {

// Seconds of protocol `p` for `bytes` over `ranks`, without the launch cost.
double ProtocolSeconds(const RingProtocol& p, double bus_bandwidth, double bytes, int ranks) {
  const double steps = 2.0 * (ranks - 1);
  return p.base_latency_s + steps * p.step_latency_s +
         steps / ranks * bytes / (bus_bandwidth * p.bandwidth_fraction);
}

}  // namespace

double AlphaBetaAllReduce::operator()(double bytes, int ranks) const {
  if (ranks <= 1) return 0;
  double best = std::numeric_limits<double>::infinity();
  for (const RingProtocol& p : protocols) {
    const double t = ProtocolSeconds(p, bus_bandwidth_bytes_per_s, bytes, ranks);
    if (t < best) best = t;
  }
  return launch_s + best;
}

std::string AlphaBetaAllReduce::ProtocolFor(double bytes, int ranks) const {
  if (ranks <= 1) return "";
  double best = std::numeric_limits<double>::infinity();
  std::string name;
  for (const RingProtocol& p : protocols) {
    const double t = ProtocolSeconds(p, bus_bandwidth_bytes_per_s, bytes, ranks);
    if (t < best) {
      best = t;
      name = p.name;
    }
  }
  return name;
}

AlphaBetaAllReduce DgxA100AllReduce() {
  // Sources in the header.
  AlphaBetaAllReduce ar;
  ar.launch_s = 2.3e-6;
  ar.bus_bandwidth_bytes_per_s = 210e9;
  ar.protocols = {{"LL", 6.6e-6, 0.6e-6, 0.25},
                  {"LL128", 14e-6, 1.9e-6, 0.92},
                  {"Simple", 8.4e-6, 3.4e-6, 1.0}};
  return ar;
}

}  // namespace fleetsim
