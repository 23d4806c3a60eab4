// One bad-input file per error message (tests/data/bad_input/*.yaml). Each file starts with
// header comments that state the expectation:
//   # run: validate {file}            (the fleetsim arguments; {file} is this file)
//   # expect: {file}:3:5: error: ...  (must appear in stderr; several lines allowed)
// Every file must make fleetsim exit with code 2, print nothing on stdout, and never crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/scenarios/run_cli.h"

namespace fleetsim {
namespace {

std::vector<std::string> BadInputFiles() {
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(FLEETSIM_TEST_DATA_DIR "/bad_input")) {
    if (e.path().extension() == ".yaml") files.push_back(e.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReplaceAll(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

class BadInputFileTest : public ::testing::TestWithParam<std::string> {};

TEST_P(BadInputFileTest, ExitsTwoWithThePositionedMessage) {
  const std::string path = std::string(FLEETSIM_TEST_DATA_DIR) + "/bad_input/" + GetParam();
  std::ifstream in(path);
  std::string line, run;
  std::vector<std::string> expects;
  while (std::getline(in, line) && line.rfind("#", 0) == 0) {
    if (line.rfind("# run: ", 0) == 0) run = line.substr(7);
    if (line.rfind("# expect: ", 0) == 0) expects.push_back(line.substr(10));
  }
  ASSERT_FALSE(run.empty()) << "no '# run:' header";
  ASSERT_FALSE(expects.empty()) << "no '# expect:' header";
  const auto r = testing::RunCli(ReplaceAll(run, "{file}", testing::ShellQuote(path)));
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  for (const auto& e : expects) {
    EXPECT_NE(r.err.find(ReplaceAll(e, "{file}", path)), std::string::npos)
        << "expected: " << e << "\nstderr:\n"
        << r.err;
  }
}

INSTANTIATE_TEST_SUITE_P(Files, BadInputFileTest, ::testing::ValuesIn(BadInputFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param.substr(0, info.param.size() - 5);
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace fleetsim
