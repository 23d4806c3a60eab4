#include <gtest/gtest.h>

#include "tests/temp_path.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/config/config_error.h"
#include "sim/trace/timeseries.h"
#include "sim/trace/trace_writer.h"

namespace fleetsim {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

SimTime Us(int64_t us) { return SimTime::FromNanoseconds(us * 1000); }

TEST(TraceWriterTest, WritesValidTraceEventJsonWithTracksSlicesAndCounters) {
  const std::string path = testing::TempPath("t1.json");
  {
    TraceWriter w(path);
    const auto gpu0 = w.AddTrack("server 0", "gpu 0");
    const auto gpu1 = w.AddTrack("server 0", "gpu 1");
    EXPECT_EQ(gpu0.pid, gpu1.pid);  // same process, two threads
    w.Slice(gpu0, "forward", Us(10), Duration::Nanoseconds(2500), "compute",
            JsonNumber("layer", 3));
    w.Slice(gpu1, "all-reduce \"tp\"", Us(12), Duration::Microseconds(1), "comm");
    const uint32_t links = w.AddProcess("links");
    w.Counter(links, "nvlink 0->1 util", Us(12), 0.5);
    w.Close();
  }
  const auto j = nlohmann::json::parse(Read(path));
  // 2 metadata events for the process, 2 per thread (4), 2 for "links", 2 slices, 1 counter.
  ASSERT_EQ(j["traceEvents"].size(), 11u);
  EXPECT_TRUE(j["fleetsim"]["complete"].get<bool>());
  int slices = 0;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] == "X" && e["name"] == "forward") {
      ++slices;
      // 10 us start, 2,500 ns = 2.5 us duration, in microseconds.
      EXPECT_DOUBLE_EQ(e["ts"].get<double>(), 10.0);
      EXPECT_DOUBLE_EQ(e["dur"].get<double>(), 2.5);
      EXPECT_EQ(e["args"]["layer"].get<int>(), 3);
    }
    if (e["ph"] == "X" && e["name"] == "all-reduce \"tp\"") ++slices;  // escaped and back
    if (e["ph"] == "C") {
      EXPECT_DOUBLE_EQ(e["args"]["value"].get<double>(), 0.5);
    }
  }
  EXPECT_EQ(slices, 2);
}

TEST(TraceWriterTest, BeyondTheLimitSlicesMergeOrDropAndTheFileSaysSo) {
  const std::string path = testing::TempPath("t2.json");
  {
    TraceOptions opt;
    opt.max_events = 4;  // the 2 process + 2 thread metadata events fill it
    TraceWriter w(path, opt);
    const auto t = w.AddTrack("p", "t");
    // Three contiguous "step" slices, 0-1, 1-2, 2-3 us: all beyond the limit. The first has
    // no predecessor to extend and is dropped; the 2nd cannot extend a dropped slice either.
    w.Slice(t, "step", Us(0), Duration::Microseconds(1));
    w.Slice(t, "step", Us(1), Duration::Microseconds(1));
    w.Close();
  }
  const auto j = nlohmann::json::parse(Read(path));
  EXPECT_FALSE(j["fleetsim"]["complete"].get<bool>());
  EXPECT_EQ(j["fleetsim"]["events_dropped"].get<int>(), 2);
}

TEST(TraceWriterTest, ContiguousSameNameSlicesMergeInReducedMode) {
  const std::string path = testing::TempPath("t3.json");
  {
    TraceOptions opt;
    opt.max_events = 5;  // 4 metadata events + room for one slice
    TraceWriter w(path, opt);
    const auto t = w.AddTrack("p", "t");
    w.Slice(t, "step", Us(0), Duration::Microseconds(1));  // held back as pending
    w.Slice(t, "step", Us(1), Duration::Microseconds(1));  // flushes the first (5th event)
    w.Slice(t, "step", Us(2), Duration::Microseconds(1));  // over the limit: extends the 2nd
    w.Slice(t, "idle", Us(5), Duration::Microseconds(1));  // different name: dropped
    w.Close();
  }
  const auto j = nlohmann::json::parse(Read(path));
  // Slices written: 0-1 us, and the merged 1-3 us.
  std::vector<std::pair<double, double>> xs;
  for (const auto& e : j["traceEvents"]) {
    if (e["ph"] == "X") xs.emplace_back(e["ts"].get<double>(), e["dur"].get<double>());
  }
  ASSERT_EQ(xs.size(), 2u);
  EXPECT_DOUBLE_EQ(xs[1].first, 1.0);
  EXPECT_DOUBLE_EQ(xs[1].second, 2.0);
  EXPECT_EQ(j["fleetsim"]["slices_merged"].get<int>(), 1);
  EXPECT_EQ(j["fleetsim"]["events_dropped"].get<int>(), 1);
}

TEST(TimeSeriesTest, WritesHeaderAndNanosecondExactTimes) {
  const std::string path = testing::TempPath("ts.csv");
  {
    TimeSeriesWriter w(path, {"queue_length", "cost_usd"});
    w.Row(SimTime::FromNanoseconds(1'500'000'001), {3, 0.25});
    w.Row(SimTime::FromNanoseconds(2'000'000'000), {0, std::nan("")});
    w.Close();
  }
  // 1.500000001 s exactly; NaN is an empty field.
  EXPECT_EQ(Read(path), "time_s,queue_length,cost_usd\n1.500000001,3,0.25\n2.000000000,0,\n");
}

TEST(TimeSeriesTest, UnwritablePathIsAnInputError) {
  EXPECT_THROW(TimeSeriesWriter("/nonexistent/dir/ts.csv", {"a"}), InputError);
  EXPECT_THROW(TraceWriter("/nonexistent/dir/t.json"), InputError);
}

}  // namespace
}  // namespace fleetsim
