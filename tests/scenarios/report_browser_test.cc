// report.html in a real headless browser (Debian's chromium): the real binary writes the
// pages of a run, a bench-policies sweep, a compare study and a sizing search; chromium
// loads each with the network blocked, and the test fails on any console message, script
// error, blocked load, or chart drawn without data (the page's #report-status,
// report_html.h). Screenshots are kept in the build directory (test-artifacts/). Without
// chromium the test fails: the README's `bash scripts/bootstrap.sh test` installs it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "tests/scenarios/run_cli.h"
#include "tests/temp_path.h"

namespace fleetsim {
namespace {

namespace fs = std::filesystem;
using testing::RunCli;
using testing::ShellQuote;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// FLEETSIM_CHROMIUM, else the first of the usual names on PATH; empty if none.
std::string FindChromium() {
  if (const char* env = std::getenv("FLEETSIM_CHROMIUM"); env && *env) {
    return access(env, X_OK) == 0 ? env : "";
  }
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::vector<std::string> entries;
  for (std::string d; std::getline(dirs, d, ':');) entries.push_back(d);
  for (const char* name :
       {"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}) {
    for (const auto& d : entries) {
      const std::string p = d + "/" + name;
      if (!d.empty() && access(p.c_str(), X_OK) == 0) return p;
    }
  }
  return "";
}

struct BrowserResult {
  int exit_code = -1;
  std::string dom;
  std::string log;
};

// One headless chromium run with its own profile, the network mapped to nowhere and a hard
// time limit. `mode` is "--dump-dom" or "--screenshot=PATH".
BrowserResult Chromium(const std::string& chromium, const std::string& page,
                       const std::string& mode, const std::string& tag) {
  const std::string profile = testing::TempPath("chromium_profile_" + tag);
  fs::create_directories(profile);
  const std::string dom = testing::TempPath("chromium_dom_" + tag);
  const std::string log = testing::TempPath("chromium_log_" + tag);
  // HOME and the XDG folders point into the profile too: CI may have no writable home.
  // --no-sandbox: chromium refuses to start as root without it, and containers often lack
  // the namespaces its sandbox needs; the page is our own file.
  std::string cmd = "env HOME=" + ShellQuote(profile) +
                    " XDG_CONFIG_HOME=" + ShellQuote(profile + "/config") +
                    " XDG_CACHE_HOME=" + ShellQuote(profile + "/cache") + " timeout -k 10 120 " +
                    ShellQuote(chromium) +
                    " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --no-first-run"
                    " --no-default-browser-check --disable-extensions --disable-sync"
                    " --hide-scrollbars --window-size=1280,4000"
                    " --host-resolver-rules='MAP * ~NOTFOUND'"
                    " --enable-logging=stderr --v=0 --user-data-dir=" +
                    ShellQuote(profile);
  cmd += " " + mode + " " + ShellQuote("file://" + page) + " >" + ShellQuote(dom) + " 2>" +
         ShellQuote(log) + " </dev/null";
  BrowserResult r;
  const int status = std::system(cmd.c_str());
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.dom = Read(dom);
  r.log = Read(log);
  std::error_code ec;
  fs::remove_all(profile, ec);
  fs::remove(dom, ec);
  fs::remove(log, ec);
  return r;
}

std::string Unescape(std::string s) {
  for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
           {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&amp;", "&"}}) {
    for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
      s.replace(p, from.size(), to);
    }
  }
  return s;
}

// Loads the page, checks its health, and keeps a screenshot. `min_charts`: how many charts
// the page must at least have drawn.
void CheckPage(const std::string& chromium, const std::string& page, const std::string& name,
               size_t min_charts, const std::vector<std::string>& required_ids) {
  SCOPED_TRACE(page);
  // A browser that did not start (no DOM at all) is retried once; a page problem is not.
  BrowserResult r = Chromium(chromium, page, "--dump-dom", name);
  if (r.dom.find("</html>") == std::string::npos) r = Chromium(chromium, page, "--dump-dom", name);
  ASSERT_EQ(r.exit_code, 0) << "chromium failed:\n" << r.log;
  ASSERT_NE(r.dom.find("</html>"), std::string::npos) << "no DOM from chromium:\n" << r.log;

  // Any console message (the page itself never logs) or uncaught error is a failure.
  std::stringstream log(r.log);
  for (std::string line; std::getline(log, line);) {
    EXPECT_EQ(line.find("CONSOLE"), std::string::npos) << line;
    EXPECT_EQ(line.find("Uncaught"), std::string::npos) << line;
  }

  // The page's own account: every chart drew points, no script error, nothing blocked.
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(r.dom, m, std::regex("<pre id=\"report-status\"[^>]*>([^<]*)</pre>")))
      << "no #report-status: the page's script did not run to the end";
  const auto status = nlohmann::json::parse(Unescape(m[1].str()));
  EXPECT_TRUE(status["errors"].empty()) << status.dump(2);
  EXPECT_TRUE(status["empty"].empty()) << "charts without data: " << status["empty"].dump();
  EXPECT_GE(status["charts"].get<size_t>(), min_charts) << status.dump();
  EXPECT_NE(r.dom.find("data-report-status=\"ok\""), std::string::npos);
  // Each chart section says how many points it drew.
  const std::regex points(
      "<section class=\"chart[^\"]*\" id=\"([^\"]+)\" data-points=\"([0-9]+)\"");
  size_t sections = 0;
  for (auto it = std::sregex_iterator(r.dom.begin(), r.dom.end(), points);
       it != std::sregex_iterator(); ++it) {
    ++sections;
    EXPECT_GT(std::stoll((*it)[2].str()), 0) << "chart " << (*it)[1].str() << " has no data";
  }
  EXPECT_EQ(sections, status["charts"].get<size_t>());
  for (const auto& id : required_ids) {
    EXPECT_NE(r.dom.find("id=\"" + id + "\" data-points=\""), std::string::npos)
        << "no chart " << id;
  }

  // The screenshot, kept as a test artifact.
  fs::create_directories(FLEETSIM_ARTIFACT_DIR);
  const std::string png = std::string(FLEETSIM_ARTIFACT_DIR) + "/" + name + ".png";
  fs::remove(png);
  BrowserResult shot = Chromium(chromium, page, "--screenshot=" + ShellQuote(png), name);
  if (!fs::exists(png)) shot = Chromium(chromium, page, "--screenshot=" + ShellQuote(png), name);
  ASSERT_TRUE(fs::exists(png)) << "no screenshot:\n" << shot.log;
  const std::string bytes = Read(png);
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(bytes.size(), 10000u) << "suspiciously small screenshot";
}

TEST(ReportBrowserTest, RunPolicyAndComparePagesLoadCleanlyWithDataInEveryChart) {
  const std::string chromium = FindChromium();
  ASSERT_FALSE(chromium.empty())
      << "chromium not found (PATH, or FLEETSIM_CHROMIUM): this test opens report.html in a "
         "real headless browser. Install it with `apt-get install chromium`; "
         "`bash scripts/bootstrap.sh test` does.";

  // A run with a service and a training job: demand and replicas, queue, TTFT and TPOT
  // over time (with the interactive class's SLOs), utilisation, tokens trained and the
  // iteration breakdown at least.
  const std::string run_dir = testing::TempPath("report_browser_run");
  auto r =
      RunCli("run " +
             ShellQuote(std::string(FLEETSIM_TEST_DATA_DIR) + "/report/service_and_training.yaml") +
             " --quiet -o " + ShellQuote(run_dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_TRUE(fs::exists(run_dir + "/report.html"));
  CheckPage(chromium, run_dir + "/report.html", "report-run", 7,
            {"chart-chat-demand-capacity-and-replicas", "chart-chat-queue-and-batch",
             "chart-chat-ttft-over-time", "chart-chat-tpot-over-time",
             "chart-utilisation-gpu-kv-cache-links", "chart-training-tokens-trained",
             "chart-training-breakdown-of-one-iteration"});

  // `fleetsim report DIR` regenerates the same page from the files.
  const std::string first = Read(run_dir + "/report.html");
  fs::remove(run_dir + "/report.html");
  r = RunCli("report " + ShellQuote(run_dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Read(run_dir + "/report.html"), first);

  // A policy comparison: one panel per metric (8 metrics).
  const std::string bench_dir = testing::TempPath("report_browser_bench");
  r = RunCli("bench-policies " +
             ShellQuote(std::string(FLEETSIM_TEST_DATA_DIR) + "/scheduling/synthetic.yaml") +
             " --seeds 3 --threads 2 --policies fifo,easy_backfill,tiresias -o " +
             ShellQuote(bench_dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  CheckPage(chromium, bench_dir + "/report.html", "report-policies", 8,
            {"chart-jct-mean", "chart-cost"});

  // fleetsim compare's pages reuse the module: plans over months, and bars per plan.
  const std::string compare_dir = testing::TempPath("report_browser_compare");
  r = RunCli("compare " + ShellQuote(std::string(FLEETSIM_TEST_DATA_DIR) + "/study/steady.yaml") +
             " -o " + ShellQuote(compare_dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  CheckPage(chromium, compare_dir + "/report.html", "report-compare", 3, {});
  CheckPage(chromium, compare_dir + "/plans.html", "report-compare-plans", 3, {});

  // fleetsim size: the cheapest candidates that meet the targets.
  const std::string size_dir = testing::TempPath("report_browser_size");
  r = RunCli("size " + ShellQuote(std::string(FLEETSIM_TEST_DATA_DIR) + "/study/size-small.yaml") +
             " --threads 2 -o " + ShellQuote(size_dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  CheckPage(chromium, size_dir + "/report.html", "report-size", 5, {"chart-cost"});

  std::error_code ec;
  fs::remove_all(size_dir, ec);
  fs::remove_all(run_dir, ec);
  fs::remove_all(bench_dir, ec);
  fs::remove_all(compare_dir, ec);
}

}  // namespace
}  // namespace fleetsim
