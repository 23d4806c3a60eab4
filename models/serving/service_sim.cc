#include "models/serving/service_sim.h"

#include <algorithm>
#include <iterator>
#include <limits>
#include <stdexcept>

namespace fleetsim {

namespace {
constexpr int64_t kMaxChunk = 4096;  // longest uninterrupted run of decode steps per event
}

ServiceSim::ServiceSim(Simulator& sim, ServiceConfig config, ReplicaPerformance perf,
                       std::unique_ptr<RequestStream> stream, RngStreams rng)
    : sim_(sim),
      config_(std::move(config)),
      perf_(perf),
      stream_(std::move(stream)),
      class_rng_(rng.Stream(config_.name + ".classes")) {
  const auto& b = config_.batching;
  if (config_.replicas < 0) throw std::invalid_argument("negative replica count");
  if (config_.classes.empty()) throw std::invalid_argument("service needs a request class");
  if (b.max_batch < 1 || b.max_batched_tokens < 1 || b.kv_block_tokens < 1) {
    throw std::invalid_argument("batching limits must be positive");
  }
  if (!perf_.iteration_time || perf_.kv_capacity_tokens <= 0) {
    throw std::invalid_argument("replica performance not set");
  }
  if (b.preemption == BatchingConfig::Preemption::kSwap && !(perf_.swap_seconds_per_token > 0)) {
    throw std::invalid_argument("swap preemption needs the host-link time per KV token");
  }
  router_ = Routers().Find(config_.router).factory;
  router_reads_kv_ = RouterReadsKv(router_);
  double total = 0;
  for (const auto& c : config_.classes) total += c.weight;
  double acc = 0;
  for (const auto& c : config_.classes) {
    acc += c.weight;
    class_cdf_.push_back(total > 0 ? acc / total : 1.0);
  }
  replicas_.resize(static_cast<size_t>(config_.replicas));
  for (size_t i = 0; i < replicas_.size(); ++i) active_.push_back(static_cast<uint32_t>(i));
  metrics_.by_class.resize(config_.classes.size());
  sim_.AddPendingWorkCheck([this] {
    // The event set runs dry only when no arrival is pending and every replica is idle;
    // requests still waiting then can never run.
    uint64_t waiting = unrouted_.size();
    for (const auto& r : replicas_) waiting += r.waiting.size() + r.running.size();
    return waiting ? "service '" + config_.name + "': " + std::to_string(waiting) +
                         " requests can never be served"
                   : std::string();
  });
}

void ServiceSim::Start() { ScheduleNextArrival(); }

std::vector<ReplicaLoad> ServiceSim::Loads() const {
  std::vector<ReplicaLoad> loads(active_.size());
  for (size_t i = 0; i < active_.size(); ++i) {
    const Replica& rep = replicas_[active_[i]];
    loads[i].waiting = static_cast<int64_t>(rep.waiting.size());
    loads[i].running = InBatch(rep);
    loads[i].kv_free_tokens = KvFree(rep);
  }
  return loads;
}

const std::vector<ReplicaLoad>& ServiceSim::UpdateLoads() {
  loads_.resize(active_.size());
  for (size_t i = 0; i < active_.size(); ++i) {
    const Replica& rep = replicas_[active_[i]];
    loads_[i].waiting = static_cast<int64_t>(rep.waiting.size());
    loads_[i].running = InBatch(rep);
    loads_[i].kv_free_tokens = router_reads_kv_ ? KvFree(rep) : 0;
  }
  return loads_;
}

int64_t ServiceSim::Waiting() const {
  int64_t n = static_cast<int64_t>(unrouted_.size());
  for (const auto& r : replicas_) n += static_cast<int64_t>(r.waiting.size());
  return n;
}

int64_t ServiceSim::Running() const {
  int64_t n = 0;
  for (const auto& r : replicas_) n += static_cast<int64_t>(r.running.size());
  return n;
}

int64_t ServiceSim::KvUsedTokens() const {
  int64_t n = 0;
  for (const auto& r : replicas_) {
    if (r.state != State::kStopped) n += perf_.kv_capacity_tokens - KvFree(r);
  }
  return n;
}

size_t ServiceSim::AddReplica() {
  size_t r = replicas_.size();
  for (size_t i = 0; i < replicas_.size(); ++i) {
    if (replicas_[i].state == State::kStopped) {
      r = i;
      break;
    }
  }
  if (r == replicas_.size()) replicas_.emplace_back();
  replicas_[r] = Replica{};
  replicas_[r].state = State::kActive;
  active_.push_back(static_cast<uint32_t>(r));
  // Requests that arrived while no replica was active go to the router now, in order.
  // All of them are queued before any replica starts, as an engine receiving them at once.
  std::deque<uint32_t> held;
  held.swap(unrouted_);
  defer_iterate_ = true;
  for (uint32_t id : held) Route(id);
  defer_iterate_ = false;
  StartIdleReplicasWithWork();
  return r;
}

void ServiceSim::StartIdleReplicasWithWork() {
  for (uint32_t a : active_) {
    Replica& rep = replicas_[a];
    if (!rep.busy && !rep.waiting.empty()) {
      Iterate(a);
      NoteBusy(false, rep);
    }
  }
}

size_t ServiceSim::LeastLoadedActive() const {
  size_t best = active_.back();
  size_t best_load = SIZE_MAX;
  for (size_t i = active_.size(); i-- > 0;) {
    const Replica& rep = replicas_[active_[i]];
    const size_t load = rep.waiting.size() + static_cast<size_t>(InBatch(rep));
    if (load < best_load) {
      best_load = load;
      best = active_[i];
    }
  }
  return best;
}

void ServiceSim::DrainReplica(size_t r) {
  const auto it = std::find(active_.begin(), active_.end(), static_cast<uint32_t>(r));
  if (it == active_.end()) throw std::logic_error("DrainReplica: replica is not active");
  active_.erase(it);
  replicas_[r].state = State::kDraining;
  ++draining_;
  MaybeStop(r);
}

void ServiceSim::KillReplica(size_t r) {
  if (r >= replicas_.size() || replicas_[r].state == State::kStopped) {
    throw std::logic_error("KillReplica: replica is not live");
  }
  Replica& rep = replicas_[r];
  if (rep.busy) {
    sim_.Cancel(rep.end_event);
    metrics_.replica_busy_ns += (sim_.Now() - rep.run_start).ns();
    if (rep.in_decode_run) {
      // The steps of the run that ended by now produced their tokens (as Interrupt counts).
      const int64_t B = static_cast<int64_t>(rep.running.size());
      SimTime t = rep.run_start;
      int64_t done = 0;
      for (int64_t j = 0; j < rep.run_steps; ++j) {
        t = t + Duration::FromSeconds(StepSeconds(B, rep.context_sum + j * B));
        if (t > sim_.Now()) break;
        done = j + 1;
      }
      if (done > 0) {
        if (observer_) {
          observer_->OnIteration(r, ServiceObserver::Phase::kDecode, rep.run_start, t, B, done);
        }
        FinishDecodeSteps(r, done);
      }
    }
    rep.busy = false;
    rep.in_decode_run = false;
    NoteBusy(true, rep);
  }
  // Everything the replica held, in arrival order. In chunked mode a prefilling request is
  // also in `waiting`.
  std::vector<uint32_t> held;
  for (uint32_t id : rep.running) {
    Request& q = requests_[id];
    q.generated += rep.step - q.join_step;
    held.push_back(id);
  }
  for (uint32_t id : rep.waiting) held.push_back(id);
  for (uint32_t id : rep.prefilling) {
    if (std::find(rep.waiting.begin(), rep.waiting.end(), id) == rep.waiting.end()) {
      held.push_back(id);
    }
  }
  for (uint32_t id : held) {
    requests_[id].prefilled = 0;
    requests_[id].swapped = false;
  }
  std::stable_sort(held.begin(), held.end(), [&](uint32_t a, uint32_t b) {
    return requests_[a].arrival_s < requests_[b].arrival_s;
  });
  metrics_.rerouted += held.size();
  if (rep.state == State::kDraining) {
    --draining_;
  } else {
    active_.erase(std::find(active_.begin(), active_.end(), static_cast<uint32_t>(r)));
  }
  rep = Replica{};
  rep.state = State::kStopped;
  if (active_.empty()) {
    // No replica to take them: they wait ahead of later arrivals, in arrival order.
    std::deque<uint32_t> merged;
    std::merge(
        held.begin(), held.end(), unrouted_.begin(), unrouted_.end(), std::back_inserter(merged),
        [&](uint32_t a, uint32_t b) { return requests_[a].arrival_s < requests_[b].arrival_s; });
    unrouted_.swap(merged);
    return;
  }
  // Routed newest first, each to the front of its replica's queue: the oldest ends first.
  defer_iterate_ = true;
  for (size_t i = held.size(); i-- > 0;) Route(held[i], true);
  defer_iterate_ = false;
  StartIdleReplicasWithWork();
}

void ServiceSim::MaybeStop(size_t r) {
  Replica& rep = replicas_[r];
  if (rep.state != State::kDraining || rep.busy || !rep.waiting.empty() || !rep.running.empty() ||
      !rep.prefilling.empty()) {
    return;
  }
  rep.state = State::kStopped;
  --draining_;
  if (observer_) observer_->OnReplicaStopped(r);
}

void ServiceSim::NoteBusy(bool was_busy, const Replica& rep) {
  if (was_busy == rep.busy) return;
  busy_replicas_ += rep.busy ? 1 : -1;
  if (observer_) {
    observer_->OnReplicaBusy(static_cast<size_t>(&rep - replicas_.data()), rep.busy);
    observer_->OnBusyReplicas(busy_replicas_);
  }
}

uint32_t ServiceSim::NewRequest() {
  if (!free_requests_.empty()) {
    const uint32_t id = free_requests_.back();
    free_requests_.pop_back();
    requests_[id] = Request{};
    return id;
  }
  requests_.emplace_back();
  return static_cast<uint32_t>(requests_.size() - 1);
}

void ServiceSim::FreeRequest(uint32_t id) { free_requests_.push_back(id); }

void ServiceSim::ScheduleNextArrival() {
  next_arrival_ = stream_->Next();
  if (!next_arrival_) return;
  SimTime at = SimTime::Zero() + Duration::FromSeconds(next_arrival_->arrival_s);
  if (at < sim_.Now()) at = sim_.Now();
  sim_.Schedule(at, this, Tag(kArrival, 0));
}

void ServiceSim::HandleEvent(uint64_t tag) {
  const auto kind = static_cast<EventKind>(tag >> 32);
  const size_t replica = tag & 0xffffffffu;
  if (kind == kArrival) {
    OnArrival();
  } else {
    OnIterationEnd(replica);
  }
}

int64_t ServiceSim::KvFreeAfter(const Replica& rep, int64_t steps) const {
  int64_t reserved = 0;
  for (uint32_t id : rep.prefilling) {
    const Request& q = requests_[id];
    reserved += q.prompt + q.generated + config_.batching.kv_block_tokens;
  }
  const int64_t B = static_cast<int64_t>(rep.running.size());
  return perf_.kv_capacity_tokens - rep.context_sum - steps * B -
         B * config_.batching.kv_block_tokens - reserved;
}

int64_t ServiceSim::KvFree(const Replica& rep) const { return KvFreeAfter(rep, StepsDone(rep)); }

int64_t ServiceSim::InBatch(const Replica& rep) const {
  // A prompt in its prefill iteration has left the queue (continuous, static); chunked
  // prefills stay in the queue until their last chunk, so they count as waiting there.
  const bool chunked = config_.batching.mode == BatchingConfig::Mode::kChunked;
  return static_cast<int64_t>(rep.running.size() + (chunked ? 0 : rep.prefilling.size()));
}

int64_t ServiceSim::StepsDone(const Replica& rep) const {
  if (!rep.in_decode_run) return 0;
  const int64_t now = sim_.Now().ns();
  while (rep.steps_ended < rep.run_steps &&
         rep.step_end_ns[static_cast<size_t>(rep.steps_ended)] < now) {
    ++rep.steps_ended;
  }
  return rep.steps_ended;
}

bool ServiceSim::HeadAdmissibleAfter(const Replica& rep, int64_t steps) const {
  const auto& b = config_.batching;
  if (rep.waiting.empty() || b.mode == BatchingConfig::Mode::kStatic) return false;
  const int64_t B = static_cast<int64_t>(rep.running.size());
  if (B + static_cast<int64_t>(rep.prefilling.size()) >= b.max_batch) return false;
  if (b.mode == BatchingConfig::Mode::kChunked && b.max_batched_tokens - B <= 0) return false;
  const Request& q = requests_[rep.waiting.front()];
  return q.prompt + q.generated + b.kv_block_tokens <= KvFreeAfter(rep, steps);
}

int64_t ServiceSim::BusyNs() const {
  int64_t ns = metrics_.replica_busy_ns;
  for (const auto& rep : replicas_) {
    const int64_t done = StepsDone(rep);
    if (done > 0) ns += rep.step_end_ns[static_cast<size_t>(done - 1)] - rep.run_start.ns();
  }
  return ns;
}

int64_t ServiceSim::ContextOf(const Request& q, int64_t step) const {
  return q.prompt + q.generated + (step - q.join_step);
}

double ServiceSim::StepSeconds(int64_t seqs, int64_t context_sum) const {
  IterationShape s;
  s.decode_seqs = seqs;
  s.decode_context_tokens = context_sum;
  return perf_.iteration_time->Seconds(s);
}

void ServiceSim::RecomputeNextFinish(Replica& rep) {
  rep.next_finish_step = std::numeric_limits<int64_t>::max();
  for (uint32_t id : rep.running) {
    rep.next_finish_step = std::min(rep.next_finish_step, requests_[id].finish_step);
  }
}

void ServiceSim::OnArrival() {
  const RequestSpec spec = *next_arrival_;
  ++metrics_.arrived;
  const uint32_t id = NewRequest();
  Request& q = requests_[id];
  q.arrival_s = spec.arrival_s;
  q.prompt = spec.prompt_tokens;
  q.output = spec.output_tokens;
  if (spec.class_index >= 0) {
    q.klass = spec.class_index;
  } else {
    const double u = class_rng_.Uniform01();
    q.klass = static_cast<int32_t>(std::upper_bound(class_cdf_.begin(), class_cdf_.end(), u) -
                                   class_cdf_.begin());
    if (q.klass >= static_cast<int32_t>(class_cdf_.size()))
      q.klass = static_cast<int32_t>(class_cdf_.size()) - 1;
  }
  q.priority = config_.classes[static_cast<size_t>(q.klass)].priority;
  ++metrics_.in_flight;
  if (active_.empty()) {
    unrouted_.push_back(id);  // no replica now: wait for one (model swapping)
  } else {
    Route(id);
  }
  ScheduleNextArrival();
}

void ServiceSim::Route(uint32_t id, bool front) {
  Request& q = requests_[id];
  const size_t r = active_[router_(UpdateLoads(), router_counter_)];
  Replica& rep = replicas_[r];
  const auto& b = config_.batching;
  const bool never_fits = q.prompt + q.generated + 1 + b.kv_block_tokens > perf_.kv_capacity_tokens;
  const bool queue_full =
      b.max_waiting >= 0 && static_cast<int64_t>(rep.waiting.size()) >= b.max_waiting;
  if (never_fits || queue_full) {
    ++metrics_.rejected;
    --metrics_.in_flight;
    FreeRequest(id);
  } else {
    Enqueue(rep, id, front);
    if (defer_iterate_) {
      // AddReplica starts the replicas once every held request is queued.
    } else if (!rep.busy) {
      Iterate(r);
      NoteBusy(false, rep);
    } else if (rep.in_decode_run && rep.waiting.front() == id) {
      // The exact mode would try it at the end of the step in progress (the first step
      // ending at or after now); if it fits there, the run stops there.
      const auto end = rep.step_end_ns.begin() + rep.run_steps;
      const int64_t steps = (std::lower_bound(rep.step_end_ns.begin(), end, sim_.Now().ns()) -
                             rep.step_end_ns.begin()) +
                            1;
      if (HeadAdmissibleAfter(rep, steps)) CutRunAfter(r, steps);
    }
  }
}

void ServiceSim::CutRunAfter(size_t r, int64_t steps) {
  Replica& rep = replicas_[r];
  if (steps < rep.run_steps) {
    sim_.Cancel(rep.end_event);
    rep.run_steps = steps;
    rep.end_event =
        sim_.Schedule(SimTime::FromNanoseconds(rep.step_end_ns[static_cast<size_t>(steps - 1)]),
                      this, Tag(kIterationEnd, r));
  }
  rep.chunk = 1;
}

void ServiceSim::OnIterationEnd(size_t r) {
  Replica& rep = replicas_[r];
  metrics_.replica_busy_ns += (sim_.Now() - rep.run_start).ns();
  if (observer_) {
    using P = ServiceObserver::Phase;
    const P phase =
        rep.in_decode_run ? P::kDecode
        : (config_.batching.mode == BatchingConfig::Mode::kChunked && !rep.running.empty())
            ? P::kMixed
            : P::kPrefill;
    observer_->OnIteration(r, phase, rep.run_start, sim_.Now(), rep.iteration_seqs,
                           rep.in_decode_run ? rep.run_steps : 1);
  }
  const double now_s = sim_.Now().seconds();
  if (rep.in_decode_run) {
    FinishDecodeSteps(r, rep.run_steps);
  } else {
    // A prefill iteration (continuous / static) or a chunked iteration; the latter also ran
    // one decode step for every running sequence (before the new ones join).
    const bool chunked = config_.batching.mode == BatchingConfig::Mode::kChunked;
    if (chunked && !rep.running.empty()) {
      FinishDecodeSteps(r, 1);
    } else {
      ++metrics_.iterations;
    }
    std::vector<uint32_t> still_prefilling;
    for (uint32_t id : rep.prefilling) {
      Request& q = requests_[id];
      if (chunked) {
        if (q.prefilled < q.prompt + q.generated) {  // more chunks to go
          still_prefilling.push_back(id);
          continue;
        }
        rep.waiting.erase(std::find(rep.waiting.begin(), rep.waiting.end(), id));
      }
      q.prefilled = 0;
      if (q.first_token_s < 0) q.first_token_s = now_s;
      if (q.swapped) {
        q.swapped = false;  // its KV is back: it resumes decoding, no token from this
      } else {
        q.generated += 1;  // the prefill produces the next token
      }
      if (q.generated >= q.output) {
        Complete(r, id, now_s);
        continue;
      }
      q.join_step = rep.step;
      q.finish_step = rep.step + (q.output - q.generated);
      rep.context_sum += q.prompt + q.generated;
      rep.running.push_back(id);
    }
    rep.prefilling.swap(still_prefilling);
    RecomputeNextFinish(rep);
  }
  rep.busy = false;
  rep.in_decode_run = false;
  Iterate(r);
  NoteBusy(true, rep);
  MaybeStop(r);
}

void ServiceSim::FinishDecodeSteps(size_t r, int64_t steps) {
  Replica& rep = replicas_[r];
  const int64_t B = static_cast<int64_t>(rep.running.size());
  metrics_.iterations += static_cast<uint64_t>(steps);
  rep.step += steps;
  rep.context_sum += steps * B;
  if (rep.step < rep.next_finish_step) return;
  const double now_s = sim_.Now().seconds();
  // Complete the finished ones and compact the rest in place, in order, finding the next
  // finish on the way (one pass, no allocation).
  size_t kept = 0;
  rep.next_finish_step = std::numeric_limits<int64_t>::max();
  for (uint32_t id : rep.running) {
    Request& q = requests_[id];
    if (q.finish_step <= rep.step) {
      rep.context_sum -= ContextOf(q, rep.step);
      Complete(r, id, now_s);
    } else {
      rep.running[kept++] = id;
      rep.next_finish_step = std::min(rep.next_finish_step, q.finish_step);
    }
  }
  rep.running.resize(kept);
}

void ServiceSim::Complete(size_t, uint32_t id, double t_s) {
  const Request& q = requests_[id];
  ++metrics_.completed;
  --metrics_.in_flight;
  metrics_.prompt_tokens += static_cast<uint64_t>(q.prompt);
  metrics_.output_tokens += static_cast<uint64_t>(q.output);
  const double ttft = q.first_token_s - q.arrival_s;
  const double e2e = t_s - q.arrival_s;
  const RequestClass& cls = config_.classes[static_cast<size_t>(q.klass)];
  bool met = !cls.ttft_slo_s || ttft <= *cls.ttft_slo_s;
  double tpot = -1;
  if (q.output > 1) {
    tpot = (t_s - q.first_token_s) / static_cast<double>(q.output - 1);
    if (cls.tpot_slo_s && tpot > *cls.tpot_slo_s) met = false;
  }
  for (LatencyStats* s : {&metrics_.overall, &metrics_.by_class[static_cast<size_t>(q.klass)]}) {
    s->ttft_s.Add(ttft);
    s->e2e_s.Add(e2e);
    if (tpot >= 0) s->tpot_s.Add(tpot);
    ++s->completed;
    s->output_tokens += static_cast<uint64_t>(q.output);
    if (met) ++s->slo_met;
  }
  FreeRequest(id);
}

void ServiceSim::Enqueue(Replica& rep, uint32_t id, bool front) {
  const int32_t p = requests_[id].priority;
  auto& w = rep.waiting;
  if (!front && (w.empty() || requests_[w.back()].priority >= p)) {
    w.push_back(id);  // the common case: one priority
    return;
  }
  auto it = w.begin();
  while (it != w.end() && (front ? requests_[*it].priority > p : requests_[*it].priority >= p)) {
    ++it;
  }
  w.insert(it, id);
}

void ServiceSim::PreemptNewest(size_t r) {
  Replica& rep = replicas_[r];
  size_t victim = rep.running.size() - 1;
  for (size_t i = rep.running.size() - 1; i-- > 0;) {
    if (requests_[rep.running[i]].priority < requests_[rep.running[victim]].priority) victim = i;
  }
  const uint32_t id = rep.running[victim];
  Request& q = requests_[id];
  rep.context_sum -= ContextOf(q, rep.step);
  q.generated += rep.step - q.join_step;
  q.prefilled = 0;
  rep.running.erase(rep.running.begin() + static_cast<std::ptrdiff_t>(victim));
  ++metrics_.preemptions;
  if (q.prompt + q.generated + config_.batching.kv_block_tokens > perf_.kv_capacity_tokens) {
    // It can never be prefilled again on this replica: the request fails.
    ++metrics_.rejected;
    --metrics_.in_flight;
    FreeRequest(id);
  } else {
    if (config_.batching.preemption == BatchingConfig::Preemption::kSwap) {
      const int64_t tokens = q.prompt + q.generated;
      q.swapped = true;
      rep.pending_swap_s += static_cast<double>(tokens) * perf_.swap_seconds_per_token;
      metrics_.swapped_tokens += static_cast<uint64_t>(tokens);
    }
    Enqueue(rep, id, true);
  }
  RecomputeNextFinish(rep);
}

void ServiceSim::Iterate(size_t r) {
  Replica& rep = replicas_[r];
  using Mode = BatchingConfig::Mode;
  switch (config_.batching.mode) {
    case Mode::kContinuous:
      if (!rep.waiting.empty() && StartPrefill(r)) return;
      if (!rep.running.empty()) StartDecodeRun(r);
      return;
    case Mode::kStatic:
      if (rep.running.empty() && !rep.waiting.empty() && StartPrefill(r)) return;
      if (!rep.running.empty()) StartDecodeRun(r);
      return;
    case Mode::kChunked:
      if (!rep.waiting.empty()) {
        StartChunkedIteration(r);
        if (rep.busy) return;
      }
      if (!rep.running.empty()) StartDecodeRun(r);
      return;
  }
}

bool ServiceSim::StartPrefill(size_t r) {
  Replica& rep = replicas_[r];
  const auto& b = config_.batching;
  IterationShape shape;
  double swap_in_s = 0;
  while (!rep.waiting.empty()) {
    const uint32_t id = rep.waiting.front();
    const Request& q = requests_[id];
    const int64_t len = q.prompt + q.generated;
    if (static_cast<int64_t>(rep.running.size() + rep.prefilling.size()) >= b.max_batch) break;
    if (!rep.prefilling.empty() && shape.prefill_tokens + len > b.max_batched_tokens) break;
    if (len + b.kv_block_tokens > KvFree(rep)) break;
    rep.waiting.pop_front();
    rep.prefilling.push_back(id);
    if (q.swapped) {
      swap_in_s += static_cast<double>(len) * perf_.swap_seconds_per_token;
      continue;
    }
    shape.prefill_tokens += len;
    shape.prefill_attention_pairs += 0.5 * static_cast<double>(len) * static_cast<double>(len + 1);
  }
  if (rep.prefilling.empty()) return false;
  rep.iteration_seqs = static_cast<int64_t>(rep.prefilling.size());
  rep.busy = true;
  rep.in_decode_run = false;
  rep.run_start = sim_.Now();
  // Copies to and from host memory are part of the step (the engine waits for them).
  const double compute_s = shape.prefill_tokens > 0 ? perf_.iteration_time->Seconds(shape) : 0;
  rep.end_event =
      sim_.ScheduleAfter(Duration::FromSeconds(compute_s + swap_in_s + rep.pending_swap_s), this,
                         Tag(kIterationEnd, r));
  rep.pending_swap_s = 0;
  return true;
}

void ServiceSim::StartChunkedIteration(size_t r) {
  Replica& rep = replicas_[r];
  const auto& b = config_.batching;
  // Decodes first (they must fit their next token), then prompt chunks in FIFO order.
  while (!rep.running.empty() &&
         rep.context_sum + static_cast<int64_t>(rep.running.size()) * (1 + b.kv_block_tokens) >
             perf_.kv_capacity_tokens) {
    PreemptNewest(r);
  }
  IterationShape shape;
  double swap_in_s = 0;
  shape.decode_seqs = static_cast<int64_t>(rep.running.size());
  shape.decode_context_tokens = rep.context_sum;
  int64_t budget = b.max_batched_tokens - shape.decode_seqs;
  for (uint32_t id : rep.waiting) {
    if (budget <= 0) break;
    Request& q = requests_[id];
    const bool started =
        std::find(rep.prefilling.begin(), rep.prefilling.end(), id) != rep.prefilling.end();
    const int64_t len = q.prompt + q.generated;
    if (!started) {
      if (static_cast<int64_t>(rep.running.size() + rep.prefilling.size()) >= b.max_batch) break;
      if (len + b.kv_block_tokens > KvFree(rep)) break;  // FIFO: no bypassing the head
      rep.prefilling.push_back(id);
      if (q.swapped) {  // its KV comes back whole in this iteration; no prompt tokens
        swap_in_s += static_cast<double>(len) * perf_.swap_seconds_per_token;
        q.prefilled = len;
        continue;
      }
    }
    const int64_t c = std::min(len - q.prefilled, budget);
    shape.prefill_tokens += c;
    shape.prefill_attention_pairs += static_cast<double>(c) * static_cast<double>(q.prefilled) +
                                     0.5 * static_cast<double>(c) * static_cast<double>(c + 1);
    q.prefilled += c;
    budget -= c;
  }
  if (shape.prefill_tokens == 0 && swap_in_s == 0) return;  // nothing admissible: decode only
  rep.iteration_seqs = shape.decode_seqs + static_cast<int64_t>(rep.prefilling.size());
  rep.busy = true;
  rep.in_decode_run = false;
  rep.run_start = sim_.Now();
  rep.end_event = sim_.ScheduleAfter(
      Duration::FromSeconds(perf_.iteration_time->Seconds(shape) + swap_in_s + rep.pending_swap_s),
      this, Tag(kIterationEnd, r));
  rep.pending_swap_s = 0;
}

void ServiceSim::StartDecodeRun(size_t r) {
  Replica& rep = replicas_[r];
  const auto& b = config_.batching;
  for (;;) {
    if (rep.running.empty()) {
      Iterate(r);
      return;
    }
    const int64_t B = static_cast<int64_t>(rep.running.size());
    const int64_t kv_steps =
        (perf_.kv_capacity_tokens - B * b.kv_block_tokens - rep.context_sum) / B;
    if (kv_steps >= 1) break;
    PreemptNewest(r);
  }
  const int64_t B = static_cast<int64_t>(rep.running.size());
  const int64_t kv_steps = (perf_.kv_capacity_tokens - B * b.kv_block_tokens - rep.context_sum) / B;
  int64_t k = std::min(rep.next_finish_step - rep.step, kv_steps);
  if (config_.exact_steps || rep.pending_swap_s > 0 || HeadAdmissibleAfter(rep, 1)) {
    // (a swap-out is paid by one step alone; a head that fits after one step, e.g. a
    // sequence just preempted, is admitted there in the exact mode)
    k = 1;
  } else {
    // Arrivals waiting for a slot (batch or KV full) will want in at the next completion;
    // otherwise run as far as the growing chunk allows.
    k = std::min(k, rep.chunk);
    rep.chunk = std::min(rep.chunk * 2, kMaxChunk);
  }
  SimTime t = sim_.Now() + Duration::FromSeconds(rep.pending_swap_s);
  rep.pending_swap_s = 0;
  rep.step_end_ns.resize(static_cast<size_t>(k));
  rep.steps_ended = 0;
  step_s_.resize(static_cast<size_t>(k));
  perf_.iteration_time->DecodeRun(B, rep.context_sum, k, step_s_.data());
  for (int64_t j = 0; j < k; ++j) {
    t = t + Duration::FromSeconds(step_s_[static_cast<size_t>(j)]);
    rep.step_end_ns[static_cast<size_t>(j)] = t.ns();
  }
  rep.iteration_seqs = B;
  rep.busy = true;
  rep.in_decode_run = true;
  rep.run_start = sim_.Now();
  rep.run_steps = k;
  rep.end_event = sim_.Schedule(t, this, Tag(kIterationEnd, r));
}

}  // namespace fleetsim
