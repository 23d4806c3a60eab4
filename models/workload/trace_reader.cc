#include "models/workload/trace_reader.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <vector>

#include "sim/config/config.h"
#include "sim/suggest.h"

namespace fleetsim {

std::string ResolvePath(const ConfigNode& node) {
  std::string path = node.AsString();
  const std::string& base = node.file();
  if (!path.empty() && path[0] != '/' && base.find('/') != std::string::npos) {
    path = base.substr(0, base.rfind('/') + 1) + path;
  }
  return path;
}

namespace {

std::vector<std::pair<std::string, size_t>> SplitCsv(const std::string& line) {
  // Returns (field, 0-based column of its first character). Plain CSV: no quoting.
  std::vector<std::pair<std::string, size_t>> fields;
  size_t start = 0;
  for (size_t i = 0; i <= line.size(); ++i) {
    if (i == line.size() || line[i] == ',') {
      size_t a = start, b = i;
      while (a < b && (line[a] == ' ' || line[a] == '\t')) ++a;
      while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t' || line[b - 1] == '\r')) --b;
      fields.emplace_back(line.substr(a, b - a), a);
      start = i + 1;
    }
  }
  return fields;
}

class TraceStream final : public RequestStream {
 public:
  TraceStream(std::string path, double scale, const StreamContext& ctx)
      : path_(std::move(path)),
        scale_(scale),
        horizon_s_(ctx.horizon_s),
        classes_(ctx.class_names),
        in_(path_) {
    if (!in_) throw ConfigError(path_, 0, 0, "", "cannot open trace file");
    std::string header;
    while (std::getline(in_, header)) {
      ++line_no_;
      if (!header.empty() && header[0] != '#') break;
    }
    const auto cols = SplitCsv(header);
    const std::vector<std::string> expected = {"timestamp", "prompt_tokens", "output_tokens",
                                               "class"};
    if (cols.size() < 3 || cols.size() > 4) {
      Fail(header, 0, "header",
           "expected the header 'timestamp,prompt_tokens,output_tokens[,class]'");
    }
    for (size_t i = 0; i < cols.size(); ++i) {
      if (cols[i].first != expected[i]) {
        Fail(header, cols[i].second, "header",
             "column " + std::to_string(i + 1) + " must be '" + expected[i] + "', got '" +
                 cols[i].first + "'",
             ClosestName(cols[i].first, {expected[i]}).value_or(""));
      }
    }
    has_class_ = cols.size() == 4;
  }

  std::optional<RequestSpec> Next() override {
    std::string line;
    while (std::getline(in_, line)) {
      ++line_no_;
      if (line.empty() || line[0] == '#' || line == "\r") continue;
      const auto f = SplitCsv(line);
      const size_t want = has_class_ ? 4 : 3;
      if (f.size() != want) {
        Fail(line, 0, "",
             "expected " + std::to_string(want) + " fields, got " + std::to_string(f.size()));
      }
      RequestSpec r;
      r.arrival_s = ParseTime(line, f[0]) * scale_;
      if (r.arrival_s < last_s_) {
        Fail(line, f[0].second, "timestamp",
             "timestamps must not decrease (previous line: " + std::to_string(last_s_ / scale_) +
                 ")");
      }
      last_s_ = r.arrival_s;
      if (r.arrival_s >= horizon_s_) return std::nullopt;
      r.prompt_tokens = ParseTokens(line, f[1], "prompt_tokens");
      r.output_tokens = ParseTokens(line, f[2], "output_tokens");
      if (has_class_) {
        const std::string& c = f[3].first;
        for (size_t i = 0; i < classes_.size(); ++i) {
          if (classes_[i] == c) r.class_index = static_cast<int32_t>(i);
        }
        if (r.class_index < 0) {
          Fail(line, f[3].second, "class", "unknown request class '" + c + "'",
               ClosestName(c, classes_).value_or(""));
        }
      }
      return r;
    }
    if (in_.bad()) throw ConfigError(path_, line_no_, 0, "", "read error");
    return std::nullopt;
  }

 private:
  [[noreturn]] void Fail(const std::string& line, size_t col, const std::string& key,
                         const std::string& msg, const std::string& suggestion = "") {
    throw ConfigError(path_, line_no_, static_cast<int>(col) + 1, key, msg, line, suggestion);
  }

  double ParseTime(const std::string& line, const std::pair<std::string, size_t>& f) {
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(f.first.c_str(), &end);
    if (f.first.empty() || end != f.first.c_str() + f.first.size() || errno == ERANGE ||
        !std::isfinite(v) || v < 0) {
      Fail(line, f.second, "timestamp",
           "expected seconds from the start (a number >= 0), got '" + f.first + "'");
    }
    return v;
  }

  int64_t ParseTokens(const std::string& line, const std::pair<std::string, size_t>& f,
                      const char* key) {
    errno = 0;
    char* end = nullptr;
    const long long v = std::strtoll(f.first.c_str(), &end, 10);
    if (f.first.empty() || end != f.first.c_str() + f.first.size() || errno == ERANGE || v < 1) {
      Fail(line, f.second, key, "expected a token count >= 1, got '" + f.first + "'");
    }
    return v;
  }

  std::string path_;
  double scale_;
  double horizon_s_;
  std::vector<std::string> classes_;
  std::ifstream in_;
  int line_no_ = 0;
  bool has_class_ = false;
  double last_s_ = 0;
};

}  // namespace

std::unique_ptr<RequestStream> OpenTraceStream(const std::string& path, double time_scale,
                                               const StreamContext& ctx) {
  return std::make_unique<TraceStream>(path, time_scale, ctx);
}

}  // namespace fleetsim
