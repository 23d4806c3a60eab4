// Steady max-min fair rates of transfers that run at once over a fabric: what each of a set
// of long-lived flows gets when all of them are active, without running a simulation.
//
// Used where a transfer repeats for as long as a configuration lasts, so only its steady
// share matters: a serving replica that streams its weights from host memory or NVMe in
// every iteration, while the other replicas of the same server do the same (the GPUs
// behind one PCIe switch share its uplink; every stream from the NVMe shares its link).
//
// The rates are the max-min fair allocation over the directed links of each flow's route
// (progressive filling: raise every unfrozen flow's rate equally until a link saturates,
// freeze the flows through it, repeat), the same criterion as the network model
// (models/network/network_model.h) at a moment when exactly these flows are in flight.
// Units: bytes per second. Deterministic: links are scanned in id order.
#pragma once

#include <utility>
#include <vector>

#include "topologies/link_types.h"

namespace fleetsim {

// One rate per (from, to) pair, in order. A pair with from == to (an empty route) gets
// +infinity. Preconditions: as Fabric::RouteBetween for every pair.
std::vector<double> SteadyFlowRates(const Fabric& fabric,
                                    const std::vector<std::pair<NodeId, NodeId>>& pairs);

}  // namespace fleetsim
