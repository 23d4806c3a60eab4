// A training job in the simulator: whole iterations of a fixed time (training_model.h),
// advanced many at once between checkpoints, interrupted by sampled failures that throw
// away the work since the last checkpoint and cost a restart.
//
// Failure process (docs/training.md): job-level failures arrive as a Poisson process of
// rate gpu_failure_rate x GPUs (memoryless; every GPU failure stops the whole synchronous
// job), drawn from the kernel's named RNG stream "training/<job>/failures". A failure
// loses the work since the last completed checkpoint (including a checkpoint being
// written), then the job restarts (restart_s, during which nothing fails: the next failure
// is drawn from the restart's end) and resumes from that checkpoint. Checkpoints are taken
// every round(checkpoint_interval / iteration) iterations and stall training for
// checkpoint_write_s (synchronous writes).
//
// Expected-value goodput (exact for this process; Daly 2006, eq. 10 with constant restart):
// a cycle of tau useful seconds plus a delta write succeeds once no failure falls in it; each
// failure costs the time since the cycle began plus R, so the expected wall time per cycle is
//   E[cycle] = (1 / Lambda + R) (exp(Lambda (tau + delta)) - 1),  goodput = tau / E[cycle]
// with Lambda the job's failure rate. To first order in Lambda this is
//   tau / (tau + delta) x (1 - Lambda x (R + (tau + delta) / 2))   (Young 1974):
// a failure lands on average halfway through a cycle. Without checkpoints the whole job is
// one cycle (tau = its failure-free time), which is why long jobs need them.
//
// Units: seconds. Preconditions: iteration_s > 0, tokens_per_iteration > 0.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/training/training_model.h"
#include "sim/rng.h"
#include "sim/simulator.h"
#include "sim/trace/trace_writer.h"

namespace fleetsim {

// Llama 3 (Dubey et al. 2024, section 3.3.4): 419 unexpected interruptions in 54 days on
// 16,384 H100s: 419 / (54 x 86,400 s x 16,384) per GPU-second (one per GPU every ~5.8 years).
inline constexpr double kLlama3GpuFailuresPerSecond = 419.0 / (54.0 * 86400.0 * 16384.0);

struct TrainingFailures {
  bool enabled = false;
  double gpu_failure_rate_per_s = kLlama3GpuFailuresPerSecond;
  double checkpoint_interval_s = 0;  // 0: no checkpoints (a failure restarts from scratch)
  double checkpoint_write_s = 0;
  double restart_s = 0;
};

// Expected goodput of the formula above; tau / (tau + delta) without failures. tau > 0.
double ExpectedGoodput(double job_failure_rate_per_s, double tau_s, double delta_s,
                       double restart_s);

// What advances a job's iterations when their time is not fixed (training_fabric.h: flows
// on a shared network). TrainingJobSim keeps the failures, checkpoints and restarts and asks
// the driver to run segments of whole iterations.
class IterationDriver {
 public:
  virtual ~IterationDriver() = default;
  // Runs `iterations` (>= 1) iterations from now; `done` runs as a simulator event when the
  // last one ends, unless Stop() came first.
  virtual void Run(int64_t iterations, std::function<void()> done) = 0;
  // Iterations of the current Run completed by `now` (<= now).
  virtual int64_t CompletedAt(SimTime now) const = 0;
  // Abandons the current Run at once (a failure): its traffic stops, `done` never runs.
  virtual void Stop() = 0;
  // The next Run will not start before `at` (a checkpoint or restart in between): other
  // jobs may fast-forward until then.
  virtual void AnnounceResume(SimTime at) = 0;
};

struct TrainingJobMetrics {
  int64_t iterations_done = 0;  // progress (committed or not) at the last update
  int64_t iterations_target = 0;
  int64_t failures = 0;
  int64_t checkpoints = 0;
  double lost_work_s = 0;             // training and checkpoint time thrown away by failures
  double checkpoint_s = 0;            // time spent writing checkpoints
  double restart_s = 0;               // time spent restarting
  int64_t preemptions = 0;            // times the job lost its GPUs (spot reclaims)
  int64_t emergency_checkpoints = 0;  // checkpoints written on a spot notice
  double suspended_s = 0;             // time without GPUs, waiting for new ones
  bool finished = false;
  double finish_time_s = 0;
};

class TrainingJobSim {
 public:
  // `trace` may be null. Tracks: one per pipeline stage ("training <name>", "stage i").
  TrainingJobSim(Simulator& sim, std::string name, const TrainingIteration& it, int pp,
                 int64_t gpus, double tokens, const TrainingFailures& failures, Rng failure_rng,
                 TraceWriter* trace);
  void Start();
  // Progress at `now` (iterations of the running segment completed so far included), for
  // time series and the final summary.
  int64_t IterationsAt(SimTime now) const;
  // Closes the metrics at the horizon: counts the running segment's completed iterations.
  void Finish(SimTime horizon);
  const TrainingJobMetrics& metrics() const { return m_; }
  // Called once, at the simulated instant the last iteration ends (e.g. to release the
  // job's GPUs for billing). Set before Start().
  void SetOnFinished(std::function<void()> f) { on_finished_ = std::move(f); }
  // Iterations run through `driver` (not owned; must outlive the job's run) instead of at
  // the fixed iteration time; the checkpoint period still counts round(interval / the
  // closed-form iteration time) iterations. Set before Start().
  void SetDriver(IterationDriver* driver) { driver_ = driver; }
  int64_t iterations_per_checkpoint() const { return per_checkpoint_; }

  // Spot instances (scenarios/service_fleet.h, TrainingLease). The provider's notice: the
  // GPUs go at `reclaim`. When the job checkpoints (checkpoint_interval > 0), is training,
  // has progress not yet in a checkpoint, and a write ends by `reclaim`, it stops the segment
  // now (the iteration in progress is lost) and writes a checkpoint, then trains on.
  void OnNotice(SimTime reclaim);
  // The GPUs are gone now: as a failure, the work since the last completed checkpoint is lost
  // (a restart in progress is abandoned), but nothing runs until Resume(). No failures are
  // drawn while suspended. Nothing happens once the job is done or while suspended.
  void Suspend();
  // New GPUs are ready: the job restarts (restart_s) and resumes from its checkpoint.
  // Precondition: suspended.
  void Resume();
  bool suspended() const { return state_ == State::kSuspended; }

 private:
  enum class State { kTraining, kCheckpointing, kRestarting, kSuspended, kDone };
  void StartSegment();
  // After progress: finished, or write the checkpoint the segment ended at.
  void AfterSegment();
  void OnSegmentEnd();
  void OnCheckpointEnd();
  void OnFailure();
  void OnRestartEnd();
  void Slice(const char* name, SimTime start, SimTime end, int64_t iterations);
  void DrawNextFailure();
  std::function<void()> on_finished_;
  IterationDriver* driver_ = nullptr;
  EventId failure_event_;  // driver mode: the next failure, independent of the segments

  Simulator& sim_;
  std::string name_;
  double iter_s_;
  TrainingFailures f_;
  double job_rate_;
  Rng rng_;
  TraceWriter* trace_;
  std::vector<TraceWriter::Track> tracks_;
  TrainingJobMetrics m_;
  int64_t per_checkpoint_ = 0;  // 0: never
  int64_t committed_ = 0;       // iterations in the last checkpoint
  State state_ = State::kTraining;
  SimTime phase_start_;  // start of the current segment / checkpoint / restart
  int64_t segment_iters_ = 0;
  SimTime uncommitted_since_;  // wall time since which work is not in a checkpoint
  SimTime next_failure_ = SimTime::Max();
  EventId pending_;
};

}  // namespace fleetsim
