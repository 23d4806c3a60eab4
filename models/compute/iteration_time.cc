#include "models/compute/iteration_time.h"

#include <algorithm>
#include <stdexcept>

namespace fleetsim {

RooflineIterationModel::RooflineIterationModel(const ModelCard& model, const DeviceSpec& device,
                                               OpOptions ops, TimingOptions timing)
    : model_(model), device_(device), ops_(ops), timing_(std::move(timing)) {}

InferenceBatch RooflineIterationModel::BatchOf(const IterationShape& s) const {
  InferenceBatch b;
  b.prefill_tokens = s.prefill_tokens;
  b.prefill_attention_pairs = s.prefill_attention_pairs;
  b.prefill_seqs = s.prefill_tokens > 0 ? 1 : 0;
  b.decode_seqs = s.decode_seqs;
  b.decode_context_tokens = s.decode_context_tokens;
  return b;
}

StepTiming RooflineIterationModel::Timing(const IterationShape& s) const {
  const InferenceBatch b = BatchOf(s);
  TimingOptions t = timing_;
  t.sequences = b.prefill_seqs + b.decode_seqs;
  return TimeStep(InferenceStepOps(model_, b, ops_), device_, t);
}

double RooflineIterationModel::Seconds(const IterationShape& s) const { return Timing(s).total_s; }

PipelineIterationModel::PipelineIterationModel(const ModelCard& model, const DeviceSpec& device,
                                               std::vector<Stage> stages,
                                               std::vector<SendSeconds> sends, TimingOptions timing)
    : model_(model), stages_(std::move(stages)), sends_(std::move(sends)) {
  if (stages_.empty() || sends_.size() + 1 != stages_.size()) {
    throw std::logic_error("PipelineIterationModel: pp stages need pp - 1 sends");
  }
  stage_models_.reserve(stages_.size());
  for (const Stage& st : stages_) stage_models_.emplace_back(model, device, st.ops, timing);
}

double PipelineIterationModel::StageSeconds(const IterationShape& shape, size_t stage) const {
  const StepTiming t = stage_models_.at(stage).Timing(shape);
  return std::max({t.gpu_s, t.host_s, stages_[stage].stream_s});
}

double PipelineIterationModel::SendBytes(const IterationShape& shape) const {
  const double tokens = static_cast<double>(shape.prefill_tokens + shape.decode_seqs);
  return tokens * static_cast<double>(model_.hidden) *
         BytesPerElement(stages_.front().ops.precision);
}

double PipelineIterationModel::SendSecondsOf(const IterationShape& shape) const {
  const double bytes = SendBytes(shape);
  double s = 0;
  for (const auto& send : sends_) s += send(bytes);
  return s;
}

double PipelineIterationModel::FixedSeconds(const IterationShape& shape) const {
  return stage_models_.front().Timing(shape).fixed_s;
}

double PipelineIterationModel::Seconds(const IterationShape& shape) const {
  double total = 0;
  for (size_t k = 0; k < stages_.size(); ++k) {
    const StepTiming t = stage_models_[k].Timing(shape);
    total += std::max({t.gpu_s, t.host_s, stages_[k].stream_s});
    if (k == 0) total += t.fixed_s;  // once per step
  }
  return total + SendSecondsOf(shape);
}

}  // namespace fleetsim
