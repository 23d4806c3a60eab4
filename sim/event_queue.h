// The pending-event set of one simulation run.
//
// Events are totally ordered by (time, phase, insertion sequence): two events at the same
// nanosecond fire in phase order (lower first), and within one phase in the order they
// were scheduled. This makes every run reproducible without relying on pointer values or
// container iteration order.
//
// An event is a (handler, tag) pair: the handler is any object implementing EventHandler,
// the tag a 64-bit word it interprets (an index, a generation counter, ...). This keeps
// queue entries small and trivially copyable; closures are layered on top by Simulator.
//
// Cancellation is exact and O(1): the event's slot is marked dead and the entry is skipped
// when it reaches the front (lazy deletion). A cancelled or fired EventId is stale and
// cancelling it again is a harmless no-op that returns false.
//
// Any int64 time may be pushed, earlier or later than events already popped: the queue
// itself never assumes a monotone clock (Simulator enforces at >= Now() on its own).
// Push and Pop are amortised O(1) for the distributions simulations produce (see the
// ladder description below) and never worse than amortised O(log n).
//
// Not here: the clock (Simulator), anything about GPUs or YAML.
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

#include "sim/time.h"

namespace fleetsim {

// Same-time ordering class. Lower phases fire first at equal times.
using Phase = uint8_t;
inline constexpr Phase kPhaseFirst = 0;      // e.g. resources released before decisions
inline constexpr Phase kPhaseDefault = 128;  // ordinary model events
inline constexpr Phase kPhaseLast = 255;     // e.g. metric sampling after all changes

class EventHandler {
 public:
  virtual void HandleEvent(uint64_t tag) = 0;

 protected:
  ~EventHandler() = default;
};

// Identifies one scheduled event; stale once it fired or was cancelled.
struct EventId {
  uint32_t slot = std::numeric_limits<uint32_t>::max();
  uint32_t generation = 0;
  bool valid() const { return slot != std::numeric_limits<uint32_t>::max(); }
};

class EventQueue {
 public:
  struct Event {
    SimTime time;
    Phase phase;
    EventHandler* handler;
    uint64_t tag;
  };

  // Precondition: handler != nullptr.
  EventId Push(SimTime time, Phase phase, EventHandler* handler, uint64_t tag);

  // Cancels a pending event. Returns false (and changes nothing) if `id` already fired or
  // was cancelled. When `out` is given, it receives the cancelled event (its time is not
  // recorded and reads as zero).
  bool Cancel(EventId id, Event* out = nullptr);
  bool IsPending(EventId id) const;

  // Number of live (not cancelled) pending events.
  size_t size() const { return live_; }
  bool empty() const { return live_ == 0; }

  // Removes and returns the earliest live event. Precondition: !empty().
  Event Pop();
  // Time of the earliest live event. Precondition: !empty().
  SimTime PeekTime();

  void Reserve(size_t n);

 private:
  // Layout: a ladder queue (Tang, Goh and Thng, "Ladder Queue: An O(1) priority queue
  // structure for large-scale discrete event simulation", ACM TOMACS 2005), arranged for
  // caches. Three tiers partition the time axis, so every entry of a lower tier precedes
  // every entry of a higher one and only the lowest tier is ever ordered:
  //
  //   near   times <  rungs_[depth_-1].current (or <= top_after_ with no rung): a sorted
  //          run consumed front to back, plus a small heap for events pushed into the
  //          window the run already covers (at the current time, or, since the queue
  //          does not assume a monotone clock, even before it).
  //   rungs  a stack of calendars. Rung 0 spans the top's [min, max] at the moment it was
  //          spread, in 2^shift-ns buckets; each deeper rung re-spreads one over-full
  //          bucket of the rung above in narrower buckets. Buckets are unsorted FIFO
  //          lists; `current` is the first time not yet handed down.
  //   top    times > top_after_: one unsorted vector, spread into a new rung 0 (or, when
  //          small, sorted straight into near) once everything below it is empty.
  //
  // A pop takes the earlier of the near run's head and the near heap's top; when both are
  // empty the deepest rung's next non-empty bucket is either sorted into the run (small,
  // one nanosecond wide, or at the depth limit) or spread into a new rung. Entries only
  // ever move down, each a bounded number of times, in sequential cache-friendly passes
  // instead of sifting through log n heap levels; and the sorted run tells Pop which
  // slots it will read next, so they are prefetched.
  //
  // Every move appends in iteration order, so each bucket and the top hold their entries
  // in insertion order. Sorting a bucket can therefore use a stable counting sort on the
  // time alone when its entries share a phase, and a bucket of one nanosecond and one
  // phase (many simultaneous events) is already sorted.
  //
  // order = phase << 56 | sequence; compares (time, phase, sequence) in two integer compares.
  struct Entry {
    int64_t time;
    uint64_t order;
    uint32_t slot;
  };
  struct Slot {
    EventHandler* handler;  // nullptr while free or cancelled
    uint64_t tag;
    Phase phase;
    uint32_t generation;
  };
  static bool Before(const Entry& a, const Entry& b) {
    return a.time < b.time || (a.time == b.time && a.order < b.order);
  }
  // Function objects rather than function pointers, so std::sort and the heap
  // algorithms inline the comparison. After is for the std heaps (largest on top).
  struct Less {
    bool operator()(const Entry& a, const Entry& b) const { return Before(a, b); }
  };
  struct After {
    bool operator()(const Entry& a, const Entry& b) const { return Before(b, a); }
  };

  // Rung buckets are singly linked lists of fixed-size chunks drawn from one pool, so
  // memory stays proportional to the pending entries plus one partial chunk per bucket,
  // and appending never reallocates a bucket.
  static constexpr uint32_t kChunkEntries = 16;
  static constexpr uint32_t kNoChunk = std::numeric_limits<uint32_t>::max();
  struct Chunk {
    Entry entries[kChunkEntries];
    uint32_t next;
  };
  struct Bucket {
    uint32_t head = kNoChunk;
    uint32_t tail = kNoChunk;
    uint32_t count = 0;  // entries, cancelled ones included
  };
  struct Rung {
    int64_t start = 0;    // first time of bucket 0
    int64_t current = 0;  // first time of bucket `cursor`; earlier times belong below
    uint32_t shift = 0;   // bucket width is 2^shift ns
    uint32_t cursor = 0;  // next bucket to hand down
    std::vector<Bucket> buckets;
  };

  uint32_t NewChunk();
  void Append(Bucket& b, const Entry& e);
  void FreeChunks(uint32_t head);
  // Sets rung `r` up to cover [start, start + span] in buckets of 2^shift ns.
  void InitRung(Rung& r, int64_t start, uint64_t span, uint32_t shift);
  void SpreadTop();
  // Hands the deepest non-empty bucket down until the near run is non-empty.
  // Precondition: near run and near heap empty, and some entry pending somewhere.
  void Refill();
  // Sorts bucket `b`, which covers [start, start + 2^shift), into the near run.
  void MoveBucketToRun(const Bucket& b, int64_t start, uint32_t shift);
  // Makes the (small) top the near run; the near tier then covers up to its maximum.
  void MoveTopToRun();
  void SortRun();
  void PrefetchRunHead() const;
  void AdvanceRun();
  template <typename F>
  void ForEachIn(const Bucket& b, F&& f) const;
  // Makes the earliest live entry the front of the near tier. Returns true when it is
  // the near heap's top, false when it is the near run's head. Precondition: live_ > 0.
  bool SettleFront();
  void FreeSlot(uint32_t slot) { free_slots_.push_back(slot); }
  bool IsCancelled(const Entry& e) const { return slots_[e.slot].handler == nullptr; }
  // Removes cancelled entries everywhere once they outnumber the live ones, so a model
  // that cancels and reschedules often cannot grow the queue without bound.
  void CompactIfMostlyCancelled();
  void DropCancelled(Bucket& b);

  // near
  std::vector<Entry> run_;  // sorted; [run_head_, end) pending
  size_t run_head_ = 0;
  std::vector<Entry> near_heap_;  // std heap ordered by After
  // rungs: rungs_[0 .. depth_) active; inactive ones keep their bucket storage for reuse
  std::vector<Rung> rungs_;
  size_t depth_ = 0;
  // top
  std::vector<Entry> top_;
  int64_t top_after_ = std::numeric_limits<int64_t>::min();
  int64_t top_min_ = std::numeric_limits<int64_t>::max();
  int64_t top_max_ = std::numeric_limits<int64_t>::min();

  std::vector<Chunk> chunks_;
  uint32_t free_chunk_ = kNoChunk;

  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  uint64_t next_sequence_ = 0;
  size_t live_ = 0;
  size_t cancelled_ = 0;  // cancelled entries still stored in some tier
};

}  // namespace fleetsim
