#include "models/compute/weight_streaming.h"

#include <algorithm>

#include "sim/config/config_error.h"

namespace fleetsim {

WeightStreamingPlan PlanWeightStreaming(double weights, double usable, double kv_fraction,
                                        double link, double efficiency) {
  if (!(kv_fraction > 0 && kv_fraction < 1)) {
    throw InputError("weight streaming: kv_fraction must be between 0 and 1");
  }
  if (!(link > 0)) throw InputError("weight streaming needs a host link bandwidth");
  if (!(efficiency > 0 && efficiency <= 1)) {
    throw InputError("weight streaming: link_efficiency must be in (0, 1]");
  }
  if (!(usable > 0)) {
    throw InputError("weight streaming: the activation workspace alone exceeds GPU memory");
  }
  WeightStreamingPlan p;
  p.weights_bytes_per_gpu = weights;
  p.kv_cache_bytes_per_gpu = kv_fraction * usable;
  p.resident_bytes_per_gpu = std::min(weights, usable - p.kv_cache_bytes_per_gpu);
  p.streamed_bytes_per_gpu = weights - p.resident_bytes_per_gpu;
  if (p.streamed_bytes_per_gpu <= 0) {
    // Everything fits: give the KV cache the memory the weights do not need.
    p.kv_cache_bytes_per_gpu = usable - weights;
    p.streamed_bytes_per_gpu = 0;
  }
  p.link_bytes_per_s = link * efficiency;
  p.stream_seconds = p.streamed_bytes_per_gpu / p.link_bytes_per_s;
  return p;
}

double StreamingIterationTime::Seconds(const IterationShape& shape) const {
  return std::max(compute_->Seconds(shape), stream_seconds_);
}

}  // namespace fleetsim
