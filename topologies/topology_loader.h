// Topology files (YAML) -> a frozen, checked ClusterGraph. docs/topologies.md is the
// reference for every key; topologies/*.yaml are the shipped examples.
//
//   topology:
//     name: my-cluster
//     routing: {metric: latency}          # or hops
//     templates: {NAME: {generator: dgx_h100, ...} | {nodes: [...], links: [...]}}
//     servers: [{name: "dgx{i}", template: NAME, count: 4}]
//     fabric: {generator: rail_optimized, template: NAME, servers: 32, radix: 64, ...}
//     nodes: [{name: sw0, kind: switch}]
//     links: [{a: sw0, b: "dgx0/nic0", kind: infiniband, bandwidth: "400 Gb/s",
//              latency: "0.5 us"}]
//
// Reading is strict (sim/config): unknown keys, wrong units, dangling link ends, duplicate
// names, non-positive bandwidths, unknown kinds or GPU types, generator parameters out of
// range and GPUs that cannot reach each other are ConfigErrors with file:line:col.
//
// The loader knows no catalog (topologies/ sits below models/): the caller says which GPU
// types exist through TopologyLoadOptions.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "topologies/cluster_graph.h"

namespace fleetsim {

class ConfigNode;

struct TopologyLoadOptions {
  // The canonical device name for a GPU type as written (case, aliases), or nullopt if the
  // type is unknown. Unset: every type is accepted as written.
  std::function<std::optional<std::string>(const std::string&)> resolve_gpu_type;
  // Names offered as "did you mean" for an unknown type.
  std::vector<std::string> gpu_type_names;
};

// True if a parsed file is a topology file (it has a top-level `topology:` key).
bool IsTopologyDocument(const ConfigNode& root);

// Loads a topology file. Throws ConfigError (bad input) with the position of the problem.
ClusterGraph LoadTopologyFile(const std::string& path, const TopologyLoadOptions& options);

// Loads the map under a `topology:` key, so that other files (scenarios) can embed one.
ClusterGraph LoadTopology(const ConfigNode& topology, const TopologyLoadOptions& options);

}  // namespace fleetsim
