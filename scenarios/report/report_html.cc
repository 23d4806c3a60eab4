#include "scenarios/report/report_html.h"
#include "sim/markup.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "models/scheduling/policy_bench.h"
#include "scenarios/report/report_assets.h"
#include "sim/config/config_error.h"

namespace fleetsim {

namespace {

using Json = nlohmann::ordered_json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  if (!out) throw InputError("cannot write '" + path + "'");
}

// Splits one CSV line; fields may be double-quoted with "" for a quote.
std::vector<std::string> SplitCsv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

// Empty = NaN. Anything else must be a whole number.
bool ParseNumber(const std::string& s, double& v) {
  if (s.empty()) {
    v = kNaN;
    return true;
  }
  char* end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

std::string Html(const std::string& s) { return EscapeMarkup(s); }

// 6 significant digits keep the embedded data small; the page shows 3.
double Round6(double v) {
  if (!std::isfinite(v)) return kNaN;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return std::strtod(buf, nullptr);
}

Json Numbers(const std::vector<double>& v) {
  Json a = Json::array();
  for (double x : v) {
    if (std::isfinite(x)) {
      a.push_back(Round6(x));
    } else {
      a.push_back(nullptr);
    }
  }
  return a;
}

// 4 significant digits, for tables.
std::string Num(double v) {
  if (!std::isfinite(v)) return "–";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

std::string Seconds(double s) {
  if (!std::isfinite(s) || s < 0) return "–";
  char buf[32];
  if (s < 1.0) {
    std::snprintf(buf, sizeof buf, "%.1f ms", s * 1e3);
  } else if (s < 120) {
    std::snprintf(buf, sizeof buf, "%.2f s", s);
  } else if (s < 2 * 3600) {
    std::snprintf(buf, sizeof buf, "%.1f min", s / 60);
  } else if (s < 3 * 86400) {
    std::snprintf(buf, sizeof buf, "%.1f h", s / 3600);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f d", s / 86400);
  }
  return buf;
}

bool AnyFinite(const std::vector<double>& v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

bool AnyNonZero(const std::vector<double>& v) {
  return std::any_of(v.begin(), v.end(), [](double x) { return std::isfinite(x) && x != 0; });
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}
bool Contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// What a column measures, from the name after its last '.' (docs/outputs.md, report.html).
enum class ColumnKind {
  kDemand,      // arrived, completed, rejected: cumulative request counts, plotted as rates
  kCapacity,    // capacity*: requests/s a service can serve
  kReplicas,    // replicas*: replica counts
  kQueue,       // waiting, running
  kLatency,     // ttft_*_s, tpot_*_s, e2e_*_s: latency in an interval
  kAttainment,  // *attainment*: 0..1, SLO attainment
  kFraction,    // *_fraction, *utilization*, *utilisation*: 0..1
  kCostRate,    // *_usd_per_h, cost_rate*: USD per hour
  kCost,        // *_usd: cumulative USD
  kPower,       // *_w, power*: watts
  kEnergy,      // *_kwh, energy*: cumulative kWh; *_j: cumulative joules, shown in kWh
  kGpus,        // gpus*: GPU counts (held, busy)
  kTokens,      // tokens_trained: cumulative tokens
  kOther,
};

ColumnKind Classify(const std::string& name) {
  if (name == "arrived" || name == "completed" || name == "rejected") return ColumnKind::kDemand;
  if (StartsWith(name, "capacity")) return ColumnKind::kCapacity;
  if (StartsWith(name, "replicas")) return ColumnKind::kReplicas;
  if (name == "waiting" || name == "running") return ColumnKind::kQueue;
  if ((StartsWith(name, "ttft_") || StartsWith(name, "tpot_") || StartsWith(name, "e2e_")) &&
      EndsWith(name, "_s")) {
    return ColumnKind::kLatency;
  }
  if (Contains(name, "attainment")) return ColumnKind::kAttainment;
  if (EndsWith(name, "_fraction") || Contains(name, "utilization") ||
      Contains(name, "utilisation")) {
    return ColumnKind::kFraction;
  }
  if (EndsWith(name, "_usd_per_h") || StartsWith(name, "cost_rate")) return ColumnKind::kCostRate;
  if (EndsWith(name, "_usd")) return ColumnKind::kCost;
  if (EndsWith(name, "_w") || StartsWith(name, "power")) return ColumnKind::kPower;
  if (EndsWith(name, "_kwh") || EndsWith(name, "_j") || StartsWith(name, "energy")) {
    return ColumnKind::kEnergy;
  }
  if (StartsWith(name, "gpus")) return ColumnKind::kGpus;
  if (name == "tokens_trained") return ColumnKind::kTokens;
  return ColumnKind::kOther;
}

struct Column {
  size_t index;
  std::string prefix;  // before the last '.', empty if none
  std::string name;    // after it
  ColumnKind kind;
};

// Computes series values on the report's reduced time axis.
class Reducer {
 public:
  explicit Reducer(const TimeSeriesTable& ts) : ts_(ts) {
    const size_t n = ts.rows();
    per_ = n > kMaxReportPoints ? (n + kMaxReportPoints - 1) / kMaxReportPoints : 1;
    for (size_t start = 0; start < n; start += per_) {
      time_s_.push_back(ts.values[0][std::min(start + per_, n) - 1]);
    }
  }
  const std::vector<double>& time_s() const { return time_s_; }
  size_t rows_per_point() const { return per_; }

  // The column's values (or, with `rate`, its change per second since the previous row), then
  // per point the mean, or with `max` the maximum, of the finite values it stands for.
  std::vector<double> Series(size_t column, bool rate, bool max) const {
    const auto& t = ts_.values[0];
    const auto& c = ts_.values[column];
    const size_t n = c.size();
    std::vector<double> out;
    for (size_t start = 0; start < n; start += per_) {
      double acc = max ? -std::numeric_limits<double>::infinity() : 0;
      size_t count = 0;
      for (size_t i = start; i < std::min(start + per_, n); ++i) {
        double v = c[i];
        if (rate) v = i > 0 && t[i] > t[i - 1] ? (c[i] - c[i - 1]) / (t[i] - t[i - 1]) : kNaN;
        if (!std::isfinite(v)) continue;
        acc = max ? std::max(acc, v) : acc + v;
        ++count;
      }
      out.push_back(count == 0 ? kNaN : max ? acc : acc / static_cast<double>(count));
    }
    return out;
  }

  // Per row num / den (no value where den is not > 0), then per point the mean.
  std::vector<double> Ratio(size_t num, size_t den) const {
    const auto& a = ts_.values[num];
    const auto& b = ts_.values[den];
    std::vector<double> out;
    for (size_t start = 0; start < a.size(); start += per_) {
      double acc = 0;
      size_t count = 0;
      for (size_t i = start; i < std::min(start + per_, a.size()); ++i) {
        if (!(b[i] > 0) || !std::isfinite(a[i])) continue;
        acc += a[i] / b[i];
        ++count;
      }
      out.push_back(count == 0 ? kNaN : acc / static_cast<double>(count));
    }
    return out;
  }

 private:
  const TimeSeriesTable& ts_;
  size_t per_ = 1;
  std::vector<double> time_s_;
};

const Json* FindByName(const Json& summary, const char* list, const std::string& name) {
  if (!summary.contains(list) || !summary[list].is_array()) return nullptr;
  for (const auto& o : summary[list]) {
    if (o.is_object() && o.contains("name") && o["name"].is_string() && o["name"] == name) {
      return &o;
    }
  }
  return nullptr;
}

double NumberAt(const Json& o, const char* key) {
  if (!o.is_object() || !o.contains(key) || !o[key].is_number()) return kNaN;
  return o[key].get<double>();
}

class Planner {
 public:
  Planner(const Json& summary, const TimeSeriesTable& ts)
      : summary_(summary), ts_(ts), reduce_(ts) {}

  ReportPlan Plan() {
    ReportPlan plan;
    plan.time_s = reduce_.time_s();
    plan.source_rows = ts_.rows();
    plan.rows_per_point = reduce_.rows_per_point();
    std::vector<Column> cols;
    std::vector<std::string> prefixes;  // in column order
    for (size_t i = 1; i < ts_.columns.size(); ++i) {
      const std::string& full = ts_.columns[i];
      const size_t dot = full.rfind('.');
      Column c{i, dot == std::string::npos ? "" : full.substr(0, dot),
               dot == std::string::npos ? full : full.substr(dot + 1), ColumnKind::kOther};
      c.kind = Classify(c.name);
      if (std::find(prefixes.begin(), prefixes.end(), c.prefix) == prefixes.end()) {
        prefixes.push_back(c.prefix);
      }
      cols.push_back(c);
    }
    auto of = [&](const std::string& prefix, ColumnKind kind) {
      std::vector<const Column*> out;
      for (const auto& c : cols) {
        if (c.prefix == prefix && c.kind == kind) out.push_back(&c);
      }
      return out;
    };
    auto all_of = [&](ColumnKind kind) {
      std::vector<const Column*> out;
      for (const auto& c : cols) {
        if (c.kind == kind) out.push_back(&c);
      }
      return out;
    };
    // Per service (or any prefix with request counts): demand against capacity and replicas,
    // queue, latency over time.
    for (const auto& p : prefixes) {
      const std::string who = p.empty() ? "" : p + ": ";
      const auto demand = of(p, ColumnKind::kDemand);
      if (!demand.empty()) {
        ReportChart ch = Chart("line", who + "demand, capacity and replicas", "requests/s");
        ch.note = "arrivals and completions per second over each interval";
        for (const Column* c : demand) {
          const std::string label = c->name == "arrived"     ? "arrivals"
                                    : c->name == "completed" ? "completions"
                                                             : "rejections";
          AddSeries(ch, label, *c, /*rate=*/true, /*max=*/false, /*right=*/false,
                    /*skip_all_zero=*/c->name == "rejected");
        }
        for (const Column* c : of(p, ColumnKind::kCapacity)) {
          AddSeries(ch, c->name, *c, false, false, false, false);
        }
        const auto replicas = of(p, ColumnKind::kReplicas);
        for (const Column* c : replicas) AddSeries(ch, c->name, *c, false, false, true, false);
        if (replicas.empty()) {
          // A fixed layout: the configured replicas, from the summary.
          if (const Json* s = FindByName(summary_, "services", p)) {
            const double r = NumberAt(*s, "replicas");
            if (std::isfinite(r)) {
              ReportSeries rs;
              rs.label = "replicas (configured)";
              rs.right_axis = true;
              rs.values.assign(plan.time_s.size(), r);
              ch.series.push_back(rs);
            }
          }
        }
        if (std::any_of(ch.series.begin(), ch.series.end(),
                        [](const ReportSeries& s) { return s.right_axis; })) {
          ch.unit_right = "replicas";
        }
        Push(plan, std::move(ch));
      }
      const auto queue = of(p, ColumnKind::kQueue);
      if (!queue.empty()) {
        ReportChart ch = Chart("line", who + "queue and batch", "requests");
        ch.note = "requests waiting for a replica, and sequences in running batches";
        for (const Column* c : queue) AddSeries(ch, c->name, *c, false, false, false, false);
        Push(plan, std::move(ch));
      }
      // Latency of a service: its own charts, with its classes' SLOs. Other prefixes (the
      // plans of `fleetsim compare`) share one chart per family, below.
      const auto latency = of(p, ColumnKind::kLatency);
      if (!FindByName(summary_, "services", p)) continue;
      for (const char* family : {"ttft", "tpot", "e2e"}) {
        const std::string fam = family;
        std::string upper = fam;
        std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
        ReportChart ch = Chart("line", who + upper + " over time", "s");
        ch.note = "percentiles of the requests that completed in each interval; dashed: SLOs";
        for (const Column* c : latency) {
          if (StartsWith(c->name, fam + "_")) {
            std::string label = c->name.substr(fam.size() + 1);
            label = label.substr(0, label.size() - 2);  // "_s"
            AddSeries(ch, label, *c, false, /*max=*/true, false, false);
          }
        }
        // Its classes' p99 ("S.C.ttft_p99_s"; the service writes them with two classes or
        // more), one line each beside the overall percentiles.
        for (const auto& c : cols) {
          if (c.kind == ColumnKind::kLatency && StartsWith(c.prefix, p + ".") &&
              c.name == fam + "_p99_s") {
            AddSeries(ch, c.prefix.substr(p.size() + 1) + " p99", c, false, /*max=*/true, false,
                      false);
          }
        }
        if (ch.series.empty()) continue;
        if (const Json* s = FindByName(summary_, "services", p)) {
          if (s->contains("classes") && (*s)["classes"].is_array()) {
            for (const auto& cl : (*s)["classes"]) {
              const double slo = NumberAt(cl, (fam + "_slo_s").c_str());
              if (std::isfinite(slo)) {
                ch.refs.push_back(
                    {(cl.contains("name") ? cl["name"].get<std::string>() + " " : "") + upper +
                         " SLO",
                     slo});
              }
            }
          }
        }
        Push(plan, std::move(ch));
      }
    }
    for (const char* family : {"ttft", "tpot", "e2e"}) {
      std::vector<const Column*> group;
      for (const auto& c : cols) {
        const size_t dot = c.prefix.find('.');
        const bool of_a_service =
            FindByName(summary_, "services", c.prefix) ||
            (dot != std::string::npos &&
             FindByName(summary_, "services", c.prefix.substr(0, dot)));  // a class's columns
        if (c.kind == ColumnKind::kLatency && StartsWith(c.name, std::string(family) + "_") &&
            !of_a_service) {
          group.push_back(&c);
        }
      }
      std::string upper = family;
      std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
      Global(plan, group, upper + " over time", "s", false, {}, false, false, /*max=*/true);
    }
    // Across the run: utilisation, cost, power, energy, training progress.
    // Utilisation: the fraction columns, and GPUs busy / held where a prefix has both.
    std::vector<ReportSeries> busy;
    for (const auto& p : prefixes) {
      const Column* b = nullptr;
      const Column* h = nullptr;
      for (const auto& c : cols) {
        if (c.prefix == p && c.name == "gpus_busy") b = &c;
        if (c.prefix == p && c.name == "gpus_held") h = &c;
      }
      if (!b || !h) continue;
      ReportSeries s;
      s.label = (p.empty() ? "" : p + ": ") + "GPUs busy / held";
      s.column = ts_.columns[b->index] + " / " + ts_.columns[h->index];
      s.values = reduce_.Ratio(b->index, h->index);
      if (AnyFinite(s.values)) busy.push_back(std::move(s));
    }
    Global(plan, all_of(ColumnKind::kFraction), "utilisation (GPU, KV cache, links)", "fraction",
           false, busy);
    Global(plan, all_of(ColumnKind::kAttainment), "SLO attainment", "fraction", false);
    Global(plan, all_of(ColumnKind::kCost), "cost over time (cumulative)", "USD", false);
    // Rates: the columns when there are any, else derived from the cumulative ones.
    if (all_of(ColumnKind::kCostRate).empty()) {
      Global(plan, all_of(ColumnKind::kCost), "cost rate (change of cumulative cost)", "USD/h",
             false, {}, /*rate=*/true);
    } else {
      Global(plan, all_of(ColumnKind::kCostRate), "cost rate", "USD/h", false);
    }
    // Energy and power that stay zero are not modelled there (cloud pools): left out.
    Global(plan, all_of(ColumnKind::kEnergy), "energy (cumulative)", "kWh", false, {}, false, true);
    if (all_of(ColumnKind::kPower).empty()) {
      Global(plan, all_of(ColumnKind::kEnergy), "power (change of cumulative energy)", "W", false,
             {}, /*rate=*/true, true);
    } else {
      Global(plan, all_of(ColumnKind::kPower), "power", "W", false, {}, false, true);
    }
    Global(plan, all_of(ColumnKind::kGpus), "GPUs", "GPUs", false);
    Global(plan, all_of(ColumnKind::kTokens), "training: tokens trained", "tokens", false);
    // Columns no rule knows: one chart per name, so new outputs are never hidden.
    std::vector<std::string> other_names;
    for (const auto& c : cols) {
      if (c.kind == ColumnKind::kOther &&
          std::find(other_names.begin(), other_names.end(), c.name) == other_names.end()) {
        other_names.push_back(c.name);
      }
    }
    for (const auto& name : other_names) {
      std::vector<const Column*> group;
      for (const auto& c : cols) {
        if (c.kind == ColumnKind::kOther && c.name == name) group.push_back(&c);
      }
      Global(plan, group, name, "", true);
    }
    TrainingBreakdown(plan);
    return plan;
  }

 private:
  ReportChart Chart(const std::string& kind, const std::string& title, const std::string& unit) {
    ReportChart ch;
    ch.kind = kind;
    ch.title = title;
    ch.unit = unit;
    return ch;
  }

  void AddSeries(ReportChart& ch, const std::string& label, const Column& c, bool rate, bool max,
                 bool right, bool skip_all_zero) {
    ReportSeries s;
    s.label = label;
    s.column = ts_.columns[c.index];
    s.rate = rate;
    s.right_axis = right;
    s.values = reduce_.Series(c.index, rate, max);
    if (!AnyFinite(s.values)) return;
    if (skip_all_zero && !AnyNonZero(s.values)) return;
    ch.series.push_back(std::move(s));
  }

  // From a column's unit to the chart's: J -> kWh; for rates of cumulative columns
  // USD/s -> USD/h, J/s = W, kWh/s -> W.
  static double Scale(const Column& c, const std::string& unit, bool rate) {
    const bool joules = EndsWith(c.name, "_j");
    if (!rate) return unit == "kWh" && joules ? 1 / 3.6e6 : 1.0;
    if (unit == "USD/h") return 3600.0;
    if (unit == "W") return joules ? 1.0 : 3.6e6;
    return 1.0;
  }

  // One chart of every column of a kind (and `extra` lines first), labelled by full column
  // name; split beyond 10 lines. With `rate`, the columns are cumulative and their change per
  // unit of time is drawn.
  void Global(ReportPlan& plan, const std::vector<const Column*>& group, const std::string& title,
              const std::string& unit, bool other, std::vector<ReportSeries> extra = {},
              bool rate = false, bool skip_all_zero = false, bool max = false) {
    constexpr size_t kPerChart = 10;
    ReportChart all = Chart("line", "", unit);
    all.series = std::move(extra);
    for (const Column* c : group) {
      const size_t before = all.series.size();
      AddSeries(all, ts_.columns[c->index], *c, rate, max, false, skip_all_zero);
      const double scale = Scale(*c, unit, rate);
      if (all.series.size() > before && scale != 1.0) {
        if (!rate && unit == "kWh") all.series.back().label += " (J in kWh)";
        for (double& v : all.series.back().values) v *= scale;
      }
    }
    const size_t parts = (all.series.size() + kPerChart - 1) / kPerChart;
    for (size_t part = 0; part < parts; ++part) {
      std::string t = (other ? "other columns: " : "") + title;
      if (parts > 1) t += " (" + std::to_string(part + 1) + "/" + std::to_string(parts) + ")";
      ReportChart ch = Chart("line", t, unit);
      for (size_t i = part * kPerChart; i < std::min(all.series.size(), (part + 1) * kPerChart);
           ++i) {
        ch.series.push_back(std::move(all.series[i]));
      }
      Push(plan, std::move(ch));
    }
  }

  void TrainingBreakdown(ReportPlan& plan) {
    if (!summary_.contains("training_jobs") || !summary_["training_jobs"].is_array()) return;
    // The parts of an iteration that add up to its time (docs/training.md); any other
    // "_s" key of `iteration` is shown too, except totals.
    static const std::vector<std::pair<std::string, std::string>> kKnown = {
        {"compute_s", "compute"},
        {"tp_comm_s", "TP communication"},
        {"pipeline_bubble_s", "pipeline bubble"},
        {"pp_comm_exposed_s", "PP communication (exposed)"},
        {"dp_comm_exposed_s", "DP communication (exposed)"},
        {"optimizer_s", "optimizer"}};
    ReportChart ch = Chart("stacked-bar", "training: breakdown of one iteration", "s");
    ch.note = "time per iteration by part, per job";
    for (const auto& job : summary_["training_jobs"]) {
      if (!job.is_object() || !job.contains("iteration") || !job["iteration"].is_object()) continue;
      const Json& it = job["iteration"];
      ReportBarRow row;
      row.label =
          job.contains("name") && job["name"].is_string() ? job["name"].get<std::string>() : "job";
      for (const auto& [key, label] : kKnown) {
        const double v = NumberAt(it, key.c_str());
        if (std::isfinite(v)) row.segments.emplace_back(label, v);
      }
      for (const auto& [key, value] : it.items()) {
        const bool known = std::any_of(kKnown.begin(), kKnown.end(),
                                       [&](const auto& k) { return k.first == key; });
        if (known || key == "seconds" || Contains(key, "total") || !EndsWith(key, "_s") ||
            !value.is_number()) {
          continue;
        }
        row.segments.emplace_back(key, value.get<double>());
      }
      if (!row.segments.empty()) ch.bars.push_back(std::move(row));
    }
    if (!ch.bars.empty()) plan.charts.push_back(std::move(ch));
  }

  void Push(ReportPlan& plan, ReportChart ch) {
    if (ch.series.empty()) return;
    // Only the replicas line would be an empty chart.
    if (std::all_of(ch.series.begin(), ch.series.end(),
                    [](const ReportSeries& s) { return s.right_axis; })) {
      return;
    }
    plan.charts.push_back(std::move(ch));
  }

  const Json& summary_;
  const TimeSeriesTable& ts_;
  Reducer reduce_;
};

std::string Slug(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      o += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!o.empty() && o.back() != '-') {
      o += '-';
    }
  }
  while (!o.empty() && o.back() == '-') o.pop_back();
  return o.empty() ? "chart" : o;
}

void AssignIds(std::vector<ReportChart>& charts) {
  std::set<std::string> used;
  for (auto& ch : charts) {
    std::string id = "chart-" + Slug(ch.title);
    std::string unique = id;
    for (int k = 2; used.count(unique); ++k) unique = id + "-" + std::to_string(k);
    used.insert(unique);
    ch.id = unique;
  }
}

Json ChartJson(const ReportChart& ch) {
  Json j;
  j["id"] = ch.id;
  j["kind"] = ch.kind;
  j["title"] = ch.title;
  j["unit"] = ch.unit;
  j["unit_right"] = ch.unit_right;
  j["note"] = ch.note;
  Json series = Json::array();
  for (const auto& s : ch.series) {
    series.push_back({{"label", s.label},
                      {"column", s.column},
                      {"rate", s.rate},
                      {"axis", s.right_axis ? "right" : "left"},
                      {"values", Numbers(s.values)}});
  }
  j["series"] = series;
  Json refs = Json::array();
  for (const auto& r : ch.refs) refs.push_back({{"label", r.label}, {"value", Round6(r.value)}});
  j["refs"] = refs;
  Json bars = Json::array();
  for (const auto& b : ch.bars) {
    Json segs = Json::array();
    for (const auto& [name, v] : b.segments) segs.push_back({{"name", name}, {"value", Round6(v)}});
    bars.push_back({{"label", b.label}, {"segments", segs}});
  }
  j["bars"] = bars;
  return j;
}

// The data island: "</" cannot appear inside a <script> element.
std::string ScriptJson(const Json& j) {
  std::string s = j.dump();
  std::string o;
  o.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '<' && i + 1 < s.size() && s[i + 1] == '/') {
      o += "<\\/";
      ++i;
    } else {
      o += s[i];
    }
  }
  return o;
}

std::string Page(const std::string& title, const std::string& header_html, const Json& data) {
  std::ostringstream os;
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        // Nothing may be fetched: the page must open offline, and a test checks it.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"fleetsim\">\n<title>"
     << Html(title) << "</title>\n<style>\n"
     << kReportCss << "</style>\n</head>\n<body data-report-status=\"pending\">\n"
     << header_html
     << "<noscript><p class=\"warn\">The charts need JavaScript.</p></noscript>\n"
        "<div id=\"charts\"></div>\n<pre id=\"report-status\" hidden></pre>\n"
        "<script type=\"application/json\" id=\"report-data\">"
     << ScriptJson(data) << "</script>\n<script>\n"
     << kReportJs << "</script>\n</body>\n</html>\n";
  return os.str();
}

// Scalars of the summary not shown elsewhere, flattened to "a.b[2].c".
void Flatten(const Json& j, const std::string& path,
             std::vector<std::pair<std::string, std::string>>& out, size_t limit) {
  if (out.size() >= limit) return;
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) Flatten(v, path.empty() ? k : path + "." + k, out, limit);
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) {
      std::string key = path + "[" + std::to_string(i) + "]";
      if (j[i].is_object() && j[i].contains("name") && j[i]["name"].is_string()) {
        key = path + "[" + j[i]["name"].get<std::string>() + "]";
      }
      Flatten(j[i], key, out, limit);
    }
  } else if (j.is_number_float()) {
    out.emplace_back(path, Num(j.get<double>()));
  } else if (j.is_string()) {
    out.emplace_back(path, j.get<std::string>());
  } else {
    out.emplace_back(path, j.dump());
  }
}

std::string Str(const Json& o, const char* key) {
  if (!o.is_object() || !o.contains(key)) return "–";
  const Json& v = o[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_float()) return Num(v.get<double>());
  return v.dump();
}

double Pct(const Json& o, const char* a, const char* b) {
  if (!o.is_object() || !o.contains(a) || !o[a].is_object()) return kNaN;
  return NumberAt(o[a], b);
}

std::string RunHeader(const Json& summary, const ReportPlan& plan) {
  std::ostringstream os;
  // The title and the facts the summary has; `report_title` lets other commands reuse the
  // page (fleetsim compare).
  const std::string title = summary.contains("report_title") && summary["report_title"].is_string()
                                ? summary["report_title"].get<std::string>()
                                : "fleetsim run: " + Str(summary, "scenario");
  std::vector<std::string> facts;
  if (std::isfinite(NumberAt(summary, "duration_s"))) {
    facts.push_back(Html(Seconds(NumberAt(summary, "duration_s"))) + " simulated");
  }
  if (summary.contains("seed")) facts.push_back("seed " + Html(Str(summary, "seed")));
  if (summary.contains("events")) facts.push_back(Html(Str(summary, "events")) + " events");
  if (summary.contains("status")) {
    facts.push_back(std::string("status <b") +
                    (Str(summary, "status") == "completed" ? "" : " class=\"warn\"") + ">" +
                    Html(Str(summary, "status")) + "</b>");
  }
  os << "<header>\n<h1>" << Html(title) << "</h1>\n<p>";
  for (size_t i = 0; i < facts.size(); ++i) os << (i ? ", " : "") << facts[i];
  if (plan.rows_per_point > 1) {
    os << "; time series: " << plan.source_rows << " rows shown as " << plan.time_s.size()
       << " points (each the mean of " << plan.rows_per_point
       << " rows, the maximum for latencies)";
  }
  os << "</p>\n</header>\n";
  if (summary.contains("stall_report") && summary["stall_report"].is_string()) {
    os << "<pre class=\"warn\">" << Html(summary["stall_report"].get<std::string>()) << "</pre>\n";
  }
  if (summary.contains("services") && summary["services"].is_array() &&
      !summary["services"].empty()) {
    os << "<h2>Services</h2>\n<table>\n<tr><th>service</th><th>layout</th><th>arrived</th>"
          "<th>completed</th><th>rejected</th><th>TTFT p50 / p99</th><th>TPOT p50 / p99</th>"
          "<th>SLO met</th></tr>\n";
    for (const auto& s : summary["services"]) {
      const Json overall = s.contains("overall") ? s["overall"] : Json::object();
      const double slo = NumberAt(overall, "slo_attainment");
      os << "<tr><td>" << Html(Str(s, "name")) << "</td><td>" << Html(Str(s, "model")) << " on "
         << Html(Str(s, "replicas")) << " × " << Html(Str(s, "tensor_parallel"))
         << (s.contains("pipeline_parallel") ? " × PP" + Html(Str(s, "pipeline_parallel")) : "")
         << " " << Html(Str(s, "gpu")) << "</td><td>" << Html(Str(s, "arrived")) << "</td><td>"
         << Html(Str(s, "completed")) << "</td><td>" << Html(Str(s, "rejected")) << "</td><td>"
         << Seconds(Pct(overall, "ttft_s", "p50")) << " / "
         << Seconds(Pct(overall, "ttft_s", "p99")) << "</td><td>"
         << Seconds(Pct(overall, "tpot_s", "p50")) << " / "
         << Seconds(Pct(overall, "tpot_s", "p99")) << "</td><td>"
         << (std::isfinite(slo) ? Num(100 * slo) + " %" : "–") << "</td></tr>\n";
    }
    os << "</table>\n";
  }
  if (summary.contains("training_jobs") && summary["training_jobs"].is_array() &&
      !summary["training_jobs"].empty()) {
    os << "<h2>Training jobs</h2>\n<table>\n<tr><th>job</th><th>layout</th><th>iteration</th>"
          "<th>TFLOP/s per GPU</th><th>MFU</th><th>iterations</th><th>time to train</th>"
          "<th>failures</th><th>work lost</th><th>goodput</th></tr>\n";
    for (const auto& j : summary["training_jobs"]) {
      const Json layout = j.contains("layout") ? j["layout"] : Json::object();
      const Json it = j.contains("iteration") ? j["iteration"] : Json::object();
      os << "<tr><td>" << Html(Str(j, "name")) << "</td><td>" << Html(Str(j, "model")) << " on "
         << Html(Str(j, "gpus")) << " × " << Html(Str(j, "gpu")) << " (TP"
         << Html(Str(layout, "tensor_parallel")) << " PP" << Html(Str(layout, "pipeline_parallel"))
         << " DP" << Html(Str(layout, "data_parallel")) << ")</td><td>"
         << Seconds(NumberAt(it, "seconds")) << "</td><td>" << Num(NumberAt(j, "tflops_per_gpu"))
         << "</td><td>" << Num(100 * NumberAt(j, "mfu")) << " %</td><td>"
         << Html(Str(j, "iterations_done")) << " / " << Html(Str(j, "iterations_target"))
         << "</td><td>" << Seconds(NumberAt(j, "time_to_train_s")) << "</td><td>"
         << Html(Str(j, "failures")) << "</td><td>" << Seconds(NumberAt(j, "lost_work_s"))
         << "</td><td>" << Num(NumberAt(j, "goodput_sampled")) << "</td></tr>\n";
    }
    os << "</table>\n";
  }
  // Summary keys this page does not know yet, so that nothing is hidden.
  static const std::set<std::string> kShown = {
      "report_title", "schema", "scenario", "seed",          "duration_s",
      "status",       "events", "services", "training_jobs", "stall_report"};
  std::vector<std::pair<std::string, std::string>> rest;
  for (const auto& [k, v] : summary.items()) {
    if (!kShown.count(k)) Flatten(v, k, rest, 200);
  }
  if (!rest.empty()) {
    os << "<details><summary>Other summary values"
       << (rest.size() >= 200 ? " (the first 200; all in summary.json)" : "")
       << "</summary>\n<table>\n";
    for (const auto& [k, v] : rest) {
      os << "<tr><td>" << Html(k) << "</td><td>" << Html(v) << "</td></tr>\n";
    }
    os << "</table></details>\n";
  }
  return os.str();
}

}  // namespace

TimeSeriesTable ReadTimeSeriesCsv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read '" + path + "'");
  TimeSeriesTable t;
  std::string line;
  if (!std::getline(in, line)) throw InputError(path + ":1: empty file, expected a header");
  t.columns = SplitCsv(line);
  if (t.columns.empty() || t.columns[0] != "time_s") {
    throw InputError(path + ":1: the first column must be time_s");
  }
  t.values.resize(t.columns.size());
  size_t line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line == "\r") continue;
    const auto fields = SplitCsv(line);
    if (fields.size() != t.columns.size()) {
      throw InputError(path + ":" + std::to_string(line_no) + ": " + std::to_string(fields.size()) +
                       " fields, the header has " + std::to_string(t.columns.size()));
    }
    for (size_t c = 0; c < fields.size(); ++c) {
      double v;
      if (!ParseNumber(fields[c], v) || (c == 0 && !std::isfinite(v))) {
        throw InputError(path + ":" + std::to_string(line_no) + ": column " + t.columns[c] + ": '" +
                         fields[c] + "' is not a number");
      }
      t.values[c].push_back(v);
    }
  }
  return t;
}

ReportPlan PlanRunReport(const nlohmann::ordered_json& summary, const TimeSeriesTable& ts) {
  ReportPlan plan = Planner(summary, ts).Plan();
  AssignIds(plan.charts);
  return plan;
}

std::string RunReportHtml(const nlohmann::ordered_json& summary, const TimeSeriesTable& ts) {
  const ReportPlan plan = PlanRunReport(summary, ts);
  Json data;
  data["kind"] = "run";
  data["time_s"] = Numbers(plan.time_s);
  Json charts = Json::array();
  for (const auto& ch : plan.charts) charts.push_back(ChartJson(ch));
  data["charts"] = charts;
  return Page(summary.contains("report_title") && summary["report_title"].is_string()
                  ? summary["report_title"].get<std::string>()
                  : "fleetsim report: " + Str(summary, "scenario"),
              RunHeader(summary, plan), data);
}

void WriteRunReport(const std::string& dir) {
  const std::string summary_path = dir + "/summary.json";
  Json summary;
  try {
    summary = Json::parse(ReadFile(summary_path));
  } catch (const Json::parse_error& e) {
    throw InputError(summary_path + ": not JSON: " + e.what());
  }
  const TimeSeriesTable ts = ReadTimeSeriesCsv(dir + "/timeseries.csv");
  WriteFile(dir + "/report.html", RunReportHtml(summary, ts));
}

PolicyComparison ComparePolicies(const SweepResult& r, const std::string& title) {
  PolicyComparison c;
  c.title = title;
  c.labels = r.labels;
  c.seeds = r.seeds.size();
  for (const auto& m : SweepMetrics()) {
    PolicyComparison::Metric pm;
    pm.key = m.key;
    pm.title = m.title;
    pm.unit = m.unit;
    pm.higher_is_better = m.higher_is_better;
    for (size_t p = 0; p < r.labels.size(); ++p) {
      const MetricSummary s = Summarise(r, p, m);
      pm.mean.push_back(s.mean);
      pm.ci95.push_back(s.ci95);
      std::vector<double> runs;
      for (size_t k = 0; k < r.seeds.size(); ++k) runs.push_back(m.get(r.at(p, k)));
      pm.runs.push_back(runs);
    }
    c.metrics.push_back(std::move(pm));
  }
  return c;
}

PolicyComparison ReadPolicyComparison(const std::string& dir, const std::string& title) {
  const std::string path = dir + "/policies.csv";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot read '" + path + "'");
  std::string line;
  if (!std::getline(in, line)) throw InputError(path + ":1: empty file, expected a header");
  const auto head = SplitCsv(line);
  if (head.size() < 2 || head[0] != "policy" || head[1] != "seeds") {
    throw InputError(path + ":1: expected the columns policy,seeds,... of bench-policies");
  }
  PolicyComparison c;
  c.title = title;
  // <key>_mean,<key>_ci95 pairs; titles and units from the metric table when it knows the key.
  std::vector<size_t> mean_col;
  for (size_t i = 2; i + 1 < head.size(); i += 2) {
    if (!EndsWith(head[i], "_mean") ||
        head[i + 1] != head[i].substr(0, head[i].size() - 5) + "_ci95") {
      throw InputError(path + ":1: column " + head[i] + ": expected <metric>_mean,<metric>_ci95");
    }
    PolicyComparison::Metric m;
    m.key = head[i].substr(0, head[i].size() - 5);
    m.title = m.key;
    for (const auto& known : SweepMetrics()) {
      if (m.key == known.key) {
        m.title = known.title;
        m.unit = known.unit;
        m.higher_is_better = known.higher_is_better;
      }
    }
    c.metrics.push_back(std::move(m));
    mean_col.push_back(i);
  }
  size_t line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) continue;
    const auto f = SplitCsv(line);
    if (f.size() != head.size()) {
      throw InputError(path + ":" + std::to_string(line_no) + ": " + std::to_string(f.size()) +
                       " fields, the header has " + std::to_string(head.size()));
    }
    c.labels.push_back(f[0]);
    double seeds;
    if (!ParseNumber(f[1], seeds) || !std::isfinite(seeds)) {
      throw InputError(path + ":" + std::to_string(line_no) + ": seeds '" + f[1] +
                       "' is not a number");
    }
    c.seeds = static_cast<size_t>(seeds);
    for (size_t k = 0; k < c.metrics.size(); ++k) {
      double mean, ci;
      if (!ParseNumber(f[mean_col[k]], mean) || !ParseNumber(f[mean_col[k] + 1], ci)) {
        throw InputError(path + ":" + std::to_string(line_no) + ": " + c.metrics[k].key +
                         ": not a number");
      }
      c.metrics[k].mean.push_back(mean);
      c.metrics[k].ci95.push_back(ci);
    }
  }
  return c;
}

std::string PolicyReportHtml(const PolicyComparison& c) {
  Json data;
  data["kind"] = "policies";
  data["labels"] = c.labels;
  Json charts = Json::array();
  std::vector<ReportChart> ids;  // for unique ids only
  for (const auto& m : c.metrics) {
    ReportChart ch;
    ch.title = m.title;
    ids.push_back(ch);
  }
  AssignIds(ids);
  std::vector<std::string> no_data;
  for (size_t k = 0; k < c.metrics.size(); ++k) {
    const auto& m = c.metrics[k];
    // A metric no policy has a value for (e.g. SLO attainment without SLO jobs) gets no chart.
    if (!AnyFinite(m.mean)) {
      no_data.push_back(m.title);
      continue;
    }
    Json j;
    j["id"] = ids[k].id;
    j["kind"] = "policy-bars";
    j["title"] = m.title + (m.higher_is_better ? " ↑" : " ↓");
    j["unit"] = m.unit;
    j["note"] = m.higher_is_better ? "higher is better" : "lower is better";
    j["mean"] = Numbers(m.mean);
    j["ci95"] = Numbers(m.ci95);
    Json runs = Json::array();
    for (const auto& r : m.runs) runs.push_back(Numbers(r));
    j["runs"] = runs;
    charts.push_back(j);
  }
  data["charts"] = charts;
  std::ostringstream head;
  head << "<header>\n<h1>" << Html(c.heading) << ": " << Html(c.title) << "</h1>\n<p>"
       << c.labels.size() << " " << Html(c.items) << " × " << c.seeds << " seed"
       << (c.seeds == 1 ? "" : "s")
       << (c.seeds > 1 ? "; bars: mean, whiskers: 95 % confidence interval" : "; one run each")
       << (c.seeds < 2 || c.metrics.empty() || c.metrics[0].runs.empty() ? ""
                                                                         : ", dots: single seeds")
       << "</p>\n";
  if (!c.note.empty()) head << "<p>" << Html(c.note) << "</p>\n";
  if (!no_data.empty()) {
    head << "<p>No value in any run, so no chart: ";
    for (size_t k = 0; k < no_data.size(); ++k) head << (k ? ", " : "") << Html(no_data[k]);
    head << ".</p>\n";
  }
  head << "</header>\n";
  head << "<table>\n<tr><th>" << Html(c.item) << "</th>";
  for (const auto& m : c.metrics) {
    head << "<th>" << Html(m.title) << (m.unit.empty() ? "" : " (" + Html(m.unit) + ")") << "</th>";
  }
  head << "</tr>\n";
  for (size_t p = 0; p < c.labels.size(); ++p) {
    head << "<tr><td>" << Html(c.labels[p]) << "</td>";
    for (const auto& m : c.metrics) {
      head << "<td>" << Num(m.mean[p])
           << (std::isfinite(m.ci95[p]) ? " ± " + Num(m.ci95[p]) : std::string()) << "</td>";
    }
    head << "</tr>\n";
  }
  head << "</table>\n";
  return Page(c.heading + ": " + c.title, head.str(), data);
}

std::string RegenerateReport(const std::string& dir) {
  namespace fs = std::filesystem;
  if (fs::exists(dir + "/summary.json")) {
    WriteRunReport(dir);
  } else if (fs::exists(dir + "/policies.csv")) {
    WriteFile(dir + "/report.html",
              PolicyReportHtml(ReadPolicyComparison(dir, fs::path(dir).filename().string())));
  } else {
    throw InputError("'" + dir +
                     "' holds neither summary.json (fleetsim run) nor policies.csv "
                     "(fleetsim bench-policies)");
  }
  return dir + "/report.html";
}

}  // namespace fleetsim
