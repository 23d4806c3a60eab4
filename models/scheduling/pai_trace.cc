// The Alibaba PAI 2020 GPU trace reader (traces.h): the task table is read first and folded
// into one record per job (GPU demand, first start, last end, GPU types), then the job table
// is streamed line by line and joined on job_name.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <unordered_map>

#include "models/scheduling/traces.h"
#include "sim/config/config_error.h"
#include "sim/suggest.h"

namespace fleetsim {

namespace {

using Field = std::pair<std::string, size_t>;  // text, 0-based column

std::vector<Field> SplitCsv(const std::string& line) {
  std::vector<Field> fields;
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

// Reads one CSV table with a fixed column list; a header line naming them is optional.
class CsvTable {
 public:
  CsvTable(std::string path, std::vector<std::string> columns, bool skip_malformed,
           TraceSummary* summary)
      : path_(std::move(path)),
        columns_(std::move(columns)),
        skip_malformed_(skip_malformed),
        summary_(summary),
        in_(path_) {
    if (!in_) throw ConfigError(path_, 0, 0, "", "cannot open trace file");
  }

  // The next data line's fields; false at the end of the file. Malformed lines throw or,
  // when skipping, are counted and passed over.
  bool Next(std::vector<Field>* f) {
    while (std::getline(in_, line_)) {
      ++line_no_;
      if (line_.empty() || line_ == "\r") continue;
      *f = SplitCsv(line_);
      if (first_) {
        first_ = false;
        if ((*f)[0].first == columns_[0]) {
          CheckHeader(*f);
          continue;
        }
      }
      if (f->size() != columns_.size()) {
        if (Malformed(0, "",
                      "expected " + std::to_string(columns_.size()) + " fields (" + Join() +
                          "), got " + std::to_string(f->size()))) {
          continue;
        }
      }
      return true;
    }
    if (in_.bad()) throw ConfigError(path_, static_cast<int>(line_no_), 0, "", "read error");
    return false;
  }

  // Reports a malformed field: throws, or returns true when skipping (count it).
  bool Malformed(size_t column, const std::string& key, const std::string& msg) {
    if (!skip_malformed_) {
      throw ConfigError(path_, static_cast<int>(line_no_), static_cast<int>(column) + 1, key, msg,
                        line_);
    }
    summary_->Skip("malformed line in " + Base(), line_no_);
    return true;
  }

  // A number >= 0; nullopt for an empty field. Malformed text throws (or, when skipping,
  // sets *bad).
  std::optional<double> Number(const Field& f, const std::string& key, bool* bad) {
    if (*bad || f.first.empty()) return std::nullopt;
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(f.first.c_str(), &end);
    if (end != f.first.c_str() + f.first.size() || errno == ERANGE || !std::isfinite(v) || v < 0) {
      *bad = Malformed(f.second, key, "expected a number >= 0, got '" + f.first + "'");
      return std::nullopt;
    }
    return v;
  }

  int64_t line_no() const { return line_no_; }
  std::string Base() const { return path_.substr(path_.rfind('/') + 1); }

 private:
  void CheckHeader(const std::vector<Field>& f) {
    for (size_t i = 0; i < columns_.size(); ++i) {
      const std::string got = i < f.size() ? f[i].first : "";
      if (got != columns_[i]) {
        throw ConfigError(path_, static_cast<int>(line_no_),
                          i < f.size() ? static_cast<int>(f[i].second) + 1 : 1, "header",
                          "column " + std::to_string(i + 1) + " must be '" + columns_[i] +
                              "', got '" + got + "' (expected " + Join() + ")",
                          line_, ClosestName(got, {columns_[i]}).value_or(""));
      }
    }
    if (f.size() != columns_.size()) {
      throw ConfigError(path_, static_cast<int>(line_no_), 1, "header",
                        "expected the " + std::to_string(columns_.size()) + " columns " + Join(),
                        line_);
    }
  }
  std::string Join() const {
    std::string s;
    for (const auto& c : columns_) s += (s.empty() ? "" : ",") + c;
    return s;
  }

  std::string path_;
  std::vector<std::string> columns_;
  bool skip_malformed_;
  TraceSummary* summary_;
  std::ifstream in_;
  std::string line_;
  int64_t line_no_ = 0;
  bool first_ = true;
};

struct TaskAgg {
  double gpu_percent = 0;  // sum of inst_num x plan_gpu over GPU tasks
  double start = kNoTime, end = -kNoTime;
  bool missing_time = false;
  std::vector<std::string> gpu_types;
  int64_t first_line = 0;
  bool joined = false;
};

}  // namespace

TraceJobs ReadPaiTrace(const std::string& job_table, const std::string& task_table,
                       const TraceOptions& opt) {
  TraceJobs out;
  out.summary.format = "pai";
  out.summary.file = job_table;
  std::unordered_map<std::string, TaskAgg> tasks;
  {
    CsvTable t(task_table,
               {"job_name", "task_name", "inst_num", "status", "start_time", "end_time", "plan_cpu",
                "plan_mem", "plan_gpu", "gpu_type"},
               opt.skip_malformed, &out.summary);
    std::vector<Field> f;
    while (t.Next(&f)) {
      bool bad = false;
      if (f[0].first.empty() && t.Malformed(0, "job_name", "empty job_name")) continue;
      const auto inst = t.Number(f[2], "inst_num", &bad);
      const auto start = t.Number(f[4], "start_time", &bad);
      const auto end = t.Number(f[5], "end_time", &bad);
      t.Number(f[6], "plan_cpu", &bad);
      t.Number(f[7], "plan_mem", &bad);
      const auto gpu = t.Number(f[8], "plan_gpu", &bad);
      if (bad) continue;
      if (!inst && t.Malformed(f[2].second, "inst_num", "empty inst_num")) continue;
      TaskAgg& a = tasks[f[0].first];
      if (a.first_line == 0) a.first_line = t.line_no();
      if (!gpu || *gpu <= 0) continue;  // a CPU task (parameter server, evaluator, ...)
      a.gpu_percent += *inst * *gpu;
      if (!start || !end) {
        a.missing_time = true;
      } else {
        a.start = std::min(a.start, *start);
        a.end = std::max(a.end, *end);
      }
      const std::string& type = f[9].first;
      if (!type.empty() &&
          std::find(a.gpu_types.begin(), a.gpu_types.end(), type) == a.gpu_types.end()) {
        a.gpu_types.push_back(type);
      }
    }
  }
  CsvTable t(job_table, {"job_name", "inst_id", "user", "status", "start_time", "end_time"},
             opt.skip_malformed, &out.summary);
  std::vector<Field> f;
  while (t.Next(&f)) {
    ++out.summary.records;
    bool bad = false;
    const auto submit = t.Number(f[4], "start_time", &bad);
    t.Number(f[5], "end_time", &bad);
    if (bad) continue;
    const int64_t line = t.line_no();
    const std::string& status = f[3].first;
    if (!opt.statuses.empty() &&
        std::find(opt.statuses.begin(), opt.statuses.end(), status) == opt.statuses.end()) {
      out.summary.Skip("status '" + status + "' not kept", line);
      continue;
    }
    if (!submit) {
      out.summary.Skip("no submission time (start_time empty)", line);
      continue;
    }
    auto it = tasks.find(f[0].first);
    if (it == tasks.end()) {
      out.summary.Skip("no task rows", line);
      continue;
    }
    TaskAgg& a = it->second;
    a.joined = true;
    if (a.gpu_percent <= 0) {
      out.summary.Skip("CPU only (no task requests a GPU)", line);
      continue;
    }
    if (a.missing_time || !(a.start < kNoTime)) {
      out.summary.Skip("a GPU task has no start or end time (never ran, or still running)", line);
      continue;
    }
    if (!(a.end > a.start)) {
      out.summary.Skip("run time not positive", line);
      continue;
    }
    JobSpec j;
    j.id = f[0].first;
    j.arrival_s = *submit;
    j.duration_s = a.end - a.start;
    // Percent of a GPU, rounded up to a whole percent (shares are integers).
    const double pct = std::ceil(a.gpu_percent - 1e-9);
    if (pct < 100) {
      j.gpus = 1;
      j.share = static_cast<int32_t>(std::max(1.0, pct));
      out.summary.Note("fractional GPU (shares one GPU)", line);
    } else {
      j.gpus = static_cast<int32_t>(std::ceil(pct / 100 - 1e-9));
      if (std::fmod(pct, 100) != 0) {
        out.summary.Note("GPU request rounded up to whole GPUs", line);
      }
    }
    if (a.gpu_types.size() == 1) {
      auto m = opt.pai_gpu_types.find(a.gpu_types[0]);
      if (m != opt.pai_gpu_types.end()) {
        j.device = m->second;
      } else {
        out.summary.Note("gpu_type '" + a.gpu_types[0] + "' not mapped (runs on any pool)", line);
      }
    } else if (a.gpu_types.size() > 1) {
      out.summary.Note("tasks on several GPU types (runs on any pool)", line);
    }
    out.jobs.push_back(std::move(j));
  }
  // Task rows that no job row claims are left out of every job; say so.
  std::vector<int64_t> orphan_lines;
  for (const auto& [name, a] : tasks) {
    if (!a.joined) orphan_lines.push_back(a.first_line);
  }
  std::sort(orphan_lines.begin(), orphan_lines.end());
  const std::string task_base = task_table.substr(task_table.rfind('/') + 1);
  for (int64_t l : orphan_lines) {
    out.summary.Note("task rows of a job not in the job table (line of " + task_base + ")", l);
  }
  FinishTraceJobs(&out, opt);
  return out;
}

}  // namespace fleetsim
