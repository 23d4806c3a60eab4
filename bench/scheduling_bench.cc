// Scheduling policy simulation cost: a 100,000-job trace on a 10,000-GPU cluster under each
// built-in policy (issue target: under 10 s per policy on one core), and the trace reader.
//
// Cluster: two pools of 625 nodes x 8 GPUs, A100 (speed 1, $1.80/h) and H100 (speed 2,
// $4.00/h), 4 nodes per rack, 8 racks per pod; checkpoint 30 s, restart 60 s.
// Trace: 100,000 jobs written once, before timing, as Alibaba PAI 2020 tables (the format with
// fractional GPUs) from a synthetic stream: Poisson arrivals at 3,000/h, which loads the
// cluster to saturation; 90 % training gangs of 1-64 GPUs (a Philly-like mix, mean 3.7
// GPUs) with lognormal durations (median 30 min, sigma 1.5, at most 7 d), 10 % quarter-GPU
// notebook jobs (median 20 min). Replay adds estimates off by a lognormal factor (sigma 0.7),
// two priority classes (1 in 5 high) and deadlines of 5x the estimate.
//
// Each policy benchmark runs the whole replay once (Iterations(1)); jobs come from the trace
// read once beforehand (BM_ReadPaiTrace100k times the reader). Times are CPU seconds of
// this process: the shared 2-core machine makes wall time noisy.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "models/catalog/catalog.h"
#include "models/scheduling/metrics.h"
#include "models/scheduling/policy_scenario.h"
#include "models/scheduling/traces.h"
#include "models/scheduling/workload.h"
#include "sim/config/config.h"

namespace fleetsim {

// Per process: two builds benchmarking at once must not share the trace files.
const std::string kTmp = "/tmp/fleetsim_scheduling_bench_" + std::to_string(getpid()) + "_";

namespace {

// The synthetic stream the trace is made from.
const char* kSource = R"(
synthetic:
  count: 100000
  arrivals: {process: poisson, rate: "3,000/h"}
  classes:
    - name: train
      weight: 9
      gpus: {values: [1, 2, 4, 8, 16, 32, 64], weights: [60, 10, 10, 15, 3, 1.5, 0.5]}
      duration: {distribution: lognormal, median: "30 min", sigma: 1.5, max: "7 d"}
    - name: notebook
      weight: 1
      gpu_fraction: 0.25
      duration: {distribution: lognormal, median: "20 min", sigma: 1.0, max: "1 d"}
)";

const char* kScenario = R"(
name: bench-100k-jobs-10k-gpus
cluster:
  shape: {gpus_per_node: 8, nodes_per_rack: 4, racks_per_pod: 8}
  locality: {rack: 0.97, pod: 0.9, cluster: 0.8}
  pools:
    - {name: a100, gpu: A100-SXM4-80GB, nodes: 625, price: "$1.80/h"}
    - {name: h100, gpu: H100-SXM5, nodes: 625, speed: 2.0, price: "$4.00/h"}
jobs:
  trace:
    format: pai
    job_table: bench_pai_job_table.csv
    task_table: bench_pai_task_table.csv
    class:
      estimate: {error: 0.7}
      priority: {values: [0, 1], weights: [4, 1]}
      deadline: 5
scheduler: {checkpoint: "30 s", restart: "1 min"}
)";

// Writes the PAI job and task tables of 100,000 synthetic jobs (no header lines, as
// published): one task per job, inst_num x plan_gpu = the job's GPUs.
void WriteTrace() {
  static bool done = false;
  if (done) return;
  done = true;
  auto doc = ConfigDocument::Parse(kSource, kTmp + "source.yaml");
  const Catalog catalog = Catalog::LoadShipped(DefaultDataDir());
  auto w = ReadJobWorkload(doc->Root(), catalog, kNoTime);
  auto src = w->MakeSource(1);
  FILE* jobs = std::fopen((kTmp + "dir/bench_pai_job_table.csv").c_str(), "w");
  FILE* tasks = std::fopen((kTmp + "dir/bench_pai_task_table.csv").c_str(), "w");
  int64_t i = 0;
  while (auto j = src->Next()) {
    const double submit = 1e6 + j->arrival_s, start = submit + 1, end = start + j->duration_s;
    std::fprintf(jobs, "j%lld,i%lld,u%lld,Terminated,%.3f,%.3f\n", static_cast<long long>(i),
                 static_cast<long long>(i), static_cast<long long>(i % 997), submit, end);
    std::fprintf(tasks, "j%lld,worker,%d.0,Terminated,%.3f,%.3f,600.0,30.0,%d.0,MISC\n",
                 static_cast<long long>(i), j->share == 100 ? j->gpus : 1, start, end,
                 j->share == 100 ? 100 : j->share);
    ++i;
  }
  std::fclose(jobs);
  std::fclose(tasks);
}

const PolicyScenario& Scenario() {
  static const PolicyScenario s = [] {
    std::filesystem::create_directories(kTmp + "dir");
    WriteTrace();
    const std::string path = kTmp + "dir/scenario.yaml";
    FILE* f = std::fopen(path.c_str(), "w");
    std::fputs(kScenario, f);
    std::fclose(f);
    return LoadPolicyScenario(path);
  }();
  return s;
}

void BM_ReadPaiTrace100k(benchmark::State& state) {
  std::filesystem::create_directories(kTmp + "dir");
  WriteTrace();
  size_t n = 0;
  for (auto _ : state) {
    n = ReadPaiTrace(kTmp + "dir/bench_pai_job_table.csv", kTmp + "dir/bench_pai_task_table.csv",
                     {})
            .jobs.size();
  }
  state.counters["jobs"] = static_cast<double>(n);
  state.counters["jobs_per_s"] =
      benchmark::Counter(static_cast<double>(n), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_ReadPaiTrace100k)->Unit(benchmark::kMillisecond);

void RunPolicy(benchmark::State& state, const char* policy) {
  const PolicyScenario& s = Scenario();
  const PolicySpec spec = ResolvePolicies(s, policy)[0];
  RunMetrics m;
  for (auto _ : state) {
    m = RunSchedulingSimulation(s.cluster, s.workload->job_set(), BuildPolicy(spec),
                                s.workload->MakeSource(1), 1, kNoTime);
  }
  state.counters["jobs"] = static_cast<double>(m.jobs);
  state.counters["done"] = static_cast<double>(m.completed);
  state.counters["events"] = static_cast<double>(m.events);
  state.counters["passes"] = static_cast<double>(m.passes);
  state.counters["preempt"] = static_cast<double>(m.preemptions);
  state.counters["util_pct"] = m.utilisation * 100;
  state.counters["jct_h"] = m.jct_mean_s / 3600;
  state.counters["makespan_h"] = m.makespan_s / 3600;
  state.counters["jobs_per_s"] =
      benchmark::Counter(static_cast<double>(m.jobs), benchmark::Counter::kIsRate);
}

#define POLICY_BENCH(name, policy)                                 \
  void name(benchmark::State& state) { RunPolicy(state, policy); } \
  BENCHMARK(name)->Iterations(1)->Unit(benchmark::kSecond)

POLICY_BENCH(BM_Fifo, "fifo");
POLICY_BENCH(BM_FifoGreedy, "fifo+greedy");
POLICY_BENCH(BM_EasyBackfill, "easy_backfill");
POLICY_BENCH(BM_Sjf, "sjf+greedy");
POLICY_BENCH(BM_SrtfPreemptive, "srtf+rank+greedy");
POLICY_BENCH(BM_PriorityPreemptive, "queue=priority+preemption=priority+greedy");
POLICY_BENCH(BM_Tiresias, "las+rank+greedy");
POLICY_BENCH(BM_BestFit, "fifo+greedy+best_fit");
POLICY_BENCH(BM_Packed, "fifo+greedy+packed");
POLICY_BENCH(BM_ModelAffinity, "fifo+greedy+model_affinity");
POLICY_BENCH(BM_FastestGpu, "fifo+greedy+fastest_gpu");
POLICY_BENCH(BM_CheapestGpu, "fifo+greedy+cheapest_gpu");
POLICY_BENCH(BM_DeadlineAdmission, "fifo+greedy+admission=deadline");
POLICY_BENCH(BM_QueueLimit, "fifo+greedy+admission=queue_limit");

}  // namespace
}  // namespace fleetsim

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::filesystem::remove_all(fleetsim::kTmp + "dir");  // the generated trace (10 MB)
  return 0;
}
