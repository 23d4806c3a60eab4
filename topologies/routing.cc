// Routing, reachability and bisection over the frozen cluster graph (rules in routing.h).
// The one place that calls Boost.Graph algorithms.
#include "topologies/routing.h"

#include <algorithm>
#include <boost/graph/dijkstra_shortest_paths_no_color_map.hpp>
#include <boost/graph/filtered_graph.hpp>
#include <boost/graph/push_relabel_max_flow.hpp>
#include <boost/pending/disjoint_sets.hpp>
#include <cmath>
#include <functional>
#include <map>
#include <queue>
#include <set>

#include "sim/config/config_error.h"
#include "topologies/graph_impl.h"

namespace fleetsim {

namespace {

// splitmix64's finaliser: a stable, well-mixed hash (std::hash differs between libraries).
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t PairKey(NodeId from, NodeId to) { return (uint64_t{from} << 32) | to; }

// Which of n equal-cost choices the pair takes at node `at` (per-hop ECMP).
size_t Pick(uint64_t pair, NodeId at, size_t n) {
  return n <= 1 ? 0 : static_cast<size_t>(Mix(Mix(pair) ^ at) % n);
}

// Rail affinity: the NIC a GPU's traffic uses among equally good ones. NCCL pairs each GPU
// with its closest NIC (on a DGX A100, GPU k with mlx5 NIC k on the same PCIe switch); a
// hash would put two GPUs of one PCIe switch on the same NIC half the time and halve their
// bandwidth. GPU number k (NodeId order) of a server with G GPUs and N NICs pairs with NIC
// number k N / G, the same pairing the generators wire (generators.h). None for a node that
// is not a GPU in a server with NICs.
std::optional<NodeId> PairedNic(const ClusterGraph::Impl& g, NodeId gpu) {
  const NodeSpec& n = g.node(gpu);
  if (n.kind != NodeKind::kGpu || n.server < 0) return std::nullopt;
  const ServerSpec& s = g.servers[static_cast<size_t>(n.server)];
  int64_t gpus = 0, rank = -1;
  std::vector<NodeId> nics;
  for (NodeId v = s.first_node; v < s.first_node + s.node_count; ++v) {
    const NodeKind k = g.node(v).kind;
    if (k == NodeKind::kGpu) {
      if (v == gpu) rank = gpus;
      ++gpus;
    } else if (k == NodeKind::kNic) {
      nics.push_back(v);
    }
  }
  if (nics.empty() || rank < 0) return std::nullopt;
  return nics[static_cast<size_t>(rank * static_cast<int64_t>(nics.size()) / gpus)];
}

int64_t AddCost(int64_t a, int64_t b) {
  return (a >= kInfiniteCost || b >= kInfiniteCost) ? kInfiniteCost : a + b;
}

// Searches inside one server, by hand rather than with Boost.Graph: a server has tens of
// nodes, and Boost's searches initialise (and allocate) per-vertex maps over the whole graph
// on every call, which would cost ~50k writes per route in a 16k-GPU cluster.
//
// Both searches start at `origin` and expand only `origin` and forwarding nodes. Because
// both directions of a cable have the same weight and bandwidth, their results are also the
// costs / widths TOWARDS `origin` (used on the destination side). Exits are the edges from
// an expanded node to a node outside the server that a route may take next: a forwarding
// fabric node, or `other_end` itself.
struct ServerSearch {
  NodeId first = 0;
  std::vector<int64_t> value;  // by node - first: cost (ShortestInServer) or width (Widest)
  struct Exit {
    NodeId inside;
    NodeId outside;
    LinkId link;  // inside -> outside
    int64_t value;
  };
  std::vector<Exit> exits;

  bool contains(NodeId id) const { return id >= first && id - first < value.size(); }
  int64_t at(NodeId id) const { return value[id - first]; }
};

bool MayExit(const ClusterGraph::Impl& g, NodeId v, NodeId other_end) {
  return v == other_end || (g.in_fabric(v) && Forwards(g.node(v).kind));
}

// Lowest cost from `origin` over links of at least `min_bw`.
ServerSearch ShortestInServer(const ClusterGraph::Impl& g, NodeId origin, NodeId other_end,
                              int64_t min_bw) {
  const ServerSpec& server = g.servers[g.node(origin).server];
  ServerSearch s;
  s.first = server.first_node;
  s.value.assign(server.node_count, kInfiniteCost);
  using Item = std::pair<int64_t, NodeId>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> queue;
  s.value[origin - s.first] = 0;
  queue.push({0, origin});
  while (!queue.empty()) {
    const auto [d, u] = queue.top();
    queue.pop();
    if (d > s.at(u)) continue;
    if (u != origin && !Forwards(g.node(u).kind)) continue;  // endpoints do not relay
    for (auto [e, end] = boost::out_edges(u, g.graph); e != end; ++e) {
      const LinkBundle& l = g.graph[*e];
      if (l.bandwidth < min_bw) continue;
      const NodeId v = static_cast<NodeId>(boost::target(*e, g.graph));
      const int64_t nd = d + l.weight;
      if (s.contains(v)) {
        if (nd < s.at(v)) {
          s.value[v - s.first] = nd;
          queue.push({nd, v});
        }
      } else if (MayExit(g, v, other_end)) {
        s.exits.push_back({u, v, l.link, nd});
      }
    }
  }
  return s;
}

// Widest (largest bottleneck bandwidth) from `origin`.
ServerSearch WidestInServer(const ClusterGraph::Impl& g, NodeId origin, NodeId other_end) {
  const ServerSpec& server = g.servers[g.node(origin).server];
  ServerSearch s;
  s.first = server.first_node;
  s.value.assign(server.node_count, 0);
  using Item = std::pair<int64_t, NodeId>;
  std::priority_queue<Item> queue;  // widest first
  s.value[origin - s.first] = kInfiniteWidth;
  queue.push({kInfiniteWidth, origin});
  while (!queue.empty()) {
    const auto [w, u] = queue.top();
    queue.pop();
    if (w < s.at(u)) continue;
    if (u != origin && !Forwards(g.node(u).kind)) continue;
    for (auto [e, end] = boost::out_edges(u, g.graph); e != end; ++e) {
      const LinkBundle& l = g.graph[*e];
      const NodeId v = static_cast<NodeId>(boost::target(*e, g.graph));
      const int64_t nw = std::min(w, l.bandwidth);
      if (s.contains(v)) {
        if (nw > s.at(v)) {
          s.value[v - s.first] = nw;
          queue.push({nw, v});
        }
      } else if (MayExit(g, v, other_end)) {
        s.exits.push_back({u, v, l.link, nw});
      }
    }
  }
  return s;
}

// The links from `origin` to `x` inside the server, walking back from x over equal-cost
// predecessors. Edges are looked up as the twins of x's out-edges (cable directions share
// a weight and a bandwidth), so no in-edge lists are needed.
void WalkToOrigin(const ClusterGraph::Impl& g, const ServerSearch& s, NodeId origin, NodeId x,
                  int64_t min_bw, uint64_t pair, std::vector<LinkId>* reversed) {
  while (x != origin) {
    const int64_t dx = s.at(x);
    std::vector<std::pair<NodeId, LinkId>> options;
    for (auto [e, end] = boost::out_edges(x, g.graph); e != end; ++e) {
      const LinkBundle& l = g.graph[*e];
      const NodeId p = static_cast<NodeId>(boost::target(*e, g.graph));
      if (!s.contains(p) || l.bandwidth < min_bw) continue;
      if (p != origin && !Forwards(g.node(p).kind)) continue;
      if (AddCost(s.at(p), l.weight) != dx) continue;
      options.push_back({p, l.link ^ 1u});  // the twin: p -> x
    }
    const auto& [p, link] = options.at(Pick(pair, x, options.size()));
    reversed->push_back(link);
    x = p;
  }
}

// The links from `x` to `target` inside the server, walking forward over equal-cost
// successors (the costs are costs to `target`).
void WalkToTarget(const ClusterGraph::Impl& g, const ServerSearch& s, NodeId x, NodeId target,
                  int64_t min_bw, uint64_t pair, std::vector<LinkId>* links) {
  while (x != target) {
    const int64_t dx = s.at(x);
    std::vector<std::pair<NodeId, LinkId>> options;
    for (auto [e, end] = boost::out_edges(x, g.graph); e != end; ++e) {
      const LinkBundle& l = g.graph[*e];
      const NodeId y = static_cast<NodeId>(boost::target(*e, g.graph));
      if (!s.contains(y) || l.bandwidth < min_bw) continue;
      if (y != target && !Forwards(g.node(y).kind)) continue;
      if (AddCost(s.at(y), l.weight) != dx) continue;
      options.push_back({y, l.link});
    }
    const auto& [y, link] = options.at(Pick(pair, x, options.size()));
    links->push_back(link);
    x = y;
  }
}

// Keeps the edges a fabric search may take: into fabric nodes, out of the search's origin
// or a forwarding node, at least `min_bw` wide.
struct FabricEdgeFilter {
  const ClusterGraph::Impl* g = nullptr;
  NodeId origin = 0;
  int64_t min_bw = 0;
  bool operator()(const BglEdge& e) const {
    const NodeId x = static_cast<NodeId>(boost::source(e, g->graph));
    const NodeId y = static_cast<NodeId>(boost::target(e, g->graph));
    return g->graph[e].bandwidth >= min_bw && g->in_fabric(y) &&
           (x == origin || Forwards(g->node(x).kind));
  }
};

// A fabric node where a route enters (source side) or leaves (destination side) the
// fabric, with the cost or width of the part inside the server.
struct Gateway {
  NodeId node;
  int64_t value;
};

// The best value per gateway node (lowest cost, or widest), sorted by node id so that
// ties are met in a fixed order.
std::vector<Gateway> Gateways(const std::vector<ServerSearch::Exit>& exits, bool widest) {
  std::map<NodeId, int64_t> best;
  for (const auto& x : exits) {
    auto [it, fresh] = best.emplace(x.outside, x.value);
    if (!fresh) it->second = widest ? std::max(it->second, x.value) : std::min(it->second, x.value);
  }
  std::vector<Gateway> out;
  for (const auto& [node, value] : best) out.push_back({node, value});
  return out;
}

}  // namespace

const std::vector<int64_t>& Router::WidthRow(NodeId destination) {
  auto& slot = width_rows_[destination];
  if (slot) return *slot;
  const size_t n = boost::num_vertices(g_.graph);
  scratch_.resize(n);
  boost::filtered_graph<BglGraph, FabricEdgeFilter> fabric(g_.graph,
                                                           FabricEdgeFilter{&g_, destination, 0});
  auto index = boost::get(boost::vertex_index, g_.graph);
  // A widest-path Dijkstra: "distances" are bottlenecks, combined by min, compared by >,
  // unreached = 0, the origin = infinitely wide. Widths are symmetric, so these are the
  // widths TO the destination.
  boost::dijkstra_shortest_paths_no_color_map(
      fabric, destination, boost::dummy_property_map(),
      boost::make_iterator_property_map(scratch_.begin(), index),
      boost::get(&LinkBundle::bandwidth, g_.graph), index, std::greater<int64_t>(),
      [](int64_t a, int64_t b) { return std::min(a, b); }, int64_t{0}, kInfiniteWidth,
      boost::dijkstra_visitor<boost::null_visitor>());
  slot = std::make_unique<std::vector<int64_t>>(g_.fabric_nodes.size());
  for (size_t i = 0; i < g_.fabric_nodes.size(); ++i) (*slot)[i] = scratch_[g_.fabric_nodes[i]];
  return *slot;
}

const std::vector<int64_t>& Router::CostRow(NodeId destination, int64_t min_bandwidth) {
  auto& slot = cost_rows_[{destination, min_bandwidth}];
  if (slot) return *slot;
  const size_t n = boost::num_vertices(g_.graph);
  scratch_.resize(n);
  boost::filtered_graph<BglGraph, FabricEdgeFilter> fabric(
      g_.graph, FabricEdgeFilter{&g_, destination, min_bandwidth});
  auto index = boost::get(boost::vertex_index, g_.graph);
  // Costs FROM the destination are the costs TO it (symmetric weights), which is what the
  // forward walk needs.
  boost::dijkstra_shortest_paths_no_color_map(
      fabric, destination, boost::dummy_property_map(),
      boost::make_iterator_property_map(scratch_.begin(), index),
      boost::get(&LinkBundle::weight, g_.graph), index, std::less<int64_t>(),
      [](int64_t a, int64_t b) { return AddCost(a, b); }, kInfiniteCost, int64_t{0},
      boost::dijkstra_visitor<boost::null_visitor>());
  slot = std::make_unique<std::vector<int64_t>>(g_.fabric_nodes.size());
  for (size_t i = 0; i < g_.fabric_nodes.size(); ++i) (*slot)[i] = scratch_[g_.fabric_nodes[i]];
  return *slot;
}

const Route* Router::Find(NodeId from, NodeId to) {
  std::lock_guard<std::mutex> lock(mu_);
  const uint64_t key = PairKey(from, to);
  auto it = routes_.find(key);
  if (it == routes_.end()) {
    bool found = false;
    Route r = Compute(from, to, &found);
    it = routes_.emplace(key, found ? std::optional<Route>(std::move(r)) : std::nullopt).first;
  }
  return it->second ? &*it->second : nullptr;
}

ClusterGraph::CacheStats Router::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {routes_.size(), width_rows_.size(), cost_rows_.size()};
}

// Two phases: the widest bottleneck any allowed route can have, then the lowest-cost route
// among those that use only links at least that wide. Both decompose the same way: the
// part inside the source server (a small search), the fabric (a cached row per fabric
// destination), the part inside the destination server.
Route Router::Compute(NodeId from, NodeId to, bool* found) {
  Route route;
  *found = true;
  if (from == to) return route;
  const uint64_t pair = PairKey(from, to);
  const int32_t server_from = g_.node(from).server;
  const int32_t server_to = g_.node(to).server;
  auto finish = [&](std::vector<LinkId> links) {
    for (LinkId l : links) route.latency += g_.links[l].latency;
    route.links = std::move(links);
    return route;
  };

  // Phase 1: widths.
  std::vector<Gateway> wide_entries, wide_exits;
  if (server_from >= 0) {
    const ServerSearch w = WidestInServer(g_, from, to);
    if (server_from == server_to && w.at(to) > 0) {
      // Inside one server the route stays inside when it can.
      const ServerSearch c = ShortestInServer(g_, from, to, w.at(to));
      std::vector<LinkId> reversed;
      WalkToOrigin(g_, c, from, to, w.at(to), pair, &reversed);
      std::reverse(reversed.begin(), reversed.end());
      return finish(std::move(reversed));
    }
    wide_entries = Gateways(w.exits, true);
  } else {
    wide_entries.push_back({from, kInfiniteWidth});
  }
  if (server_to >= 0) {
    wide_exits = Gateways(WidestInServer(g_, to, from).exits, true);
  } else {
    wide_exits.push_back({to, kInfiniteWidth});
  }
  // Rows are the expensive part: visit exits widest first and skip those that cannot
  // widen the best found (a route is never wider than its server part).
  std::stable_sort(wide_exits.begin(), wide_exits.end(),
                   [](const Gateway& a, const Gateway& b) { return a.value > b.value; });
  int64_t width = 0;
  for (const Gateway& h : wide_exits) {
    if (h.value <= width) break;
    const std::vector<int64_t>& row = WidthRow(h.node);
    for (const Gateway& gw : wide_entries) {
      width = std::max(width, std::min({gw.value, row[g_.fabric_index[gw.node]], h.value}));
    }
  }
  if (width == 0) {
    *found = false;
    return route;
  }

  // Phase 2: costs over links at least `width` wide.
  std::optional<ServerSearch> src, dst;
  std::vector<Gateway> entries, exits;
  if (server_from >= 0) {
    src = ShortestInServer(g_, from, to, width);
    entries = Gateways(src->exits, false);
  } else {
    entries.push_back({from, 0});
  }
  if (server_to >= 0) {
    dst = ShortestInServer(g_, to, from, width);
    exits = Gateways(dst->exits, false);
  } else {
    exits.push_back({to, 0});
  }
  int64_t best = kInfiniteCost;
  struct Choice {
    const Gateway* entry;
    const Gateway* exit;
  };
  std::vector<Choice> ties;
  // Cheapest exits first; skip those whose server part alone, plus the cheapest entry,
  // already costs more than the best found (the fabric part is never negative).
  std::stable_sort(exits.begin(), exits.end(),
                   [](const Gateway& a, const Gateway& b) { return a.value < b.value; });
  int64_t cheapest_entry = kInfiniteCost;
  for (const Gateway& gw : entries) cheapest_entry = std::min(cheapest_entry, gw.value);
  for (const Gateway& h : exits) {
    if (AddCost(cheapest_entry, h.value) > best) break;
    const std::vector<int64_t>& row = CostRow(h.node, width);
    for (const Gateway& gw : entries) {
      const int64_t total = AddCost(AddCost(gw.value, row[g_.fabric_index[gw.node]]), h.value);
      if (total < best) {
        best = total;
        ties.clear();
      }
      if (total == best && total < kInfiniteCost) ties.push_back({&gw, &h});
    }
  }
  if (ties.empty()) throw std::logic_error("routing: a wide path exists but none was found");
  // Rail affinity breaks ties before the hash: prefer leaving through the source GPU's
  // paired NIC and entering through the destination GPU's (PairedNic).
  const std::optional<NodeId> src_nic = PairedNic(g_, from), dst_nic = PairedNic(g_, to);
  auto via = [](const std::optional<ServerSearch>& s, const Gateway& gw,
                const std::optional<NodeId>& nic) {
    if (!s || !nic) return false;
    for (const auto& x : s->exits) {
      if (x.outside == gw.node && x.value == gw.value && x.inside == *nic) return true;
    }
    return false;
  };
  if (src_nic || dst_nic) {
    int best_score = -1;
    std::vector<Choice> preferred;
    for (const Choice& c : ties) {
      const int score =
          (via(src, *c.entry, src_nic) ? 2 : 0) + (via(dst, *c.exit, dst_nic) ? 1 : 0);
      if (score > best_score) {
        best_score = score;
        preferred.clear();
      }
      if (score == best_score) preferred.push_back(c);
    }
    ties.swap(preferred);
  }
  const Choice choice = ties[Pick(pair, from, ties.size())];
  const NodeId entry = choice.entry->node, exit = choice.exit->node;
  // Among the exit edges to the chosen gateway, the paired NIC's if it has one.
  auto prefer_nic = [](std::vector<const ServerSearch::Exit*>& options,
                       const std::optional<NodeId>& nic) {
    if (!nic) return;
    std::vector<const ServerSearch::Exit*> mine;
    for (const auto* x : options) {
      if (x->inside == *nic) mine.push_back(x);
    }
    if (!mine.empty()) options.swap(mine);
  };

  std::vector<LinkId> links;
  // 1. Inside the source server, to the chosen entry (one of the equal-cost exit edges).
  if (src) {
    std::vector<const ServerSearch::Exit*> options;
    for (const auto& x : src->exits) {
      if (x.outside == entry && x.value == choice.entry->value) options.push_back(&x);
    }
    prefer_nic(options, src_nic);
    const ServerSearch::Exit& x = *options.at(Pick(pair, entry, options.size()));
    std::vector<LinkId> reversed;
    WalkToOrigin(g_, *src, from, x.inside, width, pair, &reversed);
    links.assign(reversed.rbegin(), reversed.rend());
    links.push_back(x.link);
  }
  // 2. Across the fabric, hop by hop over equal-cost next hops.
  const std::vector<int64_t>& row = CostRow(exit, width);
  for (NodeId x = entry; x != exit;) {
    const int64_t dx = row[g_.fabric_index[x]];
    std::vector<std::pair<NodeId, LinkId>> options;
    for (auto [e, end] = boost::out_edges(x, g_.graph); e != end; ++e) {
      const LinkBundle& l = g_.graph[*e];
      const NodeId y = static_cast<NodeId>(boost::target(*e, g_.graph));
      if (!g_.in_fabric(y) || l.bandwidth < width) continue;
      if (y != exit && !Forwards(g_.node(y).kind)) continue;
      if (AddCost(row[g_.fabric_index[y]], l.weight) != dx) continue;
      options.push_back({y, l.link});
    }
    const auto& [y, link] = options.at(Pick(pair, x, options.size()));
    links.push_back(link);
    x = y;
  }
  // 3. Inside the destination server, from the chosen exit.
  if (dst) {
    std::vector<const ServerSearch::Exit*> options;
    for (const auto& x : dst->exits) {
      if (x.outside == exit && x.value == choice.exit->value) options.push_back(&x);
    }
    prefer_nic(options, dst_nic);
    const ServerSearch::Exit& x = *options.at(Pick(pair, exit, options.size()));
    links.push_back(x.link ^ 1u);  // the twin: fabric -> server
    WalkToTarget(g_, *dst, x.inside, to, width, pair, &links);
  }
  return finish(std::move(links));
}

// ---- Reachability ----

namespace {

std::vector<uint32_t> SortedUnique(std::vector<uint32_t> v) {
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  return v;
}

bool Intersect(const std::vector<uint32_t>& a, const std::vector<uint32_t>& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (a[i] == b[j]) return true;
    if (a[i] < b[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  return false;
}

}  // namespace

std::optional<std::pair<NodeId, NodeId>> FindUnreachableGpus(const ClusterGraph& graph) {
  const ClusterGraph::Impl& g = graph.impl();
  const size_t n = graph.node_count();
  // Components of forwarding nodes, joined only within one region (a server, or the fabric):
  // a route may cross a region's forwarding nodes freely, and move between regions only as
  // the rules allow (checked below).
  std::vector<size_t> rank(n), parent(n);
  boost::disjoint_sets<size_t*, size_t*> sets(rank.data(), parent.data());
  for (size_t i = 0; i < n; ++i) sets.make_set(i);
  auto forwards = [&](NodeId id) { return Forwards(g.node(id).kind); };
  for (const CableSpec& c : g.cables) {
    if (forwards(c.a) && forwards(c.b) && g.node(c.a).server == g.node(c.b).server) {
      sets.union_set(c.a, c.b);
    }
  }
  auto comp = [&](NodeId id) { return static_cast<uint32_t>(sets.find_set(id)); };
  auto region = [&](uint32_t c) { return g.node(c).server; };
  // Server components -> the fabric components they touch.
  std::map<uint32_t, std::vector<uint32_t>> touches;
  std::set<std::pair<NodeId, NodeId>> direct;  // GPU-GPU cables
  for (const CableSpec& c : g.cables) {
    for (int side = 0; side < 2; ++side) {
      const NodeId u = side ? c.b : c.a;
      const NodeId v = side ? c.a : c.b;
      if (forwards(u) && forwards(v) && g.node(u).server >= 0 && g.node(v).server < 0) {
        touches[comp(u)].push_back(comp(v));
      }
    }
    if (g.node(c.a).kind == NodeKind::kGpu && g.node(c.b).kind == NodeKind::kGpu) {
      direct.insert({std::min(c.a, c.b), std::max(c.a, c.b)});
    }
  }
  for (auto& [c, list] : touches) list = SortedUnique(std::move(list));

  // Per GPU: L = components of its forwarding neighbours; R = fabric components it can
  // reach (through its own server for a GPU in a server).
  const auto& gpus = graph.gpus();
  std::vector<std::vector<uint32_t>> local(gpus.size()), reach(gpus.size());
  std::vector<std::vector<uint32_t>> adjacent(n);
  for (const CableSpec& c : g.cables) {
    if (forwards(c.b)) adjacent[c.a].push_back(comp(c.b));
    if (forwards(c.a)) adjacent[c.b].push_back(comp(c.a));
  }
  for (size_t i = 0; i < gpus.size(); ++i) {
    const NodeId a = gpus[i];
    local[i] = SortedUnique(adjacent[a]);
    std::vector<uint32_t> r;
    for (uint32_t c : local[i]) {
      if (region(c) < 0) {
        r.push_back(c);
      } else if (g.node(a).server == region(c)) {
        auto t = touches.find(c);
        if (t != touches.end()) r.insert(r.end(), t->second.begin(), t->second.end());
      }
    }
    reach[i] = SortedUnique(std::move(r));
  }
  auto pair_ok = [&](size_t i, size_t j) {
    if (Intersect(reach[i], reach[j])) return true;
    const NodeId a = gpus[i], b = gpus[j];
    for (uint32_t c : local[i]) {
      const int32_t r = region(c);
      if (r >= 0 && (r == g.node(a).server || r == g.node(b).server) &&
          std::binary_search(local[j].begin(), local[j].end(), c)) {
        return true;
      }
    }
    return direct.count({std::min(a, b), std::max(a, b)}) > 0;
  };

  // Group GPUs by R: two groups whose R sets meet are fine pair by pair; only the rest are
  // checked one pair at a time (stopping at the first failure).
  std::map<std::vector<uint32_t>, std::vector<size_t>> by_reach;
  for (size_t i = 0; i < gpus.size(); ++i) by_reach[reach[i]].push_back(i);
  std::vector<const std::vector<size_t>*> groups;
  for (const auto& [r, members] : by_reach) groups.push_back(&members);
  std::sort(groups.begin(), groups.end(),
            [](const auto* x, const auto* y) { return x->front() < y->front(); });
  for (size_t gi = 0; gi < groups.size(); ++gi) {
    for (size_t gj = gi; gj < groups.size(); ++gj) {
      const auto& a = *groups[gi];
      const auto& b = *groups[gj];
      if (Intersect(reach[a.front()], reach[b.front()])) continue;
      for (size_t x = 0; x < a.size(); ++x) {
        for (size_t y = (gi == gj ? x + 1 : 0); y < b.size(); ++y) {
          if (!pair_ok(a[x], b[y])) {
            const NodeId p = gpus[std::min(a[x], b[y])], q = gpus[std::max(a[x], b[y])];
            return std::make_pair(p, q);
          }
        }
      }
    }
  }
  return std::nullopt;
}

void CheckGpusReachable(const ClusterGraph& g) {
  if (auto bad = FindUnreachableGpus(g)) {
    throw InputError("GPU '" + g.node(bad->second).name + "' cannot reach GPU '" +
                     g.node(bad->first).name +
                     "': no path through forwarding nodes (switches, NICs, hosts; GPUs and "
                     "NVMe drives do not relay traffic) that leaves and enters a server at "
                     "most once");
  }
}

// ---- Bisection ----

namespace {

using FlowTraits = boost::adjacency_list_traits<boost::vecS, boost::vecS, boost::directedS>;
using FlowGraph = boost::adjacency_list<
    boost::vecS, boost::vecS, boost::directedS, boost::no_property,
    boost::property<
        boost::edge_capacity_t, int64_t,
        boost::property<boost::edge_residual_capacity_t, int64_t,
                        boost::property<boost::edge_reverse_t, FlowTraits::edge_descriptor>>>>;

void AddArc(FlowGraph& f, size_t u, size_t v, int64_t capacity) {
  auto cap = boost::get(boost::edge_capacity, f);
  auto rev = boost::get(boost::edge_reverse, f);
  const auto e = boost::add_edge(u, v, f).first;
  const auto r = boost::add_edge(v, u, f).first;
  cap[e] = capacity;
  cap[r] = 0;
  rev[e] = r;
  rev[r] = e;
}

}  // namespace

Bisection BisectionBandwidth(const ClusterGraph& graph) {
  const ClusterGraph::Impl& g = graph.impl();
  Bisection result;
  const auto& gpus = graph.gpus();
  if (gpus.size() < 2) return result;
  const size_t half = gpus.size() / 2;
  result.gpus_per_side = half;
  const size_t n = graph.node_count();
  std::vector<uint8_t> side(n, 0);  // 1 first half, 2 second half
  for (size_t i = 0; i < gpus.size(); ++i) side[gpus[i]] = i < half ? 1 : 2;

  // Contract whole servers into their side when no server straddles the split.
  std::vector<uint8_t> server_side(g.servers.size(), 0);
  bool contract = !g.servers.empty();
  for (NodeId gpu : gpus) {
    const int32_t s = g.node(gpu).server;
    if (s < 0) continue;
    if (server_side[s] != 0 && server_side[s] != side[gpu]) contract = false;
    server_side[s] = side[gpu];
  }
  result.servers_contracted = contract;
  const size_t source = n, sink = n + 1;
  std::vector<size_t> vertex_of(n);
  for (NodeId id = 0; id < n; ++id) {
    const int32_t s = g.node(id).server;
    vertex_of[id] = id;
    if (contract && s >= 0 && server_side[s] != 0)
      vertex_of[id] = server_side[s] == 1 ? source : sink;
  }
  FlowGraph flow(n + 2);
  for (const DirectedLinkSpec& l : g.links) {
    const size_t u = vertex_of[l.from], v = vertex_of[l.to];
    if (u == v || u == sink || v == source) continue;
    AddArc(flow, u, v, std::llround(l.bandwidth_bytes_per_s));
  }
  // GPUs not contracted into a side join it through an arc of what their links can carry
  // (finite capacities keep the preflow's sums far from overflow).
  std::vector<int64_t> out(n, 0), in(n, 0);
  for (const DirectedLinkSpec& l : g.links) {
    out[l.from] += std::llround(l.bandwidth_bytes_per_s);
    in[l.to] += std::llround(l.bandwidth_bytes_per_s);
  }
  for (NodeId gpu : gpus) {
    if (vertex_of[gpu] != gpu) continue;
    if (side[gpu] == 1) AddArc(flow, source, gpu, out[gpu]);
    if (side[gpu] == 2) AddArc(flow, gpu, sink, in[gpu]);
  }
  result.bandwidth_bytes_per_s =
      static_cast<double>(boost::push_relabel_max_flow(flow, source, sink));
  return result;
}

}  // namespace fleetsim
