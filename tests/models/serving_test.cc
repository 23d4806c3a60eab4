#include "models/serving/service_sim.h"
#include "tests/models/serving_doubles.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fleetsim {
namespace {

using test::AffineTime;
using test::ListStream;

// Poisson arrivals with random lengths, from the kernel's RNG (deterministic).
struct RandomStream final : RequestStream {
  Rng rng{7};
  double t = 0, rate, horizon;
  RandomStream(double rate_per_s, double horizon_s) : rate(rate_per_s), horizon(horizon_s) {}
  std::optional<RequestSpec> Next() override {
    t += rng.Exponential(rate);
    if (t >= horizon) return std::nullopt;
    RequestSpec r;
    r.arrival_s = t;
    r.prompt_tokens = 16 + static_cast<int64_t>(rng.UniformInt(1000));
    r.output_tokens = 1 + static_cast<int64_t>(rng.UniformInt(300));
    return r;
  }
};

ServiceConfig Config(BatchingConfig::Mode mode, int64_t replicas = 1) {
  ServiceConfig c;
  c.name = "svc";
  c.classes = {{"chat", 1.0, 0.5, 0.05}};
  c.batching.mode = mode;
  c.replicas = replicas;
  return c;
}

TEST(ServingTest, OneRequestByHand) {
  // Prompt 1,000 tokens, 11 output tokens, a = 1 ms, b = 1 us/token, decode steps 1 ms.
  // Prefill: 1 ms + 1,000 us = 2 ms -> first token at 2 ms after arrival (t = 1 s).
  // 10 more tokens at 1 ms each: done at 1.012 s. TTFT 2 ms, E2E 12 ms, TPOT 10 ms / 10 = 1 ms.
  Simulator sim;
  AffineTime model;
  auto stream = std::make_unique<ListStream>();
  stream->list = {{1.0, 1000, 11, -1}};
  ServiceSim svc(sim, Config(BatchingConfig::Mode::kContinuous), {&model, 100000},
                 std::move(stream), sim.rng());
  svc.Start();
  EXPECT_EQ(sim.Run().status, RunResult::Status::kFinished);
  const auto& m = svc.metrics();
  ASSERT_EQ(m.completed, 1u);
  EXPECT_NEAR(m.overall.ttft_s.max(), 0.002, 1e-9);
  EXPECT_NEAR(m.overall.e2e_s.max(), 0.012, 1e-9);
  EXPECT_NEAR(m.overall.tpot_s.max(), 0.001, 1e-9);
  EXPECT_EQ(m.iterations, 11u);      // 1 prefill + 10 decode steps
  EXPECT_EQ(m.overall.slo_met, 1u);  // 2 ms <= 500 ms and 1 ms <= 50 ms
}

TEST(ServingTest, ContinuousBatchingLetsANewRequestJoinAtTheNextIteration) {
  // A: arrives at 0, prompt 1,000, 101 tokens: prefill 0-2 ms, decodes from 2 ms, 1 ms each.
  // B: arrives at 10.5 ms, prompt 1,000, 2 tokens. A's decode step in progress (10-11 ms)
  // ends at 11 ms; B's prefill runs 11-13 ms: TTFT = 13 - 10.5 = 2.5 ms. B then decodes
  // with A at 13-14 ms: E2E = 3.5 ms. A lost 2 ms to B's prefill: done at 2 + 100 + 2 ms.
  for (bool exact : {false, true}) {
    Simulator sim;
    AffineTime model;
    auto stream = std::make_unique<ListStream>();
    stream->list = {{0.0, 1000, 101, -1}, {0.0105, 1000, 2, -1}};
    auto cfg = Config(BatchingConfig::Mode::kContinuous);
    cfg.exact_steps = exact;
    ServiceSim svc(sim, cfg, {&model, 100000}, std::move(stream), sim.rng());
    svc.Start();
    sim.Run();
    const auto& m = svc.metrics();
    ASSERT_EQ(m.completed, 2u);
    // A's TTFT is its 2 ms prefill; B's is the larger.
    EXPECT_NEAR(m.overall.ttft_s.max(), 0.0025, 1e-9) << "exact " << exact;
    EXPECT_NEAR(m.overall.e2e_s.min(), 0.0035, 1e-9);
    EXPECT_NEAR(m.overall.e2e_s.max(), 0.104, 1e-9);
  }
}

TEST(ServingTest, StaticBatchingMakesLateArrivalsWait) {
  // Same two requests, static batching: B waits until A's batch is done at 102 ms, then
  // prefill 102-104 ms (TTFT 93.5 ms) and one decode 104-105 ms (E2E 94.5 ms).
  Simulator sim;
  AffineTime model;
  auto stream = std::make_unique<ListStream>();
  stream->list = {{0.0, 1000, 101, -1}, {0.0105, 1000, 2, -1}};
  ServiceSim svc(sim, Config(BatchingConfig::Mode::kStatic), {&model, 100000}, std::move(stream),
                 sim.rng());
  svc.Start();
  sim.Run();
  const auto& m = svc.metrics();
  ASSERT_EQ(m.completed, 2u);
  EXPECT_NEAR(m.overall.ttft_s.max(), 0.0935, 1e-9);
  EXPECT_NEAR(m.overall.e2e_s.min(), 0.0945, 1e-9);
}

// The fast-forward and the exact per-iteration modes must agree on every metric (the
// requirement is 0.1 %; by construction they are identical), with and without KV pressure:
// 32 sequences of up to 1,015 + 300 tokens (+ a 16-token block each) need up to ~42,600
// tokens of KV, so a 60,000-token cache never preempts and a 12,000-token one preempts often.
struct FastVsExactCase {
  BatchingConfig::Mode mode;
  int64_t kv_tokens;
  BatchingConfig::Preemption preemption = BatchingConfig::Preemption::kRecompute;
};
class FastVsExactTest : public ::testing::TestWithParam<FastVsExactCase> {};

TEST_P(FastVsExactTest, SameMetrics) {
  ServiceMetrics results[2];
  uint64_t events[2];
  for (int exact = 0; exact < 2; ++exact) {
    Simulator sim(3);
    AffineTime model;
    model.a = 8e-3;
    model.b = 2e-7;
    model.c = 1e-5;
    model.d = 2e-8;
    auto cfg = Config(GetParam().mode, 4);
    cfg.exact_steps = exact;
    cfg.batching.max_batch = 32;
    cfg.batching.preemption = GetParam().preemption;
    ReplicaPerformance perf{&model, GetParam().kv_tokens};
    perf.swap_seconds_per_token = 1e-6;
    ServiceSim svc(sim, cfg, perf, std::make_unique<RandomStream>(40, 300), sim.rng());
    svc.Start();
    sim.Run();
    results[exact] = svc.metrics();
    events[exact] = sim.events_processed();
  }
  const auto& f = results[0];
  const auto& e = results[1];
  EXPECT_GT(f.completed, 10000u);
  if (GetParam().kv_tokens < 42600) {
    // The pressured case must exercise preemption where the engine admits while others
    // decode (continuous: ~100 here, chunked: ~50); a static batch admits once per batch.
    if (GetParam().mode != BatchingConfig::Mode::kStatic) EXPECT_GT(f.preemptions, 20u);
  } else {
    EXPECT_EQ(f.preemptions, 0u);
  }
  EXPECT_EQ(f.completed, e.completed);
  EXPECT_EQ(f.rejected, e.rejected);
  EXPECT_EQ(f.preemptions, e.preemptions);
  EXPECT_EQ(f.swapped_tokens, e.swapped_tokens);
  EXPECT_EQ(f.iterations, e.iterations);
  for (const auto* s : {&f.overall, &f.by_class[0]}) {
    const auto& t = s == &f.overall ? e.overall : e.by_class[0];
    EXPECT_EQ(s->completed, t.completed);
    EXPECT_EQ(s->slo_met, t.slo_met);
    for (double q : {0.5, 0.9, 0.99}) {
      EXPECT_DOUBLE_EQ(s->ttft_s.Quantile(q), t.ttft_s.Quantile(q));
      EXPECT_DOUBLE_EQ(s->tpot_s.Quantile(q), t.tpot_s.Quantile(q));
      EXPECT_DOUBLE_EQ(s->e2e_s.Quantile(q), t.e2e_s.Quantile(q));
    }
    EXPECT_DOUBLE_EQ(s->ttft_s.mean(), t.ttft_s.mean());
    EXPECT_DOUBLE_EQ(s->e2e_s.mean(), t.e2e_s.mean());
  }
  EXPECT_EQ(f.replica_busy_ns, e.replica_busy_ns);
  // And the fast mode needs fewer events.
  EXPECT_LT(events[0], events[1]);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, FastVsExactTest,
    ::testing::Values(FastVsExactCase{BatchingConfig::Mode::kContinuous, 60000},
                      FastVsExactCase{BatchingConfig::Mode::kStatic, 60000},
                      FastVsExactCase{BatchingConfig::Mode::kChunked, 60000},
                      FastVsExactCase{BatchingConfig::Mode::kContinuous, 12000},
                      FastVsExactCase{BatchingConfig::Mode::kStatic, 12000},
                      FastVsExactCase{BatchingConfig::Mode::kChunked, 12000},
                      FastVsExactCase{BatchingConfig::Mode::kContinuous, 12000,
                                      BatchingConfig::Preemption::kSwap},
                      FastVsExactCase{BatchingConfig::Mode::kChunked, 12000,
                                      BatchingConfig::Preemption::kSwap}));

TEST(ServingTest, LeastOutstandingCountsPromptsInTheirPrefill) {
  // Two replicas, two 1,000-token prompts at t = 0, one output token each. The first goes to
  // replica 0 and starts its prefill at once (1 ms + 1,000 x 1 us = 2 ms). A prompt in its
  // prefill counts as running, so the second sees replica 0 at 1 and replica 1 at 0 and goes
  // to replica 1, where it prefills at once too: both TTFTs are 2 ms. (Counting only queued and
  // decoding requests, both would go to replica 0 and the second would wait: TTFT 4 ms.)
  for (auto mode : {BatchingConfig::Mode::kContinuous, BatchingConfig::Mode::kStatic}) {
    Simulator sim;
    AffineTime model;
    auto cfg = Config(mode, 2);
    cfg.router = "least_outstanding";
    auto stream = std::make_unique<ListStream>();
    stream->list = {{0.0, 1000, 1, -1}, {0.0, 1000, 1, -1}};
    ServiceSim svc(sim, cfg, {&model, 50000}, std::move(stream), sim.rng());
    svc.Start();
    sim.Run();
    const auto& m = svc.metrics();
    ASSERT_EQ(m.completed, 2u);
    EXPECT_NEAR(m.overall.ttft_s.max(), 0.002, 1e-9);
    EXPECT_NEAR(m.overall.ttft_s.min(), 0.002, 1e-9);
  }
}

TEST(ServingTest, EveryRequestIsAccountedForWhenTheRunStopsMidway) {
  Simulator sim;
  AffineTime model;
  ServiceSim svc(sim, Config(BatchingConfig::Mode::kContinuous, 2), {&model, 50000},
                 std::make_unique<RandomStream>(200, 100), sim.rng());
  svc.Start();
  sim.Run(SimTime::Zero() + Duration::Seconds(30));
  const auto& m = svc.metrics();
  // arrived = completed + rejected + in flight, with requests still in flight at 30 s.
  EXPECT_GT(m.in_flight, 0u);
  EXPECT_TRUE(m.Balanced()) << m.arrived << " " << m.completed << " " << m.rejected << " "
                            << m.in_flight;
  sim.Run();
  EXPECT_EQ(svc.metrics().in_flight, 0u);
  EXPECT_TRUE(svc.metrics().Balanced());
}

TEST(ServingTest, KvPressurePreemptsAndEverythingStillCompletes) {
  // KV of 4,000 tokens: at most ~3 requests of 1,000-token prompts fit, and their growth
  // forces preemptions; every request must still finish.
  Simulator sim;
  AffineTime model;
  auto stream = std::make_unique<ListStream>();
  for (int i = 0; i < 8; ++i) stream->list.push_back({0.001 * i, 1000, 400, -1});
  ServiceSim svc(sim, Config(BatchingConfig::Mode::kContinuous), {&model, 4000}, std::move(stream),
                 sim.rng());
  svc.Start();
  EXPECT_EQ(sim.Run().status, RunResult::Status::kFinished);
  EXPECT_EQ(svc.metrics().completed, 8u);
  EXPECT_GT(svc.metrics().preemptions, 0u);
}

TEST(ServingTest, PromptsLargerThanTheKvCacheAreRejected) {
  Simulator sim;
  AffineTime model;
  auto stream = std::make_unique<ListStream>();
  stream->list = {{0.0, 5000, 10, -1}, {0.0, 100, 10, -1}};
  ServiceSim svc(sim, Config(BatchingConfig::Mode::kContinuous), {&model, 4096}, std::move(stream),
                 sim.rng());
  svc.Start();
  sim.Run();
  // 5,000 + 1 + 16 > 4,096: rejected at arrival; the other completes.
  EXPECT_EQ(svc.metrics().rejected, 1u);
  EXPECT_EQ(svc.metrics().completed, 1u);
  EXPECT_TRUE(svc.metrics().Balanced());
}

TEST(ServingTest, SaturatedThroughputIsBatchOverStepTime) {
  // 1 replica, max batch 8, prompts of 1 token and 1,000 output tokens, all at t = 0:
  // decode steps of a + c * 8 = 1 ms + 8 * 0.125 ms = 2 ms for 8 tokens: ~4,000 tokens/s.
  Simulator sim;
  AffineTime model;
  model.b = 0;
  model.c = 1.25e-4;
  auto stream = std::make_unique<ListStream>();
  for (int i = 0; i < 8; ++i) stream->list.push_back({0.0, 1, 1000, -1});
  auto cfg = Config(BatchingConfig::Mode::kContinuous);
  cfg.batching.max_batch = 8;
  ServiceSim svc(sim, cfg, {&model, 1 << 20}, std::move(stream), sim.rng());
  svc.Start();
  sim.Run();
  // Same-time arrivals reach the idle replica one by one: the first starts a 1 ms prefill
  // alone, the other 7 prefill together from 1 to 2 ms. Then every sequence has 999 tokens
  // left: 999 steps of 2 ms, all done at 2 + 1,998 ms = 2.000 s.
  EXPECT_NEAR(svc.metrics().overall.e2e_s.max(), 0.002 + 999 * 0.002, 1e-9);
  // Steady state: 8 tokens per 2 ms step = 4,000 tokens/s.
  EXPECT_EQ(svc.metrics().output_tokens, 8000u);
}

TEST(ServingTest, RoutersSpreadLoad) {
  std::vector<ReplicaLoad> loads = {{3, 1, 100}, {0, 0, 50}, {1, 5, 500}};
  uint64_t counter = 0;
  EXPECT_EQ(Routers().Find("least_outstanding").factory(loads, counter), 1u);  // 0 + 0
  EXPECT_EQ(Routers().Find("shortest_queue").factory(loads, counter), 1u);
  EXPECT_EQ(Routers().Find("kv_aware").factory(loads, counter), 2u);  // 500 free
  EXPECT_EQ(Routers().Find("round_robin").factory(loads, counter), 0u);
  EXPECT_EQ(Routers().Find("round_robin").factory(loads, counter), 1u);
  EXPECT_THROW(Routers().Find("least_outstandnig"), InputError);
}

}  // namespace
}  // namespace fleetsim
