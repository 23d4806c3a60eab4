#include "sim/trace/trace_writer.h"

#include <cinttypes>
#include <cmath>

#include "sim/config/config_error.h"

namespace fleetsim {

std::string JsonEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string FormatNumber(double v) {
  if (!std::isfinite(v)) return "null";  // JSON has no NaN/inf
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", v);
    return buf;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.12g", v);
  return buf;
}

std::string JsonNumber(std::string_view key, double value) {
  return "\"" + JsonEscape(key) + "\": " + FormatNumber(value);
}

std::string JsonString(std::string_view key, std::string_view value) {
  return "\"" + JsonEscape(key) + "\": \"" + JsonEscape(value) + "\"";
}

namespace {
// Trace-event timestamps are microseconds; print nanosecond-exact with 3 decimals.
std::string Micros(int64_t ns) {
  char buf[40];
  const int64_t whole = ns / 1000;
  const int64_t frac = ns % 1000;
  std::snprintf(buf, sizeof buf, "%" PRId64 ".%03" PRId64, whole, frac < 0 ? -frac : frac);
  return buf;
}
}  // namespace

TraceWriter::TraceWriter(const std::string& path, TraceOptions options)
    : path_(path), options_(options) {
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) throw InputError("cannot write trace file '" + path + "'");
  std::fputs("{\"displayTimeUnit\": \"ms\", \"traceEvents\": [\n", file_);
}

TraceWriter::~TraceWriter() {
  try {
    Close();
  } catch (...) {
    // Destructors must not throw; Close() reports errors when called explicitly.
  }
}

void TraceWriter::WriteEvent(const std::string& json) {
  if (!first_event_) std::fputs(",\n", file_);
  first_event_ = false;
  std::fputs(json.c_str(), file_);
  ++events_written_;
}

uint32_t TraceWriter::AddProcess(std::string_view process) {
  for (size_t i = 0; i < processes_.size(); ++i) {
    if (processes_[i] == process) return static_cast<uint32_t>(i + 1);
  }
  processes_.emplace_back(process);
  const auto pid = static_cast<uint32_t>(processes_.size());
  WriteEvent("{\"ph\": \"M\", \"name\": \"process_name\", \"pid\": " + std::to_string(pid) +
             ", \"args\": {" + JsonString("name", process) + "}}");
  WriteEvent("{\"ph\": \"M\", \"name\": \"process_sort_index\", \"pid\": " + std::to_string(pid) +
             ", \"args\": {\"sort_index\": " + std::to_string(pid) + "}}");
  return pid;
}

TraceWriter::Track TraceWriter::AddTrack(std::string_view process, std::string_view thread) {
  const uint32_t pid = AddProcess(process);
  for (size_t i = 0; i < threads_.size(); ++i) {
    if (threads_[i].first == pid && threads_[i].second == thread) {
      return Track{pid, static_cast<uint32_t>(i + 1)};
    }
  }
  threads_.emplace_back(pid, std::string(thread));
  pending_.emplace_back();
  const auto tid = static_cast<uint32_t>(threads_.size());
  WriteEvent("{\"ph\": \"M\", \"name\": \"thread_name\", \"pid\": " + std::to_string(pid) +
             ", \"tid\": " + std::to_string(tid) + ", \"args\": {" + JsonString("name", thread) +
             "}}");
  WriteEvent("{\"ph\": \"M\", \"name\": \"thread_sort_index\", \"pid\": " + std::to_string(pid) +
             ", \"tid\": " + std::to_string(tid) +
             ", \"args\": {\"sort_index\": " + std::to_string(tid) + "}}");
  return Track{pid, tid};
}

size_t TraceWriter::TrackIndex(Track t) const { return t.tid - 1; }

void TraceWriter::Flush(size_t i) {
  Pending& p = pending_[i];
  if (!p.valid) return;
  std::string json = "{\"ph\": \"X\", \"name\": \"" + JsonEscape(p.name) + "\"";
  if (!p.category.empty()) json += ", \"cat\": \"" + JsonEscape(p.category) + "\"";
  json += ", \"pid\": " + std::to_string(threads_[i].first) +
          ", \"tid\": " + std::to_string(i + 1) + ", \"ts\": " + Micros(p.start_ns) +
          ", \"dur\": " + Micros(p.end_ns - p.start_ns);
  if (!p.args.empty()) json += ", \"args\": {" + p.args + "}";
  json += "}";
  WriteEvent(json);
  p.valid = false;
}

void TraceWriter::Slice(Track track, std::string_view name, SimTime start, Duration duration,
                        std::string_view category, std::string_view args_json) {
  if (closed_) return;
  const size_t i = TrackIndex(track);
  Pending& p = pending_[i];
  const int64_t s = start.ns(), e = start.ns() + duration.ns();
  if (events_written_ >= options_.max_events) {
    if (p.valid && p.name == name && p.end_ns == s) {
      p.end_ns = e;  // reduced mode: extend the previous slice
      ++events_merged_;
    } else {
      ++events_dropped_;
    }
    return;
  }
  Flush(i);
  p.valid = true;
  p.name = name;
  p.category = category;
  p.args = args_json;
  p.start_ns = s;
  p.end_ns = e;
}

void TraceWriter::Counter(uint32_t pid, std::string_view name, SimTime t, double value) {
  if (closed_) return;
  if (events_written_ >= options_.max_events) {
    CounterState* state = nullptr;
    for (auto& c : counters_) {
      if (c.pid == pid && c.name == name) state = &c;
    }
    if (state && t.ns() - state->last_ns < options_.counter_min_interval.ns()) {
      ++events_dropped_;
      return;
    }
    if (options_.counter_min_interval.ns() == 0) {
      ++events_dropped_;
      return;
    }
    if (state)
      state->last_ns = t.ns();
    else
      counters_.push_back({pid, std::string(name), t.ns()});
  }
  WriteEvent("{\"ph\": \"C\", \"name\": \"" + JsonEscape(name) +
             "\", \"pid\": " + std::to_string(pid) + ", \"ts\": " + Micros(t.ns()) +
             ", \"args\": {" + JsonNumber("value", value) + "}}");
}

void TraceWriter::Close() {
  if (closed_) return;
  for (size_t i = 0; i < pending_.size(); ++i) {
    // Flushing ignores the limit: these slices were already accepted.
    Flush(i);
  }
  closed_ = true;
  std::fprintf(file_,
               "\n],\n\"fleetsim\": {\"schema\": \"fleetsim.trace/1\", \"events_written\": %" PRIu64
               ", \"max_events\": %" PRIu64 ", \"slices_merged\": %" PRIu64
               ", \"events_dropped\": %" PRIu64 ", \"complete\": %s}}\n",
               events_written_, options_.max_events, events_merged_, events_dropped_,
               (events_merged_ == 0 && events_dropped_ == 0) ? "true" : "false");
  const bool failed = std::ferror(file_) != 0;
  const bool close_failed = std::fclose(file_) != 0;
  file_ = nullptr;
  if (failed || close_failed) throw InputError("could not write trace file '" + path_ + "'");
}

}  // namespace fleetsim
