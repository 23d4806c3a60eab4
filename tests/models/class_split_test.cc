// Splitting one demand among services by request class (models/workload/class_split.h).
#include "models/workload/class_split.h"

#include <gtest/gtest.h>

namespace fleetsim {
namespace {

// Requests at t = 0, 1, 2, ... s; classes given by the list (-1 = draw).
struct ListStream final : RequestStream {
  std::vector<int32_t> classes;
  size_t next = 0;
  std::optional<RequestSpec> Next() override {
    if (next == classes.size()) return std::nullopt;
    RequestSpec r;
    r.arrival_s = static_cast<double>(next);
    r.prompt_tokens = 10;
    r.output_tokens = 5;
    r.class_index = classes[next++];
    return r;
  }
};

TEST(ClassSplitTest, EachOutputGetsItsClassesInArrivalOrderWhateverTheReadOrder) {
  // Classes 0, 1, 2 -> outputs 0, 1, 1. Arrivals: classes 0 1 2 1 0 2 at t = 0..5.
  // Output 1 read first gets t = 1, 2, 3, 5; output 0 then gets t = 0, 4 from its buffer.
  auto src = std::make_unique<ListStream>();
  src->classes = {0, 1, 2, 1, 0, 2};
  ClassSplitter split(std::move(src), {1, 1, 1}, Rng(1), {0, 1, 1}, 2);
  auto out0 = split.Output(0);
  auto out1 = split.Output(1);
  std::vector<double> t1, t0;
  while (auto r = out1->Next()) t1.push_back(r->arrival_s);
  while (auto r = out0->Next()) t0.push_back(r->arrival_s);
  EXPECT_EQ(t1, (std::vector<double>{1, 2, 3, 5}));
  EXPECT_EQ(t0, (std::vector<double>{0, 4}));
}

TEST(ClassSplitTest, DrawnClassesFollowTheWeightsAndTheGivenStream) {
  // 10,000 requests without a class, weights 3:1 -> about 7,500 to output 0 (class 0) and
  // 2,500 to output 1; the binomial standard deviation is sqrt(10,000 x 0.75 x 0.25) = 43,
  // so +-200 is over 4 sigma. The draw uses the given RNG: the same seed, the same split.
  auto count = [](uint64_t seed) {
    auto src = std::make_unique<ListStream>();
    src->classes.assign(10000, -1);
    ClassSplitter split(std::move(src), {3, 1}, Rng(seed), {0, 1}, 2);
    auto out0 = split.Output(0);
    int n = 0;
    while (out0->Next()) ++n;
    return n;
  };
  const int n = count(5);
  EXPECT_NEAR(n, 7500, 200);
  EXPECT_EQ(count(5), n);
}

TEST(ClassSplitTest, RejectsRoutesBeyondTheOutputs) {
  EXPECT_THROW(ClassSplitter(std::make_unique<ListStream>(), {1, 1}, Rng(1), {0, 2}, 2),
               std::invalid_argument);
  EXPECT_THROW(ClassSplitter(std::make_unique<ListStream>(), {1}, Rng(1), {0, 1}, 2),
               std::invalid_argument);
}

}  // namespace
}  // namespace fleetsim
