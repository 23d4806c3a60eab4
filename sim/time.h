// Simulated time for fleetsim.
//
// Every instant and interval in the kernel is an integer number of nanoseconds (int64):
// exact ordering, no drift when many small steps add up, and ~292 years of range, far
// more than any scenario horizon. Floating-point seconds appear only at the edges
// (models compute durations as doubles) and cross into SimTime through the one checked
// conversion, Duration::FromSeconds, which rounds up so that an event never fires before
// the work it stands for is done.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

namespace fleetsim {

// An interval of simulated time in nanoseconds. May be negative only as the result of
// subtracting two instants; everything the kernel schedules is non-negative.
class Duration {
 public:
  constexpr Duration() = default;
  static constexpr Duration Nanoseconds(int64_t ns) { return Duration(ns); }
  static constexpr Duration Microseconds(int64_t us) { return Duration(us * 1'000); }
  static constexpr Duration Milliseconds(int64_t ms) { return Duration(ms * 1'000'000); }
  static constexpr Duration Seconds(int64_t s) { return Duration(s * 1'000'000'000); }
  static constexpr Duration Zero() { return Duration(0); }
  static constexpr Duration Max() { return Duration(std::numeric_limits<int64_t>::max()); }

  // The one checked conversion from floating-point seconds: rounds UP to the next whole
  // nanosecond; returns nullopt for NaN, negative values, or values beyond Max().
  static std::optional<Duration> TryFromSeconds(double seconds);
  // As TryFromSeconds, but throws std::domain_error naming the value when it is rejected.
  static Duration FromSeconds(double seconds);

  constexpr int64_t ns() const { return ns_; }
  constexpr double seconds() const { return static_cast<double>(ns_) * 1e-9; }

  friend constexpr Duration operator+(Duration a, Duration b) { return Duration(a.ns_ + b.ns_); }
  friend constexpr Duration operator-(Duration a, Duration b) { return Duration(a.ns_ - b.ns_); }
  friend constexpr Duration operator*(Duration a, int64_t k) { return Duration(a.ns_ * k); }
  constexpr Duration& operator+=(Duration o) {
    ns_ += o.ns_;
    return *this;
  }
  constexpr Duration& operator-=(Duration o) {
    ns_ -= o.ns_;
    return *this;
  }
  friend constexpr auto operator<=>(Duration, Duration) = default;

 private:
  constexpr explicit Duration(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

// An instant of simulated time: nanoseconds since the start of the run (t = 0).
class SimTime {
 public:
  constexpr SimTime() = default;
  static constexpr SimTime FromNanoseconds(int64_t ns) { return SimTime(ns); }
  static constexpr SimTime Zero() { return SimTime(0); }
  static constexpr SimTime Max() { return SimTime(std::numeric_limits<int64_t>::max()); }

  constexpr int64_t ns() const { return ns_; }
  constexpr double seconds() const { return static_cast<double>(ns_) * 1e-9; }

  // Saturates at Max() instead of overflowing: "never" stays "never".
  friend constexpr SimTime operator+(SimTime t, Duration d) {
    if (d.ns() > 0 && t.ns_ > std::numeric_limits<int64_t>::max() - d.ns()) return Max();
    return SimTime(t.ns_ + d.ns());
  }
  friend constexpr Duration operator-(SimTime a, SimTime b) {
    return Duration::Nanoseconds(a.ns_ - b.ns_);
  }
  friend constexpr auto operator<=>(SimTime, SimTime) = default;

 private:
  constexpr explicit SimTime(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

// "1.5 s", "12 ms", "3.2 d": a short human-readable rendering for messages and reports.
std::string FormatDuration(Duration d);

}  // namespace fleetsim
