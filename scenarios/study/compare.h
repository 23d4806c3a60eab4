// `fleetsim compare STUDY.yaml`: the same demand under several plans (cloud on-demand,
// committed + on-demand burst, owned base + cloud burst, owned only, ...) over a horizon of
// months, with demand growth: cost per month and in total, SLO attainment, and when the
// cumulative cost curves of two plans cross (break-even).
//
// A study file (docs/compare-and-size.md has the reference):
//   name: s5-large-steady
//   scenario: ../chatbot.yaml     # the demand and default pools; relative to this file
//   months: 36                    # horizon
//   window: "1 d"                 # simulated per month (default: the scenario's duration)
//   every: 1                      # simulate every Nth month; months between are interpolated
//   growth: "2 %"                 # demand growth per month, compounding (rate x (1+g)^m)
//   set: ["outputs.timeseries_interval=1 h"]    # overrides for every plan
//   plans:
//     - {name: cloud, set: [...]}                  # overrides of the scenario
//     - {name: owned, scenario: owned.yaml, set: [...]}   # or another scenario file
//
// Method (honest, not request-level over years): month m (0-based) is represented by one
// simulated window of the plan's scenario with every service's arrivals.rate multiplied by
// (1 + growth)^m; the window's costs are scaled by (730 h / window) to the month. Costs that
// accrue with time (cloud instance-hours, commitments, energy, space, operations,
// depreciation) scale exactly when the window is representative of the month; billing
// minimums, start-up of the first instances and the cold start of queues and autoscalers
// are counted once per window and therefore over-weighted by the scale factor.
//
// Two cost bases per plan:
//   accrual  the windows' costs as the cost model accrues them (owned capex as straight-line
//            depreciation, whatever the load);
//   cash     capex paid when servers are bought (t = 0 and again at each end of life within
//            the horizon; the residual value comes back at each end of life), everything
//            else as accrued. Break-even is found on cash: when owning's upfront has been
//            earned back. Hardware still in service at the horizon keeps its book value,
//            which the cash total does not credit (it favours renting; the accrual total
//            does credit it).
// Determinism: every (plan, month) window is its own run with the scenario's seed; results
// do not depend on the thread count.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scenarios/report/report_html.h"
#include "scenarios/study/study_run.h"

namespace fleetsim {

struct StudyPlan {
  std::string name;
  std::string scenario;                // path
  std::vector<std::string> overrides;  // study-wide first, then the plan's
};

struct Study {
  std::string file, name, description;
  int months = 12;
  std::optional<double> window_s;  // nullopt: the scenario's duration
  int every = 1;
  double growth_per_month = 0;
  std::vector<StudyPlan> plans;
};

// Throws InputError / ConfigError with file:line:col. `overrides` (command line) are added
// to every plan's scenario overrides.
Study LoadStudy(const std::string& path, const std::vector<std::string>& overrides = {});
// A study whose plans are scenario files as they are, each named by its scenario's `name`
// (names must differ); 12 months, no growth, every month simulated, unless changed.
Study StudyFromScenarios(const std::vector<std::string>& files,
                         const std::vector<std::string>& overrides = {});

struct StudyMonth {
  bool simulated = false;     // false: interpolated between simulated neighbours
  double growth_factor = 1;   // (1 + g)^m
  double accrual_usd = 0;     // the month's accrued cost
  double cash_usd = 0;        // running cash (accrual less depreciation) + capex events
  double capex_cash_usd = 0;  // purchases less residual credits at this month's start
  double arrived = 0, slo_met = 0, output_tokens = 0;  // scaled to the month
  double slo_attainment = 1;
  double ttft_p99_s = 0;
  double energy_kwh = 0;  // facility energy (owned; cloud only where the offer gives power)
};

struct StudyPlanResult {
  std::string name;
  std::vector<StudyMonth> months;
  std::vector<double> cumulative_cash_usd;  // at month boundaries 0..months (size months + 1)
  double total_accrual_usd = 0, total_cash_usd = 0, energy_kwh = 0;
  double slo_attainment = 1;            // over the horizon, weighted by arrivals
  double usd_per_1k_output_tokens = 0;  // accrual / output tokens
  double window_s = 0, scale = 0;       // simulated window and 730 h / window
  int windows_run = 0;
  std::vector<std::string> warnings;  // stalled or stopped windows
};

struct BreakEvenPair {
  std::string a, b;             // a: the plan that is dearer at the start (more upfront)
  std::optional<double> month;  // fractional month when a's cumulative cash <= b's
  int crossings = 0;            // sign changes over the horizon
  std::string text;
};

struct StudyResult {
  std::string name, description;
  int months = 0;
  std::vector<StudyPlanResult> plans;
  std::vector<BreakEvenPair> break_even;  // every pair of plans
};

StudyResult RunStudy(const Study& study, int threads);

// First time (in months, linear within a month) at which the sign of a - b differs from its
// sign at the start; nullopt if it never does. Both are cumulative values at month
// boundaries 0..M (same size). Sets *crossings to the number of sign changes.
std::optional<double> CrossingMonth(const std::vector<double>& a, const std::vector<double>& b,
                                    int* crossings = nullptr);

std::string FormatStudy(const StudyResult& r);     // text table for stdout
std::string StudyPlansCsv(const StudyResult& r);   // one row per plan
std::string StudyMonthsCsv(const StudyResult& r);  // one row per plan x month
std::string StudyBreakEvenCsv(const StudyResult& r);
std::string StudyCumulativeSvg(const StudyResult& r);  // cumulative cash curves
// report.html: the cumulative cash, the accrued cost rate, SLO attainment and p99 TTFT of
// every plan by month (the run report's line charts; the x axis is months of 730 h).
std::string StudyReportHtml(const StudyResult& r);
// plans.html: bar charts per plan (scenarios/report: the bench-policies comparison page).
PolicyComparison StudyComparison(const StudyResult& r);

}  // namespace fleetsim
