#include "sim/event_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
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
    if (i % 10 != 0) ASSERT_TRUE(q.Cancel(ids[i]));
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

}  // namespace
}  // namespace fleetsim
