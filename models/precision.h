// Numeric precisions: what a weight or an operand costs in bytes, and which datasheet peak
// a computation at that precision runs against.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/registry.h"

namespace fleetsim {

enum class Precision { kFp32, kTf32, kBf16, kFp16, kFp8, kInt8, kInt4 };
inline constexpr int kPrecisionCount = 7;

// "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4".
std::string_view PrecisionName(Precision p);
std::optional<Precision> ParsePrecision(std::string_view name);
std::vector<std::string> PrecisionNames();
// Storage bytes per element: 4, 4 (TF32 is stored as FP32), 2, 2, 1, 1, 0.5.
double BytesPerElement(Precision p);
// The precisions, listable (`fleetsim list precisions`) in enum order; the factory is the
// enum value. The summary gives the bytes per element and the datasheet peak used.
const Registry<Precision>& Precisions();

}  // namespace fleetsim
