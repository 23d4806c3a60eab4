// report.html: one self-contained page of charts for what a run or a sweep produced, to open
// in any browser without network access (inline CSS and JS, the data embedded as JSON, charts
// drawn as SVG by the page's own code; nothing is fetched).
//
// The chart set follows the data: a run's page is planned from the column names of its
// timeseries.csv and the keys of its summary.json (docs/outputs.md, "report.html"). A column
// that no rule knows still gets a chart ("other columns", grouped by the name after the last
// '.'), so new outputs show up without touching this module; a series without any finite
// value is left out, and a chart without series is not drawn. Time series longer than
// kMaxReportPoints rows are reduced to that many points, each the mean (rates, gauges) or the
// maximum (latencies) of the rows it stands for; the page says so.
//
// The page reports its own health for tests: when its script has run, the element
// #report-status holds JSON {"charts": N, "empty": [ids of charts drawn without a point],
// "errors": [script errors and console errors/warnings]} and <body> gets
// data-report-status="ok" or "error".
//
// Not here: computing metrics (the runner and the models do), the trace (sim/trace).
// Output is deterministic: the same inputs give the same bytes.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace fleetsim {

struct SweepResult;

inline constexpr size_t kMaxReportPoints = 1500;

// A timeseries.csv in memory, column-major: values[c][row]; columns[0] is "time_s".
struct TimeSeriesTable {
  std::vector<std::string> columns;
  std::vector<std::vector<double>> values;
  size_t rows() const { return values.empty() ? 0 : values[0].size(); }
};

// Reads a timeseries.csv as written by TimeSeriesWriter (empty field = NaN). Throws
// InputError naming the file and line on a malformed file.
TimeSeriesTable ReadTimeSeriesCsv(const std::string& path);

// One line of a line chart, already on the report's time axis (ReportPlan::time_s).
struct ReportSeries {
  std::string label;
  std::string column;          // the source column
  bool rate = false;           // plotted as d(column)/dt (the column is cumulative)
  bool right_axis = false;     // plotted against the chart's right axis
  std::vector<double> values;  // NaN = no value at that time
};

struct ReportRefLine {
  std::string label;
  double value = 0;
};

// A stacked horizontal bar (training iteration breakdown): one bar per row.
struct ReportBarRow {
  std::string label;
  std::vector<std::pair<std::string, double>> segments;  // name, value
};

struct ReportChart {
  std::string id;    // unique in the page, [a-z0-9-]
  std::string kind;  // "line" or "stacked-bar"
  std::string title;
  std::string unit;        // left axis ("requests/s", "fraction" = shown as %, "USD", ...)
  std::string unit_right;  // right axis, empty if none
  std::string note;        // one line under the title
  std::vector<ReportSeries> series;
  std::vector<ReportRefLine> refs;  // horizontal reference lines on the left axis (SLOs)
  std::vector<ReportBarRow> bars;
};

struct ReportPlan {
  std::vector<double> time_s;  // shared x axis of the line charts
  size_t source_rows = 0;      // rows of timeseries.csv
  size_t rows_per_point = 1;   // > 1 when the series were reduced
  std::vector<ReportChart> charts;
};

// Chooses and computes the charts of a run from its summary and time series.
ReportPlan PlanRunReport(const nlohmann::ordered_json& summary, const TimeSeriesTable& ts);

// The whole page for a run.
std::string RunReportHtml(const nlohmann::ordered_json& summary, const TimeSeriesTable& ts);

// Reads DIR/summary.json and DIR/timeseries.csv and writes DIR/report.html. Throws
// InputError if a file is missing, malformed or cannot be written.
void WriteRunReport(const std::string& dir);

// A comparison of alternatives, one bar panel per metric: bench-policies (policies x seeds:
// the mean, 95 % interval half-width and per-seed values), and compare and size (plans and
// candidates, one run each).
struct PolicyComparison {
  std::string heading = "fleetsim bench-policies";  // the command, before the title
  std::string item = "policy", items = "policies";  // what the labels are
  std::string title;
  std::string note;                 // one line under the heading, may be empty
  std::vector<std::string> labels;  // policies (plans, candidates)
  size_t seeds = 0;
  struct Metric {
    std::string key, title, unit;
    bool higher_is_better = false;
    std::vector<double> mean, ci95;         // per policy; ci95 NaN with one seed
    std::vector<std::vector<double>> runs;  // per policy, per seed; may be empty
  };
  std::vector<Metric> metrics;
};

PolicyComparison ComparePolicies(const SweepResult& result, const std::string& title);
// From a bench-policies output directory's policies.csv (and runs.csv when present).
PolicyComparison ReadPolicyComparison(const std::string& dir, const std::string& title);
std::string PolicyReportHtml(const PolicyComparison& comparison);

// `fleetsim report DIR`: regenerates DIR/report.html from a run's summary.json and
// timeseries.csv, or from a bench-policies directory's policies.csv. Returns the path.
std::string RegenerateReport(const std::string& dir);

}  // namespace fleetsim
