// Reading the provenance of data files: the `sources:` map every catalog, price and other
// data file starts with, references to it, and entry names. Shared by the hardware catalog
// (catalog.cc) and the price catalog (models/pricing/price_catalog.cc), so that every data
// file follows one set of rules and one set of messages.
#pragma once

#include <map>
#include <string>

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

}  // namespace fleetsim
