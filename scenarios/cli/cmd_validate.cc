// `fleetsim validate FILE.yaml`: loads a file the way a run would and reports the first
// problem with its position, or what the file holds.
#include <algorithm>
#include <iostream>

#include "models/catalog/catalog.h"
#include "models/pricing/price_catalog.h"
#include "scenarios/cli/args.h"
#include "scenarios/cli/commands.h"
#include "scenarios/cli/topology_options.h"
#include "sim/config/config.h"
#include "sim/suggest.h"

namespace fleetsim {

int RunValidate(const std::vector<std::string>& args) {
  ArgParser p("validate",
              "Check a fleetsim YAML file (a catalog file with devices/models, a price file, a\n"
              "topology) without running anything; prints the first problem with\n"
              "file:line:col, or a summary.");
  p.Positional("FILE", "the YAML file to check");
  p.Parse(args);
  if (p.help_requested()) {
    std::cout << p.Help();
    return 0;
  }
  const std::string path = *p.Positional(0);
  auto doc = ConfigDocument::LoadFile(path);
  const ConfigNode root = doc->Root();
  if (!root.IsMap()) root.Fail("expected a map at the top level of a fleetsim file");
  if (root.Has("devices") || root.Has("models")) {
    Catalog c;
    c.AddFile(path);
    std::cout << path << ": ok: catalog file with " << c.devices().size() << " devices and "
              << c.models().size() << " models\n";
    return 0;
  }
  if (root.Has("cloud_offers") || root.Has("owned_offers") || root.Has("sites") ||
      root.Has("price_defaults")) {
    // A price file is read on top of the shipped prices, as a run reads it: it may use the
    // shipped sites and defaults. Every offer is resolved so that defaults that make an
    // entry inconsistent are reported too.
    const Catalog hardware = Catalog::LoadShipped(DefaultDataDir());
    PriceCatalog prices = PriceCatalog::LoadShipped(DefaultDataDir(), hardware);
    prices.AddFile(path);
    for (const auto& o : prices.cloud_offers()) prices.Resolve(o);
    for (const auto& o : prices.owned_offers()) prices.Resolve(o);
    auto count = [&](const char* key) {
      auto n = root.Find(key);
      return n && n->IsSequence() ? n->size() : size_t{0};
    };
    std::cout << path << ": ok: price file with " << count("cloud_offers") << " cloud offers, "
              << count("owned_offers") << " owned offers and " << count("sites") << " sites\n";
    return 0;
  }
  if (IsTopologyDocument(root)) {
    const Catalog catalog = Catalog::LoadShipped(DefaultDataDir());
    const ClusterGraph g = LoadTopologyFile(path, CatalogTopologyOptions(catalog));
    std::cout << path << ": ok: topology '" << g.name() << "' with " << g.node_count() << " nodes, "
              << g.cable_count() << " cables and " << g.gpus().size() << " GPUs\n";
    return 0;
  }
  const std::vector<std::string> known = {"sources",        "devices",      "models",
                                          "cloud_offers",   "owned_offers", "sites",
                                          "price_defaults", "topology"};
  for (const auto& key : root.Keys()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      root.FailAtKey(key, "unknown top-level key '" + key + "'",
                     ClosestName(key, known).value_or(""));
    }
  }
  root.Fail(
      "cannot tell what kind of fleetsim file this is: expected top-level 'devices' or "
      "'models' (a catalog), or 'cloud_offers', 'owned_offers', 'sites' or "
      "'price_defaults' (prices), or 'topology'");
}

}  // namespace fleetsim
