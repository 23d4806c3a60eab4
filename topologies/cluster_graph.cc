#include "topologies/cluster_graph.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/config/config_error.h"
#include "sim/suggest.h"
#include "topologies/graph_impl.h"

namespace fleetsim {

namespace {

constexpr const char* kNodeKindNames[kNodeKindCount] = {"gpu",         "host",     "nvme",  "nic",
                                                        "pcie_switch", "nvswitch", "switch"};
constexpr const char* kLinkKindNames[kLinkKindCount] = {"nvlink", "nvswitch", "pcie", "infiniband",
                                                        "ethernet"};

}  // namespace

const char* NodeKindName(NodeKind k) { return kNodeKindNames[static_cast<int>(k)]; }

std::optional<NodeKind> NodeKindFromName(std::string_view name) {
  for (int i = 0; i < kNodeKindCount; ++i) {
    if (name == kNodeKindNames[i]) return static_cast<NodeKind>(i);
  }
  return std::nullopt;
}

std::vector<std::string> NodeKindNames() {
  return std::vector<std::string>(std::begin(kNodeKindNames), std::end(kNodeKindNames));
}

bool Forwards(NodeKind k) { return k != NodeKind::kGpu && k != NodeKind::kNvme; }

const char* LinkKindName(LinkKind k) { return kLinkKindNames[static_cast<int>(k)]; }

std::optional<LinkKind> LinkKindFromName(std::string_view name) {
  for (int i = 0; i < kLinkKindCount; ++i) {
    if (name == kLinkKindNames[i]) return static_cast<LinkKind>(i);
  }
  return std::nullopt;
}

std::vector<std::string> LinkKindNames() {
  return std::vector<std::string>(std::begin(kLinkKindNames), std::end(kLinkKindNames));
}

bool IsScaleUp(LinkKind k) { return k == LinkKind::kNvlink || k == LinkKind::kNvswitch; }
bool IsNetwork(LinkKind k) { return k == LinkKind::kInfiniband || k == LinkKind::kEthernet; }

const char* RouteMetricName(RouteMetric m) {
  return m == RouteMetric::kLatency ? "latency" : "hops";
}

std::vector<uint32_t> ServerTemplate::Ports() const {
  std::vector<uint32_t> ports;
  for (uint32_t i = 0; i < nodes.size(); ++i) {
    if (nodes[i].kind == NodeKind::kNic) ports.push_back(i);
  }
  return ports;
}

size_t ServerTemplate::gpu_count() const {
  size_t n = 0;
  for (const auto& node : nodes) n += node.kind == NodeKind::kGpu;
  return n;
}

// ---- ClusterGraphBuilder ----

struct ClusterGraphBuilder::State {
  std::unique_ptr<ClusterGraph::Impl> impl = std::make_unique<ClusterGraph::Impl>();
  std::vector<NodeSpec> nodes;
  bool built = false;
};

ClusterGraphBuilder::ClusterGraphBuilder(std::string name) : s_(std::make_unique<State>()) {
  s_->impl->name = std::move(name);
}
ClusterGraphBuilder::~ClusterGraphBuilder() = default;

void ClusterGraphBuilder::set_description(std::string d) { s_->impl->description = std::move(d); }
void ClusterGraphBuilder::set_metric(RouteMetric m) { s_->impl->metric = m; }

NodeId ClusterGraphBuilder::AddNode(NodeSpec spec) {
  if (spec.name.empty()) throw InputError("a node needs a non-empty name");
  if (spec.kind == NodeKind::kGpu && spec.gpu_type.empty()) {
    throw InputError("GPU '" + spec.name + "' needs a type (a catalog device name)");
  }
  if (spec.kind != NodeKind::kGpu && !spec.gpu_type.empty()) {
    throw InputError("node '" + spec.name + "' is not a GPU but has a GPU type");
  }
  if (!(spec.memory_bytes >= 0) || !std::isfinite(spec.memory_bytes)) {
    throw InputError("node '" + spec.name + "': memory must be non-negative");
  }
  const NodeId id = static_cast<NodeId>(s_->nodes.size());
  if (!s_->impl->by_name.emplace(spec.name, id).second) {
    throw InputError("node name '" + spec.name + "' is used twice");
  }
  spec.server = -1;  // AddServer sets it for the nodes it adds
  s_->nodes.push_back(std::move(spec));
  return id;
}

size_t ClusterGraphBuilder::AddCable(const CableSpec& c) {
  const size_t n = s_->nodes.size();
  if (c.a >= n || c.b >= n) throw std::logic_error("AddCable: node id out of range");
  const NodeSpec& a = s_->nodes[c.a];
  const NodeSpec& b = s_->nodes[c.b];
  if (c.a == c.b) throw InputError("a link joins node '" + a.name + "' to itself");
  if (!(c.bandwidth_bytes_per_s > 0) || !(c.bandwidth_bytes_per_s <= kMaxLinkBandwidth)) {
    throw InputError("link '" + a.name + "' - '" + b.name +
                     "': bandwidth must be positive and at most 1 PB/s");
  }
  if (c.latency < Duration::Zero() || c.latency > kMaxLinkLatency) {
    throw InputError("link '" + a.name + "' - '" + b.name +
                     "': latency must be between 0 and 1 s per link");
  }
  if (a.server >= 0 && b.server >= 0 && a.server != b.server) {
    throw InputError("link '" + a.name + "' - '" + b.name +
                     "' joins two different servers; servers meet only through fabric nodes "
                     "(nodes outside servers, e.g. a switch)");
  }
  s_->impl->cables.push_back(c);
  return s_->impl->cables.size() - 1;
}

int32_t ClusterGraphBuilder::AddServer(const ServerTemplate& t, const std::string& name) {
  if (name.empty()) throw InputError("a server needs a non-empty name");
  const int32_t index = static_cast<int32_t>(s_->impl->servers.size());
  const NodeId first = static_cast<NodeId>(s_->nodes.size());
  for (const NodeSpec& local : t.nodes) {
    NodeSpec spec = local;
    spec.name = name + "/" + local.name;
    const NodeId id = AddNode(std::move(spec));
    s_->nodes[id].server = index;
  }
  ServerSpec server;
  server.name = name;
  server.template_name = t.name;
  server.first_node = first;
  server.node_count = static_cast<uint32_t>(t.nodes.size());
  s_->impl->servers.push_back(std::move(server));
  for (const auto& c : t.cables) {
    if (c.a >= t.nodes.size() || c.b >= t.nodes.size()) {
      throw std::logic_error("server template '" + t.name + "': cable end out of range");
    }
    AddCable(CableSpec{first + c.a, first + c.b, c.kind, c.bandwidth_bytes_per_s, c.latency,
                       c.full_duplex});
  }
  return index;
}

std::optional<NodeId> ClusterGraphBuilder::FindNode(std::string_view name) const {
  auto it = s_->impl->by_name.find(std::string(name));
  if (it == s_->impl->by_name.end()) return std::nullopt;
  return it->second;
}

size_t ClusterGraphBuilder::node_count() const { return s_->nodes.size(); }
const NodeSpec& ClusterGraphBuilder::node(NodeId id) const { return s_->nodes.at(id); }
const std::vector<ServerSpec>& ClusterGraphBuilder::servers() const { return s_->impl->servers; }

std::vector<std::string> ClusterGraphBuilder::NodeNames() const {
  std::vector<std::string> names;
  names.reserve(s_->nodes.size());
  for (const auto& n : s_->nodes) names.push_back(n.name);
  return names;
}

ClusterGraph ClusterGraphBuilder::Build() {
  if (s_->built) throw std::logic_error("ClusterGraphBuilder::Build called twice");
  s_->built = true;
  ClusterGraph::Impl& g = *s_->impl;
  const size_t n = s_->nodes.size();
  g.graph = BglGraph(n);
  g.fabric_index.assign(n, -1);
  for (NodeId id = 0; id < n; ++id) {
    NodeSpec& spec = s_->nodes[id];
    if (spec.kind == NodeKind::kGpu) g.gpus.push_back(id);
    if (spec.server < 0) {
      g.fabric_index[id] = static_cast<int32_t>(g.fabric_nodes.size());
      g.fabric_nodes.push_back(id);
    }
    g.graph[id] = std::move(spec);
  }
  s_->nodes.clear();
  g.links.reserve(2 * g.cables.size());
  for (size_t i = 0; i < g.cables.size(); ++i) {
    const CableSpec& c = g.cables[i];
    // A half-duplex cable shares its bandwidth between the directions; see CableSpec.
    const double bw = c.full_duplex ? c.bandwidth_bytes_per_s : c.bandwidth_bytes_per_s / 2;
    const int64_t w = RouteWeight(g.metric, c.latency);
    g.links.push_back(DirectedLinkSpec{c.a, c.b, bw, c.latency});
    g.links.push_back(DirectedLinkSpec{c.b, c.a, bw, c.latency});
    const int64_t bw_int = std::max<int64_t>(1, std::llround(bw));
    boost::add_edge(c.a, c.b, LinkBundle{ForwardLinkOf(i), w, bw_int}, g.graph);
    boost::add_edge(c.b, c.a, LinkBundle{BackwardLinkOf(i), w, bw_int}, g.graph);
  }
  g.router = std::make_unique<Router>(g);
  return ClusterGraph(std::move(s_->impl));
}

// ---- ClusterGraph ----

ClusterGraph::Impl::Impl() = default;
ClusterGraph::Impl::~Impl() = default;

ClusterGraph::ClusterGraph(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ClusterGraph::ClusterGraph(ClusterGraph&&) noexcept = default;
ClusterGraph& ClusterGraph::operator=(ClusterGraph&&) noexcept = default;
ClusterGraph::~ClusterGraph() = default;

const std::string& ClusterGraph::name() const { return impl_->name; }
const std::string& ClusterGraph::description() const { return impl_->description; }
RouteMetric ClusterGraph::metric() const { return impl_->metric; }
size_t ClusterGraph::node_count() const { return boost::num_vertices(impl_->graph); }
const NodeSpec& ClusterGraph::node(NodeId id) const { return impl_->graph[id]; }

std::optional<NodeId> ClusterGraph::FindNode(std::string_view name) const {
  auto it = impl_->by_name.find(std::string(name));
  if (it == impl_->by_name.end()) return std::nullopt;
  return it->second;
}

NodeId ClusterGraph::NodeNamed(std::string_view name) const {
  if (auto id = FindNode(name)) return *id;
  std::vector<std::string> names;
  names.reserve(node_count());
  for (NodeId i = 0; i < node_count(); ++i) names.push_back(node(i).name);
  throw InputError("no node named '" + std::string(name) + "' in topology '" + impl_->name + "'",
                   ClosestName(name, names).value_or(""));
}

const std::vector<NodeId>& ClusterGraph::gpus() const { return impl_->gpus; }
const std::vector<ServerSpec>& ClusterGraph::servers() const { return impl_->servers; }
size_t ClusterGraph::cable_count() const { return impl_->cables.size(); }
const CableSpec& ClusterGraph::cable(size_t i) const { return impl_->cables[i]; }

std::vector<LinkId> ClusterGraph::LinksFrom(NodeId id) const {
  std::vector<LinkId> out;
  for (auto [e, end] = boost::out_edges(id, impl_->graph); e != end; ++e) {
    out.push_back(impl_->graph[*e].link);
  }
  return out;
}

size_t ClusterGraph::link_count() const { return impl_->links.size(); }
const DirectedLinkSpec& ClusterGraph::link(LinkId id) const { return impl_->links[id]; }

const Route* ClusterGraph::TryRouteBetween(NodeId from, NodeId to) const {
  if (from >= node_count() || to >= node_count()) {
    throw std::logic_error("TryRouteBetween: node id out of range");
  }
  return impl_->router->Find(from, to);
}

const Route& ClusterGraph::RouteBetween(NodeId from, NodeId to) const {
  if (const Route* r = TryRouteBetween(from, to)) return *r;
  throw InputError("no route from '" + node(from).name + "' to '" + node(to).name +
                   "' in topology '" + impl_->name +
                   "': no path through forwarding nodes (switches, NICs, hosts) that "
                   "leaves and enters a server at most once");
}

ClusterGraph::CacheStats ClusterGraph::cache_stats() const { return impl_->router->stats(); }

}  // namespace fleetsim
