#include "scenarios/report/rate_counters.h"

namespace fleetsim {

void PoolRateCounters::Sample(TraceWriter* trace, uint32_t pid, SimTime now, double usd,
                              double joules) {
  if (trace && seen_ && now > last_) {
    const double dt_s = (now - last_).seconds();
    trace->Counter(pid, "cost rate usd/h", last_, (usd - last_usd_) / dt_s * 3600.0);
    if (joules > 0) trace->Counter(pid, "power w", last_, (joules - last_j_) / dt_s);
  }
  seen_ = true;
  last_ = now;
  last_usd_ = usd;
  last_j_ = joules;
}

}  // namespace fleetsim
