// How the CLI loads topology files: GPU types are checked against the hardware catalog
// (topologies/ cannot see models/, so the catalog is passed in as a callback).
#pragma once

#include "models/catalog/catalog.h"
#include "topologies/topology_loader.h"

namespace fleetsim {

// Options that accept the catalog's accelerators (any kind but CPU) by name or alias,
// case-insensitively, and store their canonical names. `catalog` must outlive the options.
TopologyLoadOptions CatalogTopologyOptions(const Catalog& catalog);

}  // namespace fleetsim
