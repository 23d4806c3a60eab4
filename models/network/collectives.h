// Collective operations on a group of GPUs, run as phases of concurrent flows over the
// fabric's real routes, so that they contend with every other flow in the NetworkModel.
// Beside each one, a closed-form alpha-beta estimate for cross-checking.
//
// Sizes follow the NCCL / nccl-tests convention (`bytes` = S):
//   all-reduce      S = the buffer on every rank
//   all-gather      S = the gathered output on every rank (each rank contributes S/n)
//   reduce-scatter  S = the input on every rank (each rank ends with S/n)
//   all-to-all      S = every rank's send buffer (S/n to each peer)
//   broadcast       S = the buffer;  point-to-point: S bytes from group[0] to group[1]
//
// Algorithms (docs/network.md derives the flow sizes and latency terms):
//   kRing              pipelined ring as ONE phase: n flows rank i -> i+1, each carrying
//                      the ring's total per-rank traffic and its step latencies; exact for a
//                      bandwidth-bound pipelined ring under fluid sharing
//   kRingStepwise      the same ring as 2(n-1) (all-reduce) or n-1 synchronised steps of
//                      S/n-byte flows; for small n and for checking kRing
//   kDoubleBinaryTree  NCCL-style double binary tree all-reduce: two trees, S/2 each,
//                      reduce and broadcast pipelined in one phase
//   kHierarchical      all-reduce: ring reduce-scatter inside each server, ring all-reduce
//                      of S/g per rail (local rank k of every server), ring all-gather
//                      inside each server; three sequential phases
//   kDirect            all-to-all (n(n-1) flows) and point-to-point
// Broadcast uses kRing (a pipelined chain from the root).
//
// Not here: NCCL protocol overheads (LL/LL128/Simple), channel counts, in-network
// reduction (SHARP), reduction compute time. See docs/network.md, "Known limits".
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "models/network/network_model.h"
#include "sim/simulator.h"
#include "topologies/link_types.h"

namespace fleetsim {

enum class CollectiveKind : uint8_t {
  kAllReduce,
  kAllGather,
  kReduceScatter,
  kAllToAll,
  kBroadcast,
  kPointToPoint,
};

enum class CollectiveAlgorithm : uint8_t {
  kRing,
  kRingStepwise,
  kDoubleBinaryTree,
  kHierarchical,
  kDirect,
};

const char* ToString(CollectiveKind kind);
const char* ToString(CollectiveAlgorithm algorithm);

struct CollectiveSpec {
  CollectiveKind kind = CollectiveKind::kAllReduce;
  CollectiveAlgorithm algorithm = CollectiveAlgorithm::kRing;
  std::vector<NodeId> group;  // the ranks, in ring order; distinct nodes
  double bytes = 0;           // S, per the convention above
  // kHierarchical: consecutive ranks in blocks of this size share a server (group.size()
  // must be a multiple of it). Rank k of every block forms rail k.
  uint32_t ranks_per_server = 0;
  uint32_t root = 0;  // kBroadcast: index into group of the root rank
};

// Throws std::invalid_argument if the kind / algorithm pair is not supported or the group
// does not fit it. Called by CollectiveEngine::Start.
void ValidateCollective(const CollectiveSpec& spec);

// One tree of a double binary tree over n ranks: parent[r] is the parent rank of rank r,
// -1 for the root. Tree 0 is the in-order binary tree over positions 1..n (rank p-1 at
// position p; leaves at odd positions), tree 1 the same shifted by one rank, so that a
// rank that is a leaf in one tree is (for even n) an inner node in the other.
struct BinaryTree {
  std::vector<int32_t> parent;
  int32_t root = -1;
  uint32_t height = 0;  // edges on the longest root-to-leaf path
};
BinaryTree DoubleBinaryTree(uint32_t n, int which);

// ---- closed-form alpha-beta estimates ----

// alpha: latency of one hop of the algorithm (route latency between neighbouring ranks);
// bandwidth: what one rank can send (and receive) per second, the bottleneck of its path.
struct AlphaBeta {
  double alpha_s = 0;
  double bandwidth_bytes_per_s = 0;
};

struct CollectiveEstimateInput {
  CollectiveKind kind = CollectiveKind::kAllReduce;
  CollectiveAlgorithm algorithm = CollectiveAlgorithm::kRing;
  uint32_t n = 0;
  double bytes = 0;
  AlphaBeta net;    // flat algorithms; the inter-server rail ring for kHierarchical
  AlphaBeta intra;  // kHierarchical only: the ring inside a server
  uint32_t ranks_per_server = 0;
};

// Seconds the collective takes on an otherwise idle, non-blocking fabric:
//   ring all-reduce       2(n-1) a + 2(n-1)/n S/B
//   ring all-gather / reduce-scatter   (n-1) a + (n-1)/n S/B
//   double binary tree    2 h a + T S/B, h the taller tree's height, T the largest
//                         per-rank traffic in units of S (2 for most n; 1 for n = 2)
//   hierarchical          2(g-1) a_i + 2(g-1)/g S/B_i + 2(m-1) a + 2(m-1)/m (S/g)/B
//   all-to-all            a + (n-1)/n S/B
//   broadcast (chain)     (n-1) a + S/B
//   point-to-point        a + S/B
double EstimateCollectiveSeconds(const CollectiveEstimateInput& in);

// nccl-tests' bus-bandwidth factor: busbw = algbw * factor, algbw = S / time.
// all-reduce 2(n-1)/n; all-gather, reduce-scatter, all-to-all (n-1)/n; others 1.
double BusBandwidthFactor(CollectiveKind kind, uint32_t n);

// ---- running collectives on the network model ----

struct CollectiveId {
  uint32_t slot = std::numeric_limits<uint32_t>::max();
  uint32_t generation = 0;
  bool valid() const { return slot != std::numeric_limits<uint32_t>::max(); }
};

class CollectiveEngine final : private EventHandler {
 public:
  // `fabric` must be the one `net` was built on; both must outlive the engine, and the
  // engine must outlive its running collectives (their flows' completions point at it).
  CollectiveEngine(Simulator& sim, NetworkModel& net, const Fabric& fabric);
  CollectiveEngine(const CollectiveEngine&) = delete;
  CollectiveEngine& operator=(const CollectiveEngine&) = delete;

  // Starts the collective now; `on_done` (or handler->HandleEvent(tag)) runs as a
  // simulator event when its last flow completes. A group of one rank completes at once.
  CollectiveId Start(const CollectiveSpec& spec, std::function<void()> on_done);
  CollectiveId Start(const CollectiveSpec& spec, EventHandler* handler, uint64_t tag = 0);

  // Cancels the collective's flows in flight; its completion never runs.
  bool Cancel(CollectiveId id);
  bool IsRunning(CollectiveId id) const;
  size_t running() const { return running_; }
  uint64_t flows_started() const { return flows_started_; }

 private:
  struct Running {
    CollectiveSpec spec;
    uint32_t phase = 0;
    uint32_t phase_count = 0;
    uint32_t outstanding = 0;  // flows of the current phase still in flight
    std::vector<FlowId> flows;
    EventHandler* handler = nullptr;
    uint64_t tag = 0;
    std::function<void()> on_done;
    uint32_t generation = 0;
    bool active = false;
  };

  CollectiveId StartImpl(const CollectiveSpec& spec, EventHandler* handler, uint64_t tag,
                         std::function<void()> on_done);
  // Starts phases from `r.phase` on until one has flows in flight, or finishes.
  void Advance(uint32_t slot);
  void EmitPhase(uint32_t slot);
  void AddFlow(uint32_t slot, uint32_t from_rank, uint32_t to_rank, double bytes,
               uint32_t latency_multiplier);
  void AddFlowNodes(uint32_t slot, NodeId from, NodeId to, double bytes,
                    uint32_t latency_multiplier);
  void Finish(uint32_t slot);
  void HandleEvent(uint64_t tag) override;

  Simulator& sim_;
  NetworkModel& net_;
  const Fabric& fabric_;
  std::vector<Running> running_slots_;
  std::vector<uint32_t> free_;
  size_t running_ = 0;
  uint64_t flows_started_ = 0;
};

}  // namespace fleetsim
