#include "models/scheduling/scheduler_sim.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <stdexcept>

namespace fleetsim {

namespace {

SimTime AtSeconds(double s) {
  return SimTime::FromNanoseconds(Duration::FromSeconds(std::max(0.0, s)).ns());
}

}  // namespace

SchedulingSim::SchedulingSim(Simulator& sim, const ClusterSpec& cluster, const JobSet& jobs,
                             SchedulerPolicy policy, std::unique_ptr<JobSource> source,
                             SchedulingOptions options)
    : sim_(sim),
      cluster_(cluster),
      job_set_(jobs),
      policy_(std::move(policy)),
      source_(std::move(source)),
      options_(options) {
  const int32_t np = cluster_.num_pools();
  ends_.resize(np);
  const uint64_t all = np == 64 ? ~uint64_t{0} : (uint64_t{1} << np) - 1;
  for (const JobClass& c : job_set_.classes) {
    std::vector<double> speeds(np);
    uint64_t mask = c.devices.empty() ? all : 0;
    for (int32_t p = 0; p < np; ++p) {
      const PoolSpec& ps = cluster_.pool(p);
      speeds[p] = ps.speed;
      for (const auto& [device, s] : c.speedup) {
        if (device == ps.device) speeds[p] = s;
      }
      for (const auto& d : c.devices) {
        if (d == ps.device) mask |= uint64_t{1} << p;
      }
    }
    speed_.push_back(std::move(speeds));
    class_mask_.push_back(mask);
  }
  const LocalitySpeed& f = cluster_.spec().locality;
  max_locality_ = std::max({1.0, f.rack, f.pod, f.cluster});
  for (const auto& d : job_set_.device_names) {
    uint64_t mask = 0;
    for (int32_t p = 0; p < np; ++p) {
      if (cluster_.pool(p).device == d) mask |= uint64_t{1} << p;
    }
    device_mask_.push_back(mask);
  }
}

void SchedulingSim::Start() {
  next_ = source_->Next();
  if (next_ && next_->arrival_s < options_.horizon_s) {
    sim_.Schedule(AtSeconds(next_->arrival_s), this, Tag(0, kArrival));
  }
  sim_.AddPendingWorkCheck([this]() -> std::string {
    if (queue_live_ == 0) return "";
    const Job& j = jobs_[queue_[queue_head_].job];
    return std::to_string(queue_live_) + " jobs wait for GPUs that never free up (first: '" +
           j.spec.id + "', " + std::to_string(j.spec.gpus) + " GPUs)";
  });
}

void SchedulingSim::HandleEvent(uint64_t tag) {
  const int32_t j = static_cast<int32_t>(tag >> 3);
  switch (static_cast<EventType>(tag & 7)) {
    case kArrival:
      OnArrival();
      break;
    case kFinish:
      OnFinish(j);
      break;
    case kCheckpointDone:
      OnCheckpointDone(j);
      break;
    case kKeyChange:
      OnKeyChange(j);
      break;
    case kPass:
      Pass();
      break;
  }
  if (observer_) observer_(*this);
}

double SchedulingSim::SpeedOn(const Job& j, int32_t pool) const {
  return speed_[j.spec.job_class][pool];
}

double SchedulingSim::RestartCost(const Job& j) const { return j.starts > 0 ? j.restart_s : 0; }

double SchedulingSim::LocalityFactor(Locality l) const {
  const LocalitySpeed& f = cluster_.spec().locality;
  switch (l) {
    case Locality::kNode:
      return 1.0;
    case Locality::kRack:
      return f.rack;
    case Locality::kPod:
      return f.pod;
    case Locality::kCluster:
      return f.cluster;
  }
  return 1.0;
}

uint64_t SchedulingSim::PoolMask(const JobSpec& s) const {
  uint64_t mask = class_mask_[s.job_class];
  if (s.device >= 0) mask &= device_mask_[s.device];
  for (int32_t p = 0; p < cluster_.num_pools(); ++p) {
    if (!(mask >> p & 1)) continue;
    const bool fits = s.memory_bytes <= cluster_.pool(p).gpu_memory_bytes &&
                      (s.share < 100 || s.gpus <= cluster_.pool_gpus(p));
    if (!fits) mask &= ~(uint64_t{1} << p);
  }
  return mask;
}

int64_t SchedulingSim::ShardMemory(const Job& j, int32_t pool) const {
  if (j.spec.memory_bytes > 0) return j.spec.memory_bytes;
  return cluster_.pool(pool).gpu_memory_bytes * j.spec.share / 100;
}

// ---- accounting ----

void SchedulingSim::Accrue(Job& j, SimTime t) const {
  const double dt = (t - j.accrued_to).seconds();
  if (dt <= 0) return;
  const double units = j.spec.gpu_units();
  if (j.state == JobState::kRunning) {
    const SimTime from = std::max(j.accrued_to, j.progress_start);
    const double prog = t > from ? (t - from).seconds() : 0.0;
    j.work_done_s += prog * j.speed;
    j.useful_gpu_s += prog * units;
    j.overhead_gpu_s += (dt - prog) * units;
    const SimTime load_to = std::min(t, j.load_end);
    if (load_to > j.accrued_to) j.load_gpu_s += (load_to - j.accrued_to).seconds() * units;
    j.attained_gpu_s += dt * units;
  } else {
    j.overhead_gpu_s += dt * units;  // saving a checkpoint
  }
  j.cost_usd += dt * units * cluster_.pool(j.pool).usd_per_gpu_s;
  j.accrued_to = t;
}

double SchedulingSim::WorkDoneNow(const Job& j) const {
  if (j.state != JobState::kRunning) return j.work_done_s;
  const SimTime now = sim_.Now();
  const SimTime from = std::max(j.accrued_to, j.progress_start);
  const double prog = now > from ? (now - from).seconds() : 0.0;
  return std::min(j.spec.duration_s, j.work_done_s + prog * j.speed);
}

double SchedulingSim::AttainedNow(const Job& j) const {
  if (j.state != JobState::kRunning) return j.attained_gpu_s;
  return j.attained_gpu_s + (sim_.Now() - j.accrued_to).seconds() * j.spec.gpu_units();
}

SchedulingSim::GpuSeconds SchedulingSim::GpuSecondsNow(const Job& job) const {
  Job j = job;
  if (j.state == JobState::kRunning || j.state == JobState::kCheckpointing) {
    Accrue(j, sim_.Now());
  }
  GpuSeconds g{j.useful_gpu_s, j.overhead_gpu_s, j.idle_reserved_gpu_s, j.load_gpu_s, j.cost_usd};
  if (j.state == JobState::kReserved) {
    // GPUs already idle for this job count from the moment they were freed.
    const Internal& in = internal_[j.index];
    for (double since : in.reserved_idle_since) {
      if (since < kNoTime) {
        const double idle = now_s() - since;
        g.idle_reserved += idle;
        g.cost_usd += idle * cluster_.pool(in.reserved_pool).usd_per_gpu_s;
      }
    }
  }
  return g;
}

// ---- events ----

void SchedulingSim::OnArrival() {
  const int32_t idx = static_cast<int32_t>(jobs_.size());
  jobs_.emplace_back();
  internal_.emplace_back();
  Job& j = jobs_.back();
  j.spec = std::move(*next_);
  j.index = idx;
  j.pool_mask = PoolMask(j.spec);
  j.checkpoint_s = j.spec.checkpoint_s >= 0 ? j.spec.checkpoint_s : policy_.checkpoint_s;
  j.restart_s = j.spec.restart_s >= 0 ? j.spec.restart_s : policy_.restart_s;
  if (j.spec.model >= 0 && (j.spec.model >= static_cast<int32_t>(job_set_.models.size()) ||
                            !(job_set_.classes[j.spec.job_class].load_bytes_per_s > 0))) {
    throw std::logic_error("job '" + j.spec.id +
                           "' has a model but no such model or no load bandwidth in its class");
  }
  std::string reason;
  bool admit = false;
  if (j.pool_mask == 0) {
    reason = "never fits (no pool has its GPU type, memory and GPU count)";
  } else if (!policy_.admission->Admit(j, *this, &reason)) {
    if (reason.empty()) reason = "rejected by admission";
  } else {
    admit = true;
  }
  if (admit) {
    j.state = JobState::kPending;
    j.pending_since_s = now_s();
    ++admitted_;
    Enqueue(j);
    RequestPass();
  } else {
    j.state = JobState::kRejected;
    auto it = std::find_if(rejections_.begin(), rejections_.end(),
                           [&](const auto& r) { return r.first == reason; });
    if (it == rejections_.end()) {
      rejections_.emplace_back(reason, 1);
    } else {
      ++it->second;
    }
  }
  const double arrival = jobs_.back().spec.arrival_s;
  next_ = source_->Next();
  if (next_ && next_->arrival_s < arrival) {
    throw std::logic_error("job source is not in arrival order at job '" + next_->id + "'");
  }
  if (next_ && next_->arrival_s < options_.horizon_s) {
    sim_.Schedule(std::max(sim_.Now(), AtSeconds(next_->arrival_s)), this, Tag(0, kArrival));
  }
}

void SchedulingSim::OnFinish(int32_t idx) {
  Job& j = jobs_[idx];
  Accrue(j, sim_.Now());
  // The work of all segments adds up to the duration: the finish event was rounded up to
  // the nanosecond, so at most a nanosecond of work too much, never less.
  const double err = j.work_done_s - j.spec.duration_s;
  if (err < -1e-9 * std::max(1.0, j.spec.duration_s) ||
      err > 2e-9 * j.speed + 1e-12 * j.spec.duration_s) {
    throw std::logic_error("job '" + j.spec.id + "' finished with " +
                           std::to_string(j.work_done_s) + " s of work done for a duration of " +
                           std::to_string(j.spec.duration_s) + " s");
  }
  j.work_done_s = j.spec.duration_s;
  if (internal_[idx].key_event.valid()) sim_.Cancel(internal_[idx].key_event);
  RemoveFromIndexes(j);
  ReleaseShards(j);
  j.finish_s = now_s();
  j.state = JobState::kDone;
  ++completed_;
  RequestPass();
}

void SchedulingSim::OnCheckpointDone(int32_t idx) { FinishCheckpoint(jobs_[idx]); }

void SchedulingSim::OnKeyChange(int32_t idx) {
  Job& j = jobs_[idx];
  if (j.state != JobState::kRunning) return;
  Accrue(j, sim_.Now());
  RemoveFromIndexes(j);
  AddToIndexes(j);
  Internal& in = internal_[idx];
  in.key_event = EventId{};
  const double t = policy_.order->NextKeyChange(j, *this);
  const double finish = std::max(now_s(), j.progress_start.seconds()) +
                        std::max(0.0, j.spec.duration_s - j.work_done_s) / j.speed;
  if (t < finish) {
    in.key_event = sim_.Schedule(std::max(sim_.Now(), AtSeconds(t)), this, Tag(idx, kKeyChange));
  }
  RequestPass();
}

void SchedulingSim::RequestPass() {
  if (pass_scheduled_) return;
  pass_scheduled_ = true;
  sim_.Schedule(sim_.Now(), this, Tag(0, kPass), kPhaseLast);
}

// ---- the scheduling pass ----

void SchedulingSim::Enqueue(Job& j) {
  // Inserting shifts the vector a pass is walking: requeues during a pass wait for its end
  // (and the pass they request).
  if (in_pass_) {
    deferred_.push_back(j.index);
  } else {
    Insert(j);
  }
}

void SchedulingSim::Insert(const Job& j) {
  QueueEntry e;
  e.key = policy_.order->Key(j, *this);
  e.job = j.index;
  e.need = j.spec.share == 100 ? j.spec.gpus : 0;
  e.pool_mask = j.pool_mask;
  e.fail_epoch = ~uint64_t{0};
  e.job_class = j.spec.job_class;
  e.restart_s = RestartCost(j);
  e.est_left_s = j.estimated_remaining_s();
  e.alive = true;
  queue_.insert(
      std::upper_bound(queue_.begin() + static_cast<std::ptrdiff_t>(queue_head_), queue_.end(), e),
      e);
  ++queue_live_;
  if (e.need == 0) ++waiting_fractional_;
}

void SchedulingSim::Kill(size_t i) {
  queue_[i].alive = false;
  --queue_live_;
  if (queue_[i].need == 0) --waiting_fractional_;
  while (queue_head_ < queue_.size() && !queue_[queue_head_].alive) ++queue_head_;
}

void SchedulingSim::Pass() {
  pass_scheduled_ = false;
  ++passes_;
  const bool preempt = policy_.preemption->enabled();
  const Backfill mode = policy_.backfill;
  bool blocked = false;
  EasyShadow easy;
  std::vector<int32_t> victims, gpus;
  in_pass_ = true;
  for (size_t i = queue_head_; i < queue_.size(); ++i) {
    QueueEntry& e = queue_[i];
    if (!e.alive) continue;
    if (blocked && mode == Backfill::kStrict) break;
    // Without free room only evictions could start a job.
    if (!preempt && !AnyRoom()) break;
    Job& j = jobs_[e.job];
    if (TryStart(e, j, blocked && mode == Backfill::kEasy ? &easy : nullptr)) {
      Kill(i);
      continue;
    }
    // The jobs ahead of any blocked one, and with greedy every job, may evict others.
    if (preempt && (!blocked || mode == Backfill::kGreedy)) {
      int32_t pool = -1;
      if (TryPreempt(j, &victims, &gpus, &pool)) {
        Kill(i);
        CommitPreemption(j, victims, gpus, pool);
        continue;
      }
    }
    if (!blocked) {
      blocked = true;
      if (mode == Backfill::kEasy) ComputeShadow(j, &easy);
    }
  }
  in_pass_ = false;
  for (int32_t d : deferred_) Insert(jobs_[d]);
  deferred_.clear();
  // Drop the tombstones once they outnumber the waiting jobs (amortised O(1) per job).
  if (queue_.size() - queue_live_ > queue_live_ + 64) {
    queue_.erase(
        std::remove_if(queue_.begin(), queue_.end(), [](const QueueEntry& q) { return !q.alive; }),
        queue_.end());
    queue_head_ = 0;
  }
}

bool SchedulingSim::TryStart(QueueEntry& e, Job& j, EasyShadow* easy) {
  const uint64_t epoch = cluster_.release_epoch();
  if (e.fail_epoch == epoch) return false;
  // Room anywhere it may run? (Necessary, not sufficient: fragmentation, memory.)
  bool room = false;
  for (uint64_t m = e.pool_mask; m && !room; m &= m - 1) {
    const int32_t p = std::countr_zero(m);
    room = e.need > 0 ? cluster_.pool_free(p) >= e.need
                      : cluster_.pool_free(p) > 0 || cluster_.pool_shareable(p) > 0;
  }
  if (!room) {
    e.fail_epoch = epoch;
    return false;
  }
  // EASY: a job that would still run at the reservation time even at its fastest in the
  // reserved pool, and needs more GPUs than the blocked job leaves spare, may not use that
  // pool; it may still backfill into another pool with room.
  const uint64_t mask = e.pool_mask;  // the entry's copy: the job itself is not touched yet
  bool restricted = false;
  if (easy && easy->pool >= 0 && (mask >> easy->pool & 1) && e.need > easy->extra &&
      now_s() + e.restart_s + e.est_left_s / (speed_[e.job_class][easy->pool] * max_locality_) >
          easy->time_s) {
    bool elsewhere = false;
    for (uint64_t m = mask & ~(uint64_t{1} << easy->pool); m && !elsewhere; m &= m - 1) {
      elsewhere = cluster_.pool_free(std::countr_zero(m)) >= e.need;
    }
    if (!elsewhere) return false;
    j.pool_mask = mask & ~(uint64_t{1} << easy->pool);
    restricted = true;
  }
  scratch_gpus_.clear();
  const int32_t pool = policy_.placement->Place(j, *this, &scratch_gpus_);
  j.pool_mask = mask;
  if (pool < 0) {
    if (!restricted) e.fail_epoch = epoch;
    return false;
  }
  CheckPlacement(j, pool, scratch_gpus_);
  if (easy && easy->pool == pool) {
    const double speed = SpeedOn(j, pool) * LocalityFactor(cluster_.LocalityOf(scratch_gpus_));
    const double end = now_s() + RestartCost(j) + j.estimated_remaining_s() / speed;
    if (end > easy->time_s) {
      // It would still run at the reservation: only GPUs the blocked job does not need.
      const int32_t whole =
          j.spec.share == 100 ? j.spec.gpus : (cluster_.gpu_free(scratch_gpus_[0]) ? 1 : 0);
      if (whole > easy->extra) return false;
      easy->extra -= whole;
    }
  }
  StartOn(j, pool, scratch_gpus_);
  return true;
}

void SchedulingSim::ComputeShadow(const Job& h, EasyShadow* easy) const {
  const int32_t need = h.spec.share == 100 ? h.spec.gpus : 1;
  easy->pool = -1;
  for (int32_t p = 0; p < cluster_.num_pools(); ++p) {
    if (!(h.pool_mask >> p & 1)) continue;
    int32_t acc = cluster_.pool_free(p);
    double t = now_s();
    if (acc < need) {
      t = kNoTime;
      for (const EndEntry& e : ends_[p]) {
        const Job& r = jobs_[e.job];
        acc += r.spec.share == 100 ? r.spec.gpus : 0;
        if (acc >= need) {
          t = std::max(now_s(), e.end_ns * 1e-9);
          break;
        }
      }
    }
    if (t < kNoTime && (easy->pool < 0 || t < easy->time_s)) {
      easy->pool = p;
      easy->time_s = t;
      easy->extra = acc - need;
    }
  }
}

void SchedulingSim::CheckPlacement(const Job& j, int32_t pool,
                                   const std::vector<int32_t>& gpus) const {
  auto fail = [&](const std::string& why) {
    throw std::logic_error("placement '" + policy_.label +
                           "' chose an invalid placement for job '" + j.spec.id + "': " + why);
  };
  if (pool < 0 || pool >= cluster_.num_pools() || !(j.pool_mask >> pool & 1)) {
    fail("pool not allowed");
  }
  const size_t want = j.spec.share == 100 ? static_cast<size_t>(j.spec.gpus) : 1;
  if (gpus.size() != want) fail("wrong number of GPUs");
  for (size_t i = 0; i < gpus.size(); ++i) {
    const int32_t g = gpus[i];
    if (g < 0 || g >= cluster_.total_gpus() || cluster_.node_pool(cluster_.gpu_node(g)) != pool) {
      fail("GPU outside the pool");
    }
    for (size_t k = 0; k < i; ++k) {
      if (gpus[k] == g) fail("GPU chosen twice");
    }
    if (j.spec.share == 100) {
      if (!cluster_.gpu_free(g)) fail("GPU not free");
    } else {
      const GpuState& st = cluster_.gpu(g);
      if (st.reserved_for >= 0 || st.used_share + j.spec.share > 100 ||
          st.used_memory + ShardMemory(j, pool) > cluster_.gpu_memory(g)) {
        fail("no room for the shard");
      }
    }
  }
}

void SchedulingSim::StartOn(Job& j, int32_t pool, const std::vector<int32_t>& gpus) {
  const int64_t mem = ShardMemory(j, pool);
  j.shards.clear();
  bool cold = false;  // some GPU lacks the job's model: load it first
  for (int32_t g : gpus) {
    Shard s{g, j.spec.share, mem};
    cluster_.Take(s, j.index);
    j.shards.push_back(s);
    cold |= cluster_.gpu(g).resident_model != j.spec.model;
    cluster_.SetResidentModel(g, j.spec.model);
  }
  cold &= j.spec.model >= 0;
  const SimTime now = sim_.Now();
  j.pool = pool;
  j.locality = cluster_.LocalityOf(gpus);
  j.speed = SpeedOn(j, pool) * LocalityFactor(j.locality);
  j.segment_start = now;
  j.load_end = now + Duration::FromSeconds(cold ? job_set_.LoadSeconds(j.spec) : 0.0);
  if (cold) {
    ++j.weight_loads;
    ++weight_loads_;
  }
  j.progress_start = j.load_end + Duration::FromSeconds(RestartCost(j));
  j.accrued_to = now;
  j.waited_s += now_s() - j.pending_since_s;
  if (j.starts == 0) j.first_start_s = now_s();
  ++j.starts;
  j.state = JobState::kRunning;
  internal_[j.index].work_at_start = j.work_done_s;
  AddToIndexes(j);
  ScheduleRunEvents(j);
}

void SchedulingSim::ScheduleRunEvents(Job& j) {
  Internal& in = internal_[j.index];
  const double left = std::max(0.0, j.spec.duration_s - j.work_done_s);
  const SimTime finish = j.progress_start + Duration::FromSeconds(left / j.speed);
  in.finish_event = sim_.Schedule(finish, this, Tag(j.index, kFinish), kPhaseFirst);
  in.key_event = EventId{};
  const double t = policy_.order->NextKeyChange(j, *this);
  if (t < kNoTime && t < finish.seconds()) {
    in.key_event =
        sim_.Schedule(std::max(sim_.Now(), AtSeconds(t)), this, Tag(j.index, kKeyChange));
  }
}

void SchedulingSim::AddToIndexes(Job& j) {
  Internal& in = internal_[j.index];
  if (policy_.preemption->enabled() && job_set_.classes[j.spec.job_class].preemptible) {
    in.victim_key = policy_.preemption->VictimKey(j, *this);
    victims_.insert({in.victim_key, j.index});
    in.in_victims = true;
  }
  const double from = std::max(now_s(), j.progress_start.seconds());
  const double est_left = std::max(0.0, j.spec.estimate_s - WorkDoneNow(j));
  in.est_end_ns = AtSeconds(from + est_left / j.speed).ns();
  ends_[j.pool].insert({in.est_end_ns, j.index});
  in.in_ends = true;
}

void SchedulingSim::RemoveFromIndexes(Job& j) {
  Internal& in = internal_[j.index];
  if (in.in_victims) victims_.erase({in.victim_key, j.index});
  if (in.in_ends) ends_[j.pool].erase({in.est_end_ns, j.index});
  in.in_victims = in.in_ends = false;
}

void SchedulingSim::ReleaseShards(Job& j) {
  std::vector<int32_t> ready;
  // Evicted before its weights were loaded: its GPUs hold no complete model.
  const bool load_unfinished = sim_.Now() < j.load_end;
  for (const Shard& s : j.shards) {
    cluster_.Give(s);
    if (load_unfinished) cluster_.SetResidentModel(s.gpu, -1);
    const GpuState& st = cluster_.gpu(s.gpu);
    if (st.reserved_for >= 0 && st.used_share == 0) {
      Job& w = jobs_[st.reserved_for];
      Internal& win = internal_[w.index];
      for (size_t i = 0; i < win.reserved.size(); ++i) {
        if (win.reserved[i] == s.gpu) win.reserved_idle_since[i] = now_s();
      }
      if (--win.awaiting == 0) ready.push_back(w.index);
    }
  }
  j.shards.clear();
  for (int32_t w : ready) StartReserved(jobs_[w]);
}

// ---- preemption ----

bool SchedulingSim::TryPreempt(Job& w, std::vector<int32_t>* victims, std::vector<int32_t>* gpus,
                               int32_t* pool) {
  victims->clear();
  if (w.spec.share < 100 || victims_.empty()) return false;
  const Preemption& pr = *policy_.preemption;
  // With a monotone policy the worst-ranked running job is the easiest victim: if it may not
  // be evicted, none may.
  if (pr.monotone() && !pr.MayPreempt(w, jobs_[victims_.rbegin()->job], *this)) return false;
  const uint64_t epoch = cluster_.release_epoch();
  const double now = now_s();
  std::vector<int32_t> removed;
  bool found = false;
  for (auto it = victims_.rbegin(); it != victims_.rend(); ++it) {
    const Job& v = jobs_[it->job];
    if (!(w.pool_mask >> v.pool & 1)) continue;
    if (now - v.segment_start.seconds() < pr.min_run_s()) continue;
    if (!pr.MayPreempt(w, v, *this)) {
      if (pr.monotone()) break;
      continue;
    }
    for (const Shard& s : v.shards) cluster_.Give(s);
    removed.push_back(v.index);
    if (cluster_.pool_free(v.pool) < w.spec.gpus) continue;
    gpus->clear();
    *pool = policy_.placement->Place(w, *this, gpus);
    if (*pool >= 0) {
      CheckPlacement(w, *pool, *gpus);
      found = true;
      break;
    }
  }
  // Undo: victims keep their GPUs while they save their checkpoints.
  for (auto r = removed.rbegin(); r != removed.rend(); ++r) {
    for (const Shard& s : jobs_[*r].shards) cluster_.Take(s, *r);
  }
  cluster_.RestoreReleaseEpoch(epoch);
  if (!found) return false;
  // Only the jobs on GPUs the placement chose are evicted.
  for (int32_t r : removed) {
    for (const Shard& s : jobs_[r].shards) {
      if (std::find(gpus->begin(), gpus->end(), s.gpu) != gpus->end()) {
        victims->push_back(r);
        break;
      }
    }
  }
  return true;
}

void SchedulingSim::CommitPreemption(Job& w, const std::vector<int32_t>& victims,
                                     const std::vector<int32_t>& gpus, int32_t pool) {
  Internal& in = internal_[w.index];
  w.state = JobState::kReserved;
  in.reserved = gpus;
  in.reserved_pool = pool;
  in.reserved_idle_since.assign(gpus.size(), kNoTime);
  in.awaiting = 0;
  for (size_t i = 0; i < gpus.size(); ++i) {
    const bool occupied = cluster_.gpu(gpus[i]).used_share > 0;
    cluster_.Reserve(gpus[i], w.index);
    if (occupied) {
      ++in.awaiting;
    } else {
      in.reserved_idle_since[i] = now_s();
    }
  }
  for (int32_t v : victims) Preempt(jobs_[v]);
  if (w.state == JobState::kReserved && in.awaiting == 0) StartReserved(w);
}

void SchedulingSim::Preempt(Job& v) {
  Internal& in = internal_[v.index];
  Accrue(v, sim_.Now());
  sim_.Cancel(in.finish_event);
  if (in.key_event.valid()) sim_.Cancel(in.key_event);
  RemoveFromIndexes(v);
  ++v.preemptions;
  // Nothing to save if it made no progress since it (re)started.
  const double ckpt = v.work_done_s > in.work_at_start ? v.checkpoint_s : 0.0;
  v.state = JobState::kCheckpointing;
  in.checkpoint_end = sim_.Now() + Duration::FromSeconds(ckpt);
  if (ckpt > 0) {
    sim_.Schedule(in.checkpoint_end, this, Tag(v.index, kCheckpointDone), kPhaseFirst);
  } else {
    FinishCheckpoint(v);
  }
}

void SchedulingSim::FinishCheckpoint(Job& v) {
  Accrue(v, sim_.Now());
  v.state = JobState::kPending;
  v.pending_since_s = now_s();
  v.pool = -1;
  Enqueue(v);
  RequestPass();
  ReleaseShards(v);  // last: it may start the job that evicted this one
}

void SchedulingSim::StartReserved(Job& w) {
  Internal& in = internal_[w.index];
  const double price = cluster_.pool(in.reserved_pool).usd_per_gpu_s;
  for (size_t i = 0; i < in.reserved.size(); ++i) {
    cluster_.Unreserve(in.reserved[i]);
    const double idle = now_s() - in.reserved_idle_since[i];
    w.idle_reserved_gpu_s += idle;
    w.cost_usd += idle * price;
  }
  const std::vector<int32_t> gpus = std::move(in.reserved);
  in.reserved.clear();
  in.reserved_idle_since.clear();
  CheckPlacement(w, in.reserved_pool, gpus);
  StartOn(w, in.reserved_pool, gpus);
}

}  // namespace fleetsim
