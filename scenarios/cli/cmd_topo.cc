// `fleetsim topo show|dot|route FILE`: what a topology file holds (counts, per-GPU
// bandwidth, bisection), a Graphviz drawing of it, and the route between two nodes.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "models/catalog/catalog.h"
#include "scenarios/cli/args.h"
#include "scenarios/cli/commands.h"
#include "scenarios/cli/topology_options.h"
#include "sim/config/config_error.h"
#include "sim/suggest.h"
#include "topologies/topology_report.h"

namespace fleetsim {

TopologyLoadOptions CatalogTopologyOptions(const Catalog& catalog) {
  TopologyLoadOptions o;
  o.resolve_gpu_type = [&catalog](const std::string& name) -> std::optional<std::string> {
    const DeviceSpec* d = catalog.TryFindDevice(name);
    if (d == nullptr || d->kind == DeviceKind::kCpu) return std::nullopt;
    return d->name;
  };
  for (const auto& d : catalog.devices()) {
    if (d.kind == DeviceKind::kCpu) continue;
    o.gpu_type_names.push_back(d.name);
    o.gpu_type_names.insert(o.gpu_type_names.end(), d.aliases.begin(), d.aliases.end());
  }
  return o;
}

namespace {

std::string Bw(double bytes_per_s) { return FormatQuantity(bytes_per_s, dim::kBytesPerSecond); }

// "500 ns", "1.25 us", "100 us", "2.5 ms".
std::string Latency(Duration d) {
  char buf[32];
  const double ns = static_cast<double>(d.ns());
  if (ns < 1e3) {
    std::snprintf(buf, sizeof buf, "%.0f ns", ns);
  } else if (ns < 1e6) {
    std::snprintf(buf, sizeof buf, "%.3g us", ns / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g ms", ns / 1e6);
  }
  return buf;
}

std::string Range(double lo, double hi) {
  if (hi == 0) return "none";
  if (lo == hi) return Bw(lo);
  return Bw(lo) + " to " + Bw(hi);
}

std::string Kinds(const TopologySummary& s) {
  std::string out;
  for (int k = 0; k < kNodeKindCount; ++k) {
    if (s.nodes_by_kind[k] == 0) continue;
    out += (out.empty() ? "" : ", ") + std::string(NodeKindName(static_cast<NodeKind>(k))) + " " +
           FormatCount(static_cast<double>(s.nodes_by_kind[k]));
  }
  return out;
}

std::string LinkKinds(const TopologySummary& s) {
  std::string out;
  for (int k = 0; k < kLinkKindCount; ++k) {
    if (s.cables_by_kind[k] == 0) continue;
    out += (out.empty() ? "" : ", ") + std::string(LinkKindName(static_cast<LinkKind>(k))) + " " +
           FormatCount(static_cast<double>(s.cables_by_kind[k]));
  }
  return out;
}

void PrintText(const TopologySummary& s) {
  auto row = [](const char* key, const std::string& value) {
    std::printf("%-12s %s\n", key, value.c_str());
  };
  row("topology", s.name);
  if (!s.description.empty()) row("", s.description);
  row("nodes", FormatCount(static_cast<double>(s.nodes)) + " (" + Kinds(s) + ")");
  if (s.switches_by_level[1] + s.switches_by_level[2] + s.switches_by_level[3] > 0) {
    std::string levels;
    const char* names[] = {"other", "leaf", "spine", "core"};
    for (int l : {1, 2, 3, 0}) {
      if (s.switches_by_level[l] == 0) continue;
      levels += (levels.empty() ? "" : ", ") + std::string(names[l]) + " " +
                FormatCount(static_cast<double>(s.switches_by_level[l]));
    }
    row("switches", levels);
  }
  row("cables", FormatCount(static_cast<double>(s.cables)) + " (" + LinkKinds(s) + "); " +
                    FormatCount(static_cast<double>(s.directed_links)) + " directed links");
  if (s.servers > 0) {
    std::string t;
    for (const auto& [name, n] : s.servers_by_template) {
      t += (t.empty() ? "" : ", ") + name + " x " + FormatCount(static_cast<double>(n));
    }
    row("servers", FormatCount(static_cast<double>(s.servers)) + " (" + t + ")");
  }
  std::string gpus;
  for (const auto& [type, n] : s.gpu_types) {
    gpus += (gpus.empty() ? "" : ", ") + FormatCount(static_cast<double>(n)) + " x " + type;
  }
  row("GPUs", gpus);
  row("per GPU", "scale-up (NVLink/NVSwitch) " + Range(s.scale_up_min, s.scale_up_max) +
                     ", network " + Range(s.network_min, s.network_max) + ", per direction");
  if (s.bisection.gpus_per_side > 0) {
    const size_t n = s.bisection.gpus_per_side;
    row("bisection", Bw(s.bisection.bandwidth_bytes_per_s) + " per direction (the first " +
                         FormatCount(static_cast<double>(n)) + (n == 1 ? " GPU" : " GPUs") +
                         " to the rest" +
                         (s.bisection.servers_contracted ? "; servers contracted" : "") + ")");
  }
  row("routing", std::string("widest first, then shortest by ") +
                     (s.metric == RouteMetric::kLatency ? "latency (ties: fewer hops)"
                                                        : "hops (ties: lower latency)") +
                     "; ECMP by per-hop hash");
}

void PrintJson(const TopologySummary& s) {
  nlohmann::ordered_json j;
  j["name"] = s.name;
  j["description"] = s.description;
  nlohmann::ordered_json nodes;
  nodes["total"] = s.nodes;
  for (int k = 0; k < kNodeKindCount; ++k) {
    nodes[NodeKindName(static_cast<NodeKind>(k))] = s.nodes_by_kind[k];
  }
  j["nodes"] = nodes;
  j["switch_levels"] = {{"leaf", s.switches_by_level[1]},
                        {"spine", s.switches_by_level[2]},
                        {"core", s.switches_by_level[3]},
                        {"other", s.switches_by_level[0]}};
  nlohmann::ordered_json cables;
  cables["total"] = s.cables;
  for (int k = 0; k < kLinkKindCount; ++k) {
    cables[LinkKindName(static_cast<LinkKind>(k))] = s.cables_by_kind[k];
  }
  j["cables"] = cables;
  j["directed_links"] = s.directed_links;
  j["servers"] = {{"total", s.servers}, {"by_template", s.servers_by_template}};
  j["gpus"] = s.gpu_types;
  j["per_gpu_bytes_per_s"] = {{"scale_up", {{"min", s.scale_up_min}, {"max", s.scale_up_max}}},
                              {"network", {{"min", s.network_min}, {"max", s.network_max}}}};
  j["bisection"] = {{"bytes_per_s", s.bisection.bandwidth_bytes_per_s},
                    {"gpus_per_side", s.bisection.gpus_per_side},
                    {"servers_contracted", s.bisection.servers_contracted}};
  j["routing"] = {{"metric", RouteMetricName(s.metric)}};
  std::cout << j.dump(2) << "\n";
}

void PrintRoute(const ClusterGraph& g, NodeId from, NodeId to, bool json) {
  const Route& r = g.RouteBetween(from, to);
  if (json) {
    nlohmann::ordered_json links = nlohmann::ordered_json::array();
    for (LinkId id : r.links) {
      const DirectedLinkSpec& l = g.link(id);
      links.push_back({{"id", id},
                       {"from", g.node(l.from).name},
                       {"to", g.node(l.to).name},
                       {"kind", LinkKindName(g.cable(CableOf(id)).kind)},
                       {"bandwidth_bytes_per_s", l.bandwidth_bytes_per_s},
                       {"latency_ns", l.latency.ns()}});
    }
    nlohmann::ordered_json j = {{"from", g.node(from).name},
                                {"to", g.node(to).name},
                                {"hops", r.links.size()},
                                {"latency_ns", r.latency.ns()},
                                {"links", links}};
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("%s -> %s: %zu links, latency %s\n", g.node(from).name.c_str(),
              g.node(to).name.c_str(), r.links.size(), Latency(r.latency).c_str());
  for (LinkId id : r.links) {
    const DirectedLinkSpec& l = g.link(id);
    std::printf("  %-24s -> %-24s %-10s %10s %10s\n", g.node(l.from).name.c_str(),
                g.node(l.to).name.c_str(), LinkKindName(g.cable(CableOf(id)).kind),
                Bw(l.bandwidth_bytes_per_s).c_str(), Latency(l.latency).c_str());
  }
}

}  // namespace

int RunTopo(const std::vector<std::string>& args) {
  ArgParser p("topo",
              "Inspect a topology file (docs/topologies.md):\n"
              "  topo show FILE [--json]       counts, per-GPU bandwidth, bisection bandwidth\n"
              "  topo dot FILE [--collapse]    Graphviz drawing (dot -Tsvg)\n"
              "  topo route FILE SRC DST       the route between two nodes, link by link");
  p.Positional("ACTION", "show | dot | route");
  p.Positional("FILE", "the topology file");
  p.Positional("SRC", "route: the source node", false);
  p.Positional("DST", "route: the destination node", false);
  p.Flag("--json", "show, route: machine-readable output");
  p.Flag("--collapse", "dot: draw each server as one node");
  p.Flag("--timing", "print load and analysis times to stderr");
  p.Option("--catalog", "FILE", "extra catalog file with GPU types", true);
  p.Parse(args);
  if (p.help_requested()) {
    std::cout << p.Help();
    return 0;
  }
  const std::string action = *p.Positional(0);
  const std::vector<std::string> actions = {"show", "dot", "route"};
  if (std::find(actions.begin(), actions.end(), action) == actions.end()) {
    throw InputError("unknown topo action '" + action + "' (one of: show, dot, route)",
                     ClosestName(action, actions).value_or(""));
  }
  if (action == "route" && (!p.Positional(2) || !p.Positional(3))) {
    throw InputError("topo route needs FILE SRC DST");
  }
  if (action != "route" && p.Positional(2)) {
    throw InputError("unexpected argument '" + *p.Positional(2) + "' after FILE");
  }
  Catalog catalog = Catalog::LoadShipped(DefaultDataDir());
  for (const auto& f : p.GetAll("--catalog")) catalog.AddFile(f);
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const ClusterGraph g = LoadTopologyFile(*p.Positional(1), CatalogTopologyOptions(catalog));
  const auto t1 = Clock::now();
  auto ms = [](Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); };
  if (p.Has("--timing")) std::fprintf(stderr, "loaded in %.1f ms\n", ms(t1 - t0));
  if (action == "show") {
    const TopologySummary s = Summarize(g);
    if (p.Has("--timing")) std::fprintf(stderr, "summarised in %.1f ms\n", ms(Clock::now() - t1));
    if (p.Has("--json")) {
      PrintJson(s);
    } else {
      PrintText(s);
    }
  } else if (action == "dot") {
    WriteDot(g, std::cout, p.Has("--collapse"));
  } else {
    const NodeId from = g.NodeNamed(*p.Positional(2));
    const NodeId to = g.NodeNamed(*p.Positional(3));
    PrintRoute(g, from, to, p.Has("--json"));
    if (p.Has("--timing")) std::fprintf(stderr, "routed in %.3f ms\n", ms(Clock::now() - t1));
  }
  return 0;
}

}  // namespace fleetsim
