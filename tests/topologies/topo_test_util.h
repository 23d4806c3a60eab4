// Small fixtures for the topology tests: a tiny server template, link parameters, and the
// shipped files loaded with the shipped catalog.
#pragma once

#include <string>

#include "models/catalog/catalog.h"
#include "scenarios/cli/topology_options.h"
#include "topologies/generators.h"
#include "topologies/topology_loader.h"

namespace fleetsim::testing {

inline LinkParams Link(LinkKind kind, double gbytes_per_s, int64_t latency_ns) {
  return LinkParams{kind, gbytes_per_s * 1e9, Duration::Nanoseconds(latency_ns)};
}

// A server of `gpus` GPUs and `nics` NICs, all on the host's PCIe lanes (no PCIe switch,
// no NVSwitch, no NVMe): nodes gpu<i>, nic<j>, cpu. Links: 32 GB/s, 250 ns.
inline ServerTemplate Box(int gpus = 1, int nics = 1, const std::string& name = "box") {
  ServerParams p;
  p.gpu_type = "TestGPU";
  p.gpus = gpus;
  p.nics = nics;
  p.pcie_link = Link(LinkKind::kPcie, 32, 250);
  return MakeServer(name, p);
}

// A fat tree of Box servers: NIC links 12.5 GB/s (100 Gb/s) 500 ns, switch links 12.5 GB/s
// 200 ns.
inline FabricParams Tree(FabricShape shape, int64_t servers, int radix, double oversub = 1,
                         int levels = 0) {
  FabricParams f;
  f.shape = shape;
  f.servers = servers;
  f.radix = radix;
  f.oversubscription = oversub;
  f.levels = levels;
  f.host_link = Link(LinkKind::kInfiniband, 12.5, 500);
  f.switch_link = Link(LinkKind::kInfiniband, 12.5, 200);
  return f;
}

inline const Catalog& ShippedCatalog() {
  static const Catalog c = Catalog::LoadShipped(FLEETSIM_SOURCE_DIR);
  return c;
}

inline ClusterGraph LoadShipped(const std::string& file) {
  return LoadTopologyFile(std::string(FLEETSIM_SOURCE_DIR) + "/topologies/" + file,
                          CatalogTopologyOptions(ShippedCatalog()));
}

}  // namespace fleetsim::testing
