// The cluster graph: every GPU, host, NVMe drive, NIC, PCIe switch, NVSwitch and network
// switch of a cluster, and the cables between them with the bandwidth and latency of each.
//
// A graph is assembled once, by the topology loader (topology_loader.h) or by the
// generators (generators.h) through ClusterGraphBuilder, and then frozen: nothing can be
// added or changed, so models may keep NodeIds, LinkIds and routes for a whole run, and one
// graph may serve many simulations side by side (the route cache is locked).
//
// ClusterGraph implements Fabric (topologies/link_types.h): cable i is the two directed
// links 2i (a -> b) and 2i+1 (b -> a). Routes are computed lazily and cached; routing.h
// states the rules (which nodes forward traffic, the metric, equal-cost choice).
//
// Units: bandwidths in bytes per second PER DIRECTION; latencies as Duration (integer ns).
//
// Boost.Graph lives behind the pimpl (topologies/graph_impl.h, private to topologies/*.cc):
// this header is cheap to include. Not here: YAML (topology_loader.h), fabric shapes
// (generators.h), path algorithms (routing.h), traffic and sharing (models/network/).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "topologies/link_types.h"

namespace fleetsim {

enum class NodeKind : uint8_t {
  kGpu,         // an accelerator of a catalog type
  kHost,        // host CPU(s) and their memory; the PCIe root complex
  kNvme,        // a local NVMe drive or array
  kNic,         // a network adapter: the server's port into the fabric
  kPcieSwitch,  // a PCIe switch
  kNvSwitch,    // NVSwitch: one node stands for all NVSwitch chips of a server
  kSwitch,      // a network (InfiniBand / Ethernet) switch
};
inline constexpr int kNodeKindCount = 7;
const char* NodeKindName(NodeKind k);  // the YAML spelling: "gpu", "pcie_switch", ...
std::optional<NodeKind> NodeKindFromName(std::string_view name);
std::vector<std::string> NodeKindNames();
// Whether a route between two other nodes may pass through a node of this kind. Switches,
// NICs and hosts (the PCIe root complex) forward; GPUs and NVMe drives are endpoints only:
// NVLink and PCIe peers do not relay traffic in hardware, and a route through a GPU would
// hide the software copy it stands for.
bool Forwards(NodeKind k);

enum class LinkKind : uint8_t {
  kNvlink,      // direct GPU-GPU NVLink (bridge or mesh)
  kNvswitch,    // a GPU's NVLink ports into an NVSwitch
  kPcie,        // PCIe lanes (device - switch - root complex)
  kInfiniband,  // InfiniBand cable (NIC - switch, switch - switch)
  kEthernet,    // Ethernet / RoCE cable
};
inline constexpr int kLinkKindCount = 5;
const char* LinkKindName(LinkKind k);  // "nvlink", "nvswitch", "pcie", "infiniband", "ethernet"
std::optional<LinkKind> LinkKindFromName(std::string_view name);
std::vector<std::string> LinkKindNames();
bool IsScaleUp(LinkKind k);  // NVLink or NVSwitch
bool IsNetwork(LinkKind k);  // InfiniBand or Ethernet

struct NodeSpec {
  std::string name;  // unique in the graph; "server/local" inside a server
  NodeKind kind = NodeKind::kGpu;
  std::string gpu_type;     // kGpu only: the catalog device name
  double memory_bytes = 0;  // kHost: memory; kNvme: capacity; 0 = not stated
  int32_t server = -1;      // index into ClusterGraph::servers(); -1 = fabric (no server)
  uint8_t level = 0;        // kSwitch made by a generator: 1 leaf, 2 spine, 3 core; 0 other
};

// A cable between two nodes. Both directions exist; a full-duplex cable carries
// `bandwidth_bytes_per_s` each way at once, a half-duplex one is modelled as two directed
// links of half that bandwidth (exact when both directions are busy, pessimistic by 2x
// when only one is).
struct CableSpec {
  NodeId a = 0;
  NodeId b = 0;
  LinkKind kind = LinkKind::kPcie;
  double bandwidth_bytes_per_s = 0;  // per direction as stated; in (0, kMaxLinkBandwidth]
  Duration latency;                  // per traversal; at most kMaxLinkLatency
  bool full_duplex = true;
};
inline constexpr Duration kMaxLinkLatency = Duration::Seconds(1);
inline constexpr double kMaxLinkBandwidth = 1e15;  // 1 PB/s: beyond it, a typo

inline LinkId ForwardLinkOf(size_t cable) { return static_cast<LinkId>(2 * cable); }
inline LinkId BackwardLinkOf(size_t cable) { return static_cast<LinkId>(2 * cable + 1); }
inline size_t CableOf(LinkId link) { return link / 2; }

// A server: a named instance of a template; its nodes are contiguous NodeIds.
struct ServerSpec {
  std::string name;
  std::string template_name;
  NodeId first_node = 0;
  uint32_t node_count = 0;
};

// A server template: nodes with local names and the cables between them, instantiated
// by name ("dgx3" + "/" + "gpu5"). Cable ends are indices into `nodes`.
struct ServerTemplate {
  struct Cable {
    uint32_t a = 0;
    uint32_t b = 0;
    LinkKind kind = LinkKind::kPcie;
    double bandwidth_bytes_per_s = 0;
    Duration latency;
    bool full_duplex = true;
  };
  std::string name;
  std::vector<NodeSpec> nodes;  // `server` is ignored; `name` is local
  std::vector<Cable> cables;
  // The nodes a fabric attaches to: the kNic nodes, in order.
  std::vector<uint32_t> Ports() const;
  size_t gpu_count() const;
};

// What routes minimise. Both are exact integers, so equal-cost paths are found exactly:
// kLatency minimises the summed link latency, ties broken by fewer hops; kHops minimises
// the hop count, ties broken by lower latency.
enum class RouteMetric : uint8_t { kLatency, kHops };
const char* RouteMetricName(RouteMetric m);

class ClusterGraph;

// Assembles a graph. Every check that needs no file position happens here and throws
// InputError; the loader adds positions. Not thread-safe; use once.
class ClusterGraphBuilder {
 public:
  explicit ClusterGraphBuilder(std::string name);
  ~ClusterGraphBuilder();
  ClusterGraphBuilder(const ClusterGraphBuilder&) = delete;
  ClusterGraphBuilder& operator=(const ClusterGraphBuilder&) = delete;

  void set_description(std::string d);
  void set_metric(RouteMetric m);

  // Adds a node outside any server (or inside the open server, see BeginServer). The name
  // must be new and non-empty, a GPU needs a type; InputError otherwise.
  NodeId AddNode(NodeSpec spec);
  // Adds a cable. Ends must exist and differ, the bandwidth must be positive and finite,
  // the latency within [0, kMaxLinkLatency], and the ends must not lie in two different
  // servers (servers meet only through fabric nodes); InputError otherwise.
  size_t AddCable(const CableSpec& cable);
  // Instantiates a template as server `name`: nodes "name/<local>", its cables. Returns
  // the server index.
  int32_t AddServer(const ServerTemplate& t, const std::string& name);

  std::optional<NodeId> FindNode(std::string_view name) const;
  size_t node_count() const;
  const NodeSpec& node(NodeId id) const;
  const std::vector<ServerSpec>& servers() const;
  // All node names, in NodeId order (for "did you mean").
  std::vector<std::string> NodeNames() const;

  // Freezes the graph. The builder must not be used afterwards.
  ClusterGraph Build();

 private:
  struct State;
  std::unique_ptr<State> s_;
};

class ClusterGraph final : public Fabric {
 public:
  ClusterGraph(ClusterGraph&&) noexcept;
  ClusterGraph& operator=(ClusterGraph&&) noexcept;
  ~ClusterGraph() override;

  const std::string& name() const;
  const std::string& description() const;
  RouteMetric metric() const;

  size_t node_count() const;
  const NodeSpec& node(NodeId id) const;  // precondition: id < node_count()
  std::optional<NodeId> FindNode(std::string_view name) const;
  // As FindNode, but an unknown name is an InputError suggesting the closest name.
  NodeId NodeNamed(std::string_view name) const;
  const std::vector<NodeId>& gpus() const;  // every kGpu node, in NodeId order
  const std::vector<ServerSpec>& servers() const;

  size_t cable_count() const;
  const CableSpec& cable(size_t i) const;  // precondition: i < cable_count()
  // The directed links leaving a node, in the order their cables were added.
  std::vector<LinkId> LinksFrom(NodeId id) const;

  // Fabric. RouteBetween throws InputError when `to` cannot be reached from `from` (the
  // loader guarantees that every GPU reaches every other GPU; other pairs are the user's
  // to get right). The reference stays valid for the graph's lifetime.
  size_t link_count() const override;
  const DirectedLinkSpec& link(LinkId id) const override;
  const Route& RouteBetween(NodeId from, NodeId to) const override;
  // nullptr when unreachable.
  const Route* TryRouteBetween(NodeId from, NodeId to) const;

  // How much the route cache holds: routes, and rows over the fabric nodes (per fabric
  // destination: one of widths, one of costs per bandwidth threshold); for tests and
  // benchmarks.
  struct CacheStats {
    size_t routes = 0;
    size_t width_rows = 0;
    size_t cost_rows = 0;
  };
  CacheStats cache_stats() const;

  struct Impl;  // topologies/graph_impl.h
  const Impl& impl() const { return *impl_; }

 private:
  friend class ClusterGraphBuilder;
  explicit ClusterGraph(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fleetsim
