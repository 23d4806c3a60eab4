// `fleetsim list gpus|models`: what the catalog holds, with sources in --json.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "models/catalog/catalog.h"
#include "models/workload/arrivals.h"
#include "models/workload/lengths.h"
#include "scenarios/cli/args.h"
#include "scenarios/cli/commands.h"
#include "sim/config/config_error.h"
#include "sim/suggest.h"

namespace fleetsim {

namespace {

nlohmann::ordered_json SourceJson(const SourceRef& s) {
  nlohmann::ordered_json j;
  j["id"] = s.id;
  j["title"] = s.title;
  if (!s.publisher.empty()) j["publisher"] = s.publisher;
  if (!s.url.empty()) j["url"] = s.url;
  j["date"] = s.date;
  if (!s.note.empty()) j["note"] = s.note;
  return j;
}

nlohmann::ordered_json Sourced(const SourcedValue& v) {
  nlohmann::ordered_json j;
  j["value"] = v.value;
  j["source"] = SourceJson(v.source);
  return j;
}

std::string Cell(const std::optional<SourcedValue>& v, const Dimension& d) {
  return v ? FormatQuantity(v->value, d) : "-";
}

void PrintDevices(const Catalog& c, bool json) {
  if (json) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& d : c.devices()) {
      nlohmann::ordered_json j;
      j["name"] = d.name;
      j["aliases"] = d.aliases;
      j["vendor"] = d.vendor;
      j["kind"] = DeviceKindName(d.kind);
      if (d.memory_bytes) j["memory_bytes"] = Sourced(*d.memory_bytes);
      if (!d.memory_type.empty()) j["memory_type"] = d.memory_type;
      if (d.memory_bandwidth_bytes_per_s) {
        j["memory_bandwidth_bytes_per_s"] = Sourced(*d.memory_bandwidth_bytes_per_s);
      }
      nlohmann::ordered_json peak = nlohmann::ordered_json::object();
      for (int i = 0; i < kPrecisionCount; ++i) {
        if (d.peak_flops_per_s[i]) {
          peak[std::string(PrecisionName(static_cast<Precision>(i)))] =
              Sourced(*d.peak_flops_per_s[i]);
        }
      }
      j["peak_flops_per_s"] = peak;
      if (d.tdp_watts) j["tdp_watts"] = Sourced(*d.tdp_watts);
      if (!d.note_missing.empty()) j["note_missing"] = d.note_missing;
      if (d.scale_up) {
        j["scale_up"] = {{"kind", d.scale_up->kind},
                         {"bandwidth_bytes_per_s", Sourced(d.scale_up->bandwidth_bytes_per_s)}};
      }
      if (d.host_link) {
        j["host_link"] = {{"kind", d.host_link->kind},
                          {"bandwidth_bytes_per_s", Sourced(d.host_link->bandwidth_bytes_per_s)}};
      }
      j["file"] = d.file;
      arr.push_back(j);
    }
    std::cout << arr.dump(2) << "\n";
    return;
  }
  std::printf("%-16s %-11s %-9s %-11s %-16s %-16s %-7s %s\n", "name", "kind", "memory", "bandwidth",
              "bf16/fp16 dense", "fp8 / int8", "tdp", "source date");
  for (const auto& d : c.devices()) {
    auto half = d.peak_flops_per_s[static_cast<int>(Precision::kBf16)];
    if (!half) half = d.peak_flops_per_s[static_cast<int>(Precision::kFp16)];
    if (!half) half = d.peak_flops_per_s[static_cast<int>(Precision::kFp32)];
    auto eight = d.peak_flops_per_s[static_cast<int>(Precision::kFp8)];
    if (!eight) eight = d.peak_flops_per_s[static_cast<int>(Precision::kInt8)];
    std::printf("%-16s %-11s %-9s %-11s %-16s %-16s %-7s %s\n", d.name.c_str(),
                DeviceKindName(d.kind), Cell(d.memory_bytes, dim::kBytes).c_str(),
                Cell(d.memory_bandwidth_bytes_per_s, dim::kBytesPerSecond).c_str(),
                Cell(half, dim::kFlopPerSecond).c_str(), Cell(eight, dim::kFlopPerSecond).c_str(),
                Cell(d.tdp_watts, dim::kWatts).c_str(), d.source.date.c_str());
  }
}

void PrintModels(const Catalog& c, bool json) {
  if (json) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& m : c.models()) {
      nlohmann::ordered_json j;
      j["name"] = m.name;
      j["aliases"] = m.aliases;
      j["architecture"] = ArchitectureName(m.architecture);
      j["layers"] = m.layers;
      j["hidden"] = m.hidden;
      j["heads"] = m.heads;
      j["kv_heads"] = m.kv_heads;
      j["head_dim"] = m.head_dim;
      j["ffn_hidden"] = m.ffn_hidden;
      j["vocab"] = m.vocab;
      j["max_context"] = m.max_context;
      j["tied_embeddings"] = m.tied_embeddings;
      j["params_computed"] = ParameterCount(m);
      j["params_published"] = m.published_params;
      j["source"] = SourceJson(m.source);
      j["file"] = m.file;
      arr.push_back(j);
    }
    std::cout << arr.dump(2) << "\n";
    return;
  }
  std::printf("%-18s %-6s %6s %6s %5s %4s %6s %7s %7s %11s %10s\n", "name", "arch", "layers",
              "hidden", "heads", "kv", "ffn", "vocab", "context", "params", "published");
  for (const auto& m : c.models()) {
    std::printf("%-18s %-6s %6lld %6lld %5lld %4lld %6lld %7lld %7lld %10.4gB %10s\n",
                m.name.c_str(), ArchitectureName(m.architecture), static_cast<long long>(m.layers),
                static_cast<long long>(m.hidden), static_cast<long long>(m.heads),
                static_cast<long long>(m.kv_heads), static_cast<long long>(m.ffn_hidden),
                static_cast<long long>(m.vocab), static_cast<long long>(m.max_context),
                ParameterCount(m) / 1e9, m.published_params_text.c_str());
  }
}

template <class R>
void PrintRegistry(const R& registry, bool json) {
  if (json) {
    nlohmann::ordered_json arr = nlohmann::ordered_json::array();
    for (const auto& e : registry.entries()) {
      arr.push_back({{"name", e.name}, {"summary", e.summary}, {"parameters", e.doc}});
    }
    std::cout << arr.dump(2) << "\n";
    return;
  }
  for (const auto& e : registry.entries()) {
    std::printf("%-12s %s\n%-12s parameters: %s\n", e.name.c_str(), e.summary.c_str(), "",
                e.doc.c_str());
  }
}

}  // namespace

int RunList(const std::vector<std::string>& args) {
  ArgParser p("list",
              "List what fleetsim knows: gpus (the hardware catalog) or models (model cards).");
  p.Positional("WHAT", "gpus | models | arrivals | lengths");
  p.Option("--catalog", "FILE", "extra catalog file overriding the shipped one", true);
  p.Flag("--json", "machine-readable output, every number with its source and date");
  p.Parse(args);
  if (p.help_requested()) {
    std::cout << p.Help();
    return 0;
  }
  Catalog catalog = Catalog::LoadShipped(DefaultDataDir());
  for (const auto& f : p.GetAll("--catalog")) catalog.AddFile(f);
  const std::string what = *p.Positional(0);
  const bool json = p.Has("--json");
  if (what == "gpus" || what == "devices") {
    PrintDevices(catalog, json);
  } else if (what == "models") {
    PrintModels(catalog, json);
  } else if (what == "arrivals") {
    PrintRegistry(ArrivalProcesses(), json);
  } else if (what == "lengths") {
    PrintRegistry(LengthDistributions(), json);
  } else {
    throw InputError(
        "cannot list '" + what + "'; choose one of: gpus, models, arrivals, lengths",
        ClosestName(what, {"gpus", "models", "devices", "arrivals", "lengths"}).value_or(""));
  }
  return 0;
}

}  // namespace fleetsim
