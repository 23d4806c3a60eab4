#include "sim/event_queue.h"

#include <cassert>
#include <stdexcept>

namespace fleetsim {

namespace {
constexpr uint64_t kSequenceMask = (uint64_t{1} << 56) - 1;
}

void EventQueue::Reserve(size_t n) {
  heap_.reserve(n);
  slots_.reserve(n);
}

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
  const uint64_t order = (uint64_t{phase} << 56) | (next_sequence_++ & kSequenceMask);
  heap_.push_back(Entry{});
  SiftUp(heap_.size() - 1, Entry{time.ns(), order, slot});
  ++live_;
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
  // The heap entry stays until it reaches the top; the slot is freed then, so the
  // generation check above keeps this id stale from now on.
  s.handler = nullptr;
  ++s.generation;
  --live_;
  ++cancelled_in_heap_;
  CompactIfMostlyCancelled();
  return true;
}

void EventQueue::CompactIfMostlyCancelled() {
  if (cancelled_in_heap_ < 1024 || cancelled_in_heap_ < 2 * live_) return;
  size_t kept = 0;
  for (const Entry& e : heap_) {
    if (slots_[e.slot].handler == nullptr) {
      FreeSlot(e.slot);
    } else {
      heap_[kept++] = e;
    }
  }
  heap_.resize(kept);
  cancelled_in_heap_ = 0;
  // Floyd heap construction; the order is total, so the result does not depend on layout.
  if (kept > 1) {
    for (size_t i = (kept - 2) / 4 + 1; i-- > 0;) SiftDown(i, heap_[i]);
  }
}

void EventQueue::FreeSlot(uint32_t slot) {
  free_slots_.push_back(slot);
}

void EventQueue::SiftUp(size_t i, Entry e) {
  while (i > 0) {
    const size_t parent = (i - 1) / 4;
    if (!Before(e, heap_[parent])) break;
    heap_[i] = heap_[parent];
    i = parent;
  }
  heap_[i] = e;
}

void EventQueue::SiftDown(size_t i, Entry e) {
  const size_t n = heap_.size();
  for (;;) {
    const size_t first = 4 * i + 1;
    if (first >= n) break;
    size_t best = first;
    const size_t last = first + 4 < n ? first + 4 : n;
    for (size_t c = first + 1; c < last; ++c) {
      if (Before(heap_[c], heap_[best])) best = c;
    }
    if (!Before(heap_[best], e)) break;
    heap_[i] = heap_[best];
    i = best;
  }
  heap_[i] = e;
}

void EventQueue::PopTop() {
  const Entry last = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) SiftDown(0, last);
}

void EventQueue::DropCancelledTop() {
  while (!heap_.empty() && slots_[heap_[0].slot].handler == nullptr) {
    FreeSlot(heap_[0].slot);
    PopTop();
    --cancelled_in_heap_;
  }
}

SimTime EventQueue::PeekTime() {
  assert(live_ > 0);
  DropCancelledTop();
  return SimTime::FromNanoseconds(heap_[0].time);
}

EventQueue::Event EventQueue::Pop() {
  assert(live_ > 0);
  DropCancelledTop();
  const Entry top = heap_[0];
  Slot& s = slots_[top.slot];
  Event ev{SimTime::FromNanoseconds(top.time), s.phase, s.handler, s.tag};
  s.handler = nullptr;
  ++s.generation;
  FreeSlot(top.slot);
  PopTop();
  --live_;
  return ev;
}

}  // namespace fleetsim
