// Binds a service's replica layout (model, precision, GPU type, tensor-parallel degree) to
// the execution model: how long an engine iteration takes and how many KV-cache tokens
// fit. The one place where the serving simulation meets models/compute/.
#pragma once

#include <memory>
#include <string>

#include "models/catalog/device_spec.h"
#include "models/catalog/model_card.h"
#include "models/precision.h"
#include "models/serving/iteration_model.h"

namespace fleetsim {

struct BoundReplica {
  std::unique_ptr<IterationTimeModel> iteration_time;
  int64_t kv_capacity_tokens = 0;
  double weights_bytes_per_gpu = 0;
  double streamed_bytes_per_gpu = 0;  // per iteration; 0 without weight streaming
  double kv_bytes_per_token_per_gpu = 0;
  // KV of one token to or from host memory (swap preemption); 0 without a host link.
  double swap_seconds_per_token = 0;
  std::string notes;  // assumptions worth telling the user (defaults used, ...)
};

struct ReplicaLayout {
  const ModelCard* model = nullptr;
  Precision precision = Precision::kFp16;
  const DeviceSpec* gpu = nullptr;
  int64_t tensor_parallel = 1;
  std::string runtime = "compiled";  // "compiled" or "eager-2023" (models/compute/roofline.h)
  int64_t max_batch = 256;
  int64_t max_batched_tokens = 8192;
  // Weight streaming (models/compute/weight_streaming.h): off unless enabled.
  bool weight_streaming = false;
  double kv_fraction = 0.5;
  double link_efficiency = 0.8;
};

// Throws InputError when the layout cannot run (e.g. the weights do not fit).
BoundReplica BindReplica(const ReplicaLayout& layout);

}  // namespace fleetsim
