#include "sim/simulator.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace fleetsim {
namespace {

TEST(SimulatorTest, ClosuresFireInTimeOrderAndAdvanceTheClock) {
  Simulator sim;
  std::vector<int64_t> seen;
  sim.At(SimTime::FromNanoseconds(30), [&] { seen.push_back(sim.Now().ns()); });
  sim.At(SimTime::FromNanoseconds(10), [&] {
    seen.push_back(sim.Now().ns());
    // Scheduling from inside an event: 10 + 5 = 15, before the event at 30.
    sim.After(Duration::Nanoseconds(5), [&] { seen.push_back(sim.Now().ns()); });
  });
  const RunResult r = sim.Run();
  EXPECT_EQ(r.status, RunResult::Status::kFinished);
  EXPECT_EQ(seen, (std::vector<int64_t>{10, 15, 30}));
  EXPECT_EQ(r.events_processed, 3u);
  EXPECT_EQ(sim.Now().ns(), 30);
}

TEST(SimulatorTest, RunUntilStopsBeforeLaterEventsAndAdvancesClock) {
  Simulator sim;
  int fired = 0;
  sim.At(SimTime::FromNanoseconds(100), [&] { ++fired; });
  sim.At(SimTime::FromNanoseconds(200), [&] { ++fired; });
  // Events at exactly `until` run; later ones wait.
  RunResult r = sim.Run(SimTime::FromNanoseconds(100));
  EXPECT_EQ(r.status, RunResult::Status::kReachedLimit);
  EXPECT_EQ(fired, 1);
  r = sim.Run(SimTime::FromNanoseconds(150));
  EXPECT_EQ(sim.Now().ns(), 150);
  r = sim.Run();
  EXPECT_EQ(fired, 2);
  EXPECT_EQ(r.status, RunResult::Status::kFinished);
}

TEST(SimulatorTest, StopEndsTheRunAfterTheCurrentEvent) {
  Simulator sim;
  int fired = 0;
  sim.At(SimTime::FromNanoseconds(1), [&] {
    ++fired;
    sim.Stop();
  });
  sim.At(SimTime::FromNanoseconds(2), [&] { ++fired; });
  EXPECT_EQ(sim.Run().status, RunResult::Status::kStopped);
  EXPECT_EQ(fired, 1);
  EXPECT_EQ(sim.pending_events(), 1u);
}

TEST(SimulatorTest, CancelledClosureDoesNotRun) {
  Simulator sim;
  bool ran = false;
  const EventId id = sim.At(SimTime::FromNanoseconds(5), [&] { ran = true; });
  EXPECT_TRUE(sim.Cancel(id));
  EXPECT_FALSE(sim.Cancel(id));
  sim.Run();
  EXPECT_FALSE(ran);
}

TEST(SimulatorTest, SchedulingInThePastIsAProgrammingError) {
  Simulator sim;
  sim.At(SimTime::FromNanoseconds(10),
         [&] { EXPECT_THROW(sim.At(SimTime::FromNanoseconds(9), [] {}), std::logic_error); });
  sim.Run();
}

TEST(SimulatorTest, StallIsReportedWhenWorkIsPendingButNoEventIsLeft) {
  Simulator sim;
  int waiting_jobs = 1;
  sim.AddPendingWorkCheck([&] {
    return waiting_jobs ? std::string("job 'train-7' waits for 64 GPUs; the cluster has 32") : "";
  });
  sim.At(SimTime::FromNanoseconds(1), [] {});
  RunResult r = sim.Run();
  EXPECT_EQ(r.status, RunResult::Status::kStalled);
  EXPECT_NE(r.stall_report.find("train-7"), std::string::npos);
  waiting_jobs = 0;
  EXPECT_EQ(sim.Run().status, RunResult::Status::kFinished);
}

// Determinism: the same seed gives the same trace of (time, draw) pairs, and a different
// run index gives a different one.
TEST(SimulatorTest, SameSeedSameTrace) {
  auto trace = [](uint64_t seed, uint64_t run) {
    Simulator sim(seed, run);
    Rng arrivals = sim.rng().Stream("arrivals");
    std::vector<int64_t> out;
    std::function<void()> arrive = [&] {
      out.push_back(sim.Now().ns());
      if (out.size() < 100) sim.After(Duration::FromSeconds(arrivals.Exponential(1000.0)), arrive);
    };
    sim.At(SimTime::Zero(), arrive);
    sim.Run();
    return out;
  };
  EXPECT_EQ(trace(7, 0), trace(7, 0));
  EXPECT_NE(trace(7, 0), trace(7, 1));
  EXPECT_NE(trace(7, 0), trace(8, 0));
}

}  // namespace
}  // namespace fleetsim
