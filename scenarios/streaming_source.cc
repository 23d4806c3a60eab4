#include "scenarios/streaming_source.h"

#include <algorithm>
#include <string>
#include <vector>

#include "models/network/steady_rates.h"
#include "sim/suggest.h"
#include "sim/units.h"
#include "topologies/cluster_graph.h"

namespace fleetsim {

void ResolveStreamingSource(ServiceSpec& spec, const ClusterGraph* topology,
                            const ConfigNode& ws_node) {
  const ConfigNode server_node = ws_node.Get("server");
  if (!topology) {
    server_node.Fail("weight_streaming.server needs a 'topology:' in the scenario");
  }
  std::vector<std::string> names;
  for (const auto& s : topology->servers()) names.push_back(s.name);
  const auto it = std::find(names.begin(), names.end(), spec.stream_server);
  if (it == names.end()) {
    server_node.Fail(
        "no server '" + spec.stream_server + "' in topology '" + topology->name() + "'",
        ClosestName(spec.stream_server, names).value_or(""));
  }
  const ServerSpec& server = topology->servers()[static_cast<size_t>(it - names.begin())];
  std::vector<NodeId> gpus;
  std::optional<NodeId> source;
  const NodeKind source_kind = spec.stream_from == "nvme" ? NodeKind::kNvme : NodeKind::kHost;
  for (NodeId n = server.first_node; n < server.first_node + server.node_count; ++n) {
    const NodeSpec& node = topology->node(n);
    if (node.kind == NodeKind::kGpu) {
      if (node.gpu_type != spec.gpu->name) {
        server_node.Fail("server '" + server.name + "' has " + node.gpu_type + " GPUs; service '" +
                         spec.name + "' runs on " + spec.gpu->name);
      }
      gpus.push_back(n);
    }
    if (node.kind == source_kind && !source) source = n;
  }
  if (static_cast<int64_t>(gpus.size()) < spec.GpusPerReplica()) {
    server_node.Fail("server '" + server.name + "' has " + std::to_string(gpus.size()) +
                     " GPUs, fewer than one replica's " + std::to_string(spec.GpusPerReplica()));
  }
  if (!source) {
    server_node.Fail("server '" + server.name + "' has no " +
                     std::string(NodeKindName(source_kind)) + " node to stream from");
  }
  std::vector<std::pair<NodeId, NodeId>> pairs;
  for (NodeId g : gpus) pairs.push_back({*source, g});
  std::vector<double> rates;
  try {
    rates = SteadyFlowRates(*topology, pairs);
  } catch (const InputError& e) {
    server_node.Fail(e.what());
  }
  spec.stream_link_bytes_per_s = *std::min_element(rates.begin(), rates.end());
  spec.stream_path = std::string(spec.stream_from == "nvme" ? "NVMe" : "host memory") +
                     " shared by the " + std::to_string(gpus.size()) + " GPUs of '" + server.name +
                     "' (" + FormatQuantity(spec.stream_link_bytes_per_s, dim::kBytesPerSecond) +
                     " each), copies";
}

}  // namespace fleetsim
