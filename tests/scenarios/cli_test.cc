#include <gtest/gtest.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "tests/scenarios/run_cli.h"

namespace fleetsim {
namespace {

using testing::RunCli;

TEST(CliTest, EstimateGpt3PrintsTheEssaysNumbers) {
  const auto r = RunCli("estimate --model gpt3-175b --price '$2/h' --training-tokens 300B");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 2 n p with the card's computed p = 174,604,259,328 and n = 1024: 3.576e14 FLOP.
  EXPECT_NE(r.out.find("3.576e+14 FLOP"), std::string::npos) << r.out;
  // 6 p D = 6 * 174,604,259,328 * 300e9 = 3.143e23 FLOP; at 312e12 FLOP/s that is
  // 1,007,332,265 s = 279,814.5 device-hours (printed 279,815), at $2/h $559,629.
  EXPECT_NE(r.out.find("279,815"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("$559,629"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("training FLOPs, 6pD"), std::string::npos);
}

TEST(CliTest, EstimateJsonHasTheDocumentedKeys) {
  const auto r = RunCli(
      "estimate --params 175B --device A100 --price '$2/h' "
      "--training-tokens 300B --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  // 2 * 1024 * 175e9 = 3.584e14; 6 * 175e9 * 300e9 = 3.15e23; 175e9 * 2 B = 350 GB.
  EXPECT_DOUBLE_EQ(j["inference_flops"].get<double>(), 3.584e14);
  EXPECT_DOUBLE_EQ(j["training_flops"].get<double>(), 3.15e23);
  EXPECT_DOUBLE_EQ(j["weights_bytes"].get<double>(), 350e9);
  for (const char* key : {"gpu_seconds_per_1k_tokens", "cost_usd_per_1k_tokens",
                          "training_cost_usd", "training_gpu_hours", "energy_kwh", "schema"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
}

TEST(CliTest, OutputIsByteIdenticalAcrossRuns) {
  const auto a = RunCli("estimate --model llama2-70b --device H100 --devices 8 --json");
  const auto b = RunCli("estimate --model llama2-70b --device H100 --devices 8 --json");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
}

TEST(CliTest, ListShowsTheCatalog) {
  const auto gpus = RunCli("list gpus");
  ASSERT_EQ(gpus.exit_code, 0) << gpus.err;
  EXPECT_NE(gpus.out.find("H100"), std::string::npos);
  const auto models = RunCli("list models --json");
  ASSERT_EQ(models.exit_code, 0) << models.err;
  EXPECT_GE(nlohmann::json::parse(models.out).size(), 18u);
}

TEST(CliTest, ListRoutersNamesEveryRouter) {
  const auto r = RunCli("list routers");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"round_robin", "least_outstanding", "shortest_queue", "kv_aware"}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
  }
}

TEST(CliTest, ListBatchingModesAndPrecisions) {
  // The three batching modes a scenario's batching.mode accepts, and the seven precisions
  // (models/precision.h) with their bytes per element: int4 packs two weights per byte.
  const auto b = RunCli("list batching");
  ASSERT_EQ(b.exit_code, 0) << b.err;
  for (const char* name : {"static", "continuous", "chunked"}) {
    EXPECT_NE(b.out.find(name), std::string::npos) << name;
  }
  const auto p = RunCli("list precisions --json");
  ASSERT_EQ(p.exit_code, 0) << p.err;
  const auto arr = nlohmann::json::parse(p.out);
  ASSERT_EQ(arr.size(), 7u);
  std::vector<std::string> names;
  for (const auto& e : arr) names.push_back(e["name"]);
  EXPECT_EQ(names,
            (std::vector<std::string>{"fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4"}));
  EXPECT_NE(arr[6]["summary"].get<std::string>().find("0.5 bytes per element"), std::string::npos);
  EXPECT_NE(arr[3]["summary"].get<std::string>().find("2 bytes per element"), std::string::npos);
  // A typo gets the closest name.
  const auto bad = RunCli("list precision");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("precisions"), std::string::npos) << bad.err;
}

TEST(CliTest, ShippedCatalogFilesValidate) {
  for (const char* f : {"models/catalog/devices.yaml", "models/catalog/models.yaml"}) {
    const auto r = RunCli(std::string("validate ") + FLEETSIM_SOURCE_DIR + "/" + f);
    EXPECT_EQ(r.exit_code, 0) << f << ": " << r.err;
    EXPECT_NE(r.out.find(": ok:"), std::string::npos);
  }
}

// Bad command lines: exit 2, a message that names the problem, and a suggestion.
struct BadArgs {
  const char* args;
  const char* expected;
};

class BadCommandLineTest : public ::testing::TestWithParam<BadArgs> {};

TEST_P(BadCommandLineTest, ExitsTwoWithAClearMessage) {
  const auto r = RunCli(GetParam().args);
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find(GetParam().expected), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

INSTANTIATE_TEST_SUITE_P(
    Cli, BadCommandLineTest,
    ::testing::Values(
        BadArgs{"estimat",
                "unknown command 'estimat' (see 'fleetsim help')\ndid you mean 'estimate'?"},
        BadArgs{"", "usage: fleetsim COMMAND"},
        BadArgs{"estimate --modle gpt3-175b",
                "unknown option '--modle' for 'fleetsim estimate' (see 'fleetsim estimate "
                "--help')\ndid you mean '--model'?"},
        BadArgs{"estimate --model", "option '--model' needs a value: --model NAME"},
        BadArgs{"estimate --model gpt3-175b --model gpt3-175b", "option '--model' given twice"},
        BadArgs{"estimate --model gtp3-175b", "unknown model 'gtp3-175b'"},
        BadArgs{"estimate --model gpt3-175b --device H10O", "did you mean 'H100'?"},
        BadArgs{"estimate --params 175B --price '$2/hrs'", "unknown unit 'hrs'"},
        BadArgs{"estimate --params 175B --price '2 GB'",
                "--price '2 GB': expected a price per unit of time"},
        BadArgs{"estimate --params 175B --precision fp61", "did you mean 'fp16'?"},
        BadArgs{"estimate --params 175B --utilization 1.5", "must be between 0 and 1"},
        BadArgs{"estimate --params 175B --devices two", "--devices 'two': expected an integer"},
        BadArgs{"estimate --params 175B --devices 0", "--devices must be at least 1"},
        BadArgs{"estimate --params 175X", "unknown count suffix 'X'"},
        BadArgs{"estimate", "give --model NAME or --params COUNT"},
        BadArgs{"estimate --model gpt3-175b --device A100 --precision fp8", "has no fp8 datapath"},
        BadArgs{"estimate --params 1B --catalog /nonexistent.yaml",
                "/nonexistent.yaml: error: cannot open file"},
        BadArgs{"list gpuz", "did you mean 'gpus'?"}, BadArgs{"list", "'fleetsim list' needs WHAT"},
        BadArgs{"validate a.yaml b.yaml", "unexpected argument 'b.yaml'"},
        BadArgs{"estimate --json=yes --params 1B", "option '--json' takes no value"}),
    [](const ::testing::TestParamInfo<BadArgs>& info) {
      // A readable test name from the arguments: "estimate_modle_gpt3_175b".
      std::string n;
      for (const char* p = info.param.args; *p && n.size() < 48; ++p) {
        if (std::isalnum(static_cast<unsigned char>(*p)))
          n += *p;
        else if (!n.empty() && n.back() != '_')
          n += '_';
      }
      return std::to_string(info.index) + "_" + n;
    });

}  // namespace
}  // namespace fleetsim
