#include "scenarios/study/sizing.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <sstream>

#include "models/pricing/cost_model.h"
#include "models/workload/lengths.h"
#include "models/workload/rate_profile.h"
#include "scenarios/replica_binding.h"
#include "scenarios/study/ranks.h"
#include "sim/config/config.h"
#include "sim/config/config_error.h"
#include "sim/units.h"

namespace fleetsim {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::string Fmt(const char* f, double v) {
  char b[96];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::string LastComponent(const std::string& key) {
  const auto dot = key.rfind('.');
  return dot == std::string::npos ? key : key.substr(dot + 1);
}

// The cost of holding each pool's minimum for the whole run, with no GPU busy: a lower bound
// of what the run costs (it holds at least that, and busy power is at least idle power).
double CostLowerBound(const Scenario& sc) {
  CostModel model;
  const SimTime end = SimTime::Zero() + sc.duration;
  for (const auto& p : sc.pools) {
    if (!p.cloud) {
      model.AddOwnedPool(p.owned_pool);
      continue;
    }
    const auto id = model.AddCloudPool(p.cloud_pool);
    int64_t gpus = 0;
    for (const auto& s : sc.services) {
      if (s.pool != p.name) continue;
      const int64_t min = s.autoscale ? s.autoscale->min_replicas : s.config.replicas;
      gpus += min * s.GpusPerReplica();
    }
    for (const auto& j : sc.training_jobs) {
      if (j.pool == p.name) gpus += j.layout.Gpus();
    }
    const int64_t per = std::max<int64_t>(1, p.cloud_pool.gpus_per_instance);
    int64_t instances = (gpus + per - 1) / per;
    instances -= std::min(instances, p.cloud_pool.committed_instances);  // paid anyway
    for (int64_t i = 0; i < instances && model.CanProvision(id, SimTime::Zero()); ++i) {
      model.OnProvision(id, SimTime::Zero());
    }
  }
  return model.Total(end).total_usd();
}

// The analytic checks of one service; returns "" when it passes, else the reason.
std::string CheckService(const ServiceSpec& spec, const Scenario& sc, bool latency_target,
                         SizingCandidate& c) {
  const ReplicaLayout layout = LayoutOf(spec);
  BoundReplica bound;
  try {
    bound = BindReplica(layout);
  } catch (const InputError& e) {
    return std::string("memory: service '") + spec.name + "': " + e.what();
  }
  if (const PricedPool* pool = FindPool(sc, spec.pool);
      pool && spec.tensor_parallel > pool->gpus_per_unit) {
    return "network: service '" + spec.name + "': tensor parallel " +
           std::to_string(spec.tensor_parallel) + " spans instances of " +
           std::to_string(pool->gpus_per_unit) + " GPU" + (pool->gpus_per_unit == 1 ? "" : "s") +
           " (tensor parallelism over the data-centre network is not modelled)";
  }
  if (!spec.demand || !spec.demand->IsMap()) return "";
  auto arrivals = spec.demand->Find("arrivals");
  if (!arrivals || !arrivals->IsMap() || !arrivals->Has("rate")) return "";
  MapReader ar(*arrivals);
  const RateProfile profile = RateProfile::FromConfig(*arrivals, ar);
  const double prompt = ReadLengthDistribution(spec.demand->Get("prompt_tokens"))->Mean();
  const double output =
      std::max(1.0, ReadLengthDistribution(spec.demand->Get("output_tokens"))->Mean());
  // Decode roofline: the largest batch that fits, at the shortest context.
  const double kv_batch = std::floor(static_cast<double>(bound.kv_capacity_tokens) / (prompt + 1));
  const double max_batch = static_cast<double>(spec.config.batching.max_batch);
  const int64_t b = static_cast<int64_t>(std::max(1.0, std::min(max_batch, kv_batch)));
  c.kv_limited = kv_batch < max_batch;
  IterationShape one, full;
  one.decode_seqs = 1;
  one.decode_context_tokens = static_cast<int64_t>(prompt);
  full.decode_seqs = b;
  full.decode_context_tokens = b * static_cast<int64_t>(prompt);
  const double t1 = bound.iteration_time->Seconds(one);
  const double tb = bound.iteration_time->Seconds(full);
  // A step of b sequences that costs less than twice a step of one reads mostly weights.
  c.roofline = tb < 2 * t1 ? "bandwidth" : "compute";
  const double per_replica = static_cast<double>(b) / tb / output;  // requests/s
  int64_t replicas = spec.autoscale ? spec.autoscale->max_replicas : spec.config.replicas;
  if (const PricedPool* pool = FindPool(sc, spec.pool); pool && pool->max_units > 0) {
    replicas = std::min(replicas, pool->max_units * pool->gpus_per_unit / spec.GpusPerReplica());
  }
  const double horizon = sc.duration.seconds();
  // The highest mean rate over any hour (the whole run if shorter): the rate sampled each
  // minute (at its midpoint), averaged over a sliding window of 60 samples.
  const double step = std::min(60.0, horizon);
  std::vector<double> rate;
  for (double t = 0; t < horizon; t += step) rate.push_back(profile.RateAt(t + 0.5 * step));
  const size_t w = std::min<size_t>(rate.size(), static_cast<size_t>(std::max(1.0, 3600.0 / step)));
  double sum = 0, peak = 0;
  for (size_t i = 0; i < rate.size(); ++i) {
    sum += rate[i];
    if (i >= w) sum -= rate[i - w];
    if (i + 1 >= w) peak = std::max(peak, sum / static_cast<double>(w));
  }
  const double capacity = static_cast<double>(replicas) * per_replica;
  if (latency_target && peak > capacity) {
    return std::string("capacity: service '") + spec.name + "': peak-hour demand " +
           Fmt("%.3g", peak) + " requests/s x " + Fmt("%.0f", output) +
           " output tokens exceeds the decode roofline of " + std::to_string(replicas) +
           " replicas, " + Fmt("%.3g", capacity) + " requests/s (" + c.roofline +
           (c.kv_limited ? ", batch limited by KV memory" : "") + ")";
  }
  return "";
}

std::string Percent(double f) { return Fmt("%.2f %%", 100 * f); }

void Judge(SizingCandidate& c, const SizingTargets& t) {
  const ScenarioOutcome& o = c.outcome;
  std::vector<std::string> fails;
  c.margins.clear();
  if (o.status == "stalled") {
    c.verdict = "stalled";
    c.reason = "the simulation stalled";
    return;
  }
  if (t.slo_attainment) {
    const double m = o.slo_attainment - *t.slo_attainment;
    c.margins.push_back("slo " + Percent(o.slo_attainment) + " (" + Fmt("%+.2f", 100 * m) +
                        " points vs " + Percent(*t.slo_attainment) + ")");
    if (m < 0)
      fails.push_back("SLO attainment " + Percent(o.slo_attainment) + " < " +
                      Percent(*t.slo_attainment));
  }
  auto latency = [&](const char* name, double v, const std::optional<double>& target) {
    if (!target) return;
    const double m = (*target - v) / *target;
    c.margins.push_back(std::string(name) + " " + Fmt("%.3g s", v) + " (" + Fmt("%.0f", 100 * m) +
                        " % under " + Fmt("%.3g s", *target) + ")");
    if (v > *target)
      fails.push_back(std::string(name) + " " + Fmt("%.3g s", v) + " > " + Fmt("%.3g s", *target));
  };
  latency("ttft_p99", o.ttft_p99_s, t.ttft_p99_s);
  latency("tpot_p99", o.tpot_p99_s, t.tpot_p99_s);
  if (t.training_deadline_s) {
    const double m = (*t.training_deadline_s - o.training_s) / *t.training_deadline_s;
    c.margins.push_back("training " +
                        (std::isfinite(o.training_s) ? Fmt("%.3g d", o.training_s / 86400)
                                                     : std::string("not finished")) +
                        " (" + Fmt("%.0f", 100 * m) + " % before the deadline)");
    if (!(o.training_s <= *t.training_deadline_s))
      fails.push_back("training not done by the deadline");
  }
  if (t.budget_usd) {
    const double m = (*t.budget_usd - o.cost_usd) / *t.budget_usd;
    c.margins.push_back("cost " + FormatUsd(o.cost_usd) + " (" + Fmt("%.0f", 100 * m) +
                        " % under the budget)");
    if (o.cost_usd > *t.budget_usd)
      fails.push_back("cost " + FormatUsd(o.cost_usd) + " over the budget");
  }
  if (!fails.empty()) {
    c.verdict = "fails";
    c.reason.clear();
    for (size_t i = 0; i < fails.size(); ++i) c.reason += (i ? "; " : "") + fails[i];
    return;
  }
  c.verdict = "feasible";
  // What binds: the resource closest to its limit.
  std::vector<std::string> b;
  if (o.shortfalls > 0)
    b.push_back("capacity (" + std::to_string(o.shortfalls) + " replicas refused by the pool cap)");
  if (o.at_max_replicas) b.push_back("capacity (autoscaling reached its maximum)");
  if (o.preemptions > 0 || c.kv_limited) {
    b.push_back("memory (KV cache: " + std::to_string(o.preemptions) + " preemptions" +
                (c.kv_limited ? ", batch limited by KV capacity" : "") + ")");
  }
  if (o.memory_fraction > 0.9)
    b.push_back("memory (" + Percent(o.memory_fraction) + " of GPU memory)");
  if (o.comm_share > 0.3)
    b.push_back("network (" + Percent(o.comm_share) + " of an iteration exposed communication)");
  if (!c.roofline.empty()) {
    b.push_back((c.roofline == "bandwidth" ? "bandwidth" : "compute") + std::string(" (replicas ") +
                Percent(o.busy_fraction) + " busy; decode is " + c.roofline + "-bound)");
  } else if (!o.summary["training_jobs"].empty()) {
    b.push_back("compute (training)");
  }
  c.binds.clear();
  for (size_t i = 0; i < b.size(); ++i) c.binds += (i ? "; " : "") + b[i];
}

}  // namespace

SizingSpec LoadSizing(const std::string& path, const std::vector<std::string>& overrides) {
  const auto doc = ConfigDocument::LoadFile(path, overrides);
  const ConfigNode root = doc->Root();
  auto node = root.Find("sizing");
  if (!node) {
    root.Fail(
        "no 'sizing:' section: `fleetsim size` needs the search space and the targets "
        "(docs/compare-and-size.md shows one)");
  }
  SizingSpec s;
  MapReader r(*node);
  auto vary = r.Required("vary");
  if (vary.size() == 0) vary.Fail("give at least one dimension to vary");
  size_t total = 1;
  for (const auto& item : vary.Items()) {
    MapReader vr(item);
    SizingDimension d;
    auto key = vr.Optional("key");
    auto options = vr.Optional("options");
    if (key.has_value() == options.has_value()) {
      item.Fail("a dimension has either 'key' with 'values' or 'range', or 'name' with 'options'");
    }
    if (key) {
      const std::string k = key->AsString();
      d.name = LastComponent(k);
      if (auto n = vr.Optional("name")) d.name = n->AsString();
      auto values = vr.Optional("values");
      auto range = vr.Optional("range");
      if (values.has_value() == range.has_value()) {
        item.Fail("give either 'values: [...]' or 'range: {from, to, step}' for '" + k + "'");
      }
      if (values) {
        for (const auto& v : values->Items()) {
          const std::string text = v.AsString();
          d.options.push_back({d.name + "=" + text, {k + "=" + text}});
        }
      } else {
        MapReader rr(*range);
        auto from = rr.Required("from");
        auto to = rr.Required("to");
        const int64_t a = from.AsInt(), z = to.AsInt();
        int64_t step = 1;
        if (auto st = rr.Optional("step")) {
          step = st->AsInt();
          if (step < 1) st->Fail("step must be at least 1");
        }
        if (z < a) to.Fail("'to' must not be below 'from'");
        rr.Finish();
        for (int64_t v = a; v <= z; v += step) {
          d.options.push_back({d.name + "=" + std::to_string(v), {k + "=" + std::to_string(v)}});
        }
      }
      if (d.options.empty()) item.Fail("no values");
    } else {
      d.name = vr.Required("name").AsString();
      for (const auto& o : options->Items()) {
        MapReader orr(o);
        SizingOption opt;
        opt.label = d.name + "=" + orr.Required("name").AsString();
        auto set = orr.Required("set");
        for (const auto& v : set.Items()) {
          const std::string text = v.AsString();
          if (text.find('=') == std::string::npos) {
            v.Fail("an override is \"key.path=value\", e.g. \"pools[0].cloud=aws-p5-h100-2026\"");
          }
          opt.overrides.push_back(text);
        }
        orr.Finish();
        d.options.push_back(opt);
      }
      if (d.options.empty()) options->Fail("give at least one option");
    }
    vr.Finish();
    total *= d.options.size();
    if (total > 100000) item.Fail("the search space has more than 100,000 candidates");
    s.dims.push_back(std::move(d));
  }
  auto targets = r.Required("targets");
  MapReader tr(targets);
  if (auto n = tr.Optional("slo_attainment")) {
    const double v = n->AsQuantity(dim::kNumber);
    if (!(v > 0 && v <= 1)) n->Fail("slo_attainment is a fraction above 0 and at most 100 %");
    s.targets.slo_attainment = v;
  }
  auto positive = [](const ConfigNode& n, double v, const char* what) {
    if (!(v > 0)) n.Fail(std::string(what) + " must be greater than zero");
    return v;
  };
  if (auto n = tr.Optional("ttft_p99"))
    s.targets.ttft_p99_s = positive(*n, n->AsQuantity(dim::kSeconds), "ttft_p99");
  if (auto n = tr.Optional("tpot_p99"))
    s.targets.tpot_p99_s = positive(*n, n->AsQuantity(dim::kSeconds), "tpot_p99");
  if (auto n = tr.Optional("training_deadline")) {
    s.targets.training_deadline_s = positive(*n, n->AsQuantity(dim::kSeconds), "training_deadline");
  }
  if (auto n = tr.Optional("budget"))
    s.targets.budget_usd = positive(*n, n->AsQuantity(dim::kUsd), "budget");
  tr.Finish();
  if (!s.targets.latency() && !s.targets.training_deadline_s && !s.targets.budget_usd) {
    targets.Fail(
        "give at least one target: slo_attainment, ttft_p99, tpot_p99, training_deadline, budget");
  }
  if (auto n = r.Optional("keep")) {
    const int64_t k = n->AsInt();
    if (k < 1 || k > 1000) n->Fail("keep must be between 1 and 1,000");
    s.keep = static_cast<int>(k);
  }
  r.Finish();
  return s;
}

SizingResult RunSizing(const std::string& path, const std::vector<std::string>& overrides,
                       const SizingSpec& spec, const SizingOptions& opt) {
  SizingResult res;
  res.spec = spec;
  size_t total = 1;
  for (const auto& d : spec.dims) total *= d.options.size();
  res.candidates.resize(total);
  std::vector<Scenario> scenarios(total);
  std::vector<char> loaded(total, 0);
  const Ranks& ranks = Ranks::World();
  // Enumerate: the last dimension varies fastest.
  for (size_t i = 0; i < total; ++i) {
    SizingCandidate& c = res.candidates[i];
    c.index = i;
    size_t rest = i;
    std::vector<size_t> choice(spec.dims.size());
    for (size_t d = spec.dims.size(); d-- > 0;) {
      choice[d] = rest % spec.dims[d].options.size();
      rest /= spec.dims[d].options.size();
    }
    c.overrides = overrides;
    for (size_t d = 0; d < spec.dims.size(); ++d) {
      const SizingOption& o = spec.dims[d].options[choice[d]];
      c.label += (d ? " " : "") + o.label;
      c.overrides.insert(c.overrides.end(), o.overrides.begin(), o.overrides.end());
    }
  }
  // Load and bound, in parallel, each slot its own; across MPI ranks, candidate i on rank
  // i % ranks, then exchanged.
  std::vector<size_t> own;
  for (size_t i = 0; i < total; ++i) {
    if (ranks.mine(i)) own.push_back(i);
  }
  ParallelFor(own.size(), opt.threads, [&](size_t k) {
    const size_t i = own[k];
    SizingCandidate& c = res.candidates[i];
    try {
      scenarios[i] = LoadScenario(path, c.overrides);
      loaded[i] = 1;
    } catch (const InputError& e) {
      c.verdict = "invalid";
      c.reason = e.Format();
      return;
    }
    const Scenario& sc = scenarios[i];
    c.cost_lower_bound_usd = CostLowerBound(sc);
    for (const auto& s : sc.services) {
      std::string why;
      try {
        why = CheckService(s, sc, spec.targets.latency(), c);
      } catch (const InputError& e) {
        why = e.what();
      }
      if (why.empty()) continue;
      if (opt.prune || why.rfind("memory", 0) == 0) {
        c.verdict = "pruned";
        c.reason = why;
        return;
      }
    }
    if (opt.prune && spec.targets.budget_usd && c.cost_lower_bound_usd > *spec.targets.budget_usd) {
      c.verdict = "pruned";
      c.reason =
          "budget: holding the minimum fleet costs at least " + FormatUsd(c.cost_lower_bound_usd);
    }
  });
  if (ranks.size() > 1) {
    std::vector<std::string> items(total);
    for (size_t i : own) {
      const auto& c = res.candidates[i];
      items[i] = nlohmann::json{{"v", c.verdict},
                                {"r", c.reason},
                                {"lb", c.cost_lower_bound_usd},
                                {"roof", c.roofline},
                                {"kv", c.kv_limited}}
                     .dump();
    }
    ranks.Exchange(items);
    for (size_t i = 0; i < total; ++i) {
      if (ranks.mine(i)) continue;
      const auto j = nlohmann::json::parse(items[i]);
      auto& c = res.candidates[i];
      c.verdict = j["v"];
      c.reason = j["r"];
      c.cost_lower_bound_usd = j["lb"];
      c.roofline = j["roof"];
      c.kv_limited = j["kv"];
    }
  }
  // Survivors by cost lower bound (then index), simulated batch by batch.
  std::vector<size_t> order;
  for (size_t i = 0; i < total; ++i) {
    if (res.candidates[i].verdict.empty()) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return res.candidates[a].cost_lower_bound_usd < res.candidates[b].cost_lower_bound_usd;
  });
  std::vector<std::pair<double, size_t>> feasible;  // (cost, index), kept sorted
  const double budget = spec.targets.budget_usd.value_or(kInf);
  for (size_t start = 0, end = 0; start < order.size(); start = end) {
    // Until `keep` feasible are known, a batch is as large as the shortfall (at least 2), so
    // that no more runs start than could be needed; then kSizingBatch.
    const size_t need =
        static_cast<size_t>(spec.keep) - std::min(feasible.size(), static_cast<size_t>(spec.keep));
    const size_t size = !opt.prune ? kSizingBatch
                        : need > 0 ? std::max<size_t>(2, need)
                                   : kSizingBatch;
    end = std::min(order.size(), start + size);
    // The keep-th best so far: (cost, index). A candidate ranks below it if its cost is
    // higher, or equal with a later index.
    const bool full = opt.prune && feasible.size() >= static_cast<size_t>(spec.keep);
    const double bar = full ? feasible[static_cast<size_t>(spec.keep) - 1].first : kInf;
    const size_t bar_index = full ? feasible[static_cast<size_t>(spec.keep) - 1].second : 0;
    std::vector<size_t> batch;
    for (size_t k = start; k < end; ++k) {
      SizingCandidate& c = res.candidates[order[k]];
      if (c.cost_lower_bound_usd > bar ||
          (full && c.cost_lower_bound_usd == bar && c.index > bar_index)) {
        c.verdict = "pruned";
        c.reason = "cost: at least " + FormatUsd(c.cost_lower_bound_usd) + ", above the " +
                   std::to_string(spec.keep) + "th best so far (" + FormatUsd(bar) +
                   ", or equal to it and listed later)";
        continue;
      }
      batch.push_back(order[k]);
    }
    const double limit = opt.prune ? std::min(bar, budget) : kInf;
    std::vector<size_t> mine;  // positions in the batch this rank runs
    for (size_t k = 0; k < batch.size(); ++k) {
      if (ranks.mine(k)) mine.push_back(k);
    }
    ParallelFor(mine.size(), opt.threads, [&](size_t m) {
      const size_t k = mine[m];
      SizingCandidate& c = res.candidates[batch[k]];
      if (!loaded[batch[k]]) {  // bounded on another rank: the same load gives the same scenario
        scenarios[batch[k]] = LoadScenario(path, c.overrides);
        loaded[batch[k]] = 1;
      }
      const Scenario& sc = scenarios[batch[k]];
      // SLO misses never decrease: once more than (1 - target) x arrivals have missed, the
      // candidate fails whatever the rest of the run does.
      std::optional<uint64_t> allowed;
      if (opt.prune && spec.targets.slo_attainment) {
        const double arrivals = static_cast<double>(CountArrivals(sc));
        allowed =
            static_cast<uint64_t>(std::floor((1 - *spec.targets.slo_attainment) * arrivals + 1e-9));
      }
      bool slo_stop = false;
      double stopped_at_s = 0;
      std::function<bool(const RunProgress&)> stop;
      if (std::isfinite(limit) || allowed) {
        stop = [limit, allowed, &slo_stop, &stopped_at_s](const RunProgress& p) {
          stopped_at_s = p.now.seconds();
          if (allowed && p.slo_missed > *allowed) return slo_stop = true;
          return p.cost_usd > limit;
        };
      }
      c.outcome = RunInProcess(sc, stop);
      c.simulated = true;
      if (c.outcome.status == "stopped" && slo_stop) {
        c.verdict = "fails";
        c.reason = "SLO attainment: more than " + std::to_string(*allowed) +
                   " requests missed their SLOs by " +
                   FormatDuration(Duration::FromSeconds(stopped_at_s)) + ", so fewer than " +
                   Percent(*spec.targets.slo_attainment) + " can meet them (run stopped there)";
        return;
      }
      if (c.outcome.status == "stopped") {
        c.verdict = "stopped";
        c.reason = "cost passed " + FormatUsd(limit) + " at " +
                   FormatDuration(Duration::FromSeconds(stopped_at_s)) + " into the run";
        return;
      }
      Judge(c, spec.targets);
    });
    if (ranks.size() > 1) {
      std::vector<std::string> items(batch.size());
      for (size_t k : mine) {
        const auto& c = res.candidates[batch[k]];
        items[k] = nlohmann::json{{"v", c.verdict},
                                  {"r", c.reason},
                                  {"m", c.margins},
                                  {"b", c.binds},
                                  {"s", c.outcome.summary.dump()}}
                       .dump();
      }
      ranks.Exchange(items);
      for (size_t k = 0; k < batch.size(); ++k) {
        if (ranks.mine(k)) continue;
        const auto j = nlohmann::json::parse(items[k]);
        auto& c = res.candidates[batch[k]];
        c.verdict = j["v"];
        c.reason = j["r"];
        c.margins = j["m"].get<std::vector<std::string>>();
        c.binds = j["b"];
        c.outcome = OutcomeFromSummary(nlohmann::ordered_json::parse(j["s"].get<std::string>()));
        c.simulated = true;
      }
    }
    for (size_t i : batch) {
      if (res.candidates[i].verdict == "feasible") {
        feasible.emplace_back(res.candidates[i].outcome.cost_usd, i);
      }
    }
    // Cheapest first; equal costs (whole instances are billed) in the order of the search
    // space, so values listed first are preferred.
    std::sort(feasible.begin(), feasible.end());
  }
  for (size_t k = 0; k < feasible.size() && k < static_cast<size_t>(spec.keep); ++k) {
    res.best.push_back(feasible[k].second);
  }
  for (const auto& c : res.candidates) {
    res.simulated += c.simulated ? 1 : 0;
    res.pruned += c.verdict == "pruned" ? 1 : 0;
    res.stopped += c.verdict == "stopped" ? 1 : 0;
  }
  for (auto& c : res.candidates) scenarios[c.index] = Scenario{};
  return res;
}

std::string FormatSizing(const SizingResult& r) {
  std::ostringstream os;
  std::map<std::string, size_t> counts;
  for (const auto& c : r.candidates) counts[c.verdict]++;
  os << "size: " << r.candidates.size() << " candidates; " << r.simulated << " simulated";
  for (const auto& [v, n] : counts) os << ", " << n << " " << v;
  os << "\n";
  if (r.best.empty()) {
    os << "no candidate meets the targets. Closest failures:\n";
    size_t shown = 0;
    for (const auto& c : r.candidates) {
      if (c.verdict != "fails" || shown++ >= 5) continue;
      os << "  " << c.label << ": " << c.reason << "\n";
    }
    return os.str();
  }
  os << "best " << r.best.size() << " (cheapest first):\n";
  int rank = 1;
  for (size_t i : r.best) {
    const auto& c = r.candidates[i];
    os << "  " << rank++ << ". " << c.label << "  " << FormatUsd(c.outcome.cost_usd) << "\n";
    for (const auto& m : c.margins) os << "       " << m << "\n";
    if (!c.binds.empty()) os << "       binds: " << c.binds << "\n";
  }
  return os.str();
}

std::string SizingCandidatesCsv(const SizingResult& r) {
  std::ostringstream os;
  os << "index,candidate,verdict,cost_lower_bound_usd,simulated,cost_usd,slo_attainment,"
        "ttft_p99_s,tpot_p99_s,training_s,reason\n";
  auto q = [](const std::string& s) {
    std::string o = "\"";
    for (char ch : s) o += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    return o + "\"";
  };
  for (const auto& c : r.candidates) {
    os << c.index << "," << q(c.label) << "," << c.verdict << ","
       << Fmt("%.6f", c.cost_lower_bound_usd) << "," << (c.simulated ? 1 : 0) << ",";
    if (c.simulated) {
      os << Fmt("%.6f", c.outcome.cost_usd) << "," << Fmt("%.6f", c.outcome.slo_attainment) << ","
         << Fmt("%.6f", c.outcome.ttft_p99_s) << "," << Fmt("%.6f", c.outcome.tpot_p99_s) << ","
         << (std::isfinite(c.outcome.training_s) ? Fmt("%.3f", c.outcome.training_s) : "inf");
    } else {
      os << ",,,,";
    }
    os << "," << q(c.verdict == "feasible" ? c.binds : c.reason) << "\n";
  }
  return os.str();
}

PolicyComparison SizingComparison(const SizingResult& r) {
  PolicyComparison c;
  c.heading = "fleetsim size";
  c.item = "candidate";
  c.items = "candidates";
  c.title = r.scenario;
  c.seeds = 1;
  std::vector<size_t> shown = r.best;
  if (shown.empty()) {
    for (size_t i = 0; i < r.candidates.size(); ++i) {
      if (r.candidates[i].simulated) shown.push_back(i);
    }
    std::stable_sort(shown.begin(), shown.end(), [&](size_t a, size_t b) {
      return r.candidates[a].outcome.cost_usd < r.candidates[b].outcome.cost_usd;
    });
    if (shown.size() > static_cast<size_t>(r.spec.keep)) shown.resize(r.spec.keep);
    c.note = "No candidate meets the targets: the cheapest simulated ones.";
  } else {
    c.note = "The cheapest candidates that meet the targets, cheapest first.";
  }
  for (size_t i : shown) c.labels.push_back(r.candidates[i].label);
  if (c.title.empty() && !shown.empty()) {
    const auto& summary = r.candidates[shown[0]].outcome.summary;
    if (summary.contains("scenario") && summary["scenario"].is_string()) {
      c.title = summary["scenario"].get<std::string>();
    }
  }
  auto metric = [&](const char* key, const char* title, const char* unit, bool higher,
                    double (*get)(const ScenarioOutcome&)) {
    PolicyComparison::Metric m;
    m.key = key;
    m.title = title;
    m.unit = unit;
    m.higher_is_better = higher;
    for (size_t i : shown) {
      m.mean.push_back(get(r.candidates[i].outcome));
      m.ci95.push_back(std::nan(""));
    }
    c.metrics.push_back(m);
  };
  metric("cost_usd", "cost", "USD", false, [](const ScenarioOutcome& o) { return o.cost_usd; });
  metric("slo_attainment", "SLO attainment", "fraction", true,
         [](const ScenarioOutcome& o) { return o.slo_attainment; });
  metric("ttft_p99_s", "TTFT p99", "s", false,
         [](const ScenarioOutcome& o) { return o.ttft_p99_s; });
  metric("tpot_p99_s", "TPOT p99", "s", false,
         [](const ScenarioOutcome& o) { return o.tpot_p99_s; });
  metric("busy_fraction", "busiest replica, busy", "fraction", false,
         [](const ScenarioOutcome& o) { return o.busy_fraction; });
  return c;
}

}  // namespace fleetsim
