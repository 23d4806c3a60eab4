#include "sim/simulator.h"

#include <stdexcept>
#include <string>

namespace fleetsim {

const char* ToString(RunResult::Status status) {
  switch (status) {
    case RunResult::Status::kFinished:
      return "finished";
    case RunResult::Status::kReachedLimit:
      return "reached time limit";
    case RunResult::Status::kStopped:
      return "stopped";
    case RunResult::Status::kStalled:
      return "stalled";
  }
  return "?";
}

Simulator::Simulator(uint64_t seed, uint64_t run) : rng_(seed, run) {}

EventId Simulator::Schedule(SimTime at, EventHandler* handler, uint64_t tag, Phase phase) {
  if (at < now_) {
    throw std::logic_error("event scheduled in the past: at " + std::to_string(at.ns()) +
                           " ns, now " + std::to_string(now_.ns()) + " ns");
  }
  return queue_.Push(at, phase, handler, tag);
}

EventId Simulator::At(SimTime at, std::function<void()> fn, Phase phase) {
  uint32_t index;
  if (!free_closures_.empty()) {
    index = free_closures_.back();
    free_closures_.pop_back();
    closures_[index] = std::move(fn);
  } else {
    index = static_cast<uint32_t>(closures_.size());
    closures_.push_back(std::move(fn));
  }
  return Schedule(at, &closure_handler_, index, phase);
}

void Simulator::ClosureHandler::HandleEvent(uint64_t tag) {
  const auto index = static_cast<uint32_t>(tag);
  // Move out and free the slot first: the closure may schedule further closures.
  std::function<void()> fn = std::move(sim_->closures_[index]);
  sim_->closures_[index] = nullptr;
  sim_->free_closures_.push_back(index);
  fn();
}

bool Simulator::Cancel(EventId id) {
  EventQueue::Event ev;
  if (!queue_.Cancel(id, &ev)) return false;
  if (ev.handler == &closure_handler_) {
    const auto index = static_cast<uint32_t>(ev.tag);
    closures_[index] = nullptr;
    free_closures_.push_back(index);
  }
  return true;
}

void Simulator::AddPendingWorkCheck(std::function<std::string()> describe) {
  pending_work_checks_.push_back(std::move(describe));
}

RunResult Simulator::Run(SimTime until) {
  stop_requested_ = false;
  RunResult result;
  const uint64_t processed_before = events_processed_;
  while (!queue_.empty()) {
    if (queue_.PeekTime() > until) {
      now_ = until;
      result.status = RunResult::Status::kReachedLimit;
      result.end_time = now_;
      result.events_processed = events_processed_ - processed_before;
      return result;
    }
    const EventQueue::Event ev = queue_.Pop();
    now_ = ev.time;
    ++events_processed_;
    ev.handler->HandleEvent(ev.tag);
    if (stop_requested_) {
      result.status = RunResult::Status::kStopped;
      result.end_time = now_;
      result.events_processed = events_processed_ - processed_before;
      return result;
    }
  }
  result.end_time = now_;
  result.events_processed = events_processed_ - processed_before;
  for (const auto& check : pending_work_checks_) {
    std::string line = check();
    if (line.empty()) continue;
    if (!result.stall_report.empty()) result.stall_report += '\n';
    result.stall_report += line;
  }
  result.status =
      result.stall_report.empty() ? RunResult::Status::kFinished : RunResult::Status::kStalled;
  return result;
}

}  // namespace fleetsim
