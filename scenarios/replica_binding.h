// Binds a service's replica layout (model, precision, GPU type, tensor- and
// pipeline-parallel degrees) to the execution model: how long an engine iteration takes and
// how many KV-cache tokens fit. The one place where the serving simulation meets
// models/compute/.
//
// Pipeline parallelism (pipeline_parallel = pp > 1; docs/serving.md has the derivation):
//   - a replica is tp x pp GPUs; stage k holds StageLayers(layers, pp)[k] layers, the
//     first stage also the embedding, the last the final norm and LM head;
//   - memory per GPU is InferenceMemoryPerGpu of its stage (models/compute/memory_model.h);
//     every token has KV on every stage, so the replica's KV capacity in tokens is the
//     smallest stage's; weights_bytes_per_gpu (what a model load moves per GPU) the
//     largest stage's;
//   - step time: PipelineIterationModel (models/compute/iteration_time.h): the stages in
//     sequence, pp - 1 sends of tokens x hidden x bytes, the per-step runtime costs once.
//     Steps of different batches are NOT overlapped across stages (no virtual engines):
//     each GPU is busy at most 1/pp of a step;
//   - the link between consecutive stages: inside a server, NVLink (the GPU's scale-up
//     link, per direction, at the 70 % the TP all-reduce uses, 9.5 us per message); stages
//     on different servers, the scale-out NIC of `network` (training_model.h presets,
//     PipelineSendSeconds). Stages fill servers of gpus_per_server GPUs in order (the pool
//     ledger's placement: a replica larger than a server takes whole servers), so the
//     boundaries between stages k and k+1 whose GPUs sit on different servers use the NIC.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/catalog/device_spec.h"
#include "models/catalog/model_card.h"
#include "models/precision.h"
#include "models/serving/iteration_model.h"
#include "models/training/training_model.h"

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
  // Pipeline parallelism: layers per stage (one entry when pp = 1) and the stage boundaries
  // that cross servers (on the scale-out NIC).
  std::vector<int64_t> stage_layers;
  int64_t boundaries_across_servers = 0;
};

struct ReplicaLayout {
  const ModelCard* model = nullptr;
  Precision precision = Precision::kFp16;
  const DeviceSpec* gpu = nullptr;
  int64_t tensor_parallel = 1;
  int64_t pipeline_parallel = 1;
  // The server (NVLink domain) the replica's GPUs sit in: its GPU count (0 = the whole
  // replica in one server), and the scale-out preset between servers ("dgx-a100" or
  // "dgx-h100", training_model.h). Used by pipeline stage boundaries only.
  int64_t gpus_per_server = 0;
  std::string network = "dgx-a100";
  std::string runtime = "compiled";  // "compiled" or "eager-2023" (models/compute/roofline.h)
  int64_t max_batch = 256;
  int64_t max_batched_tokens = 8192;
  // Weight streaming (models/compute/weight_streaming.h): off unless enabled.
  bool weight_streaming = false;
  double kv_fraction = 0.5;
  double link_efficiency = 0.8;
  // The per-GPU rate of the streams when the scenario resolved it from a server of its
  // topology (scenarios/streaming_source.h), and how; 0 = the GPU's catalog host link.
  double stream_link_bytes_per_s = 0;
  std::string stream_path;
};

// Throws InputError when the layout cannot run (e.g. the weights do not fit).
BoundReplica BindReplica(const ReplicaLayout& layout);

// Layers of each of pp stages: layers / pp each; the remainder one more each on the stages
// before the last, the last first (the last stage also carries the LM head).
// Precondition (InputError otherwise): 1 <= pp <= layers.
std::vector<int64_t> StageLayers(int64_t layers, int64_t pp);

// The scale-out preset a replica's cross-server stage boundaries use: "dgx-a100" or
// "dgx-h100" (InputError otherwise).
TrainingNetwork ReplicaNetwork(const std::string& name);

}  // namespace fleetsim
