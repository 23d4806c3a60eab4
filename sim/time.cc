#include "sim/time.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace fleetsim {

std::optional<Duration> Duration::TryFromSeconds(double seconds) {
  if (std::isnan(seconds) || seconds < 0.0) return std::nullopt;
  const double ns = std::ceil(seconds * 1e9);
  // 2^63 is exactly representable as a double; anything at or above it overflows int64.
  if (!(ns < 9223372036854775808.0)) return std::nullopt;
  return Duration(static_cast<int64_t>(ns));
}

Duration Duration::FromSeconds(double seconds) {
  if (auto d = TryFromSeconds(seconds)) return *d;
  char buf[96];
  std::snprintf(buf, sizeof buf,
                "cannot convert %.17g s to simulated time (NaN, negative or too large)", seconds);
  throw std::domain_error(buf);
}

std::string FormatDuration(Duration d) {
  const double s = d.seconds();
  const double a = std::fabs(s);
  char buf[64];
  if (a == 0) return "0 s";
  if (a < 1e-6)
    std::snprintf(buf, sizeof buf, "%lld ns", static_cast<long long>(d.ns()));
  else if (a < 1e-3)
    std::snprintf(buf, sizeof buf, "%.3g us", s * 1e6);
  else if (a < 1)
    std::snprintf(buf, sizeof buf, "%.3g ms", s * 1e3);
  else if (a < 120)
    std::snprintf(buf, sizeof buf, "%.3g s", s);
  else if (a < 7200)
    std::snprintf(buf, sizeof buf, "%.3g min", s / 60);
  else if (a < 172800)
    std::snprintf(buf, sizeof buf, "%.3g h", s / 3600);
  else
    std::snprintf(buf, sizeof buf, "%.3g d", s / 86400);
  return buf;
}

}  // namespace fleetsim
