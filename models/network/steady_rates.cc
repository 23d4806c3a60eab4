#include "models/network/steady_rates.h"

#include <algorithm>
#include <limits>
#include <map>

namespace fleetsim {

std::vector<double> SteadyFlowRates(const Fabric& fabric,
                                    const std::vector<std::pair<NodeId, NodeId>>& pairs) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  const size_t n = pairs.size();
  std::vector<double> rate(n, kInf);
  std::vector<const Route*> routes(n);
  // The links used, in id order, each with the flows through it.
  std::map<LinkId, std::vector<size_t>> flows_on;
  std::vector<bool> frozen(n, false);
  size_t unfrozen = 0;
  for (size_t i = 0; i < n; ++i) {
    routes[i] = &fabric.RouteBetween(pairs[i].first, pairs[i].second);
    if (routes[i]->links.empty()) {
      frozen[i] = true;  // nothing to share: not limited by the fabric
      continue;
    }
    ++unfrozen;
    for (LinkId l : routes[i]->links) flows_on[l].push_back(i);
  }
  // Capacity each link has left for its unfrozen flows.
  std::map<LinkId, double> left;
  for (const auto& [l, fl] : flows_on) left[l] = fabric.link(l).bandwidth_bytes_per_s;
  while (unfrozen > 0) {
    // The bottleneck: the link whose remaining capacity split over its unfrozen flows is
    // the smallest (the first in id order among equals).
    double share = kInf;
    LinkId bottleneck = 0;
    for (const auto& [l, fl] : flows_on) {
      const auto active = std::count_if(fl.begin(), fl.end(), [&](size_t f) { return !frozen[f]; });
      if (active == 0) continue;
      const double s = left[l] / static_cast<double>(active);
      if (s < share) {
        share = s;
        bottleneck = l;
      }
    }
    for (size_t f : flows_on[bottleneck]) {
      if (frozen[f]) continue;
      frozen[f] = true;
      --unfrozen;
      rate[f] = share;
      for (LinkId l : routes[f]->links) left[l] = std::max(0.0, left[l] - share);
    }
  }
  return rate;
}

}  // namespace fleetsim
