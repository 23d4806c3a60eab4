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

}  // namespace fleetsim
