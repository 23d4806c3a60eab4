// docs/tutorial.md runs as written: every "$ fleetsim ..." line of its console blocks is run
// from the source directory (outputs under a temporary directory instead of out/), and its
// stdout must equal the lines that follow it in the page. A line "<wall time>" in the page
// stands for the run's wall-clock line, which varies.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "tests/scenarios/run_cli.h"
#include "tests/temp_path.h"

namespace fleetsim {
namespace {

struct Step {
  std::string args;
  std::vector<std::string> expected;
};

std::vector<Step> ReadSteps(const std::string& path) {
  std::ifstream in(path);
  std::vector<Step> steps;
  std::string line;
  bool in_console = false;
  while (std::getline(in, line)) {
    if (line == "```console") {
      in_console = true;
    } else if (in_console && line == "```") {
      in_console = false;
    } else if (in_console && line.rfind("$ fleetsim ", 0) == 0) {
      steps.push_back({line.substr(11), {}});
    } else if (in_console && !steps.empty()) {
      steps.back().expected.push_back(line);
    }
  }
  return steps;
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
  return s;
}

TEST(TutorialTest, EveryCommandPrintsWhatThePageShows) {
  const std::string src = FLEETSIM_SOURCE_DIR;
  const auto steps = ReadSteps(src + "/docs/tutorial.md");
  ASSERT_GE(steps.size(), 3u);
  const std::string out = testing::TempPath("tutorial") + "/";
  for (const Step& step : steps) {
    // Quote each argument (the page's arguments have no spaces or quotes).
    std::string args;
    std::istringstream words(Replace(step.args, "out/", out));
    for (std::string w; words >> w;) args += " " + testing::ShellQuote(w);
    const std::string cmd = "cd " + testing::ShellQuote(src) + " && " +
                            testing::ShellQuote(FLEETSIM_BINARY) + args + " 2>/dev/null";
    FILE* pipe = popen(cmd.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string text;
    std::array<char, 4096> buf;
    for (size_t n; (n = fread(buf.data(), 1, buf.size(), pipe)) > 0;) text.append(buf.data(), n);
    const int status = pclose(pipe);
    EXPECT_EQ(WEXITSTATUS(status), 0) << step.args;
    std::vector<std::string> got;
    std::istringstream lines(text);
    for (std::string l; std::getline(lines, l);) {
      if (l.find(" s of wall time; outputs in ") != std::string::npos) l = "  <wall time>";
      got.push_back(Replace(l, out, "out/"));
    }
    EXPECT_EQ(got, step.expected) << "$ fleetsim " << step.args << "\nprinted:\n" << text;
  }
}

}  // namespace
}  // namespace fleetsim
