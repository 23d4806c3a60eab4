// `fleetsim list gpus|models|prices|...`: what the catalogs hold, with sources in --json.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "models/catalog/catalog.h"
#include "models/precision.h"
#include "models/pricing/price_catalog.h"
#include "models/scheduling/policy.h"
#include "models/serving/autoscaler.h"
#include "models/serving/routers.h"
#include "models/serving/service_config.h"
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

// A billing rule as "1s/60s": granularity / minimum in the largest whole unit.
std::string Span(double s) {
  const std::pair<double, const char*> units[] = {{86400, "d"}, {3600, "h"}, {60, "min"}};
  for (auto [size, name] : units) {
    if (s >= size && std::fmod(s, size) == 0)
      return std::to_string(static_cast<long long>(s / size)) + name;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%gs", s);
  return buf;
}

// A price per GPU-hour; derived from a default discount when marked '*'.
std::string PriceCell(const NumberTable& n, const std::string& key) {
  auto it = n.find(key);
  if (it == n.end()) return "-";
  // Four significant digits, at least cents: $4.10, $1.006, $0.805, $12.29.
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", it->second.value * 3600);
  std::string text = buf;
  const size_t dot = text.find('.');
  if (dot == std::string::npos) text += ".00";
  if (dot != std::string::npos && text.size() - dot < 3) text += "0";
  return "$" + text + (it->second.source.note.rfind("= ", 0) == 0 ? "*" : "");
}

nlohmann::ordered_json NumbersJson(const NumberTable& n) {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const auto& [k, v] : n) j[k] = Sourced(v);
  return j;
}

void PrintPrices(const PriceCatalog& prices, bool json) {
  if (json) {
    nlohmann::ordered_json out;
    out["units"] = "base units: USD, seconds, watts, joules, bytes (prices per GPU-second)";
    nlohmann::ordered_json cloud = nlohmann::ordered_json::array();
    for (const auto& o : prices.cloud_offers()) {
      std::vector<std::string> plans;
      for (auto p : o.plans) plans.push_back(CloudPlanName(p));
      cloud.push_back({{"name", o.name},
                       {"provider", o.provider},
                       {"sku", o.sku},
                       {"device", o.device},
                       {"gpus_per_instance", o.gpus_per_instance},
                       {"plans", plans},
                       {"numbers", NumbersJson(prices.Resolve(o))},
                       {"file", o.file}});
    }
    out["cloud_offers"] = cloud;
    nlohmann::ordered_json owned = nlohmann::ordered_json::array();
    for (const auto& o : prices.owned_offers()) {
      owned.push_back({{"name", o.name},
                       {"device", o.device},
                       {"gpus_per_server", o.gpus_per_server},
                       {"site", prices.SiteOf(o)},
                       {"numbers", NumbersJson(prices.Resolve(o))},
                       {"file", o.file}});
    }
    out["owned_offers"] = owned;
    nlohmann::ordered_json sites = nlohmann::ordered_json::array();
    for (const auto& s : prices.sites()) {
      sites.push_back({{"name", s.name}, {"numbers", NumbersJson(s.numbers)}, {"file", s.file}});
    }
    out["sites"] = sites;
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::printf(
      "Cloud offers: $ per GPU-hour (* = from the default discount), billing "
      "granularity/minimum, egress, date of the on-demand price\n");
  std::printf("%-30s %-10s %-15s %4s %8s %8s %8s %8s %-9s %-9s %s\n", "name", "provider", "device",
              "gpus", "on-dem.", "1y", "3y", "spot", "billing", "egress", "date");
  for (const auto& o : prices.cloud_offers()) {
    const NumberTable n = prices.Resolve(o);
    const std::string billing =
        Span(n.at("billing.granularity").value) + "/" + Span(n.at("billing.minimum").value);
    std::printf("%-30s %-10s %-15s %4lld %8s %8s %8s %8s %-9s %-9s %s\n", o.name.c_str(),
                o.provider.c_str(), o.device.c_str(), static_cast<long long>(o.gpus_per_instance),
                PriceCell(n, "on_demand").c_str(), PriceCell(n, "committed_1y").c_str(),
                PriceCell(n, "committed_3y").c_str(), PriceCell(n, "spot.price").c_str(),
                billing.c_str(), FormatQuantity(n.at("egress").value, dim::kUsdPerByte).c_str(),
                n.at("on_demand").source.date.c_str());
  }
  std::printf(
      "\nOwned offers: capex per server, IT power per server (peak / loaded / idle), "
      "default site, date of the capex\n");
  std::printf("%-16s %-15s %4s %10s %9s %9s %9s %6s %-13s %s\n", "name", "device", "gpus", "capex",
              "peak", "loaded", "idle", "life", "site", "date");
  for (const auto& o : prices.owned_offers()) {
    const NumberTable n = prices.Resolve(o);
    char life[16];
    std::snprintf(life, sizeof life, "%gy", n.at("depreciation").value / (8760 * 3600.0));
    std::printf("%-16s %-15s %4lld %10s %9s %9s %9s %6s %-13s %s\n", o.name.c_str(),
                o.device.c_str(), static_cast<long long>(o.gpus_per_server),
                FormatUsd(n.at("capex").value).c_str(),
                FormatQuantity(n.at("power.peak").value, dim::kWatts).c_str(),
                FormatQuantity(n.at("power.loaded").value, dim::kWatts).c_str(),
                FormatQuantity(n.at("power.idle").value, dim::kWatts).c_str(), life,
                prices.SiteOf(o).c_str(), n.at("capex").source.date.c_str());
  }
  std::printf("\nSites: running costs of owned hardware (date of the electricity price)\n");
  std::printf("%-14s %5s %-12s %-14s %-12s %s\n", "name", "PUE", "electricity", "space",
              "operations", "date");
  for (const auto& s : prices.sites()) {
    const NumberTable& n = s.numbers;
    char space[32], ops[32];
    std::snprintf(space, sizeof space, "$%.4g/kW-month", n.at("space").value * 1000 * 730 * 3600);
    std::snprintf(ops, sizeof ops, "$%.4g/y", n.at("operations").value * 8760 * 3600);
    std::printf("%-14s %5.3g %-12s %-14s %-12s %s\n", s.name.c_str(), n.at("pue").value,
                FormatQuantity(n.at("electricity").value, dim::kUsdPerJoule).c_str(), space, ops,
                n.at("electricity").source.date.c_str());
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
              "List what fleetsim knows: gpus (the hardware catalog), models (model cards),\n"
              "precisions (numeric formats), arrivals and lengths (demand), batching (inference\n"
              "engine modes), routers (inference request routing), autoscalers (inference\n"
              "replica counts), prices (cloud and owned hardware) and policies (cluster\n"
              "scheduling).");
  p.Positional("WHAT",
               "gpus | models | precisions | arrivals | lengths | batching | routers | "
               "autoscalers | prices | policies");
  p.Option("--catalog", "FILE", "extra catalog file overriding the shipped one", true);
  p.Option("--prices", "FILE", "extra price file overriding the shipped prices", true);
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
  } else if (what == "precisions") {
    PrintRegistry(Precisions(), json);
  } else if (what == "batching") {
    PrintRegistry(BatchingModes(), json);
  } else if (what == "routers") {
    PrintRegistry(Routers(), json);
  } else if (what == "autoscalers") {
    PrintRegistry(AutoscalePolicies(), json);
  } else if (what == "prices") {
    PriceCatalog prices = PriceCatalog::LoadShipped(DefaultDataDir(), catalog);
    for (const auto& f : p.GetAll("--prices")) prices.AddFile(f);
    PrintPrices(prices, json);
  } else if (what == "policies") {
    std::cout << DescribePolicies(json);
  } else {
    throw InputError(
        "cannot list '" + what +
            "'; choose one of: gpus, models, precisions, arrivals, lengths, batching, routers, "
            "autoscalers, prices, policies",
        ClosestName(what, {"gpus", "models", "devices", "precisions", "arrivals", "lengths",
                           "batching", "routers", "autoscalers", "prices", "policies"})
            .value_or(""));
  }
  return 0;
}

}  // namespace fleetsim
