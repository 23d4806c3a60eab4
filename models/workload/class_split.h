// One demand, several services: splits a request stream by request class, so that, e.g.,
// latency-sensitive requests go to an H100 service and batch requests to an A10 service
// (S7: batch inference on cheaper GPUs) while both see the same arrivals.
//
// Requests without a class (synthetic demand) get one drawn exactly as ServiceSim draws it
// (the stream `<name>.classes`, weights in class order), so routing a class to another
// service never changes which requests belong to which class. Each output stream returns
// the requests routed to it, in arrival order; requests read ahead for another output wait
// in its buffer (memory: the requests between two consecutive requests of the slowest-
// consuming output, not the whole demand).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "models/workload/arrivals.h"
#include "sim/rng.h"

namespace fleetsim {

class ClassSplitter {
 public:
  // `route[c]` is the output of class c (< outputs); `weights[c]` its share of synthetic
  // arrivals (>= 0, not all zero). Preconditions are std::invalid_argument.
  ClassSplitter(std::unique_ptr<RequestStream> source, std::vector<double> weights, Rng class_rng,
                std::vector<size_t> route, size_t outputs);
  // The stream of output i. The splitter's state is shared with the returned streams, which
  // may outlive the splitter object.
  std::unique_ptr<RequestStream> Output(size_t i);

 private:
  struct State {
    std::unique_ptr<RequestStream> source;
    std::vector<double> cdf;
    Rng rng;
    std::vector<size_t> route;
    std::vector<std::deque<RequestSpec>> buffers;
    std::optional<RequestSpec> Next(size_t output);
  };
  class Stream;
  std::shared_ptr<State> state_;
};

}  // namespace fleetsim
