#include "models/scheduling/policy_scenario.h"

#include <algorithm>

#include "models/workload/trace_reader.h"
#include "sim/suggest.h"
#include "sim/units.h"

namespace fleetsim {

namespace {

void ReadShape(const ConfigNode& node, ClusterShape* s) {
  MapReader r(node);
  auto read = [&](const char* key, int32_t* out, int64_t max) {
    if (auto n = r.Optional(key)) {
      const int64_t v = n->AsInt();
      if (v < 1 || v > max) {
        n->Fail(std::string(key) + " must be between 1 and " + std::to_string(max));
      }
      *out = static_cast<int32_t>(v);
    }
  };
  read("gpus_per_node", &s->gpus_per_node, 64);
  read("nodes_per_rack", &s->nodes_per_rack, 1'000'000);
  read("racks_per_pod", &s->racks_per_pod, 1'000'000);
  r.Finish();
}

double Factor(MapReader& r, const char* key) {
  auto n = r.Optional(key);
  if (!n) return 1.0;
  const double v = n->AsDouble();
  if (!(v > 0 && v <= 1)) {
    n->Fail(std::string(key) + " is a speed factor in (0, 1] for gangs spanning that level");
  }
  return v;
}

}  // namespace

ClusterSpec ReadClusterSpec(const ConfigNode& node, const Catalog& catalog) {
  ClusterSpec spec;
  MapReader r(node);
  ClusterShape shape;
  if (auto n = r.Optional("shape")) ReadShape(*n, &shape);
  if (auto n = r.Optional("locality")) {
    MapReader lr(*n);
    spec.locality.rack = Factor(lr, "rack");
    spec.locality.pod = Factor(lr, "pod");
    spec.locality.cluster = Factor(lr, "cluster");
    lr.Finish();
  }
  auto pools = r.Required("pools");
  if (!pools.IsSequence() || pools.size() == 0) pools.Fail("expected a non-empty list of pools");
  if (pools.size() > 64) pools.Fail("at most 64 pools");
  int64_t total = 0;
  for (const auto& pn : pools.Items()) {
    MapReader pr(pn);
    PoolSpec p;
    auto name = pr.Required("name");
    p.name = name.AsString();
    for (const auto& other : spec.pools) {
      if (other.name == p.name) name.Fail("duplicate pool name '" + p.name + "'");
    }
    auto gpu = pr.Required("gpu");
    const std::string device = gpu.AsString();
    const DeviceSpec* d = catalog.TryFindDevice(device);
    if (!d) {
      gpu.Fail("unknown device '" + device + "' (see 'fleetsim list gpus')",
               ClosestName(device, catalog.DeviceNames()).value_or(""));
    }
    if (!d->memory_bytes) gpu.Fail("device '" + d->name + "' has no memory size in the catalog");
    p.device = d->name;
    p.gpu_memory_bytes = static_cast<int64_t>(d->memory_bytes->value);
    auto nodes = pr.Required("nodes");
    const int64_t n = nodes.AsInt();
    if (n < 1 || n > 1'000'000) nodes.Fail("nodes must be between 1 and 1,000,000");
    p.nodes = static_cast<int32_t>(n);
    p.shape = shape;
    if (auto s = pr.Optional("shape")) ReadShape(*s, &p.shape);
    if (auto s = pr.Optional("speed")) {
      p.speed = s->AsDouble();
      if (!(p.speed > 0 && p.speed <= 1000)) s->Fail("speed must be in (0, 1000]");
    }
    if (auto s = pr.Optional("price")) {
      p.usd_per_gpu_s = s->AsQuantity(dim::kUsdPerSecond);
      if (!(p.usd_per_gpu_s >= 0)) s->Fail("price must not be negative");
    }
    pr.Finish();
    total += n * p.shape.gpus_per_node;
    if (total > 10'000'000) nodes.Fail("the cluster may hold at most 10,000,000 GPUs");
    spec.pools.push_back(std::move(p));
  }
  r.Finish();
  return spec;
}

PolicyScenario LoadPolicyScenario(const std::string& path,
                                  const std::vector<std::string>& overrides) {
  PolicyScenario s;
  s.file = path;
  s.document = ConfigDocument::LoadFile(path, overrides);
  const ConfigNode root = s.document->Root();
  MapReader r(root);
  s.name = r.Required("name").AsString();
  if (auto n = r.Optional("description")) s.description = n->AsString();
  if (auto n = r.Optional("seed")) {
    const int64_t v = n->AsInt();
    if (v < 0) n->Fail("seed must not be negative");
    s.seed = static_cast<uint64_t>(v);
  }
  if (auto n = r.Optional("duration")) {
    s.horizon_s = n->AsDuration().seconds();
    if (!(s.horizon_s > 0)) n->Fail("duration must be greater than zero");
  }
  Catalog catalog = Catalog::LoadShipped(DefaultDataDir());
  if (auto n = r.Optional("catalog")) {
    if (!n->IsSequence()) n->Fail("expected a list of catalog files");
    for (const auto& f : n->Items()) catalog.AddFile(ResolvePath(f));
  }
  s.cluster = ReadClusterSpec(r.Required("cluster"), catalog);
  auto jobs = r.Required("jobs");
  // The scheduler sections are read before the jobs, so a typo there is reported before a
  // long trace is parsed.
  if (auto n = r.Optional("scheduler")) s.base = ReadPolicySpec(*n, s.base);
  s.base.label = "scheduler";
  BuildPolicy(s.base);
  if (auto n = r.Optional("policies")) {
    if (!n->IsMap()) n->Fail("expected a map of named policies: {name: {queue: ..., ...}}");
    MapReader pr(*n);
    for (const auto& key : n->Keys()) {
      if (key.find_first_of(",+=") != std::string::npos) {
        n->FailAtKey(key,
                     "a policy name may not contain ',', '+' or '=' (they separate "
                     "policies on the command line)");
      }
      PolicySpec p = ReadPolicySpec(pr.Required(key), s.base);
      p.label = key;
      BuildPolicy(p);
      s.named.push_back(std::move(p));
    }
    pr.Finish();
  }
  if (auto n = r.Optional("outputs")) {
    MapReader o(*n);
    if (auto i = o.Optional("timeseries_interval")) {
      s.timeseries_interval_s = i->AsDuration().seconds();
      if (!(s.timeseries_interval_s > 0)) i->Fail("timeseries_interval must be greater than zero");
    }
    o.Finish();
  }
  s.workload = ReadJobWorkload(jobs, catalog, s.horizon_s);
  r.Finish();
  // A class restricted to GPU types the cluster lacks would have every job rejected.
  for (const auto& c : s.workload->job_set().classes) {
    for (const auto& d : c.devices) {
      const bool present = std::any_of(s.cluster.pools.begin(), s.cluster.pools.end(),
                                       [&](const PoolSpec& p) { return p.device == d; });
      if (!present) {
        jobs.Fail("job class '" + c.name + "' may only use device '" + d +
                  "', but no pool of the cluster has it");
      }
    }
  }
  return s;
}

std::vector<PolicySpec> ResolvePolicies(const PolicyScenario& s, const std::string& list) {
  std::vector<PolicySpec> out;
  if (list.empty()) {
    out.push_back(s.base);
    for (const auto& p : s.named) out.push_back(p);
    return out;
  }
  size_t start = 0;
  while (start <= list.size()) {
    const size_t end = std::min(list.find(',', start), list.size());
    const std::string item = list.substr(start, end - start);
    start = end + 1;
    if (item.empty()) throw InputError("empty policy in --policies '" + list + "'");
    auto named = std::find_if(s.named.begin(), s.named.end(),
                              [&](const PolicySpec& p) { return p.label == item; });
    PolicySpec spec = named != s.named.end() ? *named : ParsePolicyItem(item, s.base);
    for (const auto& p : out) {
      if (p.label == spec.label) throw InputError("policy '" + item + "' is listed twice");
    }
    BuildPolicy(spec);
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace fleetsim
