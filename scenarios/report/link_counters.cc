#include "scenarios/report/link_counters.h"

#include <algorithm>
#include <utility>

namespace fleetsim {

LinkTraceCounters::LinkTraceCounters(TraceWriter& trace, NetworkModel& net, const Fabric& fabric,
                                     std::function<std::string(NodeId)> node_name, size_t max_links)
    : trace_(trace),
      net_(net),
      fabric_(fabric),
      node_name_(std::move(node_name)),
      max_links_(max_links),
      pid_(trace.AddProcess("links")),
      bytes_(fabric.link_count(), 0.0),
      shown_index_(fabric.link_count(), -1) {}

void LinkTraceCounters::Sample(SimTime now) {
  const size_t n = fabric_.link_count();
  if (!started_ || !(now > last_)) {
    for (LinkId l = 0; l < n; ++l) bytes_[l] = net_.Usage(l).bytes_carried;
    started_ = true;
    last_ = now;
    return;
  }
  const double dt_s = (now - last_).seconds();
  double max_util = 0, busy_sum = 0;
  int64_t busy = 0;
  std::vector<double> util(shown_.size(), 0.0);
  std::vector<std::pair<double, LinkId>> fresh;  // busy links without a counter yet
  for (LinkId l = 0; l < n; ++l) {
    const LinkUsage u = net_.Usage(l);
    const double carried = u.bytes_carried - bytes_[l];
    bytes_[l] = u.bytes_carried;
    if (!(carried > 0)) continue;
    const double x = carried / (u.capacity_bytes_per_s * dt_s);
    max_util = std::max(max_util, x);
    busy_sum += x;
    ++busy;
    if (shown_index_[l] >= 0) {
      util[static_cast<size_t>(shown_index_[l])] = x;
    } else if (shown_.size() < max_links_) {
      fresh.emplace_back(x, l);
    }
  }
  // New links get their own counter busiest first (then by id) while there is room.
  std::sort(fresh.begin(), fresh.end(), [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  });
  for (const auto& [x, l] : fresh) {
    if (shown_.size() >= max_links_) break;
    shown_index_[l] = static_cast<int32_t>(shown_.size());
    shown_.push_back(l);
    const DirectedLinkSpec& spec = fabric_.link(l);
    auto name = [&](NodeId id) { return node_name_ ? node_name_(id) : std::to_string(id); };
    shown_names_.push_back(name(spec.from) + " -> " + name(spec.to));
    util.push_back(x);
  }
  trace_.Counter(pid_, "max utilisation", last_, max_util);
  trace_.Counter(pid_, "busy links", last_, static_cast<double>(busy));
  trace_.Counter(pid_, "mean utilisation, busy links", last_,
                 busy ? busy_sum / static_cast<double>(busy) : 0.0);
  for (size_t i = 0; i < shown_.size(); ++i) trace_.Counter(pid_, shown_names_[i], last_, util[i]);
  last_ = now;
}

}  // namespace fleetsim
