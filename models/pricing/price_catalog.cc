#include "models/pricing/price_catalog.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>

#include "models/catalog/catalog.h"
#include "models/catalog/source_reader.h"
#include "sim/config/config.h"
#include "sim/suggest.h"

namespace fleetsim {

namespace {

// The reading helpers follow models/catalog/catalog.cc (sources map, entry default source,
// {value, source, note} overrides); they are repeated here rather than shared because the
// price file adds checks of its own (dates, ranges, groups of keys).

enum class Check { kPositive, kNonNegative, kFraction, kDiscount, kAtLeastOne, kCount };

struct Field {
  const char* key;  // "on_demand" or "group.key"
  Dimension dim;
  Check check;
  bool required = false;
};

void CheckRange(const ConfigNode& node, double v, Check check) {
  switch (check) {
    case Check::kPositive:
      if (!(v > 0)) node.Fail("must be greater than zero");
      break;
    case Check::kNonNegative:
      if (!(v >= 0)) node.Fail("must not be negative");
      break;
    case Check::kFraction:
      if (!(v >= 0 && v <= 1)) node.Fail("must be between 0 % and 100 %");
      break;
    case Check::kDiscount:
      if (!(v >= 0 && v < 1)) node.Fail("a discount must be at least 0 % and below 100 %");
      break;
    case Check::kAtLeastOne:
      if (!(v >= 1)) node.Fail("must be at least 1");
      break;
    case Check::kCount:
      if (!(v >= 1 && std::floor(v) == v)) node.Fail("must be a positive whole number");
      break;
  }
}

// A quantity written either as "$4.10/h" or as {value: "...", source: id, note: "..."}.
SourcedValue ReadSourced(const ConfigNode& node, const Field& f, const SourceRef& fallback,
                         const SourceMap& sources) {
  SourcedValue v;
  v.source = fallback;
  v.source.note.clear();
  ConfigNode value_node = node;
  if (node.IsMap()) {
    MapReader r(node);
    value_node = r.Required("value");
    if (auto s = r.Optional("source")) v.source = LookupSource(sources, *s);
    if (auto n = r.Optional("note")) v.source.note = n->AsString();
    r.Finish();
  }
  v.value = value_node.AsQuantity(f.dim);
  CheckRange(value_node, v.value, f.check);
  return v;
}

// Reads the numeric fields of `node` (some in groups such as billing: {granularity,
// minimum}) into `out`, remembering each value's node for later consistency errors.
void ReadNumbers(const ConfigNode& node, MapReader& r, const std::vector<Field>& fields,
                 const SourceRef& fallback, const SourceMap& sources, NumberTable& out,
                 std::map<std::string, ConfigNode>& where) {
  std::vector<std::string> groups;
  for (const auto& f : fields) {
    const std::string key = f.key;
    const size_t dot = key.find('.');
    if (dot == std::string::npos) {
      auto n = f.required ? std::optional<ConfigNode>(r.Required(key)) : r.Optional(key);
      if (n) {
        out[key] = ReadSourced(*n, f, fallback, sources);
        where.emplace(key, *n);
      }
    } else if (std::find(groups.begin(), groups.end(), key.substr(0, dot)) == groups.end()) {
      groups.push_back(key.substr(0, dot));
    }
  }
  for (const auto& g : groups) {
    auto gn = r.Optional(g);
    if (!gn) continue;
    MapReader gr(*gn);
    for (const auto& f : fields) {
      const std::string key = f.key;
      if (key.rfind(g + ".", 0) != 0) continue;
      if (auto n = gr.Optional(key.substr(g.size() + 1))) {
        out[key] = ReadSourced(*n, f, fallback, sources);
        where.emplace(key, *n);
      }
    }
    gr.Finish();
  }
}

constexpr Check kPos = Check::kPositive, kNonNeg = Check::kNonNegative;

// Keys a cloud offer and price_defaults.cloud share.
std::vector<Field> CloudDefaultableFields() {
  return {
      {"committed_1y_discount", dim::kNumber, Check::kDiscount},
      {"committed_3y_discount", dim::kNumber, Check::kDiscount},
      {"billing.granularity", dim::kSeconds, kPos},
      {"billing.minimum", dim::kSeconds, kNonNeg},
      {"startup", dim::kSeconds, kNonNeg},
      {"teardown", dim::kSeconds, kNonNeg},
      {"egress", dim::kUsdPerByte, kNonNeg},
      {"capacity.lead_time", dim::kSeconds, kNonNeg},
      {"spot.discount", dim::kNumber, Check::kDiscount},
      {"spot.notice", dim::kSeconds, kNonNeg},
      {"spot.mean_available", dim::kSeconds, kPos},
      {"spot.available_cv", dim::kNumber, kPos},
      {"spot.mean_unavailable", dim::kSeconds, kPos},
      {"spot.gang_all_or_nothing", dim::kNumber, Check::kFraction},
  };
}

std::vector<Field> PowerFields() {
  return {
      {"power.peak", dim::kWatts, kPos},    {"power.server_factor", dim::kNumber, kPos},
      {"power.loaded", dim::kWatts, kPos},  {"power.load_factor", dim::kNumber, Check::kFraction},
      {"power.idle", dim::kWatts, kNonNeg},
  };
}

std::vector<Field> CloudOfferFields() {
  std::vector<Field> f = {
      {"on_demand", dim::kUsdPerSecond, kPos, true},
      {"committed_1y", dim::kUsdPerSecond, kPos},
      {"committed_3y", dim::kUsdPerSecond, kPos},
      {"spot.price", dim::kUsdPerSecond, kPos},
      {"capacity.max_instances", dim::kNumber, Check::kCount},
  };
  for (const auto& x : CloudDefaultableFields()) f.push_back(x);
  for (const auto& x : PowerFields()) f.push_back(x);
  return f;
}

std::vector<Field> OwnedDefaultableFields() {
  return {
      {"depreciation", dim::kSeconds, kPos},
      {"residual", dim::kNumber, Check::kDiscount},
      {"procurement_lead_time", dim::kSeconds, kNonNeg},
  };
}

std::vector<Field> OwnedOfferFields() {
  std::vector<Field> f = {{"capex", dim::kUsd, kPos, true}};
  for (const auto& x : OwnedDefaultableFields()) f.push_back(x);
  for (const auto& x : PowerFields()) f.push_back(x);
  return f;
}

std::vector<Field> SiteFields() {
  return {
      {"pue", dim::kNumber, Check::kAtLeastOne, true},
      {"electricity", dim::kUsdPerJoule, kNonNeg, true},
      {"space", dim::kUsdPerJoule, kNonNeg, true},
      {"operations", dim::kUsdPerSecond, kNonNeg, true},
      {"fixed_operations", dim::kUsdPerSecond, kNonNeg, true},
  };
}

int64_t ReadPositiveInt(const ConfigNode& node) {
  const int64_t v = node.AsInt();
  if (v <= 0) node.Fail("must be a positive integer");
  return v;
}

std::string FormatNumber(double v, const Dimension& d) { return FormatQuantity(v, d); }

// Explicit power numbers that contradict each other are errors where they are written.
void CheckPowerAsWritten(const ConfigNode& entry, const NumberTable& n,
                         const std::map<std::string, ConfigNode>& where, bool required,
                         const DeviceSpec& device) {
  auto at = [&](const char* key) -> const ConfigNode& { return where.at(key); };
  const bool peak = n.count("power.peak"), factor = n.count("power.server_factor");
  const bool loaded = n.count("power.loaded"), lf = n.count("power.load_factor");
  if (peak && factor) {
    at("power.server_factor").Fail("give either power.peak or power.server_factor, not both");
  }
  if (loaded && lf) {
    at("power.load_factor").Fail("give either power.loaded or power.load_factor, not both");
  }
  if (factor && !device.tdp_watts) {
    at("power.server_factor")
        .Fail("device '" + device.name +
              "' has no TDP in the hardware catalog: give power.peak in watts instead");
  }
  const bool any = peak || factor || loaded || lf || n.count("power.idle");
  if ((required || any) && !peak && !factor && !loaded) {
    entry.Fail("give the server's power: power.peak, power.server_factor or power.loaded");
  }
  if (loaded && peak && n.at("power.loaded").value > n.at("power.peak").value) {
    at("power.loaded")
        .Fail("loaded power (" + FormatNumber(n.at("power.loaded").value, dim::kWatts) +
              ") must not exceed peak power (" +
              FormatNumber(n.at("power.peak").value, dim::kWatts) + ")");
  }
  if (loaded && n.count("power.idle") && n.at("power.idle").value > n.at("power.loaded").value) {
    at("power.idle")
        .Fail("idle power (" + FormatNumber(n.at("power.idle").value, dim::kWatts) +
              ") must not exceed loaded power (" +
              FormatNumber(n.at("power.loaded").value, dim::kWatts) + ")");
  }
}

template <class T>
std::vector<std::string> Names(const std::vector<T>& list) {
  std::vector<std::string> names;
  for (const auto& e : list) names.push_back(e.name);
  return names;
}

// A number computed from others keeps the source of the input that makes it what it is
// (a discount, a server factor) and says how it was computed.
SourcedValue Derived(double value, const SourceRef& from, const std::string& how) {
  SourcedValue v{value, from};
  v.source.note = how;
  return v;
}

const SourcedValue& Need(const NumberTable& n, const std::string& key, const std::string& what) {
  auto it = n.find(key);
  if (it == n.end()) throw InputError(what + ": no value for '" + key + "' and no default");
  return it->second;
}

std::string Percent(double fraction) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g %%", fraction * 100);
  return buf;
}

// power.* of an entry with `gpus` GPUs of `device`, defaults applied; nothing when the
// entry gives no power (allowed for cloud offers only).
void ResolvePower(const NumberTable& written, const NumberTable& defaults, int64_t gpus,
                  const DeviceSpec& device, const std::string& what, NumberTable& out) {
  const bool any = written.count("power.peak") || written.count("power.server_factor") ||
                   written.count("power.loaded");
  if (!any) return;
  SourcedValue peak, loaded, idle;
  if (auto it = written.find("power.peak"); it != written.end()) {
    peak = it->second;
  } else if (auto f = written.find("power.server_factor"); f != written.end()) {
    const double tdp = device.tdp_watts ? device.tdp_watts->value : 0;
    char how[160];
    std::snprintf(how, sizeof how, "= %lld GPUs x %s TDP x server factor %.3g%s",
                  static_cast<long long>(gpus), FormatQuantity(tdp, dim::kWatts).c_str(),
                  f->second.value,
                  f->second.source.note.empty() ? "" : ("; " + f->second.source.note).c_str());
    peak = Derived(static_cast<double>(gpus) * tdp * f->second.value, f->second.source, how);
  } else {
    peak = written.at("power.loaded");
  }
  if (auto it = written.find("power.loaded"); it != written.end()) {
    loaded = it->second;
  } else {
    auto lf = written.find("power.load_factor");
    const SourcedValue& factor =
        lf != written.end() ? lf->second : Need(defaults, "power.load_factor", what);
    loaded = Derived(peak.value * factor.value, factor.source,
                     "= peak x load factor " + Percent(factor.value));
  }
  if (auto it = written.find("power.idle"); it != written.end()) {
    idle = it->second;
  } else {
    idle = Derived(loaded.value, loaded.source,
                   "idle not given: equal to loaded (power independent of utilisation, as in "
                   "prices.md's worked check)");
  }
  if (loaded.value > peak.value * (1 + 1e-12) || idle.value > loaded.value * (1 + 1e-12)) {
    throw InputError(what + ": power must satisfy idle <= loaded <= peak, got idle " +
                     FormatQuantity(idle.value, dim::kWatts) + ", loaded " +
                     FormatQuantity(loaded.value, dim::kWatts) + ", peak " +
                     FormatQuantity(peak.value, dim::kWatts));
  }
  out["power.peak"] = peak;
  out["power.loaded"] = loaded;
  out["power.idle"] = idle;
}

}  // namespace

// ---------------------------------------------------------------- loading

void PriceCatalog::AddDocument(const ConfigNode& root) {
  if (!root.IsMap()) root.Fail("expected a map at the top level of a fleetsim file");
  MapReader r(root);
  const SourceMap sources = ReadSources(root);
  r.Ignore("sources");

  std::optional<ConfigNode> default_site_node;
  if (auto d = r.Optional("price_defaults")) {
    MapReader dr(*d);
    const SourceRef fallback = LookupSource(sources, dr.Required("source"));
    std::map<std::string, ConfigNode> where;
    if (auto c = dr.Optional("cloud")) {
      MapReader cr(*c);
      ReadNumbers(*c, cr, CloudDefaultableFields(), fallback, sources, cloud_defaults_, where);
      cr.Finish();
    }
    if (auto o = dr.Optional("owned")) {
      MapReader orr(*o);
      if (auto s = orr.Optional("site")) {
        default_site_ = s->AsString();
        default_site_node = *s;
      }
      std::vector<Field> fields = OwnedDefaultableFields();
      fields.push_back({"load_factor", dim::kNumber, Check::kFraction});
      NumberTable owned;
      ReadNumbers(*o, orr, fields, fallback, sources, owned, where);
      for (auto& [k, v] : owned) owned_defaults_[k == "load_factor" ? "power.load_factor" : k] = v;
      orr.Finish();
    }
    dr.Finish();
  }

  std::set<std::string> seen;
  auto claim = [&](const ConfigNode& where, const std::string& n) {
    if (!seen.insert(LowerName(n)).second) where.Fail("name '" + n + "' is used twice");
  };

  if (auto list = r.Optional("sites")) {
    for (const auto& item : list->Items()) {
      MapReader ir(item);
      Site s;
      s.file = item.file();
      auto name = ir.Required("name");
      s.name = name.AsString();
      CheckEntryName(name, s.name);
      claim(item, s.name);
      s.source = LookupSource(sources, ir.Required("source"));
      ir.Ignore("note");
      std::map<std::string, ConfigNode> where;
      ReadNumbers(item, ir, SiteFields(), s.source, sources, s.numbers, where);
      ir.Finish();
      UpsertByName(sites_, std::move(s));
    }
  }

  seen.clear();
  std::vector<std::pair<std::string, ConfigNode>> site_refs;
  if (auto list = r.Optional("cloud_offers")) {
    for (const auto& item : list->Items()) {
      MapReader ir(item);
      CloudOffer o;
      o.file = item.file();
      auto name = ir.Required("name");
      o.name = name.AsString();
      CheckEntryName(name, o.name);
      claim(item, o.name);
      o.provider = ir.Required("provider").AsString();
      if (auto s = ir.Optional("sku")) o.sku = s->AsString();
      auto dev = ir.Required("device");
      const DeviceSpec* device = hardware_->TryFindDevice(dev.AsString());
      if (!device) {
        dev.Fail("unknown device '" + dev.AsString() + "' (see `fleetsim list gpus`)",
                 ClosestName(dev.AsString(), hardware_->DeviceNames()).value_or(""));
      }
      o.device = device->name;
      o.gpus_per_instance = ReadPositiveInt(ir.Required("gpus_per_instance"));
      o.source = LookupSource(sources, ir.Required("source"));
      if (auto plans = ir.Optional("plans")) {
        for (const auto& p : plans->Items()) {
          const CloudPlan plan = *ParseCloudPlan(p.AsChoice(CloudPlanNames()));
          if (std::find(o.plans.begin(), o.plans.end(), plan) != o.plans.end()) {
            p.Fail(std::string("plan '") + CloudPlanName(plan) + "' is listed twice");
          }
          o.plans.push_back(plan);
        }
        if (o.plans.empty()) plans->Fail("list at least one plan");
      } else {
        o.plans = {CloudPlan::kOnDemand};
      }
      ir.Ignore("note");
      std::map<std::string, ConfigNode> where;
      ReadNumbers(item, ir, CloudOfferFields(), o.source, sources, o.numbers, where);
      ir.Finish();
      const double on_demand = o.numbers.at("on_demand").value;
      auto has_plan = [&](CloudPlan p) {
        return std::find(o.plans.begin(), o.plans.end(), p) != o.plans.end();
      };
      const std::pair<const char*, CloudPlan> priced[] = {{"committed_1y", CloudPlan::kCommitted1y},
                                                          {"committed_3y", CloudPlan::kCommitted3y},
                                                          {"spot.price", CloudPlan::kSpot}};
      for (const auto& [key, plan] : priced) {
        auto it = o.numbers.find(key);
        if (it == o.numbers.end()) continue;
        if (!has_plan(plan)) {
          where.at(key).Fail(std::string("priced, but '") + CloudPlanName(plan) +
                             "' is not in this offer's plans: add it to plans");
        }
        if (it->second.value > on_demand) {
          where.at(key).Fail("a " + std::string(CloudPlanName(plan)) + " price (" +
                             FormatQuantity(it->second.value, dim::kUsdPerSecond) +
                             ") must not exceed the on-demand price (" +
                             FormatQuantity(on_demand, dim::kUsdPerSecond) + ")");
        }
      }
      CheckPowerAsWritten(item, o.numbers, where, /*required=*/false, *device);
      UpsertByName(cloud_, std::move(o));
    }
  }

  seen.clear();
  if (auto list = r.Optional("owned_offers")) {
    for (const auto& item : list->Items()) {
      MapReader ir(item);
      OwnedOffer o;
      o.file = item.file();
      auto name = ir.Required("name");
      o.name = name.AsString();
      CheckEntryName(name, o.name);
      claim(item, o.name);
      auto dev = ir.Required("device");
      const DeviceSpec* device = hardware_->TryFindDevice(dev.AsString());
      if (!device) {
        dev.Fail("unknown device '" + dev.AsString() + "' (see `fleetsim list gpus`)",
                 ClosestName(dev.AsString(), hardware_->DeviceNames()).value_or(""));
      }
      o.device = device->name;
      o.gpus_per_server = ReadPositiveInt(ir.Required("gpus_per_server"));
      o.source = LookupSource(sources, ir.Required("source"));
      if (auto s = ir.Optional("site")) {
        o.site = s->AsString();
        site_refs.emplace_back(o.site, *s);
      }
      ir.Ignore("note");
      std::map<std::string, ConfigNode> where;
      ReadNumbers(item, ir, OwnedOfferFields(), o.source, sources, o.numbers, where);
      ir.Finish();
      CheckPowerAsWritten(item, o.numbers, where, /*required=*/true, *device);
      UpsertByName(owned_, std::move(o));
    }
  }
  r.Finish();

  // Site names are checked once the whole file is read: a file may define a site after
  // the entries that use it.
  if (default_site_node) site_refs.emplace_back(default_site_, *default_site_node);
  for (const auto& [site, node] : site_refs) {
    if (!FindEntryByName(sites_, site)) {
      node.Fail("unknown site '" + site + "'", ClosestName(site, Names(sites_)).value_or(""));
    }
  }
}

void PriceCatalog::AddFile(const std::string& path) {
  AddDocument(ConfigDocument::LoadFile(path)->Root());
}

PriceCatalog PriceCatalog::LoadShipped(const std::string& data_dir, const Catalog& hardware) {
  PriceCatalog p(hardware);
  p.AddFile(data_dir + "/models/pricing/prices.yaml");
  return p;
}

// ---------------------------------------------------------------- lookups

const CloudOffer& PriceCatalog::FindCloud(const std::string& name) const {
  if (auto o = FindEntryByName(cloud_, name)) return *o;
  throw InputError("unknown cloud offer '" + name + "' (see `fleetsim list prices`)",
                   ClosestName(name, Names(cloud_)).value_or(""));
}

const OwnedOffer& PriceCatalog::FindOwned(const std::string& name) const {
  if (auto o = FindEntryByName(owned_, name)) return *o;
  throw InputError("unknown owned offer '" + name + "' (see `fleetsim list prices`)",
                   ClosestName(name, Names(owned_)).value_or(""));
}

const Site& PriceCatalog::FindSite(const std::string& name) const {
  if (auto s = FindEntryByName(sites_, name)) return *s;
  throw InputError("unknown site '" + name + "' (see `fleetsim list prices`)",
                   ClosestName(name, Names(sites_)).value_or(""));
}

// ---------------------------------------------------------------- resolution

NumberTable PriceCatalog::Resolve(const CloudOffer& o) const {
  const std::string what = "cloud offer '" + o.name + "'";
  auto has_plan = [&](CloudPlan p) {
    return std::find(o.plans.begin(), o.plans.end(), p) != o.plans.end();
  };
  NumberTable out;
  auto take = [&](const std::string& key) {
    if (auto it = o.numbers.find(key); it != o.numbers.end()) {
      out[key] = it->second;
    } else {
      out[key] = Need(cloud_defaults_, key, what);
    }
  };
  out["on_demand"] = o.numbers.at("on_demand");
  const double on_demand = out["on_demand"].value;
  for (const char* k : {"billing.granularity", "billing.minimum", "startup", "teardown", "egress",
                        "capacity.lead_time"}) {
    take(k);
  }
  if (auto it = o.numbers.find("capacity.max_instances"); it != o.numbers.end()) {
    out[it->first] = it->second;
  }
  const std::tuple<const char*, const char*, CloudPlan> priced[] = {
      {"committed_1y", "committed_1y_discount", CloudPlan::kCommitted1y},
      {"committed_3y", "committed_3y_discount", CloudPlan::kCommitted3y},
      {"spot.price", "spot.discount", CloudPlan::kSpot}};
  for (const auto& [key, discount_key, plan] : priced) {
    if (!has_plan(plan)) continue;
    if (auto it = o.numbers.find(key); it != o.numbers.end()) {
      out[key] = it->second;
      continue;
    }
    take(discount_key);
    const SourcedValue& d = out[discount_key];
    out[key] =
        Derived(on_demand * (1 - d.value), d.source,
                "= on-demand " + FormatQuantity(on_demand, dim::kUsdPerSecond) + " x (1 - " +
                    Percent(d.value) + ")" + (d.source.note.empty() ? "" : "; " + d.source.note));
  }
  if (has_plan(CloudPlan::kSpot)) {
    for (const char* k : {"spot.notice", "spot.mean_available", "spot.available_cv",
                          "spot.mean_unavailable", "spot.gang_all_or_nothing"}) {
      take(k);
    }
  }
  const DeviceSpec& device = hardware_->FindDevice(o.device);
  ResolvePower(o.numbers, owned_defaults_, o.gpus_per_instance, device, what, out);
  return out;
}

std::string PriceCatalog::SiteOf(const OwnedOffer& o, const std::string& site) const {
  if (!site.empty()) return FindSite(site).name;
  if (!o.site.empty()) return FindSite(o.site).name;
  if (default_site_.empty()) {
    throw InputError("owned offer '" + o.name + "': no site given and no default site");
  }
  return FindSite(default_site_).name;
}

NumberTable PriceCatalog::Resolve(const OwnedOffer& o, const std::string& site) const {
  const std::string what = "owned offer '" + o.name + "'";
  NumberTable out;
  out["capex"] = o.numbers.at("capex");
  for (const char* k : {"depreciation", "residual", "procurement_lead_time"}) {
    if (auto it = o.numbers.find(k); it != o.numbers.end()) {
      out[k] = it->second;
    } else {
      out[k] = Need(owned_defaults_, k, what);
    }
  }
  const DeviceSpec& device = hardware_->FindDevice(o.device);
  ResolvePower(o.numbers, owned_defaults_, o.gpus_per_server, device, what, out);
  const Site& s = FindSite(SiteOf(o, site));
  for (const auto& [k, v] : s.numbers) out[k] = v;
  return out;
}

// ---------------------------------------------------------------- pools

CloudPool PriceCatalog::MakeCloudPool(const std::string& offer, CloudPlan plan,
                                      const std::string& pool_name,
                                      int64_t committed_instances) const {
  const CloudOffer& o = FindCloud(offer);
  if (std::find(o.plans.begin(), o.plans.end(), plan) == o.plans.end()) {
    std::string plans;
    for (auto p : o.plans) plans += (plans.empty() ? "" : ", ") + std::string(CloudPlanName(p));
    throw InputError("cloud offer '" + o.name + "' has no plan '" + CloudPlanName(plan) +
                     "' (it offers: " + plans + ")");
  }
  const bool committed = plan == CloudPlan::kCommitted1y || plan == CloudPlan::kCommitted3y;
  if (committed_instances < 0 || (!committed && committed_instances != 0)) {
    throw InputError("cloud offer '" + o.name + "': committed instances apply to committed plans " +
                     "only and must not be negative");
  }
  const NumberTable n = Resolve(o);
  CloudPool p;
  p.name = pool_name.empty() ? o.name : pool_name;
  p.offer = o.name;
  p.provider = o.provider;
  p.sku = o.sku;
  p.device = o.device;
  p.gpus_per_instance = o.gpus_per_instance;
  p.plan = plan;
  p.on_demand_usd_per_gpu_s = n.at("on_demand").value;
  p.usd_per_gpu_s = plan == CloudPlan::kOnDemand ? p.on_demand_usd_per_gpu_s
                    : plan == CloudPlan::kSpot   ? n.at("spot.price").value
                                                 : n.at(CloudPlanName(plan)).value;
  p.committed_instances = committed_instances;
  p.billing.granularity_s = n.at("billing.granularity").value;
  p.billing.minimum_s = n.at("billing.minimum").value;
  p.startup_s = n.at("startup").value;
  p.teardown_s = n.at("teardown").value;
  p.egress_usd_per_byte = n.at("egress").value;
  if (auto it = n.find("capacity.max_instances"); it != n.end()) {
    p.max_instances = static_cast<int64_t>(it->second.value);
  }
  p.capacity_lead_time_s = n.at("capacity.lead_time").value;
  if (plan == CloudPlan::kSpot) {
    p.spot.notice_s = n.at("spot.notice").value;
    p.spot.mean_available_s = n.at("spot.mean_available").value;
    p.spot.available_cv = n.at("spot.available_cv").value;
    p.spot.mean_unavailable_s = n.at("spot.mean_unavailable").value;
    p.spot.gang_all_or_nothing = n.at("spot.gang_all_or_nothing").value;
  }
  if (n.count("power.peak")) {
    p.power =
        PowerDraw{n.at("power.idle").value, n.at("power.loaded").value, n.at("power.peak").value};
  }
  return p;
}

OwnedPool PriceCatalog::MakeOwnedPool(const std::string& offer, int64_t servers,
                                      const std::string& pool_name, const std::string& site) const {
  const OwnedOffer& o = FindOwned(offer);
  if (servers < 0) {
    throw InputError("owned offer '" + o.name + "': the number of servers must not be negative");
  }
  const NumberTable n = Resolve(o, site);
  OwnedPool p;
  p.name = pool_name.empty() ? o.name : pool_name;
  p.offer = o.name;
  p.site = SiteOf(o, site);
  p.device = o.device;
  p.servers = servers;
  p.gpus_per_server = o.gpus_per_server;
  p.capex_usd_per_server = n.at("capex").value;
  p.depreciation_s = n.at("depreciation").value;
  p.residual_fraction = n.at("residual").value;
  p.procurement_lead_time_s = n.at("procurement_lead_time").value;
  p.power =
      PowerDraw{n.at("power.idle").value, n.at("power.loaded").value, n.at("power.peak").value};
  p.pue = n.at("pue").value;
  p.electricity_usd_per_joule = n.at("electricity").value;
  p.space_usd_per_joule = n.at("space").value;
  p.operations_usd_per_server_s = n.at("operations").value;
  p.fixed_operations_usd_per_s = n.at("fixed_operations").value;
  return p;
}

}  // namespace fleetsim
