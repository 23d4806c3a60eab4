#include "models/network/collectives.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace fleetsim {

const char* ToString(CollectiveKind kind) {
  switch (kind) {
    case CollectiveKind::kAllReduce:
      return "all-reduce";
    case CollectiveKind::kAllGather:
      return "all-gather";
    case CollectiveKind::kReduceScatter:
      return "reduce-scatter";
    case CollectiveKind::kAllToAll:
      return "all-to-all";
    case CollectiveKind::kBroadcast:
      return "broadcast";
    case CollectiveKind::kPointToPoint:
      return "point-to-point";
  }
  return "?";
}

const char* ToString(CollectiveAlgorithm algorithm) {
  switch (algorithm) {
    case CollectiveAlgorithm::kRing:
      return "ring";
    case CollectiveAlgorithm::kRingStepwise:
      return "ring-stepwise";
    case CollectiveAlgorithm::kDoubleBinaryTree:
      return "double-binary-tree";
    case CollectiveAlgorithm::kHierarchical:
      return "hierarchical";
    case CollectiveAlgorithm::kDirect:
      return "direct";
  }
  return "?";
}

namespace {

bool Supported(CollectiveKind kind, CollectiveAlgorithm a) {
  using A = CollectiveAlgorithm;
  switch (kind) {
    case CollectiveKind::kAllReduce:
      return a == A::kRing || a == A::kRingStepwise || a == A::kDoubleBinaryTree ||
             a == A::kHierarchical;
    case CollectiveKind::kAllGather:
    case CollectiveKind::kReduceScatter:
      return a == A::kRing || a == A::kRingStepwise;
    case CollectiveKind::kAllToAll:
    case CollectiveKind::kPointToPoint:
      return a == A::kDirect;
    case CollectiveKind::kBroadcast:
      return a == A::kRing;
  }
  return false;
}

uint32_t PhaseCount(const CollectiveSpec& s) {
  const auto n = static_cast<uint32_t>(s.group.size());
  if (n <= 1) return 0;
  if (s.algorithm == CollectiveAlgorithm::kRingStepwise) {
    return s.kind == CollectiveKind::kAllReduce ? 2 * (n - 1) : n - 1;
  }
  if (s.algorithm == CollectiveAlgorithm::kHierarchical) return 3;
  return 1;
}

std::string Describe(const CollectiveSpec& s) {
  return std::string("collective ") + ToString(s.kind) + " (" + ToString(s.algorithm) + ", " +
         std::to_string(s.group.size()) + " ranks)";
}

}  // namespace

void ValidateCollective(const CollectiveSpec& s) {
  if (!Supported(s.kind, s.algorithm)) {
    throw std::invalid_argument(std::string("collective ") + ToString(s.kind) +
                                " has no algorithm '" + ToString(s.algorithm) + "'");
  }
  if (s.group.empty()) throw std::invalid_argument(Describe(s) + ": empty group");
  if (!(s.bytes >= 0) || !std::isfinite(s.bytes)) {
    throw std::invalid_argument(Describe(s) + ": size must be a finite number of bytes >= 0");
  }
  std::vector<NodeId> sorted = s.group;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    throw std::invalid_argument(Describe(s) + ": a node appears twice in the group");
  }
  if (s.algorithm == CollectiveAlgorithm::kHierarchical &&
      (s.ranks_per_server == 0 || s.group.size() % s.ranks_per_server != 0)) {
    throw std::invalid_argument(Describe(s) + ": ranks_per_server (" +
                                std::to_string(s.ranks_per_server) +
                                ") must divide the group size");
  }
  if (s.kind == CollectiveKind::kBroadcast && s.root >= s.group.size()) {
    throw std::invalid_argument(Describe(s) + ": root index outside the group");
  }
  if (s.kind == CollectiveKind::kPointToPoint && s.group.size() != 2) {
    throw std::invalid_argument(Describe(s) + ": point-to-point needs exactly 2 ranks");
  }
}

// ---------------------------------------------------------------- double binary tree

BinaryTree DoubleBinaryTree(uint32_t n, int which) {
  BinaryTree t;
  t.parent.assign(n, -1);
  if (n == 0) return t;
  // Positions 1..n; the complete in-order tree over 1..2R-1 (R the largest power of two
  // <= n) has node p at height ctz(p), root R, and parent p - b or p + b (b = lowest set
  // bit of p), whichever has bit 2b set. A parent beyond n is skipped: the node hangs
  // from its nearest ancestor within 1..n.
  uint32_t root = 1;
  while (root * 2 <= n) root *= 2;
  const auto rank_of = [&](uint32_t p) -> int32_t {
    return static_cast<int32_t>(which == 0 ? p - 1 : p % n);
  };
  std::vector<uint32_t> parent_pos(n + 1, 0);
  for (uint32_t p = 1; p <= n; ++p) {
    if (p == root) continue;
    uint32_t q = p;
    do {
      const uint32_t b = q & (~q + 1);
      q = (q & (2 * b)) ? q - b : q + b;
    } while (q > n);
    parent_pos[p] = q;
    t.parent[rank_of(p)] = rank_of(q);
  }
  t.root = rank_of(root);
  for (uint32_t p = 1; p <= n; ++p) {
    uint32_t depth = 0;
    for (uint32_t q = p; q != root; q = parent_pos[q]) ++depth;
    t.height = std::max(t.height, depth);
  }
  return t;
}

namespace {

// Largest per-rank traffic of the double binary tree all-reduce, in units of S: every
// tree edge carries S/2 up and S/2 down, so a rank sends (and receives) S/2 per incident
// edge, summed over both trees.
double TreeTrafficFactor(uint32_t n) {
  std::vector<uint32_t> degree(n, 0);
  for (int which = 0; which < 2; ++which) {
    const BinaryTree t = DoubleBinaryTree(n, which);
    for (uint32_t r = 0; r < n; ++r) {
      if (t.parent[r] >= 0) {
        ++degree[r];
        ++degree[static_cast<uint32_t>(t.parent[r])];
      }
    }
  }
  uint32_t most = 0;
  for (uint32_t d : degree) most = std::max(most, d);
  return most / 2.0;
}

uint32_t TreeHeight(uint32_t n) {
  return std::max(DoubleBinaryTree(n, 0).height, DoubleBinaryTree(n, 1).height);
}

}  // namespace

// ---------------------------------------------------------------- estimates

double EstimateCollectiveSeconds(const CollectiveEstimateInput& in) {
  const double n = in.n;
  const double S = in.bytes;
  const double a = in.net.alpha_s;
  const double B = in.net.bandwidth_bytes_per_s;
  if (in.n <= 1) return 0;
  switch (in.kind) {
    case CollectiveKind::kAllReduce:
      switch (in.algorithm) {
        case CollectiveAlgorithm::kRing:
        case CollectiveAlgorithm::kRingStepwise:
          return 2 * (n - 1) * a + 2 * (n - 1) / n * S / B;
        case CollectiveAlgorithm::kDoubleBinaryTree:
          return 2 * TreeHeight(in.n) * a + TreeTrafficFactor(in.n) * S / B;
        case CollectiveAlgorithm::kHierarchical: {
          const double g = in.ranks_per_server;
          const double m = n / g;
          const double ai = in.intra.alpha_s;
          const double Bi = in.intra.bandwidth_bytes_per_s;
          double t = 0;
          if (g > 1) t += 2 * (g - 1) * ai + 2 * (g - 1) / g * S / Bi;
          if (m > 1) t += 2 * (m - 1) * a + 2 * (m - 1) / m * (S / g) / B;
          return t;
        }
        case CollectiveAlgorithm::kDirect:
          break;
      }
      break;
    case CollectiveKind::kAllGather:
    case CollectiveKind::kReduceScatter:
      return (n - 1) * a + (n - 1) / n * S / B;
    case CollectiveKind::kAllToAll:
      return a + (n - 1) / n * S / B;
    case CollectiveKind::kBroadcast:
      return (n - 1) * a + S / B;
    case CollectiveKind::kPointToPoint:
      return a + S / B;
  }
  throw std::invalid_argument(std::string("no estimate for ") + ToString(in.kind) + " / " +
                              ToString(in.algorithm));
}

double BusBandwidthFactor(CollectiveKind kind, uint32_t n) {
  if (n == 0) return 0;
  const double dn = n;
  switch (kind) {
    case CollectiveKind::kAllReduce:
      return 2 * (dn - 1) / dn;
    case CollectiveKind::kAllGather:
    case CollectiveKind::kReduceScatter:
    case CollectiveKind::kAllToAll:
      return (dn - 1) / dn;
    case CollectiveKind::kBroadcast:
    case CollectiveKind::kPointToPoint:
      return 1;
  }
  return 1;
}

// ---------------------------------------------------------------- engine

CollectiveEngine::CollectiveEngine(Simulator& sim, NetworkModel& net, const Fabric& fabric)
    : sim_(sim), net_(net), fabric_(fabric) {}

CollectiveId CollectiveEngine::Start(const CollectiveSpec& spec, std::function<void()> on_done) {
  return StartImpl(spec, nullptr, 0, std::move(on_done));
}

CollectiveId CollectiveEngine::Start(const CollectiveSpec& spec, EventHandler* handler,
                                     uint64_t tag) {
  if (handler == nullptr) throw std::invalid_argument("collective: null completion handler");
  return StartImpl(spec, handler, tag, nullptr);
}

CollectiveId CollectiveEngine::StartImpl(const CollectiveSpec& spec, EventHandler* handler,
                                         uint64_t tag, std::function<void()> on_done) {
  ValidateCollective(spec);
  uint32_t slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<uint32_t>(running_slots_.size());
    running_slots_.emplace_back();
  }
  Running& r = running_slots_[slot];
  r.spec = spec;
  r.phase = 0;
  r.phase_count = PhaseCount(spec);
  r.outstanding = 0;
  r.flows.clear();
  r.handler = handler;
  r.tag = tag;
  r.on_done = std::move(on_done);
  r.active = true;
  ++running_;
  const CollectiveId id{slot, r.generation};
  Advance(slot);
  return id;
}

void CollectiveEngine::Advance(uint32_t slot) {
  Running& r = running_slots_[slot];
  while (r.phase < r.phase_count) {
    r.flows.clear();
    r.outstanding = 0;
    EmitPhase(slot);
    if (r.outstanding > 0) return;
    ++r.phase;
  }
  Finish(slot);
}

void CollectiveEngine::AddFlowNodes(uint32_t slot, NodeId from, NodeId to, double bytes,
                                    uint32_t latency_multiplier) {
  Running& r = running_slots_[slot];
  const Route& route = fabric_.RouteBetween(from, to);
  const uint64_t tag = (uint64_t{r.generation} << 32) | slot;
  r.flows.push_back(
      net_.StartFlow(route.links, route.latency * int64_t{latency_multiplier}, bytes, this, tag));
  ++r.outstanding;
  ++flows_started_;
}

void CollectiveEngine::AddFlow(uint32_t slot, uint32_t from_rank, uint32_t to_rank, double bytes,
                               uint32_t latency_multiplier) {
  const auto& group = running_slots_[slot].spec.group;
  AddFlowNodes(slot, group[from_rank], group[to_rank], bytes, latency_multiplier);
}

void CollectiveEngine::EmitPhase(uint32_t slot) {
  const CollectiveSpec& s = running_slots_[slot].spec;
  const uint32_t phase = running_slots_[slot].phase;
  const auto n = static_cast<uint32_t>(s.group.size());
  const double S = s.bytes;
  const double dn = n;
  using A = CollectiveAlgorithm;

  // A ring over ranks base + k * stride, k = 0..count-1, each flow of `bytes` with
  // `steps` latency terms.
  const auto ring = [&](uint32_t base, uint32_t stride, uint32_t count, double bytes,
                        uint32_t steps) {
    if (count < 2) return;
    for (uint32_t k = 0; k < count; ++k) {
      AddFlow(slot, base + k * stride, base + ((k + 1) % count) * stride, bytes, steps);
    }
  };

  switch (s.kind) {
    case CollectiveKind::kAllReduce:
      switch (s.algorithm) {
        case A::kRing:
          // reduce-scatter + all-gather: 2(n-1) steps of S/n, pipelined.
          ring(0, 1, n, 2 * (dn - 1) / dn * S, 2 * (n - 1));
          return;
        case A::kRingStepwise:
          ring(0, 1, n, S / dn, 1);
          return;
        case A::kDoubleBinaryTree:
          for (int which = 0; which < 2; ++which) {
            const BinaryTree t = DoubleBinaryTree(n, which);
            for (uint32_t r = 0; r < n; ++r) {
              if (t.parent[r] < 0) continue;
              const auto p = static_cast<uint32_t>(t.parent[r]);
              AddFlow(slot, r, p, S / 2, 2 * t.height);  // reduce, up the tree
              AddFlow(slot, p, r, S / 2, 2 * t.height);  // broadcast, down the tree
            }
          }
          return;
        case A::kHierarchical: {
          const uint32_t g = s.ranks_per_server;
          const uint32_t m = n / g;
          const double dg = g;
          const double dm = m;
          if (phase == 0 || phase == 2) {
            // Reduce-scatter (phase 0) / all-gather (phase 2) inside every server.
            for (uint32_t server = 0; server < m; ++server) {
              ring(server * g, 1, g, (dg - 1) / dg * S, g - 1);
            }
          } else {
            // All-reduce of the S/g shard each rank holds, one ring per rail.
            for (uint32_t rail = 0; rail < g; ++rail) {
              ring(rail, g, m, 2 * (dm - 1) / dm * (S / dg), 2 * (m - 1));
            }
          }
          return;
        }
        case A::kDirect:
          break;
      }
      break;
    case CollectiveKind::kAllGather:
    case CollectiveKind::kReduceScatter:
      if (s.algorithm == A::kRing) {
        ring(0, 1, n, (dn - 1) / dn * S, n - 1);
      } else {
        ring(0, 1, n, S / dn, 1);
      }
      return;
    case CollectiveKind::kAllToAll:
      for (uint32_t i = 0; i < n; ++i) {
        for (uint32_t j = 0; j < n; ++j) {
          if (i != j) AddFlow(slot, i, j, S / dn, 1);
        }
      }
      return;
    case CollectiveKind::kBroadcast:
      // Pipelined chain root -> root+1 -> ...: the data reaches the k-th hop after k hop
      // latencies and then streams at the chain's bandwidth.
      for (uint32_t k = 0; k + 1 < n; ++k) {
        AddFlow(slot, (s.root + k) % n, (s.root + k + 1) % n, S, k + 1);
      }
      return;
    case CollectiveKind::kPointToPoint:
      AddFlow(slot, 0, 1, S, 1);
      return;
  }
}

void CollectiveEngine::HandleEvent(uint64_t tag) {
  const auto slot = static_cast<uint32_t>(tag & 0xffffffffu);
  const auto generation = static_cast<uint32_t>(tag >> 32);
  if (slot >= running_slots_.size()) return;
  Running& r = running_slots_[slot];
  if (!r.active || r.generation != generation) return;  // cancelled
  if (--r.outstanding > 0) return;
  ++r.phase;
  Advance(slot);
}

void CollectiveEngine::Finish(uint32_t slot) {
  Running& r = running_slots_[slot];
  r.active = false;
  ++r.generation;
  --running_;
  if (r.on_done) {
    sim_.At(sim_.Now(), std::move(r.on_done));
    r.on_done = nullptr;
  } else {
    sim_.Schedule(sim_.Now(), r.handler, r.tag);
  }
  r.flows.clear();
  free_.push_back(slot);
}

bool CollectiveEngine::IsRunning(CollectiveId id) const {
  return id.valid() && id.slot < running_slots_.size() &&
         running_slots_[id.slot].generation == id.generation && running_slots_[id.slot].active;
}

bool CollectiveEngine::Cancel(CollectiveId id) {
  if (!IsRunning(id)) return false;
  Running& r = running_slots_[id.slot];
  for (FlowId f : r.flows) net_.CancelFlow(f);
  r.flows.clear();
  r.active = false;
  r.on_done = nullptr;
  ++r.generation;
  --running_;
  free_.push_back(id.slot);
  return true;
}

}  // namespace fleetsim
