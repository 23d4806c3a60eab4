// Golden summaries: every shipped `fleetsim run` scenario runs here, and its summary.json must
// equal the reviewed copy in tests/data/golden/ (numbers to 1e-9 relative, everything else
// exactly). A model change that moves a result shows up as a diff of those files, reviewed
// like code. To accept new results after reviewing them:
//   FLEETSIM_UPDATE_GOLDEN=1 ctest --preset debug-asan -R Golden
// Long serving scenarios run a shortened horizon (given below) to keep the suite fast; the
// training scenarios run whole.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/scenarios/run_cli.h"
#include "tests/temp_path.h"

namespace fleetsim {
namespace {

using Json = nlohmann::ordered_json;
using testing::RunCli;
using testing::ShellQuote;

struct Case {
  const char* scenario;   // in scenarios/
  const char* overrides;  // extra arguments
};

const Case kCases[] = {
    {"chatbot-launch", "--set 'duration=2 h'"},
    {"chatbot-hybrid", "--set 'duration=2 h'"},
    {"big-model-small-gpus", "--set 'duration=10 min'"},
    {"hetero-a100-a10", "--set 'duration=1 h'"},
    {"two-models-swapping", "--set 'duration=2 h'"},
    {"image-gen-egress", "--set 'duration=2 h'"},
    {"llama405b-pipeline-h100", ""},
    {"chatbot-sizing", ""},
    {"gpt3-175b-a100", ""},
    {"llama-65b-a100", ""},
    {"llama3-405b-h100", ""},
    {"two-jobs-shared-uplinks", ""},
    {"chatbot-spot", ""},  // whole: its spot interruptions and the spike
    {"training-on-spot", ""},
    // Policy scenarios: one run of the scheduler: section (scenarios/policy_run.h).
    {"policy-study", ""},
    {"inference-affinity", ""},
};

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Appends to `diffs` where `got` differs from `want`, by JSON path.
void Compare(const Json& want, const Json& got, const std::string& path,
             std::vector<std::string>& diffs) {
  if (diffs.size() > 20) return;
  if (want.is_number() && got.is_number()) {
    const double a = want.get<double>(), b = got.get<double>();
    if (std::fabs(a - b) > 1e-9 * std::max(std::fabs(a), std::fabs(b)) + 1e-12) {
      diffs.push_back(path + ": golden " + want.dump() + ", now " + got.dump());
    }
    return;
  }
  if (want.type() != got.type()) {
    diffs.push_back(path + ": golden " + want.dump() + ", now " + got.dump());
    return;
  }
  if (want.is_object()) {
    for (const auto& [k, v] : want.items()) {
      if (!got.contains(k)) {
        diffs.push_back(path + "." + k + ": missing now");
      } else {
        Compare(v, got[k], path + "." + k, diffs);
      }
    }
    for (const auto& [k, v] : got.items()) {
      if (!want.contains(k)) diffs.push_back(path + "." + k + ": new key, " + v.dump());
    }
  } else if (want.is_array()) {
    if (want.size() != got.size()) {
      diffs.push_back(path + ": " + std::to_string(want.size()) + " items in the golden, " +
                      std::to_string(got.size()) + " now");
      return;
    }
    for (size_t i = 0; i < want.size(); ++i) {
      Compare(want[i], got[i], path + "[" + std::to_string(i) + "]", diffs);
    }
  } else if (want != got) {
    diffs.push_back(path + ": golden " + want.dump() + ", now " + got.dump());
  }
}

class GoldenTest : public ::testing::TestWithParam<Case> {};

TEST_P(GoldenTest, SummaryMatchesTheReviewedGolden) {
  const Case& c = GetParam();
  const std::string out = testing::TempPath(std::string("golden_") + c.scenario);
  const std::string file = std::string(FLEETSIM_SOURCE_DIR) + "/scenarios/" + c.scenario + ".yaml";
  const auto r =
      RunCli("run " + ShellQuote(file) + " " + c.overrides + " --quiet -o " + ShellQuote(out));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json got = Json::parse(Read(out + "/summary.json"));
  const std::string golden =
      std::string(FLEETSIM_TEST_DATA_DIR) + "/golden/" + c.scenario + ".summary.json";
  const char* update = std::getenv("FLEETSIM_UPDATE_GOLDEN");
  if (update && std::string(update) == "1") {
    std::ofstream(golden) << got.dump(2) << "\n";
    GTEST_SKIP() << "golden written: " << golden;
  }
  const std::string text = Read(golden);
  ASSERT_FALSE(text.empty()) << "no golden " << golden
                             << "; run with FLEETSIM_UPDATE_GOLDEN=1 to create it";
  std::vector<std::string> diffs;
  Compare(Json::parse(text), got, "summary", diffs);
  std::string all;
  for (const auto& d : diffs) all += "  " + d + "\n";
  EXPECT_TRUE(diffs.empty()) << c.scenario << " differs from " << golden << ":\n"
                             << all << "If the change is intended, review it and run "
                             << "FLEETSIM_UPDATE_GOLDEN=1 ctest --preset debug-asan -R Golden";
}

INSTANTIATE_TEST_SUITE_P(Shipped, GoldenTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           std::string n = info.param.scenario;
                           for (char& ch : n) {
                             if (ch == '-') ch = '_';
                           }
                           return n;
                         });

TEST(GoldenCoverageTest, EveryShippedRunScenarioHasAGolden) {
  // Every scenarios/*.yaml that `fleetsim run` takes must be in kCases, so a new scenario
  // cannot ship without a golden (policy scenarios included: `run` takes them too); the
  // compare and size studies live in scenarios/studies/.
  int checked = 0;
  for (const auto& e :
       std::filesystem::directory_iterator(std::string(FLEETSIM_SOURCE_DIR) + "/scenarios")) {
    if (e.path().extension() != ".yaml") continue;
    const std::string name = e.path().stem().string();
    bool found = false;
    for (const auto& c : kCases) found |= name == c.scenario;
    EXPECT_TRUE(found) << "scenarios/" << name << ".yaml has no golden summary test";
    ++checked;
  }
  EXPECT_GE(checked, 7);
}

}  // namespace
}  // namespace fleetsim
