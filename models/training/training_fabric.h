// Training jobs whose inter-server traffic runs as flows in the NetworkModel, on the routes
// of the GPUs they are placed on: jobs that share links (a fat tree's uplinks) slow each
// other down. The closed form of training_model.h stays the source of every compute time;
// this file replaces its inter-node communication terms by flows.
//
// One iteration, in order (docs/training.md, "Jobs on a topology"):
//   1. pipeline send/recv (pp > 1): every GPU sends the forward activations of all its
//      micro-batches to the next stage (one flow of m x v x b s h / t bytes per GPU, the
//      scatter/gather split over the t GPUs of a stage), all GPUs at once; then the
//      backward gradients to the previous stage likewise; plus m x 2v message latencies.
//      Alone on a non-blocking fabric this is the closed form's exposed pp time.
//   2. the pipeline: compute, tensor-parallel all-reduces and bubble, PipelineScheduleSeconds
//      of the closed form (TP stays inside a server: NVSwitch links that no other job's flow
//      can use are aggregated, as the issue allows).
//   3. the data-parallel gradient all-reduce: one ring all-reduce (CollectiveEngine, kRing)
//      per (stage, TP rank) over the dp replicas' GPUs of that position. Without overlap it
//      starts when the pipeline ends; with dp_overlap it starts `overlap` before the end
//      (the last micro-batch's backward) without the last bucket, and the last bucket's
//      all-reduce starts once both the pipeline and the rest are done.
//   4. the optimizer step (closed form).
// Flows carry bytes / wire_efficiency: the closed form's achievable fraction of a link
// (NCCL bus bandwidth / link bandwidth) applied to the fluid model, so an uncontended flow
// takes the measured time.
//
// Fast-forward: a job that is alone on its links (no other running job's flows can use any
// link its own flows use) runs one iteration at op level, then advances whole iterations at
// that measured time, in one event, until the next known start of a job that shares links
// (jobs register their start times when created), its target, or the end of the run. The
// iterations advanced this way are identical to op-level ones: nothing that affects them
// changes. A job started unannounced (StartNow) interrupts fast-forwarding jobs it shares
// links with at their next iteration boundary; the iteration in progress then keeps its
// alone time (the one approximation; never taken for jobs created with their start time).
//
// Rank order (Megatron-LM): rank = (stage x dp + replica) x tp + tp_rank; `gpus[rank]` is the
// GPU node of that rank.
//
// Units: seconds, bytes. Preconditions (std::invalid_argument otherwise): gpus.size() = tp x
// pp x dp, distinct GPU nodes of the fabric, iterations >= 1 (0 for a driven job),
// wire_efficiency in (0, 1].
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "models/network/collectives.h"
#include "models/network/network_model.h"
#include "models/training/training_job.h"
#include "models/training/training_model.h"
#include "sim/simulator.h"
#include "topologies/cluster_graph.h"
#include "topologies/link_types.h"

namespace fleetsim {

// What one iteration computes and moves, per GPU.
struct TrainingTraffic {
  int tp = 1;
  int pp = 1;
  int64_t dp = 1;
  int virtual_stages = 1;
  int64_t microbatches = 1;
  double pipeline_s = 0;  // compute + TP all-reduces + bubble (closed form)
  double overlap_s = 0;   // DP overlap window before the pipeline ends (0: none)
  double optimizer_s = 0;
  double pp_bytes = 0;                 // one pipeline transfer per GPU (activation / t)
  double pp_message_latency_s = 0;     // per transfer; m x 2v of them per iteration
  double dp_bytes = 0;                 // gradient bytes per GPU
  double dp_last_bucket_bytes = 0;     // with overlap: reduced after the backward ends
  double wire_efficiency = 1;          // flows carry bytes / wire_efficiency
  double closed_form_iteration_s = 0;  // TrainingIteration::iteration_s, for comparison
};
// The traffic of a layout timed by TrainingIterationTime with the network `net`.
TrainingTraffic TrainingTrafficOf(const TrainingLayout& layout, const TrainingIteration& it,
                                  const TrainingNetwork& net);

// The GPUs of a job of `gpus` ranks placed on the servers of `g` from `first_server` on:
// server after server (server order), each server's GPUs in NodeId order, so that rank r is
// the r-th of them (Megatron rank order puts a tensor-parallel group on consecutive ranks).
// Throws InputError when first_server is out of range, the servers from it on hold fewer
// GPUs, or a used server's GPU count is not a multiple of `tp` (a tensor-parallel group
// would span servers; its all-reduces are not modelled as flows).
std::vector<NodeId> PlaceOnServers(const ClusterGraph& g, int64_t first_server, int64_t gpus,
                                   int tp);
// The same on the listed servers (indices into g.servers()), in the order given.
std::vector<NodeId> PlaceOnServers(const ClusterGraph& g, const std::vector<int64_t>& servers,
                                   int64_t gpus, int tp);

class FabricTrainingJob;

// The network the jobs of one topology share: a NetworkModel and a CollectiveEngine on the
// fabric. Must outlive its jobs and every Run of `sim` while they run.
class TrainingFabric {
 public:
  TrainingFabric(Simulator& sim, const Fabric& fabric);
  ~TrainingFabric();
  TrainingFabric(const TrainingFabric&) = delete;
  TrainingFabric& operator=(const TrainingFabric&) = delete;
  Simulator& sim() { return sim_; }
  const Fabric& fabric() const { return fabric_; }
  NetworkModel& network() { return *net_; }
  CollectiveEngine& collectives() { return *coll_; }

 private:
  friend class FabricTrainingJob;
  Simulator& sim_;
  const Fabric& fabric_;
  std::unique_ptr<NetworkModel> net_;
  std::unique_ptr<CollectiveEngine> coll_;
  std::vector<FabricTrainingJob*> jobs_;
};

struct FabricTrainingMetrics {
  int64_t iterations_done = 0;      // simulated (as a driver: including work later lost)
  int64_t iterations_target = 0;    // standalone
  int64_t op_level_iterations = 0;  // simulated with flows
  int64_t fast_forwarded_iterations = 0;
  int64_t fast_forward_segments = 0;
  bool finished = false;
  double start_time_s = 0;
  double finish_time_s = 0;
  double alone_iteration_s = 0;  // measured at op level with no link shared (0: never)
  double min_iteration_s = 0;    // over op-level iterations
  double max_iteration_s = 0;
  double pp_s = 0;          // last op-level iteration: pipeline send/recv phase
  double dp_exposed_s = 0;  // last op-level iteration: DP time after the pipeline
};

// Standalone, a job runs `iterations` from `start` to the end. As the IterationDriver of a
// TrainingJobSim (failures, checkpoints, restarts: training_job.h), it runs the segments the
// TrainingJobSim asks for; create it with start = SimTime::Max() and do not call StartNow.
class FabricTrainingJob final : public IterationDriver {
 public:
  // Registers with `fabric`; the job starts at `start` (>= now) unless start is
  // SimTime::Max() (then call StartNow(), or drive it with Run()).
  FabricTrainingJob(TrainingFabric& fabric, std::string name, const TrainingTraffic& traffic,
                    std::vector<NodeId> gpus, int64_t iterations, SimTime start,
                    bool fast_forward = true);
  ~FabricTrainingJob() override;

  // IterationDriver.
  void Run(int64_t iterations, std::function<void()> done) override;
  int64_t CompletedAt(SimTime now) const override;
  void Stop() override;
  void AnnounceResume(SimTime at) override;
  FabricTrainingJob(const FabricTrainingJob&) = delete;
  FabricTrainingJob& operator=(const FabricTrainingJob&) = delete;
  // Starts an unannounced job now (see the header comment).
  void StartNow();
  const FabricTrainingMetrics& metrics() const { return m_; }
  const std::string& name() const { return name_; }
  const std::vector<NodeId>& gpus() const { return gpus_; }  // by rank
  // Every fabric link the job's flows use, sorted.
  const std::vector<LinkId>& links() const { return links_; }
  bool SharesLinksWith(const FabricTrainingJob& other) const;
  bool running() const { return running_; }

 private:
  enum class Stage { kIdle, kPipelineSend, kCompute, kDone };
  void Begin();
  void BeginIteration();
  void StartPpFlows(bool forward);
  void OnPpFlowDone();
  void StartCompute();
  void StartDp(double bytes, bool last_bucket);
  void OnDpDone(bool last_bucket);
  void TryStartLastBucket();
  void MaybeFinishComm();
  void EndIteration();
  void OnFastForwardEnd();
  void Interrupt();  // another sharing job started while fast-forwarding
  bool AloneNow() const;
  SimTime NextSharingStart() const;
  NodeId Gpu(int stage, int64_t replica, int tp_rank) const;
  void Finished();

  TrainingFabric& fab_;
  std::string name_;
  TrainingTraffic t_;
  std::vector<NodeId> gpus_;
  bool fast_forward_;
  SimTime start_;
  std::vector<LinkId> links_;
  FabricTrainingMetrics m_;
  bool running_ = false;
  // The current Run.
  int64_t run_left_ = 0;
  int64_t run_done_ = 0;
  std::function<void()> on_run_done_;
  std::vector<FlowId> pp_flows_;
  std::vector<CollectiveId> dp_colls_;
  EventId dp_timer_;
  // The iteration in flight.
  SimTime iter_start_;
  SimTime compute_end_;
  bool contended_ = false;  // a sharing job ran during this iteration
  int pending_flows_ = 0;
  bool pp_forward_ = true;
  int pending_dp_ = 0;
  int pending_last_ = 0;
  bool dp_main_done_ = true;
  bool last_pending_ = false;  // the last bucket's all-reduce waits to start
  bool compute_done_ = false;
  bool ending_ = false;   // the optimizer step is scheduled
  int64_t alone_ns_ = 0;  // m_.alone_iteration_s, exactly
  EventId timer_;
  // Fast-forward segment.
  bool in_segment_ = false;
  SimTime segment_start_;
  int64_t segment_iters_ = 0;
};

}  // namespace fleetsim
