// The small vocabulary shared by the cluster graph (topologies/) and the network model
// (models/network/): node and directed-link indices, and routes.
//
// A full-duplex cable is two directed links, one per direction, each with the cable's
// per-direction bandwidth: traffic one way does not slow traffic the other way.
#pragma once

#include <cstdint>
#include <vector>

#include "sim/time.h"

namespace fleetsim {

using NodeId = uint32_t;  // index of a node (GPU, switch, NIC, host ...) in the cluster graph
using LinkId = uint32_t;  // index of a DIRECTED link

struct DirectedLinkSpec {
  NodeId from = 0;
  NodeId to = 0;
  double bandwidth_bytes_per_s = 0;  // > 0
  Duration latency;                  // propagation + switching, paid once per flow per hop
};

// A path through the fabric from one node to another.
struct Route {
  std::vector<LinkId> links;  // in order, source to destination; empty for a node to itself
  Duration latency;           // sum of the links' latencies
};

}  // namespace fleetsim
