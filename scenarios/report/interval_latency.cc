#include "scenarios/report/interval_latency.h"

#include <limits>

namespace fleetsim {

void IntervalLatencyColumns::AppendNames(const std::string& service,
                                         std::vector<std::string>& columns) {
  for (const char* c : {"ttft_p50_s", "ttft_p99_s", "tpot_p50_s", "tpot_p99_s"}) {
    columns.push_back(service + "." + c);
  }
}

size_t IntervalLatencyColumns::Sample(const LatencyStats& overall, std::vector<double>& row,
                                      size_t k) {
  constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  const LogHistogram ttft = overall.ttft_s.Since(ttft_seen_);
  const LogHistogram tpot = overall.tpot_s.Since(tpot_seen_);
  ttft_seen_ = overall.ttft_s;
  tpot_seen_ = overall.tpot_s;
  row[k++] = ttft.count() ? ttft.Quantile(0.50) : kNaN;
  row[k++] = ttft.count() ? ttft.Quantile(0.99) : kNaN;
  row[k++] = tpot.count() ? tpot.Quantile(0.50) : kNaN;
  row[k++] = tpot.count() ? tpot.Quantile(0.99) : kNaN;
  return k;
}

}  // namespace fleetsim
