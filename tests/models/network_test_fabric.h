// A small hand-built Fabric for the network model tests: directed links added one by one,
// routes either set explicitly or found by breadth-first search (fewest hops; among equal
// ones, the first found in link-id order), cached per pair.
#pragma once

#include <algorithm>
#include <deque>
#include <map>
#include <stdexcept>
#include <utility>
#include <vector>

#include "topologies/link_types.h"

namespace fleetsim::testing {

class TestFabric : public Fabric {
 public:
  NodeId AddNode() { return node_count_++; }
  std::vector<NodeId> AddNodes(size_t n) {
    std::vector<NodeId> out;
    for (size_t i = 0; i < n; ++i) out.push_back(AddNode());
    return out;
  }
  LinkId AddLink(NodeId from, NodeId to, double bandwidth, Duration latency = Duration::Zero()) {
    links_.push_back(DirectedLinkSpec{from, to, bandwidth, latency});
    return static_cast<LinkId>(links_.size() - 1);
  }
  // A full-duplex cable: two directed links, returns {from->to, to->from}.
  std::pair<LinkId, LinkId> AddCable(NodeId a, NodeId b, double bandwidth,
                                     Duration latency = Duration::Zero()) {
    const LinkId ab = AddLink(a, b, bandwidth, latency);
    const LinkId ba = AddLink(b, a, bandwidth, latency);
    return {ab, ba};
  }
  void SetRoute(NodeId from, NodeId to, std::vector<LinkId> links) {
    Route r;
    for (LinkId l : links) r.latency += links_.at(l).latency;
    r.links = std::move(links);
    routes_[{from, to}] = std::move(r);
  }
  // A route over explicit links, not tied to nodes (for the model's own tests).
  Route MakeRoute(std::vector<LinkId> links) const {
    Route r;
    for (LinkId l : links) r.latency += links_.at(l).latency;
    r.links = std::move(links);
    return r;
  }

  size_t link_count() const override { return links_.size(); }
  const DirectedLinkSpec& link(LinkId id) const override { return links_.at(id); }
  const Route& RouteBetween(NodeId from, NodeId to) const override {
    auto it = routes_.find({from, to});
    if (it != routes_.end()) return it->second;
    return routes_[{from, to}] = Bfs(from, to);
  }

 private:
  Route Bfs(NodeId from, NodeId to) const {
    Route r;
    if (from == to) return r;
    std::vector<std::vector<LinkId>> out(node_count_);
    for (LinkId l = 0; l < links_.size(); ++l) out[links_[l].from].push_back(l);
    std::vector<LinkId> via(node_count_, static_cast<LinkId>(-1));
    std::vector<bool> seen(node_count_, false);
    std::deque<NodeId> queue{from};
    seen[from] = true;
    while (!queue.empty() && !seen[to]) {
      const NodeId n = queue.front();
      queue.pop_front();
      for (LinkId l : out[n]) {
        const NodeId m = links_[l].to;
        if (seen[m]) continue;
        seen[m] = true;
        via[m] = l;
        queue.push_back(m);
      }
    }
    if (!seen[to]) throw std::logic_error("test fabric: no route");
    for (NodeId n = to; n != from; n = links_[via[n]].from) r.links.push_back(via[n]);
    std::reverse(r.links.begin(), r.links.end());
    for (LinkId l : r.links) r.latency += links_[l].latency;
    return r;
  }

  NodeId node_count_ = 0;
  std::vector<DirectedLinkSpec> links_;
  mutable std::map<std::pair<NodeId, NodeId>, Route> routes_;
};

}  // namespace fleetsim::testing
