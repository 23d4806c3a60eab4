// Escaping text for HTML, SVG and XML outputs (report.html, the bench-policies chart).
#pragma once

#include <string>
#include <string_view>

namespace fleetsim {

// `&`, `<`, `>` and `"` as entities: safe in element text and in double-quoted attributes.
inline std::string EscapeMarkup(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

}  // namespace fleetsim
