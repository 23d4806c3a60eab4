// "Did you mean ...?": the closest valid name to a misspelt one.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fleetsim {

// Optimal-string-alignment edit distance (insert, delete, substitute, swap adjacent),
// case-insensitive.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `name`, if one is close enough to be a plausible typo:
// distance <= max(2, len/3). Ties go to the earliest candidate, so the answer is stable.
std::optional<std::string> ClosestName(std::string_view name,
                                       const std::vector<std::string>& candidates);

}  // namespace fleetsim
