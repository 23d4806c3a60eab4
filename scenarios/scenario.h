// A scenario file: what to simulate, for how long, and what to write. Loaded strictly
// (unknown keys are errors, with file:line:col and a suggestion).
//
//   name: chatbot-launch
//   description: ...
//   seed: 1
//   duration: "1 d"
//   catalog: [my_gpus.yaml]            # extra catalog files, relative to this file
//   outputs: {timeseries_interval: "1 min", trace: true, max_trace_events: 2000000}
//   services: [...]                     # inference services (docs/scenarios.md)
//   training_jobs: [...]                # training jobs (docs/training.md)
//
// `--set key.path=value` overrides are applied on the parsed tree before reading, so they
// are checked exactly like the file's own values.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/catalog/catalog.h"
#include "models/precision.h"
#include "models/serving/service_config.h"
#include "models/training/training_job.h"
#include "models/training/training_model.h"
#include "sim/config/config.h"
#include "sim/time.h"

namespace fleetsim {

struct ServiceSpec {
  std::string name;
  const ModelCard* model = nullptr;
  Precision precision = Precision::kFp16;
  const DeviceSpec* gpu = nullptr;
  int64_t tensor_parallel = 1;
  std::string runtime = "compiled";  // engine host-cost preset: compiled | eager-2023
  bool weight_streaming = false;
  double kv_fraction = 0.5;
  double link_efficiency = 0.8;
  ServiceConfig config;
  std::optional<ConfigNode> demand;  // read at run start: streams draw from the run's seed
};

// A training job (docs/training.md): its layout is timed and memory-checked at load time,
// so a layout that does not fit is an error with the file position.
struct TrainingJobSpec {
  std::string name;
  const ModelCard* model = nullptr;
  const DeviceSpec* gpu = nullptr;
  std::string network = "dgx-a100";  // dgx-a100 | dgx-h100 (training_model.h presets)
  TrainingLayout layout;
  double tokens = 0;  // to train on
  TrainingFailures failures;
  TrainingIteration iteration;  // computed at load
};

struct OutputSpec {
  Duration timeseries_interval = Duration::Seconds(60);
  bool trace = true;
  uint64_t max_trace_events = 2'000'000;
};

struct Scenario {
  std::string file;
  std::string name;
  std::string description;
  uint64_t seed = 1;
  Duration duration;
  OutputSpec outputs;
  Catalog catalog;
  std::vector<ServiceSpec> services;
  std::vector<TrainingJobSpec> training_jobs;
  std::shared_ptr<const ConfigDocument> document;  // keeps the nodes above alive
};

// Throws ConfigError / InputError. `overrides` are "key.path=value" strings.
Scenario LoadScenario(const std::string& path, const std::vector<std::string>& overrides = {});

}  // namespace fleetsim
