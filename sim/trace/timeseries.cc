#include "sim/trace/timeseries.h"

#include <cinttypes>
#include <stdexcept>

#include "sim/config/config_error.h"
#include "sim/trace/trace_writer.h"

namespace fleetsim {

TimeSeriesWriter::TimeSeriesWriter(const std::string& path, std::vector<std::string> columns)
    : path_(path), columns_(std::move(columns)) {
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (columns_[i].find_first_of(",\"\n\r") != std::string::npos) {
      throw std::logic_error("time series column name with a separator: " + columns_[i]);
    }
    for (size_t j = 0; j < i; ++j) {
      if (columns_[i] == columns_[j]) {
        throw std::logic_error("duplicate time series column: " + columns_[i]);
      }
    }
  }
  file_ = std::fopen(path.c_str(), "wb");
  if (!file_) throw InputError("cannot write time series file '" + path + "'");
  std::fputs("time_s", file_);
  for (const auto& c : columns_) std::fprintf(file_, ",%s", c.c_str());
  std::fputc('\n', file_);
}

TimeSeriesWriter::~TimeSeriesWriter() {
  try {
    Close();
  } catch (...) {
  }
}

void TimeSeriesWriter::Row(SimTime t, const std::vector<double>& values) {
  if (values.size() != columns_.size()) {
    throw std::logic_error("time series row has " + std::to_string(values.size()) + " values for " +
                           std::to_string(columns_.size()) + " columns");
  }
  if (t.ns() < last_ns_) throw std::logic_error("time series rows out of time order");
  last_ns_ = t.ns();
  std::fprintf(file_, "%" PRId64 ".%09" PRId64, t.ns() / 1'000'000'000, t.ns() % 1'000'000'000);
  for (double v : values) {
    const std::string s = FormatNumber(v);
    // CSV readers take an empty field as missing: NaN and infinities are written that way.
    std::fprintf(file_, ",%s", s == "null" ? "" : s.c_str());
  }
  std::fputc('\n', file_);
  ++rows_;
}

void TimeSeriesWriter::Close() {
  if (!file_) return;
  const bool failed = std::ferror(file_) != 0;
  const bool close_failed = std::fclose(file_) != 0;
  file_ = nullptr;
  if (failed || close_failed) throw InputError("could not write time series file '" + path_ + "'");
}

}  // namespace fleetsim
