// Where a service's streamed weights come from (replica.weight_streaming: {from, server}):
// the per-GPU rate of the streams when the scenario names a server of its topology.
//
// Every GPU of the named server streams at once (the server is filled with replicas of the
// service, each streaming in every iteration): one flow from the source (the server's host
// memory, node `cpu`, or its NVMe array, node `nvme`) to each of its GPUs, over the server's
// routes, sharing every link max-min fairly (models/network/steady_rates.h). The replica's
// rate is the smallest of these: GPUs behind one PCIe switch share its uplink, and every
// stream from the NVMe shares the NVMe link. Copy efficiency (link_efficiency) applies on top,
// in replica_binding.cc, as for the catalog host link.
#pragma once

#include "scenarios/scenario.h"
#include "sim/config/config.h"

namespace fleetsim {

class ClusterGraph;

// Sets spec.stream_link_bytes_per_s and spec.stream_path from spec.stream_from and
// spec.stream_server. Fails at `ws_node` (the weight_streaming map) when the scenario has no
// topology, the server does not exist (with the closest name), its GPUs are not the
// replica's GPU type or too few for one replica, or it has no node for the source.
void ResolveStreamingSource(ServiceSpec& spec, const ClusterGraph* topology,
                            const ConfigNode& ws_node);

}  // namespace fleetsim
