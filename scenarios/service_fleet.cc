#include "scenarios/service_fleet.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "sim/config/config_error.h"

namespace fleetsim {

// ---------------------------------------------------------------- PoolLedger

PoolLedger::PoolLedger(const PricedPool& spec, CostModel& costs, CostModel::PoolId id)
    : spec_(&spec), costs_(&costs), id_(id) {}

int64_t PoolLedger::units() const {
  if (!spec_->cloud) return spec_->max_units;
  int64_t n = 0;
  for (const Unit& u : units_) n += u.live ? 1 : 0;
  return n;
}

std::optional<GpuClaim> PoolLedger::Take(int64_t gpus, SimTime now, bool warm,
                                         ClaimHolder* holder) {
  const int64_t per = spec_->gpus_per_unit;
  if (!spec_->cloud && units_.empty()) {
    units_.resize(static_cast<size_t>(spec_->max_units));
    for (Unit& u : units_) u.live = true;  // servers in service from t = 0
  }
  // A claim that fits one unit stays on one unit (a tensor-parallel group shares its
  // NVLink domain): the first unit with room, else a new one. A larger claim takes whole
  // empty units. Plan before changing anything.
  std::vector<std::pair<size_t, int64_t>> parts;
  const int64_t whole = gpus > per ? (gpus + per - 1) / per : 0;
  int64_t new_units = 0;
  if (whole == 0) {
    for (size_t i = 0; i < units_.size(); ++i) {
      if (units_[i].live && !units_[i].doomed && per - units_[i].used >= gpus) {
        parts.emplace_back(i, gpus);
        break;
      }
    }
    if (parts.empty()) new_units = 1;
  } else {
    int64_t left = gpus;
    for (size_t i = 0; i < units_.size() && static_cast<int64_t>(parts.size()) < whole; ++i) {
      if (units_[i].live && !units_[i].doomed && units_[i].used == 0) {
        parts.emplace_back(i, std::min(per, left));
        left -= parts.back().second;
      }
    }
    new_units = whole - static_cast<int64_t>(parts.size());
  }
  if (new_units > 0) {
    if (!spec_->cloud || !available_ || costs_->Headroom(id_, now) < new_units) {
      return std::nullopt;
    }
    int64_t left = gpus;
    for (const auto& p : parts) left -= p.second;
    for (int64_t k = 0; k < new_units; ++k) {
      size_t slot = 0;
      while (slot < units_.size() && units_[slot].live) ++slot;
      if (slot == units_.size()) units_.emplace_back();
      Unit& u = units_[slot];
      u = Unit{};
      u.live = true;
      u.instance = costs_->OnProvision(id_, now);
      u.ready = warm ? now : costs_->ReadyAt(id_, u.instance);
      parts.emplace_back(slot, std::min(per, left));
      left -= parts.back().second;
    }
  }
  GpuClaim claim;
  claim.ready = now;
  claim.from = this;
  for (const auto& [slot, n] : parts) {
    units_[slot].used += n;
    claim.ready = std::max(claim.ready, units_[slot].ready);
  }
  claim.parts = std::move(parts);
  claim.id = next_claim_id_++;
  held_ += gpus;
  if (spot_) {
    if (!holder) throw std::logic_error("PoolLedger: a claim on a spot pool needs a holder");
    claims_.push_back(HeldClaim{claim.id, holder, claim.parts});
  }
  return claim;
}

std::optional<GpuClaim> PoolLedger::Acquire(int64_t gpus, SimTime now, ClaimHolder* holder) {
  auto claim = Take(gpus, now, false, holder);
  if (!claim) {
    ++shortfalls_;
    if (spec_->cloud && available_ && spec_->max_units > 0 &&
        std::isfinite(spec_->cloud_pool.capacity_lead_time_s) &&
        (!capacity_requested_until_ || *capacity_requested_until_ <= now)) {
      const int64_t per = spec_->gpus_per_unit;
      capacity_requested_until_ = costs_->RequestCapacity(id_, (gpus + per - 1) / per, now);
    }
  }
  return claim;
}

std::optional<GpuClaim> PoolLedger::AcquireWarm(int64_t gpus, SimTime now, ClaimHolder* holder) {
  return Take(gpus, now, true, holder);
}

void PoolLedger::Free(const std::vector<std::pair<size_t, int64_t>>& parts, SimTime now,
                      bool reclaiming) {
  for (const auto& [slot, n] : parts) {
    Unit& u = units_.at(slot);
    if (!u.live || u.used < n) throw std::logic_error("PoolLedger: releasing GPUs not held");
    u.used -= n;
    held_ -= n;
    // A doomed instance emptied before its reclaim is released by the user (no need to wait);
    // at the reclaim the provider takes it (OnReclaim).
    if (spec_->cloud && u.used == 0 && !(reclaiming && u.doomed)) {
      costs_->OnRelease(id_, u.instance, now);
      u.live = false;
    }
  }
}

void PoolLedger::Release(const GpuClaim& claim, SimTime now) {
  if (spot_) {
    auto it = std::find_if(claims_.begin(), claims_.end(),
                           [&](const HeldClaim& c) { return c.id == claim.id; });
    if (it == claims_.end()) throw std::logic_error("PoolLedger: releasing a claim not held");
    claims_.erase(it);
  }
  Free(claim.parts, now);
}

// ---- spot

namespace {
enum SpotEvent : uint64_t { kNotice = 0, kReclaim = 1, kAvailable = 2 };

// The instant `s` seconds after t = 0; nullopt beyond the representable range ("never").
std::optional<SimTime> At(double s) {
  auto d = Duration::TryFromSeconds(s);
  if (!d) return std::nullopt;
  return SimTime::Zero() + *d;
}
}  // namespace

void PoolLedger::StartSpot(Simulator& sim) {
  if (!spec_->cloud || spec_->cloud_pool.plan != CloudPlan::kSpot) return;
  sim_ = &sim;
  spot_.emplace(SpotAvailability::ForPool(spec_->cloud_pool.spot, sim.rng(), spec_->name));
  if (auto t = At(spot_->Peek().notice_s)) sim.Schedule(*t, this, kNotice);
}

void PoolLedger::Listen(ClaimHolder* holder) {
  if (std::find(listeners_.begin(), listeners_.end(), holder) == listeners_.end()) {
    listeners_.push_back(holder);
  }
}

void PoolLedger::Finish(SimTime t) {
  if (!available_) {
    spot_stats_.unavailable_s += (t - unavailable_since_).seconds();
    unavailable_since_ = t;
  }
}

void PoolLedger::HandleEvent(uint64_t tag) {
  switch (tag) {
    case kNotice:
      OnNotice();
      return;
    case kReclaim:
      OnReclaim();
      return;
    default:
      OnAvailable();
      return;
  }
}

void PoolLedger::OnNotice() {
  current_ = spot_->Next();
  ++spot_stats_.interruptions;
  available_ = false;
  unavailable_since_ = sim_->Now();
  std::vector<size_t> live;
  for (size_t i = 0; i < units_.size(); ++i) {
    if (units_[i].live) live.push_back(i);
  }
  const std::vector<size_t> victims = SpotVictims(current_, live.size());
  for (size_t v : victims) units_[live[v]].doomed = true;
  spot_stats_.instances_hit += static_cast<int64_t>(victims.size());
  const SimTime reclaim = std::max(sim_->Now(), At(current_.reclaim_s).value_or(SimTime::Max()));
  sim_->Schedule(reclaim, this, kReclaim);
  if (auto t = At(current_.available_again_s))
    sim_->Schedule(std::max(reclaim, *t), this, kAvailable);
  // Holders may release claims (or take others) as they hear: walk a copy of the ids.
  std::vector<std::pair<uint64_t, ClaimHolder*>> hit;
  for (const HeldClaim& c : claims_) {
    for (const auto& part : c.parts) {
      if (units_[part.first].doomed) {
        hit.emplace_back(c.id, c.holder);
        break;
      }
    }
  }
  for (const auto& [id, holder] : hit) {
    const bool still = std::any_of(claims_.begin(), claims_.end(),
                                   [id = id](const HeldClaim& c) { return c.id == id; });
    if (still) holder->OnSpotNotice(*this, id, reclaim);
  }
}

void PoolLedger::OnReclaim() {
  const SimTime now = sim_->Now();
  for (;;) {
    // The first claim left on a doomed unit (holders may change claims_ as they hear).
    auto it = std::find_if(claims_.begin(), claims_.end(), [&](const HeldClaim& c) {
      return std::any_of(c.parts.begin(), c.parts.end(),
                         [&](const auto& part) { return units_[part.first].doomed; });
    });
    if (it == claims_.end()) break;
    const HeldClaim lost = *it;
    lost.holder->OnClaimLost(*this, lost.id);
    claims_.erase(std::find_if(claims_.begin(), claims_.end(),
                               [&](const HeldClaim& c) { return c.id == lost.id; }));
    Free(lost.parts, now, true);
  }
  for (Unit& u : units_) {
    if (!u.doomed) continue;
    u.doomed = false;
    if (!u.live) continue;
    if (u.used != 0) throw std::logic_error("PoolLedger: a reclaimed instance still has claims");
    costs_->OnInterrupt(id_, u.instance, now);
    u.live = false;
    ++spot_stats_.instances_reclaimed;
  }
}

void PoolLedger::OnAvailable() {
  available_ = true;
  spot_stats_.unavailable_s += (sim_->Now() - unavailable_since_).seconds();
  if (auto t = At(spot_->Peek().notice_s)) sim_->Schedule(std::max(sim_->Now(), *t), this, kNotice);
  // Copy: a listener may start listening to others.
  const auto listeners = listeners_;
  for (ClaimHolder* h : listeners) h->OnPoolAvailable();
}

void PoolLedger::SetBusy(const std::string& consumer, int64_t gpus, SimTime now) {
  auto it =
      std::find_if(busy_.begin(), busy_.end(), [&](const auto& b) { return b.first == consumer; });
  if (it == busy_.end()) {
    busy_.emplace_back(consumer, 0);
    it = busy_.end() - 1;
  }
  busy_total_ += gpus - it->second;
  it->second = gpus;
  costs_->OnBusyChange(id_, consumer, gpus, now);
}

// ---------------------------------------------------------------- ServiceFleet

namespace {
enum FleetEvent : uint64_t { kDecide = 0, kReplicaReady = 1 };
}

ServiceFleet::ServiceFleet(Simulator& sim, const ServiceSpec& spec, ServiceSim& service,
                           std::vector<PoolLedger*> pools, double weights_bytes_per_gpu,
                           ServiceObserver* trace)
    : sim_(sim),
      spec_(spec),
      service_(service),
      pools_(std::move(pools)),
      busy_on_(pools_.size(), 0),
      trace_(trace) {
  for (PoolLedger* p : pools_) {
    if (p->is_spot()) p->Listen(this);
  }
  if (spec.autoscale) scaler_.emplace(*spec.autoscale);
  double bw = 0;
  if (spec.weights_load_bytes_per_s) {
    bw = *spec.weights_load_bytes_per_s;
  } else if (spec.gpu->host_link) {
    bw = spec.gpu->host_link->bandwidth_bytes_per_s.value;
  }
  if (scaler_ && !(bw > 0)) {
    throw InputError("service '" + spec.name + "': " + spec.gpu->name +
                     " has no host link in the catalog; set replica.weights_load_bandwidth "
                     "(how fast a new replica loads its weights)");
  }
  load_s_ = bw > 0 ? weights_bytes_per_gpu / bw : 0;
}

int64_t& ServiceFleet::BusyOn(const PoolLedger* pool) {
  for (size_t i = 0; i < pools_.size(); ++i) {
    if (pools_[i] == pool) return busy_on_[i];
  }
  throw std::logic_error("ServiceFleet: a claim from a pool the service does not use");
}

void ServiceFleet::Start() {
  last_account_ = sim_.Now();
  live_ = service_.LiveReplicas();
  if (!pools_.empty()) {
    const PoolLedger* first = pools_.front();
    const int64_t gpus = service_.ActiveReplicas() * spec_.GpusPerReplica();
    bool ok = true;
    for (int64_t r = 0; r < service_.ActiveReplicas() && ok; ++r) {
      claims_.push_back(Acquire(true));
      ok = claims_.back().has_value();
    }
    if (!ok) {
      throw InputError(
          "service '" + spec_.name + "': pool '" + first->spec().name + "' cannot hold its " +
          std::to_string(service_.ActiveReplicas()) + " initial replicas (" + std::to_string(gpus) +
          " GPUs; " + std::to_string(first->gpus_held()) + " already held by others, " +
          (first->spec().cloud ? "max_instances " + std::to_string(first->spec().max_units)
                               : std::to_string(first->spec().max_units) + " servers") +
          " of " + std::to_string(first->spec().gpus_per_unit) + " GPUs)");
    }
  }
  stats_.peak_replicas = service_.LiveReplicas();
  if (scaler_) sim_.ScheduleAfter(scaler_->config().interval, this, kDecide);
}

void ServiceFleet::Account() {
  const SimTime now = sim_.Now();
  stats_.replica_seconds += static_cast<double>(live_) * (now - last_account_).seconds();
  last_account_ = now;
}

void ServiceFleet::Finish(SimTime t) {
  stats_.replica_seconds += static_cast<double>(live_) * (t - last_account_).seconds();
  last_account_ = t;
}

void ServiceFleet::OnIteration(size_t replica, Phase phase, SimTime start, SimTime end,
                               int64_t sequences, int64_t steps) {
  if (trace_) trace_->OnIteration(replica, phase, start, end, sequences, steps);
}

void ServiceFleet::OnReplicaBusy(size_t replica, bool busy) {
  if (busy_flag_.size() <= replica) busy_flag_.resize(replica + 1, 0);
  busy_flag_[replica] = busy;
  // A replica just added may start before its claim is recorded: HandleEvent counts it then.
  if (replica >= claims_.size() || !claims_[replica] || !claims_[replica]->from) return;
  PoolLedger* on = claims_[replica]->from;
  int64_t& n = BusyOn(on);
  n += busy ? 1 : -1;
  on->SetBusy(spec_.name, n * spec_.GpusPerReplica(), sim_.Now());
}

std::optional<GpuClaim> ServiceFleet::Acquire(bool warm) {
  for (PoolLedger* p : pools_) {
    auto claim = warm ? p->AcquireWarm(spec_.GpusPerReplica(), sim_.Now(), this)
                      : p->Acquire(spec_.GpusPerReplica(), sim_.Now(), this);
    if (claim) return claim;
  }
  return std::nullopt;
}

size_t ServiceFleet::ReplicaToDrain() const {
  // The least loaded replica of the last pool in the preference order that has one (the
  // dearer: a burst pool), else the least loaded overall; the most recently activated among
  // equals.
  const auto& ids = service_.ActiveReplicaIds();
  size_t best = ids.back();
  int64_t best_key = INT64_MAX;
  for (size_t i = ids.size(); i-- > 0;) {
    const size_t r = ids[i];
    int64_t rank = static_cast<int64_t>(pools_.size());  // unpriced: one rank
    if (r < claims_.size() && claims_[r]) {
      for (size_t p = 0; p < pools_.size(); ++p) {
        if (claims_[r]->from == pools_[p]) rank = static_cast<int64_t>(pools_.size() - 1 - p);
      }
    }
    const int64_t key = (rank << 40) + service_.Outstanding(r);
    if (key < best_key) {
      best_key = key;
      best = r;
    }
  }
  return best;
}

void ServiceFleet::OnReplicaStopped(size_t replica) {
  Account();
  --live_;
  std::optional<GpuClaim> claim;
  if (replica < claims_.size()) claim = std::move(claims_[replica]);
  if (replica < claims_.size()) claims_[replica].reset();
  if (handover_ > 0) {
    --handover_;
    group_->Handover(std::move(claim));
    return;
  }
  if (claim && claim->from) claim->from->Release(*claim, sim_.Now());
}

void ServiceFleet::GiveSlot() {
  ++handover_;
  ++stats_.swaps_out;
  Account();
  service_.DrainReplica(service_.LeastLoadedActive());
}

void ServiceFleet::TakeSlot(std::optional<GpuClaim> claim) {
  ++stats_.swaps_in;
  StartReplica(std::move(claim), sim_.Now());
}

void ServiceFleet::StartReplica(std::optional<GpuClaim> claim, SimTime ready) {
  size_t k = 0;
  while (k < pending_.size() && pending_[k]) ++k;
  if (k == pending_.size()) {
    pending_.emplace_back();
    pending_ready_.emplace_back();
  }
  pending_[k] = claim ? std::move(claim) : std::optional<GpuClaim>(GpuClaim{});
  ++starting_;
  pending_ready_[k] =
      sim_.Schedule(ready + Duration::FromSeconds(load_s_), this, kReplicaReady + k);
}

// ---- spot

std::optional<size_t> ServiceFleet::ReplicaWithClaim(uint64_t id, const PoolLedger* from) const {
  for (size_t r = 0; r < claims_.size(); ++r) {
    if (claims_[r] && claims_[r]->from == from && claims_[r]->id == id) return r;
  }
  return std::nullopt;
}

std::optional<size_t> ServiceFleet::PendingWithClaim(uint64_t id, const PoolLedger* from) const {
  for (size_t k = 0; k < pending_.size(); ++k) {
    if (pending_[k] && pending_[k]->from == from && pending_[k]->id == id) return k;
  }
  return std::nullopt;
}

void ServiceFleet::AbandonPending(size_t k, bool release) {
  sim_.Cancel(pending_ready_[k]);
  if (release && pending_[k]->from) pending_[k]->from->Release(*pending_[k], sim_.Now());
  pending_[k].reset();
  --starting_;
}

void ServiceFleet::Replace() {
  Account();
  if (auto claim = Acquire(false)) {
    ++stats_.replacements;
    const SimTime ready = claim->ready;
    StartReplica(std::move(claim), ready);
    return;
  }
  ++stats_.shortfalls;
  if (!scaler_) ++deficit_;  // an autoscaler asks again at its next decisions
}

void ServiceFleet::OnSpotNotice(const PoolLedger& pool, uint64_t claim_id, SimTime) {
  if (auto r = ReplicaWithClaim(claim_id, &pool)) {
    const auto& active = service_.ActiveReplicaIds();
    if (std::find(active.begin(), active.end(), *r) == active.end()) return;  // draining
    ++stats_.spot_notices;
    Account();
    service_.DrainReplica(*r);  // may stop at once (OnReplicaStopped releases the claim)
    Replace();
  } else if (auto k = PendingWithClaim(claim_id, &pool)) {
    ++stats_.spot_notices;
    AbandonPending(*k, true);
    Replace();
  }
}

void ServiceFleet::OnClaimLost(const PoolLedger& pool, uint64_t claim_id) {
  if (auto r = ReplicaWithClaim(claim_id, &pool)) {
    const auto& active = service_.ActiveReplicaIds();
    const bool was_active = std::find(active.begin(), active.end(), *r) != active.end();
    Account();
    ++stats_.replicas_lost;
    service_.KillReplica(*r);  // its busy state goes down through OnReplicaBusy first
    --live_;
    claims_[*r].reset();
    if (was_active) Replace();  // no notice came in time
  } else if (auto k = PendingWithClaim(claim_id, &pool)) {
    AbandonPending(*k, false);
    Replace();
  }
}

void ServiceFleet::OnPoolAvailable() {
  while (deficit_ > 0) {
    auto claim = Acquire(false);
    if (!claim) return;
    --deficit_;
    ++stats_.replacements;
    Account();
    const SimTime ready = claim->ready;
    StartReplica(std::move(claim), ready);
  }
}

void ServiceFleet::HandleEvent(uint64_t tag) {
  if (tag >= kReplicaReady) {
    Account();
    --starting_;
    const size_t r = service_.AddReplica();
    ++live_;
    if (trace_) {
      // The ready event was scheduled at load start + FromSeconds(load_s_): exact inverse.
      const SimTime start =
          SimTime::FromNanoseconds(sim_.Now().ns() - Duration::FromSeconds(load_s_).ns());
      trace_->OnWeightLoad(r, start, sim_.Now());
    }
    if (claims_.size() <= r) claims_.resize(r + 1);
    claims_[r] = std::move(pending_[tag - kReplicaReady]);
    pending_[tag - kReplicaReady].reset();
    if (r < busy_flag_.size() && busy_flag_[r] && claims_[r] && claims_[r]->from) {
      int64_t& n = BusyOn(claims_[r]->from);
      ++n;
      claims_[r]->from->SetBusy(spec_.name, n * spec_.GpusPerReplica(), sim_.Now());
    }
    stats_.peak_replicas = std::max(stats_.peak_replicas, service_.LiveReplicas());
    return;
  }
  Decide();
  sim_.ScheduleAfter(scaler_->config().interval, this, kDecide);
}

void ServiceFleet::Decide() {
  const auto& m = service_.metrics();
  const double interval_s = scaler_->config().interval.seconds();
  AutoscaleObservation obs;
  obs.ready = service_.ActiveReplicas();
  obs.starting = starting_;
  obs.waiting = service_.Waiting();
  obs.running = service_.Running();
  // Busy time counts iterations that ended in the interval (possibly begun before it),
  // including the steps of decode runs in progress (BusyNs: the same in the fast and exact
  // modes): clamp to the replicas' wall time.
  const int64_t busy_ns = service_.BusyNs();
  const double busy_s = static_cast<double>(busy_ns - last_busy_ns_) * 1e-9;
  obs.busy_fraction =
      obs.ready > 0 ? std::min(1.0, busy_s / (static_cast<double>(obs.ready) * interval_s)) : 0;
  obs.completed = static_cast<int64_t>(m.overall.completed - last_completed_);
  obs.slo_met = static_cast<int64_t>(m.overall.slo_met - last_slo_met_);
  last_busy_ns_ = busy_ns;
  last_completed_ = m.overall.completed;
  last_slo_met_ = m.overall.slo_met;

  const int64_t delta = scaler_->Decide(obs, sim_.Now());
  Account();
  for (int64_t i = 0; i < delta; ++i) {
    std::optional<GpuClaim> claim;
    if (!pools_.empty()) {
      claim = Acquire(false);
      if (!claim) {
        ++stats_.shortfalls;
        continue;
      }
    }
    const SimTime ready = claim ? claim->ready : sim_.Now();
    ++stats_.scale_ups;
    StartReplica(std::move(claim), ready);
  }
  for (int64_t i = 0; i > delta && service_.ActiveReplicas() > 1; --i) {
    ++stats_.scale_downs;
    service_.DrainReplica(ReplicaToDrain());
  }
}

// ---------------------------------------------------------------- SwapGroup

SwapGroup::SwapGroup(Simulator& sim, std::vector<ServiceFleet*> members, Duration interval,
                     int64_t keep_loaded)
    : sim_(sim), members_(std::move(members)), interval_(interval), keep_loaded_(keep_loaded) {}

void SwapGroup::Start() {
  for (ServiceFleet* m : members_) {
    if (!(m->weights_load_s() > 0)) {
      throw InputError(
          "a service of a swap group runs on a GPU without a host link in the "
          "catalog; set its replica.weights_load_bandwidth");
    }
    m->SetSwapGroup(this);
  }
  sim_.ScheduleAfter(interval_, this, 0);
}

void SwapGroup::Handover(std::optional<GpuClaim> claim) {
  ServiceFleet* to = receivers_.front();
  receivers_.pop_front();
  to->TakeSlot(std::move(claim));
}

void SwapGroup::HandleEvent(uint64_t) {
  sim_.ScheduleAfter(interval_, this, 0);
  if (!receivers_.empty()) return;  // a move is still in transit
  // Pressure: outstanding requests per slot (a model without a slot but with requests has
  // infinite pressure). Ties go to the first member: deterministic.
  auto pressure = [](const ServiceFleet* m) {
    const double o = static_cast<double>(m->Outstanding());
    if (m->Slots() == 0) return o > 0 ? std::numeric_limits<double>::infinity() : 0.0;
    return o / static_cast<double>(m->Slots());
  };
  ServiceFleet* recv = nullptr;
  ServiceFleet* donor = nullptr;
  for (ServiceFleet* m : members_) {
    if (m->Outstanding() > 0 && (!recv || pressure(m) > pressure(recv))) recv = m;
  }
  if (!recv) return;
  for (ServiceFleet* m : members_) {
    if (m == recv || m->ready() <= keep_loaded_ || m->ready() == 0) continue;
    if (!donor || pressure(m) < pressure(donor)) donor = m;
  }
  if (!donor || !(pressure(recv) > 2 * pressure(donor))) return;
  ++moves_;
  receivers_.push_back(recv);
  donor->GiveSlot();  // may hand over at once when the replica is idle
}

// ---------------------------------------------------------------- TrainingLease

TrainingLease::TrainingLease(Simulator& sim, TrainingJobSim& job, PoolLedger& pool,
                             std::string name, int64_t gpus)
    : sim_(sim), job_(job), pool_(pool), name_(std::move(name)), gpus_(gpus) {
  if (pool_.is_spot()) pool_.Listen(this);
  job_.SetOnFinished([this] {
    pool_.SetBusy(name_, 0, sim_.Now());
    if (claim_) pool_.Release(*claim_, sim_.Now());
    claim_.reset();
  });
}

bool TrainingLease::Acquire() {
  claim_ = pool_.AcquireWarm(gpus_, sim_.Now(), this);
  if (!claim_) return false;
  pool_.SetBusy(name_, gpus_, sim_.Now());
  return true;
}

void TrainingLease::StartJobAt(SimTime at) {
  sim_.At(at, [this] {
    want_start_ = true;
    if (!waiting_ && claim_ && claim_->ready <= sim_.Now()) Go();
  });
}

void TrainingLease::Go() {
  if (!want_start_) return;  // the job's start time has not come: it starts then
  if (!started_) {
    started_ = true;
    job_.Start();
  } else {
    job_.Resume();
  }
}

void TrainingLease::OnSpotNotice(const PoolLedger&, uint64_t, SimTime reclaim) {
  if (started_ && !waiting_) job_.OnNotice(reclaim);
}

void TrainingLease::OnClaimLost(const PoolLedger&, uint64_t) {
  if (started_ && !waiting_) job_.Suspend();
  sim_.Cancel(ready_event_);
  waiting_ = true;
  claim_.reset();
  pool_.SetBusy(name_, 0, sim_.Now());
}

void TrainingLease::OnPoolAvailable() { TryReacquire(); }

void TrainingLease::TryReacquire() {
  if (!waiting_ || claim_) return;
  claim_ = pool_.Acquire(gpus_, sim_.Now(), this);
  if (!claim_) return;
  ++reacquisitions_;
  pool_.SetBusy(name_, gpus_, sim_.Now());
  ready_event_ = sim_.At(claim_->ready, [this] {
    waiting_ = false;
    Go();
  });
}

}  // namespace fleetsim
