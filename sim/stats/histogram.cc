#include "sim/stats/histogram.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace fleetsim {

LogHistogram::LogHistogram(double min_value, double max_value, double relative_error)
    : min_value_(min_value), log_base_(std::log1p(relative_error)) {
  if (!(min_value > 0 && max_value > min_value && relative_error > 0)) {
    throw std::invalid_argument("LogHistogram: need 0 < min < max and error > 0");
  }
  const auto n = static_cast<size_t>(std::ceil(std::log(max_value / min_value) / log_base_)) + 1;
  buckets_.assign(n + 1, 0);
}

size_t LogHistogram::Bucket(double v) const {
  if (!(v > min_value_)) return 0;
  const double b = std::ceil(std::log(v / min_value_) / log_base_);
  const size_t last = buckets_.size() - 1;
  return b >= static_cast<double>(last) ? last : static_cast<size_t>(b);
}

double LogHistogram::UpperEdge(size_t bucket) const {
  return min_value_ * std::exp(static_cast<double>(bucket) * log_base_);
}

void LogHistogram::Add(double v) {
  if (count_ == 0) {
    min_seen_ = max_seen_ = v;
  } else {
    min_seen_ = std::min(min_seen_, v);
    max_seen_ = std::max(max_seen_, v);
  }
  ++count_;
  sum_ += v;
  ++buckets_[Bucket(v)];
}

void LogHistogram::Merge(const LogHistogram& o) {
  if (o.buckets_.size() != buckets_.size() || o.min_value_ != min_value_) {
    throw std::invalid_argument("LogHistogram: merging histograms with different buckets");
  }
  if (o.count_ == 0) return;
  if (count_ == 0) {
    min_seen_ = o.min_seen_;
    max_seen_ = o.max_seen_;
  } else {
    min_seen_ = std::min(min_seen_, o.min_seen_);
    max_seen_ = std::max(max_seen_, o.max_seen_);
  }
  count_ += o.count_;
  sum_ += o.sum_;
  for (size_t i = 0; i < buckets_.size(); ++i) buckets_[i] += o.buckets_[i];
}

double LogHistogram::Quantile(double q) const {
  if (count_ == 0) return 0.0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank =
      std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_))));
  uint64_t seen = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      if (i == buckets_.size() - 1) return max_seen_;
      return std::clamp(UpperEdge(i), min_seen_, max_seen_);
    }
  }
  return max_seen_;
}

LogHistogram LogHistogram::Since(const LogHistogram& earlier) const {
  if (earlier.buckets_.size() != buckets_.size() || earlier.min_value_ != min_value_ ||
      earlier.count_ > count_) {
    throw std::invalid_argument("LogHistogram::Since: not an earlier state of this histogram");
  }
  LogHistogram d = *this;
  d.count_ = count_ - earlier.count_;
  d.sum_ = sum_ - earlier.sum_;
  size_t lo = buckets_.size(), hi = 0;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    if (earlier.buckets_[i] > buckets_[i]) {
      throw std::invalid_argument("LogHistogram::Since: not an earlier state of this histogram");
    }
    d.buckets_[i] = buckets_[i] - earlier.buckets_[i];
    if (d.buckets_[i] > 0) {
      lo = std::min(lo, i);
      hi = i;
    }
  }
  if (d.count_ == 0) {
    d.sum_ = 0;
    d.min_seen_ = d.max_seen_ = 0;
    return d;
  }
  d.min_seen_ = std::min(lo == 0 ? 0.0 : UpperEdge(lo - 1), max_seen_);
  const bool max_rose = earlier.count_ == 0 || max_seen_ > earlier.max_seen_;
  d.max_seen_ =
      max_rose || hi == buckets_.size() - 1 ? max_seen_ : std::min(UpperEdge(hi), max_seen_);
  return d;
}

double LogHistogram::FractionAtMost(double v) const {
  if (count_ == 0) return 0.0;
  if (v >= max_seen_) return 1.0;
  uint64_t at_most = 0;
  for (size_t i = 0; i + 1 < buckets_.size(); ++i) {
    if (UpperEdge(i) > v) break;
    at_most += buckets_[i];
  }
  return static_cast<double>(at_most) / static_cast<double>(count_);
}

}  // namespace fleetsim
