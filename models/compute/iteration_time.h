// The compute model behind the serving simulation's IterationTimeModel
// (models/serving/iteration_model.h): one engine iteration's shape -> its op list
// (transformer_ops.h) -> its step time (roofline.h) on one replica's tensor-parallel group.
#pragma once

#include <functional>
#include <vector>

#include "models/catalog/device_spec.h"
#include "models/catalog/model_card.h"
#include "models/compute/roofline.h"
#include "models/compute/transformer_ops.h"
#include "models/serving/iteration_model.h"

namespace fleetsim {

class RooflineIterationModel : public IterationTimeModel {
 public:
  // `model` and `device` must outlive this object. `ops.tp` is the replica's TP degree;
  // `timing` carries the runtime preset and the all-reduce cost function.
  RooflineIterationModel(const ModelCard& model, const DeviceSpec& device, OpOptions ops,
                         TimingOptions timing);

  // IterationShape does not say how many prompts complete in the iteration: the LM head is
  // charged one row per decoding sequence plus one if any prompt tokens are processed, and
  // the runtime's per-sequence cost likewise.
  double Seconds(const IterationShape& shape) const override;

  // The op list and the full timing of a shape (for reports and tests).
  InferenceBatch BatchOf(const IterationShape& shape) const;
  StepTiming Timing(const IterationShape& shape) const;

 private:
  const ModelCard& model_;
  const DeviceSpec& device_;
  OpOptions ops_;
  TimingOptions timing_;
};

// One engine step of a pipeline-parallel replica: pp stages of tp GPUs each, stage k running
// OpOptions::layers of its own (the first with the embedding, the last with the LM head).
// The whole batch of the step passes the stages in order:
//
//   step time = sum over stages k of max(stage_k, stream_k)
//               + sum over the pp - 1 stage boundaries of send_b(tokens x hidden x bytes)
//               + fixed (the device and runtime step overheads and the per-sequence cost,
//                 ONCE per step: the engine schedules and samples once, not per stage)
//   stage_k   = max(GPU time, host time) of the stage's op list (roofline.h TimeStep
//               without its fixed part): each stage's GPUs have their own host process
//   stream_k  = the stage's weight-streaming floor (weight_streaming.h; 0 without it)
//
// NOT modelled: overlap of different steps' micro-batches across stages. A GPU computes
// for its stage's share of a step and then waits for the rest: it is busy at most 1/pp of
// the time (an engine without virtual engines / micro-batch interleaving; vLLM runs pp
// "virtual engines" whose steps fill the pipeline, which can raise the throughput up to pp
// times at the same step latency). This is the conservative model.
//
// Each step's time is convex in the decode context for a fixed batch (a sum of convex
// stage times and constants), so models/serving/decode_time_cache.h may wrap it.
class PipelineIterationModel : public IterationTimeModel {
 public:
  struct Stage {
    OpOptions ops;        // tp, precision, layers, include_embedding, include_head
    double stream_s = 0;  // weight-streaming floor of the stage (0: none)
  };
  // Seconds of one send of `bytes` (per GPU) across one stage boundary.
  using SendSeconds = std::function<double(double bytes)>;

  // `model` and `device` must outlive this object; stages.size() >= 1 and
  // sends.size() == stages.size() - 1.
  PipelineIterationModel(const ModelCard& model, const DeviceSpec& device,
                         std::vector<Stage> stages, std::vector<SendSeconds> sends,
                         TimingOptions timing);

  double Seconds(const IterationShape& shape) const override;

  // Parts of Seconds(), for reports and tests.
  double StageSeconds(const IterationShape& shape, size_t stage) const;  // max(stage, stream)
  double SendSecondsOf(const IterationShape& shape) const;               // all boundaries
  double FixedSeconds(const IterationShape& shape) const;
  // Activation bytes per GPU crossing a boundary: tokens x hidden x bytes per element.
  double SendBytes(const IterationShape& shape) const;
  size_t stages() const { return stages_.size(); }

 private:
  const ModelCard& model_;
  std::vector<RooflineIterationModel> stage_models_;
  std::vector<Stage> stages_;
  std::vector<SendSeconds> sends_;
};

}  // namespace fleetsim
