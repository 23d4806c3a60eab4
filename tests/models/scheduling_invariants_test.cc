// Scheduling invariants on random cases: random clusters (pools, shapes, memory, speeds) and
// random jobs (gangs, fractional shards, memory, wrong estimates, priorities, deadlines,
// GPU-type constraints) under many policy combinations. After every event:
//   - no GPU holds shards beyond its share (100) or its memory, and the cluster's counters
//     agree with the shards jobs hold;
//   - a job holds all its shards (a gang on distinct GPUs of one pool) or none;
//   - a reserved GPU belongs to a job waiting for it, and only checkpointing jobs still sit
//     on it.
// At the end: every admitted job finished; GPU-seconds are conserved (useful + overhead per
// job = the integral of GPUs held; idle reserved likewise); preempted work is neither lost
// nor counted twice (the scheduler itself checks at each finish that work done across all
// segments equals the job's duration); and a second run gives identical metrics.
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "models/scheduling/metrics.h"
#include "models/scheduling/scheduler_sim.h"
#include "sim/rng.h"

namespace fleetsim {
namespace {

constexpr int64_t kGiB = int64_t{1} << 30;

ClusterSpec RandomCluster(Rng& rng) {
  ClusterSpec c;
  const int pools = 1 + static_cast<int>(rng.UniformInt(3));
  static const int32_t kGpn[] = {1, 2, 4, 8};
  for (int p = 0; p < pools; ++p) {
    PoolSpec s;
    s.name = "p" + std::to_string(p);
    s.device = "D" + std::to_string(p);
    s.gpu_memory_bytes = (16 + static_cast<int64_t>(rng.UniformInt(65))) * kGiB;
    s.nodes = 1 + static_cast<int32_t>(rng.UniformInt(6));
    s.shape.gpus_per_node = kGpn[rng.UniformInt(4)];
    s.shape.nodes_per_rack = 1 + static_cast<int32_t>(rng.UniformInt(3));
    s.shape.racks_per_pod = 1 + static_cast<int32_t>(rng.UniformInt(2));
    s.speed = rng.Uniform(0.5, 2.0);
    s.usd_per_gpu_s = rng.Uniform(0.5, 4) / 3600;
    c.pools.push_back(s);
  }
  c.locality = {rng.Uniform(0.7, 1), rng.Uniform(0.5, 1), rng.Uniform(0.4, 1)};
  return c;
}

JobSet RandomJobSet(Rng& rng, const ClusterSpec& c) {
  JobSet set;
  set.classes[0].name = "any";
  JobClass pinned;
  pinned.name = "pinned";
  pinned.devices = {c.pools[0].device};
  pinned.speedup = {{c.pools.back().device, rng.Uniform(0.5, 3)}};
  pinned.preemptible = rng.Bernoulli(0.5);
  set.classes.push_back(pinned);
  set.device_names = {c.pools.back().device};
  // Two inference models (job.h): 40 and 10 GiB of weights, loaded at 4 GiB/s.
  set.models = {{"A", 40 * kGiB}, {"B", 10 * kGiB}};
  for (auto& k : set.classes) k.load_bytes_per_s = 4.0 * kGiB;
  return set;
}

std::vector<JobSpec> RandomJobs(Rng& rng, int n) {
  std::vector<JobSpec> jobs;
  double t = 0;
  static const int32_t kGpus[] = {1, 1, 1, 2, 2, 3, 4, 8, 16};
  for (int i = 0; i < n; ++i) {
    t += rng.Exponential(1.0 / 8);
    JobSpec j;
    j.id = "j" + std::to_string(i);
    j.arrival_s = std::floor(t * 4) / 4;  // quarter seconds: same-time arrivals happen
    if (rng.Bernoulli(0.2)) {
      j.gpus = 1;
      j.share = 10 + static_cast<int32_t>(rng.UniformInt(81));
    } else {
      j.gpus = kGpus[rng.UniformInt(9)];
    }
    if (rng.Bernoulli(0.3)) j.memory_bytes = (4 + static_cast<int64_t>(rng.UniformInt(70))) * kGiB;
    j.duration_s = 1 + std::floor(rng.Exponential(1.0 / 200));
    j.estimate_s = j.duration_s * std::exp(rng.Normal(0, 1));
    j.priority = static_cast<int32_t>(rng.UniformInt(3));
    j.job_class = static_cast<int32_t>(rng.UniformInt(2));
    if (rng.Bernoulli(0.1)) j.device = 0;
    if (rng.Bernoulli(0.3)) j.deadline_s = j.arrival_s + j.duration_s * rng.Uniform(1, 5);
    if (rng.Bernoulli(0.2)) j.start_slo_s = rng.Uniform(0, 100);
    if (rng.Bernoulli(0.3)) j.checkpoint_s = std::floor(rng.Uniform(0, 30));
    if (rng.Bernoulli(0.3)) j.restart_s = std::floor(rng.Uniform(0, 30));
    if (rng.Bernoulli(0.4)) j.model = static_cast<int32_t>(rng.UniformInt(2));
    jobs.push_back(j);
  }
  return jobs;
}

// Checks the per-event invariants and integrates GPUs held and reserved-idle over time.
struct Checker {
  double last_t = 0;
  double held_gpu_s = 0;
  double idle_reserved_gpu_s = 0;
  double held_units = 0;
  double idle_reserved = 0;
  int64_t events = 0;

  void operator()(const SchedulingSim& s) {
    const double now = s.now_s();
    held_gpu_s += held_units * (now - last_t);
    idle_reserved_gpu_s += idle_reserved * (now - last_t);
    last_t = now;
    ++events;
    const ClusterState& c = s.cluster();
    std::vector<int32_t> share(c.total_gpus(), 0), occupants(c.total_gpus(), 0);
    std::vector<int64_t> mem(c.total_gpus(), 0);
    held_units = 0;
    for (const Job& j : s.jobs()) {
      const bool holds = j.state == JobState::kRunning || j.state == JobState::kCheckpointing;
      if (!holds) {
        ASSERT_TRUE(j.shards.empty()) << j.spec.id << " " << JobStateName(j.state);
        continue;
      }
      // All or nothing: the whole gang, on distinct GPUs of the job's pool.
      const size_t want = j.spec.share == 100 ? static_cast<size_t>(j.spec.gpus) : 1;
      ASSERT_EQ(j.shards.size(), want) << j.spec.id;
      for (size_t a = 0; a < j.shards.size(); ++a) {
        const Shard& sh = j.shards[a];
        ASSERT_EQ(c.node_pool(c.gpu_node(sh.gpu)), j.pool) << j.spec.id;
        ASSERT_TRUE(j.pool_mask >> j.pool & 1) << j.spec.id;
        for (size_t b = 0; b < a; ++b) ASSERT_NE(j.shards[b].gpu, sh.gpu) << j.spec.id;
        share[sh.gpu] += sh.share;
        mem[sh.gpu] += sh.memory_bytes;
        ++occupants[sh.gpu];
      }
      held_units += j.spec.gpu_units();
      // A whole-GPU job's GPUs hold its model (loaded or loading) while it holds them.
      if (j.spec.share == 100) {
        for (const Shard& sh : j.shards) {
          ASSERT_EQ(c.gpu(sh.gpu).resident_model, j.spec.model) << j.spec.id;
        }
      }
    }
    idle_reserved = 0;
    for (int32_t g = 0; g < c.total_gpus(); ++g) {
      const GpuState& st = c.gpu(g);
      ASSERT_LE(share[g], 100) << "GPU " << g;
      ASSERT_LE(mem[g], c.gpu_memory(g)) << "GPU " << g;
      ASSERT_EQ(st.used_share, share[g]) << "GPU " << g;
      ASSERT_EQ(st.used_memory, mem[g]) << "GPU " << g;
      ASSERT_EQ(st.occupants, occupants[g]) << "GPU " << g;
      if (st.reserved_for >= 0) {
        ASSERT_EQ(s.jobs()[st.reserved_for].state, JobState::kReserved) << "GPU " << g;
        if (st.used_share == 0) ++idle_reserved;
      }
    }
    for (const Job& j : s.jobs()) {
      if (j.state != JobState::kCheckpointing) continue;
      // A checkpointing job sits only on GPUs reserved for someone or not reserved at all.
      for (const Shard& sh : j.shards) {
        const int32_t r = c.gpu(sh.gpu).reserved_for;
        if (r >= 0) {
          ASSERT_EQ(s.jobs()[r].state, JobState::kReserved);
        }
      }
    }
    // The cluster's free counters agree with a recount.
    for (int32_t p = 0; p < c.num_pools(); ++p) {
      int32_t free = 0;
      for (int32_t n = c.pool_first_node(p); n < c.pool_first_node(p) + c.pool_num_nodes(p); ++n) {
        int32_t node_free = 0;
        for (int32_t g = c.node_first_gpu(n); g < c.node_first_gpu(n) + c.node_num_gpus(n); ++g) {
          node_free += c.gpu_free(g);
        }
        ASSERT_EQ(c.node_free(n), node_free) << "node " << n;
        free += node_free;
      }
      ASSERT_EQ(c.pool_free(p), free) << "pool " << p;
    }
  }
};

const char* kPolicies[] = {
    "fifo",
    "fifo+greedy",
    "sjf+best_fit",
    "srtf+rank+packed",
    "las+rank",
    "las+rank+greedy+fastest_gpu",
    "queue=priority+preemption=priority",
    "queue=priority+preemption=priority+greedy+best_fit",
    "easy_backfill+packed",
    "easy_backfill+preemption=priority",
    "fastest_gpu+greedy",
    "cheapest_gpu+sjf",
    "fifo+admission=deadline",
    "srtf+rank+greedy+first_fit",
    "model_affinity",
    "las+rank+model_affinity",
    "fifo+greedy+preemption=priority+model_affinity",
};

class InvariantTest : public ::testing::TestWithParam<const char*> {};

TEST_P(InvariantTest, RandomCasesKeepEveryInvariant) {
  for (uint64_t seed = 1; seed <= 12; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    Rng rng(seed * 7919);
    const ClusterSpec cluster = RandomCluster(rng);
    const JobSet set = RandomJobSet(rng, cluster);
    const std::vector<JobSpec> jobs = RandomJobs(rng, 60);
    PolicySpec spec;
    spec.checkpoint_s = std::floor(rng.Uniform(0, 20));
    spec.restart_s = std::floor(rng.Uniform(0, 20));
    spec = ParsePolicyItem(GetParam(), spec);

    Simulator sim(seed);
    SchedulingSim s(sim, cluster, set, BuildPolicy(spec), std::make_unique<VectorJobSource>(jobs));
    Checker check;
    s.SetObserver([&](const SchedulingSim& x) { check(x); });
    s.Start();
    const RunResult r = sim.Run();
    ASSERT_FALSE(::testing::Test::HasFatalFailure());
    ASSERT_EQ(r.status, RunResult::Status::kFinished) << r.stall_report;

    double useful = 0, overhead = 0, idle = 0;
    int64_t preempted = 0, loads = 0;
    for (const Job& j : s.jobs()) {
      ASSERT_TRUE(j.state == JobState::kDone || j.state == JobState::kRejected)
          << j.spec.id << " " << JobStateName(j.state);
      if (j.state == JobState::kRejected) continue;
      // Preempted work is kept: the work done equals the duration, and every start but the
      // first paid its restart (overhead at least the restarts and nothing negative).
      EXPECT_DOUBLE_EQ(j.work_done_s, j.spec.duration_s) << j.spec.id;
      EXPECT_GE(j.overhead_gpu_s, -1e-9);
      EXPECT_GE(j.useful_gpu_s + 1e-6, j.spec.duration_s * j.spec.gpu_units() / 3.0 / 2.0)
          << j.spec.id;  // speeds are at most 2 x 3 (pool or class) with locality <= 1
      EXPECT_EQ(j.starts, j.preemptions + 1) << j.spec.id;
      EXPECT_GE(j.finish_s - j.spec.arrival_s + 1e-9, j.waited_s) << j.spec.id;
      // Loading weights is overhead; only jobs with a model load.
      EXPECT_LE(j.load_gpu_s, j.overhead_gpu_s + 1e-6) << j.spec.id;
      if (j.spec.model < 0) {
        EXPECT_EQ(j.weight_loads, 0) << j.spec.id;
      }
      loads += j.weight_loads;
      useful += j.useful_gpu_s;
      overhead += j.overhead_gpu_s;
      idle += j.idle_reserved_gpu_s;
      preempted += j.preemptions;
    }
    // Conservation: every GPU-second held was either progress or overhead.
    EXPECT_NEAR(useful + overhead, check.held_gpu_s, 1e-6 * std::max(1.0, check.held_gpu_s));
    EXPECT_NEAR(idle, check.idle_reserved_gpu_s, 1e-6 * std::max(1.0, idle));
    const RunMetrics m = ComputeMetrics(s, "finished");
    EXPECT_EQ(m.preemptions, preempted);
    EXPECT_EQ(m.weight_loads, loads);
    EXPECT_EQ(s.weight_loads(), loads);
    if (spec.preemption.name == "none") {
      EXPECT_EQ(preempted, 0);
    }

    // Same inputs, same result.
    Simulator sim2(seed);
    SchedulingSim s2(sim2, cluster, set, BuildPolicy(spec),
                     std::make_unique<VectorJobSource>(jobs));
    s2.Start();
    sim2.Run();
    const RunMetrics m2 = ComputeMetrics(s2, "finished");
    EXPECT_EQ(m.jct_mean_s, m2.jct_mean_s);
    EXPECT_EQ(m.jct_p99_s, m2.jct_p99_s);
    EXPECT_EQ(m.cost_usd, m2.cost_usd);
    EXPECT_EQ(m.preemptions, m2.preemptions);
  }
}

INSTANTIATE_TEST_SUITE_P(Policies, InvariantTest, ::testing::ValuesIn(kPolicies),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string n = info.param;
                           for (char& ch : n) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return n;
                         });

// Preemption actually happens in these cases, so the accounting above is exercised.
TEST(InvariantCoverageTest, RandomCasesPreempt) {
  int64_t total = 0;
  for (const char* policy : {"las+rank", "srtf+rank", "queue=priority+preemption=priority"}) {
    for (uint64_t seed = 1; seed <= 12; ++seed) {
      Rng rng(seed * 7919);
      const ClusterSpec cluster = RandomCluster(rng);
      const JobSet set = RandomJobSet(rng, cluster);
      const std::vector<JobSpec> jobs = RandomJobs(rng, 60);
      PolicySpec spec;
      spec.checkpoint_s = std::floor(rng.Uniform(0, 20));
      spec.restart_s = std::floor(rng.Uniform(0, 20));
      spec = ParsePolicyItem(policy, spec);
      total += RunSchedulingSimulation(cluster, set, BuildPolicy(spec),
                                       std::make_unique<VectorJobSource>(jobs), seed, kNoTime)
                   .preemptions;
    }
  }
  EXPECT_GT(total, 50);  // 86 when written
}

}  // namespace
}  // namespace fleetsim
