// Scheduling policies: each policy's defining behaviour on a small hand-made case, with the
// expected order or placement derived in a comment before the assertion.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "models/scheduling/cluster.h"
#include "models/scheduling/metrics.h"
#include "models/scheduling/policy.h"
#include "models/scheduling/scheduler_sim.h"
#include "sim/config/config.h"

namespace fleetsim {
namespace {

constexpr int64_t kGiB = int64_t{1} << 30;

ClusterSpec Pool(int32_t nodes, int32_t gpus_per_node, int32_t nodes_per_rack = 4,
                 int32_t racks_per_pod = 8) {
  ClusterSpec c;
  PoolSpec p;
  p.name = "p";
  p.device = "GPU";
  p.gpu_memory_bytes = 80 * kGiB;
  p.nodes = nodes;
  p.shape = {gpus_per_node, nodes_per_rack, racks_per_pod};
  c.pools.push_back(p);
  return c;
}

JobSpec J(const std::string& id, double arrival, int32_t gpus, double duration,
          double estimate = -1, int32_t priority = 0) {
  JobSpec j;
  j.id = id;
  j.arrival_s = arrival;
  j.gpus = gpus;
  j.duration_s = duration;
  j.estimate_s = estimate > 0 ? estimate : duration;
  j.priority = priority;
  return j;
}

// A policy from command-line syntax, with preemption costs (0 unless given).
PolicySpec Spec(const std::string& item, double checkpoint_s = 0, double restart_s = 0) {
  PolicySpec base;
  base.checkpoint_s = checkpoint_s;
  base.restart_s = restart_s;
  return ParsePolicyItem(item, base);
}

// A policy from a scheduler: YAML map (for parameters).
PolicySpec YamlSpec(const std::string& yaml) {
  static std::vector<std::shared_ptr<const ConfigDocument>> keep;
  keep.push_back(ConfigDocument::Parse(yaml, "scheduler.yaml"));
  PolicySpec base;
  base.checkpoint_s = 0;
  base.restart_s = 0;
  PolicySpec s = ReadPolicySpec(keep.back()->Root(), base);
  s.label = "yaml";
  return s;
}

struct Outcome {
  std::map<std::string, Job> jobs;
  RunMetrics metrics;
  double start(const std::string& id) const { return jobs.at(id).first_start_s; }
  double finish(const std::string& id) const { return jobs.at(id).finish_s; }
  std::vector<int32_t> gpus(const std::string& id) const {
    std::vector<int32_t> g;
    for (const auto& s : jobs.at(id).shards) g.push_back(s.gpu);
    return g;
  }
};

// Runs to the end; `snapshot_at` > 0 records the jobs as they stand at that time instead.
Outcome Simulate(const ClusterSpec& cluster, const PolicySpec& spec, std::vector<JobSpec> jobs,
                 JobSet set = {}, double snapshot_at = -1) {
  Simulator sim(1);
  SchedulingSim s(sim, cluster, set, BuildPolicy(spec),
                  std::make_unique<VectorJobSource>(std::move(jobs)));
  s.Start();
  const RunResult r =
      snapshot_at > 0 ? sim.Run(SimTime::FromNanoseconds(Duration::FromSeconds(snapshot_at).ns()))
                      : sim.Run();
  EXPECT_NE(r.status, RunResult::Status::kStalled) << r.stall_report;
  Outcome o;
  for (const Job& j : s.jobs()) o.jobs.emplace(j.spec.id, j);
  o.metrics = ComputeMetrics(s, "test");
  return o;
}

// ---- queue orders ----

// One GPU; A (100 s) at 0, B (50 s) at 1, C (10 s) at 2.
std::vector<JobSpec> ThreeOnOneGpu() {
  return {J("A", 0, 1, 100), J("B", 1, 1, 50), J("C", 2, 1, 10)};
}

TEST(QueueOrderTest, FifoRunsInArrivalOrder) {
  const Outcome o = Simulate(Pool(1, 1), Spec("fifo"), ThreeOnOneGpu());
  // A 0-100, B 100-150, C 150-160.
  EXPECT_DOUBLE_EQ(o.finish("A"), 100);
  EXPECT_DOUBLE_EQ(o.start("B"), 100);
  EXPECT_DOUBLE_EQ(o.finish("B"), 150);
  EXPECT_DOUBLE_EQ(o.finish("C"), 160);
  // JCTs 100, 149, 158: mean 135.67; queueing 0 + 99 + 148 = 247 / 3.
  EXPECT_NEAR(o.metrics.jct_mean_s, (100 + 149 + 158) / 3.0, 1e-9);
  EXPECT_NEAR(o.metrics.queue_mean_s, 247 / 3.0, 1e-9);
  EXPECT_DOUBLE_EQ(o.metrics.makespan_s, 160);
}

TEST(QueueOrderTest, ShortestJobFirstByEstimate) {
  const Outcome o = Simulate(Pool(1, 1), Spec("sjf"), ThreeOnOneGpu());
  // A runs alone first (0-100); then the shorter C (100-110) before B (110-160).
  EXPECT_DOUBLE_EQ(o.start("C"), 100);
  EXPECT_DOUBLE_EQ(o.start("B"), 110);
  EXPECT_DOUBLE_EQ(o.finish("B"), 160);
}

TEST(QueueOrderTest, SjfFollowsTheEstimateEvenWhenItIsWrong) {
  // B is really 50 s but its user says 5 s; C is 10 s, estimated 10 s: B goes first.
  auto jobs = ThreeOnOneGpu();
  jobs[1].estimate_s = 5;
  const Outcome o = Simulate(Pool(1, 1), Spec("sjf"), jobs);
  // A 0-100, B 100-150, C 150-160.
  EXPECT_DOUBLE_EQ(o.start("B"), 100);
  EXPECT_DOUBLE_EQ(o.start("C"), 150);
}

TEST(QueueOrderTest, PreemptiveSrtfEvictsTheLongerRemainingJob) {
  const Outcome o = Simulate(Pool(1, 1), Spec("srtf+rank"), ThreeOnOneGpu());
  // t=1: B (50) < A's remaining 99: A is evicted (no costs). t=2: C (10) < B's remaining 49:
  // B is evicted. C 2-12; then B (49 left) before A (99 left): B 12-61, A 61-160.
  EXPECT_DOUBLE_EQ(o.finish("C"), 12);
  EXPECT_DOUBLE_EQ(o.finish("B"), 61);
  EXPECT_DOUBLE_EQ(o.finish("A"), 160);
  EXPECT_EQ(o.jobs.at("A").preemptions, 1);
  EXPECT_EQ(o.jobs.at("B").preemptions, 1);
  EXPECT_EQ(o.metrics.preemptions, 2);
}

TEST(QueueOrderTest, PriorityClassesGoFirstWithoutPreemption) {
  std::vector<JobSpec> jobs = {J("A", 0, 1, 100), J("B", 1, 1, 10), J("C", 2, 1, 10, -1, 5)};
  const Outcome o = Simulate(Pool(1, 1), Spec("queue=priority"), jobs);
  // A keeps the GPU (0-100); C (priority 5) before B: C 100-110, B 110-120.
  EXPECT_DOUBLE_EQ(o.start("C"), 100);
  EXPECT_DOUBLE_EQ(o.start("B"), 110);
}

TEST(PreemptionTest, PriorityPreemptionPaysCheckpointAndRestart) {
  std::vector<JobSpec> jobs = {J("A", 0, 1, 100), J("B", 1, 1, 10), J("C", 2, 1, 10, -1, 5)};
  const Outcome o = Simulate(Pool(1, 1), Spec("queue=priority+preemption=priority", 5, 10), jobs);
  // t=2: C evicts A, which saves a checkpoint for 5 s holding the GPU (2-7); C starts at 7
  // (first start: no restart cost) and ends at 17. Then A (priority 0, arrived before B)
  // restarts: 10 s restoring (17-27), then its remaining 98 s: ends at 125. B 125-135.
  EXPECT_DOUBLE_EQ(o.start("C"), 7);
  EXPECT_DOUBLE_EQ(o.finish("C"), 17);
  EXPECT_DOUBLE_EQ(o.finish("A"), 125);
  EXPECT_DOUBLE_EQ(o.start("B"), 125);
  // A's GPU-seconds: 100 useful, 5 checkpoint + 10 restart overhead.
  EXPECT_NEAR(o.jobs.at("A").useful_gpu_s, 100, 1e-6);
  EXPECT_NEAR(o.jobs.at("A").overhead_gpu_s, 15, 1e-6);
  EXPECT_DOUBLE_EQ(o.jobs.at("A").work_done_s, 100);
  // C waited 5 s: the checkpoint.
  EXPECT_NEAR(o.jobs.at("C").waited_s, 5, 1e-9);
}

TEST(QueueOrderTest, TiresiasLasDemotesAtTheThreshold) {
  const PolicySpec spec =
      YamlSpec("queue: {name: las, thresholds: [\"10 s\"]}\npreemption: rank\n");
  const Outcome o = Simulate(Pool(1, 1), spec, {J("A", 0, 1, 100), J("B", 5, 1, 30)});
  // t=5: both in queue 0 (A has 5 GPU-s), FIFO: A keeps running. t=10: A passes 10 GPU-s and
  // drops to queue 1; B (queue 0) evicts it. t=20: B passes 10 GPU-s; both in queue 1, A
  // arrived first: A evicts B. A runs its remaining 90 s: 20-110; B its remaining 20: 110-130.
  EXPECT_DOUBLE_EQ(o.start("B"), 10);
  EXPECT_DOUBLE_EQ(o.finish("A"), 110);
  EXPECT_DOUBLE_EQ(o.finish("B"), 130);
  EXPECT_EQ(o.jobs.at("A").preemptions, 1);
  EXPECT_EQ(o.jobs.at("B").preemptions, 1);
  // Attained service is what LAS ranks by: all of each job's GPU time.
  EXPECT_NEAR(o.jobs.at("A").attained_gpu_s, 100, 1e-6);
}

// One node of 4 GPUs. A (3 GPUs, 100 s) at 0; B (4 GPUs, 50 s) at 1 is blocked; C (1 GPU)
// at 2 and D (1 GPU, estimate 200 s) at 3.
std::vector<JobSpec> EasyCase(double c_duration) {
  return {J("A", 0, 3, 100), J("B", 1, 4, 50), J("C", 2, 1, c_duration, 50), J("D", 3, 1, 200)};
}

TEST(BackfillTest, StrictFifoHoldsEveryoneBehindTheBlockedJob) {
  const Outcome o = Simulate(Pool(1, 4), Spec("fifo"), EasyCase(50));
  // Nothing passes B: B 100-150, then C and D together at 150.
  EXPECT_DOUBLE_EQ(o.start("B"), 100);
  EXPECT_DOUBLE_EQ(o.start("C"), 150);
  EXPECT_DOUBLE_EQ(o.start("D"), 150);
}

TEST(BackfillTest, EasyBackfillsOnlyJobsThatDoNotDelayTheReservation) {
  const Outcome o = Simulate(Pool(1, 4), Spec("easy_backfill"), EasyCase(50));
  // B's reservation: A ends (by estimate) at 100, then 4 GPUs are free: shadow 100, no
  // spare GPU. C (est. 2 + 50 = 52 <= 100) backfills at 2. D (ends 3 + 200 > 100) may not,
  // even after C frees its GPU at 52. B 100-150, D 150-350.
  EXPECT_DOUBLE_EQ(o.start("C"), 2);
  EXPECT_DOUBLE_EQ(o.start("B"), 100);
  EXPECT_DOUBLE_EQ(o.start("D"), 150);
}

TEST(BackfillTest, GreedyBackfillStarvesTheLargeJob) {
  const Outcome o = Simulate(Pool(1, 4), Spec("fifo+greedy"), EasyCase(50));
  // C takes the free GPU at 2; at 52 D takes C's GPU (it fits), so B needs D too: B waits
  // for D (52-252): B 252-302.
  EXPECT_DOUBLE_EQ(o.start("D"), 52);
  EXPECT_DOUBLE_EQ(o.start("B"), 252);
}

TEST(BackfillTest, EasyTrustsEstimatesThatMayBeWrong) {
  const Outcome o = Simulate(Pool(1, 4), Spec("easy_backfill"), EasyCase(150));
  // C said 50 s but runs 150 s (2-152): it backfilled and so delays B to 152.
  EXPECT_DOUBLE_EQ(o.start("C"), 2);
  EXPECT_DOUBLE_EQ(o.start("B"), 152);
}

TEST(BackfillTest, EasyReservesOnePoolOnly) {
  // Two pools of one 4-GPU node. A (3 GPUs, 100 s) fills pool 0 at 0 (first fit); B (4 GPUs)
  // at 1 can use neither pool (pool 1 is busy with Z, 2 GPUs until 1,000); its reservation
  // is in pool 0 at 100. D (1 GPU, 200 s) at 3 may not backfill into pool 0 (it would end at
  // 203 > 100 with no spare GPU there) but may start in pool 1 at once.
  ClusterSpec c = Pool(1, 4);
  c.pools.push_back(c.pools[0]);
  c.pools[1].name = "q";
  const std::vector<JobSpec> jobs = {J("A", 0, 3, 100), J("Z", 0, 2, 1000), J("B", 1, 4, 50),
                                     J("D", 3, 1, 200)};
  const Outcome o = Simulate(c, Spec("easy_backfill"), jobs);
  EXPECT_DOUBLE_EQ(o.start("D"), 3);
  EXPECT_EQ(o.jobs.at("D").pool, 1);
  EXPECT_DOUBLE_EQ(o.start("B"), 100);
}

// ---- gangs ----

TEST(GangTest, AGangStartsWithAllItsGpusOrNone) {
  // Two nodes of 4: B (4 GPUs) runs 0-100; A (6 GPUs) at 1 sees only 4 free GPUs.
  const std::vector<JobSpec> jobs = {J("B", 0, 4, 100), J("A", 1, 6, 10)};
  const Outcome mid = Simulate(Pool(2, 4), Spec("fifo"), jobs, {}, 50);
  // At t=50 A holds nothing (no partial gang) and is pending.
  EXPECT_EQ(mid.jobs.at("A").state, JobState::kPending);
  EXPECT_TRUE(mid.gpus("A").empty());
  const Outcome end = Simulate(Pool(2, 4), Spec("fifo"), jobs);
  // At 100 all 6 start together: A 100-110.
  EXPECT_DOUBLE_EQ(end.start("A"), 100);
  EXPECT_DOUBLE_EQ(end.finish("A"), 110);
}

// ---- placement ----

// Two nodes of 4 GPUs (GPUs 0-3 and 4-7). P (2 GPUs) and Q (3 GPUs) at 0, both long;
// R (1 GPU) at 1; S (2 GPUs) at 2.
std::vector<JobSpec> FitCase() {
  return {J("P", 0, 2, 1000), J("Q", 0, 3, 1000), J("R", 1, 1, 1000), J("S", 2, 2, 1000)};
}

TEST(PlacementTest, FirstFitTakesTheFirstNodeWithRoom) {
  const Outcome o = Simulate(Pool(2, 4), Spec("fifo+first_fit"), FitCase(), {}, 10);
  // P: node 0 (0,1). Q: node 0 has 2 free < 3: node 1 (4,5,6). R: first node with room is
  // node 0: GPU 2. S: no node has 2 free (1 and 1): split, GPUs 3 and 7.
  EXPECT_EQ(o.gpus("P"), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(o.gpus("Q"), (std::vector<int32_t>{4, 5, 6}));
  EXPECT_EQ(o.gpus("R"), (std::vector<int32_t>{2}));
  EXPECT_EQ(o.gpus("S"), (std::vector<int32_t>{3, 7}));
  EXPECT_EQ(o.jobs.at("S").locality, Locality::kRack);
}

TEST(PlacementTest, BestFitTakesTheTightestNode) {
  const Outcome o = Simulate(Pool(2, 4), Spec("fifo+best_fit"), FitCase(), {}, 10);
  // R: node 1 has 1 free (tighter than node 0's 2): GPU 7. S then fits node 0: GPUs 2, 3.
  EXPECT_EQ(o.gpus("R"), (std::vector<int32_t>{7}));
  EXPECT_EQ(o.gpus("S"), (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(o.jobs.at("S").locality, Locality::kNode);
}

TEST(PlacementTest, PackedKeepsTheGangUnderOneSwitch) {
  // Two racks of two 2-GPU nodes (GPUs 0-3 rack 0, 4-7 rack 1). A (1 GPU) at 0, B (4 GPUs)
  // at 1, 100 s of work; a gang spanning racks runs at half speed.
  ClusterSpec c = Pool(4, 2, /*nodes_per_rack=*/2, /*racks_per_pod=*/2);
  c.locality.pod = 0.5;
  const std::vector<JobSpec> jobs = {J("A", 0, 1, 1000), J("B", 1, 4, 100)};
  const Outcome ff = Simulate(c, Spec("fifo+first_fit"), jobs);
  // First fit: A on GPU 0; B takes GPUs 1, 2, 3, 4 in index order: two racks, half speed:
  // 200 s, ends at 201.
  EXPECT_EQ(ff.jobs.at("B").locality, Locality::kPod);
  EXPECT_DOUBLE_EQ(ff.finish("B"), 201);
  const Outcome packed = Simulate(c, Spec("fifo+packed"), jobs);
  // Packed: rack 0 has 3 free, rack 1 has 4: B goes to rack 1, full speed: ends at 101.
  EXPECT_EQ(packed.jobs.at("B").locality, Locality::kRack);
  EXPECT_DOUBLE_EQ(packed.finish("B"), 101);
}

// ---- model affinity (S8) ----

// Inference models A and B, 20 GB of weights each, loaded at 2 GB/s: a 1-GPU job loads for
// 20e9 / 1 / 2e9 = 10 s, a 2-GPU gang for 5 s (10 GB per GPU).
JobSet TwoModels() {
  JobSet set;
  set.classes[0].kind = JobKind::kService;
  set.classes[0].load_bytes_per_s = 2e9;
  set.models = {{"A", 20'000'000'000}, {"B", 20'000'000'000}};
  return set;
}

JobSpec Serve(const std::string& id, double arrival, int32_t gpus, double duration, int32_t model) {
  JobSpec j = J(id, arrival, gpus, duration);
  j.model = model;
  return j;
}

TEST(ModelAffinityTest, WarmGpusAvoidWeightReloads) {
  // One node of 2 GPUs (0, 1). a1 (A, 100 s) and b1 (B, 50 s) at 0; then, each on an idle
  // cluster, b2 (B) at 200, a2 (A) at 300, b3 (B) at 400, 50 s each.
  const std::vector<JobSpec> jobs = {Serve("a1", 0, 1, 100, 0), Serve("b1", 0, 1, 50, 1),
                                     Serve("b2", 200, 1, 50, 1), Serve("a2", 300, 1, 50, 0),
                                     Serve("b3", 400, 1, 50, 1)};
  const Outcome ff = Simulate(Pool(1, 2), Spec("fifo+first_fit"), jobs, TwoModels());
  // First fit: a1 on GPU 0 and b1 on GPU 1 load (cold GPUs). Later every job takes GPU 0,
  // the first free one, which always holds the other model: b2, a2 and b3 reload. 5 loads
  // of 10 s on one GPU = 50 GPU-s; b2 ends at 200 + 10 + 50 = 260.
  EXPECT_EQ(ff.metrics.weight_loads, 5);
  EXPECT_DOUBLE_EQ(ff.metrics.weight_load_gpu_h * 3600, 50);
  EXPECT_DOUBLE_EQ(ff.finish("b2"), 260);
  const Outcome ma = Simulate(Pool(1, 2), Spec("fifo+model_affinity"), jobs, TwoModels());
  // Model affinity: a1 and b1 start as best fit would (GPUs 0 and 1) and load; then b2 and b3
  // go to GPU 1 (holds B) and a2 to GPU 0 (holds A) with no load: 2 loads, 20 GPU-s; b2 ends
  // at 250.
  EXPECT_EQ(ma.metrics.weight_loads, 2);
  EXPECT_DOUBLE_EQ(ma.metrics.weight_load_gpu_h * 3600, 20);
  EXPECT_DOUBLE_EQ(ma.finish("b2"), 250);
  EXPECT_EQ(ma.jobs.at("b3").weight_loads, 0);
  // Loading is overhead: b2's 10 s of loading under first fit, none under model affinity.
  EXPECT_DOUBLE_EQ(ff.jobs.at("b2").overhead_gpu_s, 10);
  EXPECT_DOUBLE_EQ(ma.jobs.at("b2").overhead_gpu_s, 0);
}

TEST(ModelAffinityTest, AGangTakesWarmGpusAllOrNothing) {
  // One node of 4 GPUs. At 0 a training gang t (2 GPUs, 50 s, no model) and a service s1
  // (model A, 2 GPUs, 100 s). At 300, on an idle node, s2 (A, 2 GPUs, 100 s); the snapshot at
  // 310 shows where it runs.
  JobSet set = TwoModels();
  JobClass train;
  train.name = "train";
  set.classes.push_back(train);
  JobSpec t = J("t", 0, 2, 50);
  t.job_class = 1;
  const std::vector<JobSpec> jobs = {t, Serve("s1", 0, 2, 100, 0), Serve("s2", 300, 2, 100, 0)};
  const Outcome ff = Simulate(Pool(1, 4), Spec("fifo+first_fit"), jobs, set, 310);
  // First fit: t on GPUs 0, 1; s1 on 2, 3 (loads 5 s). s2 takes GPUs 0, 1, which held the
  // training job's data, not A: it loads again (2 loads, 2 x 5 s x 2 GPUs = 20 GPU-s).
  EXPECT_EQ(ff.gpus("s2"), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(ff.jobs.at("s2").weight_loads, 1);
  EXPECT_EQ(ff.metrics.weight_loads, 2);
  const Outcome ma = Simulate(Pool(1, 4), Spec("fifo+model_affinity"), jobs, set, 310);
  // Model affinity: s2 takes GPUs 2 and 3, both holding A (the whole gang warm): no load.
  EXPECT_EQ(ma.gpus("s2"), (std::vector<int32_t>{2, 3}));
  EXPECT_EQ(ma.jobs.at("s2").weight_loads, 0);
  EXPECT_EQ(ma.metrics.weight_loads, 1);
  EXPECT_DOUBLE_EQ(ma.metrics.weight_load_gpu_h * 3600, 10);
}

TEST(ModelAffinityTest, ColdStartsKeepOtherModelsWarm) {
  // One node of 4 GPUs. At 0 s1 (A, 1 GPU, 100 s) and u (no model, 1 GPU, 20 s). At 200, on
  // an idle node, s2 (A, 2 GPUs) and then b (B, 1 GPU); at 250 s3 (A, 1 GPU); 100 s each. The
  // snapshot at 260 shows where they run.
  const std::vector<JobSpec> jobs = {Serve("s1", 0, 1, 100, 0), J("u", 0, 1, 20),
                                     Serve("s2", 200, 2, 100, 0), Serve("b", 200, 1, 100, 1),
                                     Serve("s3", 250, 1, 100, 0)};
  const Outcome ma = Simulate(Pool(1, 4), Spec("fifo+model_affinity"), jobs, TwoModels(), 260);
  // s1 took GPU 0 (no GPU held A: the first blank one), which keeps A after it ends; u,
  // without a model, took blank GPU 1. s2 needs 2 GPUs holding A and only GPU 0 does: it
  // loads anyway, so it takes blank GPUs 1 and 2 (lowest first) rather than evicting A from
  // GPU 0. b must load too and takes the last blank GPU, 3. s3 finds GPU 0 still holding A: no
  // load.
  EXPECT_EQ(ma.gpus("s2"), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(ma.gpus("b"), (std::vector<int32_t>{3}));
  EXPECT_EQ(ma.gpus("s3"), (std::vector<int32_t>{0}));
  EXPECT_EQ(ma.jobs.at("s2").weight_loads, 1);
  EXPECT_EQ(ma.jobs.at("s3").weight_loads, 0);
  // Best fit fills from GPU 0: s2 on 0 and 1 (A now on both), b on 2, and s3 on 3, which
  // holds nothing: it loads.
  const Outcome bf = Simulate(Pool(1, 4), Spec("fifo+best_fit"), jobs, TwoModels(), 260);
  EXPECT_EQ(bf.gpus("s2"), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(bf.gpus("s3"), (std::vector<int32_t>{3}));
  EXPECT_EQ(bf.jobs.at("s3").weight_loads, 1);
}

// Two pools: an old GPU at half the reference speed for $1/h and a new one at twice it for
// $5/h. One 1-GPU job of 3,600 reference seconds.
ClusterSpec TwoTypes() {
  ClusterSpec c;
  PoolSpec old_gpu{"old", "OLD", 32 * kGiB, 1, {1, 1, 1}, 0.5, 1.0 / 3600};
  PoolSpec new_gpu{"new", "NEW", 80 * kGiB, 1, {1, 1, 1}, 2.0, 5.0 / 3600};
  c.pools = {old_gpu, new_gpu};
  return c;
}

TEST(PlacementTest, FastestGpuPicksTheFastestType) {
  const Outcome o = Simulate(TwoTypes(), Spec("fastest_gpu"), {J("X", 0, 1, 3600)});
  // New GPU at speed 2: 1,800 s.
  EXPECT_EQ(o.jobs.at("X").pool, 1);
  EXPECT_DOUBLE_EQ(o.finish("X"), 1800);
}

TEST(PlacementTest, CheapestGpuThatMeetsTheDeadline) {
  // Old: 7,200 s for $2.00; new: 1,800 s for $2.50. Without a deadline the old one is cheaper.
  const Outcome cheap = Simulate(TwoTypes(), Spec("cheapest_gpu"), {J("X", 0, 1, 3600)});
  EXPECT_EQ(cheap.jobs.at("X").pool, 0);
  EXPECT_NEAR(cheap.metrics.cost_usd, 2.0, 1e-9);
  // With a deadline at 5,400 s the old GPU would miss it: the new one, for $2.50.
  JobSpec x = J("X", 0, 1, 3600);
  x.deadline_s = 5400;
  const Outcome met = Simulate(TwoTypes(), Spec("cheapest_gpu"), {x});
  EXPECT_EQ(met.jobs.at("X").pool, 1);
  EXPECT_NEAR(met.metrics.cost_usd, 2.5, 1e-9);
  EXPECT_DOUBLE_EQ(met.metrics.slo_attainment, 1.0);
}

TEST(PlacementTest, JobClassSpeedupsOverridePoolSpeeds) {
  // A class that gains nothing from the new GPU (e.g. input-bound): speed 0.5 on both.
  JobSet set;
  set.classes[0].speedup = {{"NEW", 0.5}};
  const Outcome o = Simulate(TwoTypes(), Spec("fastest_gpu"), {J("X", 0, 1, 3600)}, set);
  // Equal speed: the cheaper (old) wins the tie; 7,200 s.
  EXPECT_EQ(o.jobs.at("X").pool, 0);
  EXPECT_DOUBLE_EQ(o.finish("X"), 7200);
}

// ---- sharing and memory ----

TEST(SharingTest, FractionalJobsShareAGpuWithinItsMemory) {
  // One 80 GiB GPU. Three half-GPU jobs: two share it, the third waits.
  auto half = [](const std::string& id, double mem_gib) {
    JobSpec j = J(id, 0, 1, 100);
    j.share = 50;
    j.memory_bytes = static_cast<int64_t>(mem_gib * kGiB);
    return j;
  };
  const Outcome o =
      Simulate(Pool(1, 1), Spec("fifo+greedy"), {half("a", 0), half("b", 0), half("c", 0)});
  // a and b 0-100 together; c 100-200.
  EXPECT_DOUBLE_EQ(o.start("b"), 0);
  EXPECT_DOUBLE_EQ(o.start("c"), 100);
  // 30 % of the compute but 50 GiB of memory each: two do not fit in 80 GiB.
  auto big = [&](const std::string& id) {
    JobSpec j = half(id, 50);
    j.share = 30;
    return j;
  };
  const Outcome m = Simulate(Pool(1, 1), Spec("fifo+greedy"), {big("a"), big("b")});
  EXPECT_DOUBLE_EQ(m.start("b"), 100);
}

// ---- admission ----

TEST(AdmissionTest, JobsThatCanNeverFitAreRejectedWithAReason) {
  Simulator sim(1);
  JobSet set;
  JobSpec big = J("big", 0, 16, 10);
  JobSpec fat = J("fat", 0, 1, 10);
  fat.memory_bytes = 100 * kGiB;  // more than an 80 GiB GPU
  SchedulingSim s(
      sim, Pool(1, 8), set, BuildPolicy(Spec("fifo")),
      std::make_unique<VectorJobSource>(std::vector<JobSpec>{big, fat, J("ok", 0, 8, 10)}));
  s.Start();
  EXPECT_EQ(sim.Run().status, RunResult::Status::kFinished);
  // 16 GPUs > 8 in the cluster; 100 GiB > 80 GiB: both rejected, the third runs.
  ASSERT_EQ(s.rejections().size(), 1u);
  EXPECT_EQ(s.rejections()[0].second, 2);
  EXPECT_EQ(s.jobs()[2].state, JobState::kDone);
}

TEST(AdmissionTest, QueueLimitShedsLoadAndDeadlineRejectsTheImpossible) {
  const PolicySpec limit = YamlSpec("admission: {name: queue_limit, max_waiting: 1}\n");
  const Outcome o = Simulate(Pool(1, 1), limit, ThreeOnOneGpu());
  // A runs; B waits (queue 1); C finds the queue full and is rejected.
  EXPECT_EQ(o.jobs.at("C").state, JobState::kRejected);
  EXPECT_EQ(o.metrics.rejected, 1);
  JobSpec late = J("late", 0, 1, 100);
  late.deadline_s = 50;  // 100 s of work by t = 50 is impossible at speed 1
  const Outcome d = Simulate(Pool(1, 1), Spec("admission=deadline"), {late, J("ok", 0, 1, 10)});
  EXPECT_EQ(d.jobs.at("late").state, JobState::kRejected);
  // The rejected job counts as a missed SLO: 0 of 1.
  EXPECT_DOUBLE_EQ(d.metrics.slo_attainment, 0.0);
}

// ---- the docs' worked example: a user policy ----

// docs/scheduling.md, "Adding a policy": smallest gang first, FIFO among equals.
class FewestGpusFirst final : public QueueOrder {
 public:
  QueueKey Key(const Job& job, const SchedulerContext&) const override {
    return {static_cast<double>(job.spec.gpus), job.spec.arrival_s};
  }
};

TEST(UserPolicyTest, AQueueOrderWrittenOutsideTheLibraryPlugsIn) {
  SchedulerPolicy p = BuildPolicy(Spec("fifo+greedy"));
  p.label = "fewest_gpus_first";
  p.order = std::make_unique<FewestGpusFirst>();
  Simulator sim(1);
  JobSet set;
  // One node of 4 GPUs busy 0-10 with X; then waiting: Y (4 GPUs, at 1), Z (1 GPU, at 2).
  SchedulingSim s(sim, Pool(1, 4), set, std::move(p),
                  std::make_unique<VectorJobSource>(
                      std::vector<JobSpec>{J("X", 0, 4, 10), J("Y", 1, 4, 10), J("Z", 2, 1, 10)}));
  s.Start();
  sim.Run();
  // At 10 Z (1 GPU) ranks before Y (4 GPUs) and starts; Y then waits for Z: 20-30.
  EXPECT_DOUBLE_EQ(s.jobs()[2].first_start_s, 10);
  EXPECT_DOUBLE_EQ(s.jobs()[1].first_start_s, 20);
}

// ---- command-line policy syntax ----

TEST(PolicySpecTest, CombinationsAndAmbiguousNames) {
  const PolicySpec s = ParsePolicyItem("las+rank+packed", PolicySpec{});
  EXPECT_EQ(s.queue.name, "las");
  EXPECT_EQ(s.preemption.name, "rank");
  EXPECT_EQ(s.placement.name, "packed");
  EXPECT_EQ(s.label, "las+rank+packed");
  // "priority" is a queue order and a preemption policy: the user must say which.
  try {
    ParsePolicyItem("priority", PolicySpec{});
    FAIL() << "expected an ambiguity error";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("queue=priority or preemption=priority"),
              std::string::npos)
        << e.what();
  }
  try {
    ParsePolicyItem("sjf+best_fitt", PolicySpec{});
    FAIL() << "expected an unknown-name error";
  } catch (const InputError& e) {
    EXPECT_EQ(e.suggestion(), "best_fit");
  }
}

TEST(PolicySpecTest, EveryRegisteredPolicyIsListedAndBuilds) {
  const std::string text = DescribePolicies(false);
  for (const auto& e : QueueOrders().entries()) {
    EXPECT_NE(text.find(e.name), std::string::npos);
    BuildPolicy(ParsePolicyItem("queue=" + e.name, PolicySpec{}));
  }
  for (const auto& e : Placements().entries()) {
    EXPECT_NE(text.find(e.name), std::string::npos);
    BuildPolicy(ParsePolicyItem("placement=" + e.name, PolicySpec{}));
  }
  for (const auto& e : Preemptions().entries()) {
    BuildPolicy(ParsePolicyItem("preemption=" + e.name, PolicySpec{}));
  }
  for (const auto& e : Admissions().entries()) {
    BuildPolicy(ParsePolicyItem("admission=" + e.name, PolicySpec{}));
  }
  EXPECT_EQ(DefaultBackfill("easy_backfill"), Backfill::kEasy);
}

}  // namespace
}  // namespace fleetsim
