// Autoscaling: the policies' arithmetic, cooldowns, and replicas joining and draining in
// the serving simulation (models/serving/autoscaler.h, service_sim.h).
#include <gtest/gtest.h>

#include <memory>

#include "models/serving/autoscaler.h"
#include "models/serving/service_sim.h"
#include "tests/models/serving_doubles.h"

namespace fleetsim {
namespace {

AutoscaleObservation Obs(int64_t ready, int64_t starting, double busy) {
  AutoscaleObservation o;
  o.ready = ready;
  o.starting = starting;
  o.busy_fraction = busy;
  return o;
}

TEST(AutoscalePolicyTest, UtilisationFollowsTheHpaRuleWithItsTolerance) {
  const auto f = AutoscalePolicies().Find("utilisation").factory;
  AutoscaleParams p;
  p.target = 0.6;
  // 4 ready at 90 % busy, target 60 %: ratio 1.5 -> ceil(4 x 1.5) = 6.
  EXPECT_EQ(f(Obs(4, 0, 0.9), p), 6);
  // 4 ready at 63 % busy: ratio 1.05, inside the 10 % tolerance -> stays 4.
  EXPECT_EQ(f(Obs(4, 0, 0.63), p), 4);
  // 4 ready at 30 %: ratio 0.5 -> ceil(2) = 2, plus 1 starting = 3.
  EXPECT_EQ(f(Obs(4, 1, 0.3), p), 3);
}

TEST(AutoscalePolicyTest, QueueLengthDividesOutstandingRequestsByTheTarget) {
  const auto f = AutoscalePolicies().Find("queue_length").factory;
  AutoscaleParams p;
  p.target = 32;
  AutoscaleObservation o = Obs(2, 0, 1.0);
  o.waiting = 40;
  o.running = 60;
  // (40 + 60) / 32 = 3.125 -> 4 replicas.
  EXPECT_EQ(f(o, p), 4);
  o.waiting = 0;
  o.running = 64;
  // 64 / 32 = 2 exactly -> 2 (no rounding up of an exact quotient).
  EXPECT_EQ(f(o, p), 2);
}

TEST(AutoscalePolicyTest, SloAttainmentStepsOneReplicaAtATime) {
  const auto f = AutoscalePolicies().Find("slo_attainment").factory;
  AutoscaleParams p;
  p.target = 0.95;
  p.scale_down_utilisation = 0.5;
  AutoscaleObservation o = Obs(3, 0, 0.9);
  o.completed = 100;
  o.slo_met = 90;  // 90 % < 95 %: one more
  EXPECT_EQ(f(o, p), 4);
  o.starting = 1;  // already getting one: wait for it
  EXPECT_EQ(f(o, p), 4);
  o = Obs(3, 0, 0.3);
  o.completed = 100;
  o.slo_met = 99;
  // Met; 3 x 30 % busy on 2 replicas would be 45 % < 50 %: one fewer.
  EXPECT_EQ(f(o, p), 2);
  o.busy_fraction = 0.4;  // 3 x 40 % / 2 = 60 % >= 50 %: keep 3
  EXPECT_EQ(f(o, p), 3);
}

TEST(AutoscalerTest, ClampsToMinMaxAndUsesStabilisationWindows) {
  AutoscaleConfig c;
  c.min_replicas = 2;
  c.max_replicas = 5;
  c.policy = "utilisation";
  c.params.target = 0.5;
  c.scale_up_cooldown = Duration::Seconds(60);
  c.scale_down_cooldown = Duration::Seconds(300);
  Autoscaler a(c);
  const SimTime t0 = SimTime::Zero() + Duration::Seconds(100);
  // t0: 3 ready at 100 % with target 50 % recommend 6, clamped to 5. The up-window (60 s)
  // holds only this recommendation: +2.
  EXPECT_EQ(a.Decide(Obs(3, 0, 1.0), t0), 2);
  // t0 + 100 s: 5 ready at 10 % recommend ceil(1) -> min 2; the down-window (300 s) still
  // holds t0's 5: no change.
  EXPECT_EQ(a.Decide(Obs(5, 0, 0.1), t0 + Duration::Seconds(100)), 0);
  // t0 + 200 s: 5 ready at 40 % recommend 4 (ratio 0.8, outside the tolerance); the
  // window's largest is still t0's 5.
  EXPECT_EQ(a.Decide(Obs(5, 0, 0.4), t0 + Duration::Seconds(200)), 0);
  // t0 + 301 s: t0's 5 left the window; the largest of {2 (t0+100), 4 (t0+200), 2 (now)}
  // is 4: -1, not straight down to 2.
  EXPECT_EQ(a.Decide(Obs(5, 0, 0.1), t0 + Duration::Seconds(301)), -1);
  // t0 + 310 s: 4 ready at 100 % recommend 8 -> 5; but the up-window (60 s) holds t0+301's
  // 2: the smallest is 2, no scale-up yet (a burst must last the window).
  EXPECT_EQ(a.Decide(Obs(4, 0, 1.0), t0 + Duration::Seconds(310)), 0);
  // t0 + 362 s: only recommendations of 5 in the up-window (t0+310 and now): +1.
  EXPECT_EQ(a.Decide(Obs(4, 0, 1.0), t0 + Duration::Seconds(362)), 1);
}

TEST(AutoscalerTest, RejectsBadConfigs) {
  AutoscaleConfig c;
  c.params.target = 0.5;
  c.min_replicas = 3;
  c.max_replicas = 2;
  EXPECT_THROW(Autoscaler{c}, std::invalid_argument);
  c.max_replicas = 3;
  c.policy = "utilization";
  EXPECT_THROW(Autoscaler{c}, std::invalid_argument);
}

// ---- replicas joining and leaving a running service

struct ConstantTime final : IterationTimeModel {
  double Seconds(const IterationShape&) const override { return 0.010; }  // 10 ms per iteration
};

using test::ListStream;

struct Recorder final : ServiceObserver {
  std::vector<size_t> stopped;
  std::vector<int64_t> busy;
  void OnIteration(size_t, Phase, SimTime, SimTime, int64_t, int64_t) override {}
  void OnBusyReplicas(int64_t b) override { busy.push_back(b); }
  void OnReplicaStopped(size_t r) override { stopped.push_back(r); }
};

ServiceConfig TwoReplicas() {
  ServiceConfig c;
  c.name = "svc";
  c.classes = {{"chat", 1.0, std::nullopt, std::nullopt}};
  c.router = "round_robin";
  c.replicas = 2;
  return c;
}

TEST(DynamicReplicasTest, ADrainedReplicaFinishesItsWorkGetsNoNewRequestsAndStops) {
  // Round robin over 2 replicas: request 0 (t = 0) -> replica 0, 10 output tokens: prefill
  // 0-10 ms, 9 decode steps of 10 ms -> done at 100 ms. At 50 ms replica 0 is drained: it
  // keeps request 0 and stops at 100 ms. Requests 1..3 at 60, 70, 80 ms all go to replica 1
  // (the only active one), each 1 token: a prefill of 10 ms each, back to back.
  Simulator sim;
  ConstantTime model;
  auto stream = std::make_unique<ListStream>();
  stream->list = {
      {0.0, 100, 10, -1}, {0.060, 100, 1, -1}, {0.070, 100, 1, -1}, {0.080, 100, 1, -1}};
  ServiceSim svc(sim, TwoReplicas(), {&model, 100000}, std::move(stream), sim.rng());
  Recorder rec;
  svc.SetObserver(&rec);
  svc.Start();
  sim.At(SimTime::Zero() + Duration::Milliseconds(50), [&] {
    EXPECT_EQ(svc.LeastLoadedActive(), 1u);  // replica 1 holds nothing
    svc.DrainReplica(0);
    EXPECT_EQ(svc.ActiveReplicas(), 1);
    EXPECT_EQ(svc.LiveReplicas(), 2);
    EXPECT_TRUE(rec.stopped.empty());                     // still busy with request 0
    EXPECT_THROW(svc.DrainReplica(0), std::logic_error);  // not active any more
  });
  sim.Run();
  const auto& m = svc.metrics();
  EXPECT_EQ(m.completed, 4u);
  EXPECT_TRUE(m.Balanced());
  ASSERT_EQ(rec.stopped.size(), 1u);
  EXPECT_EQ(rec.stopped[0], 0u);
  EXPECT_EQ(svc.LiveReplicas(), 1);
  // Request 0's E2E: 10 iterations of 10 ms = 100 ms (unaffected by the drain).
  EXPECT_NEAR(m.overall.e2e_s.max(), 0.100, 1e-9);
  // Requests 1..3 arrive every 10 ms and each needs one 10 ms prefill on replica 1: no
  // queueing, TTFT 10 ms each.
  EXPECT_NEAR(m.overall.ttft_s.min(), 0.010, 1e-9);
  // A new replica reuses the stopped slot 0.
  EXPECT_EQ(svc.AddReplica(), 0u);
  EXPECT_EQ(svc.ActiveReplicas(), 2);
}

TEST(DynamicReplicasTest, AnAddedReplicaTakesNewRequestsAndBusyCountsAreReported) {
  // One replica; at 5 ms a second joins. Round robin: request 0 (t = 0) -> replica 0;
  // request 1 (t = 20 ms) -> the counter's next replica, replica 1 (active order 0, 1).
  // Each has 1 output token: one 10 ms prefill each, on different replicas.
  Simulator sim;
  ConstantTime model;
  auto stream = std::make_unique<ListStream>();
  stream->list = {{0.0, 100, 1, -1}, {0.020, 100, 1, -1}};
  auto cfg = TwoReplicas();
  cfg.replicas = 1;
  ServiceSim svc(sim, cfg, {&model, 100000}, std::move(stream), sim.rng());
  Recorder rec;
  svc.SetObserver(&rec);
  svc.Start();
  sim.At(SimTime::Zero() + Duration::Milliseconds(5), [&] { EXPECT_EQ(svc.AddReplica(), 1u); });
  sim.Run();
  EXPECT_EQ(svc.metrics().completed, 2u);
  // Busy count: up at 0 (replica 0), down at 10 ms, up at 20 ms (replica 1), down at 30 ms.
  EXPECT_EQ(rec.busy, (std::vector<int64_t>{1, 0, 1, 0}));
  // Each replica ran exactly one iteration: 2 x 10 ms of busy time.
  EXPECT_EQ(svc.metrics().replica_busy_ns, 20'000'000);
}

TEST(DynamicReplicasTest, WithoutReplicasRequestsWaitAndGoToTheFirstReplicaAdded) {
  // No replica at first. Requests at 0 and 10 ms (1 token each) wait; at 50 ms a replica is
  // added and takes both. Both 100-token prompts fit one prefill iteration (10 ms here), so
  // both finish at 60 ms: TTFT 60 ms and 50 ms.
  Simulator sim;
  ConstantTime model;
  auto stream = std::make_unique<ListStream>();
  stream->list = {{0.0, 100, 1, -1}, {0.010, 100, 1, -1}};
  auto cfg = TwoReplicas();
  cfg.replicas = 0;
  ServiceSim svc(sim, cfg, {&model, 100000}, std::move(stream), sim.rng());
  svc.Start();
  sim.At(SimTime::Zero() + Duration::Milliseconds(20), [&] {
    EXPECT_EQ(svc.Waiting(), 2);  // both held, counted as waiting
    EXPECT_EQ(svc.metrics().in_flight, 2u);
  });
  sim.At(SimTime::Zero() + Duration::Milliseconds(50), [&] { svc.AddReplica(); });
  sim.Run();
  const auto& m = svc.metrics();
  EXPECT_EQ(m.completed, 2u);
  EXPECT_TRUE(m.Balanced());
  EXPECT_NEAR(m.overall.ttft_s.max(), 0.060, 1e-9);
  EXPECT_NEAR(m.overall.ttft_s.min(), 0.050, 1e-9);
}

TEST(PriorityTest, HigherPriorityRequestsAreAdmittedFirstAndPreemptedLast) {
  // One replica taking one sequence at a time (max_batch 1), 10 ms per iteration. A (low,
  // t = 0, 2 tokens) runs 0-20 ms. B (low, t = 1 ms) and C (high, t = 2 ms, 1 token each)
  // wait; at 20 ms C goes first (20-30 ms: TTFT 28 ms), then B (30-40 ms: TTFT 39 ms).
  // Without priorities B would go first (TTFT 29 ms) and C second (38 ms).
  for (int32_t high : {1, 0}) {
    Simulator sim;
    ConstantTime model;
    auto stream = std::make_unique<ListStream>();
    stream->list = {{0.0, 100, 2, 0}, {0.001, 100, 1, 0}, {0.002, 100, 1, 1}};
    ServiceConfig cfg = TwoReplicas();
    cfg.replicas = 1;
    cfg.batching.max_batch = 1;
    cfg.classes = {{"low", 1.0, std::nullopt, std::nullopt, 0},
                   {"high", 1.0, std::nullopt, std::nullopt, high}};
    ServiceSim svc(sim, cfg, {&model, 100000}, std::move(stream), sim.rng());
    svc.Start();
    sim.Run();
    const auto& m = svc.metrics();
    ASSERT_EQ(m.completed, 3u);
    EXPECT_NEAR(m.by_class[1].ttft_s.max(), high ? 0.028 : 0.038, 1e-9) << high;
    EXPECT_NEAR(m.by_class[0].ttft_s.max(), high ? 0.039 : 0.029, 1e-9) << high;
  }
}

TEST(SwapPreemptionTest, ASwappedSequenceResumesWithoutRecomputingItsTokens) {
  // KV of 100 tokens, blocks of 1 token, 10 ms per iteration whatever its shape, and 1 ms per
  // token to copy KV to or from host memory. A and B (prompt 40, 30 output tokens) arrive at
  // 0 as two events: A prefills 0-10 ms, B 10-20 ms (1 token each, 41 KV tokens each). The
  // decode steps then have (100 - 2 - 82) / 2 = 8 steps of room: after 8 steps (100 ms) B,
  // the newest, is preempted with 49 KV tokens (40 + 9 generated).
  //   recompute: A decodes its 21 remaining tokens alone (100-310 ms); B re-prefills its 49
  //     tokens (310-320 ms, producing its 10th token) and decodes 20 more: done at 520 ms.
  //   swap: the 49 tokens go to host memory (49 ms, paid by A's next step: 100-159 ms), A's
  //     other 20 steps end at 359 ms; B's KV comes back (359-408 ms, no new token), then its
  //     21 remaining steps: done at 618 ms. 49 tokens swapped.
  for (bool swap : {false, true}) {
    Simulator sim;
    ConstantTime model;
    auto stream = std::make_unique<ListStream>();
    stream->list = {{0.0, 40, 30, -1}, {0.0, 40, 30, -1}};
    ServiceConfig cfg = TwoReplicas();
    cfg.replicas = 1;
    cfg.batching.kv_block_tokens = 1;
    if (swap) cfg.batching.preemption = BatchingConfig::Preemption::kSwap;
    ServiceSim svc(sim, cfg, {&model, 100, 0.001}, std::move(stream), sim.rng());
    svc.Start();
    sim.Run();
    const auto& m = svc.metrics();
    ASSERT_EQ(m.completed, 2u) << swap;
    EXPECT_EQ(m.preemptions, 1u) << swap;
    EXPECT_EQ(m.swapped_tokens, swap ? 49u : 0u);
    EXPECT_NEAR(m.overall.e2e_s.min(), swap ? 0.359 : 0.310, 1e-9) << swap;
    EXPECT_NEAR(m.overall.e2e_s.max(), swap ? 0.618 : 0.520, 1e-9) << swap;
  }
}

TEST(DynamicReplicasTest, AKilledReplicasRequestsKeepTheirTokensAndMoveToAnotherReplica) {
  // Request 0 (t = 0, 10 output tokens) goes to replica 0: prefill 0-10 ms gives token 1,
  // decode steps of 10 ms give tokens 2, 3, 4 at 20, 30, 40 ms. Replica 0 is killed at 45 ms
  // (its spot instance is reclaimed): the step 40-50 ms is lost, 4 tokens are kept. Request 0
  // goes to replica 1 (idle): it prefills its prompt plus its 4 tokens, 45-55 ms, which gives
  // token 5; tokens 6..10 take 5 steps, done at 105 ms. TTFT stays 10 ms (the first token
  // came from replica 0). Busy time: replica 0 ran 0-45 ms, replica 1 45-105 ms: 105 ms.
  // The same in exact-step mode (the fast-forward's run in progress at 45 ms began at 40 ms).
  for (bool exact : {false, true}) {
    Simulator sim;
    ConstantTime model;
    auto stream = std::make_unique<ListStream>();
    stream->list = {{0.0, 100, 10, -1}};
    auto cfg = TwoReplicas();
    cfg.exact_steps = exact;
    ServiceSim svc(sim, cfg, {&model, 100000}, std::move(stream), sim.rng());
    Recorder rec;
    svc.SetObserver(&rec);
    svc.Start();
    sim.At(SimTime::Zero() + Duration::Milliseconds(45), [&] {
      svc.KillReplica(0);
      EXPECT_EQ(svc.ActiveReplicas(), 1);
      EXPECT_EQ(svc.LiveReplicas(), 1);
      EXPECT_THROW(svc.KillReplica(0), std::logic_error);  // already gone
    });
    sim.Run();
    const auto& m = svc.metrics();
    EXPECT_EQ(m.completed, 1u) << "exact " << exact;
    EXPECT_EQ(m.rerouted, 1u);
    EXPECT_TRUE(m.Balanced());
    EXPECT_NEAR(m.overall.e2e_s.max(), 0.105, 1e-9) << "exact " << exact;
    EXPECT_NEAR(m.overall.ttft_s.max(), 0.010, 1e-9);
    EXPECT_EQ(m.replica_busy_ns, 105'000'000);
    EXPECT_TRUE(rec.stopped.empty());  // a killed replica is not reported as stopped
    EXPECT_EQ(rec.busy.back(), 0);
  }
}

TEST(DynamicReplicasTest, RequestsOfTheLastKilledReplicaWaitForTheNextOneInArrivalOrder) {
  // One replica; requests A (t = 0) and B (t = 5 ms), 3 output tokens each. A prefills 0-10
  // ms (token 1) while B waits; B prefills 10-20 ms (its token 1), then both decode 20-30 ms
  // (token 2 each). Killed at 35 ms: A and B keep 2 tokens
  // each and wait, unrouted, with C (t = 40 ms, 1 token). A new replica at 50 ms takes them
  // in arrival order: one prefill 50-60 ms of A, B (their 3rd, last token: both done at
  // 60 ms) and C (its only token, done at 60 ms). E2E: A 60 ms, B 55 ms, C 20 ms.
  Simulator sim;
  ConstantTime model;
  auto stream = std::make_unique<ListStream>();
  stream->list = {{0.0, 100, 3, -1}, {0.005, 100, 3, -1}, {0.040, 100, 1, -1}};
  auto cfg = TwoReplicas();
  cfg.replicas = 1;
  ServiceSim svc(sim, cfg, {&model, 100000}, std::move(stream), sim.rng());
  svc.Start();
  sim.At(SimTime::Zero() + Duration::Milliseconds(35), [&] { svc.KillReplica(0); });
  sim.At(SimTime::Zero() + Duration::Milliseconds(45), [&] {
    EXPECT_EQ(svc.Waiting(), 3);  // A, B and C, held for the next replica
  });
  sim.At(SimTime::Zero() + Duration::Milliseconds(50), [&] { svc.AddReplica(); });
  sim.Run();
  const auto& m = svc.metrics();
  EXPECT_EQ(m.completed, 3u);
  EXPECT_EQ(m.rerouted, 2u);
  EXPECT_TRUE(m.Balanced());
  EXPECT_NEAR(m.overall.e2e_s.max(), 0.060, 1e-9);
  EXPECT_NEAR(m.overall.e2e_s.min(), 0.020, 1e-9);
}

}  // namespace
}  // namespace fleetsim
