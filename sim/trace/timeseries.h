// Writes timeseries.csv: one row per sampling instant, one column per metric. The first
// column is always `time_s` (seconds since the start, 9 decimals = nanosecond exact).
// Column names and units are documented by whoever registers them (docs/outputs.md).
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "sim/time.h"

namespace fleetsim {

class TimeSeriesWriter {
 public:
  // Throws InputError if the file cannot be opened. Column names must be unique and must
  // not contain commas, quotes or newlines (a programming error otherwise).
  TimeSeriesWriter(const std::string& path, std::vector<std::string> columns);
  ~TimeSeriesWriter();
  TimeSeriesWriter(const TimeSeriesWriter&) = delete;
  TimeSeriesWriter& operator=(const TimeSeriesWriter&) = delete;

  // Precondition: values.size() == columns().size(); times non-decreasing.
  void Row(SimTime t, const std::vector<double>& values);
  void Close();  // throws InputError if the file could not be written completely
  const std::vector<std::string>& columns() const { return columns_; }
  uint64_t rows() const { return rows_; }

 private:
  std::FILE* file_ = nullptr;
  std::string path_;
  std::vector<std::string> columns_;
  uint64_t rows_ = 0;
  int64_t last_ns_ = 0;
};

}  // namespace fleetsim
