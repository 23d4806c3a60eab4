#include "models/precision.h"

namespace fleetsim {

namespace {
constexpr std::array<std::string_view, kPrecisionCount> kNames = {"fp32", "tf32", "bf16", "fp16",
                                                                  "fp8",  "int8", "int4"};
constexpr std::array<double, kPrecisionCount> kBytes = {4, 4, 2, 2, 1, 1, 0.5};
}  // namespace

std::string_view PrecisionName(Precision p) { return kNames[static_cast<int>(p)]; }

std::optional<Precision> ParsePrecision(std::string_view name) {
  for (int i = 0; i < kPrecisionCount; ++i) {
    if (kNames[i] == name) return static_cast<Precision>(i);
  }
  return std::nullopt;
}

std::vector<std::string> PrecisionNames() { return {kNames.begin(), kNames.end()}; }

double BytesPerElement(Precision p) { return kBytes[static_cast<int>(p)]; }

const Registry<Precision>& Precisions() {
  static const Registry<Precision> registry = [] {
    Registry<Precision> r("precision");
    const char* const notes[kPrecisionCount] = {
        "32-bit float",
        "TF32 tensor-core math on FP32 storage",
        "bfloat16",
        "IEEE half precision",
        "8-bit float (Hopper, Ada and later)",
        "8-bit integer",
        "4-bit integer (a device without an int4 peak in the catalog cannot run it)"};
    for (int i = 0; i < kPrecisionCount; ++i) {
      const auto p = static_cast<Precision>(i);
      const double b = kBytes[static_cast<size_t>(i)];
      r.Add({std::string(kNames[static_cast<size_t>(i)]),
             std::string(notes[i]) + ": " +
                 (b == 0.5 ? std::string("0.5") : std::to_string(static_cast<int>(b))) +
                 " bytes per element",
             "as a service's or job's precision: weights are stored at this width and "
             "matrix math runs against the device's " +
                 std::string(kNames[static_cast<size_t>(i)]) +
                 " dense peak (catalog); a serving KV cache is fp8 at fp8, fp32 at fp32, "
                 "else fp16",
             p});
    }
    return r;
  }();
  return registry;
}

}  // namespace fleetsim
