#include <gtest/gtest.h>

#include "tests/temp_path.h"

#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/scenarios/run_cli.h"

namespace fleetsim {
namespace {

using testing::RunCli;
using testing::ShellQuote;
using testing::TempPath;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Scenario(const char* name) {
  return std::string(FLEETSIM_SOURCE_DIR) + "/scenarios/" + name;
}

TEST(RunTest, ShippedTrainingScenariosRun) {
  // GPT-3 175B on 1,024 A100: no failures, finishes within the 40 simulated days; the
  // iteration breakdown adds up to the iteration time.
  const std::string out = testing::TempPath("run_gpt3");
  auto r = RunCli("run " + ShellQuote(Scenario("gpt3-175b-a100.yaml")) + " --quiet -o " +
                  ShellQuote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto job = nlohmann::json::parse(Read(out + "/summary.json"))["training_jobs"][0];
  EXPECT_EQ(job["gpus"].get<int>(), 1024);
  EXPECT_TRUE(job["finished"].get<bool>());
  EXPECT_EQ(job["failures"].get<int>(), 0);
  const auto& it = job["iteration"];
  EXPECT_NEAR(it["compute_s"].get<double>() + it["tp_comm_s"].get<double>() +
                  it["pipeline_bubble_s"].get<double>() + it["pp_comm_exposed_s"].get<double>() +
                  it["dp_comm_exposed_s"].get<double>() + it["optimizer_s"].get<double>(),
              it["seconds"].get<double>(), 1e-6);
  EXPECT_NEAR(job["time_to_train_s"].get<double>(),
              job["time_to_train_no_failures_s"].get<double>(), 1.0);
  // Llama 3 405B on 16,384 H100 at Llama 3's failure rate (one job failure every ~3.1 h):
  // hundreds of failures, sampled goodput near the first-order expectation (~0.91).
  const std::string out2 = testing::TempPath("run_llama3");
  r = RunCli("run " + ShellQuote(Scenario("llama3-405b-h100.yaml")) + " --quiet -o " +
             ShellQuote(out2));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  job = nlohmann::json::parse(Read(out2 + "/summary.json"))["training_jobs"][0];
  EXPECT_GT(job["failures"].get<int>(), 100);
  EXPECT_GT(job["lost_work_s"].get<double>(), 0);
  EXPECT_NEAR(job["goodput_sampled"].get<double>(), job["goodput_expected"].get<double>(), 0.02);
  const auto trace = nlohmann::json::parse(Read(out2 + "/trace.json"));
  EXPECT_TRUE(trace.contains("traceEvents"));
}

TEST(RunTest, TwoPlacedTrainingJobsShareUplinks) {
  // scenarios/two-jobs-shared-uplinks.yaml: on every rail the two jobs' gradient rings share
  // one cable up and one down between the leaves (15:1 leaves, one uplink each), so each
  // ring flow gets 12.5 of 25 GB/s and the all-reduce takes twice the closed form's
  // dp_comm_total_s; with dp_overlap off it is all exposed, so each iteration on the fabric
  // is the closed-form iteration + dp_comm_total_s. Alone (job b removed) the ring flows have
  // their cables to themselves: the closed form (up to route latencies, microseconds).
  const std::string yaml = Read(Scenario("two-jobs-shared-uplinks.yaml"));
  const std::string out = TempPath("run_two_jobs");
  auto r = RunCli("run " + ShellQuote(Scenario("two-jobs-shared-uplinks.yaml")) + " --quiet -o " +
                  ShellQuote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto jobs = nlohmann::json::parse(Read(out + "/summary.json"))["training_jobs"];
  ASSERT_EQ(jobs.size(), 2u);
  for (const auto& job : jobs) {
    const double closed = job["iteration"]["seconds"].get<double>();
    const double dp = job["iteration"]["dp_comm_total_s"].get<double>();
    ASSERT_TRUE(job.contains("fabric")) << job.dump();
    EXPECT_NEAR(job["fabric"]["min_iteration_s"].get<double>(), closed + dp, 1e-4);
    EXPECT_NEAR(job["fabric"]["max_iteration_s"].get<double>(), closed + dp, 1e-4);
    EXPECT_EQ(job["fabric"]["fast_forwarded_iterations"].get<int>(), 0);  // never alone
    EXPECT_TRUE(job["finished"].get<bool>());
  }
  EXPECT_EQ(jobs[0]["fabric"]["servers"], nlohmann::json::array({"dgx0", "dgx15"}));
  // Job a alone.
  const std::string alone_yaml = TempPath("two_jobs_alone") + ".yaml";
  {
    std::string a = yaml.substr(0, yaml.find("  - name: b"));
    a.replace(a.find("layout: &layout"), 15, "layout:");
    std::ofstream(alone_yaml) << a;
  }
  const std::string out2 = TempPath("run_two_jobs_alone");
  r = RunCli("run " + ShellQuote(alone_yaml) + " --quiet -o " + ShellQuote(out2));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = nlohmann::json::parse(Read(out2 + "/summary.json"))["training_jobs"][0];
  EXPECT_NEAR(a["fabric"]["alone_iteration_s"].get<double>(),
              a["iteration"]["seconds"].get<double>(), 1e-4);
  EXPECT_EQ(a["fabric"]["op_level_iterations"].get<int>(), 1);  // then fast-forwarded
  // Together each finishes later than alone by one all-reduce per iteration.
  EXPECT_GT(jobs[0]["time_to_train_s"].get<double>(), a["time_to_train_s"].get<double>());
  std::remove(alone_yaml.c_str());

  // Job b starting 20 min later: a runs alone (one op-level iteration of T = 2.3424 s, then
  // fast-forwarded to 512 T = 1,199.33 s, the last boundary before b's announced start).
  // From then on both iterate with the same period T, b's all-reduce windows (the last
  // 0.107 s of each iteration) 1.67 s after a's: they never overlap, so neither slows and
  // each needs 1,526 T = 3,574.6 s from its own start.
  const std::string later_yaml = TempPath("two_jobs_later") + ".yaml";
  {
    std::string l = yaml;
    l.replace(l.find("  - name: b\n"), 12, "  - name: b\n    start: \"20 min\"\n");
    std::ofstream(later_yaml) << l;
  }
  const std::string out3 = TempPath("run_two_jobs_later");
  r = RunCli("run " + ShellQuote(later_yaml) + " --quiet -o " + ShellQuote(out3));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto later = nlohmann::json::parse(Read(out3 + "/summary.json"))["training_jobs"];
  const double t = a["fabric"]["alone_iteration_s"].get<double>();
  EXPECT_NEAR(later[0]["time_to_train_s"].get<double>(), 1526 * t, 1e-3);
  EXPECT_NEAR(later[1]["time_to_train_s"].get<double>(), 1526 * t, 1e-3);
  EXPECT_NEAR(later[1]["fabric"]["max_iteration_s"].get<double>(), t, 1e-6);
  EXPECT_EQ(later[0]["fabric"]["fast_forwarded_iterations"].get<int>(), 511);
  EXPECT_GT(later[1]["fabric"]["fast_forwarded_iterations"].get<int>(), 0);  // after a ends
  std::remove(later_yaml.c_str());
}

TEST(RunTest, ChatbotLaunchRunsAndAccountsForEveryRequest) {
  const std::string out = testing::TempPath("run_chat");
  const auto r = RunCli("run " + ShellQuote(Scenario("chatbot-launch.yaml")) +
                        " --set 'duration=30 min' --quiet -o " + ShellQuote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto summary = nlohmann::json::parse(Read(out + "/summary.json"));
  EXPECT_EQ(summary["schema"], "fleetsim.summary/1");
  EXPECT_EQ(summary["status"], "completed");
  const auto& svc = summary["services"][0];
  // Autoscaled from 2 replicas x TP 4 = 8 GPUs at the start; every request accounted for.
  EXPECT_EQ(svc["gpus"].get<int>(), 8);
  EXPECT_EQ(svc["scaling"]["policy"], "queue_length");
  EXPECT_GE(svc["scaling"]["mean_replicas"].get<double>(), 2.0);  // never below min
  // Billed: at least the 2 replicas' one p5 instance (8 GPUs) for 30 min at $6.88/GPU-h.
  EXPECT_GE(svc["cost_usd"].get<double>(), 8 * 6.88 * 0.5 - 1e-9);
  EXPECT_TRUE(svc["accounted"].get<bool>());
  EXPECT_EQ(svc["arrived"].get<uint64_t>(), svc["completed"].get<uint64_t>() +
                                                svc["rejected"].get<uint64_t>() +
                                                svc["in_flight_at_end"].get<uint64_t>());
  EXPECT_GT(svc["completed"].get<uint64_t>(), 1000u);
  // 30 min at 1 min intervals: rows at 0, 1, ..., 30 min plus the header.
  const std::string ts = Read(out + "/timeseries.csv");
  EXPECT_EQ(std::count(ts.begin(), ts.end(), '\n'), 32);
  // The trace parses and says whether it is complete.
  const auto trace = nlohmann::json::parse(Read(out + "/trace.json"));
  EXPECT_TRUE(trace.contains("traceEvents"));
  EXPECT_EQ(trace["fleetsim"]["schema"], "fleetsim.trace/1");
}

TEST(RunTest, WeightStreamingScenarioStreamsOverPcie) {
  const std::string out = testing::TempPath("run_big");
  const auto r = RunCli("run " + ShellQuote(Scenario("big-model-small-gpus.yaml")) +
                        " --set 'duration=10 min' --quiet -o " + ShellQuote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto svc = nlohmann::json::parse(Read(out + "/summary.json"))["services"][0];
  // Llama-2-70B fp16 over TP 2: 68.98e9 x 2 B / 2 = 69.0 GB of weights per GPU; an L40S has
  // 48 GB, so a large part streams every iteration, and each decode step lasts at least
  // streamed / 25.6 GB/s (PCIe 4.0 x16 at 80 %) > 1 s.
  EXPECT_NEAR(svc["weights_bytes_per_gpu"].get<double>(), 68.98e9, 0.01e9);
  const double streamed = svc["streamed_bytes_per_gpu_per_iteration"].get<double>();
  EXPECT_GT(streamed, 21e9);  // at least the weights beyond the card's 48 GB
  EXPECT_GE(svc["overall"]["tpot_s"]["p50"].get<double>(), streamed / 25.6e9);
}

TEST(RunTest, ShippedPolicyStudyRuns) {
  // The README's bench-policies example: 2 policies x 2 seeds, a table with both policies.
  const std::string out = testing::TempPath("policy_study");
  const auto r = RunCli("bench-policies " + ShellQuote(Scenario("policy-study.yaml")) +
                        " --policies fifo,tiresias --seeds 2 -o " + ShellQuote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("fifo"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tiresias"), std::string::npos) << r.out;
}

TEST(RunTest, SameSeedGivesByteIdenticalOutputs) {
  const std::string a = testing::TempPath("run_a"), b = testing::TempPath("run_b");
  for (const auto& out : {a, b}) {
    const auto r = RunCli("run " + ShellQuote(Scenario("chatbot-launch.yaml")) +
                          " --set 'duration=20 min' --quiet -o " + ShellQuote(out));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  for (const char* f : {"/summary.json", "/timeseries.csv", "/trace.json", "/report.html"}) {
    EXPECT_EQ(Read(a + f), Read(b + f)) << f;
  }
  // Another seed gives another run.
  const std::string c = testing::TempPath("run_c");
  ASSERT_EQ(RunCli("run " + ShellQuote(Scenario("chatbot-launch.yaml")) +
                   " --set 'duration=20 min' --seed 2 --quiet -o " + ShellQuote(c))
                .exit_code,
            0);
  EXPECT_NE(Read(a + "/summary.json"), Read(c + "/summary.json"));
}

}  // namespace
}  // namespace fleetsim
