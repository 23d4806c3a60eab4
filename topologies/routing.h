// Routing and whole-graph analyses of a ClusterGraph. routing.cc is the one file of fleetsim
// that calls Boost.Graph algorithms (Dijkstra, disjoint sets, max flow); everything about
// paths is decided there.
//
// The rules a route follows:
//   - Only forwarding nodes (switches, NICs, hosts; see Forwards()) may be inside a route;
//     GPUs and NVMe drives are endpoints only.
//   - A route leaves the source's server at most once, crosses only fabric nodes (nodes in
//     no server) and enters the destination's server at most once: traffic never transits
//     a third server. Between two nodes of one server the route stays inside the server
//     when it can.
//   - It is the widest route first: its bottleneck bandwidth is the largest any allowed
//     route has (so GPUs on one NVSwitch talk over NVLink, not over the PCIe switch they
//     share, as NCCL would; and a thin link is avoided when a wider way exists).
//   - Among the widest, it is a shortest path under the graph's RouteMetric (latency, ties
//     by hops; or hops, ties by latency), using only links at least that wide. Costs are
//     exact integers, so equal-cost paths are found exactly.
//   - Among equal-cost paths the choice is made hop by hop, as ECMP switches do: at each
//     node the next link is picked among the equal-cost ones by a stable hash of
//     (source, destination, node). The same pair always gets the same route, and different
//     pairs spread over the parallel paths of a fat tree.
//
// Cost: routes are computed on first use and cached per (source, destination). Inside a
// server the searches are small Dijkstras over the server's nodes; across the fabric they
// read rows per fabric destination (a widest-path and a shortest-path Dijkstra over the
// fabric nodes, each cached), so a route in a 16k-GPU fat tree costs four tiny local
// searches, a few row look-ups and the walk, never an all-pairs computation.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>

#include "topologies/cluster_graph.h"

namespace fleetsim {

// The first pair of GPUs (by NodeId order of the second) that cannot reach each other under
// the routing rules, if any. Linear in the graph size plus the pairs it has to look at
// individually (only GPUs that share no fabric component).
std::optional<std::pair<NodeId, NodeId>> FindUnreachableGpus(const ClusterGraph& g);

// Throws InputError naming both GPUs if FindUnreachableGpus finds a pair.
void CheckGpusReachable(const ClusterGraph& g);

// The bisection bandwidth of the canonical split: the maximum flow, per direction, from
// the first half of the GPUs (in NodeId order) to the second half, every directed link a
// capacity. For fat trees built in server order this split is the worst case, i.e. the
// textbook bisection bandwidth. When the split falls between servers, each server is
// contracted into its side (its internal links are assumed not to limit the flow), which
// keeps a 16k-GPU cluster to a max flow over its switches only. The max flow does not apply
// the routing rules (it is a capacity bound, not a routing). Zero with fewer than 2 GPUs.
struct Bisection {
  double bandwidth_bytes_per_s = 0;
  size_t gpus_per_side = 0;
  bool servers_contracted = false;
};
Bisection BisectionBandwidth(const ClusterGraph& g);

}  // namespace fleetsim
