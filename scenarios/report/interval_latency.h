// Time-series columns of latency percentiles per sampling interval, for one service (used by
// the runner; drawn against the SLOs by report.html):
//   S.ttft_p50_s, S.ttft_p99_s, S.tpot_p50_s, S.tpot_p99_s
// over the requests that completed since the previous sample; no value (NaN, an empty CSV
// field) when none did. They come from the service's cumulative histograms
// (LogHistogram::Since), so they keep the histograms' 1 % bound and never understate.
//
// Not here: recording latencies (models/serving), writing the file (sim/trace/timeseries).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "models/serving/service_metrics.h"
#include "sim/stats/histogram.h"

namespace fleetsim {

class IntervalLatencyColumns {
 public:
  static constexpr size_t kColumns = 4;
  // Appends the kColumns names for `service`, in the order Sample writes them.
  static void AppendNames(const std::string& service, std::vector<std::string>& columns);
  // Writes kColumns values at row[k], row[k + 1], ...; returns k + kColumns. `overall`: the
  // service's cumulative statistics, of which the previous call's are an earlier state.
  size_t Sample(const LatencyStats& overall, std::vector<double>& row, size_t k);

 private:
  LogHistogram ttft_seen_, tpot_seen_;  // at the previous sample
};

}  // namespace fleetsim
