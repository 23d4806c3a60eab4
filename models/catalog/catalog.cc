#include "models/catalog/catalog.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <set>

#include "models/catalog/source_reader.h"
#include "sim/config/config.h"
#include "sim/suggest.h"

#ifndef FLEETSIM_SOURCE_DATA_DIR
#define FLEETSIM_SOURCE_DATA_DIR "."
#endif

namespace fleetsim {

namespace {

// A quantity written either as "312 TFLOPS" or as {value: "...", source: id, note: "..."}.
SourcedValue ReadSourced(const ConfigNode& node, const Dimension& d, const SourceRef& fallback,
                         const SourceMap& sources) {
  if (node.IsMap()) {
    MapReader r(node);
    SourcedValue v;
    v.value = r.Required("value").AsQuantity(d);
    v.source = fallback;
    if (auto s = r.Optional("source")) v.source = LookupSource(sources, *s);
    if (auto n = r.Optional("note")) v.source.note = n->AsString();
    r.Finish();
    return v;
  }
  return SourcedValue{node.AsQuantity(d), fallback};
}

SourcedValue ReadPositive(const ConfigNode& node, const Dimension& d, const SourceRef& fallback,
                          const SourceMap& sources) {
  SourcedValue v = ReadSourced(node, d, fallback, sources);
  if (!(v.value > 0)) node.Fail("must be greater than zero");
  return v;
}

std::vector<std::string> ReadAliases(std::optional<ConfigNode> node) {
  std::vector<std::string> out;
  if (!node) return out;
  for (const auto& item : node->Items()) out.push_back(item.AsString());
  return out;
}

LinkSpec ReadLink(const ConfigNode& node, const SourceRef& fallback, const SourceMap& sources) {
  MapReader r(node);
  LinkSpec l;
  l.kind = r.Required("kind").AsString();
  l.bandwidth_bytes_per_s =
      ReadPositive(r.Required("bandwidth"), dim::kBytesPerSecond, fallback, sources);
  r.Finish();
  return l;
}

int64_t ReadPositiveInt(const ConfigNode& node, const SourceMap& sources);
ConfigNode UnwrapSourced(const ConfigNode& node, const SourceMap& sources);

// A fraction in (0, 1], written 0.86 or "86 %".
double ReadFraction(const ConfigNode& node) {
  const double v = node.AsQuantity(dim::kNumber);
  if (!(v > 0 && v <= 1)) node.Fail("must be a fraction in (0, 1] (e.g. 0.86 or \"86 %\")");
  return v;
}

double ReadNonNegativeSeconds(const ConfigNode& node) {
  const double v = node.AsQuantity(dim::kSeconds);
  if (v < 0) node.Fail("must not be negative");
  return v;
}

// The optional `efficiency:` block of a device entry: calibration data with its own
// (required) source; see DeviceEfficiency.
DeviceEfficiency ReadEfficiency(const ConfigNode& node, const SourceMap& sources) {
  MapReader r(node);
  DeviceEfficiency e;
  e.source = LookupSource(sources, r.Required("source"));
  if (auto n = r.Optional("note")) e.source.note = n->AsString();
  // Each number may carry its own provenance: {value: ..., source: id, note: "..."}.
  auto value = [&](const ConfigNode& n) { return UnwrapSourced(n, sources); };
  e.gemm_max = ReadFraction(value(r.Required("gemm_max")));
  e.memory = ReadFraction(value(r.Required("memory")));
  if (auto v = r.Optional("training_gemm_max")) e.training_gemm_max = ReadFraction(value(*v));
  if (auto v = r.Optional("sm_count")) e.sm_count = ReadPositiveInt(*v, sources);
  if (auto v = r.Optional("gemm_tile")) e.gemm_tile = ReadPositiveInt(*v, sources);
  if (auto v = r.Optional("kernel_overhead")) {
    e.kernel_overhead_s = ReadNonNegativeSeconds(value(*v));
  }
  if (auto v = r.Optional("step_overhead")) e.step_overhead_s = ReadNonNegativeSeconds(value(*v));
  r.Finish();
  return e;
}

DeviceSpec ReadDevice(const ConfigNode& node, const SourceMap& sources) {
  MapReader r(node);
  DeviceSpec d;
  d.file = node.file();
  auto name_node = r.Required("name");
  d.name = name_node.AsString();
  CheckEntryName(name_node, d.name);
  d.aliases = ReadAliases(r.Optional("aliases"));
  d.vendor = r.Required("vendor").AsString();
  const std::string kind = r.Required("kind").AsChoice({"gpu", "tpu", "accelerator", "cpu"});
  d.kind = kind == "gpu"   ? DeviceKind::kGpu
           : kind == "tpu" ? DeviceKind::kTpu
           : kind == "cpu" ? DeviceKind::kCpu
                           : DeviceKind::kAccelerator;
  d.source = LookupSource(sources, r.Required("source"));
  if (auto n = r.Optional("note_missing")) d.note_missing = n->AsString();
  r.Ignore("note");
  const bool cpu = d.kind == DeviceKind::kCpu;
  auto mem = cpu ? r.Optional("memory") : std::optional<ConfigNode>(r.Required("memory"));
  if (mem) d.memory_bytes = ReadPositive(*mem, dim::kBytes, d.source, sources);
  if (auto t = r.Optional("memory_type")) d.memory_type = t->AsString();
  auto bw = cpu ? r.Optional("memory_bandwidth")
                : std::optional<ConfigNode>(r.Required("memory_bandwidth"));
  if (bw)
    d.memory_bandwidth_bytes_per_s = ReadPositive(*bw, dim::kBytesPerSecond, d.source, sources);
  {
    auto peak = r.Required("peak");
    MapReader pr(peak);
    bool any = false;
    for (int i = 0; i < kPrecisionCount; ++i) {
      const auto p = static_cast<Precision>(i);
      if (auto v = pr.Optional(PrecisionName(p))) {
        d.peak_flops_per_s[i] = ReadPositive(*v, dim::kFlopPerSecond, d.source, sources);
        any = true;
      }
    }
    pr.Finish();
    if (!any) peak.Fail("give the dense peak of at least one precision");
  }
  if (auto tdp = r.Optional("tdp")) {
    d.tdp_watts = ReadPositive(*tdp, dim::kWatts, d.source, sources);
  } else if (!cpu && d.note_missing.empty()) {
    node.Fail("missing required key 'tdp' (or say why it is unknown with note_missing)");
  }
  if (auto s = r.Optional("scale_up")) d.scale_up = ReadLink(*s, d.source, sources);
  if (auto h = r.Optional("host_link")) d.host_link = ReadLink(*h, d.source, sources);
  if (auto e = r.Optional("efficiency")) d.efficiency = ReadEfficiency(*e, sources);
  r.Finish();
  return d;
}

// An integer written plainly (96) or with its own provenance:
// {value: 50257, source: id, note: "..."}; the source id must exist.
ConfigNode UnwrapSourced(const ConfigNode& node, const SourceMap& sources) {
  if (!node.IsMap()) return node;
  MapReader r(node);
  ConfigNode value_node = r.Required("value");
  if (auto s = r.Optional("source")) LookupSource(sources, *s);
  r.Ignore("note");
  r.Finish();
  return value_node;
}

int64_t ReadPositiveInt(const ConfigNode& node, const SourceMap& sources) {
  const ConfigNode value_node = UnwrapSourced(node, sources);
  const int64_t v = value_node.AsInt();
  if (v <= 0) value_node.Fail("must be a positive integer");
  return v;
}

ModelCard ReadModel(const ConfigNode& node, const SourceMap& sources) {
  MapReader r(node);
  ModelCard m;
  m.file = node.file();
  auto name_node = r.Required("name");
  m.name = name_node.AsString();
  CheckEntryName(name_node, m.name);
  m.aliases = ReadAliases(r.Optional("aliases"));
  m.source = LookupSource(sources, r.Required("source"));
  const std::string arch = r.Required("architecture").AsChoice({"gpt", "llama", "bert"});
  m.architecture = arch == "gpt"     ? Architecture::kGpt
                   : arch == "llama" ? Architecture::kLlama
                                     : Architecture::kBert;
  m.layers = ReadPositiveInt(r.Required("layers"), sources);
  m.hidden = ReadPositiveInt(r.Required("hidden"), sources);
  auto heads = r.Required("heads");
  m.heads = ReadPositiveInt(heads, sources);
  m.kv_heads = m.heads;
  if (auto kv = r.Optional("kv_heads")) {
    m.kv_heads = ReadPositiveInt(*kv, sources);
    if (m.kv_heads > m.heads || m.heads % m.kv_heads != 0) {
      kv->Fail("kv_heads must divide heads (" + std::to_string(m.heads) + ")");
    }
  }
  if (auto hd = r.Optional("head_dim")) {
    m.head_dim = ReadPositiveInt(*hd, sources);
  } else {
    if (m.hidden % m.heads != 0) {
      heads.Fail("hidden (" + std::to_string(m.hidden) +
                 ") is not a multiple of heads: give head_dim explicitly");
    }
    m.head_dim = m.hidden / m.heads;
  }
  m.ffn_hidden = ReadPositiveInt(r.Required("ffn_hidden"), sources);
  m.vocab = ReadPositiveInt(r.Required("vocab"), sources);
  m.max_context = ReadPositiveInt(r.Required("max_context"), sources);
  if (auto t = r.Optional("tied_embeddings")) m.tied_embeddings = t->AsBool();
  auto pp = UnwrapSourced(r.Required("published_params"), sources);
  m.published_params = pp.AsCount();
  m.published_params_text = pp.AsString();
  if (!(m.published_params > 0)) pp.Fail("must be greater than zero");
  r.Ignore("note");
  r.Finish();
  return m;
}

// By name, then by alias (both case-insensitive).
template <class T>
const T* FindByName(const std::vector<T>& list, const std::string& name) {
  if (const T* e = FindEntryByName(list, name)) return e;
  const std::string key = LowerName(name);
  for (const auto& e : list) {
    for (const auto& a : e.aliases) {
      if (LowerName(a) == key) return &e;
    }
  }
  return nullptr;
}

template <class T>
std::vector<std::string> AllNames(const std::vector<T>& list) {
  std::vector<std::string> names;
  for (const auto& e : list) {
    names.push_back(e.name);
    for (const auto& a : e.aliases) names.push_back(a);
  }
  return names;
}

}  // namespace

const char* DeviceKindName(DeviceKind k) {
  switch (k) {
    case DeviceKind::kGpu:
      return "gpu";
    case DeviceKind::kTpu:
      return "tpu";
    case DeviceKind::kAccelerator:
      return "accelerator";
    case DeviceKind::kCpu:
      return "cpu";
  }
  return "?";
}

void Catalog::LoadDocument(const ConfigNode& root) {
  MapReader r(root);
  const SourceMap sources = ReadSources(root);
  r.Ignore("sources");
  // Within one file a name or alias may appear once; across files the later file wins.
  std::set<std::string> seen;
  auto claim = [&](const ConfigNode& where, const std::string& n) {
    if (!seen.insert(LowerName(n)).second) where.Fail("name or alias '" + n + "' is used twice");
  };
  if (auto devs = r.Optional("devices")) {
    for (const auto& item : devs->Items()) {
      DeviceSpec d = ReadDevice(item, sources);
      claim(item, d.name);
      for (const auto& a : d.aliases) claim(item, a);
      UpsertByName(devices_, std::move(d));
    }
  }
  seen.clear();
  if (auto mods = r.Optional("models")) {
    for (const auto& item : mods->Items()) {
      ModelCard m = ReadModel(item, sources);
      claim(item, m.name);
      for (const auto& a : m.aliases) claim(item, a);
      UpsertByName(models_, std::move(m));
    }
  }
  r.Finish();
}

void Catalog::AddFile(const std::string& path) {
  LoadDocument(ConfigDocument::LoadFile(path)->Root());
}

Catalog Catalog::LoadShipped(const std::string& data_dir) {
  Catalog c;
  c.AddFile(data_dir + "/models/catalog/devices.yaml");
  c.AddFile(data_dir + "/models/catalog/models.yaml");
  return c;
}

const DeviceSpec* Catalog::TryFindDevice(const std::string& name) const {
  return FindByName(devices_, name);
}
const ModelCard* Catalog::TryFindModel(const std::string& name) const {
  return FindByName(models_, name);
}

const DeviceSpec& Catalog::FindDevice(const std::string& name) const {
  if (auto d = TryFindDevice(name)) return *d;
  throw InputError("unknown device '" + name + "' (see `fleetsim list gpus`)",
                   ClosestName(name, DeviceNames()).value_or(""));
}

const ModelCard& Catalog::FindModel(const std::string& name) const {
  if (auto m = TryFindModel(name)) return *m;
  throw InputError("unknown model '" + name + "' (see `fleetsim list models`)",
                   ClosestName(name, ModelNames()).value_or(""));
}

std::vector<std::string> Catalog::DeviceNames() const { return AllNames(devices_); }
std::vector<std::string> Catalog::ModelNames() const { return AllNames(models_); }

std::string DefaultDataDir() {
  if (const char* env = std::getenv("FLEETSIM_DATA_DIR"); env && *env) return env;
  return FLEETSIM_SOURCE_DATA_DIR;
}

}  // namespace fleetsim
