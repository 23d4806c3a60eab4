// Workloads for policy studies: the Philly and Alibaba PAI trace readers on small sample
// files in the published formats (tests/data/scheduling/), their positioned errors, synthetic
// job streams, and policy scenario files.
#include <gtest/gtest.h>

#include <cmath>

#include "models/catalog/catalog.h"
#include "models/scheduling/policy_scenario.h"
#include "models/scheduling/traces.h"
#include "models/scheduling/workload.h"
#include "sim/config/config.h"

namespace fleetsim {
namespace {

const std::string kDir = std::string(FLEETSIM_TEST_DATA_DIR) + "/scheduling/";

int64_t Skipped(const TraceSummary& s, const std::string& reason) {
  for (const auto& r : s.skipped) {
    if (r.reason == reason) return r.count;
  }
  return 0;
}

const TraceSummary::Reason* Find(const std::vector<TraceSummary::Reason>& v,
                                 const std::string& reason) {
  for (const auto& r : v) {
    if (r.reason == reason) return &r;
  }
  return nullptr;
}

TEST(PhillyTraceTest, ConvertsTheSampleLogAndSaysWhatItSkipped) {
  const TraceJobs t = ReadPhillyTrace(kDir + "philly_cluster_job_log.json", {});
  EXPECT_EQ(t.summary.records, 7);
  ASSERT_EQ(t.jobs.size(), 3u);
  // Sorted by submission: ..._10001 (00:00:00), ..._14199 (01:11:39), ..._10002 (02:00:00);
  // arrivals relative to the first.
  EXPECT_EQ(t.jobs[0].id, "application_1506638472019_10001");
  EXPECT_DOUBLE_EQ(t.jobs[0].arrival_s, 0);
  EXPECT_EQ(t.jobs[0].gpus, 1);
  EXPECT_DOUBLE_EQ(t.jobs[0].duration_s, 3600);  // 00:05:00 -> 01:05:00
  EXPECT_EQ(t.jobs[1].id, "application_1506638472019_14199");
  EXPECT_DOUBLE_EQ(t.jobs[1].arrival_s, 4299);  // 1 h 11 min 39 s
  // The README's example: 8 GPUs in the first attempt; first start 2017-10-07 01:12:09 to
  // last end 2017-10-09 06:53:12 = 2 d 5 h 41 min 3 s = 193,263 s (the retry gap included).
  EXPECT_EQ(t.jobs[1].gpus, 8);
  EXPECT_DOUBLE_EQ(t.jobs[1].duration_s, 193263);
  // Two details of 8 GPUs each: a 16-GPU gang; 03:00 -> 03:30.
  EXPECT_EQ(t.jobs[2].gpus, 16);
  EXPECT_DOUBLE_EQ(t.jobs[2].duration_s, 1800);
  EXPECT_DOUBLE_EQ(t.jobs[2].estimate_s, 1800);  // the truth, until a workload adds errors
  // Each unusable record is counted with the line its record starts on.
  ASSERT_EQ(t.summary.skipped.size(), 4u);
  EXPECT_EQ(Find(t.summary.skipped, "no scheduling attempts")->first_line, 111);
  EXPECT_EQ(Find(t.summary.skipped, "last attempt has no end_time (still running)")->first_line,
            119);
  EXPECT_EQ(Find(t.summary.skipped, "first attempt has no start_time")->first_line, 143);
  EXPECT_EQ(Find(t.summary.skipped, "no GPUs in the first attempt")->first_line, 165);
  EXPECT_NE(t.summary.Format().find("7 records, 3 jobs"), std::string::npos);
}

TEST(PhillyTraceTest, StatusFilterTimeScaleAndMaxJobs) {
  TraceOptions opt;
  opt.statuses = {"Pass", "Failed"};
  opt.time_scale = 0.5;
  opt.max_jobs = 1;
  const TraceJobs t = ReadPhillyTrace(kDir + "philly_cluster_job_log.json", opt);
  // Killed is dropped; of Pass (01:11:39) and Failed (02:00:00) the first is kept.
  ASSERT_EQ(t.jobs.size(), 1u);
  EXPECT_EQ(t.jobs[0].gpus, 8);
  EXPECT_EQ(Skipped(t.summary, "status 'Killed' not kept"), 2);
  EXPECT_EQ(Skipped(t.summary, "beyond max_jobs"), 1);
  // 0.5 x (arrival - first arrival) = 0 for the only job.
  EXPECT_DOUBLE_EQ(t.jobs[0].arrival_s, 0);
}

TEST(PhillyTraceTest, MalformedRecordsNameTheirLine) {
  try {
    ReadPhillyTrace(kDir + "bad/philly_missing_attempts.json", {});
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    // The third record (line 70) has no "attempts".
    EXPECT_EQ(e.line(), 70);
    EXPECT_EQ(e.key_path(), "attempts");
    EXPECT_NE(e.detail().find("application_1506638472019_10002"), std::string::npos);
  }
  TraceOptions skip;
  skip.skip_malformed = true;
  const TraceJobs t = ReadPhillyTrace(kDir + "bad/philly_missing_attempts.json", skip);
  EXPECT_EQ(t.jobs.size(), 2u);
  EXPECT_EQ(Find(t.summary.skipped, "malformed record")->first_line, 70);
  try {
    ReadPhillyTrace(kDir + "bad/philly_syntax.json", {});
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    // A comma is missing at the end of line 52; the parser stops at the next key, line 53.
    EXPECT_EQ(e.line(), 53) << e.what();
    EXPECT_NE(e.detail().find("invalid JSON"), std::string::npos);
  }
  try {
    ReadPhillyTrace(kDir + "bad/philly_not_array.json", {});
    FAIL() << "expected an error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 1);
    EXPECT_NE(e.detail().find("JSON array"), std::string::npos);
  }
}

TEST(PhillyTraceTest, TimesMustBeRealDates) {
  double s = 0;
  EXPECT_TRUE(ParsePhillyTime("1970-01-02 00:00:01", &s));
  EXPECT_DOUBLE_EQ(s, 86401);
  EXPECT_TRUE(ParsePhillyTime("2016-02-29 12:00:00", &s));  // a leap day
  EXPECT_FALSE(ParsePhillyTime("2017-02-29 12:00:00", &s));
  EXPECT_FALSE(ParsePhillyTime("2017-13-01 00:00:00", &s));
  EXPECT_FALSE(ParsePhillyTime("2017-10-07T01:12:09", &s));
  EXPECT_FALSE(ParsePhillyTime("2017-10-07 1:12:09", &s));
}

TEST(PaiTraceTest, JoinsJobsAndTasksIntoGpuDemands) {
  TraceOptions opt;
  opt.pai_gpu_types = {{"V100", 0}};
  const TraceJobs t = ReadPaiTrace(kDir + "pai_job_table.csv", kDir + "pai_task_table.csv", opt);
  EXPECT_EQ(t.summary.records, 7);
  ASSERT_EQ(t.jobs.size(), 4u);
  // By submission: j2 (50), j1 (100), j3 (200), j7 (500); arrivals relative to 50.
  EXPECT_EQ(t.jobs[0].id, "j2");
  EXPECT_DOUBLE_EQ(t.jobs[0].arrival_s, 0);
  // j2: one instance at 50 % of a GPU: a fractional job; task 60 -> 260.
  EXPECT_EQ(t.jobs[0].gpus, 1);
  EXPECT_EQ(t.jobs[0].share, 50);
  EXPECT_DOUBLE_EQ(t.jobs[0].duration_s, 200);
  EXPECT_EQ(t.jobs[0].device, -1);  // T4 is not mapped
  // j1: one whole V100, 110 -> 410.
  EXPECT_EQ(t.jobs[1].id, "j1");
  EXPECT_DOUBLE_EQ(t.jobs[1].arrival_s, 50);
  EXPECT_EQ(t.jobs[1].gpus, 1);
  EXPECT_EQ(t.jobs[1].share, 100);
  EXPECT_DOUBLE_EQ(t.jobs[1].duration_s, 300);
  EXPECT_EQ(t.jobs[1].device, 0);
  // j3: a CPU parameter server plus 3 workers at 50 %: 150 % -> 2 whole GPUs, run time of
  // the GPU tasks 220 -> 820.
  EXPECT_EQ(t.jobs[2].gpus, 2);
  EXPECT_DOUBLE_EQ(t.jobs[2].duration_s, 600);
  // j7: 2 instances x 50 % = exactly one GPU, on an unmapped type.
  EXPECT_EQ(t.jobs[3].gpus, 1);
  EXPECT_EQ(t.jobs[3].share, 100);
  EXPECT_DOUBLE_EQ(t.jobs[3].duration_s, 200);
  EXPECT_EQ(Skipped(t.summary, "CPU only (no task requests a GPU)"), 1);
  EXPECT_EQ(Skipped(t.summary, "a GPU task has no start or end time (never ran, or still running)"),
            1);
  EXPECT_EQ(Find(t.summary.skipped, "no task rows")->first_line, 6);
  EXPECT_EQ(Find(t.summary.notes, "GPU request rounded up to whole GPUs")->first_line, 3);
  EXPECT_EQ(
      Find(t.summary.notes, "task rows of a job not in the job table (line of pai_task_table.csv)")
          ->first_line,
      9);
}

TEST(PaiTraceTest, MalformedLinesNameLineAndColumn) {
  try {
    ReadPaiTrace(kDir + "bad/pai_job_fields.csv", kDir + "pai_task_table.csv", {});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 2);
    EXPECT_NE(e.detail().find("expected 6 fields"), std::string::npos) << e.what();
  }
  try {
    ReadPaiTrace(kDir + "pai_job_table.csv", kDir + "bad/pai_task_number.csv", {});
    FAIL();
  } catch (const ConfigError& e) {
    // "1OO.0" (letter O) in plan_gpu, which starts at column 49 of line 2.
    EXPECT_EQ(e.line(), 2);
    EXPECT_EQ(e.column(), 49);
    EXPECT_EQ(e.key_path(), "plan_gpu");
  }
  try {
    ReadPaiTrace(kDir + "pai_job_table.csv", kDir + "bad/pai_task_header.csv", {});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.line(), 1);
    EXPECT_EQ(e.suggestion(), "plan_gpu");
  }
}

std::shared_ptr<const JobWorkload> Workload(const std::string& yaml, double horizon_s = kNoTime) {
  static std::vector<std::shared_ptr<const ConfigDocument>> keep;
  keep.push_back(ConfigDocument::Parse(yaml, kDir + "inline.yaml"));
  static const Catalog catalog = Catalog::LoadShipped(DefaultDataDir());
  return ReadJobWorkload(keep.back()->Root(), catalog, horizon_s);
}

std::vector<JobSpec> Drain(const JobWorkload& w, uint64_t seed) {
  auto src = w.MakeSource(seed);
  std::vector<JobSpec> out;
  while (auto j = src->Next()) out.push_back(*j);
  return out;
}

const char* kSynthetic = R"(
synthetic:
  count: 2000
  arrivals: {process: poisson, rate: "100/h"}
  classes:
    - {name: a, weight: 3, gpus: {values: [1, 8], weights: [1, 1]},
       duration: {distribution: fixed, value: "1 h"}, estimate: {error: 0.5, bias: 2}}
    - {name: b, weight: 1, gpu_fraction: 0.25, kind: service, start_slo: "5 min",
       duration: {distribution: uniform, min: "10 min", max: "20 min"}, deadline: 3}
)";

TEST(SyntheticJobsTest, DrawsTheConfiguredMixDeterministically) {
  auto w = Workload(kSynthetic);
  const auto jobs = Drain(*w, 1);
  ASSERT_EQ(jobs.size(), 2000u);
  // The same seed gives the same jobs; another seed other jobs.
  const auto again = Drain(*w, 1);
  const auto other = Drain(*w, 2);
  EXPECT_EQ(jobs[1999].arrival_s, again[1999].arrival_s);
  EXPECT_EQ(jobs[1999].estimate_s, again[1999].estimate_s);
  EXPECT_NE(jobs[1999].arrival_s, other[1999].arrival_s);
  int a = 0, eight = 0;
  double log_ratio = 0;
  for (const auto& j : jobs) {
    if (j.job_class == 0) {
      ++a;
      eight += j.gpus == 8;
      EXPECT_DOUBLE_EQ(j.duration_s, 3600);
      log_ratio += std::log(j.estimate_s / j.duration_s);
      EXPECT_EQ(j.deadline_s, kNoTime);
    } else {
      // A quarter of one GPU; deadline = arrival + 3 x estimate (exact estimates here).
      EXPECT_EQ(j.share, 25);
      EXPECT_EQ(j.gpus, 1);
      EXPECT_GE(j.duration_s, 600);
      EXPECT_LE(j.duration_s, 1200);
      EXPECT_DOUBLE_EQ(j.deadline_s, j.arrival_s + 3 * j.estimate_s);
      EXPECT_DOUBLE_EQ(j.start_slo_s, 300);
    }
  }
  // Class weights 3:1 -> 1,500 of 2,000 expected (sd 19); 8 GPUs half of them (sd 19).
  EXPECT_NEAR(a, 1500, 4 * 19.4);
  EXPECT_NEAR(eight, a / 2.0, 4 * 19.4);
  // Estimates: bias 2 with lognormal error: mean log ratio ln 2 = 0.693 (sd 0.5/sqrt(1500)).
  EXPECT_NEAR(log_ratio / a, std::log(2.0), 4 * 0.5 / std::sqrt(1500.0));
  // 100/h: 2,000 jobs take about 20 h (sd sqrt(2000)/100 h = 0.45 h).
  EXPECT_NEAR(jobs.back().arrival_s / 3600, 20, 4 * 0.45);
  // Services are not preemptible by default.
  EXPECT_FALSE(w->job_set().classes[1].preemptible);
  EXPECT_TRUE(w->job_set().classes[0].preemptible);
}

TEST(SyntheticJobsTest, TheHorizonEndsTheStream) {
  auto w = Workload(R"(
synthetic:
  arrivals: {process: constant, rate: "10/h"}
  classes: [{name: a, gpus: 1, duration: {distribution: fixed, value: "1 h"}}]
)",
                    3500);
  // Constant gaps of 6 min before 58 min 20 s: arrivals at 6, 12, ..., 54 min: 9 jobs.
  EXPECT_EQ(Drain(*w, 1).size(), 9u);
}

TEST(SyntheticJobsTest, BadClassesArePositioned) {
  try {
    Workload(R"(
synthetic:
  count: 5
  arrivals: {process: poisson, rate: "10/h"}
  classes: [{name: a, gpus: 1, gpu_fraction: 0.5, duration: {distribution: fixed, value: "1 h"}}]
)");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.key_path(), "synthetic.classes[0].gpu_fraction");
  }
  try {
    Workload(R"(
synthetic:
  count: 5
  arrivals: {process: poisson, rate: "10/h"}
  classes: [{name: a, gpus: 1, duration: {distribution: lognormall, median: "1 h", sigma: 1}}]
)");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.suggestion(), "lognormal");
  }
}

TEST(PolicyScenarioTest, LoadsTheSampleScenariosAndResolvesPolicies) {
  const PolicyScenario s = LoadPolicyScenario(kDir + "synthetic.yaml");
  EXPECT_EQ(s.name, "small-synthetic");
  ASSERT_EQ(s.cluster.pools.size(), 2u);
  // H100-SXM5 memory from the catalog: 80 GB.
  EXPECT_EQ(s.cluster.pools[1].gpu_memory_bytes, 80'000'000'000);
  EXPECT_DOUBLE_EQ(s.cluster.pools[0].usd_per_gpu_s * 3600, 1.80);
  const auto all = ResolvePolicies(s, "");
  ASSERT_EQ(all.size(), 2u);  // the scheduler: section and the named "tiresias"
  EXPECT_EQ(all[1].queue.name, "las");
  // Command-line items start from the scheduler: section (placement best_fit, costs).
  const auto two = ResolvePolicies(s, "tiresias,sjf+packed");
  EXPECT_EQ(two[1].queue.name, "sjf");
  EXPECT_EQ(two[1].placement.name, "packed");
  EXPECT_DOUBLE_EQ(two[1].checkpoint_s, 30);
  EXPECT_THROW(ResolvePolicies(s, "sjf,sjf"), InputError);
  const PolicyScenario pai = LoadPolicyScenario(kDir + "pai.yaml");
  ASSERT_NE(pai.workload->trace_summary(), nullptr);
  EXPECT_EQ(pai.workload->job_set().device_names, std::vector<std::string>{"V100-SXM2-32GB"});
}

}  // namespace
}  // namespace fleetsim
