// Cluster shapes made from a few parameters, for YAML `generator:` entries and for C++
// (tests, benchmarks, models that want a cluster without a file).
//
// Servers: ServerParams describes one server (GPUs, NVSwitch, PCIe switches, NICs, host,
// NVMe) and MakeServer turns it into a ServerTemplate. Presets fill it in for known machines
// (dgx_a100, dgx_h100, pcie_workstation, pcie_server, cloud_instance) with numbers whose
// sources are next to them in generators.cc; the shipped YAML files restate the numbers
// they use, with the same sources.
//
// Fabrics: AddFabric instantiates N servers of a template and wires their NICs into a
// fat tree (plain or rail-optimized, with leaf oversubscription; 1 to 3 switch levels) or
// into one switch standing for a provider's network (cloud_cluster). PlanFabric computes
// the same layout without building it; docs/topologies.md derives the counts.
//
// Parameter errors throw GeneratorError naming the parameter (the YAML key), so the loader
// can point at it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "sim/config/config_error.h"
#include "sim/registry.h"
#include "topologies/cluster_graph.h"

namespace fleetsim {

class GeneratorError : public InputError {
 public:
  GeneratorError(std::string param, std::string message)
      : InputError(std::move(message)), param_(std::move(param)) {}
  const std::string& param() const { return param_; }  // the YAML key at fault

 private:
  std::string param_;
};

struct LinkParams {
  LinkKind kind = LinkKind::kPcie;
  double bandwidth_bytes_per_s = 0;  // per direction
  Duration latency;
};

struct ServerParams {
  std::string gpu_type;                     // catalog device name; required
  int gpus = 8;                             // 1..4096
  std::optional<LinkParams> nvswitch_link;  // GPU <-> the server's NVSwitch; none: no NVSwitch
  int pcie_switches = 0;                    // 0: GPUs and NICs attach to the host directly
  LinkParams pcie_link;                     // GPU or NIC <-> its PCIe switch (or the host)
  LinkParams pcie_uplink;                   // PCIe switch <-> host
  int nics = 0;                             // 0..1024; the server's ports into a fabric
  double host_memory_bytes = 0;             // 0 = not stated
  std::optional<LinkParams> nvme_link;      // NVMe <-> host; none: no NVMe node
  double nvme_capacity_bytes = 0;
};

// Presets (sources in generators.cc).
ServerParams DgxA100Params();          // 8 x A100-SXM4-80GB, NVSwitch, 8 x HDR NICs
ServerParams DgxH100Params();          // 8 x H100-SXM5, NVSwitch, 8 x NDR NICs
ServerParams PcieWorkstationParams();  // 2 x RTX-3080-Ti on the CPU's PCIe lanes, no NVLink
ServerParams PcieServerParams();       // 8 x L4 behind 2 PCIe switches, 1 NIC
ServerParams CloudInstanceParams();    // AWS p4d.24xlarge-like: 8 x A100-40GB, 4 x 100 Gb/s

// Local node names: gpu<i>, nvswitch, pcie<i>, nic<i>, cpu, nvme. GPU i sits on PCIe switch
// i * pcie_switches / gpus, NIC j on switch j * pcie_switches / nics (so a DGX pairs GPUs
// 2s, 2s+1 with NICs 2s, 2s+1).
ServerTemplate MakeServer(const std::string& template_name, const ServerParams& p);

enum class FabricShape { kFatTree, kRailOptimized, kSingleSwitch };

struct FabricParams {
  FabricShape shape = FabricShape::kFatTree;
  int64_t servers = 1;          // how many servers of the template, >= 1
  std::string server_name;      // pattern with {i} (0-based); empty: "node{i}"
  int radix = 64;               // ports per switch (fat trees): even, 4..1024
  double oversubscription = 1;  // leaf down:up port ratio (fat trees), >= 1
  int levels = 0;               // 1, 2 or 3 switch levels; 0: the fewest that fit
  LinkParams host_link;         // NIC <-> leaf (or the single switch)
  LinkParams switch_link;       // switch <-> switch
};

// The derived shape of a fabric (docs/topologies.md has the formulas).
struct FabricLayout {
  int levels = 0;
  int64_t endpoints = 0;  // NIC ports attached
  int64_t leaf_down = 0;  // ports per leaf towards servers
  int64_t leaf_up = 0;    // ports per leaf towards spines
  int64_t leaves = 0;
  int64_t pods = 0;  // 3 levels: groups of radix/2 leaves sharing spines
  int64_t spines = 0;
  int64_t cores = 0;
  int64_t leaf_spine_parallel = 0;  // cables between a leaf and each of its spines
  int64_t spine_core_parallel = 0;  // cables between a spine and each of its cores
  int64_t host_cables = 0;
  int64_t leaf_spine_cables = 0;
  int64_t spine_core_cables = 0;
  int64_t switches() const { return leaves + spines + cores; }
  int64_t cables() const { return host_cables + leaf_spine_cables + spine_core_cables; }
};

FabricLayout PlanFabric(const ServerTemplate& t, const FabricParams& p);
// Adds the servers (named by p.server_name) and the switches: leaf<i>, spine<i>, core<i>
// (fat trees; level 1, 2, 3) or "network" (single switch, level 0).
FabricLayout AddFabric(ClusterGraphBuilder& b, const ServerTemplate& t, const FabricParams& p);

// "{i}" in `pattern` replaced by `i`; the pattern unchanged if it has none.
std::string ExpandIndex(const std::string& pattern, int64_t i);

// The named generators, for YAML and `did you mean`.
struct ServerGenerator {
  ServerParams (*defaults)();
};
const Registry<ServerGenerator>& ServerGenerators();
struct FabricGenerator {
  FabricShape shape;
};
const Registry<FabricGenerator>& FabricGenerators();

// Convenience for C++: a whole cluster of `p.servers` servers of `t` on a fabric, checked
// (every GPU reaches every other) and frozen.
ClusterGraph MakeCluster(const std::string& name, const ServerTemplate& t, const FabricParams& p,
                         RouteMetric metric = RouteMetric::kLatency);

}  // namespace fleetsim
