// The pending-event set of one simulation run.
//
// Events are totally ordered by (time, phase, insertion sequence): two events at the same
// nanosecond fire in phase order (lower first), and within one phase in the order they
// were scheduled. This makes every run reproducible without relying on pointer values or
// container iteration order.
//
// An event is a (handler, tag) pair: the handler is any object implementing EventHandler,
// the tag a 64-bit word it interprets (an index, a generation counter, ...). This keeps
// heap entries small and trivially copyable; closures are layered on top by Simulator.
//
// Cancellation is exact and O(1): the event's slot is marked dead and skipped when it
// reaches the top of the heap (lazy deletion). A cancelled or fired EventId is stale and
// cancelling it again is a harmless no-op that returns false.
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
  // was cancelled. When `out` is given, it receives the cancelled event.
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
  void SiftUp(size_t i, Entry e);
  void SiftDown(size_t i, Entry e);
  void PopTop();
  void DropCancelledTop();
  void FreeSlot(uint32_t slot);
  // Rebuilds the heap without cancelled entries once they outnumber the live ones, so a
  // model that cancels and reschedules often cannot grow the heap without bound.
  void CompactIfMostlyCancelled();

  std::vector<Entry> heap_;  // 4-ary implicit heap: children of i are 4i+1 .. 4i+4
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  uint64_t next_sequence_ = 0;
  size_t live_ = 0;
  size_t cancelled_in_heap_ = 0;
};

}  // namespace fleetsim
