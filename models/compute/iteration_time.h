// The compute model behind the serving simulation's IterationTimeModel
// (models/serving/iteration_model.h): one engine iteration's shape -> its op list
// (transformer_ops.h) -> its step time (roofline.h) on one replica's tensor-parallel group.
#pragma once

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

}  // namespace fleetsim
