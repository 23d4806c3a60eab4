// The Microsoft Philly job log reader (traces.h). The file is one JSON array of ~117,000
// records; it is scanned record by record (a small state machine that tracks strings and
// nesting), so memory holds one record at a time and every record knows its first line.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "models/scheduling/traces.h"
#include "sim/config/config_error.h"

namespace fleetsim {

namespace {

int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  // Howard Hinnant's days_from_civil: days since 1970-01-01 in the proleptic Gregorian
  // calendar.
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

class RecordScanner {
 public:
  explicit RecordScanner(const std::string& path) : path_(path), in_(path, std::ios::binary) {
    if (!in_) throw ConfigError(path_, 0, 0, "", "cannot open trace file");
    buf_.resize(1 << 20);
  }

  // The next record's text and first line; false after the closing ']'.
  bool Next(std::string* text, int64_t* line) {
    int c = SkipSpace();
    if (state_ == kStart) {
      if (c != '[') Fail(line_, "expected a JSON array of job records, starting with '['");
      state_ = kFirst;
      c = SkipSpace();
    }
    if (state_ == kEnd) return false;
    if (c == ']') {
      state_ = kEnd;
      if (SkipSpace() != EOF) Fail(line_, "unexpected text after the closing ']'");
      return false;
    }
    if (state_ == kAfter) {
      if (c != ',') {
        Fail(line_, c == EOF ? "the file ends inside the array (missing ']')"
                             : "expected ',' or ']' after a record");
      }
      c = SkipSpace();
    }
    if (c != '{') {
      Fail(line_, c == EOF ? "the file ends inside the array (missing ']')"
                           : "expected a job record (a JSON object starting with '{')");
    }
    *line = line_;
    text->assign(1, '{');
    int depth = 1;
    bool in_string = false, escape = false;
    while (depth > 0) {
      c = Get();
      if (c == EOF) Fail(*line, "the record starting here is not closed (missing '}')");
      text->push_back(static_cast<char>(c));
      if (in_string) {
        if (escape) {
          escape = false;
        } else if (c == '\\') {
          escape = true;
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        --depth;
      }
    }
    state_ = kAfter;
    return true;
  }

  [[noreturn]] void Fail(int64_t line, const std::string& msg) const {
    throw ConfigError(path_, static_cast<int>(line), 1, "", msg);
  }

 private:
  int Get() {
    if (pos_ == len_) {
      in_.read(buf_.data(), static_cast<std::streamsize>(buf_.size()));
      len_ = static_cast<size_t>(in_.gcount());
      pos_ = 0;
      if (len_ == 0) return EOF;
    }
    const int c = static_cast<unsigned char>(buf_[pos_++]);
    if (c == '\n') ++line_;
    return c;
  }
  int SkipSpace() {
    int c;
    do {
      c = Get();
    } while (c == ' ' || c == '\n' || c == '\r' || c == '\t');
    return c;
  }

  enum State { kStart, kFirst, kAfter, kEnd };
  std::string path_;
  std::ifstream in_;
  std::vector<char> buf_;
  size_t pos_ = 0, len_ = 0;
  int64_t line_ = 1;
  State state_ = kStart;
};

// A record that cannot be read as a Philly job.
struct Malformed {
  int64_t line;
  std::string key;
  std::string message;
};

// A time field: a "YYYY-MM-DD HH:MM:SS" string, or missing (null, "", "None", absent).
bool ReadTime(const nlohmann::json& obj, const char* key, const std::string& path, int64_t line,
              double* out) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return false;
  if (!it->is_string()) throw Malformed{line, path + key, "expected a time string"};
  const std::string s = it->get<std::string>();
  if (s.empty() || s == "None") return false;
  if (!ParsePhillyTime(s, out)) {
    throw Malformed{line, path + key, "expected a time 'YYYY-MM-DD HH:MM:SS', got '" + s + "'"};
  }
  return true;
}

const nlohmann::json& Require(const nlohmann::json& obj, const char* key, const std::string& path,
                              int64_t line) {
  auto it = obj.find(key);
  if (it == obj.end()) throw Malformed{line, path + key, "missing"};
  return *it;
}

}  // namespace

bool ParsePhillyTime(const std::string& s, double* seconds) {
  int y, mo, d, h, mi, se;
  char tail;
  if (s.size() != 19 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' ||
      s[16] != ':') {
    return false;
  }
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d %2d:%2d:%2d%c", &y, &mo, &d, &h, &mi, &se, &tail) != 6) {
    return false;
  }
  static const int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] || h > 23 || mi > 59 || se > 60) {
    return false;
  }
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (mo == 2 && d == 29 && !leap) return false;
  *seconds = static_cast<double>(DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se);
  return true;
}

TraceJobs ReadPhillyTrace(const std::string& path, const TraceOptions& opt) {
  TraceJobs out;
  out.summary.format = "philly";
  out.summary.file = path;
  RecordScanner scanner(path);
  std::string text;
  int64_t line = 0;
  while (scanner.Next(&text, &line)) {
    ++out.summary.records;
    std::string jobid;
    try {
      nlohmann::json rec;
      try {
        rec = nlohmann::json::parse(text);
      } catch (const nlohmann::json::parse_error& e) {
        const size_t upto = std::min(text.size(), static_cast<size_t>(e.byte));
        const int64_t at = line + std::count(text.begin(), text.begin() + upto, '\n');
        std::string what = e.what();
        if (auto p = what.find("syntax error"); p != std::string::npos) what = what.substr(p);
        throw Malformed{at, "", "invalid JSON: " + what};
      }
      {
        const auto& v = Require(rec, "jobid", "", line);
        if (!v.is_string()) throw Malformed{line, "jobid", "expected a string"};
        jobid = v.get<std::string>();
      }
      const auto& status_v = Require(rec, "status", "", line);
      if (!status_v.is_string()) throw Malformed{line, "status", "expected a string"};
      const std::string status = status_v.get<std::string>();
      double submitted = 0;
      const bool has_submit = ReadTime(rec, "submitted_time", "", line, &submitted);
      if (rec.find("submitted_time") == rec.end()) {
        throw Malformed{line, "submitted_time", "missing"};
      }
      const auto& attempts = Require(rec, "attempts", "", line);
      if (!attempts.is_array()) throw Malformed{line, "attempts", "expected a list"};
      // Read every attempt, so that a malformed one is reported whatever the status.
      int64_t first_gpus = 0;
      double first_start = 0, last_end = 0;
      bool has_start = false, has_end = false;
      for (size_t a = 0; a < attempts.size(); ++a) {
        const std::string ap = "attempts[" + std::to_string(a) + "].";
        const auto& att = attempts[a];
        if (!att.is_object()) throw Malformed{line, ap.substr(0, ap.size() - 1), "expected a map"};
        double t = 0;
        const bool s = ReadTime(att, "start_time", ap, line, &t);
        if (a == 0) {
          has_start = s;
          first_start = t;
        }
        const bool e = ReadTime(att, "end_time", ap, line, &t);
        if (a + 1 == attempts.size()) {
          has_end = e;
          last_end = t;
        }
        const auto& detail = Require(att, "detail", ap, line);
        if (!detail.is_array()) throw Malformed{line, ap + "detail", "expected a list"};
        for (size_t d = 0; d < detail.size(); ++d) {
          const std::string dp = ap + "detail[" + std::to_string(d) + "].";
          if (!detail[d].is_object()) throw Malformed{line, dp + "", "expected a map"};
          const auto& gpus = Require(detail[d], "gpus", dp, line);
          if (!gpus.is_array()) throw Malformed{line, dp + "gpus", "expected a list"};
          if (a == 0) first_gpus += static_cast<int64_t>(gpus.size());
        }
      }
      if (!opt.statuses.empty() &&
          std::find(opt.statuses.begin(), opt.statuses.end(), status) == opt.statuses.end()) {
        out.summary.Skip("status '" + status + "' not kept", line);
        continue;
      }
      if (!has_submit) {
        out.summary.Skip("no submitted_time", line);
        continue;
      }
      if (attempts.empty()) {
        out.summary.Skip("no scheduling attempts", line);
        continue;
      }
      if (!has_start) {
        out.summary.Skip("first attempt has no start_time", line);
        continue;
      }
      if (!has_end) {
        out.summary.Skip("last attempt has no end_time (still running)", line);
        continue;
      }
      if (first_gpus == 0) {
        out.summary.Skip("no GPUs in the first attempt", line);
        continue;
      }
      if (!(last_end > first_start)) {
        out.summary.Skip("run time not positive", line);
        continue;
      }
      JobSpec j;
      j.id = jobid;
      j.arrival_s = submitted;
      j.gpus = static_cast<int32_t>(first_gpus);
      j.duration_s = last_end - first_start;
      out.jobs.push_back(std::move(j));
    } catch (const Malformed& m) {
      if (!opt.skip_malformed) {
        throw ConfigError(path, static_cast<int>(m.line), 1, m.key,
                          "malformed Philly job record" +
                              (jobid.empty() ? std::string() : " '" + jobid + "'") + ": " +
                              m.message);
      }
      out.summary.Skip("malformed record", m.line);
    }
  }
  FinishTraceJobs(&out, opt);
  return out;
}

}  // namespace fleetsim
