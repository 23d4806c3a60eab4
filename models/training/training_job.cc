#include "models/training/training_job.h"

#include <algorithm>
#include <cmath>

#include "sim/config/config_error.h"

namespace fleetsim {

double ExpectedGoodput(double rate, double tau, double delta, double restart) {
  if (!(tau > 0)) return 0;
  if (!(rate > 0)) return tau / (tau + delta);
  // expm1 keeps precision when Lambda (tau + delta) is small.
  const double cycle = (1 / rate + restart) * std::expm1(rate * (tau + delta));
  return tau / cycle;
}

TrainingJobSim::TrainingJobSim(Simulator& sim, std::string name, const TrainingIteration& it,
                               int pp, int64_t gpus, double tokens, const TrainingFailures& f,
                               Rng failure_rng, TraceWriter* trace)
    : sim_(sim),
      name_(std::move(name)),
      iter_s_(it.iteration_s),
      f_(f),
      job_rate_(f.enabled ? f.gpu_failure_rate_per_s * static_cast<double>(gpus) : 0),
      rng_(failure_rng),
      trace_(trace) {
  if (!(iter_s_ > 0)) throw InputError("training job '" + name_ + "': iteration time must be > 0");
  const double per_iter_tokens = it.tokens_per_s * iter_s_;
  m_.iterations_target = static_cast<int64_t>(std::ceil(tokens / per_iter_tokens));
  if (f_.checkpoint_interval_s > 0) {
    per_checkpoint_ = std::max<int64_t>(1, std::llround(f_.checkpoint_interval_s / iter_s_));
  }
  if (trace_) {
    for (int i = 0; i < pp; ++i) {
      tracks_.push_back(trace_->AddTrack("training " + name_, "stage " + std::to_string(i)));
    }
  }
}

void TrainingJobSim::Start() {
  uncommitted_since_ = sim_.Now();
  DrawNextFailure();
  StartSegment();
}

void TrainingJobSim::DrawNextFailure() {
  next_failure_ = job_rate_ > 0 ? sim_.Now() + Duration::FromSeconds(rng_.Exponential(job_rate_))
                                : SimTime::Max();
  if (driver_ && next_failure_ != SimTime::Max()) {
    failure_event_ = sim_.At(next_failure_, [this] { OnFailure(); });
  }
}

void TrainingJobSim::Slice(const char* name, SimTime start, SimTime end, int64_t iterations) {
  if (!trace_ || end <= start) return;
  const std::string args = JsonNumber("iterations", static_cast<double>(iterations));
  for (const auto& t : tracks_) trace_->Slice(t, name, start, end - start, "training", args);
}

void TrainingJobSim::StartSegment() {
  state_ = State::kTraining;
  phase_start_ = sim_.Now();
  const int64_t remaining = m_.iterations_target - m_.iterations_done;
  int64_t k = remaining;
  if (per_checkpoint_ > 0) {
    const int64_t since = m_.iterations_done - committed_;
    k = std::min(remaining, per_checkpoint_ - since);
  }
  segment_iters_ = k;
  if (driver_) {
    driver_->Run(k, [this] { OnSegmentEnd(); });
    return;
  }
  const SimTime end = phase_start_ + Duration::FromSeconds(static_cast<double>(k) * iter_s_);
  if (next_failure_ < end) {
    pending_ = sim_.At(next_failure_, [this] { OnFailure(); });
  } else {
    pending_ = sim_.At(end, [this] { OnSegmentEnd(); });
  }
}

int64_t TrainingJobSim::IterationsAt(SimTime now) const {
  if (state_ != State::kTraining) return m_.iterations_done;
  if (driver_) return m_.iterations_done + std::min(segment_iters_, driver_->CompletedAt(now));
  const double run = (now - phase_start_).seconds();
  const int64_t k = std::min(segment_iters_, static_cast<int64_t>(std::floor(run / iter_s_)));
  return m_.iterations_done + std::max<int64_t>(0, k);
}

void TrainingJobSim::OnSegmentEnd() {
  m_.iterations_done += segment_iters_;
  Slice("train", phase_start_, sim_.Now(), segment_iters_);
  AfterSegment();
}

void TrainingJobSim::AfterSegment() {
  if (m_.iterations_done >= m_.iterations_target) {
    state_ = State::kDone;
    m_.finished = true;
    m_.finish_time_s = sim_.Now().seconds();
    if (driver_) sim_.Cancel(failure_event_);
    if (on_finished_) on_finished_();
    return;
  }
  // The segment ended at a checkpoint boundary: write it.
  state_ = State::kCheckpointing;
  phase_start_ = sim_.Now();
  const SimTime end = phase_start_ + Duration::FromSeconds(f_.checkpoint_write_s);
  if (driver_) {
    driver_->AnnounceResume(end);
    pending_ = sim_.At(end, [this] { OnCheckpointEnd(); });
    return;
  }
  if (next_failure_ < end) {
    pending_ = sim_.At(next_failure_, [this] { OnFailure(); });
  } else {
    pending_ = sim_.At(end, [this] { OnCheckpointEnd(); });
  }
}

void TrainingJobSim::OnCheckpointEnd() {
  m_.checkpoints++;
  m_.checkpoint_s += (sim_.Now() - phase_start_).seconds();
  Slice("checkpoint", phase_start_, sim_.Now(), 0);
  committed_ = m_.iterations_done;
  uncommitted_since_ = sim_.Now();
  StartSegment();
}

void TrainingJobSim::OnFailure() {
  m_.failures++;
  const int64_t partial = IterationsAt(sim_.Now()) - m_.iterations_done;
  Slice(state_ == State::kTraining ? "train (lost)" : "checkpoint (lost)", phase_start_, sim_.Now(),
        partial);
  // Everything since the last completed checkpoint is gone: training and a half-written
  // checkpoint alike.
  m_.lost_work_s += (sim_.Now() - uncommitted_since_).seconds();
  m_.iterations_done = committed_;
  if (driver_) {
    if (state_ == State::kTraining) driver_->Stop();
    sim_.Cancel(pending_);  // a checkpoint's end
    driver_->AnnounceResume(sim_.Now() + Duration::FromSeconds(f_.restart_s));
  }
  state_ = State::kRestarting;
  phase_start_ = sim_.Now();
  pending_ = sim_.After(Duration::FromSeconds(f_.restart_s), [this] { OnRestartEnd(); });
}

void TrainingJobSim::OnRestartEnd() {
  m_.restart_s += (sim_.Now() - phase_start_).seconds();
  Slice("restart", phase_start_, sim_.Now(), 0);
  uncommitted_since_ = sim_.Now();
  DrawNextFailure();
  StartSegment();
}

void TrainingJobSim::OnNotice(SimTime reclaim) {
  if (state_ != State::kTraining || per_checkpoint_ == 0) return;
  const SimTime now = sim_.Now();
  if (now + Duration::FromSeconds(f_.checkpoint_write_s) > reclaim) return;  // no time to write
  const int64_t done = IterationsAt(now) - m_.iterations_done;
  if (m_.iterations_done + done == committed_) return;  // nothing new to save
  // End the segment here: the iterations completed so far count, the one running is lost.
  if (driver_) {
    driver_->Stop();
  } else {
    sim_.Cancel(pending_);
  }
  m_.iterations_done += done;
  Slice("train", phase_start_, now, done);
  m_.emergency_checkpoints++;
  AfterSegment();
}

void TrainingJobSim::Suspend() {
  if (state_ == State::kDone || state_ == State::kSuspended) return;
  m_.preemptions++;
  const SimTime now = sim_.Now();
  if (state_ == State::kRestarting) {
    m_.restart_s += (now - phase_start_).seconds();
    Slice("restart (lost)", phase_start_, now, 0);
  } else {
    const int64_t partial = IterationsAt(now) - m_.iterations_done;
    Slice(state_ == State::kTraining ? "train (lost)" : "checkpoint (lost)", phase_start_, now,
          partial);
    m_.lost_work_s += (now - uncommitted_since_).seconds();
    m_.iterations_done = committed_;
    if (driver_ && state_ == State::kTraining) driver_->Stop();
  }
  sim_.Cancel(pending_);
  if (driver_) {
    sim_.Cancel(failure_event_);
    driver_->AnnounceResume(SimTime::Max());
  }
  next_failure_ = SimTime::Max();
  state_ = State::kSuspended;
  phase_start_ = now;
}

void TrainingJobSim::Resume() {
  if (state_ != State::kSuspended) return;
  m_.suspended_s += (sim_.Now() - phase_start_).seconds();
  Slice("no GPUs", phase_start_, sim_.Now(), 0);
  state_ = State::kRestarting;
  phase_start_ = sim_.Now();
  if (driver_) driver_->AnnounceResume(sim_.Now() + Duration::FromSeconds(f_.restart_s));
  pending_ = sim_.After(Duration::FromSeconds(f_.restart_s), [this] { OnRestartEnd(); });
}

void TrainingJobSim::Finish(SimTime horizon) {
  if (state_ == State::kTraining) {
    const int64_t done = IterationsAt(horizon) - m_.iterations_done;
    Slice("train", phase_start_, horizon, done);
    m_.iterations_done += done;
    segment_iters_ -= done;
    phase_start_ = horizon;
  } else if (state_ == State::kCheckpointing) {
    m_.checkpoint_s += (horizon - phase_start_).seconds();
  } else if (state_ == State::kRestarting) {
    m_.restart_s += (horizon - phase_start_).seconds();
  } else if (state_ == State::kSuspended) {
    m_.suspended_s += (horizon - phase_start_).seconds();
  }
}

}  // namespace fleetsim
