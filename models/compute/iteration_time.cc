#include "models/compute/iteration_time.h"

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

}  // namespace fleetsim
