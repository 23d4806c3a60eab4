#include "models/scheduling/policy_bench.h"
#include "sim/markup.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <exception>
#include <sstream>
#include <thread>

namespace fleetsim {

bool SweepResult::any_stalled() const {
  return std::any_of(runs.begin(), runs.end(),
                     [](const RunMetrics& m) { return m.status == "stalled"; });
}

SweepResult RunPolicySweep(const PolicyScenario& scenario, const std::vector<PolicySpec>& policies,
                           int seeds, int threads) {
  SweepResult r;
  for (const auto& p : policies) r.labels.push_back(p.label);
  for (int s = 0; s < seeds; ++s) r.seeds.push_back(scenario.seed + static_cast<uint64_t>(s));
  const size_t total = policies.size() * r.seeds.size();
  r.runs.resize(total);
  std::vector<std::exception_ptr> errors(total);
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < total; i = next++) {
      try {
        const size_t p = i / r.seeds.size();
        const uint64_t seed = r.seeds[i % r.seeds.size()];
        r.runs[i] = RunSchedulingSimulation(
            scenario.cluster, scenario.workload->job_set(), BuildPolicy(policies[p]),
            scenario.workload->MakeSource(seed), seed, scenario.horizon_s);
      } catch (...) {
        errors[i] = std::current_exception();
      }
    }
  };
  const int n = std::max(1, std::min<int>(threads, static_cast<int>(total)));
  std::vector<std::thread> pool;
  for (int t = 1; t < n; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  return r;
}

double StudentT975(int df) {
  // Two-sided 95 % quantiles of Student's t (any statistics table); beyond 30 degrees of
  // freedom the expansion z + (z^3 + z) / (4 df) is within 0.1 % of the table.
  static const double kT[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306,
                              2.262,  2.228, 2.201, 2.179, 2.160, 2.145, 2.131, 2.120,
                              2.110,  2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
                              2.060,  2.056, 2.052, 2.048, 2.045, 2.042};
  if (df < 1) return std::nan("");
  if (df <= 30) return kT[df - 1];
  const double z = 1.959964;
  return z + (z * z * z + z) / (4.0 * df);
}

const std::vector<MetricColumn>& SweepMetrics() {
  static const std::vector<MetricColumn> m = {
      {"jct_mean_h", "JCT mean", "h", [](const RunMetrics& r) { return r.jct_mean_s / 3600; },
       false},
      {"jct_p99_h", "JCT p99", "h", [](const RunMetrics& r) { return r.jct_p99_s / 3600; }, false},
      {"queue_mean_h", "queueing delay", "h",
       [](const RunMetrics& r) { return r.queue_mean_s / 3600; }, false},
      {"makespan_h", "makespan", "h", [](const RunMetrics& r) { return r.makespan_s / 3600; },
       false},
      {"utilisation_pct", "GPU utilisation", "%",
       [](const RunMetrics& r) { return r.utilisation * 100; }, true},
      {"slo_pct", "SLO attainment", "%", [](const RunMetrics& r) { return r.slo_attainment * 100; },
       true},
      {"cost_usd", "cost", "$", [](const RunMetrics& r) { return r.cost_usd; }, false},
      {"fairness_jain", "fairness (Jain, FTF)", "",
       [](const RunMetrics& r) { return r.fairness_jain; }, true},
      {"weight_loads", "weight loads", "",
       [](const RunMetrics& r) { return static_cast<double>(r.weight_loads); }, false},
      {"weight_load_gpu_h", "loading weights", "GPU-h",
       [](const RunMetrics& r) { return r.weight_load_gpu_h; }, false},
  };
  return m;
}

MetricSummary Summarise(const SweepResult& r, size_t policy, const MetricColumn& m) {
  MetricSummary s;
  const size_t n = r.seeds.size();
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += m.get(r.at(policy, i));
  s.mean = sum / static_cast<double>(n);
  if (n < 2 || std::isnan(s.mean)) {
    s.ci95 = std::nan("");
    return s;
  }
  double sq = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = m.get(r.at(policy, i)) - s.mean;
    sq += d * d;
  }
  const double sd = std::sqrt(sq / static_cast<double>(n - 1));
  s.ci95 = StudentT975(static_cast<int>(n) - 1) * sd / std::sqrt(static_cast<double>(n));
  return s;
}

namespace {

// Three significant digits, no exponent below 1e7: "0.873", "12.4", "1,234" (as %.0f).
std::string Num(double v) {
  if (std::isnan(v)) return "-";
  char buf[64];
  const double a = std::fabs(v);
  if (a >= 1000) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else if (a >= 100) {
    std::snprintf(buf, sizeof buf, "%.1f", v);
  } else if (a >= 10) {
    std::snprintf(buf, sizeof buf, "%.2f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.3f", v);
  }
  return buf;
}

std::string Exact(double v) {
  if (std::isnan(v)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) {
    if (c == '"') q += '"';
    q += c;
  }
  return q + "\"";
}

}  // namespace

std::string FormatSweepTable(const SweepResult& r) {
  const auto& metrics = SweepMetrics();
  std::vector<std::vector<std::string>> cells;
  std::vector<std::string> head = {"policy"};
  for (const auto& m : metrics) {
    head.push_back(std::string(m.title) + (m.unit[0] ? std::string(" (") + m.unit + ")" : ""));
  }
  cells.push_back(head);
  for (size_t p = 0; p < r.labels.size(); ++p) {
    std::vector<std::string> row = {r.labels[p]};
    for (const auto& m : metrics) {
      const MetricSummary s = Summarise(r, p, m);
      row.push_back(std::isnan(s.ci95) ? Num(s.mean) : Num(s.mean) + " ± " + Num(s.ci95));
    }
    cells.push_back(row);
  }
  // Column widths in characters ("±" is one character but two bytes).
  auto width = [](const std::string& s) {
    size_t w = 0;
    for (unsigned char c : s) w += (c & 0xC0) != 0x80;
    return w;
  };
  std::vector<size_t> widths(head.size(), 0);
  for (const auto& row : cells) {
    for (size_t c = 0; c < row.size(); ++c) widths[c] = std::max(widths[c], width(row[c]));
  }
  std::ostringstream os;
  os << "mean ± 95 % confidence interval over " << r.seeds.size() << " seed"
     << (r.seeds.size() == 1 ? "" : "s") << "\n";
  for (size_t i = 0; i < cells.size(); ++i) {
    for (size_t c = 0; c < cells[i].size(); ++c) {
      const std::string& s = cells[i][c];
      const size_t pad = widths[c] - width(s);
      if (c == 0) {
        os << s << std::string(pad, ' ');
      } else {
        os << "  " << std::string(pad, ' ') << s;
      }
    }
    os << "\n";
  }
  // Runs that did not complete every job are worth a line each.
  for (const auto& m : r.runs) {
    if (m.unfinished > 0 || m.status == "stalled") {
      os << "note: " << m.policy << " seed " << m.seed << ": " << m.status << ", " << m.unfinished
         << " jobs unfinished\n";
    }
  }
  return os.str();
}

std::string SweepCsv(const SweepResult& r) {
  std::ostringstream os;
  os << "policy,seeds";
  for (const auto& m : SweepMetrics()) os << "," << m.key << "_mean," << m.key << "_ci95";
  os << "\n";
  for (size_t p = 0; p < r.labels.size(); ++p) {
    os << CsvField(r.labels[p]) << "," << r.seeds.size();
    for (const auto& m : SweepMetrics()) {
      const MetricSummary s = Summarise(r, p, m);
      os << "," << Exact(s.mean) << "," << Exact(s.ci95);
    }
    os << "\n";
  }
  return os.str();
}

std::string RunsCsv(const SweepResult& r) {
  std::ostringstream os;
  os << "policy,seed,status,jobs,completed,rejected,unfinished,jct_mean_s,jct_p99_s,"
        "queue_mean_s,makespan_s,utilisation,goodput,slo_attainment,slo_jobs,cost_usd,"
        "ftf_mean,ftf_max,fairness_jain,preemptions,overhead_gpu_h,idle_reserved_gpu_h,"
        "weight_loads,weight_load_gpu_h,events,passes\n";
  for (const auto& m : r.runs) {
    os << CsvField(m.policy) << "," << m.seed << "," << m.status << "," << m.jobs << ","
       << m.completed << "," << m.rejected << "," << m.unfinished << "," << Exact(m.jct_mean_s)
       << "," << Exact(m.jct_p99_s) << "," << Exact(m.queue_mean_s) << "," << Exact(m.makespan_s)
       << "," << Exact(m.utilisation) << "," << Exact(m.goodput) << "," << Exact(m.slo_attainment)
       << "," << m.slo_jobs << "," << Exact(m.cost_usd) << "," << Exact(m.ftf_mean) << ","
       << Exact(m.ftf_max) << "," << Exact(m.fairness_jain) << "," << m.preemptions << ","
       << Exact(m.overhead_gpu_h) << "," << Exact(m.idle_reserved_gpu_h) << "," << m.weight_loads
       << "," << Exact(m.weight_load_gpu_h) << "," << m.events << "," << m.passes << "\n";
  }
  return os.str();
}

namespace {

std::string Xml(const std::string& s) { return EscapeMarkup(s); }

std::string F(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// A "nice" axis maximum: 1, 2 or 5 times a power of ten, at or above v.
double NiceMax(double v) {
  if (!(v > 0)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(v)));
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * p >= v) return m * p;
  }
  return 10 * p;
}

}  // namespace

std::string SweepSvg(const SweepResult& r, const std::string& title) {
  static const char* kColors[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
  const auto& metrics = SweepMetrics();
  const int cols = 4, pw = 250, ph = 210, top = 50;
  const int rows = static_cast<int>((metrics.size() + cols - 1) / cols);
  const int legend_rows = static_cast<int>((r.labels.size() + 2) / 3);
  const int width = cols * pw + 20, height = top + rows * ph + 20 + legend_rows * 18 + 10;
  std::ostringstream os;
  os << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
     << "\" font-family=\"sans-serif\" font-size=\"11\">\n";
  os << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  os << "<text x=\"10\" y=\"22\" font-size=\"15\">" << Xml(title) << "</text>\n";
  os << "<text x=\"10\" y=\"40\" fill=\"#555\">mean and 95 % confidence interval over "
     << r.seeds.size() << " seed" << (r.seeds.size() == 1 ? "" : "s") << "</text>\n";
  const size_t np = r.labels.size();
  for (size_t k = 0; k < metrics.size(); ++k) {
    const MetricColumn& m = metrics[k];
    const int x0 = 10 + static_cast<int>(k % cols) * pw, y0 = top + static_cast<int>(k / cols) * ph;
    const int ax = x0 + 45, ay = y0 + 25, aw = pw - 60, ah = ph - 55;
    std::vector<MetricSummary> s;
    double hi = 0;
    for (size_t p = 0; p < np; ++p) {
      s.push_back(Summarise(r, p, m));
      const double top_v = s.back().mean + (std::isnan(s.back().ci95) ? 0 : s.back().ci95);
      if (!std::isnan(top_v)) hi = std::max(hi, top_v);
    }
    const double ymax = NiceMax(hi);
    os << "<text x=\"" << x0 + 5 << "\" y=\"" << y0 + 14 << "\" font-weight=\"bold\">"
       << Xml(m.title) << (m.unit[0] ? std::string(" (") + m.unit + ")" : "")
       << (m.higher_is_better ? " ↑" : " ↓") << "</text>\n";
    for (int t = 0; t <= 4; ++t) {
      const double v = ymax * t / 4;
      const double y = ay + ah - ah * t / 4.0;
      os << "<line x1=\"" << ax << "\" x2=\"" << ax + aw << "\" y1=\"" << F(y) << "\" y2=\"" << F(y)
         << "\" stroke=\"#ddd\"/>\n";
      os << "<text x=\"" << ax - 4 << "\" y=\"" << F(y + 4) << "\" text-anchor=\"end\">" << Num(v)
         << "</text>\n";
    }
    const double slot = static_cast<double>(aw) / std::max<size_t>(np, 1);
    for (size_t p = 0; p < np; ++p) {
      const double bx = ax + slot * p + slot * 0.15, bw = slot * 0.7;
      if (std::isnan(s[p].mean)) {
        os << "<text x=\"" << F(bx + bw / 2) << "\" y=\"" << ay + ah - 4
           << "\" text-anchor=\"middle\">n/a</text>\n";
        continue;
      }
      const double h = ah * std::max(0.0, s[p].mean) / ymax;
      os << "<rect x=\"" << F(bx) << "\" y=\"" << F(ay + ah - h) << "\" width=\"" << F(bw)
         << "\" height=\"" << F(h) << "\" fill=\"" << kColors[p % 10] << "\"><title>"
         << Xml(r.labels[p]) << ": " << Num(s[p].mean) << "</title></rect>\n";
      if (!std::isnan(s[p].ci95)) {
        const double cx = bx + bw / 2;
        const double y1 = ay + ah - ah * std::max(0.0, s[p].mean - s[p].ci95) / ymax;
        const double y2 = ay + ah - ah * (s[p].mean + s[p].ci95) / ymax;
        os << "<path d=\"M" << F(cx) << " " << F(y1) << "V" << F(y2) << "M" << F(cx - 4) << " "
           << F(y1) << "h8M" << F(cx - 4) << " " << F(y2) << "h8\" stroke=\"black\"/>\n";
      }
    }
    os << "<line x1=\"" << ax << "\" x2=\"" << ax + aw << "\" y1=\"" << ay + ah << "\" y2=\""
       << ay + ah << "\" stroke=\"black\"/>\n";
  }
  const int ly = top + rows * ph + 15;
  for (size_t p = 0; p < np; ++p) {
    const int lx = 10 + static_cast<int>(p % 3) * 330, y = ly + static_cast<int>(p / 3) * 18;
    os << "<rect x=\"" << lx << "\" y=\"" << y - 10 << "\" width=\"12\" height=\"12\" fill=\""
       << kColors[p % 10] << "\"/><text x=\"" << lx + 18 << "\" y=\"" << y << "\">"
       << Xml(r.labels[p]) << "</text>\n";
  }
  os << "</svg>\n";
  return os.str();
}

}  // namespace fleetsim
