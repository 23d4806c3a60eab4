#include "sim/event_queue.h"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace fleetsim {

namespace {

constexpr uint64_t kSequenceMask = (uint64_t{1} << 56) - 1;

// Rung 0 gets about one bucket per kTargetPerBucket entries of the top, and spawned rungs
// aim at the same fill. Larger buckets mean fewer bucket tails in cache while spreading,
// but bigger sorts and a wider near window (more pushes into the near heap). 16, 32 and
// 64 measured alike in the hold benchmark (bench/RESULTS.md).
constexpr size_t kTargetPerBucket = 32;
// Caps the bucket array of rung 0 (12 bytes per bucket).
constexpr size_t kMaxBuckets = size_t{1} << 20;
// A bucket with more entries than this is spread into a deeper rung instead of being
// sorted, unless it is already one nanosecond wide (a single time: sorting it is linear,
// see MoveBucketToRun). A top this small is sorted directly.
constexpr uint32_t kSpawnThreshold = 64;
// Each spawned rung narrows the width by at least 2x, so deep ladders only come from
// times spread over many orders of magnitude; past this depth buckets are just sorted.
constexpr size_t kMaxRungs = 16;
// How many entries ahead of the near run's head Pop prefetches the slot of: enough to
// cover a memory access at a few tens of nanoseconds per event. At 1e6 pending the slab
// does not fit in cache and this prefetch halves the time per hold.
constexpr size_t kPrefetchAhead = 8;
// Buckets up to 2^this ns wide are sorted by counting (a stack array of 2^this counters).
constexpr uint32_t kCountingSortMaxShift = 8;

template <typename T>
inline void Prefetch(const T* p) {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(p);
#else
  (void)p;
#endif
}

uint64_t Offset(int64_t time, int64_t start) {
  // Unsigned: time - start can exceed INT64_MAX when the range spans most of int64.
  return static_cast<uint64_t>(time) - static_cast<uint64_t>(start);
}

int64_t AddOffset(int64_t start, uint64_t offset) {
  return static_cast<int64_t>(static_cast<uint64_t>(start) + offset);
}

}  // namespace

void EventQueue::Reserve(size_t n) {
  slots_.reserve(n);
  top_.reserve(n);
}

// ---- chunk lists ----

uint32_t EventQueue::NewChunk() {
  uint32_t c;
  if (free_chunk_ != kNoChunk) {
    c = free_chunk_;
    free_chunk_ = chunks_[c].next;
  } else {
    if (chunks_.size() >= kNoChunk) throw std::length_error("event queue: chunk pool full");
    c = static_cast<uint32_t>(chunks_.size());
    chunks_.emplace_back();
  }
  chunks_[c].next = kNoChunk;
  return c;
}

void EventQueue::Append(Bucket& b, const Entry& e) {
  const uint32_t fill = b.count % kChunkEntries;
  if (fill == 0) {
    const uint32_t c = NewChunk();
    if (b.count == 0) {
      b.head = c;
    } else {
      chunks_[b.tail].next = c;
    }
    b.tail = c;
  }
  chunks_[b.tail].entries[fill] = e;
  ++b.count;
}

void EventQueue::FreeChunks(uint32_t head) {
  while (head != kNoChunk) {
    const uint32_t next = chunks_[head].next;
    chunks_[head].next = free_chunk_;
    free_chunk_ = head;
    head = next;
  }
}

// ---- push ----

EventId EventQueue::Push(SimTime time, Phase phase, EventHandler* handler, uint64_t tag) {
  assert(handler != nullptr);
  uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    if (slots_.size() >= std::numeric_limits<uint32_t>::max() - 1) {
      throw std::length_error("event queue: more than 2^32 pending events");
    }
    slot = static_cast<uint32_t>(slots_.size());
    slots_.push_back(Slot{nullptr, 0, 0, 0});
  }
  Slot& s = slots_[slot];
  s.handler = handler;
  s.tag = tag;
  s.phase = phase;
  const Entry e{time.ns(), (uint64_t{phase} << 56) | (next_sequence_++ & kSequenceMask), slot};
  ++live_;

  if (e.time > top_after_) {
    top_.push_back(e);
    top_min_ = std::min(top_min_, e.time);
    top_max_ = std::max(top_max_, e.time);
  } else {
    // Rungs cover successively earlier, disjoint ranges; the first whose range has
    // started takes the entry. Anything earlier than every rung belongs to near.
    size_t i = 0;
    for (; i < depth_; ++i) {
      Rung& r = rungs_[i];
      if (e.time >= r.current) {
        Append(r.buckets[Offset(e.time, r.start) >> r.shift], e);
        break;
      }
    }
    if (i == depth_) {
      near_heap_.push_back(e);
      std::push_heap(near_heap_.begin(), near_heap_.end(), After{});
    }
  }
  return EventId{slot, s.generation};
}

bool EventQueue::IsPending(EventId id) const {
  return id.slot < slots_.size() && slots_[id.slot].generation == id.generation &&
         slots_[id.slot].handler != nullptr;
}

bool EventQueue::Cancel(EventId id, Event* out) {
  if (!IsPending(id)) return false;
  Slot& s = slots_[id.slot];
  if (out) *out = Event{SimTime::Zero(), s.phase, s.handler, s.tag};
  // The entry stays in its tier until it reaches the front (or a compaction); the slot is
  // freed then, so the generation check above keeps this id stale from now on.
  s.handler = nullptr;
  ++s.generation;
  --live_;
  ++cancelled_;
  CompactIfMostlyCancelled();
  return true;
}

// ---- refill: top -> rungs -> near ----

void EventQueue::InitRung(Rung& r, int64_t start, uint64_t span, uint32_t shift) {
  r.start = start;
  r.current = start;
  r.shift = shift;
  r.cursor = 0;
  // Every bucket of an inactive rung was drained, so no chunk is leaked here.
  r.buckets.assign(static_cast<size_t>(span >> shift) + 1, Bucket{});
}

void EventQueue::SpreadTop() {
  assert(depth_ == 0 && !top_.empty());
  const uint64_t range = Offset(top_max_, top_min_);
  const size_t want = std::clamp<size_t>(top_.size() / kTargetPerBucket, 1, kMaxBuckets);
  uint32_t shift = 0;
  while (shift < 63 && (range >> shift) >= want) ++shift;
  if (rungs_.empty()) rungs_.emplace_back();
  Rung& r = rungs_[0];
  InitRung(r, top_min_, range, shift);
  depth_ = 1;
  // From now on only times after the current maximum go to the top.
  top_after_ = top_max_;
  for (const Entry& e : top_) Append(r.buckets[Offset(e.time, r.start) >> shift], e);
  top_.clear();
  top_min_ = std::numeric_limits<int64_t>::max();
  top_max_ = std::numeric_limits<int64_t>::min();
}

void EventQueue::Refill() {
  assert(run_head_ == run_.size() && near_heap_.empty());
  for (;;) {
    if (depth_ == 0) {
      // A small top is sorted as a bucket would be; building a rung for a handful of
      // entries would cost more than it saves (queues of a few events are common).
      if (top_.size() <= kSpawnThreshold) {
        MoveTopToRun();
        return;
      }
      SpreadTop();
    }
    Rung& r = rungs_[depth_ - 1];
    const auto n = static_cast<uint32_t>(r.buckets.size());
    while (r.cursor < n && r.buckets[r.cursor].count == 0) ++r.cursor;
    if (r.cursor == n) {
      --depth_;  // exhausted: its whole range now belongs to the tier below
      continue;
    }
    const uint32_t b = r.cursor++;
    const Bucket bucket = r.buckets[b];
    r.buckets[b] = Bucket{};
    const int64_t bucket_start = AddOffset(r.start, uint64_t{b} << r.shift);
    // The last bucket's end may lie past INT64_MAX, so `current` is only advanced when
    // another bucket follows; an exhausted rung is retired instead.
    const bool last = r.cursor == n;
    if (!last) r.current = AddOffset(r.start, uint64_t{r.cursor} << r.shift);

    if (bucket.count > kSpawnThreshold && r.shift > 0 && (last || depth_ < kMaxRungs)) {
      // Spread the bucket over a deeper rung with ~kTargetPerBucket entries per bucket.
      uint32_t narrow = 1;
      while (narrow < r.shift && (bucket.count >> narrow) > kTargetPerBucket) ++narrow;
      const uint32_t shift = r.shift - narrow;
      // Clip at top_after_: no entry lies past it, and the nominal end may overflow.
      const uint64_t span =
          std::min((uint64_t{1} << r.shift) - 1, Offset(top_after_, bucket_start));
      // An exhausted parent is replaced by the child in place (same range end).
      if (!last) {
        if (rungs_.size() == depth_) rungs_.emplace_back();
        ++depth_;
      }
      Rung& child = rungs_[depth_ - 1];  // `r` may be dangling after emplace_back
      InitRung(child, bucket_start, span, shift);
      // Read each chunk fully before freeing it, so the appends below can reuse it.
      uint32_t c = bucket.head;
      uint32_t left = bucket.count;
      while (left > 0) {
        const uint32_t k = std::min(left, kChunkEntries);
        for (uint32_t i = 0; i < k; ++i) {
          const Entry e = chunks_[c].entries[i];
          Append(child.buckets[Offset(e.time, child.start) >> shift], e);
        }
        left -= k;
        const uint32_t next = chunks_[c].next;
        chunks_[c].next = free_chunk_;
        free_chunk_ = c;
        c = next;
      }
      continue;
    }
    if (last) --depth_;
    MoveBucketToRun(bucket, bucket_start, r.shift);
    return;
  }
}

template <typename F>
void EventQueue::ForEachIn(const Bucket& b, F&& f) const {
  uint32_t c = b.head;
  for (uint32_t left = b.count; left > 0; c = chunks_[c].next) {
    const uint32_t k = std::min(left, kChunkEntries);
    for (uint32_t i = 0; i < k; ++i) f(chunks_[c].entries[i]);
    left -= k;
  }
}

void EventQueue::MoveBucketToRun(const Bucket& b, int64_t start, uint32_t shift) {
  run_.resize(b.count);
  run_head_ = 0;
  // Entries reach a bucket in insertion order. When they share one phase (the common
  // case), a stable counting sort on the time alone therefore yields (time, phase,
  // sequence) order in two linear passes, where a comparison sort of random times
  // mispredicts a branch per compare.
  bool sorted = false;
  if (shift <= kCountingSortMaxShift && (uint64_t{1} << shift) <= 2 * uint64_t{b.count}) {
    const uint32_t width = uint32_t{1} << shift;
    uint32_t next[(1 << kCountingSortMaxShift) + 1];
    std::fill_n(next, width + 1, 0);
    const uint64_t phase = chunks_[b.head].entries[0].order >> 56;
    bool one_phase = true;
    ForEachIn(b, [&](const Entry& e) {
      one_phase &= (e.order >> 56) == phase;
      ++next[Offset(e.time, start) + 1];
    });
    if (one_phase) {
      for (uint32_t i = 1; i < width; ++i) next[i] += next[i - 1];
      ForEachIn(b, [&](const Entry& e) { run_[next[Offset(e.time, start)]++] = e; });
      sorted = true;
    }
  }
  if (!sorted) {
    size_t at = 0;
    ForEachIn(b, [&](const Entry& e) { run_[at++] = e; });
    SortRun();
  }
  FreeChunks(b.head);
  PrefetchRunHead();
}

void EventQueue::MoveTopToRun() {
  assert(depth_ == 0);
  run_.swap(top_);  // run_ was consumed: its storage becomes the new, empty top
  top_.clear();
  run_head_ = 0;
  SortRun();
  PrefetchRunHead();
  top_after_ = top_max_;
  top_min_ = std::numeric_limits<int64_t>::max();
  top_max_ = std::numeric_limits<int64_t>::min();
}

void EventQueue::SortRun() {
  if (!std::is_sorted(run_.begin(), run_.end(), Less{})) {
    std::sort(run_.begin(), run_.end(), Less{});
  }
}

void EventQueue::AdvanceRun() {
  // Keep the slot kPrefetchAhead entries on in flight: the slab is as large as the queue
  // and the run's slots are scattered through it. Skipped cancelled entries count too.
  ++run_head_;
  if (run_head_ + kPrefetchAhead < run_.size()) {
    Prefetch(&slots_[run_[run_head_ + kPrefetchAhead].slot]);
  }
}

void EventQueue::PrefetchRunHead() const {
  for (size_t i = 0; i < std::min(kPrefetchAhead, run_.size()); ++i) {
    Prefetch(&slots_[run_[i].slot]);
  }
}

// ---- pop ----

bool EventQueue::SettleFront() {
  assert(live_ > 0);
  for (;;) {
    bool from_heap;
    if (run_head_ < run_.size()) {
      from_heap = !near_heap_.empty() && Before(near_heap_.front(), run_[run_head_]);
    } else if (!near_heap_.empty()) {
      from_heap = true;
    } else {
      Refill();
      continue;
    }
    const Entry& e = from_heap ? near_heap_.front() : run_[run_head_];
    if (!IsCancelled(e)) return from_heap;
    FreeSlot(e.slot);
    --cancelled_;
    if (from_heap) {
      std::pop_heap(near_heap_.begin(), near_heap_.end(), After{});
      near_heap_.pop_back();
    } else {
      AdvanceRun();
    }
  }
}

SimTime EventQueue::PeekTime() {
  const bool from_heap = SettleFront();
  return SimTime::FromNanoseconds(from_heap ? near_heap_.front().time : run_[run_head_].time);
}

EventQueue::Event EventQueue::Pop() {
  Entry top;
  if (SettleFront()) {
    top = near_heap_.front();
    std::pop_heap(near_heap_.begin(), near_heap_.end(), After{});
    near_heap_.pop_back();
  } else {
    top = run_[run_head_];
    AdvanceRun();
  }
  Slot& s = slots_[top.slot];
  Event ev{SimTime::FromNanoseconds(top.time), s.phase, s.handler, s.tag};
  s.handler = nullptr;
  ++s.generation;
  FreeSlot(top.slot);
  --live_;
  return ev;
}

// ---- compaction ----

void EventQueue::DropCancelled(Bucket& b) {
  // Compact the list in place, keeping order: the write position never passes the read
  // position, so no unread entry is overwritten.
  uint32_t read = b.head;
  uint32_t write = b.head;
  uint32_t kept = 0;
  for (uint32_t i = 0; i < b.count; ++i) {
    if (i > 0 && i % kChunkEntries == 0) read = chunks_[read].next;
    const Entry e = chunks_[read].entries[i % kChunkEntries];
    if (IsCancelled(e)) {
      FreeSlot(e.slot);
      continue;
    }
    if (kept > 0 && kept % kChunkEntries == 0) write = chunks_[write].next;
    chunks_[write].entries[kept % kChunkEntries] = e;
    ++kept;
  }
  if (kept == 0) {
    FreeChunks(b.head);
    b = Bucket{};
    return;
  }
  FreeChunks(chunks_[write].next);
  chunks_[write].next = kNoChunk;
  b.tail = write;
  b.count = kept;
}

void EventQueue::CompactIfMostlyCancelled() {
  if (cancelled_ < 1024 || cancelled_ < 2 * live_) return;
  // Every tier keeps its ranges; only dead entries leave, so all invariants still hold.
  auto keep_live = [this](std::vector<Entry>& v, size_t from) {
    size_t kept = 0;
    for (size_t i = from; i < v.size(); ++i) {
      if (IsCancelled(v[i])) {
        FreeSlot(v[i].slot);
      } else {
        v[kept++] = v[i];
      }
    }
    v.resize(kept);
  };
  keep_live(run_, run_head_);
  run_head_ = 0;
  keep_live(near_heap_, 0);
  std::make_heap(near_heap_.begin(), near_heap_.end(), After{});
  keep_live(top_, 0);  // top_min_/top_max_ stay valid bounds
  for (size_t i = 0; i < depth_; ++i) {
    for (Bucket& b : rungs_[i].buckets) {
      if (b.count > 0) DropCancelled(b);
    }
  }
  cancelled_ = 0;
}

}  // namespace fleetsim
