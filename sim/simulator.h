// The simulation loop: one Simulator object per run, passed explicitly (no globals).
//
// Owns the clock, the pending-event set and the run's random streams. Models schedule
// events either on an EventHandler (allocation-free: the fast path used by the workload
// models) or as closures (convenient for glue and tests).
//
// Stall detection: models register pending-work checks. When the event set runs dry
// while some check still reports work (a job waiting for GPUs that will never free up, a
// flow with no bandwidth), Run() returns kStalled with the checks' descriptions, so the
// CLI can report it and exit 1 instead of silently printing a truncated result.
//
// Not here: anything about GPUs, networks or YAML.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sim/event_queue.h"
#include "sim/rng.h"
#include "sim/time.h"

namespace fleetsim {

struct RunResult {
  enum class Status {
    kFinished,      // no event left and no model reports pending work
    kReachedLimit,  // stopped at the `until` time given to Run
    kStopped,       // a model called Stop()
    kStalled,       // no event left but some model still has pending work
  };
  Status status = Status::kFinished;
  SimTime end_time;
  uint64_t events_processed = 0;
  std::string stall_report;  // one line per check that reported work; empty otherwise
};

const char* ToString(RunResult::Status status);

class Simulator {
 public:
  explicit Simulator(uint64_t seed = 1, uint64_t run = 0);
  Simulator(const Simulator&) = delete;
  Simulator& operator=(const Simulator&) = delete;

  SimTime Now() const { return now_; }

  // Schedules handler->HandleEvent(tag) at `at`. Precondition: at >= Now().
  EventId Schedule(SimTime at, EventHandler* handler, uint64_t tag = 0,
                   Phase phase = kPhaseDefault);
  EventId ScheduleAfter(Duration delay, EventHandler* handler, uint64_t tag = 0,
                        Phase phase = kPhaseDefault) {
    return Schedule(now_ + delay, handler, tag, phase);
  }
  // Closure events. Precondition: at >= Now().
  EventId At(SimTime at, std::function<void()> fn, Phase phase = kPhaseDefault);
  EventId After(Duration delay, std::function<void()> fn, Phase phase = kPhaseDefault) {
    return At(now_ + delay, std::move(fn), phase);
  }
  // Returns false if the event already fired or was cancelled.
  bool Cancel(EventId id);
  bool IsPending(EventId id) const { return queue_.IsPending(id); }
  size_t pending_events() const { return queue_.size(); }

  // Processes events in (time, phase, sequence) order until none is left, Stop() is
  // called, or the next event lies after `until`; in the last case the clock is
  // advanced to `until`.
  RunResult Run(SimTime until = SimTime::Max());
  // Ends Run() after the current event.
  void Stop() { stop_requested_ = true; }

  // `describe` returns an empty string when its model has no pending work, else one line
  // saying what is waiting and why. Checked only when the event set runs dry.
  void AddPendingWorkCheck(std::function<std::string()> describe);

  const RngStreams& rng() const { return rng_; }
  uint64_t events_processed() const { return events_processed_; }

 private:
  class ClosureHandler final : public EventHandler {
   public:
    explicit ClosureHandler(Simulator* sim) : sim_(sim) {}
    void HandleEvent(uint64_t tag) override;

   private:
    Simulator* sim_;
  };

  EventQueue queue_;
  SimTime now_ = SimTime::Zero();
  bool stop_requested_ = false;
  uint64_t events_processed_ = 0;
  RngStreams rng_;
  ClosureHandler closure_handler_{this};
  std::vector<std::function<void()>> closures_;
  std::vector<uint32_t> free_closures_;
  std::vector<std::function<std::string()>> pending_work_checks_;
};

}  // namespace fleetsim
