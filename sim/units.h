// Quantities with units, as users write them: "80 GiB", "2,039 GB/s", "400 Gb/s",
// "1.5 us", "3 d", "700 W", "6.5 kW", "$2.21/h", "$0.10/kWh", "$0.09/GB", "10/s",
// "50 %/week", "312 TFLOPS", "175B".
//
// Every quantity is converted to base units on parsing and carried as a double in them:
//   money USD, data bytes, time seconds, energy joules (power = J/s), work FLOP.
// The unit of a C++ variable is in its name (memory_bytes, bandwidth_bytes_per_s,
// price_usd_per_hour is NOT used: prices are usd_per_s internally, and converted only
// for display).
//
// Rules: decimal and binary prefixes are distinct (GB = 1e9 B, GiB = 2^30 B); a lower-case
// b is a bit (Gb/s = 1e9/8 B/s); commas group thousands ("2,039", never "2,03");
// "month" is 730 h and "year" 8,760 h (cloud billing convention). Symbols are
// case-sensitive: "mb" is an error, not a millibit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fleetsim {

// Exponents of the base units.
struct Dimension {
  int8_t usd = 0, byte = 0, second = 0, joule = 0, flop = 0;
  friend bool operator==(const Dimension&, const Dimension&) = default;
};

namespace dim {
inline constexpr Dimension kNumber{};
inline constexpr Dimension kBytes{0, 1, 0, 0, 0};
inline constexpr Dimension kBytesPerSecond{0, 1, -1, 0, 0};
inline constexpr Dimension kSeconds{0, 0, 1, 0, 0};
inline constexpr Dimension kPerSecond{0, 0, -1, 0, 0};  // rates: "10/s", "3 GHz", "50 %/week"
inline constexpr Dimension kWatts{0, 0, -1, 1, 0};
inline constexpr Dimension kJoules{0, 0, 0, 1, 0};
inline constexpr Dimension kUsd{1, 0, 0, 0, 0};
inline constexpr Dimension kUsdPerSecond{1, 0, -1, 0, 0};  // "$2.21/h"
inline constexpr Dimension kUsdPerJoule{1, 0, 0, -1, 0};   // "$0.10/kWh", "$184/kW-month"
inline constexpr Dimension kUsdPerByte{1, -1, 0, 0, 0};    // "$0.09/GB"
inline constexpr Dimension kFlop{0, 0, 0, 0, 1};
inline constexpr Dimension kFlopPerSecond{0, 0, -1, 0, 1};  // "312 TFLOPS"
}  // namespace dim

// What a dimension is called in messages ("a bandwidth", "a data size", ...), with an
// example of how to write it.
std::string DescribeDimension(const Dimension& d);
std::string ExampleOf(const Dimension& d);

struct Quantity {
  double value = 0.0;  // in base units
  Dimension dimension;
};

// Why a quantity string was rejected. `column` is the 0-based offset in the text where the
// problem starts; `suggestion` is a valid unit close to a misspelt one, if any.
struct UnitError {
  std::string message;
  size_t column = 0;
  std::string suggestion;
};

// Parses "<number> [unit]" or "$<number>[/unit]". A bare number is dimensionless.
// Returns the error instead of throwing: the caller adds file and line.
struct ParsedQuantity {
  std::optional<Quantity> quantity;
  UnitError error;
};
ParsedQuantity ParseQuantity(std::string_view text);

// As ParseQuantity, but the result must have dimension `expected`; a finite value is
// required. On a dimension mismatch the error says what was expected, with an example.
ParsedQuantity ParseQuantityAs(std::string_view text, const Dimension& expected);

// A count: "1,024", "300e9", "175B", "6.7B", "340M", "1.4T tokens", "20k". The suffixes
// k/K (1e3), M (1e6), B/G (1e9) and T (1e12) multiply; a trailing word (tokens, params,
// requests, GPUs ...) is allowed and ignored.
ParsedQuantity ParseCount(std::string_view text);

// Formats a value in base units of the given dimension for humans: "80 GB", "2.04 TB/s",
// "$2.21/h", "312 TFLOP/s". Three significant digits.
std::string FormatQuantity(double value, const Dimension& d);

// Money for humans: "$559,600" (whole dollars from $1,000), "$350.40", "$0.000224".
std::string FormatUsd(double usd);
// Counts for humans: "175B", "1.4T", "6.74B", "2,048".
std::string FormatCount(double n);

}  // namespace fleetsim
