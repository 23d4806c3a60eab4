#include "models/network/network_model.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace fleetsim {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr uint32_t kNotInHeap = std::numeric_limits<uint32_t>::max();
// Flows whose rate lies below theta * (1 - kThresholdSlack) are provably unaffected by a
// change (docs/network.md, "Incremental solve"); the slack absorbs rounding in stored
// rates. A smaller threshold is always safe: it only re-rates more flows.
constexpr double kThresholdSlack = 1e-9;
// A re-rated flow keeps its old rate when the new one differs by less than this
// (relative): it saves a heap update and a remaining-bytes update for the many flows a
// solve recomputes to the same value, at the price of a 1e-12 relative capacity error.
constexpr double kRateTolerance = 1e-12;
// A flow with fewer bytes left than this fraction of its size is complete.
constexpr double kDoneFraction = 1e-12;
// A link is saturated (a possible bottleneck, to be expanded) when its load is within this
// fraction of its capacity. Solved bottlenecks are saturated to ~1e-15; the margin covers
// rounding in the maintained loads and the kRateTolerance shortcut.
constexpr double kSaturatedTolerance = 1e-9;
// A flow outside the region breaks a region flow's bottleneck only if its rate exceeds the
// region flow's by more than this (relative).
constexpr double kCheckTolerance = 1e-12;
// Flows within this fraction of a link's largest rate count as its top flows.
constexpr double kTopTolerance = 1e-9;
// Verification rounds before the solve falls back to the whole component above theta.
constexpr int kMaxRounds = 4;

}  // namespace

NetworkModel::NetworkModel(Simulator& sim, const Fabric& fabric)
    : sim_(sim), alive_(std::make_shared<NetworkModel*>(this)) {
  const size_t n = fabric.link_count();
  links_.resize(n);
  scratch_.resize(n);
  link_flows_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const double bw = fabric.link(static_cast<LinkId>(i)).bandwidth_bytes_per_s;
    if (!(bw > 0) || !std::isfinite(bw)) {
      throw std::invalid_argument("network model: link " + std::to_string(i) + " has bandwidth " +
                                  std::to_string(bw) + " B/s; it must be a positive finite number");
    }
    links_[i].capacity = bw;
  }
  std::weak_ptr<NetworkModel*> weak = alive_;
  sim_.AddPendingWorkCheck([weak]() -> std::string {
    auto alive = weak.lock();
    if (!alive || *alive == nullptr || (*alive)->in_flight_ == 0) return "";
    return "network: " + std::to_string((*alive)->in_flight_) +
           " flow(s) in flight that can never complete";
  });
}

NetworkModel::~NetworkModel() {
  *alive_ = nullptr;
  if (wake_.valid()) sim_.Cancel(wake_);
}

// ---------------------------------------------------------------- starting and stopping

FlowId NetworkModel::StartFlow(const Route& route, double bytes, EventHandler* handler,
                               uint64_t tag) {
  if (handler == nullptr) throw std::invalid_argument("network model: null completion handler");
  return Start(route.links, route.latency, bytes, handler, tag, Flow::kNoClosure);
}

FlowId NetworkModel::StartFlow(const Route& route, double bytes, std::function<void()> on_done) {
  return StartFlow(route.links, route.latency, bytes, std::move(on_done));
}

FlowId NetworkModel::StartFlow(std::span<const LinkId> links, Duration latency, double bytes,
                               EventHandler* handler, uint64_t tag) {
  if (handler == nullptr) throw std::invalid_argument("network model: null completion handler");
  return Start(links, latency, bytes, handler, tag, Flow::kNoClosure);
}

FlowId NetworkModel::StartFlow(std::span<const LinkId> links, Duration latency, double bytes,
                               std::function<void()> on_done) {
  uint32_t c;
  if (!free_closures_.empty()) {
    c = free_closures_.back();
    free_closures_.pop_back();
    closures_[c] = std::move(on_done);
  } else {
    c = static_cast<uint32_t>(closures_.size());
    closures_.push_back(std::move(on_done));
  }
  try {
    return Start(links, latency, bytes, nullptr, 0, c);
  } catch (...) {
    closures_[c] = nullptr;
    free_closures_.push_back(c);
    throw;
  }
}

uint32_t NetworkModel::AllocateSlot() {
  if (!free_slots_.empty()) {
    const uint32_t f = free_slots_.back();
    free_slots_.pop_back();
    return f;
  }
  const auto f = static_cast<uint32_t>(flows_.size());
  flows_.emplace_back();
  hops_.resize(flows_.size() * stride_);
  rate_.push_back(0);
  mark_.push_back(0);
  new_rate_.push_back(0);
  key_ns_.push_back(0);
  seq_.push_back(0);
  heap_pos_.push_back(kNotInHeap);
  return f;
}

void NetworkModel::Restride(uint32_t min_hops) {
  uint32_t stride = stride_;
  while (stride < min_hops) stride *= 2;
  std::vector<Hop> hops(flows_.size() * stride);
  for (size_t f = 0; f < flows_.size(); ++f) {
    for (uint32_t i = 0; i < flows_[f].path_len; ++i) {
      hops[f * stride + i] = hops_[f * stride_ + i];
    }
  }
  hops_ = std::move(hops);
  stride_ = stride;
}

FlowId NetworkModel::Start(std::span<const LinkId> links, Duration latency, double bytes,
                           EventHandler* handler, uint64_t tag, uint32_t closure) {
  if (!(bytes >= 0) || !std::isfinite(bytes)) {
    char buf[128];
    std::snprintf(buf, sizeof buf, "network model: flow size %g bytes is not a finite value >= 0",
                  bytes);
    throw std::invalid_argument(buf);
  }
  if (latency < Duration::Zero()) throw std::invalid_argument("network model: negative latency");
  for (LinkId l : links) {
    if (l >= links_.size()) {
      throw std::out_of_range("network model: link id " + std::to_string(l) +
                              " is outside the fabric (" + std::to_string(links_.size()) +
                              " links)");
    }
  }
  if (links.size() > stride_) Restride(static_cast<uint32_t>(links.size()));
  const uint32_t f = AllocateSlot();
  Flow& fl = flows_[f];
  fl.path_len = static_cast<uint32_t>(links.size());
  Hop* hops = hops_.data() + size_t{f} * stride_;
  for (size_t i = 0; i < links.size(); ++i) hops[i] = Hop{links[i], 0};
  fl.size = bytes;
  fl.remaining = bytes;
  fl.updated_ns = sim_.Now().ns();
  fl.handler = handler;
  fl.tag = tag;
  fl.closure = closure;
  fl.state = State::kLatency;
  rate_[f] = 0;
  seq_[f] = next_seq_++;
  ++in_flight_;
  ++stats_.flows_started;
  const FlowId id{f, fl.generation};
  if (latency > Duration::Zero()) {
    key_ns_[f] = (sim_.Now() + latency).ns();
    HeapPush(f);
  } else {
    Join(f);
  }
  Reschedule();
  return id;
}

void NetworkModel::Join(uint32_t f) {
  Flow& fl = flows_[f];
  fl.state = State::kActive;
  fl.updated_ns = sim_.Now().ns();
  if (fl.path_len == 0 || fl.size <= 0) {
    Complete(f);
    return;
  }
  rate_[f] = kInf;  // not yet solved
  const std::span<Hop> path = Path(f);
  for (uint32_t i = 0; i < path.size(); ++i) {
    auto& list = link_flows_[path[i].link];
    path[i].pos = static_cast<uint32_t>(list.size());
    list.push_back(LinkEntry{f, i, kInf});
    seed_links_.push_back(path[i].link);
  }
  joined_.push_back(f);
  dirty_ = true;
}

void NetworkModel::Detach(uint32_t f) {
  const double r = rate_[f];
  const int64_t now = sim_.Now().ns();
  for (const Hop& h : Path(f)) {
    if (r < kInf) {
      Integrate(links_[h.link], now);
      links_[h.link].load -= r;
    }
    auto& list = link_flows_[h.link];
    const LinkEntry last = list.back();
    list[h.pos] = last;
    Path(last.flow)[last.hop].pos = h.pos;
    list.pop_back();
    seed_links_.push_back(h.link);
  }
  removed_min_rate_ = std::min(removed_min_rate_, rate_[f]);
  dirty_ = true;
}

void NetworkModel::Complete(uint32_t f) {
  Flow& fl = flows_[f];
  ++stats_.flows_completed;
  --in_flight_;
  if (fl.closure != Flow::kNoClosure) {
    sim_.At(sim_.Now(), std::move(closures_[fl.closure]));
    closures_[fl.closure] = nullptr;
    free_closures_.push_back(fl.closure);
    fl.closure = Flow::kNoClosure;
  } else {
    sim_.Schedule(sim_.Now(), fl.handler, fl.tag);
  }
  FreeSlot(f);
}

void NetworkModel::FreeSlot(uint32_t f) {
  Flow& fl = flows_[f];
  if (fl.closure != Flow::kNoClosure) {
    closures_[fl.closure] = nullptr;
    free_closures_.push_back(fl.closure);
    fl.closure = Flow::kNoClosure;
  }
  fl.state = State::kFree;
  fl.handler = nullptr;
  ++fl.generation;
  rate_[f] = 0;
  free_slots_.push_back(f);
}

bool NetworkModel::CancelFlow(FlowId id) {
  if (Lookup(id) == nullptr) return false;
  const uint32_t f = id.slot;
  if (heap_pos_[f] != kNotInHeap) HeapRemove(f);
  if (flows_[f].state == State::kActive) Detach(f);
  --in_flight_;
  ++stats_.flows_cancelled;
  FreeSlot(f);
  Reschedule();
  return true;
}

// ---------------------------------------------------------------- the event

void NetworkModel::HandleEvent(uint64_t) {
  wake_ = EventId{};
  wake_time_ = SimTime::Max();
  const int64_t now = sim_.Now().ns();
  // Transitions due now were computed from rates valid until now, so they stand whatever
  // changes are pending at this instant.
  bool delivered = false;
  while (!heap_.empty() && key_ns_[heap_[0]] <= now) {
    const uint32_t f = heap_[0];
    HeapRemove(f);
    if (flows_[f].state == State::kLatency) {
      Join(f);
    } else {
      Detach(f);
      Complete(f);
      delivered = true;
    }
  }
  // With completions delivered, the solve waits for their events (the wake-up is queued
  // behind them at this instant), so that flows their handlers start or cancel are solved
  // together with the departures: one solve per instant, not two.
  if (!delivered) Solve();
  Reschedule();
}

void NetworkModel::Reschedule() {
  SimTime want = SimTime::Max();
  if (dirty_) {
    want = sim_.Now();
  } else if (!heap_.empty()) {
    want = SimTime::FromNanoseconds(key_ns_[heap_[0]]);
  }
  if (wake_.valid() && want == wake_time_ && sim_.IsPending(wake_)) return;
  if (wake_.valid()) sim_.Cancel(wake_);
  wake_ = EventId{};
  wake_time_ = SimTime::Max();
  if (want != SimTime::Max()) {
    wake_ = sim_.Schedule(want, this, 0);
    wake_time_ = want;
  }
}

void NetworkModel::Flush() {
  Solve();
  Reschedule();
}

// ---------------------------------------------------------------- the solver

double NetworkModel::RemainingAt(uint32_t f, int64_t now_ns) const {
  const Flow& fl = flows_[f];
  const double r = rate_[f];
  if (fl.state != State::kActive || !(r < kInf)) return fl.remaining;
  const double left = fl.remaining - r * static_cast<double>(now_ns - fl.updated_ns) * 1e-9;
  return left > 0 ? left : 0;
}

int64_t NetworkModel::CompletionKey(uint32_t f, int64_t now_ns) const {
  const Flow& fl = flows_[f];
  if (fl.remaining <= kDoneFraction * fl.size) return now_ns;
  const auto d = Duration::TryFromSeconds(fl.remaining / rate_[f]);
  if (!d) return SimTime::Max().ns();
  return (SimTime::FromNanoseconds(now_ns) + *d).ns();
}

void NetworkModel::SetEntryRates(uint32_t f, double rate) {
  for (const Hop& h : Path(f)) link_flows_[h.link][h.pos].rate = rate;
}

void NetworkModel::SetRate(uint32_t f, double rate, int64_t now_ns) {
  Flow& fl = flows_[f];
  fl.remaining = RemainingAt(f, now_ns);
  fl.updated_ns = now_ns;
  rate_[f] = rate;
  key_ns_[f] = CompletionKey(f, now_ns);
}

// Incremental progressive filling (docs/network.md, "The incremental solve").
//
// Threshold. Let theta be the smallest of: the old rate of every flow removed since the
// last solve, and min over its links of capacity / flows-on-link for every flow added (a
// lower bound on its new max-min rate). Progressive filling runs identically below level
// theta before and after the change, so every flow whose old rate is below theta keeps it;
// only the others ("candidates") can change.
//
// Region. The changed links take all their candidates into the region. Every saturated
// link a region flow crosses takes in its top flows (those at its largest rate: the flows
// it is the bottleneck of, which a region flow's change moves first). Unsaturated links,
// and the flows below a link's top, stay outside: a link only constrains the region with
// its capacity minus the load of the flows outside it.
//
// Solve and verify. Progressive filling on the region gives each region flow a rate and a
// bottleneck (the link that fixed it). A rate vector is max-min fair iff every flow crosses
// a saturated link on which no flow has a larger rate (Bertsekas and Gallager, Data
// Networks, section 6.5). Outside flows keep theirs: an outside flow is the top flow of its
// bottleneck, so had a region flow touched that link, the flow would have been taken in.
// Region flows are checked by scanning the links that fixed them for an outside flow with a
// larger rate (a link whose level fell below a flow it used to carry below its top). A link
// that fails takes in all its candidates and the region is solved again; after kMaxRounds
// the solve takes in every candidate of every link it reaches (the connected component
// above theta, SimGrid's selective update), which is exact without a check.
void NetworkModel::Solve() {
  if (!dirty_) return;
  dirty_ = false;
  ++stats_.solves;
  const int64_t now = sim_.Now().ns();

  double theta = removed_min_rate_;
  for (uint32_t f : joined_) {
    if (flows_[f].state != State::kActive || rate_[f] != kInf) continue;
    for (const Hop& h : Path(f)) {
      theta = std::min(theta,
                       links_[h.link].capacity / static_cast<double>(link_flows_[h.link].size()));
    }
  }
  joined_.clear();
  removed_min_rate_ = kInf;
  cut_ = theta * (1 - kThresholdSlack);

  if (++epoch_ >= (uint32_t{1} << 30)) {  // wrapped: clear the marks once every 2^30 solves
    for (auto& l : scratch_) l.mark = l.expanded = l.full = 0;
    std::fill(mark_.begin(), mark_.end(), 0);
    epoch_ = 1;
  }
  const uint32_t epoch = epoch_;
  const uint32_t free_mark = 2 * epoch;
  const uint32_t fixed_mark = 2 * epoch + 1;

  visit_links_.clear();
  expand_queue_.clear();
  free_flows_.clear();
  expand_all_ = false;
  for (LinkId l : seed_links_) {
    VisitLink(l);
    QueueExpansion(l, /*full=*/true);
  }
  seed_links_.clear();

  size_t next_expansion = 0;
  for (int round = 0;; ++round) {
    // 1. Grow the region: expand the queued links breadth-first.
    while (next_expansion < expand_queue_.size()) ExpandLink(expand_queue_[next_expansion++]);

    // 2. Capacity left to the region on every link it touches: the link's capacity minus
    //    its load outside the region (its load minus the old rates of the region flows on
    //    it, summed in `region_load` as flows were taken in).
    for (LinkId l : visit_links_) {
      LinkScratch& ls = scratch_[l];
      ls.residual = links_[l].capacity - (links_[l].load - ls.region_load);
      ls.unfixed = ls.region_flows;
      ls.level = -1;
    }

    // 3. Progressive filling over the region. The heap holds a lower bound of each link's
    //    fair share (fixing a flow at the current minimum share never lowers another
    //    link's share), so a popped entry is re-pushed if its link's share has grown, and
    //    taken if not: it is then the smallest share of all. Shares are computed with the
    //    residual clamped at +0.0: rounding can produce neither a negative rate nor a
    //    -0.0 key.
    const auto share_of = [](const LinkScratch& ls) {
      return ls.residual > 0 ? ls.residual / ls.unfixed : 0.0;
    };
    link_heap_.Clear();
    for (LinkId l : visit_links_) {
      if (scratch_[l].unfixed > 0) link_heap_.Push(share_of(scratch_[l]), l);
    }
    check_links_.clear();
    // Links with slack sit in the heap with large shares; once every region flow is fixed
    // they can no longer matter, so the filling stops without popping them.
    size_t unfixed_flows = free_flows_.size();
    while (unfixed_flows > 0 && !link_heap_.empty()) {
      const RadixHeap::Item top = link_heap_.Pop();
      const LinkId l = top.value;
      LinkScratch& ls = scratch_[l];
      if (ls.unfixed == 0) continue;
      const double share = share_of(ls);
      if (share > top.key()) {
        link_heap_.Push(share, l);
        continue;
      }
      ls.level = share;
      check_links_.push_back(l);
      for (const LinkEntry& e : link_flows_[l]) {
        const uint32_t f = e.flow;
        if (mark_[f] != free_mark) continue;
        mark_[f] = fixed_mark;
        new_rate_[f] = share;
        --unfixed_flows;
        for (const Hop& h : Path(f)) {
          LinkScratch& other = scratch_[h.link];
          other.residual -= share;
          --other.unfixed;
        }
      }
    }

    // 4. Verify the bottleneck condition where the region meets flows outside it: no
    //    outside flow may out-rate the region flows a link fixed. The flows that do join
    //    the region (with the top flows of their saturated links) and it is solved again.
    if (expand_all_) break;  // the whole component above the threshold: exact, no check
    const size_t region_before = free_flows_.size();
    for (LinkId l : check_links_) {
      const double limit = scratch_[l].level * (1 + kCheckTolerance);
      for (const LinkEntry& e : link_flows_[l]) {
        if (mark_[e.flow] != fixed_mark && e.rate > limit) TakeIn(e.flow, e.rate);
      }
    }
    if (free_flows_.size() == region_before) break;
    ++stats_.extra_rounds;
    for (uint32_t f : free_flows_) mark_[f] = free_mark;
    if (round + 1 >= kMaxRounds) {
      ++stats_.full_fallbacks;
      expand_all_ = true;
      for (LinkId l : visit_links_) QueueExpansion(l, /*full=*/true);
    }
  }

  // 5. Apply: advance the re-rated flows' bytes to now at their old rate, set the new one.
  changed_.clear();
  size_t added = 0;
  for (uint32_t f : free_flows_) {
    const double nr = new_rate_[f];
    const double old = rate_[f];
    if (old == kInf) {
      rate_[f] = nr;
      SetEntryRates(f, nr);
      flows_[f].updated_ns = now;
      key_ns_[f] = CompletionKey(f, now);
      changed_.push_back(f);
      ++added;
    } else if (std::fabs(nr - old) > kRateTolerance * old) {
      SetRate(f, nr, now);
      SetEntryRates(f, nr);
      changed_.push_back(f);
    }
  }
  stats_.flows_rerated += free_flows_.size();
  stats_.rates_changed += changed_.size();
  stats_.links_visited += visit_links_.size();

  for (LinkId l : visit_links_) {
    Link& link = links_[l];
    Integrate(link, now);
    link.load = link_flows_[l].empty() ? 0.0 : std::max(link.capacity - scratch_[l].residual, 0.0);
  }

  // 6. Update the transition heap: one sift per changed flow, or one O(n) rebuild when a
  //    large share of the heap changed.
  if (changed_.size() * 4 > heap_.size() + added) {
    for (uint32_t f : changed_) {
      if (heap_pos_[f] == kNotInHeap) {
        heap_pos_[f] = static_cast<uint32_t>(heap_.size());
        heap_.push_back(f);
      }
    }
    HeapRebuild();
  } else {
    for (uint32_t f : changed_) {
      if (heap_pos_[f] == kNotInHeap) {
        HeapPush(f);
      } else {
        HeapFix(f);
      }
    }
  }
}

void NetworkModel::VisitLink(LinkId l) {
  LinkScratch& ls = scratch_[l];
  if (ls.mark == epoch_) return;
  ls.mark = epoch_;
  ls.region_load = 0;
  ls.region_flows = 0;
  visit_links_.push_back(l);
}

void NetworkModel::QueueExpansion(LinkId l, bool full) {
  LinkScratch& ls = scratch_[l];
  if (ls.full == epoch_ || (!full && ls.expanded == epoch_)) return;
  ls.expanded = epoch_;
  if (full) ls.full = epoch_;
  expand_queue_.push_back(l);
}

// Takes flows of link l into the region: all its candidates when the link is to be expanded
// fully, else those at its top rate (the flows it is a bottleneck for: a region flow's
// change moves them first; flows below the top are held by other links, and if the link's
// level falls below one of them the bottleneck check catches it). Queues the saturated
// links of the flows taken in.
void NetworkModel::ExpandLink(LinkId l) {
  const bool full = scratch_[l].full == epoch_;
  const auto& list = link_flows_[l];
  stats_.entries_scanned += list.size();
  double top = 0;
  if (!full) {
    for (const LinkEntry& e : list) {
      if (e.rate < kInf) top = std::max(top, e.rate);
    }
  }
  const double take = std::max(cut_, full ? 0.0 : top * (1 - kTopTolerance));
  for (const LinkEntry& e : list) {
    if (e.rate >= take) TakeIn(e.flow, e.rate);
  }
}

// Adds flow f (old rate `rate`, +inf if it has none yet) to the region, and queues the
// saturated links it crosses for their top flows.
void NetworkModel::TakeIn(uint32_t f, double rate) {
  if (mark_[f] == 2 * epoch_) return;
  mark_[f] = 2 * epoch_;
  free_flows_.push_back(f);
  const double old = rate < kInf ? rate : 0.0;  // a joining flow is in no load yet
  for (const Hop& h : Path(f)) {
    VisitLink(h.link);
    LinkScratch& hs = scratch_[h.link];
    hs.region_load += old;
    ++hs.region_flows;
    const Link& link = links_[h.link];
    if (expand_all_) {
      QueueExpansion(h.link, /*full=*/true);
    } else if (link.load >= link.capacity * (1 - kSaturatedTolerance)) {
      QueueExpansion(h.link, /*full=*/false);
    }
  }
}

void NetworkModel::Integrate(Link& link, int64_t now_ns) {
  link.bytes += link.load * static_cast<double>(now_ns - link.since_ns) * 1e-9;
  link.since_ns = now_ns;
}

// ---------------------------------------------------------------- queries

const NetworkModel::Flow* NetworkModel::Lookup(FlowId id) const {
  if (!id.valid() || id.slot >= flows_.size()) return nullptr;
  const Flow& fl = flows_[id.slot];
  if (fl.generation != id.generation || fl.state == State::kFree) return nullptr;
  return &fl;
}

bool NetworkModel::IsInFlight(FlowId id) const { return Lookup(id) != nullptr; }

double NetworkModel::RateOf(FlowId id) {
  Flush();
  const Flow* fl = Lookup(id);
  if (fl == nullptr || fl->state != State::kActive) return 0;
  return rate_[id.slot];
}

double NetworkModel::RemainingBytes(FlowId id) {
  Flush();
  const Flow* fl = Lookup(id);
  if (fl == nullptr) return 0;
  return RemainingAt(id.slot, sim_.Now().ns());
}

LinkUsage NetworkModel::Usage(LinkId l) {
  Flush();
  const Link& link = links_.at(l);
  LinkUsage u;
  u.capacity_bytes_per_s = link.capacity;
  u.load_bytes_per_s = link.load;
  u.bytes_carried =
      link.bytes + link.load * static_cast<double>(sim_.Now().ns() - link.since_ns) * 1e-9;
  u.flows = static_cast<uint32_t>(link_flows_[l].size());
  return u;
}

std::string NetworkModel::CheckMaxMinConditions(double rel_tol) {
  Flush();
  std::vector<double> load(links_.size(), 0.0);
  std::vector<double> max_rate(links_.size(), 0.0);
  for (size_t l = 0; l < links_.size(); ++l) {
    for (const LinkEntry& e : link_flows_[l]) {
      load[l] += rate_[e.flow];
      max_rate[l] = std::max(max_rate[l], rate_[e.flow]);
    }
    if (load[l] > links_[l].capacity * (1 + rel_tol)) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "link %zu carries %.17g B/s, above its capacity %.17g B/s", l,
                    load[l], links_[l].capacity);
      return buf;
    }
  }
  for (size_t f = 0; f < flows_.size(); ++f) {
    if (flows_[f].state != State::kActive) continue;
    bool bottlenecked = false;
    for (const Hop& h : Path(f)) {
      const double cap = links_[h.link].capacity;
      if (load[h.link] >= cap * (1 - rel_tol) && rate_[f] >= max_rate[h.link] - cap * rel_tol) {
        bottlenecked = true;
        break;
      }
    }
    if (!bottlenecked) {
      char buf[160];
      std::snprintf(buf, sizeof buf,
                    "flow slot %zu (rate %.17g B/s) has no saturated link on which its rate is "
                    "the largest",
                    f, rate_[f]);
      return buf;
    }
  }
  return "";
}

// ---------------------------------------------------------------- the transition heap

void NetworkModel::HeapPush(uint32_t f) {
  heap_pos_[f] = static_cast<uint32_t>(heap_.size());
  heap_.push_back(f);
  HeapSiftUp(heap_.size() - 1);
}

void NetworkModel::HeapRemove(uint32_t f) {
  const size_t i = heap_pos_[f];
  heap_pos_[f] = kNotInHeap;
  const uint32_t last = heap_.back();
  heap_.pop_back();
  if (i == heap_.size()) return;
  heap_[i] = last;
  heap_pos_[last] = static_cast<uint32_t>(i);
  HeapSiftUp(i);
  HeapSiftDown(heap_pos_[last]);
}

void NetworkModel::HeapFix(uint32_t f) {
  HeapSiftUp(heap_pos_[f]);
  HeapSiftDown(heap_pos_[f]);
}

void NetworkModel::HeapSiftUp(size_t i) {
  const uint32_t f = heap_[i];
  while (i > 0) {
    const size_t parent = (i - 1) / 2;
    if (!HeapLess(f, heap_[parent])) break;
    heap_[i] = heap_[parent];
    heap_pos_[heap_[i]] = static_cast<uint32_t>(i);
    i = parent;
  }
  heap_[i] = f;
  heap_pos_[f] = static_cast<uint32_t>(i);
}

void NetworkModel::HeapSiftDown(size_t i) {
  const size_t n = heap_.size();
  const uint32_t f = heap_[i];
  while (true) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && HeapLess(heap_[child + 1], heap_[child])) ++child;
    if (!HeapLess(heap_[child], f)) break;
    heap_[i] = heap_[child];
    heap_pos_[heap_[i]] = static_cast<uint32_t>(i);
    i = child;
  }
  heap_[i] = f;
  heap_pos_[f] = static_cast<uint32_t>(i);
}

void NetworkModel::HeapRebuild() {
  if (heap_.size() < 2) return;
  for (size_t i = heap_.size() / 2; i-- > 0;) HeapSiftDown(i);
}

}  // namespace fleetsim
