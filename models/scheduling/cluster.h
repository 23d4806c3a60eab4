// The cluster as a scheduler sees it: pools of identical nodes, each node holding N GPUs of
// one catalog type, nodes grouped under racks (a leaf switch) and racks under pods (a spine),
// and which GPU holds what.
//
// This is deliberately a small shape of its own (ClusterShape) rather than the topology
// graph: placement needs "how many switches does this gang span", not routes. Nodes are
// numbered pool by pool, rack by rack, so a rack and a pod are contiguous node ranges.
//
// Accounting is exact and integer: a GPU has 100 share units and its memory in bytes; a
// shard takes (share, memory). A GPU is "free" when nothing holds it and no preempting job
// has reserved it; only free GPUs count in the per-node/rack/pod/pool free counters that
// placement searches use. Searches are fast at 10,000 GPUs: per pool, bitsets of the nodes
// with at least c free GPUs (c = 1..gpus_per_node) answer "first node with >= k free" and
// "tightest node with >= k free" in O(nodes/64 x gpus_per_node) word operations.
//
// Not here: policies (policy.h), jobs' life cycle (scheduler_sim.h), link bandwidths (the
// network model; the locality speed factors below stand in until it is wired in).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fleetsim {

struct ClusterShape {
  int32_t gpus_per_node = 8;
  int32_t nodes_per_rack = 4;  // nodes under one leaf (top-of-rack) switch
  int32_t racks_per_pod = 8;   // racks under one spine (pod) switch
};

struct PoolSpec {
  std::string name;
  std::string device;  // catalog device name
  int64_t gpu_memory_bytes = 0;
  int32_t nodes = 0;
  ClusterShape shape;
  double speed = 1.0;        // throughput relative to the reference GPU of job durations
  double usd_per_gpu_s = 0;  // price of one GPU for one second
};

// Speed factor of a multi-GPU job by the widest level its gang spans: one node is 1.0;
// several nodes under one rack switch, several racks under one pod, several pods.
struct LocalitySpeed {
  double rack = 1.0;
  double pod = 1.0;
  double cluster = 1.0;
};

enum class Locality : uint8_t { kNode = 0, kRack = 1, kPod = 2, kCluster = 3 };
const char* LocalityName(Locality l);

struct ClusterSpec {
  std::vector<PoolSpec> pools;
  LocalitySpeed locality;
  int32_t total_gpus() const;
};

// One shard of a job on one GPU.
struct Shard {
  int32_t gpu = -1;
  int32_t share = 100;
  int64_t memory_bytes = 0;
};

struct GpuState {
  int32_t used_share = 0;       // 0..100
  int64_t used_memory = 0;      // bytes
  int32_t occupants = 0;        // shards on this GPU
  int32_t reserved_for = -1;    // job index waiting for this GPU after a preemption; -1 none
  int32_t resident_model = -1;  // JobSet::models index of the weights it last held; -1 none
};

class ClusterState {
 public:
  // Preconditions (checked by the YAML reader): every pool has nodes >= 1, 1 <= gpus_per_node
  // <= 64, nodes_per_rack >= 1, racks_per_pod >= 1, at most 64 pools.
  explicit ClusterState(const ClusterSpec& spec);

  const ClusterSpec& spec() const { return spec_; }
  int32_t num_pools() const { return static_cast<int32_t>(spec_.pools.size()); }
  const PoolSpec& pool(int32_t p) const { return spec_.pools[p]; }
  int32_t total_gpus() const { return static_cast<int32_t>(gpus_.size()); }
  int32_t num_nodes() const { return static_cast<int32_t>(node_pool_.size()); }

  // Geometry. Racks and pods have global indices; each belongs to one pool.
  int32_t pool_gpus(int32_t p) const { return pools_[p].gpus; }
  int32_t pool_free(int32_t p) const { return pools_[p].free; }
  // GPUs of pool p with room for fractional shards (partly used, not reserved).
  int32_t pool_shareable(int32_t p) const { return pools_[p].shareable_gpus; }
  int32_t total_free() const { return total_free_; }
  int32_t total_shareable() const { return total_shareable_; }
  int32_t pool_first_node(int32_t p) const { return pools_[p].first_node; }
  int32_t pool_num_nodes(int32_t p) const { return spec_.pools[p].nodes; }
  int32_t pool_first_rack(int32_t p) const { return pools_[p].first_rack; }
  int32_t pool_num_racks(int32_t p) const { return pools_[p].racks; }
  int32_t pool_first_pod(int32_t p) const { return pools_[p].first_pod; }
  int32_t pool_num_pods(int32_t p) const { return pools_[p].pods; }
  int32_t gpus_per_node(int32_t p) const { return spec_.pools[p].shape.gpus_per_node; }

  int32_t node_pool(int32_t n) const { return node_pool_[n]; }
  int32_t node_rack(int32_t n) const { return node_rack_[n]; }
  int32_t node_pod(int32_t n) const { return rack_pod_[node_rack_[n]]; }
  int32_t node_first_gpu(int32_t n) const { return node_first_gpu_[n]; }
  int32_t node_num_gpus(int32_t n) const { return node_first_gpu_[n + 1] - node_first_gpu_[n]; }
  int32_t node_free(int32_t n) const { return node_free_[n]; }
  int32_t rack_first_node(int32_t r) const { return rack_first_node_[r]; }
  int32_t rack_num_nodes(int32_t r) const { return rack_first_node_[r + 1] - rack_first_node_[r]; }
  int32_t rack_free(int32_t r) const { return rack_free_[r]; }
  int32_t pod_first_rack(int32_t d) const { return pod_first_rack_[d]; }
  int32_t pod_num_racks(int32_t d) const { return pod_first_rack_[d + 1] - pod_first_rack_[d]; }
  int32_t pod_free(int32_t d) const { return pod_free_[d]; }
  int32_t gpu_node(int32_t g) const { return gpu_node_[g]; }
  int64_t gpu_memory(int32_t g) const {
    return spec_.pools[node_pool_[gpu_node_[g]]].gpu_memory_bytes;
  }
  const GpuState& gpu(int32_t g) const { return gpus_[g]; }
  bool gpu_free(int32_t g) const { return gpus_[g].used_share == 0 && gpus_[g].reserved_for < 0; }
  // Partly used and not reserved: room for fractional shards.
  bool gpu_shareable(int32_t g) const {
    return gpus_[g].used_share > 0 && gpus_[g].used_share < 100 && gpus_[g].reserved_for < 0;
  }

  // ---- searches (all deterministic: ties go to the lowest index) ----

  // First node of pool p with index >= from and at least `min_free` free GPUs; -1 if none.
  // Precondition: 1 <= min_free <= gpus_per_node(p).
  int32_t FindNode(int32_t p, int32_t min_free, int32_t from) const;
  // The node of pool p with the fewest free GPUs that still has >= min_free; -1 if none.
  int32_t BestFitNode(int32_t p, int32_t min_free) const;
  // First node of pool p with index >= from that has a shareable GPU; -1 if none.
  int32_t FindShareableNode(int32_t p, int32_t from) const;

  // Placement toolbox for built-in and user policies. Each appends the chosen GPUs to
  // `gpus` and returns true, or returns false and leaves `gpus` unchanged. All take whole
  // free GPUs of pool p only.
  //   FirstFit: the first node that holds all k; else free GPUs in index order.
  //   BestFit:  the tightest node that holds all k; larger gangs take whole free nodes, then
  //             the tightest node for the rest, then the fullest nodes.
  //   Packed:   the fewest switches: one node (tightest), else the tightest rack that holds
  //             all k, else the tightest pod, else the pool; within a level, the gang fills
  //             the emptiest children first so it touches as few nodes as possible.
  bool FirstFit(int32_t p, int32_t k, std::vector<int32_t>* gpus) const;
  bool BestFit(int32_t p, int32_t k, std::vector<int32_t>* gpus) const;
  bool Packed(int32_t p, int32_t k, std::vector<int32_t>* gpus) const;
  // One GPU of pool p with room for a shard of (share, memory): tightest = the shareable GPU
  // with the least room left (else a free GPU on the tightest node); otherwise the lowest
  // index. memory <= 0 means the share's part of the GPU's memory. Returns -1 if none.
  int32_t FitShard(int32_t p, int32_t share, int64_t memory, bool tightest) const;

  // Widest level spanned by a set of GPUs. Precondition: non-empty.
  Locality LocalityOf(const std::vector<int32_t>& gpus) const;

  // ---- mutations ----
  // Preconditions: the shard fits (share and memory) and the GPU is not reserved for another
  // job. Violations are programming errors and throw std::logic_error.
  void Take(const Shard& s, int32_t job);
  void Give(const Shard& s);
  // Precondition: gpu_free(g).
  void Reserve(int32_t g, int32_t job);
  void Unreserve(int32_t g);
  // Which model's weights GPU g holds (-1: none, or weights it did not finish loading).
  void SetResidentModel(int32_t g, int32_t model) { gpus_[g].resident_model = model; }

  // Increases whenever capacity is released (Give, Unreserve). A placement that failed at
  // some epoch fails again until the epoch changes, because in between only allocations
  // happen: the scheduler uses this to skip hopeless retries.
  uint64_t release_epoch() const { return release_epoch_; }
  // For tentative releases that were undone (a preemption that found no room): puts the
  // epoch back, so the undo does not look like freed capacity.
  void RestoreReleaseEpoch(uint64_t epoch) { release_epoch_ = epoch; }

 private:
  struct PoolIndex {
    int32_t first_node = 0, first_rack = 0, racks = 0, first_pod = 0, pods = 0;
    int32_t gpus = 0, free = 0, shareable_gpus = 0;
    size_t words = 0;
    // free_ge[c - 1]: bit i set when node first_node + i has >= c free GPUs.
    std::vector<std::vector<uint64_t>> free_ge;
    std::vector<uint64_t> shareable;  // bit i: node has a shareable GPU
  };
  void SetFreeWhole(int32_t g, bool was_free);
  void UpdateShareable(int32_t n);
  // Appends up to `need` free GPUs of node n (lowest index first); returns how many.
  int32_t TakeFromNode(int32_t n, int32_t need, std::vector<int32_t>* gpus) const;
  // Fills `need` GPUs from nodes [first, first + count), tightest-fitting node first, else
  // the emptiest; `free` is a scratch copy of the nodes' free counts.
  void FillNodes(int32_t first, int32_t count, int32_t need, std::vector<int32_t>* gpus) const;
  void FillRacks(int32_t first, int32_t count, int32_t need, std::vector<int32_t>* gpus) const;

  ClusterSpec spec_;
  std::vector<PoolIndex> pools_;
  std::vector<GpuState> gpus_;
  std::vector<int32_t> gpu_node_;
  std::vector<int32_t> node_pool_, node_rack_, node_first_gpu_, node_free_, node_shareable_;
  std::vector<int32_t> rack_first_node_, rack_pod_, rack_free_;
  std::vector<int32_t> pod_first_rack_, pod_free_;
  int32_t total_free_ = 0, total_shareable_ = 0;
  uint64_t release_epoch_ = 0;
};

}  // namespace fleetsim
