#include "scenarios/report/interval_latency.h"

#include <cmath>
#include <limits>

namespace fleetsim {

namespace {
constexpr const char* kMetricNames[IntervalLatencyColumns::kMetrics] = {"ttft", "tpot", "e2e"};
constexpr const char* kQuantileNames[IntervalLatencyColumns::kQuantiles] = {"p50", "p90", "p99"};
constexpr double kQuantileValues[IntervalLatencyColumns::kQuantiles] = {0.50, 0.90, 0.99};
}  // namespace

void IntervalLatencyColumns::AppendNames(const std::string& prefix,
                                         std::vector<std::string>& columns) {
  for (const char* m : kMetricNames) {
    for (const char* q : kQuantileNames) {
      columns.push_back(prefix + "." + m + "_" + q + "_s");
    }
  }
}

size_t IntervalLatencyColumns::Sample(const LatencyStats& stats, std::vector<double>& row, size_t k,
                                      TraceWriter* trace, uint32_t pid, SimTime now) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const LogHistogram* cumulative[kMetrics] = {&stats.ttft_s, &stats.tpot_s, &stats.e2e_s};
  for (size_t m = 0; m < kMetrics; ++m) {
    const LogHistogram interval = cumulative[m]->Since(seen_[m]);
    seen_[m] = *cumulative[m];
    for (size_t q = 0; q < kQuantiles; ++q) {
      const double v = interval.count() ? interval.Quantile(kQuantileValues[q]) : kNaN;
      row[k + m * kQuantiles + q] = v;
      if (trace && now > last_ && std::isfinite(v)) {
        trace->Counter(pid, std::string(kMetricNames[m]) + " " + kQuantileNames[q] + " s", last_,
                       v);
      }
    }
  }
  last_ = now;
  return k + kColumns;
}

}  // namespace fleetsim
