// What `fleetsim topo show` and `fleetsim topo dot` print about a cluster graph: counts,
// per-GPU scale-up and network bandwidth, bisection bandwidth (Summarize), and a Graphviz
// drawing (WriteDot). Formatting for humans and JSON is the CLI's (scenarios/cli/cmd_topo.cc).
#pragma once

#include <array>
#include <cstddef>
#include <map>
#include <ostream>
#include <string>

#include "topologies/cluster_graph.h"
#include "topologies/routing.h"

namespace fleetsim {

struct TopologySummary {
  std::string name;
  std::string description;
  RouteMetric metric = RouteMetric::kLatency;
  size_t nodes = 0;
  size_t cables = 0;
  size_t directed_links = 0;
  std::array<size_t, kNodeKindCount> nodes_by_kind{};
  std::array<size_t, 4> switches_by_level{};  // [0] no level, [1] leaf, [2] spine, [3] core
  std::array<size_t, kLinkKindCount> cables_by_kind{};
  std::map<std::string, size_t> gpu_types;  // catalog name -> GPUs
  size_t servers = 0;
  std::map<std::string, size_t> servers_by_template;  // template -> servers
  // Per GPU, bytes/s per direction, min and max over the GPUs:
  //   scale-up: the GPU's own NVLink / NVSwitch cables;
  //   network: the InfiniBand / Ethernet cables of its server's NICs shared by the server's
  //            GPUs (a GPU outside servers: its own network cables).
  double scale_up_min = 0, scale_up_max = 0;
  double network_min = 0, network_max = 0;
  Bisection bisection;
};

// Precondition: the graph has at least one GPU (the loader guarantees it).
TopologySummary Summarize(const ClusterGraph& g);

// Graphviz (undirected): one node per graph node, servers as clusters, parallel cables
// merged into one edge labelled "N x bandwidth". With collapse_servers, each server is one
// node and its internal cables are left out (for large fabrics).
void WriteDot(const ClusterGraph& g, std::ostream& out, bool collapse_servers);

}  // namespace fleetsim
