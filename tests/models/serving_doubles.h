// Test doubles shared by the serving tests (not physics): an affine iteration time and a
// request stream from a fixed list.
#pragma once

#include <optional>
#include <vector>

#include "models/serving/iteration_model.h"
#include "models/workload/arrivals.h"

namespace fleetsim::test {

// Iteration time = a + b x prefill tokens + c x decode seqs + d x decode context tokens.
// Values in the tests are chosen so that hand sums are exact.
struct AffineTime final : IterationTimeModel {
  double a = 1e-3, b = 1e-6, c = 0, d = 0;
  double Seconds(const IterationShape& s) const override {
    return a + b * static_cast<double>(s.prefill_tokens) + c * static_cast<double>(s.decode_seqs) +
           d * static_cast<double>(s.decode_context_tokens);
  }
};

// The requests of `list`, in order.
struct ListStream final : RequestStream {
  std::vector<RequestSpec> list;
  size_t next = 0;
  std::optional<RequestSpec> Next() override {
    if (next == list.size()) return std::nullopt;
    return list[next++];
  }
};

}  // namespace fleetsim::test
