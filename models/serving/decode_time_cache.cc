#include "models/serving/decode_time_cache.h"

#include <algorithm>
#include <cmath>

namespace fleetsim {

namespace {
constexpr double kAffineTolerance = 1e-12;  // relative
constexpr int kMaxDepth = 64;
}  // namespace

DecodeTimeCache::DecodeTimeCache(std::unique_ptr<IterationTimeModel> inner, int64_t max_context)
    : inner_(std::move(inner)), max_context_(std::max<int64_t>(max_context, 1)) {}

double DecodeTimeCache::Direct(int64_t seqs, int64_t context) const {
  ++direct_;
  IterationShape s;
  s.decode_seqs = seqs;
  s.decode_context_tokens = context;
  return inner_->Seconds(s);
}

void DecodeTimeCache::Build(int64_t seqs, int64_t lo, int64_t hi, double f_lo, double f_hi,
                            int depth, std::vector<Segment>& out) const {
  if (hi - lo <= 1 || depth >= kMaxDepth) {
    // Too narrow to test: affine by definition between two integer points.
    out.push_back({lo, hi, f_lo, hi > lo ? (f_hi - f_lo) / static_cast<double>(hi - lo) : 0.0});
    return;
  }
  const int64_t mid = lo + (hi - lo) / 2;
  const double f_mid = Direct(seqs, mid);
  const double chord =
      f_lo + (f_hi - f_lo) * static_cast<double>(mid - lo) / static_cast<double>(hi - lo);
  if (std::fabs(f_mid - chord) <= kAffineTolerance * std::max(std::fabs(f_mid), 1e-300)) {
    out.push_back({lo, hi, f_lo, (f_hi - f_lo) / static_cast<double>(hi - lo)});
    return;
  }
  Build(seqs, lo, mid, f_lo, f_mid, depth + 1, out);
  Build(seqs, mid, hi, f_mid, f_hi, depth + 1, out);
}

const std::vector<DecodeTimeCache::Segment>& DecodeTimeCache::Table(int64_t seqs) const {
  if (static_cast<size_t>(seqs) >= tables_.size()) tables_.resize(static_cast<size_t>(seqs) + 1);
  auto& table = tables_[static_cast<size_t>(seqs)];
  if (table.empty()) {
    const int64_t lo = seqs, hi = seqs * max_context_;
    Build(seqs, lo, hi, Direct(seqs, lo), Direct(seqs, hi), 0, table);
  }
  return table;
}

double DecodeTimeCache::Seconds(const IterationShape& s) const {
  if (s.prefill_tokens > 0 && s.decode_seqs == 0) {
    const PrefillKey key{s.prefill_tokens, s.prefill_attention_pairs};
    if (const auto it = prefill_.find(key); it != prefill_.end()) return it->second;
    const double t = inner_->Seconds(s);
    if (prefill_.size() < kMaxPrefillShapes) prefill_.emplace(key, t);
    return t;
  }
  if (s.prefill_tokens != 0 || s.decode_seqs <= 0) return inner_->Seconds(s);
  const int64_t c = s.decode_context_tokens;
  if (c < s.decode_seqs || c > s.decode_seqs * max_context_) return Direct(s.decode_seqs, c);
  const auto& table = Table(s.decode_seqs);
  // The segment whose [lo, hi] holds c (segments are contiguous and sorted).
  auto it = std::upper_bound(table.begin(), table.end(), c,
                             [](int64_t v, const Segment& seg) { return v < seg.lo; });
  const Segment& seg = *(it - 1);
  return seg.at_lo + seg.slope * static_cast<double>(c - seg.lo);
}

void DecodeTimeCache::DecodeRun(int64_t seqs, int64_t context, int64_t steps, double* out) const {
  if (seqs <= 0) {
    IterationTimeModel::DecodeRun(seqs, context, steps, out);
    return;
  }
  const std::vector<Segment>* table = nullptr;
  size_t i = 0;  // the segment holding the previous in-range context (contexts only grow)
  for (int64_t j = 0; j < steps; ++j) {
    const int64_t c = context + j * seqs;
    if (c < seqs || c > seqs * max_context_) {
      out[j] = Direct(seqs, c);
      continue;
    }
    if (!table) {
      table = &Table(seqs);
      i = static_cast<size_t>(
          std::upper_bound(table->begin(), table->end(), c,
                           [](int64_t v, const Segment& seg) { return v < seg.lo; }) -
          table->begin() - 1);
    }
    // The last segment starting at or before c, as Seconds' search finds it.
    while (i + 1 < table->size() && (*table)[i + 1].lo <= c) ++i;
    const Segment& seg = (*table)[i];
    out[j] = seg.at_lo + seg.slope * static_cast<double>(c - seg.lo);
  }
}

}  // namespace fleetsim
