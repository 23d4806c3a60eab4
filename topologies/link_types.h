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

namespace fleetsim {

// What the network model needs to know about a fabric: its directed links and a route
// between any two nodes. Implemented by ClusterGraph (topologies/cluster_graph.h); tests
// may implement it by hand. Routes are deterministic: the same pair always gets the same
// route (equal-cost paths are chosen by a stable hash of the pair, so that traffic spreads
// over them).
class Fabric {
 public:
  virtual ~Fabric() = default;
  virtual size_t link_count() const = 0;
  virtual const DirectedLinkSpec& link(LinkId id) const = 0;
  // Precondition: both nodes exist and `to` is reachable from `from` (checked at load).
  virtual const Route& RouteBetween(NodeId from, NodeId to) const = 0;
};

}  // namespace fleetsim
