#include "sim/event_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>
#include <vector>

#include "sim/rng.h"

namespace fleetsim {
namespace {

struct Recorder : EventHandler {
  std::vector<uint64_t> fired;
  void HandleEvent(uint64_t tag) override { fired.push_back(tag); }
};

TEST(EventQueueTest, TiesBreakByPhaseThenInsertionOrder) {
  EventQueue q;
  Recorder r;
  const SimTime t = SimTime::FromNanoseconds(10);
  // Same time: phase 128 before 200; within phase 128 the insertion order 1, 2; phase 0
  // first of all; the event at time 5 before everything.
  q.Push(t, 200, &r, 4);
  q.Push(t, kPhaseDefault, &r, 2);
  q.Push(t, kPhaseDefault, &r, 3);
  q.Push(t, kPhaseFirst, &r, 1);
  q.Push(SimTime::FromNanoseconds(5), kPhaseLast, &r, 0);
  std::vector<uint64_t> order;
  while (!q.empty()) order.push_back(q.Pop().tag);
  EXPECT_EQ(order, (std::vector<uint64_t>{0, 1, 2, 3, 4}));
}

TEST(EventQueueTest, CancelIsExactAndStaleIdsAreHarmless) {
  EventQueue q;
  Recorder r;
  const EventId a = q.Push(SimTime::FromNanoseconds(1), kPhaseDefault, &r, 1);
  const EventId b = q.Push(SimTime::FromNanoseconds(2), kPhaseDefault, &r, 2);
  EXPECT_TRUE(q.Cancel(a));
  EXPECT_FALSE(q.Cancel(a));  // already cancelled
  EXPECT_EQ(q.size(), 1u);
  EXPECT_EQ(q.Pop().tag, 2u);
  EXPECT_FALSE(q.Cancel(b));  // already fired
  // The slot of `a` is reused: the old id must not cancel the new event.
  const EventId c = q.Push(SimTime::FromNanoseconds(3), kPhaseDefault, &r, 3);
  EXPECT_FALSE(q.Cancel(a));
  EXPECT_TRUE(q.IsPending(c));
  EXPECT_EQ(q.Pop().tag, 3u);
  EXPECT_TRUE(q.empty());
}

// Oracle: random pushes, pops and cancels against a naive sorted container keyed by
// (time, phase, insertion sequence). Every pop must return exactly the oracle's minimum.
TEST(EventQueueTest, MatchesNaiveOracleOnRandomOperations) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    Rng rng(seed);
    EventQueue q;
    Recorder r;
    using Key = std::tuple<int64_t, int, uint64_t>;
    std::map<Key, std::pair<uint64_t, EventId>> oracle;  // key -> (tag, id)
    uint64_t seq = 0;
    for (int step = 0; step < 5000; ++step) {
      const double u = rng.Uniform01();
      if (u < 0.5 || oracle.empty()) {
        // Few distinct times and phases so that ties are frequent.
        const int64_t t = static_cast<int64_t>(rng.UniformInt(50));
        const int phase = static_cast<int>(rng.UniformInt(3)) * 100;
        const uint64_t tag = seq;
        const EventId id = q.Push(SimTime::FromNanoseconds(t), static_cast<Phase>(phase), &r, tag);
        oracle[{t, phase, seq}] = {tag, id};
        ++seq;
      } else if (u < 0.8) {
        const auto expected = oracle.begin();
        const EventQueue::Event ev = q.Pop();
        ASSERT_EQ(ev.time.ns(), std::get<0>(expected->first));
        ASSERT_EQ(ev.phase, std::get<1>(expected->first));
        ASSERT_EQ(ev.tag, expected->second.first);
        oracle.erase(expected);
      } else {
        // Cancel a random pending event.
        auto it = oracle.begin();
        std::advance(it, static_cast<long>(rng.UniformInt(oracle.size())));
        ASSERT_TRUE(q.Cancel(it->second.second));
        oracle.erase(it);
      }
      ASSERT_EQ(q.size(), oracle.size());
    }
    while (!oracle.empty()) {
      ASSERT_EQ(q.Pop().tag, oracle.begin()->second.first);
      oracle.erase(oracle.begin());
    }
    EXPECT_TRUE(q.empty());
  }
}

TEST(EventQueueTest, HeavyCancellationCompactsAndKeepsOrder) {
  // 10,000 events, cancel 9,000 (beyond the compaction threshold of 1,024 and 2x live):
  // the survivors must still come out in order.
  EventQueue q;
  Recorder r;
  std::vector<EventId> ids;
  for (int i = 0; i < 10000; ++i) {
    ids.push_back(q.Push(SimTime::FromNanoseconds(10000 - i), kPhaseDefault, &r, i));
  }
  for (int i = 0; i < 10000; ++i) {
    if (i % 10 != 0) {
      ASSERT_TRUE(q.Cancel(ids[i]));
    }
  }
  EXPECT_EQ(q.size(), 1000u);
  int64_t last = -1;
  while (!q.empty()) {
    const auto ev = q.Pop();
    EXPECT_EQ(ev.tag % 10, 0u);
    EXPECT_GT(ev.time.ns(), last);
    last = ev.time.ns();
  }
}

// ---- oracle harness for the ladder's tiers ----
//
// EventQueue keeps near, rung and top tiers (see event_queue.h); which tier an event lands
// in depends on its time relative to what was already popped and spread. The tests below
// drive the queue and a naive ordered map side by side with time distributions chosen to
// reach every tier (events at the current time, in the past, far in the future, at the
// int64 extremes, heavy ties, times over every order of magnitude) and cancel events
// wherever they are; every observable result must agree with the map.

class Harness {
 public:
  using Key = std::tuple<int64_t, int, uint64_t>;  // (time, phase, insertion sequence)

  EventId Push(int64_t t, Phase phase) {
    const uint64_t seq = seq_++;
    const EventId id = q_.Push(SimTime::FromNanoseconds(t), phase, &r_, seq);
    oracle_[{t, phase, seq}] = id;
    pushed_.push_back({id, {t, phase, seq}});
    return id;
  }

  void Pop() {
    ASSERT_FALSE(oracle_.empty());
    const auto expected = oracle_.begin();
    ASSERT_EQ(q_.PeekTime().ns(), std::get<0>(expected->first));
    const EventQueue::Event ev = q_.Pop();
    ASSERT_EQ(ev.time.ns(), std::get<0>(expected->first));
    ASSERT_EQ(ev.phase, std::get<1>(expected->first));
    ASSERT_EQ(ev.tag, std::get<2>(expected->first));
    ASSERT_EQ(ev.handler, &r_);
    ASSERT_FALSE(q_.IsPending(expected->second));
    now_ = ev.time.ns();
    oracle_.erase(expected);
    ASSERT_EQ(q_.size(), oracle_.size());
  }

  // Cancels one of the last `window` pushed events, pending or not: stale ids must be
  // rejected and leave everything unchanged.
  void CancelRecent(Rng& rng, size_t window) {
    ASSERT_FALSE(pushed_.empty());
    const size_t back = static_cast<size_t>(rng.UniformInt(std::min(window, pushed_.size())));
    const auto& [id, key] = pushed_[pushed_.size() - 1 - back];
    const bool pending = oracle_.count(key) > 0;
    ASSERT_EQ(q_.IsPending(id), pending);
    EventQueue::Event out{};
    ASSERT_EQ(q_.Cancel(id, &out), pending);
    if (pending) {
      ASSERT_EQ(out.tag, std::get<2>(key));
      ASSERT_EQ(out.phase, std::get<1>(key));
      oracle_.erase(key);
    }
    ASSERT_FALSE(q_.IsPending(id));
    ASSERT_EQ(q_.size(), oracle_.size());
  }

  // Cancels through the queue and the oracle; returns what the queue returned, after
  // checking that it matches whether the event was still pending.
  bool Cancel(EventId id) {
    const auto it = std::find_if(pushed_.rbegin(), pushed_.rend(), [&](const auto& p) {
      return p.first.slot == id.slot && p.first.generation == id.generation;
    });
    EXPECT_NE(it, pushed_.rend());
    const bool pending = oracle_.count(it->second) > 0;
    const bool cancelled = q_.Cancel(id);
    EXPECT_EQ(cancelled, pending);
    oracle_.erase(it->second);
    EXPECT_EQ(q_.size(), oracle_.size());
    return cancelled;
  }

  void Drain() {
    while (!oracle_.empty()) ASSERT_NO_FATAL_FAILURE(Pop());
    ASSERT_TRUE(q_.empty());
  }

  int64_t now() const { return now_; }
  size_t size() const { return oracle_.size(); }
  EventQueue& queue() { return q_; }

 private:
  EventQueue q_;
  Recorder r_;
  std::map<Key, EventId> oracle_;
  std::vector<std::pair<EventId, Key>> pushed_;
  uint64_t seq_ = 0;
  int64_t now_ = 0;
};

Phase RandomPhase(Rng& rng) {
  static constexpr Phase kPhases[] = {kPhaseFirst, 7, kPhaseDefault, kPhaseLast};
  return kPhases[rng.UniformInt(4)];
}

int64_t Exp(Rng& rng, double mean) { return static_cast<int64_t>(rng.Exponential(1.0 / mean)); }

// The benchmark's hold model plus everything a simulation does around it: zero-delay
// events, far-future timers, cancellations of recent events, and (allowed by EventQueue,
// though not by Simulator) events earlier than the last one popped.
TEST(EventQueueTest, HoldModelWithEveryKindOfPushMatchesOracle) {
  for (uint64_t seed = 1; seed <= 6; ++seed) {
    Rng rng(seed);
    Harness h;
    const size_t pending = seed % 2 == 0 ? 300 : 3000;
    for (size_t i = 0; i < pending; ++i) h.Push(Exp(rng, 1000), RandomPhase(rng));
    for (int step = 0; step < 40000; ++step) {
      const double u = rng.Uniform01();
      if (h.size() == 0 || u < 0.55) {
        h.Push(h.now() + Exp(rng, 1000), RandomPhase(rng));
      } else if (u < 0.62) {
        h.Push(h.now(), RandomPhase(rng));  // at the current time
      } else if (u < 0.65) {
        h.Push(h.now() + 1'000'000'000 + Exp(rng, 1e12), RandomPhase(rng));  // far future
      } else if (u < 0.67) {
        h.Push(h.now() - Exp(rng, 100), RandomPhase(rng));  // before the last pop
      } else if (u < 0.75) {
        ASSERT_NO_FATAL_FAILURE(h.CancelRecent(rng, 2 * pending));
      } else {
        ASSERT_NO_FATAL_FAILURE(h.Pop());
      }
    }
    ASSERT_NO_FATAL_FAILURE(h.Drain());
  }
}

// Both ends of int64 and everything in between: spreading a range of 2^64 - 1 ns and
// buckets ending at INT64_MAX must neither overflow nor misplace an event.
TEST(EventQueueTest, ExtremeTimesMatchOracle) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t special[] = {kMin, kMin + 1, -1, 0, 1, kMax - 1, kMax};
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    Rng rng(seed);
    Harness h;
    for (int step = 0; step < 6000; ++step) {
      const double u = rng.Uniform01();
      if (h.size() == 0 || u < 0.5) {
        const int64_t t = rng.Uniform01() < 0.5 ? special[rng.UniformInt(7)]
                                                : static_cast<int64_t>(rng.NextU64());
        h.Push(t, RandomPhase(rng));
      } else if (u < 0.6) {
        ASSERT_NO_FATAL_FAILURE(h.CancelRecent(rng, 200));
      } else {
        ASSERT_NO_FATAL_FAILURE(h.Pop());
      }
    }
    ASSERT_NO_FATAL_FAILURE(h.Drain());
  }
}

// Events at INT64_MAX (SimTime::Max, "never") pushed while others at INT64_MAX are being
// popped must still respect phase order.
TEST(EventQueueTest, PhaseOrderHoldsAtTheLastRepresentableTime) {
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  Harness h;
  for (int i = 0; i < 200; ++i) h.Push(kMax, kPhaseDefault);
  h.Push(kMax - 5, kPhaseDefault);
  ASSERT_NO_FATAL_FAILURE(h.Pop());
  ASSERT_NO_FATAL_FAILURE(h.Pop());
  h.Push(kMax, kPhaseFirst);  // must come before the remaining default-phase ones
  h.Push(kMax, kPhaseLast);
  ASSERT_NO_FATAL_FAILURE(h.Drain());
}

// Times over every order of magnitude plus dense clusters: buckets are spread into deeper
// rungs repeatedly, up to and past the depth limit.
TEST(EventQueueTest, TimesOverEveryMagnitudeMatchOracle) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    Rng rng(seed);
    Harness h;
    auto random_time = [&] {
      if (rng.Uniform01() < 0.3) return int64_t{123'456'789} + Exp(rng, 3);  // a tight cluster
      return static_cast<int64_t>(rng.NextU64() >> (1 + rng.UniformInt(63)));
    };
    for (int i = 0; i < 20000; ++i) h.Push(random_time(), RandomPhase(rng));
    for (int step = 0; step < 30000; ++step) {
      const double u = rng.Uniform01();
      if (h.size() == 0 || u < 0.4) {
        const int64_t t = random_time();
        h.Push(std::max(t, h.now()), RandomPhase(rng));
      } else if (u < 0.5) {
        ASSERT_NO_FATAL_FAILURE(h.CancelRecent(rng, 20000));
      } else {
        ASSERT_NO_FATAL_FAILURE(h.Pop());
      }
    }
    ASSERT_NO_FATAL_FAILURE(h.Drain());
  }
}

// A dense clump at t = 0 plus one event at every power of two: each rung can only narrow
// its first bucket by a couple of bits, so the ladder hits its depth limit and falls back
// to sorting a large bucket.
TEST(EventQueueTest, DepthLimitFallsBackToSorting) {
  Rng rng(3);
  Harness h;
  for (int i = 0; i < 70; ++i) h.Push(0, RandomPhase(rng));
  for (int k = 0; k < 63; ++k) h.Push(int64_t{1} << k, RandomPhase(rng));
  for (int step = 0; step < 400; ++step) {
    if (rng.Uniform01() < 0.5) {
      h.Push(h.now() + static_cast<int64_t>(rng.UniformInt(4)), RandomPhase(rng));
    } else {
      ASSERT_NO_FATAL_FAILURE(h.Pop());
    }
  }
  ASSERT_NO_FATAL_FAILURE(h.Drain());
}

// Thousands of events at one nanosecond: a bucket that cannot be narrowed further, in
// mixed phases, with more arriving at that time while it is being popped.
TEST(EventQueueTest, HeavyTiesAtOneTimeMatchOracle) {
  Rng rng(7);
  Harness h;
  for (int i = 0; i < 5000; ++i) h.Push(1000, i % 3 == 0 ? RandomPhase(rng) : kPhaseDefault);
  for (int i = 0; i < 5000; ++i) h.Push(1001, kPhaseDefault);
  for (int step = 0; step < 12000; ++step) {
    const double u = rng.Uniform01();
    if (h.size() == 0 || u < 0.3) {
      h.Push(std::max<int64_t>(h.now(), 1000 + static_cast<int64_t>(rng.UniformInt(3))),
             RandomPhase(rng));
    } else if (u < 0.4) {
      ASSERT_NO_FATAL_FAILURE(h.CancelRecent(rng, 10000));
    } else {
      ASSERT_NO_FATAL_FAILURE(h.Pop());
    }
  }
  ASSERT_NO_FATAL_FAILURE(h.Drain());
}

// One cancellation aimed at each tier, with the layout it relies on spelled out. If the
// tuning constants change the tiers may shift, but the oracle still checks every result.
TEST(EventQueueTest, CancelInEveryTier) {
  Harness h;
  std::vector<EventId> ids;
  for (int i = 0; i < 1000; ++i) ids.push_back(h.Push(10 * i, kPhaseDefault));  // top
  ASSERT_TRUE(h.Cancel(ids[500]));                                              // in the top
  h.Push(5005, kPhaseDefault);
  ASSERT_NO_FATAL_FAILURE(h.Pop());  // spreads the top over a rung, sorts the first bucket
  // 100 events inside one rung bucket: spread into a deeper rung when it is reached.
  std::vector<EventId> dense;
  for (int i = 0; i < 100; ++i) dense.push_back(h.Push(6000 + i, kPhaseDefault));
  ASSERT_TRUE(h.Cancel(ids[5]));                  // in the near run
  ASSERT_TRUE(h.Cancel(ids[700]));                // in a rung bucket
  const EventId late = h.Push(3, kPhaseDefault);  // before the rung: near heap
  h.Push(4, kPhaseLast);
  ASSERT_TRUE(h.Cancel(late));
  const EventId far = h.Push(1'000'000, kPhaseDefault);  // after the rung: top
  h.Push(1'000'001, kPhaseDefault);
  ASSERT_TRUE(h.Cancel(far));
  while (h.now() < 6000) ASSERT_NO_FATAL_FAILURE(h.Pop());
  ASSERT_TRUE(h.Cancel(dense[50]));  // in the deeper rung
  const EventId deep = h.Push(6070, kPhaseFirst);
  ASSERT_TRUE(h.queue().IsPending(deep));
  ASSERT_TRUE(h.Cancel(deep));
  EXPECT_FALSE(h.Cancel(ids[500]));
  ASSERT_NO_FATAL_FAILURE(h.Drain());
}

// Enough cancellations to trigger compaction while entries sit in all tiers; afterwards
// the queue must keep working, including for events pushed after the compaction.
TEST(EventQueueTest, CompactionAcrossTiersMatchesOracle) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    Rng rng(seed);
    Harness h;
    for (int i = 0; i < 20000; ++i) h.Push(Exp(rng, 1e6), RandomPhase(rng));
    for (int i = 0; i < 50; ++i) ASSERT_NO_FATAL_FAILURE(h.Pop());
    for (int i = 0; i < 2000; ++i) h.Push(h.now() + Exp(rng, 1e9), RandomPhase(rng));
    for (int i = 0; i < 200; ++i) h.Push(h.now(), RandomPhase(rng));
    for (int i = 0; i < 30000; ++i) ASSERT_NO_FATAL_FAILURE(h.CancelRecent(rng, 30000));
    EXPECT_LT(h.size(), 8000u);  // about 3/4 cancelled: compaction ran
    for (int step = 0; step < 20000; ++step) {
      if (h.size() == 0 || rng.Uniform01() < 0.5) {
        h.Push(h.now() + Exp(rng, 1e6), RandomPhase(rng));
      } else {
        ASSERT_NO_FATAL_FAILURE(h.Pop());
      }
    }
    ASSERT_NO_FATAL_FAILURE(h.Drain());
  }
}

// The queue is reusable after it ran empty, and an empty queue accepts any time again.
TEST(EventQueueTest, ReusableAfterRunningEmpty) {
  Harness h;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 500; ++i) h.Push(round * 100 + (i * 37) % 1000, kPhaseDefault);
    ASSERT_NO_FATAL_FAILURE(h.Drain());
    h.Push(-5 - round, kPhaseDefault);  // earlier than everything popped so far
    ASSERT_NO_FATAL_FAILURE(h.Drain());
  }
}

}  // namespace
}  // namespace fleetsim
