// A monotone min-priority queue of (non-negative double key, uint32 value) pairs: a radix
// heap (Ahuja, Mehlhorn, Orlin and Tarjan, "Faster algorithms for the shortest path
// problem", JACM 1990) over the IEEE-754 bit patterns of the keys, which order like the
// keys themselves for non-negative doubles.
//
// Monotone: a pushed key must not be below the last popped one. Progressive filling
// satisfies this (fair-share levels only rise), and gets O(1) pushes and amortised
// O(bits) pops instead of a binary heap's O(log n) each.
//
// Among equal keys the most recently pushed pops first: deterministic for a deterministic
// sequence of calls.
#pragma once

#include <array>
#include <bit>
#include <cassert>
#include <cstdint>
#include <vector>

namespace fleetsim {

class RadixHeap {
 public:
  struct Item {
    uint64_t key_bits;
    uint32_t value;
    double key() const { return std::bit_cast<double>(key_bits); }
  };

  // Precondition: key >= +0.0 (not -0.0, not NaN) and key >= the last popped key.
  void Push(double key, uint32_t value) {
    const auto bits = std::bit_cast<uint64_t>(key);
    assert(bits >= last_);
    const int b = Bucket(bits);
    buckets_[b].push_back(Item{bits, value});
    nonempty_ |= uint64_t{1} << b;
    ++size_;
  }

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  // Precondition: !empty().
  Item Pop() {
    if (buckets_[0].empty()) {
      const int i = std::countr_zero(nonempty_ & ~uint64_t{1});
      auto& from = buckets_[i];
      uint64_t m = from[0].key_bits;
      for (const Item& it : from) m = it.key_bits < m ? it.key_bits : m;
      last_ = m;
      for (const Item& it : from) {
        const int b = Bucket(it.key_bits);
        buckets_[b].push_back(it);
        nonempty_ |= uint64_t{1} << b;
      }
      from.clear();
      nonempty_ &= ~(uint64_t{1} << i);
    }
    const Item it = buckets_[0].back();
    buckets_[0].pop_back();
    if (buckets_[0].empty()) nonempty_ &= ~uint64_t{1};
    --size_;
    return it;
  }

  void Clear() {
    for (auto& b : buckets_) b.clear();
    nonempty_ = 0;
    last_ = 0;
    size_ = 0;
  }

 private:
  // 0 for a key equal to the last popped one, else 1 + the index of the highest bit in
  // which it differs from it. The sign bit of a non-negative double is 0, so at most 63.
  int Bucket(uint64_t bits) const {
    return bits == last_ ? 0 : 64 - std::countl_zero(bits ^ last_);
  }

  std::array<std::vector<Item>, 64> buckets_;
  uint64_t nonempty_ = 0;  // bit b set iff bucket b is non-empty
  uint64_t last_ = 0;
  size_t size_ = 0;
};

}  // namespace fleetsim
