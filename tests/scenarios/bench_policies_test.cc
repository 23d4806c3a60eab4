// `fleetsim bench-policies` and `fleetsim list policies` through the binary: outputs are
// byte-identical whatever the number of threads, the trace summary is printed, and the CSV
// and SVG files hold every policy.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/scenarios/run_cli.h"

namespace fleetsim {
namespace {

using testing::RunCli;
using testing::ShellQuote;

const std::string kDir = std::string(FLEETSIM_TEST_DATA_DIR) + "/scheduling/";

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

std::filesystem::path OutDir(const std::string& name) {
  const auto dir = std::filesystem::path(::testing::TempDir()) /
                   ("fleetsim_bench_policies_" + std::to_string(getpid()) + "_" + name);
  std::filesystem::remove_all(dir);
  return dir;
}

TEST(ListPoliciesTest, ListsEveryKindWithSummaries) {
  const auto r = RunCli("list policies");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* s :
       {"Queue orders", "Backfill modes", "Placements", "Preemption", "Admission", "fifo",
        "easy_backfill", "las", "packed", "cheapest_gpu", "rank", "queue_limit"}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
  }
  const auto j = RunCli("list policies --json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["queue"][0]["name"], "fifo");
  EXPECT_TRUE(doc.contains("placement"));
  EXPECT_NE(RunCli("help").out.find("bench-policies"), std::string::npos);
}

TEST(BenchPoliciesTest, OutputIsIdenticalForAnyNumberOfThreads) {
  const std::string policies =
      "fifo,easy_backfill+packed,tiresias,queue=priority+preemption=priority";
  std::string out[2];
  std::filesystem::path dirs[2] = {OutDir("t1"), OutDir("t4")};
  const int threads[2] = {1, 4};
  for (int i = 0; i < 2; ++i) {
    const auto r = RunCli("bench-policies " + ShellQuote(kDir + "synthetic.yaml") +
                          " --seeds 3 --policies " + ShellQuote(policies) + " --threads " +
                          std::to_string(threads[i]) + " -o " + ShellQuote(dirs[i].string()));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    // The output directory is the only part of stdout that differs.
    out[i] = r.out.substr(0, r.out.find("wrote "));
  }
  EXPECT_EQ(out[0], out[1]);
  for (const char* f : {"policies.csv", "runs.csv", "policies.svg"}) {
    EXPECT_EQ(Slurp(dirs[0] / f), Slurp(dirs[1] / f)) << f;
  }
  // 4 policies x 3 seeds, mean and interval per metric.
  EXPECT_NE(out[0].find("4 policies x 3 seeds"), std::string::npos) << out[0];
  EXPECT_NE(out[0].find("tiresias"), std::string::npos);
  EXPECT_NE(out[0].find(" ± "), std::string::npos);
  const std::string csv = Slurp(dirs[0] / "policies.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 5);  // header + 4 policies
  EXPECT_EQ(csv.rfind("policy,seeds,jct_mean_h_mean,jct_mean_h_ci95,", 0), 0u);
  const std::string runs = Slurp(dirs[0] / "runs.csv");
  EXPECT_EQ(std::count(runs.begin(), runs.end(), '\n'), 13);  // header + 12 runs
  const std::string svg = Slurp(dirs[0] / "policies.svg");
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_NE(svg.find("queue=priority+preemption=priority"), std::string::npos);
  for (auto& d : dirs) std::filesystem::remove_all(d);
}

TEST(BenchPoliciesTest, TraceRunsPrintWhatWasSkipped) {
  const auto dir = OutDir("philly");
  const auto r = RunCli("bench-policies " + ShellQuote(kDir + "philly.yaml") +
                        " --seeds 2 --policies fifo,sjf+best_fit -o " + ShellQuote(dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("7 records, 3 jobs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("skipped 1: no scheduling attempts (first at line 111)"), std::string::npos)
      << r.out;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace fleetsim

namespace fleetsim {
namespace {

// The runs.csv field `key` of the row whose policy is `policy`.
std::string RunsField(const std::string& runs, const std::string& policy, const std::string& key) {
  std::istringstream in(runs);
  std::string header, line;
  std::getline(in, header);
  auto split = [](const std::string& s) {
    std::vector<std::string> v;
    std::stringstream ss(s);
    for (std::string f; std::getline(ss, f, ',');) v.push_back(f);
    return v;
  };
  const auto cols = split(header);
  while (std::getline(in, line)) {
    const auto f = split(line);
    if (f[0] != policy) continue;
    for (size_t i = 0; i < cols.size(); ++i) {
      if (cols[i] == key) return f[i];
    }
  }
  return "";
}

TEST(RunPolicyScenarioTest, RunIsTheSameSimulationAsBenchPolicies) {
  // `fleetsim run` on a policy scenario runs one policy with the scenario's seed; its metrics
  // must be those bench-policies reports for that policy and seed (1 seed = the scenario's).
  const std::string file = std::string(FLEETSIM_SOURCE_DIR) + "/scenarios/inference-affinity.yaml";
  const auto bench_dir = OutDir("run_vs_bench");
  const auto b =
      RunCli("bench-policies " + ShellQuote(file) +
             " --seeds 1 --policies first_fit --threads 1 -o " + ShellQuote(bench_dir.string()));
  ASSERT_EQ(b.exit_code, 0) << b.err;
  const auto run_dir = OutDir("run_first_fit");
  const auto r = RunCli("run " + ShellQuote(file) + " --policy first_fit --quiet -o " +
                        ShellQuote(run_dir.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("policy 'first_fit'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("weight loads"), std::string::npos) << r.out;
  std::ifstream in(run_dir / "summary.json");
  const nlohmann::json s = nlohmann::json::parse(in);
  const std::string runs = Slurp(bench_dir / "runs.csv");
  const auto& m = s["scheduler"];
  EXPECT_EQ(m["placement"], "first_fit");
  EXPECT_EQ(std::to_string(m["completed"].get<int64_t>()),
            RunsField(runs, "first_fit", "completed"));
  EXPECT_EQ(std::to_string(m["weight_loads"].get<int64_t>()),
            RunsField(runs, "first_fit", "weight_loads"));
  EXPECT_NEAR(m["jct_mean_s"].get<double>(), std::stod(RunsField(runs, "first_fit", "jct_mean_s")),
              1e-6 * m["jct_mean_s"].get<double>());
  EXPECT_NEAR(m["weight_load_gpu_h"].get<double>(),
              std::stod(RunsField(runs, "first_fit", "weight_load_gpu_h")), 1e-6);
  // The time series ends with every job completed and no GPU held.
  const std::string ts = Slurp(run_dir / "timeseries.csv");
  EXPECT_EQ(ts.rfind("time_s,scheduler.jobs_waiting,scheduler.jobs_running,", 0), 0u);
  const std::string last = ts.substr(ts.rfind('\n', ts.size() - 2) + 1);
  EXPECT_NE(last.find(",0,0," + std::to_string(m["completed"].get<int64_t>()) + ",0,0,"),
            std::string::npos)
      << last;
  EXPECT_TRUE(std::filesystem::exists(run_dir / "report.html"));
  std::filesystem::remove_all(bench_dir);
  std::filesystem::remove_all(run_dir);
}

}  // namespace
}  // namespace fleetsim
