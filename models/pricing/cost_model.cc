#include "models/pricing/cost_model.h"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace fleetsim {

CostBreakdown& CostBreakdown::operator+=(const CostBreakdown& o) {
  cloud_on_demand_usd += o.cloud_on_demand_usd;
  cloud_committed_usd += o.cloud_committed_usd;
  cloud_spot_usd += o.cloud_spot_usd;
  egress_usd += o.egress_usd;
  capex_depreciation_usd += o.capex_depreciation_usd;
  energy_usd += o.energy_usd;
  space_usd += o.space_usd;
  operations_usd += o.operations_usd;
  it_energy_j += o.it_energy_j;
  facility_energy_j += o.facility_energy_j;
  provisioned_gpu_s += o.provisioned_gpu_s;
  busy_gpu_s += o.busy_gpu_s;
  egress_bytes += o.egress_bytes;
  return *this;
}

std::vector<std::pair<std::string, double>> CostBreakdown::Fields() const {
  return {{"cost_usd", total_usd()},
          {"cloud_on_demand_usd", cloud_on_demand_usd},
          {"cloud_committed_usd", cloud_committed_usd},
          {"cloud_spot_usd", cloud_spot_usd},
          {"egress_usd", egress_usd},
          {"capex_depreciation_usd", capex_depreciation_usd},
          {"energy_usd", energy_usd},
          {"space_usd", space_usd},
          {"operations_usd", operations_usd},
          {"it_energy_j", it_energy_j},
          {"facility_energy_j", facility_energy_j},
          {"provisioned_gpu_s", provisioned_gpu_s},
          {"busy_gpu_s", busy_gpu_s},
          {"egress_bytes", egress_bytes}};
}

namespace {

[[noreturn]] void Misuse(const std::string& pool, const std::string& what) {
  throw std::logic_error("cost model, pool '" + pool + "': " + what);
}

bool IsCommitted(CloudPlan p) {
  return p == CloudPlan::kCommitted1y || p == CloudPlan::kCommitted3y;
}

}  // namespace

// ---------------------------------------------------------------- pools

CostModel::PoolId CostModel::AddCloudPool(CloudPool pool) {
  for (const auto& p : pools_) {
    if ((p.cloud ? p.c.name : p.o.name) == pool.name) Misuse(pool.name, "added twice");
  }
  if (pool.gpus_per_instance <= 0 || pool.billing.granularity_s <= 0) {
    Misuse(pool.name, "gpus_per_instance and billing granularity must be positive");
  }
  Pool p;
  p.cloud = true;
  p.c = std::move(pool);
  pools_.push_back(std::move(p));
  return pools_.size() - 1;
}

CostModel::PoolId CostModel::AddOwnedPool(OwnedPool pool) {
  for (const auto& p : pools_) {
    if ((p.cloud ? p.c.name : p.o.name) == pool.name) Misuse(pool.name, "added twice");
  }
  if (pool.gpus_per_server <= 0 || pool.servers < 0 || !(pool.depreciation_s > 0) ||
      !(pool.pue >= 1)) {
    Misuse(pool.name, "needs gpus_per_server > 0, servers >= 0, depreciation > 0, PUE >= 1");
  }
  Pool p;
  p.cloud = false;
  p.o = std::move(pool);
  if (p.o.servers > 0) p.batches.push_back({p.o.servers, 0.0});
  pools_.push_back(std::move(p));
  return pools_.size() - 1;
}

const std::string& CostModel::pool_name(PoolId id) const {
  const Pool& p = Get(id);
  return p.cloud ? p.c.name : p.o.name;
}

bool CostModel::is_cloud(PoolId id) const { return Get(id).cloud; }

CostModel::Pool& CostModel::Get(PoolId id) {
  if (id >= pools_.size()) throw std::logic_error("cost model: no pool " + std::to_string(id));
  return pools_[id];
}

const CostModel::Pool& CostModel::Get(PoolId id) const {
  if (id >= pools_.size()) throw std::logic_error("cost model: no pool " + std::to_string(id));
  return pools_[id];
}

int64_t CostModel::GpusPerUnit(const Pool& p) {
  return p.cloud ? p.c.gpus_per_instance : p.o.gpus_per_server;
}

double CostModel::Units(const Pool& p, double t_s) {
  if (p.cloud) return static_cast<double>(p.running.size());
  int64_t servers = 0;
  for (const auto& b : p.batches) {
    if (b.in_service_s <= t_s) servers += b.servers;
  }
  return static_cast<double>(servers);
}

int64_t CostModel::Cap(const Pool& p, double t_s) {
  if (p.c.max_instances <= 0) return std::numeric_limits<int64_t>::max();
  int64_t cap = p.c.max_instances;
  for (const auto& [from, extra] : p.cap_raises) {
    if (from <= t_s) cap += extra;
  }
  return cap;
}

// Integrates power, GPU-seconds and per-consumer busy time from last_s to t_s. The state is
// constant between events except for owned servers entering service, so the interval is
// split at those instants.
void CostModel::Advance(Pool& p, double t_s) {
  const std::string& name = p.cloud ? p.c.name : p.o.name;
  if (t_s < p.last_s) Misuse(name, "events and queries must come in time order");
  const PowerDraw* power = p.cloud ? (p.c.power ? &*p.c.power : nullptr) : &p.o.power;
  const double gpus_per_unit = static_cast<double>(GpusPerUnit(p));
  while (p.last_s < t_s) {
    double next = t_s;
    if (!p.cloud) {
      for (const auto& b : p.batches) {
        if (b.in_service_s > p.last_s && b.in_service_s < next) next = b.in_service_s;
      }
    }
    const double dt = next - p.last_s;
    const double units = Units(p, p.last_s);
    if (power) {
      p.it_energy_j += dt * (units * power->idle_watts +
                             static_cast<double>(p.busy) *
                                 (power->loaded_watts - power->idle_watts) / gpus_per_unit);
    }
    p.provisioned_gpu_s += dt * units * gpus_per_unit;
    p.busy_gpu_s += dt * static_cast<double>(p.busy);
    for (const auto& [c, b] : p.busy_by_consumer)
      p.busy_s_by_consumer[c] += dt * static_cast<double>(b);
    p.last_s = next;
  }
}

// ---------------------------------------------------------------- cloud events

bool CostModel::CanProvision(PoolId pool, SimTime t) const {
  const Pool& p = Get(pool);
  if (!p.cloud) Misuse(p.o.name, "not a cloud pool");
  return static_cast<int64_t>(p.running.size()) < Cap(p, t.seconds());
}

int64_t CostModel::Headroom(PoolId pool, SimTime t) const {
  const Pool& p = Get(pool);
  if (!p.cloud) Misuse(p.o.name, "not a cloud pool");
  if (p.c.max_instances <= 0) return std::numeric_limits<int64_t>::max();
  return std::max<int64_t>(0, Cap(p, t.seconds()) - static_cast<int64_t>(p.running.size()));
}

CostModel::InstanceId CostModel::OnProvision(PoolId pool, SimTime t) {
  Pool& p = Get(pool);
  if (!p.cloud) Misuse(p.o.name, "not a cloud pool");
  Advance(p, t.seconds());
  if (static_cast<int64_t>(p.running.size()) >= Cap(p, t.seconds())) {
    Misuse(p.c.name, "provisioned past the capacity cap (check CanProvision)");
  }
  Instance inst;
  inst.start_s = t.seconds();
  inst.covered = IsCommitted(p.c.plan) && p.covered_running < p.c.committed_instances;
  if (inst.covered) ++p.covered_running;
  p.instances.push_back(inst);
  p.running.push_back(p.instances.size() - 1);
  return p.instances.size() - 1;
}

SimTime CostModel::ReadyAt(PoolId pool, InstanceId instance) const {
  const Pool& p = Get(pool);
  if (!p.cloud || instance >= p.instances.size()) Misuse(pool_name(pool), "no such instance");
  return SimTime::Zero() + Duration::FromSeconds(p.instances[instance].start_s + p.c.startup_s);
}

void CostModel::End(PoolId pool, InstanceId instance, SimTime t, bool interrupted) {
  Pool& p = Get(pool);
  if (!p.cloud) Misuse(p.o.name, "not a cloud pool");
  auto it = std::find(p.running.begin(), p.running.end(), instance);
  if (it == p.running.end()) Misuse(p.c.name, "instance is not running");
  Advance(p, t.seconds());
  p.running.erase(it);
  if (p.busy > static_cast<int64_t>(p.running.size()) * p.c.gpus_per_instance) {
    Misuse(p.c.name, "an instance ended while its GPUs were busy (lower the busy count first)");
  }
  Instance& inst = p.instances[instance];
  inst.end_s = t.seconds();
  // The provider reclaims a spot instance itself: no tear-down time is billed.
  const double held = inst.end_s - inst.start_s + (interrupted ? 0.0 : p.c.teardown_s);
  const double gpus = static_cast<double>(p.c.gpus_per_instance);
  if (inst.covered) {
    --p.covered_running;
  } else if (p.c.plan == CloudPlan::kSpot) {
    p.released_spot_usd += gpus * p.c.usd_per_gpu_s * BilledSeconds(p.c.billing, held);
  } else {
    p.released_on_demand_usd +=
        gpus * p.c.on_demand_usd_per_gpu_s * BilledSeconds(p.c.billing, held);
  }
}

void CostModel::OnRelease(PoolId pool, InstanceId instance, SimTime t) {
  End(pool, instance, t, false);
}

void CostModel::OnRelease(PoolId pool, SimTime t) {
  const Pool& p = Get(pool);
  if (!p.cloud || p.running.empty()) Misuse(pool_name(pool), "no running instance to release");
  End(pool, p.running.back(), t, false);
}

void CostModel::OnInterrupt(PoolId pool, InstanceId instance, SimTime t) {
  End(pool, instance, t, true);
}

SimTime CostModel::RequestCapacity(PoolId pool, int64_t extra, SimTime t) {
  Pool& p = Get(pool);
  if (!p.cloud) Misuse(p.o.name, "not a cloud pool");
  if (extra < 0) Misuse(p.c.name, "capacity request must not be negative");
  Advance(p, t.seconds());
  if (p.c.max_instances <= 0) return t;  // no cap: nothing to wait for
  const SimTime ready = t + Duration::FromSeconds(p.c.capacity_lead_time_s);
  p.cap_raises.emplace_back(ready.seconds(), extra);
  return ready;
}

int64_t CostModel::running_instances(PoolId pool) const {
  return static_cast<int64_t>(Get(pool).running.size());
}

std::vector<CostModel::InstanceId> CostModel::RunningInstances(PoolId pool) const {
  return Get(pool).running;
}

// ---------------------------------------------------------------- owned and shared events

SimTime CostModel::OnPurchase(PoolId pool, int64_t servers, SimTime t) {
  Pool& p = Get(pool);
  if (p.cloud) Misuse(p.c.name, "not an owned pool");
  if (servers <= 0) Misuse(p.o.name, "purchase at least one server");
  Advance(p, t.seconds());
  const SimTime ready = t + Duration::FromSeconds(p.o.procurement_lead_time_s);
  p.batches.push_back({servers, ready.seconds()});
  return ready;
}

size_t CostModel::ConsumerIndex(std::string_view name) {
  for (size_t i = 0; i < consumers_.size(); ++i) {
    if (consumers_[i] == name) return i;
  }
  consumers_.emplace_back(name);
  return consumers_.size() - 1;
}

void CostModel::OnBusyChange(PoolId pool, std::string_view consumer, int64_t gpus_busy, SimTime t) {
  Pool& p = Get(pool);
  const std::string& name = pool_name(pool);
  if (gpus_busy < 0) Misuse(name, "busy GPUs must not be negative");
  Advance(p, t.seconds());
  const size_t c = ConsumerIndex(consumer);
  const int64_t before = p.busy_by_consumer.count(c) ? p.busy_by_consumer[c] : 0;
  const int64_t busy = p.busy - before + gpus_busy;
  const double capacity = Units(p, t.seconds()) * static_cast<double>(GpusPerUnit(p));
  if (static_cast<double>(busy) > capacity) {
    Misuse(name, std::to_string(busy) + " GPUs busy but only " +
                     std::to_string(static_cast<int64_t>(capacity)) + " held");
  }
  p.busy = busy;
  p.busy_by_consumer[c] = gpus_busy;
}

void CostModel::OnEgress(PoolId pool, double bytes, SimTime t) {
  Pool& p = Get(pool);
  if (!(bytes >= 0)) Misuse(pool_name(pool), "egress bytes must not be negative");
  Advance(p, t.seconds());
  p.egress_bytes += bytes;
  // Owned pools: transit is not priced (it is part of the site's contract, if anything).
  if (p.cloud) p.egress_usd += bytes * p.c.egress_usd_per_byte;
}

// ---------------------------------------------------------------- queries

CostBreakdown CostModel::Evaluate(const Pool& p, double t) const {
  CostBreakdown b;
  b.it_energy_j = p.it_energy_j;
  b.provisioned_gpu_s = p.provisioned_gpu_s;
  b.busy_gpu_s = p.busy_gpu_s;
  b.egress_bytes = p.egress_bytes;
  b.egress_usd = p.egress_usd;
  if (p.cloud) {
    const CloudPool& c = p.c;
    const double gpus = static_cast<double>(c.gpus_per_instance);
    if (IsCommitted(c.plan)) {
      b.cloud_committed_usd =
          static_cast<double>(c.committed_instances) * gpus * c.usd_per_gpu_s * t;
    }
    b.cloud_on_demand_usd = p.released_on_demand_usd;
    b.cloud_spot_usd = p.released_spot_usd;
    for (InstanceId id : p.running) {
      const Instance& inst = p.instances[id];
      if (inst.covered) continue;
      const double billed = BilledSeconds(c.billing, t - inst.start_s);
      if (c.plan == CloudPlan::kSpot) {
        b.cloud_spot_usd += gpus * c.usd_per_gpu_s * billed;
      } else {
        b.cloud_on_demand_usd += gpus * c.on_demand_usd_per_gpu_s * billed;
      }
    }
    return b;
  }
  const OwnedPool& o = p.o;
  for (const auto& batch : p.batches) {
    const double age = t - batch.in_service_s;
    if (age <= 0) continue;
    const double n = static_cast<double>(batch.servers);
    b.capex_depreciation_usd += n * o.capex_usd_per_server * (1 - o.residual_fraction) *
                                std::min(age, o.depreciation_s) / o.depreciation_s;
    b.space_usd += n * o.power.peak_watts * o.space_usd_per_joule * age;
    b.operations_usd += n * o.operations_usd_per_server_s * age;
  }
  b.operations_usd += o.fixed_operations_usd_per_s * t;
  b.facility_energy_j = p.it_energy_j * o.pue;
  b.energy_usd = b.facility_energy_j * o.electricity_usd_per_joule;
  return b;
}

CostBreakdown CostModel::Accrued(PoolId pool, SimTime t) const {
  Pool copy = Get(pool);
  Advance(copy, t.seconds());
  return Evaluate(copy, t.seconds());
}

CostBreakdown CostModel::Total(SimTime t) const {
  CostBreakdown total;
  for (PoolId id = 0; id < pools_.size(); ++id) total += Accrued(id, t);
  return total;
}

std::vector<ConsumerCost> CostModel::Consumers(SimTime t) const {
  std::vector<ConsumerCost> out(consumers_.size());
  for (size_t i = 0; i < consumers_.size(); ++i) out[i].name = consumers_[i];
  for (PoolId id = 0; id < pools_.size(); ++id) {
    Pool copy = Get(id);
    Advance(copy, t.seconds());
    const CostBreakdown b = Evaluate(copy, t.seconds());
    if (!(copy.busy_gpu_s > 0)) continue;  // nothing to allocate by
    for (const auto& [c, busy_s] : copy.busy_s_by_consumer) {
      const double share = busy_s / copy.busy_gpu_s;
      out[c].busy_gpu_s += busy_s;
      out[c].allocated_usd += share * b.total_usd();
      out[c].allocated_it_energy_j += share * b.it_energy_j;
      out[c].allocated_facility_energy_j += share * b.facility_energy_j;
    }
  }
  return out;
}

}  // namespace fleetsim
