// PRIVATE to topologies/*.cc: the Boost.Graph types behind ClusterGraph. Nothing outside
// topologies/ may include this header (it pulls in Boost.Graph, which is slow to compile,
// and the layout here is free to change).
#pragma once

#include <boost/graph/adjacency_list.hpp>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "topologies/cluster_graph.h"

namespace fleetsim {

// The bundled property of a directed edge: which directed link it is, and its routing
// weight under the graph's metric (see RouteWeight).
struct LinkBundle {
  LinkId link = 0;
  int64_t weight = 0;
  int64_t bandwidth = 0;  // bytes/s in this direction, rounded: exact comparisons
};

// Directed: a cable is two edges, one per direction, so that every directed link has its
// own LinkId. Out-edge and vertex lists are vectors: the graph is frozen, and edge order is
// insertion order, which keeps every tie-break deterministic.
using BglGraph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, NodeSpec,
                                       LinkBundle, boost::no_property, boost::vecS>;
using BglVertex = boost::graph_traits<BglGraph>::vertex_descriptor;
using BglEdge = boost::graph_traits<BglGraph>::edge_descriptor;

inline constexpr int64_t kInfiniteCost = std::numeric_limits<int64_t>::max() / 4;
// The width (bottleneck bandwidth) of the empty path at a route's origin.
inline constexpr int64_t kInfiniteWidth = std::numeric_limits<int64_t>::max();

// The routing weight of a link: the metric first, the other quantity as a tie-break, in one
// exact integer. Latencies are at most 1 s (< 2^30 ns), so
//   kLatency: latency_ns * 2^16 + 1  (ties in latency go to fewer hops; < 2^16 hops per route)
//   kHops:    2^32 + latency_ns      (ties in hops go to lower latency)
// and a route of up to ~100,000 links stays far below kInfiniteCost.
inline int64_t RouteWeight(RouteMetric m, Duration latency) {
  if (m == RouteMetric::kLatency) return latency.ns() * (int64_t{1} << 16) + 1;
  return (int64_t{1} << 32) + latency.ns();
}

// Computes and caches routes (routing.cc; the rules are in routing.h). One per graph; the
// lock makes a frozen graph shareable between threads.
class Router {
 public:
  explicit Router(const ClusterGraph::Impl& g) : g_(g) {}
  // nullptr when unreachable. The pointer stays valid for the graph's lifetime.
  const Route* Find(NodeId from, NodeId to);
  ClusterGraph::CacheStats stats() const;

 private:
  Route Compute(NodeId from, NodeId to, bool* found);
  // Over fabric nodes, indexed by fabric index: the widest bottleneck to `destination`, and
  // the lowest cost to it using links of at least `min_bandwidth`. Cached.
  const std::vector<int64_t>& WidthRow(NodeId destination);
  const std::vector<int64_t>& CostRow(NodeId destination, int64_t min_bandwidth);

  const ClusterGraph::Impl& g_;
  mutable std::mutex mu_;
  // Unreachable pairs are cached too (as nullopt), so asking twice is cheap.
  std::unordered_map<uint64_t, std::optional<Route>> routes_;
  std::unordered_map<NodeId, std::unique_ptr<std::vector<int64_t>>> width_rows_;
  std::map<std::pair<NodeId, int64_t>, std::unique_ptr<std::vector<int64_t>>> cost_rows_;
  std::vector<int64_t> scratch_;  // by NodeId, for the Boost.Graph searches
};

struct ClusterGraph::Impl {
  Impl();
  ~Impl();

  std::string name;
  std::string description;
  RouteMetric metric = RouteMetric::kLatency;

  BglGraph graph;                       // vertex i is NodeId i; bundles are the NodeSpecs
  std::vector<CableSpec> cables;        // cable i = links 2i, 2i+1
  std::vector<DirectedLinkSpec> links;  // by LinkId
  std::vector<ServerSpec> servers;
  std::vector<NodeId> gpus;
  std::unordered_map<std::string, NodeId> by_name;

  // Fabric nodes (not in any server) get a dense index, used by the routing rows.
  std::vector<int32_t> fabric_index;  // by NodeId; -1 for nodes inside a server
  std::vector<NodeId> fabric_nodes;   // by fabric index

  std::unique_ptr<Router> router;

  const NodeSpec& node(NodeId id) const { return graph[id]; }
  bool in_fabric(NodeId id) const { return fabric_index[id] >= 0; }
};

}  // namespace fleetsim
