// Reading the provenance of data files: the `sources:` map every catalog, price and other
// data file starts with, references to it, and entry names (their rules, and lookup and
// override by name). Shared by the hardware catalog
// (catalog.cc) and the price catalog (models/pricing/price_catalog.cc), so that every data
// file follows one set of rules and one set of messages.
#pragma once

#include <cctype>
#include <map>
#include <string>
#include <vector>

#include "models/catalog/source.h"

namespace fleetsim {

class ConfigNode;

using SourceMap = std::map<std::string, SourceRef>;

// YYYY, YYYY-MM or YYYY-MM-DD: data is dated as precisely as its record allows.
bool IsSourceDate(const std::string& date);

// The file's top-level `sources:` map: id -> {title, publisher?, url?, date, note?}.
// Throws ConfigError (unknown keys, a missing title or date, a malformed date).
SourceMap ReadSources(const ConfigNode& root);

// The source a value names; an unknown id fails at `node`, suggesting the closest id.
SourceRef LookupSource(const SourceMap& sources, const ConfigNode& node);

// Entry names: non-empty, letters, digits, '.', '_' and '-' only.
void CheckEntryName(const ConfigNode& node, const std::string& name);

// Entry names compare case-insensitively in every data file.
inline std::string LowerName(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Adds `item` to `list`, replacing an entry of the same name (a user file overrides a shipped
// entry). T has a `name` member.
template <class T>
void UpsertByName(std::vector<T>& list, T item) {
  const std::string key = LowerName(item.name);
  for (auto& existing : list) {
    if (LowerName(existing.name) == key) {
      existing = std::move(item);
      return;
    }
  }
  list.push_back(std::move(item));
}

// The entry named `name` (case-insensitive), or nullptr.
template <class T>
const T* FindEntryByName(const std::vector<T>& list, const std::string& name) {
  const std::string key = LowerName(name);
  for (const auto& e : list) {
    if (LowerName(e.name) == key) return &e;
  }
  return nullptr;
}

}  // namespace fleetsim
