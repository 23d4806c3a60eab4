// Time-series columns of latency percentiles per sampling interval, for one service or one
// request class of a service (used by the runner; drawn against the SLOs by report.html):
//   P.ttft_p50_s, P.ttft_p90_s, P.ttft_p99_s, P.tpot_p50_s, P.tpot_p90_s, P.tpot_p99_s,
//   P.e2e_p50_s, P.e2e_p90_s, P.e2e_p99_s
// (P = the service, or service.class) over the requests that completed since the previous
// sample; no value (NaN, an empty CSV field) when none did. They come from the cumulative
// histograms of the LatencyStats given (LogHistogram::Since), so they keep the histograms'
// 1 % bound and never understate; the state kept is one histogram per metric (the previous
// sample's), so memory does not grow with the requests or the samples.
// With a trace (the service's overall columns), the same values also go to the service's
// trace counters "ttft p50 s", "ttft p90 s", ..., "e2e p99 s", written at the start of the
// interval they describe (a counter value holds from its time on); an interval without
// completions writes none.
//
// Not here: recording latencies (models/serving), writing the file (sim/trace/timeseries).
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "models/serving/service_metrics.h"
#include "sim/stats/histogram.h"
#include "sim/time.h"
#include "sim/trace/trace_writer.h"

namespace fleetsim {

class IntervalLatencyColumns {
 public:
  static constexpr size_t kMetrics = 3;    // ttft, tpot, e2e
  static constexpr size_t kQuantiles = 3;  // p50, p90, p99
  static constexpr size_t kColumns = kMetrics * kQuantiles;
  // Appends the kColumns names for `prefix` (a service, or "service.class"), in the order
  // Sample writes them.
  static void AppendNames(const std::string& prefix, std::vector<std::string>& columns);
  // Writes kColumns values at row[k], row[k + 1], ...; returns k + kColumns. `stats`: the
  // cumulative statistics of the service (or class), of which the previous call's are an
  // earlier state. `trace` may be null; `pid` is the service's counter process, `now` the
  // sample time.
  size_t Sample(const LatencyStats& stats, std::vector<double>& row, size_t k,
                TraceWriter* trace = nullptr, uint32_t pid = 0, SimTime now = SimTime::Zero());

 private:
  std::array<LogHistogram, kMetrics> seen_;  // ttft, tpot, e2e at the previous sample
  SimTime last_ = SimTime::Zero();           // the previous sample's time
};

}  // namespace fleetsim
