#include "topologies/generators.h"

#include <cmath>
#include <cstdio>

#include "topologies/routing.h"

namespace fleetsim {

namespace {

constexpr double kGB = 1e9;
constexpr double kTB = 1e12;
constexpr double kGbit = 1e9 / 8;

constexpr Duration Ns(int64_t ns) { return Duration::Nanoseconds(ns); }

// ---- Numbers from the world shared by the presets ----
// PCIe per direction, x16: Gen4 ~32 GB/s, Gen5 ~64 GB/s (NVIDIA A100 / H100 / L4 datasheets
// print 64 / 128 GB/s for both directions together; 2020-11 / 2022-03 / 2023-03).
constexpr double kPcie4x16 = 32 * kGB;
constexpr double kPcie5x16 = 64 * kGB;
// PCIe latency per link: ASSUMED 0.25 us. PCIe switch port-to-port latency is ~100-150 ns in
// switch vendors' product briefs (Broadcom PEX88000 class, 2019-2021); the hop to a device or
// the root complex adds more. Unsure; order of magnitude only.
constexpr Duration kPcieLatency = Ns(250);
// NVLink through NVSwitch: NVIDIA publishes no latency. 1 us GPU-to-GPU across the switch,
// 0.5 us per GPU-switch hop, is an ASSUMED order of magnitude (small-message P2P latencies
// measured on DGX systems are a few microseconds including CUDA software). Unsure.
constexpr Duration kNvswitchLatency = Ns(500);
// NVMe access: ASSUMED 100 us (datacenter NAND SSD spec sheets give ~70-100 us random-read
// latency). Unsure.
constexpr Duration kNvmeLatency = Ns(100'000);

LinkParams Pcie(double bw) { return {LinkKind::kPcie, bw, kPcieLatency}; }

void Require(bool ok, const char* param, const std::string& message) {
  if (!ok) throw GeneratorError(param, message);
}

void CheckLink(const LinkParams& l, const char* param) {
  Require(l.bandwidth_bytes_per_s > 0 && l.bandwidth_bytes_per_s <= kMaxLinkBandwidth, param,
          std::string(param) + ": bandwidth must be positive and at most 1 PB/s");
  Require(l.latency >= Duration::Zero() && l.latency <= kMaxLinkLatency, param,
          std::string(param) + ": latency must be between 0 and 1 s");
}

// The largest divisor of n that is <= limit (>= 1; callers ensure limit >= 1).
int64_t LargestDivisorAtMost(int64_t n, int64_t limit) {
  for (int64_t d = std::min(n, limit); d > 1; --d) {
    if (n % d == 0) return d;
  }
  return 1;
}

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

std::string FormatRatio(double o) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g:1", o);
  return buf;
}

}  // namespace

// ---- Server presets ----

ServerParams DgxA100Params() {
  // NVIDIA DGX A100 datasheet (640 GB edition, 2020-11): 8 x A100 80 GB SXM4, 6 NVSwitches,
  // 8 single-port ConnectX-6 200 Gb/s HDR InfiniBand for compute, 2 TB system memory,
  // 30 TB (8 x 3.84 TB) U.2 NVMe. The DGX A100 user guide's block diagram pairs 2 GPUs
  // and 2 compute NICs on each of 4 PCIe Gen4 switches.
  ServerParams p;
  p.gpu_type = "A100-SXM4-80GB";
  p.gpus = 8;
  // NVSwitch: 600 GB/s per GPU both directions = 300 GB/s per direction (A100 datasheet,
  // 2021-06; shared/reference/hardware.md).
  p.nvswitch_link = LinkParams{LinkKind::kNvswitch, 300 * kGB, kNvswitchLatency};
  p.pcie_switches = 4;
  p.pcie_link = Pcie(kPcie4x16);
  p.pcie_uplink = Pcie(kPcie4x16);
  p.nics = 8;
  p.host_memory_bytes = 2 * kTB;
  // NVMe: 8 U.2 PCIe Gen4 x4 drives at ~6-7 GB/s sequential read each (drive vendors' spec
  // sheets, 2020-2021): ~50 GB/s for the array. DERIVED, not a DGX datasheet figure.
  p.nvme_link = LinkParams{LinkKind::kPcie, 50 * kGB, kNvmeLatency};
  p.nvme_capacity_bytes = 30 * kTB;
  return p;
}

ServerParams DgxH100Params() {
  // NVIDIA DGX H100 datasheet (2023-03): 8 x H100 SXM5 80 GB, 4 NVSwitches, 8 x ConnectX-7
  // 400 Gb/s (compute), 2 TB system memory, 30 TB (8 x 3.84 TB) U.2 NVMe, PCIe Gen5.
  // The PCIe layout (GPU-NIC pairs on 4 switches) is ASSUMED to follow DGX A100.
  ServerParams p = DgxA100Params();
  p.gpu_type = "H100-SXM5";
  // NVLink4 through NVSwitch: 900 GB/s per GPU both directions = 450 GB/s per direction
  // (H100 datasheet, 2022-03; shared/reference/hardware.md).
  p.nvswitch_link = LinkParams{LinkKind::kNvswitch, 450 * kGB, kNvswitchLatency};
  p.pcie_link = Pcie(kPcie5x16);
  p.pcie_uplink = Pcie(kPcie5x16);
  return p;
}

ServerParams PcieWorkstationParams() {
  // Two GeForce RTX 3080 Ti (PCIe 4.0 x16 cards, no NVLink connector: NVIDIA product page,
  // 2021-06) in a workstation whose CPU gives each card 16 lanes (HEDT class; mainstream
  // desktop boards split x8/x8, halving the figure). Memory and SSD are ILLUSTRATIVE.
  ServerParams p;
  p.gpu_type = "RTX-3080-Ti";
  p.gpus = 2;
  p.pcie_switches = 0;
  p.pcie_link = Pcie(kPcie4x16);
  p.pcie_uplink = Pcie(kPcie4x16);
  p.nics = 0;
  p.host_memory_bytes = 64 * kGB;
  // A PCIe4 x4 SSD: 7 GB/s rated sequential read (e.g. Samsung 980 PRO spec, 2020-09).
  p.nvme_link = LinkParams{LinkKind::kPcie, 7 * kGB, kNvmeLatency};
  p.nvme_capacity_bytes = 2 * kTB;
  return p;
}

ServerParams PcieServerParams() {
  // 8 x NVIDIA L4 (PCIe Gen4 x16, 64 GB/s both directions: L4 datasheet, 2023-03) as in a
  // Google Cloud g2-standard-96 (8 L4, 384 GB memory, 100 Gb/s networking: GCP "GPU
  // machine types" documentation, G2 series, 2023; recalled, not re-read). The PCIe layout (2
  // switches of 4 GPUs) is ASSUMED: cloud providers do not publish it.
  ServerParams p;
  p.gpu_type = "L4";
  p.gpus = 8;
  p.pcie_switches = 2;
  p.pcie_link = Pcie(kPcie4x16);
  p.pcie_uplink = Pcie(kPcie4x16);
  p.nics = 1;
  p.host_memory_bytes = 384 * kGB;
  return p;
}

ServerParams CloudInstanceParams() {
  // AWS p4d.24xlarge (AWS Compute Blog "Amazon EC2 P4d instances deep dive", 2020-11; EC2
  // P4 instance page): 8 x A100 40 GB, NVSwitch 600 GB/s (300 GB/s per direction),
  // 400 Gb/s EFA networking (4 x 100 Gb/s), 1,152 GiB memory, 8 x 1 TB NVMe. The internal
  // PCIe layout is ASSUMED DGX-like (4 switches, each with 2 GPUs and 1 NIC).
  ServerParams p = DgxA100Params();
  p.gpu_type = "A100-SXM4-40GB";
  p.nics = 4;
  p.host_memory_bytes = 1152.0 * 1024 * 1024 * 1024;
  // NVMe: ~16 GB/s read as a RAID 0 of the 8 drives (2.7 GB/s each; the same blog).
  p.nvme_link = LinkParams{LinkKind::kPcie, 16 * kGB, kNvmeLatency};
  p.nvme_capacity_bytes = 8 * kTB;
  return p;
}

ServerTemplate MakeServer(const std::string& template_name, const ServerParams& p) {
  Require(!p.gpu_type.empty(), "gpu_type", "gpu_type is required (a catalog device name)");
  Require(p.gpus >= 1 && p.gpus <= 4096, "gpus", "gpus must be between 1 and 4,096");
  Require(p.pcie_switches >= 0 && p.pcie_switches <= 1024, "pcie_switches",
          "pcie_switches must be between 0 and 1,024");
  Require(p.nics >= 0 && p.nics <= 1024, "nics", "nics must be between 0 and 1,024");
  Require(p.host_memory_bytes >= 0, "host_memory", "host_memory must not be negative");
  Require(p.nvme_capacity_bytes >= 0, "nvme_capacity", "nvme_capacity must not be negative");
  if (p.nvswitch_link) CheckLink(*p.nvswitch_link, "nvswitch_link");
  CheckLink(p.pcie_link, "pcie_link");
  if (p.pcie_switches > 0) CheckLink(p.pcie_uplink, "pcie_uplink");
  if (p.nvme_link) CheckLink(*p.nvme_link, "nvme_link");

  ServerTemplate t;
  t.name = template_name;
  auto add = [&](std::string name, NodeKind kind) {
    NodeSpec n;
    n.name = std::move(name);
    n.kind = kind;
    t.nodes.push_back(std::move(n));
    return static_cast<uint32_t>(t.nodes.size() - 1);
  };
  auto cable = [&](uint32_t a, uint32_t b, const LinkParams& l, LinkKind kind) {
    t.cables.push_back({a, b, kind, l.bandwidth_bytes_per_s, l.latency, true});
  };
  std::vector<uint32_t> gpu(p.gpus), pcie(p.pcie_switches), nic(p.nics);
  for (int i = 0; i < p.gpus; ++i) {
    gpu[i] = add("gpu" + std::to_string(i), NodeKind::kGpu);
    t.nodes[gpu[i]].gpu_type = p.gpu_type;
  }
  std::optional<uint32_t> nvswitch;
  if (p.nvswitch_link) nvswitch = add("nvswitch", NodeKind::kNvSwitch);
  for (int i = 0; i < p.pcie_switches; ++i)
    pcie[i] = add("pcie" + std::to_string(i), NodeKind::kPcieSwitch);
  for (int i = 0; i < p.nics; ++i) nic[i] = add("nic" + std::to_string(i), NodeKind::kNic);
  const uint32_t cpu = add("cpu", NodeKind::kHost);
  t.nodes[cpu].memory_bytes = p.host_memory_bytes;
  std::optional<uint32_t> nvme;
  if (p.nvme_link) {
    nvme = add("nvme", NodeKind::kNvme);
    t.nodes[*nvme].memory_bytes = p.nvme_capacity_bytes;
  }
  auto pcie_parent = [&](int i, int n) {
    return p.pcie_switches == 0 ? cpu : pcie[static_cast<int64_t>(i) * p.pcie_switches / n];
  };
  if (nvswitch) {
    for (int i = 0; i < p.gpus; ++i)
      cable(gpu[i], *nvswitch, *p.nvswitch_link, LinkKind::kNvswitch);
  }
  for (int i = 0; i < p.gpus; ++i)
    cable(gpu[i], pcie_parent(i, p.gpus), p.pcie_link, LinkKind::kPcie);
  for (int i = 0; i < p.nics; ++i)
    cable(nic[i], pcie_parent(i, p.nics), p.pcie_link, LinkKind::kPcie);
  for (int i = 0; i < p.pcie_switches; ++i) cable(pcie[i], cpu, p.pcie_uplink, LinkKind::kPcie);
  if (nvme) cable(*nvme, cpu, *p.nvme_link, p.nvme_link->kind);
  return t;
}

// ---- Fabrics ----

std::string ExpandIndex(const std::string& pattern, int64_t i) {
  std::string out = pattern;
  const std::string index = std::to_string(i);
  for (size_t at = out.find("{i}"); at != std::string::npos;
       at = out.find("{i}", at + index.size())) {
    out.replace(at, 3, index);
  }
  return out;
}

FabricLayout PlanFabric(const ServerTemplate& t, const FabricParams& p) {
  FabricLayout f;
  const int64_t ports = static_cast<int64_t>(t.Ports().size());
  Require(ports >= 1, "template",
          "server template '" + t.name + "' has no nic node to attach to the fabric");
  Require(p.servers >= 1 && p.servers <= 10'000'000, "servers",
          "servers must be between 1 and 10,000,000");
  const std::string pattern = p.server_name.empty() ? "node{i}" : p.server_name;
  Require(p.servers == 1 || pattern.find("{i}") != std::string::npos, "server_name",
          "server_name '" + pattern + "' must contain {i} to name " + std::to_string(p.servers) +
              " servers apart");
  CheckLink(p.host_link, "host_link");
  f.endpoints = p.servers * ports;
  f.host_cables = f.endpoints;
  if (p.shape == FabricShape::kSingleSwitch) {
    f.levels = 1;
    f.leaves = 1;
    f.leaf_down = f.endpoints;
    return f;
  }
  CheckLink(p.switch_link, "switch_link");
  const int64_t k = p.radix;
  Require(k >= 4 && k <= 1024 && k % 2 == 0, "radix",
          "radix must be an even number of ports between 4 and 1,024");
  const double o = p.oversubscription;
  Require(o >= 1 && std::isfinite(o), "oversubscription",
          "oversubscription (leaf down:up ports) must be at least 1");
  const double down = static_cast<double>(k) * o / (1 + o);
  f.leaf_down = std::llround(down);
  f.leaf_up = k - f.leaf_down;
  Require(std::fabs(down - static_cast<double>(f.leaf_down)) < 1e-9 && f.leaf_up >= 1,
          "oversubscription",
          "oversubscription " + FormatRatio(o) + " does not split a radix-" + std::to_string(k) +
              " leaf into whole down and up ports (down = radix * o / (1 + o))");
  if (p.shape == FabricShape::kRailOptimized) {
    // A scalable unit is leaf_down servers; NIC j of every server in it goes to leaf j.
    f.leaves = CeilDiv(p.servers, f.leaf_down) * ports;
  } else {
    f.leaves = CeilDiv(f.endpoints, f.leaf_down);
  }
  const int64_t pod_leaves = k / 2;
  int levels = p.levels;
  Require(levels >= 0 && levels <= 3, "levels", "levels must be 1, 2 or 3 (or 0: automatic)");
  if (levels == 0) levels = f.leaves == 1 ? 1 : (f.leaves <= k ? 2 : 3);
  f.levels = levels;
  if (levels == 1) {
    Require(f.leaves == 1, "levels",
            "levels: 1 is a single leaf switch of " + std::to_string(f.leaf_down) +
                " server ports, but the servers need " + std::to_string(f.leaves) + " leaves");
    return f;
  }
  if (levels == 2) {
    Require(f.leaves <= k, "servers",
            "a 2-level fat tree of radix " + std::to_string(k) + " holds at most " +
                std::to_string(k) + " leaves; these servers need " + std::to_string(f.leaves) +
                " (use levels: 3, a larger radix or fewer servers)");
    // Each leaf spreads its up ports over the spines; spines are as few as their ports allow.
    f.leaf_spine_parallel = LargestDivisorAtMost(f.leaf_up, k / f.leaves);
    f.spines = f.leaf_up / f.leaf_spine_parallel;
    f.leaf_spine_cables = f.leaves * f.leaf_up;
    return f;
  }
  f.pods = CeilDiv(f.leaves, pod_leaves);
  Require(f.pods <= k, "servers",
          "a 3-level fat tree of radix " + std::to_string(k) + " holds at most " +
              std::to_string(k) + " pods of " + std::to_string(pod_leaves) + " leaves (" +
              std::to_string(k * pod_leaves) + " leaves); these servers need " +
              std::to_string(f.leaves) + " leaves");
  // Per pod: one spine per leaf up port, each spine has radix/2 ports down (one per leaf of
  // its pod) and radix/2 up. Spine j of every pod goes to core group j; a group has as few
  // cores as their ports allow, each reached by spine_core_parallel cables per spine.
  f.leaf_spine_parallel = 1;
  f.spines = f.pods * f.leaf_up;
  f.spine_core_parallel = LargestDivisorAtMost(k / 2, k / f.pods);
  f.cores = f.leaf_up * (k / 2) / f.spine_core_parallel;
  f.leaf_spine_cables = f.leaves * f.leaf_up;
  f.spine_core_cables = f.spines * (k / 2);
  return f;
}

FabricLayout AddFabric(ClusterGraphBuilder& b, const ServerTemplate& t, const FabricParams& p) {
  const FabricLayout f = PlanFabric(t, p);
  const std::vector<uint32_t> ports = t.Ports();
  const int64_t nports = static_cast<int64_t>(ports.size());
  const std::string pattern = p.server_name.empty() ? "node{i}" : p.server_name;
  std::vector<NodeId> first(p.servers);
  for (int64_t s = 0; s < p.servers; ++s) {
    const int32_t index = b.AddServer(t, ExpandIndex(pattern, s));
    first[s] = b.servers()[index].first_node;
  }
  auto add_switch = [&](const std::string& name, uint8_t level) {
    NodeSpec n;
    n.name = name;
    n.kind = NodeKind::kSwitch;
    n.level = level;
    return b.AddNode(std::move(n));
  };
  auto cable = [&](NodeId a, NodeId c, const LinkParams& l) {
    b.AddCable(CableSpec{a, c, l.kind, l.bandwidth_bytes_per_s, l.latency, true});
  };
  if (p.shape == FabricShape::kSingleSwitch) {
    const NodeId sw = add_switch("network", 0);  // not a tree level
    for (int64_t s = 0; s < p.servers; ++s) {
      for (uint32_t port : ports) cable(first[s] + port, sw, p.host_link);
    }
    return f;
  }
  std::vector<NodeId> leaf(f.leaves), spine(f.spines), core(f.cores);
  for (int64_t i = 0; i < f.leaves; ++i) leaf[i] = add_switch("leaf" + std::to_string(i), 1);
  for (int64_t i = 0; i < f.spines; ++i) spine[i] = add_switch("spine" + std::to_string(i), 2);
  for (int64_t i = 0; i < f.cores; ++i) core[i] = add_switch("core" + std::to_string(i), 3);
  for (int64_t s = 0; s < p.servers; ++s) {
    for (int64_t j = 0; j < nports; ++j) {
      const int64_t l = p.shape == FabricShape::kRailOptimized ? (s / f.leaf_down) * nports + j
                                                               : (s * nports + j) / f.leaf_down;
      cable(first[s] + ports[j], leaf[l], p.host_link);
    }
  }
  if (f.levels == 2) {
    for (int64_t l = 0; l < f.leaves; ++l) {
      for (int64_t j = 0; j < f.spines; ++j) {
        for (int64_t c = 0; c < f.leaf_spine_parallel; ++c) cable(leaf[l], spine[j], p.switch_link);
      }
    }
  } else if (f.levels == 3) {
    const int64_t pod_leaves = p.radix / 2;
    const int64_t cores_per_group = f.cores / f.leaf_up;
    for (int64_t l = 0; l < f.leaves; ++l) {
      const int64_t pod = l / pod_leaves;
      for (int64_t j = 0; j < f.leaf_up; ++j)
        cable(leaf[l], spine[pod * f.leaf_up + j], p.switch_link);
    }
    for (int64_t sp = 0; sp < f.spines; ++sp) {
      const int64_t group = sp % f.leaf_up;
      for (int64_t c = 0; c < cores_per_group; ++c) {
        for (int64_t k = 0; k < f.spine_core_parallel; ++k) {
          cable(spine[sp], core[group * cores_per_group + c], p.switch_link);
        }
      }
    }
  }
  return f;
}

// ---- Registries ----

const Registry<ServerGenerator>& ServerGenerators() {
  static const Registry<ServerGenerator> r = [] {
    Registry<ServerGenerator> reg("server generator");
    const std::string common =
        "gpu_type, gpus, nvswitch_link {bandwidth, latency} or none, pcie_switches, "
        "pcie_link, pcie_uplink, nics, host_memory, nvme_link or none, nvme_capacity";
    reg.Add({"dgx_a100",
             "NVIDIA DGX A100: 8 x A100-SXM4-80GB on NVSwitch, 8 x HDR NICs",
             common,
             {DgxA100Params}});
    reg.Add({"dgx_h100",
             "NVIDIA DGX H100: 8 x H100-SXM5 on NVSwitch, 8 x NDR NICs",
             common,
             {DgxH100Params}});
    reg.Add({"pcie_workstation",
             "2 x RTX-3080-Ti on the CPU's PCIe lanes, no NVLink",
             common,
             {PcieWorkstationParams}});
    reg.Add({"pcie_server",
             "8 x L4 behind 2 PCIe switches, 1 NIC (an inference server)",
             common,
             {PcieServerParams}});
    reg.Add({"cloud_instance",
             "AWS p4d.24xlarge-like: 8 x A100-40GB on NVSwitch, 4 x 100 Gb/s",
             common,
             {CloudInstanceParams}});
    return reg;
  }();
  return r;
}

const Registry<FabricGenerator>& FabricGenerators() {
  static const Registry<FabricGenerator> r = [] {
    Registry<FabricGenerator> reg("fabric generator");
    const std::string tree =
        "template, servers, server_name, radix, oversubscription, levels, host_link, "
        "switch_link";
    reg.Add({"fat_tree",
             "a k-ary fat tree (1-3 levels, leaf oversubscription); NICs fill "
             "leaves in server order",
             tree,
             {FabricShape::kFatTree}});
    reg.Add({"rail_optimized",
             "a fat tree whose leaves are rails: NIC j of each server in a scalable unit goes "
             "to leaf j",
             tree,
             {FabricShape::kRailOptimized}});
    reg.Add({"cloud_cluster",
             "instances on one non-blocking switch standing for a provider's network",
             "template, servers, server_name, host_link",
             {FabricShape::kSingleSwitch}});
    return reg;
  }();
  return r;
}

ClusterGraph MakeCluster(const std::string& name, const ServerTemplate& t, const FabricParams& p,
                         RouteMetric metric) {
  ClusterGraphBuilder b(name);
  b.set_metric(metric);
  AddFabric(b, t, p);
  ClusterGraph g = b.Build();
  CheckGpusReachable(g);
  return g;
}

}  // namespace fleetsim
