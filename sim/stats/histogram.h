// A log-bucketed histogram for latency distributions: constant memory whatever the number
// of samples, percentiles with a bounded relative error.
//
// Buckets: values in [min_value, max_value] are mapped to ceil(log(v / min) / log(1 + e))
// with relative width e (default 1 %): a reported percentile is within e of the true
// sample percentile (it returns the bucket's upper edge, so the estimate never understates
// a latency). Values below min_value count in the first bucket
// and above max_value in an overflow bucket; exact min, max, count and mean are kept.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fleetsim {

class LogHistogram {
 public:
  // Defaults cover 1 us .. ~3 years with 1 % buckets (~2,900 buckets, 23 KB).
  explicit LogHistogram(double min_value = 1e-6, double max_value = 1e8,
                        double relative_error = 0.01);

  void Add(double v);
  void Merge(const LogHistogram& other);  // precondition: same parameters

  uint64_t count() const { return count_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  double min() const { return count_ ? min_seen_ : 0.0; }
  double max() const { return count_ ? max_seen_ : 0.0; }
  // The q-quantile (0 <= q <= 1): the upper edge of the bucket holding the ceil(q * count)-th
  // smallest sample, clamped to [min(), max()]. 0 when empty.
  double Quantile(double q) const;
  // Fraction of samples <= v (to bucket resolution, conservatively: a bucket counts only if
  // its upper edge is <= v).
  double FractionAtMost(double v) const;
  // The samples added since `earlier`, an earlier state of this same histogram (throws
  // std::invalid_argument if the buckets differ or a count would go negative): count, sum
  // and bucket counts exact; max exact if it rose since `earlier`, otherwise the upper edge
  // of the highest non-empty bucket; min the lower edge of the lowest. Percentiles of the
  // difference thus keep the error bound and never understate. For time series of
  // latencies over an interval without a histogram per interval.
  LogHistogram Since(const LogHistogram& earlier) const;

 private:
  size_t Bucket(double v) const;
  double UpperEdge(size_t bucket) const;

  double min_value_;
  double log_base_;                // log(1 + relative_error)
  std::vector<uint64_t> buckets_;  // last one: overflow
  uint64_t count_ = 0;
  double sum_ = 0;
  double min_seen_ = 0;
  double max_seen_ = 0;
};

}  // namespace fleetsim
