// Hold-model benchmark of the pending-event set (issue: kernel performance target).
//
// The classic "hold" operation: with N events pending, pop the earliest and push one new
// event at now + a random increment, so N stays constant. Every variant draws its
// increments from the same precomputed table (exponential, mean 1 us) so that RNG cost
// is identical and excluded. Times are whole nanoseconds, so at 1e6 pending about a
// thousand events share each nanosecond near the front: ties are the common case.
//
//   BM_StdFunctionPriorityQueue  baseline: std::priority_queue of {time, seq,
//                                std::function<void()>}, popped by move, the function called
//   BM_EventQueue                fleetsim::EventQueue, (handler, tag) events, handler called
//   BM_EventQueueWithCancel      EventQueue hold where every step pushes two events and
//                                cancels one of them (lazy deletion and compaction at work)
//   BM_SimulatorHandler          the whole Simulator loop with an EventHandler (the model path)
//   BM_SimulatorClosure          the Simulator loop with std::function closures (the glue path)
#include <benchmark/benchmark.h>

#include <functional>
#include <queue>
#include <vector>

#include "sim/event_queue.h"
#include "sim/rng.h"
#include "sim/simulator.h"

namespace fleetsim {
namespace {

constexpr size_t kTableSize = 1 << 16;

const std::vector<int64_t>& Increments() {
  static const std::vector<int64_t> table = [] {
    Rng rng(12345);
    std::vector<int64_t> t(kTableSize);
    for (auto& x : t) x = 1 + static_cast<int64_t>(rng.Exponential(1.0 / 1000.0));  // ns
    return t;
  }();
  return table;
}

// ---- baseline ----

struct BaselineEvent {
  int64_t time;
  uint64_t seq;
  std::function<void()> fn;
};
struct BaselineLater {
  bool operator()(const BaselineEvent& a, const BaselineEvent& b) const {
    return a.time > b.time || (a.time == b.time && a.seq > b.seq);
  }
};

void BM_StdFunctionPriorityQueue(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const auto& inc = Increments();
  std::priority_queue<BaselineEvent, std::vector<BaselineEvent>, BaselineLater> q;
  int64_t now = 0;
  uint64_t seq = 0;
  size_t k = 0;
  std::function<void()> reschedule;
  reschedule = [&] { q.push({now + inc[k++ & (kTableSize - 1)], seq++, reschedule}); };
  for (size_t i = 0; i < n; ++i) q.push({inc[k++ & (kTableSize - 1)], seq++, reschedule});
  for (auto _ : state) {
    BaselineEvent ev = std::move(const_cast<BaselineEvent&>(q.top()));
    q.pop();
    now = ev.time;
    ev.fn();
  }
  state.SetItemsProcessed(state.iterations());
}

// ---- EventQueue ----

struct Holder : EventHandler {
  EventQueue* q = nullptr;
  int64_t now = 0;
  size_t k = 0;
  const std::vector<int64_t>* inc = nullptr;
  void HandleEvent(uint64_t tag) override {
    q->Push(SimTime::FromNanoseconds(now + (*inc)[k++ & (kTableSize - 1)]), kPhaseDefault, this,
            tag);
  }
};

void BM_EventQueue(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  EventQueue q;
  q.Reserve(n);
  Holder h;
  h.q = &q;
  h.inc = &Increments();
  for (size_t i = 0; i < n; ++i) {
    q.Push(SimTime::FromNanoseconds((*h.inc)[h.k++ & (kTableSize - 1)]), kPhaseDefault, &h, i);
  }
  for (auto _ : state) {
    const EventQueue::Event ev = q.Pop();
    if (ev.time.ns() < h.now) state.SkipWithError("event queue went back in time");
    h.now = ev.time.ns();
    ev.handler->HandleEvent(ev.tag);
  }
  state.SetItemsProcessed(state.iterations());
}

// No baseline: std::priority_queue cannot cancel. Compare with BM_EventQueue at the same N.
void BM_EventQueueWithCancel(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  const auto& inc = Increments();
  EventQueue q;
  q.Reserve(2 * n);
  Holder unused;  // never called: the loop below pushes directly
  size_t k = 0;
  for (size_t i = 0; i < n; ++i) {
    q.Push(SimTime::FromNanoseconds(inc[k++ & (kTableSize - 1)]), kPhaseDefault, &unused, i);
  }
  int64_t now = 0;
  for (auto _ : state) {
    const EventQueue::Event ev = q.Pop();
    if (ev.time.ns() < now) state.SkipWithError("event queue went back in time");
    now = ev.time.ns();
    const EventId a = q.Push(SimTime::FromNanoseconds(now + inc[k++ & (kTableSize - 1)]),
                             kPhaseDefault, ev.handler, ev.tag);
    const EventId b = q.Push(SimTime::FromNanoseconds(now + inc[k++ & (kTableSize - 1)]),
                             kPhaseDefault, ev.handler, ev.tag);
    q.Cancel((k & 2) != 0 ? a : b);
  }
  state.SetItemsProcessed(state.iterations());
}

// ---- Simulator ----

// The Simulator variants run 1,000 events per benchmark iteration (a counting Stop()), so
// Run()'s entry cost is amortised as it is in a real run.

void BM_SimulatorHandler(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  Simulator sim;
  struct Stepper : EventHandler {
    Simulator* sim;
    size_t k = 0;
    int64_t budget = 0;
    const std::vector<int64_t>* inc;
    void HandleEvent(uint64_t tag) override {
      sim->ScheduleAfter(Duration::Nanoseconds((*inc)[k++ & (kTableSize - 1)]), this, tag);
      if (--budget == 0) sim->Stop();
    }
  } h;
  h.sim = &sim;
  h.inc = &Increments();
  for (size_t i = 0; i < n; ++i) {
    sim.Schedule(SimTime::FromNanoseconds((*h.inc)[h.k++ & (kTableSize - 1)]), &h, i);
  }
  constexpr int64_t kChunk = 1000;
  for (auto _ : state) {
    h.budget = kChunk;
    sim.Run();
  }
  state.SetItemsProcessed(state.iterations() * kChunk);
}

void BM_SimulatorClosure(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  Simulator sim;
  const auto& inc = Increments();
  size_t k = 0;
  int64_t budget = 0;
  std::function<void()> fire;
  fire = [&] {
    sim.After(Duration::Nanoseconds(inc[k++ & (kTableSize - 1)]), fire);
    if (--budget == 0) sim.Stop();
  };
  for (size_t i = 0; i < n; ++i) {
    sim.At(SimTime::FromNanoseconds(inc[k++ & (kTableSize - 1)]), fire);
  }
  constexpr int64_t kChunk = 1000;
  for (auto _ : state) {
    budget = kChunk;
    sim.Run();
  }
  state.SetItemsProcessed(state.iterations() * kChunk);
}

// 10 pending as well: small queues are common at the start and end of runs.
BENCHMARK(BM_StdFunctionPriorityQueue)->Arg(10)->Arg(1000)->Arg(100000)->Arg(1000000);
BENCHMARK(BM_EventQueue)->Arg(10)->Arg(1000)->Arg(100000)->Arg(1000000);
BENCHMARK(BM_EventQueueWithCancel)->Arg(1000)->Arg(100000)->Arg(1000000);
BENCHMARK(BM_SimulatorHandler)->Arg(1000)->Arg(100000)->Arg(1000000);
BENCHMARK(BM_SimulatorClosure)->Arg(1000)->Arg(100000)->Arg(1000000);

}  // namespace
}  // namespace fleetsim

BENCHMARK_MAIN();
