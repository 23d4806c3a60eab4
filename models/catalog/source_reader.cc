#include "models/catalog/source_reader.h"

#include <cctype>
#include <vector>

#include "sim/config/config.h"
#include "sim/suggest.h"

namespace fleetsim {

bool IsSourceDate(const std::string& d) {
  auto digits = [&](size_t from, size_t n) {
    if (d.size() < from + n) return false;
    for (size_t i = from; i < from + n; ++i) {
      if (!std::isdigit(static_cast<unsigned char>(d[i]))) return false;
    }
    return true;
  };
  if (d.size() == 4) return digits(0, 4);
  if (d.size() == 7) return digits(0, 4) && d[4] == '-' && digits(5, 2);
  if (d.size() == 10) {
    return digits(0, 4) && d[4] == '-' && digits(5, 2) && d[7] == '-' && digits(8, 2);
  }
  return false;
}

SourceMap ReadSources(const ConfigNode& root) {
  SourceMap sources;
  auto node = root.Find("sources");
  if (!node || node->IsNull()) return sources;
  if (!node->IsMap()) node->Fail("expected a map of source ids");
  for (const auto& id : node->Keys()) {
    MapReader r(node->Get(id));
    SourceRef s;
    s.id = id;
    s.title = r.Required("title").AsString();
    if (auto p = r.Optional("publisher")) s.publisher = p->AsString();
    if (auto u = r.Optional("url")) s.url = u->AsString();
    auto date = r.Required("date");
    s.date = date.AsString();
    if (!IsSourceDate(s.date)) {
      date.Fail("date '" + s.date + "' must be YYYY, YYYY-MM or YYYY-MM-DD");
    }
    r.Ignore("note");
    r.Finish();
    sources[id] = s;
  }
  return sources;
}

SourceRef LookupSource(const SourceMap& sources, const ConfigNode& node) {
  const std::string id = node.AsString();
  auto it = sources.find(id);
  if (it == sources.end()) {
    std::vector<std::string> ids;
    for (const auto& [k, v] : sources) ids.push_back(k);
    node.Fail("unknown source '" + id + "' (not in this file's sources:)",
              ClosestName(id, ids).value_or(""));
  }
  return it->second;
}

void CheckEntryName(const ConfigNode& node, const std::string& name) {
  if (name.empty()) node.Fail("name must not be empty");
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-')) {
      node.Fail("name '" + name + "' may contain only letters, digits, '.', '_' and '-'");
    }
  }
}

}  // namespace fleetsim
