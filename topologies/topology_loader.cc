#include "topologies/topology_loader.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>

#include "sim/config/config.h"
#include "sim/suggest.h"
#include "topologies/generators.h"
#include "topologies/routing.h"

namespace fleetsim {

namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// Where each node came from in the file, for errors found after building (reachability).
struct Origins {
  std::vector<ConfigNode> nodes;  // distinct declarations
  std::vector<uint32_t> of_node;  // by NodeId -> index into `nodes`
  uint32_t Add(const ConfigNode& n) {
    nodes.push_back(n);
    return static_cast<uint32_t>(nodes.size() - 1);
  }
};

struct TemplateEntry {
  ServerTemplate t;
  std::vector<ConfigNode> node_origin;  // per local node
};

class Loader {
 public:
  Loader(const ConfigNode& topology, const TopologyLoadOptions& options)
      : topo_(topology), options_(options), builder_(ReadName(topology)) {}

  ClusterGraph Load() {
    MapReader r(topo_);
    r.Required("name");
    if (auto d = r.Optional("description")) builder_.set_description(d->AsString());
    if (auto routing = r.Optional("routing")) ReadRouting(*routing);
    if (auto t = r.Optional("templates")) ReadTemplates(*t);
    if (auto s = r.Optional("servers")) ReadServers(*s);
    if (auto f = r.Optional("fabric")) ReadFabric(*f);
    if (auto n = r.Optional("nodes")) ReadNodes(*n);
    if (auto l = r.Optional("links")) ReadLinks(*l);
    r.Finish();
    if (origins_.of_node.empty()) topo_.Fail("the topology has no nodes");
    ClusterGraph g = builder_.Build();
    if (g.gpus().empty()) {
      topo_.Fail("the topology has no GPU (a node of kind gpu, or a server with GPUs)");
    }
    if (auto bad = FindUnreachableGpus(g)) {
      const NodeId a = bad->first, b = bad->second;
      origins_.nodes[origins_.of_node[b]].Fail(
          "GPU '" + g.node(b).name + "' cannot reach GPU '" + g.node(a).name +
          "': no path through forwarding nodes (switches, NICs, hosts; GPUs and NVMe drives "
          "do not relay traffic) that leaves and enters a server at most once");
    }
    return g;
  }

 private:
  static std::string ReadName(const ConfigNode& topology) {
    if (!topology.IsMap()) topology.Fail("expected a map under 'topology'");
    const std::string name = topology.Get("name").AsString();
    if (name.empty()) topology.Get("name").Fail("the topology name must not be empty");
    return name;
  }

  void ReadRouting(const ConfigNode& n) {
    MapReader r(n);
    if (auto m = r.Optional("metric")) {
      builder_.set_metric(m->AsChoice({"latency", "hops"}) == "hops" ? RouteMetric::kHops
                                                                     : RouteMetric::kLatency);
    }
    r.Finish();
  }

  // ---- values ----

  std::string GpuType(const ConfigNode& n, const std::string& written) const {
    if (!options_.resolve_gpu_type) return written;
    if (auto canonical = options_.resolve_gpu_type(written)) return *canonical;
    n.Fail("unknown GPU type '" + written + "' (see 'fleetsim list gpus')",
           ClosestName(written, options_.gpu_type_names).value_or(""));
  }

  static double Bandwidth(const ConfigNode& n) {
    const double bw = n.AsQuantity(dim::kBytesPerSecond);
    if (!(bw > 0)) n.Fail("bandwidth must be positive, got '" + n.AsString() + "'");
    if (bw > kMaxLinkBandwidth)
      n.Fail("bandwidth above 1 PB/s is not a link: '" + n.AsString() + "'");
    return bw;
  }

  static Duration Latency(const ConfigNode& n) {
    const Duration d = n.AsDuration();
    if (d > kMaxLinkLatency)
      n.Fail("latency must be at most 1 s per link, got '" + n.AsString() + "'");
    return d;
  }

  static int64_t Count(const ConfigNode& n, const char* what, int64_t max) {
    const int64_t c = n.AsInt();
    if (c < 1 || c > max) {
      n.Fail(std::string(what) + " must be between 1 and " + std::to_string(max) + ", got " +
             std::to_string(c));
    }
    return c;
  }

  static LinkKind ReadLinkKind(const ConfigNode& n) {
    const std::string s = n.AsString();
    if (auto k = LinkKindFromName(s)) return *k;
    n.Fail("unknown link kind '" + s + "' (one of: " + Join(LinkKindNames()) + ")",
           ClosestName(s, LinkKindNames()).value_or(""));
  }

  static NodeKind ReadNodeKind(const ConfigNode& n) {
    const std::string s = n.AsString();
    if (auto k = NodeKindFromName(s)) return *k;
    n.Fail("unknown node kind '" + s + "' (one of: " + Join(NodeKindNames()) + ")",
           ClosestName(s, NodeKindNames()).value_or(""));
  }

  // {bandwidth, latency} with a kind given by the role, or {kind, bandwidth, latency}.
  static LinkParams ReadLinkParams(const ConfigNode& n, std::optional<LinkKind> implied) {
    MapReader r(n);
    LinkParams p;
    if (implied) {
      p.kind = *implied;
    } else {
      p.kind = ReadLinkKind(r.Required("kind"));
    }
    p.bandwidth_bytes_per_s = Bandwidth(r.Required("bandwidth"));
    p.latency = Latency(r.Required("latency"));
    r.Finish();
    return p;
  }

  static std::optional<LinkParams> ReadOptionalLink(const ConfigNode& n, LinkKind kind) {
    if (n.IsScalar() && n.AsString() == "none") return std::nullopt;
    if (!n.IsMap()) n.Fail("expected {bandwidth, latency} or none");
    return ReadLinkParams(n, kind);
  }

  // ---- nodes and links (shared by templates and the top level) ----

  struct NodeItem {
    NodeSpec spec;  // name is the pattern
    int64_t count = 1;
  };

  NodeItem ReadNodeItem(const ConfigNode& n) const {
    MapReader r(n);
    NodeItem item;
    const ConfigNode name = r.Required("name");
    item.spec.name = name.AsString();
    if (item.spec.name.empty()) name.Fail("a node name must not be empty");
    if (item.spec.name.find('/') != std::string::npos) {
      name.Fail("'/' is reserved for server nodes ('server/node'); choose another name");
    }
    item.spec.kind = ReadNodeKind(r.Required("kind"));
    if (auto type = r.Optional("type")) {
      if (item.spec.kind != NodeKind::kGpu) n.FailAtKey("type", "only a gpu node has a type");
      item.spec.gpu_type = GpuType(*type, type->AsString());
    } else if (item.spec.kind == NodeKind::kGpu) {
      n.Fail("a gpu node needs a type (a catalog device name, e.g. H100)");
    }
    if (auto memory = r.Optional("memory")) {
      if (item.spec.kind != NodeKind::kHost) n.FailAtKey("memory", "only a host node has memory");
      item.spec.memory_bytes = memory->AsQuantity(dim::kBytes);
    }
    if (auto capacity = r.Optional("capacity")) {
      if (item.spec.kind != NodeKind::kNvme) {
        n.FailAtKey("capacity", "only an nvme node has a capacity");
      }
      item.spec.memory_bytes = capacity->AsQuantity(dim::kBytes);
    }
    if (auto c = r.Optional("count")) {
      item.count = Count(*c, "count", 1'000'000);
      if (item.count > 1 && item.spec.name.find("{i}") == std::string::npos) {
        name.Fail("name '" + item.spec.name + "' must contain {i} to name " +
                  std::to_string(item.count) + " nodes apart");
      }
    }
    r.Finish();
    return item;
  }

  struct LinkItem {
    std::vector<ConfigNode> ends;  // the two ends, as written
    std::string patterns[2];
    LinkKind kind = LinkKind::kPcie;
    double bandwidth = 0;
    Duration latency;
    bool full_duplex = true;
    int64_t count = 1;   // parallel cables
    int64_t repeat = 1;  // instances over {i}
  };

  static LinkItem ReadLinkItem(const ConfigNode& n) {
    MapReader r(n);
    const ConfigNode ends = r.Required("ends");
    if (!ends.IsSequence() || ends.size() != 2) {
      ends.Fail("expected the two ends of the link, e.g. ends: [gpu0, nvswitch]");
    }
    LinkItem item;
    item.ends = {ends.At(0), ends.At(1)};
    for (int i = 0; i < 2; ++i) item.patterns[i] = item.ends[i].AsString();
    item.kind = ReadLinkKind(r.Required("kind"));
    item.bandwidth = Bandwidth(r.Required("bandwidth"));
    item.latency = Latency(r.Required("latency"));
    if (auto d = r.Optional("full_duplex")) item.full_duplex = d->AsBool();
    if (auto c = r.Optional("count")) item.count = Count(*c, "count", 1'000);
    if (auto c = r.Optional("repeat")) {
      item.repeat = Count(*c, "repeat", 1'000'000);
      if (item.repeat > 1 && item.patterns[0].find("{i}") == std::string::npos &&
          item.patterns[1].find("{i}") == std::string::npos) {
        c->Fail("repeat needs {i} in at least one end");
      }
    }
    r.Finish();
    return item;
  }

  // ---- templates ----

  void ReadTemplates(const ConfigNode& n) {
    if (!n.IsMap()) n.Fail("expected a map of template names to templates");
    for (const std::string& name : n.Keys()) {
      const ConfigNode t = n.Get(name);
      if (!t.IsMap())
        t.Fail("expected a template: {generator: ...} or {nodes: [...], links: [...]}");
      TemplateEntry entry =
          t.Has("generator") ? GeneratedTemplate(name, t) : ExplicitTemplate(name, t);
      templates_.emplace(name, std::move(entry));
    }
  }

  TemplateEntry GeneratedTemplate(const std::string& name, const ConfigNode& n) const {
    MapReader r(n);
    const ConfigNode gen = r.Required("generator");
    const std::string g = gen.AsString();
    const ServerGenerator* entry = nullptr;
    if (auto* e = ServerGenerators().TryFind(g)) entry = &e->factory;
    if (!entry) {
      const auto names = ServerGenerators().NameList();
      gen.Fail("unknown server generator '" + g + "' (one of: " + Join(names) + ")",
               ClosestName(g, names).value_or(""));
    }
    ServerParams p = entry->defaults();
    if (auto v = r.Optional("gpu_type")) p.gpu_type = v->AsString();
    if (auto v = r.Optional("gpus"))
      p.gpus = static_cast<int>(std::clamp<int64_t>(v->AsInt(), -1, 1 << 20));
    if (auto v = r.Optional("nvswitch_link"))
      p.nvswitch_link = ReadOptionalLink(*v, LinkKind::kNvswitch);
    if (auto v = r.Optional("pcie_switches")) {
      p.pcie_switches = static_cast<int>(std::clamp<int64_t>(v->AsInt(), -1, 1 << 20));
    }
    if (auto v = r.Optional("pcie_link")) p.pcie_link = ReadLinkParams(*v, LinkKind::kPcie);
    if (auto v = r.Optional("pcie_uplink")) p.pcie_uplink = ReadLinkParams(*v, LinkKind::kPcie);
    if (auto v = r.Optional("nics"))
      p.nics = static_cast<int>(std::clamp<int64_t>(v->AsInt(), -1, 1 << 20));
    if (auto v = r.Optional("host_memory")) p.host_memory_bytes = v->AsQuantity(dim::kBytes);
    if (auto v = r.Optional("nvme_link")) p.nvme_link = ReadOptionalLink(*v, LinkKind::kPcie);
    if (auto v = r.Optional("nvme_capacity")) p.nvme_capacity_bytes = v->AsQuantity(dim::kBytes);
    r.Finish();
    // The type as the catalog names it; an unknown type points at gpu_type (or at the
    // generator when the preset's default type is unknown to this catalog).
    const ConfigNode at = n.Find("gpu_type").value_or(gen);
    p.gpu_type = GpuType(at, p.gpu_type);
    TemplateEntry t;
    try {
      t.t = MakeServer(name, p);
    } catch (const GeneratorError& e) {
      FailAtParam(n, e);
    }
    t.node_origin.assign(t.t.nodes.size(), n);
    return t;
  }

  [[noreturn]] static void FailAtParam(const ConfigNode& n, const GeneratorError& e) {
    if (auto v = n.Find(e.param())) v->Fail(e.what(), e.suggestion());
    n.Fail(e.what(), e.suggestion());
  }

  TemplateEntry ExplicitTemplate(const std::string& name, const ConfigNode& n) const {
    MapReader r(n);
    r.Ignore("description");
    TemplateEntry t;
    t.t.name = name;
    std::map<std::string, uint32_t> local;
    for (const ConfigNode& item : r.Required("nodes").Items()) {
      const NodeItem ni = ReadNodeItem(item);
      for (int64_t i = 0; i < ni.count; ++i) {
        NodeSpec spec = ni.spec;
        spec.name = ExpandIndex(ni.spec.name, i);
        if (local.count(spec.name)) {
          item.Get("name").Fail("node name '" + spec.name + "' is used twice in template '" + name +
                                "'");
        }
        local[spec.name] = static_cast<uint32_t>(t.t.nodes.size());
        t.t.nodes.push_back(std::move(spec));
        t.node_origin.push_back(item);
      }
    }
    if (auto links = r.Optional("links")) {
      std::vector<std::string> names;
      for (const auto& node : t.t.nodes) names.push_back(node.name);
      for (const ConfigNode& item : links->Items()) {
        const LinkItem li = ReadLinkItem(item);
        for (int64_t i = 0; i < li.repeat; ++i) {
          uint32_t end[2];
          for (int k = 0; k < 2; ++k) {
            const std::string e = ExpandIndex(li.patterns[k], i);
            auto it = local.find(e);
            if (it == local.end()) {
              li.ends[k].Fail("unknown node '" + e + "' in template '" + name + "'",
                              ClosestName(e, names).value_or(""));
            }
            end[k] = it->second;
          }
          if (end[0] == end[1])
            li.ends[1].Fail("a link joins node '" + t.t.nodes[end[0]].name + "' to itself");
          for (int64_t c = 0; c < li.count; ++c) {
            t.t.cables.push_back(
                {end[0], end[1], li.kind, li.bandwidth, li.latency, li.full_duplex});
          }
        }
      }
    }
    r.Finish();
    return t;
  }

  const TemplateEntry& FindTemplate(const ConfigNode& n) const {
    const std::string name = n.AsString();
    auto it = templates_.find(name);
    if (it != templates_.end()) return it->second;
    std::vector<std::string> names;
    for (const auto& [k, v] : templates_) names.push_back(k);
    n.Fail("unknown server template '" + name + "'" +
               (names.empty() ? std::string(" (the file defines no templates)")
                              : " (defined: " + Join(names) + ")"),
           ClosestName(name, names).value_or(""));
  }

  // Records the origins of the nodes added since `before`: server nodes point at their
  // template's declaration, others (switches) at `fallback`.
  void NoteOrigins(size_t before, const ConfigNode& fallback) {
    std::optional<uint32_t> fallback_index;
    std::map<std::pair<std::string, uint32_t>, uint32_t> template_index;
    for (NodeId id = static_cast<NodeId>(before); id < builder_.node_count(); ++id) {
      const NodeSpec& spec = builder_.node(id);
      if (spec.server >= 0) {
        const ServerSpec& s = builder_.servers()[spec.server];
        const uint32_t local = id - s.first_node;
        auto key = std::make_pair(s.template_name, local);
        auto it = template_index.find(key);
        if (it == template_index.end()) {
          it = template_index
                   .emplace(key, origins_.Add(templates_.at(s.template_name).node_origin[local]))
                   .first;
        }
        origins_.of_node.push_back(it->second);
      } else {
        if (!fallback_index) fallback_index = origins_.Add(fallback);
        origins_.of_node.push_back(*fallback_index);
      }
    }
  }

  // ---- servers, fabric, nodes, links ----

  void ReadServers(const ConfigNode& n) {
    for (const ConfigNode& item : n.Items()) {
      MapReader r(item);
      const ConfigNode name = r.Required("name");
      const TemplateEntry& t = FindTemplate(r.Required("template"));
      int64_t count = 1;
      if (auto c = r.Optional("count")) count = Count(*c, "count", 10'000'000);
      r.Finish();
      const std::string pattern = name.AsString();
      if (count > 1 && pattern.find("{i}") == std::string::npos) {
        name.Fail("name '" + pattern + "' must contain {i} to name " + std::to_string(count) +
                  " servers apart");
      }
      if (pattern.empty() || pattern.find('/') != std::string::npos) {
        name.Fail("a server name must be non-empty and must not contain '/'");
      }
      const size_t before = builder_.node_count();
      for (int64_t i = 0; i < count; ++i) {
        const std::string server = ExpandIndex(pattern, i);
        if (!server_names_.insert(server).second) {
          name.Fail("server name '" + server + "' is used twice");
        }
        try {
          builder_.AddServer(t.t, server);
        } catch (const InputError& e) {
          name.Fail(e.what(), e.suggestion());
        }
      }
      NoteOrigins(before, item);
    }
  }

  void ReadFabric(const ConfigNode& n) {
    MapReader r(n);
    const ConfigNode gen = r.Required("generator");
    const std::string g = gen.AsString();
    const auto* entry = FabricGenerators().TryFind(g);
    if (!entry) {
      const auto names = FabricGenerators().NameList();
      gen.Fail("unknown fabric generator '" + g + "' (one of: " + Join(names) + ")",
               ClosestName(g, names).value_or(""));
    }
    FabricParams p;
    p.shape = entry->factory.shape;
    const TemplateEntry& t = FindTemplate(r.Required("template"));
    p.servers = r.Required("servers").AsInt();
    if (auto v = r.Optional("server_name")) p.server_name = v->AsString();
    p.host_link = ReadLinkParams(r.Required("host_link"), std::nullopt);
    if (p.shape != FabricShape::kSingleSwitch) {
      p.radix = static_cast<int>(std::clamp<int64_t>(r.Required("radix").AsInt(), -1, 1 << 20));
      if (auto v = r.Optional("oversubscription")) p.oversubscription = Ratio(*v);
      if (auto v = r.Optional("levels"))
        p.levels = static_cast<int>(std::clamp<int64_t>(v->AsInt(), -1, 99));
      p.switch_link = ReadLinkParams(r.Required("switch_link"), std::nullopt);
    }
    r.Finish();
    if (p.server_name.find('/') != std::string::npos) {
      n.Get("server_name").Fail("a server name must not contain '/'");
    }
    const size_t before = builder_.node_count();
    try {
      AddFabric(builder_, t.t, p);
    } catch (const GeneratorError& e) {
      FailAtParam(n, e);
    } catch (const InputError& e) {
      n.Fail(e.what(), e.suggestion());  // e.g. a generated name already taken
    }
    NoteOrigins(before, n);
  }

  // "3:1", "3" or 3.
  static double Ratio(const ConfigNode& n) {
    const std::string s = n.AsString();
    const size_t colon = s.find(':');
    if (colon == std::string::npos) return n.AsDouble();
    char* end = nullptr;
    const double a = std::strtod(s.c_str(), &end);
    const double b = std::strtod(s.c_str() + colon + 1, &end);
    if (end != s.c_str() + s.size() || !(b > 0))
      n.Fail("expected a ratio like 3:1, got '" + s + "'");
    return a / b;
  }

  void ReadNodes(const ConfigNode& n) {
    for (const ConfigNode& item : n.Items()) {
      const NodeItem ni = ReadNodeItem(item);
      const uint32_t origin = origins_.Add(item);
      for (int64_t i = 0; i < ni.count; ++i) {
        NodeSpec spec = ni.spec;
        spec.name = ExpandIndex(ni.spec.name, i);
        if (auto first = builder_.FindNode(spec.name)) {
          const ConfigNode& where = origins_.nodes[origins_.of_node[*first]];
          item.Get("name").Fail("node name '" + spec.name + "' is used twice (first at line " +
                                std::to_string(where.mark().line) + ")");
        }
        builder_.AddNode(std::move(spec));
        origins_.of_node.push_back(origin);
      }
    }
  }

  void ReadLinks(const ConfigNode& n) {
    std::optional<std::vector<std::string>> names;  // built on the first dangling end only
    for (const ConfigNode& item : n.Items()) {
      const LinkItem li = ReadLinkItem(item);
      for (int64_t i = 0; i < li.repeat; ++i) {
        NodeId end[2];
        for (int k = 0; k < 2; ++k) {
          const std::string e = ExpandIndex(li.patterns[k], i);
          auto id = builder_.FindNode(e);
          if (!id) {
            if (!names) names = builder_.NodeNames();
            li.ends[k].Fail("unknown node '" + e + "'", ClosestName(e, *names).value_or(""));
          }
          end[k] = *id;
        }
        for (int64_t c = 0; c < li.count; ++c) {
          try {
            builder_.AddCable(
                CableSpec{end[0], end[1], li.kind, li.bandwidth, li.latency, li.full_duplex});
          } catch (const InputError& e) {
            li.ends[1].Fail(e.what(), e.suggestion());
          }
        }
      }
    }
  }

  ConfigNode topo_;
  const TopologyLoadOptions& options_;
  ClusterGraphBuilder builder_;
  std::map<std::string, TemplateEntry> templates_;
  std::set<std::string> server_names_;  // of `servers:` entries
  Origins origins_;
};

}  // namespace

bool IsTopologyDocument(const ConfigNode& root) { return root.IsMap() && root.Has("topology"); }

ClusterGraph LoadTopology(const ConfigNode& topology, const TopologyLoadOptions& options) {
  return Loader(topology, options).Load();
}

ClusterGraph LoadTopologyFile(const std::string& path, const TopologyLoadOptions& options) {
  auto doc = ConfigDocument::LoadFile(path);
  const ConfigNode root = doc->Root();
  if (!IsTopologyDocument(root)) {
    root.Fail("not a topology file: expected a top-level 'topology:' key (docs/topologies.md)");
  }
  MapReader r(root);
  const ConfigNode topology = r.Required("topology");
  r.Finish();
  return LoadTopology(topology, options);
}

}  // namespace fleetsim
