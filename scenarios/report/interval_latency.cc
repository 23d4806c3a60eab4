#include "scenarios/report/interval_latency.h"

#include <cmath>
#include <limits>

namespace fleetsim {

void IntervalLatencyColumns::AppendNames(const std::string& service,
                                         std::vector<std::string>& columns) {
  for (const char* c : {"ttft_p50_s", "ttft_p99_s", "tpot_p50_s", "tpot_p99_s"}) {
    columns.push_back(service + "." + c);
  }
}

size_t IntervalLatencyColumns::Sample(const LatencyStats& overall, std::vector<double>& row,
                                      size_t k, TraceWriter* trace, uint32_t pid, SimTime now) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const LogHistogram ttft = overall.ttft_s.Since(ttft_seen_);
  const LogHistogram tpot = overall.tpot_s.Since(tpot_seen_);
  ttft_seen_ = overall.ttft_s;
  tpot_seen_ = overall.tpot_s;
  static const char* const kNames[kColumns] = {"ttft p50 s", "ttft p99 s", "tpot p50 s",
                                               "tpot p99 s"};
  const double values[kColumns] = {
      ttft.count() ? ttft.Quantile(0.50) : kNaN, ttft.count() ? ttft.Quantile(0.99) : kNaN,
      tpot.count() ? tpot.Quantile(0.50) : kNaN, tpot.count() ? tpot.Quantile(0.99) : kNaN};
  for (size_t i = 0; i < kColumns; ++i) {
    row[k + i] = values[i];
    if (trace && now > last_ && std::isfinite(values[i])) {
      trace->Counter(pid, kNames[i], last_, values[i]);
    }
  }
  last_ = now;
  return k + kColumns;
}

}  // namespace fleetsim
