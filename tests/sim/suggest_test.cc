#include "sim/suggest.h"

#include <gtest/gtest.h>

namespace fleetsim {
namespace {

TEST(SuggestTest, EditDistanceCountsTranspositionAsOne) {
  EXPECT_EQ(EditDistance("bandwidth", "bandwitdh"), 1u);  // one swap
  EXPECT_EQ(EditDistance("GiB", "gib"), 0u);              // case-insensitive
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);       // the textbook example
}

TEST(SuggestTest, ClosestNameOnlyForPlausibleTypos) {
  EXPECT_EQ(ClosestName("bandwith", {"latency", "bandwidth", "kind"}), "bandwidth");
  EXPECT_FALSE(ClosestName("zzzzzzzz", {"latency", "bandwidth"}).has_value());
  // Equal distances (1 each): the candidate that continues what was typed wins.
  EXPECT_EQ(ClosestName("llama2-70", {"llama2-7b", "llama2-70b"}), "llama2-70b");
}

}  // namespace
}  // namespace fleetsim
