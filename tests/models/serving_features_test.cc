// Serving-engine features that had no test of their own (issue 5): chunked prefill with a
// token budget, the max_waiting queue bound, and kv_aware routing end to end. Every time is
// derived by hand from an affine iteration-time stub (a test double, not physics). Times
// are compared within 10 ns: each iteration's duration is rounded up to a whole nanosecond
// (sim/time.h), so a few iterations may each add 1 ns to the hand sums.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <vector>

#include "models/serving/service_sim.h"
#include "tests/models/serving_doubles.h"

namespace fleetsim {
namespace {

using test::AffineTime;
using test::ListStream;

struct Iteration {
  ServiceObserver::Phase phase;
  double start_s, end_s;
  int64_t seqs, steps;
  size_t replica;
};
struct Recorder final : ServiceObserver {
  std::vector<Iteration> log;
  void OnIteration(size_t replica, Phase phase, SimTime start, SimTime end, int64_t sequences,
                   int64_t steps) override {
    log.push_back({phase, start.seconds(), end.seconds(), sequences, steps, replica});
  }
};

ServiceConfig Config(BatchingConfig::Mode mode, int64_t replicas = 1) {
  ServiceConfig c;
  c.name = "svc";
  c.classes = {{"chat", 1.0, std::nullopt, std::nullopt}};
  c.batching.mode = mode;
  c.replicas = replicas;
  return c;
}

std::unique_ptr<ListStream> Requests(std::vector<RequestSpec> list) {
  auto s = std::make_unique<ListStream>();
  s->list = std::move(list);
  return s;
}

TEST(ChunkedPrefillTest, ChunksFillTheBudgetAndDecodesShareIt) {
  // Budget 512 tokens per iteration; a = 1 ms, b = 1 us per prefill token, decodes free.
  // A: t = 0, prompt 1,000, 3 output tokens. B: t = 0 (queued behind A), prompt 536, 2 tokens.
  //  it 1 [0, 1.512 ms]:      A chunk 512 (1 ms + 512 us). Prefill only, 1 sequence.
  //  it 2 [1.512, 3.024]:     A's last 488 + B's first 24 = 512 tokens: A's first token at
  //                           3.024 ms (TTFT 3.024 ms); A joins the decodes.
  //  it 3 [3.024, 4.535]:     A decodes 1 token, which takes 1 of the budget: B gets 511
  //                           (1 ms + 511 us); B has 1 prompt token left.
  //  it 4 [4.535, 5.536]:     A decodes its 3rd token (done, E2E 5.536 ms); B's last token
  //                           (1 ms + 1 us): B's first token at 5.536 ms (TTFT 5.536 ms).
  //  it 5 [5.536, 6.536]:     B decodes alone (1 ms): done, E2E 6.536 ms.
  // Without the decode sharing the budget, B's 512 remaining tokens would all fit in it 3
  // and B's first token would come at 3.024 + 1.512 = 4.536 ms.
  for (bool exact : {false, true}) {
    Simulator sim;
    AffineTime model;
    auto cfg = Config(BatchingConfig::Mode::kChunked);
    cfg.batching.max_batched_tokens = 512;
    cfg.exact_steps = exact;
    ServiceSim svc(sim, cfg, {&model, 100000}, Requests({{0.0, 1000, 3, -1}, {0.0, 536, 2, -1}}),
                   sim.rng());
    Recorder rec;
    svc.SetObserver(&rec);
    svc.Start();
    EXPECT_EQ(sim.Run().status, RunResult::Status::kFinished);
    const auto& m = svc.metrics();
    ASSERT_EQ(m.completed, 2u) << "exact " << exact;
    EXPECT_NEAR(m.overall.ttft_s.min(), 0.003024, 1e-8) << "exact " << exact;  // A
    EXPECT_NEAR(m.overall.ttft_s.max(), 0.005536, 1e-8) << "exact " << exact;  // B
    EXPECT_NEAR(m.overall.e2e_s.min(), 0.005536, 1e-8);                        // A
    EXPECT_NEAR(m.overall.e2e_s.max(), 0.006536, 1e-8);                        // B
    // Five iterations, as listed above (the last a decode-only run of one step).
    EXPECT_EQ(m.iterations, 5u);
    using P = ServiceObserver::Phase;
    const std::vector<Iteration> want = {{P::kPrefill, 0, 0.001512, 1, 1, 0},
                                         {P::kPrefill, 0.001512, 0.003024, 2, 1, 0},
                                         {P::kMixed, 0.003024, 0.004535, 2, 1, 0},
                                         {P::kMixed, 0.004535, 0.005536, 2, 1, 0},
                                         {P::kDecode, 0.005536, 0.006536, 1, 1, 0}};
    ASSERT_EQ(rec.log.size(), want.size()) << "exact " << exact;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(rec.log[i].phase, want[i].phase) << "iteration " << i + 1;
      EXPECT_NEAR(rec.log[i].start_s, want[i].start_s, 1e-8) << "iteration " << i + 1;
      EXPECT_NEAR(rec.log[i].end_s, want[i].end_s, 1e-8) << "iteration " << i + 1;
      EXPECT_EQ(rec.log[i].seqs, want[i].seqs) << "iteration " << i + 1;
    }
    EXPECT_EQ(m.prompt_tokens, 1536u);  // 512 + 512 + 511 + 1
    EXPECT_EQ(m.output_tokens, 5u);
  }
}

TEST(MaxWaitingTest, AFullQueueRejectsTheNextArrival) {
  // One replica, max_batch 1, max_waiting 2; a = 1 ms, b = 1 us per prompt token; prompts of
  // 100 tokens, 100 output tokens: a request takes 1.1 ms of prefill + 99 decode steps of
  // 1 ms = 100.1 ms.
  //   A at 0: runs [0, 100.1 ms].  B at 1 ms, C at 2 ms: queued (the batch is full).
  //   D at 3 ms: the queue holds 2 = max_waiting requests: rejected.
  //   B runs [100.1, 200.2], C [200.2, 300.3]. E at 150 ms finds only C waiting: queued,
  //   runs [300.3, 400.4].
  Simulator sim;
  AffineTime model;
  auto cfg = Config(BatchingConfig::Mode::kContinuous);
  cfg.batching.max_batch = 1;
  cfg.batching.max_waiting = 2;
  ServiceSim svc(sim, cfg, {&model, 100000},
                 Requests({{0.0, 100, 100, -1},
                           {0.001, 100, 100, -1},
                           {0.002, 100, 100, -1},
                           {0.003, 100, 100, -1},
                           {0.150, 100, 100, -1}}),
                 sim.rng());
  svc.Start();
  sim.Run(SimTime::Zero() + Duration::FromSeconds(0.050));
  {
    // At 50 ms: 4 arrived, D rejected, A running, B and C waiting; arrived = completed +
    // rejected + in flight = 0 + 1 + 3.
    const auto& m = svc.metrics();
    EXPECT_EQ(m.arrived, 4u);
    EXPECT_EQ(m.rejected, 1u);
    EXPECT_EQ(m.completed, 0u);
    EXPECT_EQ(m.in_flight, 3u);
    EXPECT_EQ(svc.Waiting(), 2);
    EXPECT_EQ(svc.Running(), 1);
    EXPECT_TRUE(m.Balanced());
  }
  EXPECT_EQ(sim.Run().status, RunResult::Status::kFinished);
  const auto& m = svc.metrics();
  // E was accepted (1 waiting < 2): 5 arrived = 4 completed + 1 rejected + 0 in flight.
  EXPECT_EQ(m.arrived, 5u);
  EXPECT_EQ(m.completed, 4u);
  EXPECT_EQ(m.rejected, 1u);
  EXPECT_EQ(m.in_flight, 0u);
  EXPECT_TRUE(m.Balanced());
  // End to end: A 100.1 ms, B 200.2 - 1 = 199.2, C 300.3 - 2 = 298.3 (the longest), E
  // 400.4 - 150 = 250.4. C also waited longest for its first token: 200.2 + 1.1 - 2 = 199.3.
  EXPECT_NEAR(m.overall.e2e_s.min(), 0.1001, 1e-8);
  EXPECT_NEAR(m.overall.e2e_s.max(), 0.2983, 1e-8);
  EXPECT_NEAR(m.overall.ttft_s.max(), 0.1993, 1e-8);
}

TEST(KvAwareRoutingTest, TheNextRequestGoesToTheReplicaWithMoreFreeKv) {
  // Two replicas of 10,000 KV tokens, 16-token blocks; a = 1 ms, b = 1 us per prompt token,
  // decode steps 1 ms. Free KV = 10,000 - context sum - steps done x running - 16 x running.
  //  A at 0: prompt 3,000 (both replicas free: ties go to replica 0). Prefill [0, 4 ms],
  //    context 3,001, then a decode step ends every 1 ms (5, 6, ... ms).
  //  B at 10.5 ms, prompt 1,000: replica 0 has 6 steps done, free 10,000 - 3,001 - 6 - 16 =
  //    6,977 < 10,000 of replica 1: B goes to replica 1. Prefill [10.5, 12.5 ms], context
  //    1,001, steps end at 13.5, 14.5, ... ms.
  //  At 20.7 ms: replica 0 has 16 steps done (5 .. 20 ms): free 10,000 - 3,001 - 16 - 16 =
  //    6,967; replica 1 has 8 (13.5 .. 20.5 ms): free 10,000 - 1,001 - 8 - 16 = 8,975.
  //  C at 20.7 ms, prompt 100: kv_aware sends it to replica 1 (8,975 > 6,967), although both
  //    hold one request (least_outstanding breaks that tie to replica 0).
  for (const char* router : {"kv_aware", "least_outstanding"}) {
    for (bool exact : {false, true}) {
      Simulator sim;
      AffineTime model;
      auto cfg = Config(BatchingConfig::Mode::kContinuous, 2);
      cfg.router = router;
      cfg.exact_steps = exact;
      ServiceSim svc(
          sim, cfg, {&model, 10000},
          Requests({{0.0, 3000, 1000, -1}, {0.0105, 1000, 1000, -1}, {0.0207, 100, 1000, -1}}),
          sim.rng());
      svc.Start();
      const std::string what = std::string(router) + (exact ? " exact" : " fast");
      sim.Run(SimTime::Zero() + Duration::FromSeconds(0.0206));
      const auto before = svc.Loads();
      ASSERT_EQ(before.size(), 2u);
      EXPECT_EQ(before[0].running, 1) << what;
      EXPECT_EQ(before[1].running, 1) << what;
      EXPECT_EQ(before[0].kv_free_tokens, 10000 - 3001 - 16 - 16) << what;
      EXPECT_EQ(before[1].kv_free_tokens, 10000 - 1001 - 8 - 16) << what;
      // Past C's arrival and its 1.1 ms prefill (20.7 - 21.8 ms).
      sim.Run(SimTime::Zero() + Duration::FromSeconds(0.025));
      const auto after = svc.Loads();
      const bool kv = std::string(router) == "kv_aware";
      EXPECT_EQ(after[0].running, kv ? 1 : 2) << what;
      EXPECT_EQ(after[1].running, kv ? 2 : 1) << what;
      EXPECT_EQ(svc.metrics().rejected, 0u);
    }
  }
}

}  // namespace
}  // namespace fleetsim
