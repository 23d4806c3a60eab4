// One accelerator (or CPU core) of the hardware catalog: datasheet numbers in base units.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "models/catalog/source.h"
#include "models/precision.h"

namespace fleetsim {

enum class DeviceKind { kGpu, kTpu, kAccelerator, kCpu };
const char* DeviceKindName(DeviceKind k);

struct LinkSpec {
  std::string kind;                   // "NVLink3", "PCIe4 x16", ...
  SourcedValue bandwidth_bytes_per_s;  // see the field's comment in DeviceSpec
};

struct DeviceSpec {
  std::string name;
  std::vector<std::string> aliases;
  std::string vendor;
  DeviceKind kind = DeviceKind::kGpu;
  std::optional<SourcedValue> memory_bytes;            // optional for kind cpu only
  std::string memory_type;
  std::optional<SourcedValue> memory_bandwidth_bytes_per_s;
  // DENSE peak per precision in FLOP/s (OP/s for integer formats); nullopt = unsupported.
  std::array<std::optional<SourcedValue>, kPrecisionCount> peak_flops_per_s;
  std::optional<SourcedValue> tdp_watts;
  std::string note_missing;              // why a required number is absent
  std::optional<LinkSpec> scale_up;      // total bidirectional bandwidth per device
  std::optional<LinkSpec> host_link;     // bandwidth per direction
  SourceRef source;                      // the entry's default source
  std::string file;                      // catalog file the entry came from

  // Peak at `p`, or nullopt when the device has no such datapath.
  std::optional<double> Peak(Precision p) const {
    const auto& v = peak_flops_per_s[static_cast<int>(p)];
    return v ? std::optional<double>(v->value) : std::nullopt;
  }
};

}  // namespace fleetsim
