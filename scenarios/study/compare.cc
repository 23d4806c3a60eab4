#include "scenarios/study/compare.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "models/pricing/tco.h"
#include "sim/config/config.h"
#include "sim/config/config_error.h"
#include "sim/units.h"

namespace fleetsim {

namespace {

std::string Dir(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  return parent.empty() ? std::string() : parent.string() + "/";
}

std::string Resolve(const std::string& base_file, const std::string& p) {
  return !p.empty() && p[0] == '/' ? p : Dir(base_file) + p;
}

std::vector<std::string> ReadSetList(const ConfigNode& node) {
  std::vector<std::string> out;
  for (const auto& item : node.Items()) {
    const std::string s = item.AsString();
    if (s.find('=') == std::string::npos) {
      item.Fail("an override is \"key.path=value\", e.g. \"services[0].replicas=4\"");
    }
    out.push_back(s);
  }
  return out;
}

std::string Fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

}  // namespace

Study LoadStudy(const std::string& path, const std::vector<std::string>& overrides) {
  const auto doc = ConfigDocument::LoadFile(path);
  const ConfigNode root = doc->Root();
  MapReader r(root);
  Study s;
  s.file = path;
  s.name = r.Required("name").AsString();
  if (auto d = r.Optional("description")) s.description = d->AsString();
  std::string scenario;
  if (auto n = r.Optional("scenario")) scenario = Resolve(path, n->AsString());
  if (auto n = r.Optional("months")) {
    const int64_t m = n->AsInt();
    if (m < 1 || m > 600) n->Fail("months must be between 1 and 600 (50 years)");
    s.months = static_cast<int>(m);
  }
  if (auto n = r.Optional("window")) {
    s.window_s = n->AsDuration().seconds();
    if (!(*s.window_s > 0)) n->Fail("window must be greater than zero");
    if (*s.window_s > kSecondsPerMonth) n->Fail("window must not be longer than a month (730 h)");
  }
  if (auto n = r.Optional("every")) {
    const int64_t e = n->AsInt();
    if (e < 1 || e > s.months) {
      n->Fail("every must be between 1 and months (" + std::to_string(s.months) + ")");
    }
    s.every = static_cast<int>(e);
  }
  if (auto n = r.Optional("growth")) {
    s.growth_per_month = n->AsQuantity(dim::kNumber);
    if (!(s.growth_per_month > -1.0)) n->Fail("growth must be above -100 % per month");
  }
  std::vector<std::string> common;
  if (auto n = r.Optional("set")) common = ReadSetList(*n);
  common.insert(common.end(), overrides.begin(), overrides.end());
  auto plans = r.Required("plans");
  if (plans.size() < 1) plans.Fail("give at least one plan");
  std::set<std::string> names;
  for (const auto& item : plans.Items()) {
    MapReader pr(item);
    StudyPlan p;
    p.name = pr.Required("name").AsString();
    if (!names.insert(p.name).second)
      pr.Required("name").Fail("plan name '" + p.name + "' is used twice");
    p.scenario = scenario;
    if (auto n = pr.Optional("scenario")) p.scenario = Resolve(path, n->AsString());
    if (p.scenario.empty()) {
      item.Fail("plan '" + p.name +
                "' has no scenario: give 'scenario: FILE' in the plan or at the top");
    }
    p.overrides = common;
    if (auto n = pr.Optional("set")) {
      const auto own = ReadSetList(*n);
      p.overrides.insert(p.overrides.end(), own.begin(), own.end());
    }
    pr.Ignore("note");
    pr.Finish();
    s.plans.push_back(std::move(p));
  }
  r.Finish();
  return s;
}

Study StudyFromScenarios(const std::vector<std::string>& files,
                         const std::vector<std::string>& overrides) {
  Study s;
  std::set<std::string> names;
  for (const auto& f : files) {
    const Scenario sc = LoadScenario(f, overrides);
    if (!names.insert(sc.name).second) {
      throw InputError("two plans are named '" + sc.name + "' (" + f +
                       "): give each scenario its own name, or use a study file");
    }
    s.plans.push_back({sc.name, f, overrides});
  }
  s.name = "plans";
  for (const auto& p : s.plans) s.name += "-" + p.name;
  s.file = files.front();
  return s;
}

std::optional<double> CrossingMonth(const std::vector<double>& a, const std::vector<double>& b,
                                    int* crossings) {
  const size_t n = std::min(a.size(), b.size());
  auto sign = [](double d) { return d > 0 ? 1 : d < 0 ? -1 : 0; };
  std::optional<double> first;
  int count = 0;
  int s0 = 0;
  size_t k0 = 0;
  for (; k0 < n; ++k0) {
    if (sign(a[k0] - b[k0]) != 0) break;
  }
  if (k0 < n) s0 = sign(a[k0] - b[k0]);
  int current = s0;
  for (size_t k = k0 + 1; k < n; ++k) {
    const double d0 = a[k - 1] - b[k - 1], d1 = a[k] - b[k];
    const int s = sign(d1);
    if (s == current) continue;
    if (s == 0) {  // touching at a boundary: a cost no more than b from here
      if (!first) first = static_cast<double>(k);
      continue;
    }
    ++count;  // the sign changed from the last non-zero one
    if (!first) first = static_cast<double>(k - 1) + (d0 != d1 ? d0 / (d0 - d1) : 1.0);
    current = s;
  }
  if (first && count == 0) count = 1;  // ended touching
  if (crossings) *crossings = count;
  return first;
}

StudyResult RunStudy(const Study& study, int threads) {
  const int M = study.months;
  std::vector<int> sim_months;
  for (int m = 0; m < M; m += study.every) sim_months.push_back(m);
  if (sim_months.back() != M - 1) sim_months.push_back(M - 1);
  // With no growth every month's window is the same run: simulate it once.
  if (study.growth_per_month == 0) sim_months = {0};

  struct Task {
    size_t plan;
    int month;
    Scenario scenario;
    ScenarioOutcome outcome;
  };
  std::vector<Task> tasks;
  StudyResult result;
  result.name = study.name;
  result.description = study.description;
  result.months = M;
  std::vector<Scenario> bases;
  for (size_t p = 0; p < study.plans.size(); ++p) {
    const auto& plan = study.plans[p];
    std::vector<std::string> ov = plan.overrides;
    if (study.window_s) ov.push_back("duration=" + Fmt("%.17g s", *study.window_s));
    Scenario base = LoadScenario(plan.scenario, ov);
    // The rates that growth scales.
    std::vector<std::pair<size_t, double>> rates;
    for (size_t i = 0; i < base.services.size(); ++i) {
      const auto& d = base.services[i].demand;
      if (!d || !d->IsMap()) continue;
      auto arr = d->Find("arrivals");
      auto rate = arr && arr->IsMap() ? arr->Find("rate") : std::nullopt;
      if (!rate) {
        if (study.growth_per_month != 0) {
          throw InputError(study.file +
                           ": growth needs every service's demand.arrivals.rate; service '" +
                           base.services[i].name + "' of plan '" + plan.name +
                           "' has none (a trace cannot be scaled)");
        }
        continue;
      }
      rates.emplace_back(i, rate->AsQuantity(dim::kPerSecond));
    }
    for (int m : sim_months) {
      std::vector<std::string> mo = ov;
      const double g = std::pow(1 + study.growth_per_month, m);
      if (study.growth_per_month != 0) {
        for (const auto& [i, r0] : rates) {
          mo.push_back("services[" + std::to_string(i) +
                       "].demand.arrivals.rate=" + Fmt("%.17g/s", r0 * g));
        }
      }
      tasks.push_back({p, m, LoadScenario(plan.scenario, mo), {}});
    }
    bases.push_back(std::move(base));
  }
  ParallelFor(tasks.size(), threads,
              [&](size_t i) { tasks[i].outcome = RunInProcess(tasks[i].scenario); });

  for (size_t p = 0; p < study.plans.size(); ++p) {
    StudyPlanResult pr;
    pr.name = study.plans[p].name;
    const Scenario& base = bases[p];
    pr.window_s = base.duration.seconds();
    pr.scale = kSecondsPerMonth / pr.window_s;
    // Simulated months of this plan, in order.
    std::map<int, const ScenarioOutcome*> at;
    for (const auto& t : tasks) {
      if (t.plan == p) at[t.month] = &t.outcome;
    }
    pr.windows_run = static_cast<int>(at.size());
    for (const auto& [m, o] : at) {
      if (o->status != "completed") {
        pr.warnings.push_back("month " + std::to_string(m + 1) + ": the window " + o->status);
      }
    }
    struct Raw {
      double accrual, running, arrived, met, tokens, ttft, kwh;
    };
    auto raw = [&](const ScenarioOutcome& o) {
      double dep = 0, j = 0;
      for (const auto& po : o.pools) {
        dep += po.capex_depreciation_usd;
        j += po.cloud ? po.it_energy_j : po.facility_energy_j;
      }
      const double k = pr.scale;
      return Raw{o.cost_usd * k,      (o.cost_usd - dep) * k, o.arrived * k, o.slo_met * k,
                 o.output_tokens * k, o.ttft_p99_s,           j * k / 3.6e6};
    };
    // Capex cash events at month boundaries 0..M.
    std::vector<double> events(M + 1, 0.0);
    const double horizon_s = M * kSecondsPerMonth;
    for (const auto& pool : base.pools) {
      if (pool.cloud) continue;
      const OwnedPool& o = pool.owned_pool;
      const double capex = static_cast<double>(o.servers) * o.capex_usd_per_server;
      for (int j = 0; j * o.depreciation_s < horizon_s; ++j) {
        const auto buy = static_cast<size_t>(std::llround(j * o.depreciation_s / kSecondsPerMonth));
        if (buy < static_cast<size_t>(M)) events[buy] += capex;
        const double end = (j + 1) * o.depreciation_s;
        const auto credit = static_cast<size_t>(std::llround(end / kSecondsPerMonth));
        if (end <= horizon_s + 1e-6 && credit <= static_cast<size_t>(M)) {
          events[credit] -= capex * o.residual_fraction;
        }
      }
    }
    pr.cumulative_cash_usd.assign(M + 1, 0.0);
    pr.cumulative_cash_usd[0] = events[0];
    double arrived = 0, met = 0, tokens = 0;
    for (int m = 0; m < M; ++m) {
      StudyMonth sm;
      sm.growth_factor = std::pow(1 + study.growth_per_month, m);
      Raw v;
      if (study.growth_per_month == 0) {
        v = raw(*at.begin()->second);
        sm.simulated = m == 0;
      } else if (auto it = at.find(m); it != at.end()) {
        v = raw(*it->second);
        sm.simulated = true;
      } else {
        auto hi = at.upper_bound(m);
        auto lo = std::prev(hi);
        const Raw a = raw(*lo->second), b = raw(*hi->second);
        const double w = static_cast<double>(m - lo->first) / (hi->first - lo->first);
        auto L = [w](double x, double y) { return x + w * (y - x); };
        v = Raw{L(a.accrual, b.accrual), L(a.running, b.running), L(a.arrived, b.arrived),
                L(a.met, b.met),         L(a.tokens, b.tokens),   L(a.ttft, b.ttft),
                L(a.kwh, b.kwh)};
      }
      sm.accrual_usd = v.accrual;
      sm.capex_cash_usd = events[m] + (m == M - 1 ? events[M] : 0.0);
      sm.cash_usd = v.running + sm.capex_cash_usd;
      sm.arrived = v.arrived;
      sm.slo_met = v.met;
      sm.output_tokens = v.tokens;
      sm.slo_attainment = v.arrived > 0 ? v.met / v.arrived : 1.0;
      sm.ttft_p99_s = v.ttft;
      sm.energy_kwh = v.kwh;
      pr.cumulative_cash_usd[m + 1] = pr.cumulative_cash_usd[m] + v.running + events[m + 1];
      pr.total_accrual_usd += v.accrual;
      pr.energy_kwh += v.kwh;
      arrived += v.arrived;
      met += v.met;
      tokens += v.tokens;
      pr.months.push_back(sm);
    }
    pr.total_cash_usd = pr.cumulative_cash_usd[M];
    pr.slo_attainment = arrived > 0 ? met / arrived : 1.0;
    pr.usd_per_1k_output_tokens = tokens > 0 ? pr.total_accrual_usd / (tokens / 1e3) : 0.0;
    result.plans.push_back(std::move(pr));
  }
  for (size_t i = 0; i < result.plans.size(); ++i) {
    for (size_t j = i + 1; j < result.plans.size(); ++j) {
      const auto* a = &result.plans[i];
      const auto* b = &result.plans[j];
      // a: the dearer at the start (the first boundary where they differ).
      for (int k = 0; k <= M; ++k) {
        const double d = a->cumulative_cash_usd[k] - b->cumulative_cash_usd[k];
        if (d == 0) continue;
        if (d < 0) std::swap(a, b);
        break;
      }
      BreakEvenPair be;
      be.a = a->name;
      be.b = b->name;
      be.month = CrossingMonth(a->cumulative_cash_usd, b->cumulative_cash_usd, &be.crossings);
      if (be.month) {
        be.text = be.a + " has cost no more than " + be.b + " (cumulative cash) from month " +
                  Fmt("%.1f", *be.month);
        if (be.crossings > 1)
          be.text += "; the curves cross " + std::to_string(be.crossings) + " times";
      } else {
        be.text = be.b + " stays cheaper than " + be.a + " over all " + std::to_string(M) +
                  " months: no break-even";
      }
      result.break_even.push_back(be);
    }
  }
  return result;
}

std::string FormatStudy(const StudyResult& r) {
  std::ostringstream os;
  os << "compare " << r.name << ": " << r.plans.size() << " plans over " << r.months << " months";
  if (!r.plans.empty()) {
    os << " (" << FormatDuration(Duration::FromSeconds(r.plans[0].window_s))
       << " simulated per month, costs x " << Fmt("%.1f", r.plans[0].scale) << ")";
  }
  os << "\n";
  char line[256];
  std::snprintf(line, sizeof line, "  %-24s %16s %16s %14s %14s %9s %12s %12s\n", "plan",
                "total cash", "total accrual", "month 1", "last month", "SLO met", "$/1k tok",
                "energy kWh");
  os << line;
  for (const auto& p : r.plans) {
    std::snprintf(
        line, sizeof line, "  %-24s %16s %16s %14s %14s %8.2f%% %12.5f %12.0f\n", p.name.c_str(),
        FormatUsd(p.total_cash_usd).c_str(), FormatUsd(p.total_accrual_usd).c_str(),
        FormatUsd(p.months.front().cash_usd).c_str(), FormatUsd(p.months.back().cash_usd).c_str(),
        100 * p.slo_attainment, p.usd_per_1k_output_tokens, p.energy_kwh);
    os << line;
    for (const auto& w : p.warnings) os << "    warning: " << w << "\n";
  }
  os << "break-even (cumulative cash, months):\n";
  for (const auto& b : r.break_even) os << "  " << b.text << "\n";
  return os.str();
}

std::string StudyPlansCsv(const StudyResult& r) {
  std::ostringstream os;
  os << "plan,total_cash_usd,total_accrual_usd,slo_attainment,usd_per_1k_output_tokens,"
        "energy_kwh,first_month_cash_usd,last_month_cash_usd,window_s,windows_simulated\n";
  for (const auto& p : r.plans) {
    os << p.name << "," << Fmt("%.6f", p.total_cash_usd) << "," << Fmt("%.6f", p.total_accrual_usd)
       << "," << Fmt("%.6f", p.slo_attainment) << "," << Fmt("%.8f", p.usd_per_1k_output_tokens)
       << "," << Fmt("%.6f", p.energy_kwh) << "," << Fmt("%.6f", p.months.front().cash_usd) << ","
       << Fmt("%.6f", p.months.back().cash_usd) << "," << Fmt("%.6f", p.window_s) << ","
       << p.windows_run << "\n";
  }
  return os.str();
}

std::string StudyMonthsCsv(const StudyResult& r) {
  std::ostringstream os;
  os << "plan,month,simulated,growth_factor,accrual_usd,cash_usd,capex_cash_usd,"
        "cumulative_cash_usd,requests,slo_attainment,ttft_p99_s,output_tokens,energy_kwh\n";
  for (const auto& p : r.plans) {
    for (size_t m = 0; m < p.months.size(); ++m) {
      const auto& x = p.months[m];
      os << p.name << "," << m + 1 << "," << (x.simulated ? 1 : 0) << ","
         << Fmt("%.6f", x.growth_factor) << "," << Fmt("%.6f", x.accrual_usd) << ","
         << Fmt("%.6f", x.cash_usd) << "," << Fmt("%.6f", x.capex_cash_usd) << ","
         << Fmt("%.6f", p.cumulative_cash_usd[m + 1]) << "," << Fmt("%.3f", x.arrived) << ","
         << Fmt("%.6f", x.slo_attainment) << "," << Fmt("%.6f", x.ttft_p99_s) << ","
         << Fmt("%.1f", x.output_tokens) << "," << Fmt("%.6f", x.energy_kwh) << "\n";
    }
  }
  return os.str();
}

std::string StudyBreakEvenCsv(const StudyResult& r) {
  std::ostringstream os;
  os << "dearer_at_start,cheaper_at_start,break_even_month,crossings\n";
  for (const auto& b : r.break_even) {
    os << b.a << "," << b.b << "," << (b.month ? Fmt("%.4f", *b.month) : std::string()) << ","
       << b.crossings << "\n";
  }
  return os.str();
}

std::string StudyCumulativeSvg(const StudyResult& r) {
  const double W = 720, H = 400, L = 90, R = 190, T = 40, B = 50;
  double ymax = 0;
  for (const auto& p : r.plans) {
    for (double v : p.cumulative_cash_usd) ymax = std::max(ymax, v);
  }
  if (!(ymax > 0)) ymax = 1;
  const char* colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << W << "\" height=\"" << H
     << "\" font-family=\"sans-serif\" font-size=\"12\">\n";
  os << "<text x=\"" << L << "\" y=\"20\" font-size=\"14\">" << r.name
     << ": cumulative cash (USD) by month</text>\n";
  auto x = [&](double m) { return L + (W - L - R) * m / std::max(1, r.months); };
  auto y = [&](double v) { return H - B - (H - T - B) * v / ymax; };
  os << "<line x1=\"" << L << "\" y1=\"" << H - B << "\" x2=\"" << W - R << "\" y2=\"" << H - B
     << "\" stroke=\"black\"/>\n<line x1=\"" << L << "\" y1=\"" << T << "\" x2=\"" << L
     << "\" y2=\"" << H - B << "\" stroke=\"black\"/>\n";
  for (int k = 0; k <= 4; ++k) {
    const double v = ymax * k / 4;
    os << "<text x=\"" << L - 5 << "\" y=\"" << y(v) + 4 << "\" text-anchor=\"end\">"
       << FormatUsd(v) << "</text>\n";
    const double m = r.months * k / 4.0;
    os << "<text x=\"" << x(m) << "\" y=\"" << H - B + 18 << "\" text-anchor=\"middle\">"
       << Fmt("%.0f", m) << "</text>\n";
  }
  os << "<text x=\"" << (L + W - R) / 2 << "\" y=\"" << H - 10
     << "\" text-anchor=\"middle\">month</text>\n";
  for (size_t p = 0; p < r.plans.size(); ++p) {
    const auto& pl = r.plans[p];
    const char* c = colours[p % 6];
    os << "<polyline fill=\"none\" stroke=\"" << c << "\" stroke-width=\"2\" points=\"";
    for (size_t k = 0; k < pl.cumulative_cash_usd.size(); ++k) {
      os << (k ? " " : "") << Fmt("%.1f", x(static_cast<double>(k))) << ","
         << Fmt("%.1f", y(pl.cumulative_cash_usd[k]));
    }
    os << "\"/>\n<text x=\"" << W - R + 8 << "\" y=\"" << T + 16 * (p + 1) << "\" fill=\"" << c
       << "\">" << pl.name << "</text>\n";
  }
  os << "</svg>\n";
  return os.str();
}

std::string StudyReportHtml(const StudyResult& r) {
  TimeSeriesTable ts;
  ts.columns.push_back("time_s");
  ts.values.emplace_back();
  for (int m = 0; m <= r.months; ++m) ts.values[0].push_back(m * kSecondsPerMonth);
  auto add = [&](const std::string& name, std::vector<double> v) {
    ts.columns.push_back(name);
    ts.values.push_back(std::move(v));
  };
  for (const auto& p : r.plans) {
    add(p.name + ".cumulative_cash_usd", p.cumulative_cash_usd);
  }
  for (const auto& p : r.plans) {
    std::vector<double> rate = {std::nan("")}, slo = {std::nan("")}, ttft = {std::nan("")};
    for (const auto& m : p.months) {
      rate.push_back(m.accrual_usd / 730.0);
      slo.push_back(m.slo_attainment);
      ttft.push_back(m.ttft_p99_s);
    }
    add(p.name + ".accrued_usd_per_h", rate);
    add(p.name + ".slo_attainment_fraction", slo);
    add(p.name + ".ttft_p99_s", ttft);
  }
  nlohmann::ordered_json summary;
  summary["report_title"] = "fleetsim compare: " + r.name + " (x axis: months of 730 h)";
  summary["scenario"] = r.name;
  summary["duration_s"] = r.months * kSecondsPerMonth;
  summary["services"] = nlohmann::ordered_json::array();
  summary["training_jobs"] = nlohmann::ordered_json::array();
  return RunReportHtml(summary, ts);
}

PolicyComparison StudyComparison(const StudyResult& r) {
  PolicyComparison c;
  c.heading = "fleetsim compare";
  c.item = "plan";
  c.items = "plans";
  c.title = r.name;
  c.seeds = 1;
  for (const auto& p : r.plans) c.labels.push_back(p.name);
  auto metric = [&](const char* key, const char* title, const char* unit, bool higher,
                    double (*get)(const StudyPlanResult&)) {
    PolicyComparison::Metric m;
    m.key = key;
    m.title = title;
    m.unit = unit;
    m.higher_is_better = higher;
    for (const auto& p : r.plans) {
      m.mean.push_back(get(p));
      m.ci95.push_back(std::nan(""));
    }
    c.metrics.push_back(m);
  };
  metric("total_cash_usd", "total cost, cash", "USD", false,
         [](const StudyPlanResult& p) { return p.total_cash_usd; });
  metric("total_accrual_usd", "total cost, accrual", "USD", false,
         [](const StudyPlanResult& p) { return p.total_accrual_usd; });
  metric("slo_attainment", "SLO attainment", "fraction", true,
         [](const StudyPlanResult& p) { return p.slo_attainment; });
  metric("usd_per_1k_output_tokens", "$ per 1k output tokens", "USD", false,
         [](const StudyPlanResult& p) { return p.usd_per_1k_output_tokens; });
  metric("energy_kwh", "energy", "kWh", false,
         [](const StudyPlanResult& p) { return p.energy_kwh; });
  return c;
}

}  // namespace fleetsim
