// Trace counters of link utilisation (trace.json, docs/outputs.md), from the flow-level
// network model: per sampling interval, the bytes a directed link carried / (its capacity x
// the interval). Written at the start of the interval they describe (a counter holds its
// value until the next), in the trace process "links":
//   "max utilisation"             the busiest link's
//   "busy links"                  links that carried anything
//   "mean utilisation, busy links"
//   "A -> B"                      per link, for the first `max_links` links to carry traffic
//                                 (by sample; within one, the busiest first, then by link
//                                 id), from then on
// Large fabrics stay usable: a 16k-GPU cluster has ~10^5 directed links, and one counter
// track each would bury everything else; the aggregates cover every link. Each sample costs
// one pass over the links.
//
// Not here: the flows (models/network), what runs send (models/training, models/serving).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/network/network_model.h"
#include "sim/time.h"
#include "sim/trace/trace_writer.h"
#include "topologies/link_types.h"

namespace fleetsim {

class LinkTraceCounters {
 public:
  // `node_name` names a node for the per-link counters (default: its id). `trace`, `net`
  // and `fabric` must outlive this object.
  LinkTraceCounters(TraceWriter& trace, NetworkModel& net, const Fabric& fabric,
                    std::function<std::string(NodeId)> node_name = {}, size_t max_links = 64);
  // Call at every sampling instant, in time order; the first call only takes a reference.
  void Sample(SimTime now);

 private:
  TraceWriter& trace_;
  NetworkModel& net_;
  const Fabric& fabric_;
  std::function<std::string(NodeId)> node_name_;
  size_t max_links_;
  uint32_t pid_;
  bool started_ = false;
  SimTime last_ = SimTime::Zero();
  std::vector<double> bytes_;  // per link, carried up to the last sample
  std::vector<LinkId> shown_;  // links with their own counter
  std::vector<std::string> shown_names_;
  std::vector<int32_t> shown_index_;  // per link: its index in shown_, or -1
};

}  // namespace fleetsim
