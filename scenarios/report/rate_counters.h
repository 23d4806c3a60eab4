// Trace counters for a pool (trace.json, docs/outputs.md): its cost rate and power, as the
// change of its cumulative cost and IT energy since the previous sample:
//   "cost rate usd/h"   (USD since the previous sample) / (hours since it)
//   "power w"           (joules since the previous sample) / (seconds since it); written
//                       only once the pool has drawn energy (a cloud offer without a known
//                       power draws none, and a line at zero would say it uses no power)
// A counter value holds from its time on, as Perfetto draws it, so each value is written
// at the start of the interval it describes: the first sample writes nothing, and the value
// for (previous, now] is written at the previous sample's time.
//
// Not here: the costs themselves (models/pricing), the trace format (sim/trace).
#pragma once

#include <cstdint>

#include "sim/time.h"
#include "sim/trace/trace_writer.h"

namespace fleetsim {

class PoolRateCounters {
 public:
  // `trace` may be null (no trace written): then nothing happens.
  void Sample(TraceWriter* trace, uint32_t pid, SimTime now, double cumulative_usd,
              double cumulative_it_energy_j);

 private:
  bool seen_ = false;
  SimTime last_ = SimTime::Zero();
  double last_usd_ = 0, last_j_ = 0;
};

}  // namespace fleetsim
