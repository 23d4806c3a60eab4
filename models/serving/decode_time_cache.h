// Makes decode iterations cheap to time without changing their times.
//
// A decode-only iteration's time T(B, C) depends on the batch size B and the total context C.
// The roofline model is, for a fixed B, a convex piecewise-linear function of C: every op
// time is max(affine, affine) in C (compute and memory terms, both affine in C, with an
// efficiency that depends on B only), sums of convex functions are convex, and the step
// takes max(GPU time, host time) + constants. For a convex function f on [a, b],
// f((a+b)/2) = (f(a)+f(b))/2 implies f is affine on the whole interval, so a midpoint test
// finds the linear pieces exactly: the table for B is built by recursive bisection of
// [B, B x max_context], keeping segments that pass the test and splitting the others down to
// one token. Segments still not affine (one holds each kink) are evaluated directly.
//
// The wrapped model must have that convexity in C for a fixed B (the roofline model has it;
// a model with steps in C must not be wrapped). Interpolated values agree with direct
// evaluation to ~1e-12 relative.
//
// Prefill-only iterations (no decodes) are memoised exactly: the same (prompt tokens,
// attention pairs) returns the value the wrapped model gave the first time, for up to
// kMaxPrefillShapes distinct shapes (then they are evaluated directly; nothing is evicted, so
// the values do not depend on the order of calls). Mixed iterations pass through.
#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "models/serving/iteration_model.h"

namespace fleetsim {

class DecodeTimeCache final : public IterationTimeModel {
 public:
  // max_context: the longest context of one sequence (the table covers B x max_context).
  DecodeTimeCache(std::unique_ptr<IterationTimeModel> inner, int64_t max_context);

  double Seconds(const IterationShape& shape) const override;
  // As the base, walking the table's segments along the run instead of searching per step.
  void DecodeRun(int64_t seqs, int64_t context, int64_t steps, double* out) const override;
  static constexpr size_t kMaxPrefillShapes = 1 << 16;

  const IterationTimeModel& inner() const { return *inner_; }
  // Direct evaluations made so far (table building and fallbacks), for tests and tuning.
  uint64_t direct_evaluations() const { return direct_; }

 private:
  struct Segment {
    int64_t lo, hi;       // context range [lo, hi]
    double at_lo, slope;  // affine piece; slope < 0 marks "evaluate directly"
  };
  double Direct(int64_t seqs, int64_t context) const;
  const std::vector<Segment>& Table(int64_t seqs) const;
  void Build(int64_t seqs, int64_t lo, int64_t hi, double f_lo, double f_hi, int depth,
             std::vector<Segment>& out) const;

  std::unique_ptr<IterationTimeModel> inner_;
  int64_t max_context_;
  mutable std::vector<std::vector<Segment>> tables_;  // by batch size, built on first use
  mutable uint64_t direct_ = 0;
  struct PrefillKey {
    int64_t tokens;
    double pairs;
    bool operator==(const PrefillKey&) const = default;
  };
  struct PrefillHash {
    size_t operator()(const PrefillKey& k) const {
      return std::hash<int64_t>()(k.tokens) * 1000003u ^ std::hash<double>()(k.pairs);
    }
  };
  mutable std::unordered_map<PrefillKey, double, PrefillHash> prefill_;
};

}  // namespace fleetsim
