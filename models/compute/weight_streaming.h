// Weight streaming (S2, S3, S8): a model whose weights do not fit a replica's GPUs runs with
// the weights that are not resident streamed from host memory over each GPU's host link
// (PCIe) in every iteration, the way DeepSpeed ZeRO-Inference and FlexGen serve models
// larger than GPU memory.
//
//   iteration time = max(compute time, streamed bytes per GPU / (host link x efficiency))
//
// The max assumes the next layers' weights are prefetched while the current ones compute
// (double buffering), so transfer and compute overlap; without prefetching the two would
// add. Each tensor-parallel rank streams its own shard over its own link, in parallel.
//
// Memory split: after the runtime reserve and the activation workspace, a fraction
// `kv_fraction` of what is left holds the KV cache and the rest holds as many weights as
// fit; the remainder streams. `link_efficiency` is the share of the host link's nominal
// per-direction bandwidth a pinned host-to-device copy reaches (default 0.8: CUDA
// bandwidthTest, pinned memory, moves about 25 GB/s over a 32 GB/s PCIe 4.0 x16 link).
#pragma once

#include <memory>

#include "models/serving/iteration_model.h"

namespace fleetsim {

struct WeightStreamingPlan {
  double weights_bytes_per_gpu = 0;
  double resident_bytes_per_gpu = 0;
  double streamed_bytes_per_gpu = 0;  // per iteration
  double kv_cache_bytes_per_gpu = 0;
  double link_bytes_per_s = 0;  // effective
  double stream_seconds = 0;    // streamed / link: the floor of every iteration
};

// Preconditions (InputError otherwise): 0 < kv_fraction < 1, link bandwidth > 0,
// 0 < link_efficiency <= 1, usable_bytes > 0 (memory after reserve and workspace).
WeightStreamingPlan PlanWeightStreaming(double weights_bytes_per_gpu, double usable_bytes,
                                        double kv_fraction, double link_bytes_per_s,
                                        double link_efficiency);

class StreamingIterationTime final : public IterationTimeModel {
 public:
  StreamingIterationTime(std::unique_ptr<IterationTimeModel> compute, double stream_seconds)
      : compute_(std::move(compute)), stream_seconds_(stream_seconds) {}
  double Seconds(const IterationShape& shape) const override;

 private:
  std::unique_ptr<IterationTimeModel> compute_;
  double stream_seconds_;
};

}  // namespace fleetsim
