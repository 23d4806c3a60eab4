#include "topologies/topology_report.h"

#include <algorithm>
#include <limits>
#include <tuple>
#include <vector>

#include "sim/units.h"

namespace fleetsim {

namespace {

double DirectionalBandwidth(const CableSpec& c) {
  return c.full_duplex ? c.bandwidth_bytes_per_s : c.bandwidth_bytes_per_s / 2;
}

void MinMax(const std::vector<double>& v, double* lo, double* hi) {
  if (v.empty()) return;
  *lo = *std::min_element(v.begin(), v.end());
  *hi = *std::max_element(v.begin(), v.end());
}

std::string Quote(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

const char* Shape(NodeKind k) {
  switch (k) {
    case NodeKind::kGpu:
      return "box";
    case NodeKind::kHost:
      return "component";
    case NodeKind::kNvme:
      return "cylinder";
    case NodeKind::kNic:
      return "cds";
    case NodeKind::kPcieSwitch:
      return "diamond";
    case NodeKind::kNvSwitch:
      return "octagon";
    case NodeKind::kSwitch:
      return "hexagon";
  }
  return "ellipse";
}

const char* Fill(NodeKind k) {
  switch (k) {
    case NodeKind::kGpu:
      return "#a6d96a";
    case NodeKind::kHost:
      return "#abd9e9";
    case NodeKind::kNvme:
      return "#dddddd";
    case NodeKind::kNic:
      return "#fee090";
    case NodeKind::kPcieSwitch:
      return "#f4f4f4";
    case NodeKind::kNvSwitch:
      return "#66bd63";
    case NodeKind::kSwitch:
      return "#fdae61";
  }
  return "white";
}

const char* Color(LinkKind k) {
  switch (k) {
    case LinkKind::kNvlink:
    case LinkKind::kNvswitch:
      return "#1a9850";
    case LinkKind::kPcie:
      return "#4575b4";
    case LinkKind::kInfiniband:
      return "#d73027";
    case LinkKind::kEthernet:
      return "#7b3294";
  }
  return "black";
}

}  // namespace

TopologySummary Summarize(const ClusterGraph& g) {
  TopologySummary s;
  s.name = g.name();
  s.description = g.description();
  s.metric = g.metric();
  s.nodes = g.node_count();
  s.cables = g.cable_count();
  s.directed_links = g.link_count();
  for (NodeId id = 0; id < g.node_count(); ++id) {
    const NodeSpec& n = g.node(id);
    ++s.nodes_by_kind[static_cast<int>(n.kind)];
    if (n.kind == NodeKind::kSwitch) ++s.switches_by_level[std::min<int>(n.level, 3)];
    if (n.kind == NodeKind::kGpu) ++s.gpu_types[n.gpu_type];
  }
  s.servers = g.servers().size();
  for (const auto& server : g.servers()) ++s.servers_by_template[server.template_name];

  std::vector<double> scale_up(g.node_count(), 0), own_network(g.node_count(), 0);
  std::vector<double> server_network(g.servers().size(), 0);
  for (size_t i = 0; i < g.cable_count(); ++i) {
    const CableSpec& c = g.cable(i);
    ++s.cables_by_kind[static_cast<int>(c.kind)];
    const double bw = DirectionalBandwidth(c);
    if (IsScaleUp(c.kind)) {
      scale_up[c.a] += bw;
      scale_up[c.b] += bw;
    }
    if (IsNetwork(c.kind)) {
      for (NodeId end : {c.a, c.b}) {
        own_network[end] += bw;
        if (g.node(end).server >= 0) server_network[g.node(end).server] += bw;
      }
    }
  }
  std::vector<size_t> server_gpus(g.servers().size(), 0);
  for (NodeId gpu : g.gpus()) {
    if (g.node(gpu).server >= 0) ++server_gpus[g.node(gpu).server];
  }
  std::vector<double> up, net;
  for (NodeId gpu : g.gpus()) {
    up.push_back(scale_up[gpu]);
    const int32_t server = g.node(gpu).server;
    net.push_back(server >= 0 ? server_network[server] / static_cast<double>(server_gpus[server])
                              : own_network[gpu]);
  }
  MinMax(up, &s.scale_up_min, &s.scale_up_max);
  MinMax(net, &s.network_min, &s.network_max);
  s.bisection = BisectionBandwidth(g);
  return s;
}

void WriteDot(const ClusterGraph& g, std::ostream& out, bool collapse_servers) {
  out << "graph " << Quote(g.name()) << " {\n"
      << "  graph [fontname=\"Helvetica\", overlap=false, splines=true];\n"
      << "  node [fontname=\"Helvetica\", fontsize=10, style=filled];\n"
      << "  edge [fontname=\"Helvetica\", fontsize=8];\n";
  // Drawn endpoint of a node: itself, or its server in collapsed mode.
  auto endpoint = [&](NodeId id) -> std::string {
    const int32_t server = g.node(id).server;
    if (collapse_servers && server >= 0) return g.servers()[server].name;
    return g.node(id).name;
  };
  auto node_line = [&](const NodeSpec& n, const std::string& local, const char* indent) {
    std::string label = local;
    if (n.kind == NodeKind::kGpu) label += "\\n" + n.gpu_type;
    out << indent << Quote(n.name) << " [label=\"" << label << "\", shape=" << Shape(n.kind)
        << ", fillcolor=\"" << Fill(n.kind) << "\"];\n";
  };
  for (const ServerSpec& server : g.servers()) {
    if (collapse_servers) {
      std::map<std::string, size_t> types;
      for (NodeId id = server.first_node; id < server.first_node + server.node_count; ++id) {
        if (g.node(id).kind == NodeKind::kGpu) ++types[g.node(id).gpu_type];
      }
      std::string label = server.name;
      for (const auto& [type, n] : types) label += "\\n" + std::to_string(n) + " x " + type;
      out << "  " << Quote(server.name) << " [label=\"" << label
          << "\", shape=box3d, fillcolor=\"#d9f0d3\"];\n";
      continue;
    }
    out << "  subgraph " << Quote("cluster_" + server.name) << " {\n"
        << "    label=" << Quote(server.name + " (" + server.template_name + ")") << ";\n"
        << "    style=rounded;\n";
    for (NodeId id = server.first_node; id < server.first_node + server.node_count; ++id) {
      const NodeSpec& n = g.node(id);
      node_line(n, n.name.substr(server.name.size() + 1), "    ");
    }
    out << "  }\n";
  }
  for (NodeId id = 0; id < g.node_count(); ++id) {
    if (g.node(id).server < 0) node_line(g.node(id), g.node(id).name, "  ");
  }
  // Parallel cables (same drawn ends, kind and bandwidth) become one edge, in the order of
  // their first cable.
  using Key = std::tuple<std::string, std::string, int, double>;
  std::map<Key, size_t> index;
  std::vector<std::pair<Key, size_t>> edges;
  for (size_t i = 0; i < g.cable_count(); ++i) {
    const CableSpec& c = g.cable(i);
    std::string a = endpoint(c.a), b = endpoint(c.b);
    if (a == b) continue;  // inside a collapsed server
    if (b < a) std::swap(a, b);
    const Key key{a, b, static_cast<int>(c.kind), DirectionalBandwidth(c)};
    auto [it, fresh] = index.emplace(key, edges.size());
    if (fresh) {
      edges.push_back({key, 1});
    } else {
      ++edges[it->second].second;
    }
  }
  for (const auto& [key, count] : edges) {
    const auto& [a, b, kind, bw] = key;
    std::string label = FormatQuantity(bw, dim::kBytesPerSecond);
    if (count > 1) label = std::to_string(count) + " x " + label;
    out << "  " << Quote(a) << " -- " << Quote(b) << " [label=\"" << label << "\", color=\""
        << Color(static_cast<LinkKind>(kind)) << "\"];\n";
  }
  out << "}\n";
}

}  // namespace fleetsim
