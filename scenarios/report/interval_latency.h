// Time-series columns of latency percentiles per sampling interval, for one service (used by
// the runner; drawn against the SLOs by report.html):
//   S.ttft_p50_s, S.ttft_p99_s, S.tpot_p50_s, S.tpot_p99_s
// over the requests that completed since the previous sample; no value (NaN, an empty CSV
// field) when none did. They come from the service's cumulative histograms
// (LogHistogram::Since), so they keep the histograms' 1 % bound and never understate.
// With a trace, the same values also go to the service's trace counters "ttft p50 s",
// "ttft p99 s", "tpot p50 s", "tpot p99 s", written at the start of the interval they
// describe (a counter value holds from its time on); an interval without completions writes
// none.
//
// Not here: recording latencies (models/serving), writing the file (sim/trace/timeseries).
#pragma once

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
  static constexpr size_t kColumns = 4;
  // Appends the kColumns names for `service`, in the order Sample writes them.
  static void AppendNames(const std::string& service, std::vector<std::string>& columns);
  // Writes kColumns values at row[k], row[k + 1], ...; returns k + kColumns. `overall`: the
  // service's cumulative statistics, of which the previous call's are an earlier state.
  // `trace` may be null; `pid` is the service's counter process, `now` the sample time.
  size_t Sample(const LatencyStats& overall, std::vector<double>& row, size_t k,
                TraceWriter* trace = nullptr, uint32_t pid = 0, SimTime now = SimTime::Zero());

 private:
  LogHistogram ttft_seen_, tpot_seen_;  // at the previous sample
  SimTime last_ = SimTime::Zero();      // the previous sample's time
};

}  // namespace fleetsim
