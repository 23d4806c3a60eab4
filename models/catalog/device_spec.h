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
  std::string kind;                    // "NVLink3", "PCIe4 x16", ...
  SourcedValue bandwidth_bytes_per_s;  // see the field's comment in DeviceSpec
};

// Measured efficiencies of a device: what fraction of the datasheet peaks real kernels reach,
// and what every kernel costs beyond its work. Calibration data, not datasheet data: the block
// carries its own source. models/compute/roofline.h documents how each number is used and
// docs/models.md how to calibrate a new device without profiling it.
struct DeviceEfficiency {
  // Large dense GEMM throughput / dense peak, at the best shape (e.g. a MAMF measurement).
  double gemm_max = 0;
  // The same ceiling sustained in end-to-end training (hours at the power limit, the training
  // stack's GEMM kernels), used by the training iteration model instead of gemm_max; 0 = not
  // calibrated, use gemm_max. docs/training.md ("Calibration") says how it was obtained.
  double training_gemm_max = 0;
  // Streaming multiprocessors (or compute units) that tiles of a GEMM are spread over; sets
  // the wave quantisation. 0 = unknown: no wave quantisation is modelled.
  int64_t sm_count = 0;
  // Output tile edge of the GEMM library's large kernels (rows = columns), e.g. 128.
  int64_t gemm_tile = 128;
  // Sustained HBM bandwidth / datasheet bandwidth for large streaming kernels.
  double memory = 0;
  double kernel_overhead_s = 0;  // GPU time per kernel beyond its work (launch gap, ramp)
  double step_overhead_s = 0;    // fixed device-side time per step (e.g. a host sync)
  SourceRef source;              // where the numbers come from (and the note: how)
};

struct DeviceSpec {
  std::string name;
  std::vector<std::string> aliases;
  std::string vendor;
  DeviceKind kind = DeviceKind::kGpu;
  std::optional<SourcedValue> memory_bytes;  // optional for kind cpu only
  std::string memory_type;
  std::optional<SourcedValue> memory_bandwidth_bytes_per_s;
  // DENSE peak per precision in FLOP/s (OP/s for integer formats); nullopt = unsupported.
  std::array<std::optional<SourcedValue>, kPrecisionCount> peak_flops_per_s;
  std::optional<SourcedValue> tdp_watts;
  std::string note_missing;                    // why a required number is absent
  std::optional<LinkSpec> scale_up;            // total bidirectional bandwidth per device
  std::optional<LinkSpec> host_link;           // bandwidth per direction
  std::optional<DeviceEfficiency> efficiency;  // nullopt: defaults by kind (roofline.h)
  SourceRef source;                            // the entry's default source
  std::string file;                            // catalog file the entry came from

  // Peak at `p`, or nullopt when the device has no such datapath.
  std::optional<double> Peak(Precision p) const {
    const auto& v = peak_flops_per_s[static_cast<int>(p)];
    return v ? std::optional<double>(v->value) : std::nullopt;
  }
};

}  // namespace fleetsim
