// `fleetsim validate FILE.yaml`: loads a file the way a run would and reports the first
// problem with its position, or what the file holds.
#include <algorithm>
#include <iostream>

#include "models/catalog/catalog.h"
#include "scenarios/cli/args.h"
#include "scenarios/cli/commands.h"
#include "sim/config/config.h"
#include "sim/suggest.h"

namespace fleetsim {

int RunValidate(const std::vector<std::string>& args) {
  ArgParser p("validate",
              "Check a fleetsim YAML file (a catalog file with devices/models) without running\n"
              "anything; prints the first problem with file:line:col, or a summary.");
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
  const std::vector<std::string> known = {"sources", "devices", "models"};
  for (const auto& key : root.Keys()) {
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      root.FailAtKey(key, "unknown top-level key '" + key + "'",
                     ClosestName(key, known).value_or(""));
    }
  }
  root.Fail("cannot tell what kind of fleetsim file this is: expected top-level 'devices' or "
            "'models'");
}

}  // namespace fleetsim
