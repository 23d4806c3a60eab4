// Replay of request traces from CSV, streamed line by line (memory independent of length).
//
// Format: a header line naming the columns, then one request per line:
//   timestamp,prompt_tokens,output_tokens[,class]
// timestamp: seconds from the start of the run (non-decreasing); token counts: integers
// >= 1; class: one of the service's request class names. Lines that are empty or start
// with '#' are skipped. A malformed line is an error naming file:line:column and the
// column, never skipped silently.
#pragma once

#include <memory>
#include <string>

#include "models/workload/arrivals.h"

namespace fleetsim {

class ConfigNode;

// The path a YAML value names, relative to the directory of the YAML file.
std::string ResolvePath(const ConfigNode& path_value);

// Throws ConfigError if the file cannot be opened or its header is wrong; malformed data
// lines throw from Next().
std::unique_ptr<RequestStream> OpenTraceStream(const std::string& path, double time_scale,
                                               const StreamContext& context);

}  // namespace fleetsim
