// A scenario file: what to simulate, for how long, and what to write. Loaded strictly
// (unknown keys are errors, with file:line:col and a suggestion).
//
//   name: chatbot-launch
//   description: ...
//   seed: 1
//   duration: "1 d"
//   catalog: [my_gpus.yaml]            # extra catalog files, relative to this file
//   outputs: {timeseries_interval: "1 min", trace: true, max_trace_events: 2000000}
//   prices: [my_prices.yaml]            # extra price files, relative to this file
//   pools: [...]                        # priced GPU pools, cloud or owned (docs/pricing.md)
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
#include "models/pricing/pools.h"
#include "models/serving/autoscaler.h"
#include "models/serving/service_config.h"
#include "models/training/training_job.h"
#include "models/training/training_model.h"
#include "scenarios/replica_binding.h"
#include "sim/config/config.h"
#include "sim/time.h"
#include "topologies/cluster_graph.h"

namespace fleetsim {

// A priced pool of GPUs, resolved from the price catalog at load time: a cloud offer on one
// plan, or an owned server type at a site. Services and training jobs name the pool their
// GPUs come from; the run bills it (models/pricing/cost_model.h).
struct PricedPool {
  std::string name;
  bool cloud = true;
  CloudPool cloud_pool;  // when cloud
  OwnedPool owned_pool;  // otherwise
  const DeviceSpec* gpu = nullptr;
  int64_t gpus_per_unit = 1;  // per instance (cloud) or server (owned)
  // Units that can be held at once: owned servers; cloud max_instances (0 = no cap).
  int64_t max_units = 0;
};

struct ServiceSpec {
  std::string name;
  const ModelCard* model = nullptr;
  Precision precision = Precision::kFp16;
  const DeviceSpec* gpu = nullptr;
  int64_t tensor_parallel = 1;
  int64_t pipeline_parallel = 1;  // stages; a replica is tensor_parallel x pipeline_parallel GPUs
  int64_t gpus_per_server = 0;    // the pool's GPUs per instance / server (0: no pool)
  std::string network = "dgx-a100";  // scale-out preset between a replica's servers
  std::string runtime = "compiled";  // engine host-cost preset: compiled | eager-2023
  bool weight_streaming = false;
  double kv_fraction = 0.5;
  double link_efficiency = 0.8;
  // Where the streamed weights come from (docs/serving.md, "Weight streaming"): "host" memory
  // or "nvme", and optionally a server of the scenario's topology whose links the streams
  // cross, every GPU of it streaming at once (scenarios/streaming_source.h). Resolved to a
  // per-GPU rate; 0 = the GPU's catalog host link.
  std::string stream_from = "host";
  std::string stream_server;
  double stream_link_bytes_per_s = 0;
  std::string stream_path;  // how the rate was found, for the run's notes
  ServiceConfig config;
  std::optional<ConfigNode> demand;  // read at run start: streams draw from the run's seed
  // Pricing and elasticity (docs/serving.md, "Pools and autoscaling").
  std::string pool;  // "" = not priced, replicas always there; else pools.front()
  // Where replicas come from, in order of preference (same GPU type): `pool: [a, b, ...]`,
  // and `burst_pool` appended (owned base load plus cloud burst). A replica comes from the
  // first pool that can provide it; scale-down drains the last pools' replicas first.
  std::vector<std::string> pools;
  std::optional<AutoscaleConfig> autoscale;  // config.replicas is then the initial count
  // Loading a new replica's weights: bytes per GPU / this rate (default: the GPU's host
  // link, an upper bound on the rate; storage or network is often slower).
  std::optional<double> weights_load_bytes_per_s;
  double egress_bytes_per_request = 0;  // response bytes leaving the pool, billed as egress
  // Class routing (docs/serving.md, "Heterogeneous fleets"): this service's demand sends the
  // requests of some classes to other services (`route`: class index -> service name);
  // a service with `demand: {from: NAME}` has no demand of its own and serves what NAME
  // routes to it, with NAME's classes.
  std::vector<std::pair<int32_t, std::string>> route;
  std::string demand_from;
  int64_t GpusPerReplica() const { return tensor_parallel * pipeline_parallel; }
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
  std::string pool;             // "" = not priced; else its GPUs are held until the job ends
  // placement: the scenario topology's servers the job runs on (indices, in rank order:
  // `first_server: N` = N, N+1, ...; or `servers: [names]`); its inter-server traffic runs
  // as flows there (models/training/training_fabric.h). Empty: no placement (closed form).
  std::vector<int64_t> servers;
  Duration start;  // `start:` when the job starts (default 0); time to train counts from it
};

// Services that share one set of GPUs and swap models on them (scenarios/service_fleet.h).
struct SwapGroupSpec {
  std::string name;
  std::vector<std::string> services;
  Duration interval = Duration::Seconds(30);
  int64_t keep_loaded = 1;  // replicas each service keeps
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
  std::vector<PricedPool> pools;
  std::vector<ServiceSpec> services;
  std::vector<SwapGroupSpec> swap_groups;
  std::vector<TrainingJobSpec> training_jobs;
  // `topology:` (a topology file, or one embedded): where placed training jobs run.
  std::shared_ptr<const ClusterGraph> topology;
  std::shared_ptr<const ConfigDocument> document;  // keeps the nodes above alive
};

const PricedPool* FindPool(const Scenario& sc, const std::string& name);

// The replica layout of a service, for BindReplica (scenarios/replica_binding.h).
ReplicaLayout LayoutOf(const ServiceSpec& spec);

// Throws ConfigError / InputError. `overrides` are "key.path=value" strings.
Scenario LoadScenario(const std::string& path, const std::vector<std::string>& overrides = {});

}  // namespace fleetsim
