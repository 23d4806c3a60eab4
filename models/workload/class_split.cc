#include "models/workload/class_split.h"

#include <algorithm>
#include <stdexcept>

namespace fleetsim {

class ClassSplitter::Stream final : public RequestStream {
 public:
  Stream(std::shared_ptr<State> state, size_t output) : state_(std::move(state)), output_(output) {}
  std::optional<RequestSpec> Next() override { return state_->Next(output_); }

 private:
  std::shared_ptr<State> state_;
  size_t output_;
};

ClassSplitter::ClassSplitter(std::unique_ptr<RequestStream> source, std::vector<double> weights,
                             Rng class_rng, std::vector<size_t> route, size_t outputs)
    : state_(std::make_shared<State>(State{std::move(source),
                                           {},
                                           class_rng,
                                           std::move(route),
                                           std::vector<std::deque<RequestSpec>>(outputs)})) {
  if (weights.empty() || weights.size() != state_->route.size()) {
    throw std::invalid_argument("ClassSplitter: one weight and one route per class");
  }
  double total = 0;
  for (double w : weights) {
    if (!(w >= 0)) throw std::invalid_argument("ClassSplitter: negative weight");
    total += w;
  }
  for (size_t r : state_->route) {
    if (r >= outputs) throw std::invalid_argument("ClassSplitter: route beyond the outputs");
  }
  // The same cumulative shares as ServiceSim's (service_sim.cc), so draws match bit for bit.
  double acc = 0;
  for (double w : weights) {
    acc += w;
    state_->cdf.push_back(total > 0 ? acc / total : 1.0);
  }
}

std::unique_ptr<RequestStream> ClassSplitter::Output(size_t i) {
  if (i >= state_->buffers.size()) throw std::invalid_argument("ClassSplitter: no such output");
  return std::make_unique<Stream>(state_, i);
}

std::optional<RequestSpec> ClassSplitter::State::Next(size_t output) {
  auto& mine = buffers[output];
  if (!mine.empty()) {
    RequestSpec r = mine.front();
    mine.pop_front();
    return r;
  }
  for (;;) {
    std::optional<RequestSpec> r = source->Next();
    if (!r) return std::nullopt;
    if (r->class_index < 0) {
      const double u = rng.Uniform01();
      r->class_index =
          static_cast<int32_t>(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
      if (r->class_index >= static_cast<int32_t>(cdf.size())) {
        r->class_index = static_cast<int32_t>(cdf.size()) - 1;
      }
    }
    const size_t to = route[static_cast<size_t>(r->class_index)];
    if (to == output) return r;
    buffers[to].push_back(*r);
  }
}

}  // namespace fleetsim
