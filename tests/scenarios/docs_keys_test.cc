// The YAML reference cannot drift from what ships: every key used by a shipped scenario or
// study, or by the test scenarios of pools and fleets, must be documented in docs/ (as
// `key`, `parent.key` or `key:` in a table or example). Unknown keys are already errors in
// the loaders, so a key used here is a key the code reads.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "sim/config/config.h"

namespace fleetsim {
namespace {

namespace fs = std::filesystem;

std::string AllDocs() {
  std::string all;
  for (const auto& e : fs::directory_iterator(std::string(FLEETSIM_SOURCE_DIR) + "/docs")) {
    if (e.path().extension() != ".md") continue;
    std::ifstream in(e.path());
    std::stringstream ss;
    ss << in.rdbuf();
    all += ss.str();
  }
  return all;
}

// (parent key, key) pairs of every map in the tree; list items keep their list's key.
void Collect(const ConfigNode& n, const std::string& parent,
             std::set<std::pair<std::string, std::string>>& keys) {
  if (n.IsMap()) {
    for (const auto& k : n.Keys()) {
      // The keys of `sources` are the ids a file chooses for its references, not keys.
      if (parent != "sources") keys.emplace(parent, k);
      Collect(n.Get(k), k, keys);
    }
  } else if (n.IsSequence()) {
    for (const auto& item : n.Items()) Collect(item, parent, keys);
  }
}

bool Documented(const std::string& docs, const std::string& parent, const std::string& key) {
  for (const std::string& form :
       {"`" + key + "`", "`" + parent + "." + key + "`", "." + key + "`", " " + key + ":",
        "{" + key + ":", "`" + key + ":", "`" + parent + "." + key, "`" + key + ".",
        "`" + key + "[]", "{" + key + ",", ", " + key + "}", ", " + key + ","}) {
    if (docs.find(form) != std::string::npos) return true;
  }
  return false;
}

TEST(DocsKeysTest, EveryKeyOfTheShippedScenariosIsDocumented) {
  const std::string docs = AllDocs();
  const std::string root = FLEETSIM_SOURCE_DIR;
  int files = 0;
  for (const char* dir : {"/scenarios", "/scenarios/studies", "/tests/data/fleet"}) {
    if (!fs::exists(root + dir)) continue;
    for (const auto& e : fs::directory_iterator(root + dir)) {
      if (e.path().extension() != ".yaml") continue;
      std::set<std::pair<std::string, std::string>> keys;
      Collect(ConfigDocument::LoadFile(e.path().string())->Root(), "", keys);
      for (const auto& [parent, key] : keys) {
        EXPECT_TRUE(Documented(docs, parent, key))
            << e.path().string() << ": key '" << key << "' (under '" << parent
            << "') appears in no docs/*.md";
      }
      ++files;
    }
  }
  EXPECT_GE(files, 10);
}

}  // namespace
}  // namespace fleetsim
