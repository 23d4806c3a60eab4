// Streams a trace in the Chrome trace-event JSON format, which ui.perfetto.dev and
// chrome://tracing open: a track per GPU (compute phases, communication, idle, weight
// loads), counters per link, service and pool.
//
// Output is deterministic: events appear in the order they are written, numbers are
// printed with fixed formats, and track ids are assigned in registration order.
//
// Large runs stay usable: after `max_events` events, further slices on a track are merged
// with the previous one when they have the same name and follow it without a gap, and
// everything else is dropped; counters are thinned to at most one value per track per
// `counter_min_interval`. What was merged or dropped is stated in the file's top-level
// "fleetsim" object, so a reader can tell a complete trace from a reduced one.
//
// Not here: what the events mean (the models decide), summary statistics.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "sim/time.h"

namespace fleetsim {

struct TraceOptions {
  uint64_t max_events = 2'000'000;                   // then merge / drop, as above
  Duration counter_min_interval = Duration::Zero();  // applies after max_events
};

class TraceWriter {
 public:
  struct Track {
    uint32_t pid = 0;
    uint32_t tid = 0;
  };

  // Opens `path` for writing; throws InputError if it cannot. Writes the opening of the file.
  TraceWriter(const std::string& path, TraceOptions options = {});
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  // A named track (thread) inside a named group (process), e.g. ("server 3", "gpu 24").
  // The same names return the same track.
  Track AddTrack(std::string_view process, std::string_view thread);

  // A slice [start, start + duration) on a track. `args_json` is either empty or the body of
  // a JSON object written verbatim ("\"bytes\": 1024"); callers build it with JsonNumber /
  // JsonString below.
  void Slice(Track track, std::string_view name, SimTime start, Duration duration,
             std::string_view category = "", std::string_view args_json = "");
  // A counter value on a process (Perfetto draws one counter track per (process, name)).
  void Counter(uint32_t pid, std::string_view name, SimTime t, double value);
  // A process for counters only (e.g. "links", "pool cloud-h100").
  uint32_t AddProcess(std::string_view process);

  // Ends the event array and writes the "fleetsim" object; called by the destructor too.
  // Throws InputError if the file could not be written completely.
  void Close();

  uint64_t events_written() const { return events_written_; }
  uint64_t events_merged() const { return events_merged_; }
  uint64_t events_dropped() const { return events_dropped_; }

 private:
  struct Pending {  // the last slice of a track, held back so that it can be extended
    bool valid = false;
    std::string name;
    std::string category;
    std::string args;
    int64_t start_ns = 0;
    int64_t end_ns = 0;
  };
  struct CounterState {
    uint32_t pid;
    std::string name;
    int64_t last_ns;
  };
  void Flush(size_t track_index);
  void WriteEvent(const std::string& json);
  size_t TrackIndex(Track t) const;

  std::FILE* file_ = nullptr;
  std::string path_;
  TraceOptions options_;
  bool closed_ = false;
  bool first_event_ = true;
  std::vector<std::string> processes_;
  std::vector<std::pair<uint32_t, std::string>> threads_;  // (pid, name), tid = index + 1
  std::vector<Pending> pending_;                           // by tid - 1
  std::vector<CounterState> counters_;
  uint64_t events_written_ = 0;
  uint64_t events_merged_ = 0;
  uint64_t events_dropped_ = 0;
};

// JSON fragments for args: "\"key\": 12.5" and "\"key\": \"text\"" (escaped).
std::string JsonNumber(std::string_view key, double value);
std::string JsonString(std::string_view key, std::string_view value);
// Escapes a string for inclusion between JSON quotes.
std::string JsonEscape(std::string_view s);
// Deterministic, locale-free formatting of a double for JSON/CSV (shortest of %.17g that
// round-trips is not needed: 12 significant digits are plenty and stable).
std::string FormatNumber(double v);

}  // namespace fleetsim
