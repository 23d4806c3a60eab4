#include "sim/units.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <vector>

#include "sim/suggest.h"

namespace fleetsim {

namespace {

struct UnitDef {
  double factor;  // base units per one of this unit
  Dimension dim;
};

Dimension Mul(Dimension a, Dimension b) {
  return Dimension{static_cast<int8_t>(a.usd + b.usd), static_cast<int8_t>(a.byte + b.byte),
                   static_cast<int8_t>(a.second + b.second), static_cast<int8_t>(a.joule + b.joule),
                   static_cast<int8_t>(a.flop + b.flop)};
}
Dimension Inv(Dimension a) {
  return Dimension{static_cast<int8_t>(-a.usd), static_cast<int8_t>(-a.byte),
                   static_cast<int8_t>(-a.second), static_cast<int8_t>(-a.joule),
                   static_cast<int8_t>(-a.flop)};
}

constexpr double kHour = 3600.0;

// The symbol table: every spelling the parser accepts, built once.
const std::map<std::string, UnitDef>& Units() {
  static const std::map<std::string, UnitDef> table = [] {
    std::map<std::string, UnitDef> t;
    const std::pair<const char*, double> decimal[] = {{"k", 1e3},  {"M", 1e6},  {"G", 1e9},
                                                      {"T", 1e12}, {"P", 1e15}, {"E", 1e18}};
    const std::pair<const char*, double> binary[] = {{"Ki", 1024.0},
                                                     {"Mi", 1048576.0},
                                                     {"Gi", 1073741824.0},
                                                     {"Ti", 1099511627776.0},
                                                     {"Pi", 1125899906842624.0}};
    // Data: B is a byte, b a bit.
    t["B"] = {1, dim::kBytes};
    t["b"] = {0.125, dim::kBytes};
    t["bit"] = {0.125, dim::kBytes};
    t["KB"] = {1e3, dim::kBytes};  // common spelling of kB; still decimal
    for (auto [p, f] : decimal) {
      t[std::string(p) + "B"] = {f, dim::kBytes};
      t[std::string(p) + "b"] = {f / 8, dim::kBytes};
      t[std::string(p) + "bps"] = {f / 8, dim::kBytesPerSecond};
    }
    for (auto [p, f] : binary) t[std::string(p) + "B"] = {f, dim::kBytes};
    // Work: FLOP (and OP for integer operations); FLOPS / OPS are per second.
    t["FLOP"] = {1, dim::kFlop};
    t["OP"] = {1, dim::kFlop};
    t["FLOPS"] = {1, dim::kFlopPerSecond};
    t["OPS"] = {1, dim::kFlopPerSecond};
    for (auto [p, f] : decimal) {
      t[std::string(p) + "FLOP"] = {f, dim::kFlop};
      t[std::string(p) + "OP"] = {f, dim::kFlop};
      t[std::string(p) + "FLOPS"] = {f, dim::kFlopPerSecond};
      t[std::string(p) + "OPS"] = {f, dim::kFlopPerSecond};
    }
    // Time.
    for (const char* s : {"s", "sec"}) t[s] = {1, dim::kSeconds};
    t["ns"] = {1e-9, dim::kSeconds};
    t["us"] = {1e-6, dim::kSeconds};
    t["\xC2\xB5s"] = {1e-6, dim::kSeconds};  // µs
    t["ms"] = {1e-3, dim::kSeconds};
    t["min"] = {60, dim::kSeconds};
    for (const char* s : {"h", "hr", "hour", "hours"}) t[s] = {kHour, dim::kSeconds};
    for (const char* s : {"d", "day", "days"}) t[s] = {24 * kHour, dim::kSeconds};
    for (const char* s : {"wk", "week", "weeks"}) t[s] = {7 * 24 * kHour, dim::kSeconds};
    for (const char* s : {"month", "months"}) t[s] = {730 * kHour, dim::kSeconds};
    for (const char* s : {"y", "yr", "year", "years"}) t[s] = {8760 * kHour, dim::kSeconds};
    // Power and energy.
    t["W"] = {1, dim::kWatts};
    t["mW"] = {1e-3, dim::kWatts};
    t["J"] = {1, dim::kJoules};
    t["Wh"] = {kHour, dim::kJoules};
    for (auto [p, f] : decimal) {
      if (std::string(p) == "E" || std::string(p) == "P") continue;
      t[std::string(p) + "W"] = {f, dim::kWatts};
      t[std::string(p) + "J"] = {f, dim::kJoules};
      t[std::string(p) + "Wh"] = {f * kHour, dim::kJoules};
    }
    // Frequency.
    t["Hz"] = {1, dim::kPerSecond};
    t["kHz"] = {1e3, dim::kPerSecond};
    t["MHz"] = {1e6, dim::kPerSecond};
    t["GHz"] = {1e9, dim::kPerSecond};
    // Dimensionless.
    t["%"] = {0.01, dim::kNumber};
    for (const char* s : {"GPU", "GPUs", "token", "tokens", "req", "request", "requests"}) {
      t[s] = {1, dim::kNumber};
    }
    return t;
  }();
  return table;
}

std::vector<std::string> UnitNames() {
  std::vector<std::string> names;
  for (const auto& [name, def] : Units()) names.push_back(name);
  return names;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

struct NumberResult {
  bool ok = false;
  double value = 0;
  size_t end = 0;
  UnitError error;
};

// Parses [-]digits[,ddd]*[.digits][e[+-]digits] starting at pos.
NumberResult ParseNumber(std::string_view s, size_t pos) {
  NumberResult r;
  std::string digits;
  size_t i = pos;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) digits += s[i++];
  const size_t int_start = i;
  size_t group = 0;
  bool saw_comma = false;
  size_t last_comma = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == ',')) {
    if (s[i] == ',') {
      if (i == int_start || (saw_comma ? group != 3 : group > 3)) {
        r.error = {"misplaced thousands separator ','", i, ""};
        return r;
      }
      saw_comma = true;
      last_comma = i;
      group = 0;
    } else {
      digits += s[i];
      ++group;
    }
    ++i;
  }
  if (saw_comma && group != 3) {
    r.error = {"misplaced thousands separator ',' (groups of three digits expected)", last_comma,
               ""};
    return r;
  }
  bool any_digit = i > int_start;
  if (i < s.size() && s[i] == '.') {
    digits += '.';
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      digits += s[i++];
      any_digit = true;
    }
  }
  if (!any_digit) {
    r.error = {"expected a number", pos, ""};
    return r;
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E') && i + 1 < s.size() &&
      (std::isdigit(static_cast<unsigned char>(s[i + 1])) ||
       ((s[i + 1] == '-' || s[i + 1] == '+') && i + 2 < s.size() &&
        std::isdigit(static_cast<unsigned char>(s[i + 2]))))) {
    digits += 'e';
    ++i;
    if (s[i] == '-' || s[i] == '+') digits += s[i++];
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) digits += s[i++];
  }
  // strtod in the "C" locale semantics: the string holds only [0-9.eE+-].
  char* end = nullptr;
  r.value = std::strtod(digits.c_str(), &end);
  if (!std::isfinite(r.value)) {
    r.error = {"number out of range", pos, ""};
    return r;
  }
  r.ok = true;
  r.end = i;
  return r;
}

// Parses a unit expression: terms joined by '-', '*' or '·', parts separated by '/'.
// The first part is the numerator (may be empty: "10/s").
bool ParseUnitExpr(std::string_view s, size_t offset, double* factor, Dimension* d,
                   UnitError* error) {
  *factor = 1;
  *d = Dimension{};
  size_t i = 0;
  bool denominator = false;
  size_t part = 0;
  while (i <= s.size()) {
    // One part: up to the next '/' or end.
    size_t j = s.find('/', i);
    if (j == std::string_view::npos) j = s.size();
    std::string_view partText = s.substr(i, j - i);
    // Split into terms.
    size_t k = 0;
    bool any_term = false;
    while (k <= partText.size()) {
      size_t e = k;
      while (e < partText.size() && partText[e] != '-' && partText[e] != '*' &&
             !(partText[e] == '\xC2' && e + 1 < partText.size() && partText[e + 1] == '\xB7')) {
        ++e;
      }
      std::string_view term = partText.substr(k, e - k);
      while (!term.empty() && IsSpace(term.front())) term.remove_prefix(1), ++k;
      while (!term.empty() && IsSpace(term.back())) term.remove_suffix(1);
      if (term.empty()) {
        const bool blank_part = partText.find_first_not_of(" \t") == std::string_view::npos;
        if (denominator && blank_part) {
          *error = {"nothing after '/'", offset + i, ""};
          return false;
        }
        if (!(part == 0 && blank_part)) {
          *error = {"empty unit term", offset + i + k, ""};
          return false;
        }
      } else {
        const auto& units = Units();
        auto it = units.find(std::string(term));
        if (it == units.end()) {
          auto suggestion = ClosestName(term, UnitNames());
          *error = {"unknown unit '" + std::string(term) + "'", offset + i + k,
                    suggestion.value_or("")};
          return false;
        }
        any_term = true;
        if (denominator) {
          *factor /= it->second.factor;
          *d = Mul(*d, Inv(it->second.dim));
        } else {
          *factor *= it->second.factor;
          *d = Mul(*d, it->second.dim);
        }
      }
      if (e >= partText.size()) break;
      k = e + (partText[e] == '\xC2' ? 2 : 1);
    }
    if (denominator && !any_term) {
      *error = {"nothing after '/'", offset + i, ""};
      return false;
    }
    if (j >= s.size()) break;
    i = j + 1;
    denominator = true;
    ++part;
  }
  return true;
}

std::string Trim(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b && IsSpace(s[a])) ++a;
  while (b > a && IsSpace(s[b - 1])) --b;
  return std::string(s.substr(a, b - a));
}

}  // namespace

ParsedQuantity ParseQuantity(std::string_view text) {
  ParsedQuantity out;
  size_t pos = 0;
  while (pos < text.size() && IsSpace(text[pos])) ++pos;
  if (pos == text.size()) {
    out.error = {"empty quantity", 0, ""};
    return out;
  }
  bool money = false;
  if (text[pos] == '$') {
    money = true;
    ++pos;
    while (pos < text.size() && IsSpace(text[pos])) ++pos;
  }
  NumberResult num = ParseNumber(text, pos);
  if (!num.ok) {
    out.error = num.error;
    return out;
  }
  size_t rest_start = num.end;
  while (rest_start < text.size() && IsSpace(text[rest_start])) ++rest_start;
  std::string_view rest = text.substr(rest_start);
  while (!rest.empty() && IsSpace(rest.back())) rest.remove_suffix(1);
  double factor = 1;
  Dimension d{};
  if (!rest.empty()) {
    if (!ParseUnitExpr(rest, rest_start, &factor, &d, &out.error)) return out;
  }
  if (money) d = Mul(d, dim::kUsd);
  const double value = num.value * factor;
  if (!std::isfinite(value)) {
    out.error = {"value out of range", 0, ""};
    return out;
  }
  out.quantity = Quantity{value, d};
  return out;
}

ParsedQuantity ParseQuantityAs(std::string_view text, const Dimension& expected) {
  ParsedQuantity q = ParseQuantity(text);
  if (!q.quantity) return q;
  if (!(q.quantity->dimension == expected)) {
    ParsedQuantity bad;
    bad.error = {"expected " + DescribeDimension(expected) + " (for example \"" +
                     ExampleOf(expected) + "\"), got " + DescribeDimension(q.quantity->dimension) +
                     " \"" + Trim(text) + "\"",
                 0, ""};
    return bad;
  }
  return q;
}

ParsedQuantity ParseCount(std::string_view text) {
  ParsedQuantity out;
  size_t pos = 0;
  while (pos < text.size() && IsSpace(text[pos])) ++pos;
  NumberResult num = ParseNumber(text, pos);
  if (!num.ok) {
    out.error = num.error;
    return out;
  }
  size_t i = num.end;
  double mult = 1;
  if (i < text.size() && !IsSpace(text[i])) {
    switch (text[i]) {
      case 'k':
      case 'K':
        mult = 1e3;
        break;
      case 'M':
        mult = 1e6;
        break;
      case 'B':
      case 'G':
        mult = 1e9;
        break;
      case 'T':
        mult = 1e12;
        break;
      default:
        out.error = {"unknown count suffix '" + std::string(1, text[i]) + "' (use k, M, B or T)", i,
                     ""};
        return out;
    }
    ++i;
  }
  while (i < text.size() && IsSpace(text[i])) ++i;
  // An optional word naming what is counted.
  size_t w = i;
  while (w < text.size() && (std::isalpha(static_cast<unsigned char>(text[w])) || text[w] == '-'))
    ++w;
  while (w < text.size() && IsSpace(text[w])) ++w;
  if (w != text.size()) {
    out.error = {"unexpected text after the count", w == i ? i : w, ""};
    return out;
  }
  out.quantity = Quantity{num.value * mult, dim::kNumber};
  return out;
}

std::string DescribeDimension(const Dimension& d) {
  struct Name {
    Dimension d;
    const char* name;
  };
  static const Name names[] = {
      {dim::kNumber, "a plain number"},
      {dim::kBytes, "a data size"},
      {dim::kBytesPerSecond, "a bandwidth"},
      {dim::kSeconds, "a duration"},
      {dim::kPerSecond, "a rate per unit of time"},
      {dim::kWatts, "a power"},
      {dim::kJoules, "an energy"},
      {dim::kUsd, "an amount of money"},
      {dim::kUsdPerSecond, "a price per unit of time"},
      {dim::kUsdPerJoule, "a price per unit of energy"},
      {dim::kUsdPerByte, "a price per unit of data"},
      {dim::kFlop, "an amount of work (FLOP)"},
      {dim::kFlopPerSecond, "a compute rate"},
  };
  for (const auto& n : names) {
    if (n.d == d) return n.name;
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "a quantity of unit $^%d B^%d s^%d J^%d FLOP^%d", d.usd, d.byte,
                d.second, d.joule, d.flop);
  return buf;
}

std::string ExampleOf(const Dimension& d) {
  if (d == dim::kNumber) return "0.75";
  if (d == dim::kBytes) return "80 GiB";
  if (d == dim::kBytesPerSecond) return "400 Gb/s";
  if (d == dim::kSeconds) return "1.5 us";
  if (d == dim::kPerSecond) return "10/s";
  if (d == dim::kWatts) return "700 W";
  if (d == dim::kJoules) return "3,500 kWh";
  if (d == dim::kUsd) return "$199,000";
  if (d == dim::kUsdPerSecond) return "$2.21/h";
  if (d == dim::kUsdPerJoule) return "$0.10/kWh";
  if (d == dim::kUsdPerByte) return "$0.09/GB";
  if (d == dim::kFlop) return "3.14e23 FLOP";
  if (d == dim::kFlopPerSecond) return "312 TFLOPS";
  return "?";
}

namespace {
std::string WithPrefix(double v, const char* unit, bool binary = false) {
  static const char* kPrefixes[] = {"", "k", "M", "G", "T", "P", "E"};
  int p = 0;
  const double base = binary ? 1024.0 : 1000.0;
  double a = std::fabs(v);
  while (a >= base && p < 6) {
    a /= base;
    v /= base;
    ++p;
  }
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g %s%s", v, kPrefixes[p], unit);
  return buf;
}
}  // namespace

std::string FormatQuantity(double v, const Dimension& d) {
  char buf[64];
  if (d == dim::kBytes) return WithPrefix(v, "B");
  if (d == dim::kBytesPerSecond) return WithPrefix(v, "B/s");
  if (d == dim::kFlop) return WithPrefix(v, "FLOP");
  if (d == dim::kFlopPerSecond) return WithPrefix(v, "FLOP/s");
  if (d == dim::kWatts) return WithPrefix(v, "W");
  if (d == dim::kJoules) return WithPrefix(v / kHour, "Wh");
  if (d == dim::kPerSecond) {
    std::snprintf(buf, sizeof buf, "%.3g/s", v);
    return buf;
  }
  if (d == dim::kSeconds) {
    std::snprintf(buf, sizeof buf, "%.3g s", v);
    return buf;
  }
  if (d == dim::kUsd) return FormatUsd(v);
  if (d == dim::kUsdPerSecond) {
    std::snprintf(buf, sizeof buf, "$%.3g/h", v * kHour);
    return buf;
  }
  if (d == dim::kUsdPerJoule) {
    std::snprintf(buf, sizeof buf, "$%.3g/kWh", v * 1e3 * kHour);
    return buf;
  }
  if (d == dim::kUsdPerByte) {
    std::snprintf(buf, sizeof buf, "$%.3g/GB", v * 1e9);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

namespace {
std::string GroupThousands(long long whole) {
  std::string digits = std::to_string(whole < 0 ? -whole : whole);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return (whole < 0 ? "-" : "") + out;
}
}  // namespace

std::string FormatUsd(double usd) {
  char buf[64];
  const double a = std::fabs(usd);
  if (a >= 1e15) {
    std::snprintf(buf, sizeof buf, "$%.3g", usd);
    return buf;
  }
  if (a >= 1000) return "$" + GroupThousands(std::llround(usd));
  if (a >= 1) {
    std::snprintf(buf, sizeof buf, "$%.2f", usd);
    return buf;
  }
  std::snprintf(buf, sizeof buf, "$%.3g", usd);
  return buf;
}

std::string FormatCount(double n) {
  char buf[64];
  const double a = std::fabs(n);
  if (a < 1e6 && std::floor(n) == n) return GroupThousands(static_cast<long long>(n));
  const std::pair<double, const char*> scales[] = {{1e12, "T"}, {1e9, "B"}, {1e6, "M"}};
  for (auto [scale, suffix] : scales) {
    if (a >= scale) {
      std::snprintf(buf, sizeof buf, "%.4g%s", n / scale, suffix);
      return buf;
    }
  }
  std::snprintf(buf, sizeof buf, "%.4g", n);
  return buf;
}

}  // namespace fleetsim
