// A policy study scenario: a cluster, a job workload and the scheduling policies to compare.
// Read strictly (unknown keys are errors with file:line:col and a suggestion).
//
//   name: philly-replay
//   seed: 1
//   duration: "30 d"                 # optional horizon; jobs unfinished then are counted
//   catalog: [my_gpus.yaml]          # optional extra catalog files
//   cluster:
//     shape: {gpus_per_node: 8, nodes_per_rack: 4, racks_per_pod: 8}
//     locality: {rack: 1.0, pod: 0.95, cluster: 0.9}
//     pools:
//       - {name: v100, gpu: V100-SXM2-32GB, nodes: 64, price: "$2.48/h"}
//   jobs: {...}                      # workload.h
//   scheduler: {queue: fifo, placement: best_fit, preemption: none}   # policy.h
//   policies:                        # optional named combinations for --policies
//     tiresias: {queue: las, preemption: rank, placement: packed}
//   outputs: {timeseries_interval: "5 min"}   # optional, for `fleetsim run` (default 1 min)
//
// The sections are also readable on their own (ReadClusterSpec, ReadJobWorkload,
// ReadPolicySpec), so the general scenario loader can embed them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "models/catalog/catalog.h"
#include "models/scheduling/cluster.h"
#include "models/scheduling/policy.h"
#include "models/scheduling/workload.h"
#include "sim/config/config.h"

namespace fleetsim {

struct PolicyScenario {
  std::string file;
  std::string name;
  std::string description;
  uint64_t seed = 1;
  double horizon_s = kNoTime;
  double timeseries_interval_s = 60;  // rows of `fleetsim run`'s timeseries.csv
  ClusterSpec cluster;
  std::shared_ptr<const JobWorkload> workload;
  PolicySpec base;                                 // the scheduler: section (defaults where absent)
  std::vector<PolicySpec> named;                   // the policies: section, in file order
  std::shared_ptr<const ConfigDocument> document;  // keeps the parameter nodes alive
};

// Throws ConfigError / InputError. `overrides` are "key.path=value" strings (--set).
PolicyScenario LoadPolicyScenario(const std::string& path,
                                  const std::vector<std::string>& overrides = {});

// Reads a `cluster:` map; GPU memory comes from the catalog. Throws ConfigError.
ClusterSpec ReadClusterSpec(const ConfigNode& node, const Catalog& catalog);

// The policies of a comma-separated --policies list: each item a name from the scenario's
// policies: section or a '+'-joined combination (ParsePolicyItem) applied on top of the
// scheduler: section. An empty list means the scheduler: section itself, followed by every
// named policy. Every policy is built once here so that bad names or parameters are
// reported before anything runs. Throws InputError / ConfigError.
std::vector<PolicySpec> ResolvePolicies(const PolicyScenario& scenario, const std::string& list);

}  // namespace fleetsim
