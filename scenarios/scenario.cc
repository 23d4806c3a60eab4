#include "scenarios/scenario.h"

#include <algorithm>
#include <limits>
#include <map>
#include <set>

#include "models/pricing/price_catalog.h"
#include "models/serving/routers.h"
#include "models/training/training_fabric.h"
#include "scenarios/cli/topology_options.h"
#include "scenarios/streaming_source.h"
#include "sim/suggest.h"
#include "topologies/topology_loader.h"

namespace fleetsim {

namespace {

std::string Dir(const std::string& file) {
  const size_t slash = file.rfind('/');
  return slash == std::string::npos ? "" : file.substr(0, slash + 1);
}

int64_t PositiveInt(const ConfigNode& n, const char* what) {
  const int64_t v = n.AsInt();
  if (v < 1) n.Fail(std::string(what) + " must be at least 1");
  return v;
}

BatchingConfig ReadBatching(const ConfigNode& node) {
  MapReader r(node);
  BatchingConfig b;
  if (auto m = r.Optional("mode")) {
    b.mode = BatchingModes().TryFind(m->AsChoice(BatchingModes().NameList()))->factory;
  }
  if (auto n = r.Optional("max_batch")) b.max_batch = PositiveInt(*n, "max_batch");
  if (auto n = r.Optional("max_batched_tokens")) {
    b.max_batched_tokens = PositiveInt(*n, "max_batched_tokens");
  }
  if (auto n = r.Optional("kv_block")) b.kv_block_tokens = PositiveInt(*n, "kv_block");
  if (auto p = r.Optional("preemption")) {
    b.preemption = p->AsChoice({"recompute", "swap"}) == "swap"
                       ? BatchingConfig::Preemption::kSwap
                       : BatchingConfig::Preemption::kRecompute;
  }
  if (auto n = r.Optional("max_waiting")) {
    b.max_waiting = n->AsInt();
    if (b.max_waiting < -1) n->Fail("max_waiting must be -1 (unbounded) or at least 0");
  }
  r.Finish();
  return b;
}

RequestClass ReadClass(const ConfigNode& node) {
  MapReader r(node);
  RequestClass c;
  c.name = r.Required("name").AsString();
  if (auto w = r.Optional("weight")) {
    c.weight = w->AsDouble();
    if (!(c.weight >= 0)) w->Fail("weight must not be negative");
  }
  if (auto t = r.Optional("ttft_slo")) c.ttft_slo_s = t->AsQuantity(dim::kSeconds);
  if (auto t = r.Optional("tpot_slo")) c.tpot_slo_s = t->AsQuantity(dim::kSeconds);
  if (auto p = r.Optional("priority")) c.priority = static_cast<int32_t>(p->AsInt());
  r.Finish();
  return c;
}

// The pool a `pool:` / `burst_pool:` value names, else a positioned error suggesting the
// closest pool name.
const PricedPool& PoolNamedBy(const ConfigNode& node, const std::vector<PricedPool>& pools) {
  const std::string name = node.AsString();
  std::vector<std::string> names;
  for (const auto& p : pools) {
    if (p.name == name) return p;
    names.push_back(p.name);
  }
  node.Fail("unknown pool '" + name + "' (pools are defined under 'pools')",
            ClosestName(name, names).value_or(""));
}

// A pool's own spot availability parameters, over the offer's (docs/pricing.md, "Spot").
void ReadSpotOverrides(const ConfigNode& node, SpotParams& sp) {
  MapReader r(node);
  if (auto n = r.Optional("notice")) sp.notice_s = n->AsDuration().seconds();
  if (auto n = r.Optional("mean_available")) {
    sp.mean_available_s = n->AsDuration().seconds();
    if (!(sp.mean_available_s > 0)) n->Fail("mean_available must be greater than zero");
  }
  if (auto n = r.Optional("available_cv")) {
    sp.available_cv = n->AsDouble();
    if (!(sp.available_cv > 0)) n->Fail("available_cv must be greater than zero");
  }
  if (auto n = r.Optional("mean_unavailable")) {
    sp.mean_unavailable_s = n->AsDuration().seconds();
    if (!(sp.mean_unavailable_s > 0)) n->Fail("mean_unavailable must be greater than zero");
  }
  if (auto n = r.Optional("gang_all_or_nothing")) {
    sp.gang_all_or_nothing = n->AsQuantity(dim::kNumber);
    if (!(sp.gang_all_or_nothing >= 0 && sp.gang_all_or_nothing <= 1)) {
      n->Fail("gang_all_or_nothing must be a fraction in [0, 1], e.g. \"94 %\"");
    }
  }
  r.Finish();
}

PricedPool ReadPool(const ConfigNode& node, const PriceCatalog& prices, const Catalog& catalog) {
  MapReader r(node);
  PricedPool p;
  p.name = r.Required("name").AsString();
  auto cloud = r.Optional("cloud");
  auto owned = r.Optional("owned");
  if (cloud.has_value() == owned.has_value()) {
    node.Fail("pool '" + p.name + "': give exactly one of 'cloud: OFFER' or 'owned: SERVER' " +
              "(see `fleetsim list prices`)");
  }
  const ConfigNode& offer = cloud ? *cloud : *owned;
  try {
    if (cloud) {
      p.cloud = true;
      CloudPlan plan = CloudPlan::kOnDemand;
      if (auto n = r.Optional("plan")) plan = *ParseCloudPlan(n->AsChoice(CloudPlanNames()));
      int64_t committed = 0;
      if (auto n = r.Optional("committed_instances")) {
        committed = n->AsInt();
        if (committed < 0) n->Fail("committed_instances must not be negative");
      }
      try {
        p.cloud_pool = prices.MakeCloudPool(offer.AsString(), plan, p.name, committed);
      } catch (const InputError& e) {
        (committed > 0 ? r.Required("committed_instances") : offer).Fail(e.what(), e.suggestion());
      }
      if (auto n = r.Optional("max_instances")) {
        p.cloud_pool.max_instances = n->AsInt();
        if (p.cloud_pool.max_instances < 0) n->Fail("max_instances must not be negative");
      }
      if (auto n = r.Optional("startup")) p.cloud_pool.startup_s = n->AsDuration().seconds();
      if (auto n = r.Optional("capacity_lead_time")) {
        // "never": max_instances is a hard cap (e.g. a commitment and nothing beyond it).
        p.cloud_pool.capacity_lead_time_s = n->AsString() == "never"
                                                ? std::numeric_limits<double>::infinity()
                                                : n->AsDuration().seconds();
      }
      if (auto sp = r.Optional("spot")) {
        if (plan != CloudPlan::kSpot) sp->Fail("'spot' parameters need plan: spot");
        ReadSpotOverrides(*sp, p.cloud_pool.spot);
      }
      p.gpus_per_unit = p.cloud_pool.gpus_per_instance;
      p.max_units = p.cloud_pool.max_instances;
      if (p.max_units > 0 && committed > p.max_units) {
        r.Required("committed_instances")
            .Fail("committed_instances (" + std::to_string(committed) +
                  ") exceeds max_instances (" + std::to_string(p.max_units) + ")");
      }
      p.gpu = catalog.TryFindDevice(p.cloud_pool.device);
    } else {
      p.cloud = false;
      auto servers = r.Required("servers");
      const int64_t n = servers.AsInt();
      if (n < 1) servers.Fail("servers must be at least 1");
      std::string site;
      if (auto s = r.Optional("site")) {
        site = s->AsString();
        try {
          prices.FindSite(site);
        } catch (const InputError& e) {
          s->Fail(e.what(), e.suggestion());
        }
      }
      p.owned_pool = prices.MakeOwnedPool(offer.AsString(), n, p.name, site);
      p.gpus_per_unit = p.owned_pool.gpus_per_server;
      p.max_units = n;
      p.gpu = catalog.TryFindDevice(p.owned_pool.device);
    }
  } catch (const ConfigError&) {
    throw;
  } catch (const InputError& e) {
    offer.Fail(e.what(), e.suggestion());
  }
  if (!p.gpu) offer.Fail("the offer's device is not in the hardware catalog");
  r.Finish();
  return p;
}

AutoscaleConfig ReadAutoscale(const ConfigNode& node) {
  MapReader r(node);
  AutoscaleConfig a;
  auto min = r.Required("min");
  auto max = r.Required("max");
  a.min_replicas = PositiveInt(min, "min");
  a.max_replicas = PositiveInt(max, "max");
  if (a.max_replicas < a.min_replicas) max.Fail("max must be at least min");
  if (auto p = r.Optional("policy")) a.policy = p->AsChoice(AutoscalePolicies().NameList());
  auto target = r.Required("target");
  const bool fraction = a.policy != "queue_length";
  a.params.target = fraction ? target.AsQuantity(dim::kNumber) : target.AsDouble();
  if (!(a.params.target > 0) || (fraction && a.params.target > 1)) {
    target.Fail(fraction ? "target must be a fraction in (0, 1], e.g. \"70 %\""
                         : "target must be greater than zero (requests per replica)");
  }
  if (auto n = r.Optional("scale_down_utilisation")) {
    a.params.scale_down_utilisation = n->AsQuantity(dim::kNumber);
    if (!(a.params.scale_down_utilisation > 0 && a.params.scale_down_utilisation <= 1)) {
      n->Fail("scale_down_utilisation must be in (0, 1]");
    }
  }
  if (auto n = r.Optional("interval")) {
    a.interval = n->AsDuration();
    if (a.interval <= Duration::Zero()) n->Fail("interval must be greater than zero");
  }
  if (auto n = r.Optional("scale_up_cooldown")) a.scale_up_cooldown = n->AsDuration();
  if (auto n = r.Optional("scale_down_cooldown")) a.scale_down_cooldown = n->AsDuration();
  r.Finish();
  return a;
}

ServiceSpec ReadService(const ConfigNode& node, const Catalog& catalog,
                        const std::vector<PricedPool>& pools) {
  MapReader r(node);
  ServiceSpec s;
  s.name = r.Required("name").AsString();
  s.config.name = s.name;
  auto model = r.Required("model");
  s.model = catalog.TryFindModel(model.AsString());
  if (!s.model) {
    model.Fail("unknown model '" + model.AsString() + "' (see `fleetsim list models`)",
               ClosestName(model.AsString(), catalog.ModelNames()).value_or(""));
  }
  const std::optional<ConfigNode> precision_node = r.Optional("precision");
  if (precision_node) s.precision = *ParsePrecision(precision_node->AsChoice(PrecisionNames()));
  const PricedPool* pool = nullptr;
  // One more pool of the preference list: a new name, the first pool's GPU type.
  auto add_pool = [&](const ConfigNode& n) {
    const PricedPool* p = &PoolNamedBy(n, pools);
    if (std::find(s.pools.begin(), s.pools.end(), p->name) != s.pools.end()) {
      n.Fail("pool '" + p->name + "' is already in this service's pools");
    }
    if (pool && p->gpu != pool->gpu) {
      n.Fail("pool '" + p->name + "' has " + p->gpu->name + " GPUs; '" + pool->name + "' has " +
             pool->gpu->name + ": a service's replicas share one GPU type");
    }
    if (!pool) pool = p;
    s.pools.push_back(p->name);
  };
  if (auto pn = r.Optional("pool")) {
    if (pn->IsSequence()) {
      const auto items = pn->Items();
      if (items.empty()) pn->Fail("pool: give a pool name or a list of pool names");
      for (const auto& item : items) add_pool(item);
    } else {
      add_pool(*pn);
    }
    s.pool = pool->name;
  }
  if (auto bp = r.Optional("burst_pool")) {
    if (!pool) bp->Fail("a burst_pool needs a 'pool' for the base load");
    add_pool(*bp);
  }
  {
    auto replica = r.Required("replica");
    MapReader rr(replica);
    std::optional<ConfigNode> gpu_node = rr.Optional("gpu");
    if (gpu_node) {
      s.gpu = catalog.TryFindDevice(gpu_node->AsString());
      if (!s.gpu) {
        gpu_node->Fail("unknown device '" + gpu_node->AsString() + "' (see `fleetsim list gpus`)",
                       ClosestName(gpu_node->AsString(), catalog.DeviceNames()).value_or(""));
      }
      if (pool && pool->gpu != s.gpu) {
        gpu_node->Fail("pool '" + pool->name + "' has " + pool->gpu->name + " GPUs, not " +
                       s.gpu->name);
      }
    } else if (pool) {
      s.gpu = pool->gpu;
    } else {
      rr.Required("gpu");  // reports the missing key
    }
    // A precision the GPU lacks: the precision is what to change (else the GPU).
    const ConfigNode& where = precision_node ? *precision_node : gpu_node ? *gpu_node : replica;
    if (!s.gpu->Peak(s.precision)) {
      where.Fail("'" + s.gpu->name + "' has no " + std::string(PrecisionName(s.precision)) +
                 " datapath in the catalog");
    }
    if (auto tp = rr.Optional("tensor_parallel")) {
      const int64_t t = PositiveInt(*tp, "tensor_parallel");
      // Megatron-style sharding splits attention heads; KV heads are split, or replicated
      // when there are fewer of them than ranks (GQA).
      const bool heads_ok = s.model->heads % t == 0;
      const bool kv_ok = s.model->kv_heads % t == 0 || t % s.model->kv_heads == 0;
      if (!heads_ok || !kv_ok) {
        tp->Fail("tensor_parallel " + std::to_string(t) + " does not divide " + s.model->name +
                 "'s " + std::to_string(s.model->heads) + " attention heads / " +
                 std::to_string(s.model->kv_heads) + " KV heads");
      }
      s.tensor_parallel = t;
    }
    if (pool) s.gpus_per_server = pool->gpus_per_unit;
    if (auto pp = rr.Optional("pipeline_parallel")) {
      const int64_t p = PositiveInt(*pp, "pipeline_parallel");
      if (p > s.model->layers) {
        pp->Fail("pipeline_parallel " + std::to_string(p) + " exceeds the " +
                 std::to_string(s.model->layers) + " layers of " + s.model->name +
                 " (each stage needs at least one layer)");
      }
      // A stage is a tensor-parallel group: its all-reduces run on NVLink, so it must sit in
      // one instance / server; only stage boundaries may cross servers.
      const int64_t per = s.gpus_per_server, t = s.tensor_parallel;
      if (p > 1 && per > 0 && t * p > per && per % t != 0) {
        pp->Fail("a replica of tensor_parallel " + std::to_string(t) + " x pipeline_parallel " +
                 std::to_string(p) + " spans instances / servers of " + std::to_string(per) +
                 " GPUs in pool '" + pool->name + "', and its " + std::to_string(t) +
                 "-GPU stages would straddle them (tensor_parallel must divide " +
                 std::to_string(per) + ")");
      }
      s.pipeline_parallel = p;
    }
    if (auto nw = rr.Optional("network")) s.network = nw->AsChoice({"dgx-a100", "dgx-h100"});
    if (auto rt = rr.Optional("runtime")) s.runtime = rt->AsChoice({"compiled", "eager-2023"});
    if (auto ws = rr.Optional("weight_streaming")) {
      // `weight_streaming: true`, or a map of its parameters (which enables it).
      if (ws->IsScalar()) {
        s.weight_streaming = ws->AsBool();
      } else {
        MapReader wr(*ws);
        s.weight_streaming = true;
        if (auto f = wr.Optional("kv_fraction")) {
          s.kv_fraction = f->AsDouble();
          if (!(s.kv_fraction > 0 && s.kv_fraction < 1))
            f->Fail("kv_fraction must be between 0 and 1");
        }
        if (auto e = wr.Optional("link_efficiency")) {
          s.link_efficiency = e->AsDouble();
          if (!(s.link_efficiency > 0 && s.link_efficiency <= 1)) {
            e->Fail("link_efficiency must be in (0, 1]");
          }
        }
        auto from = wr.Optional("from");
        if (from) s.stream_from = from->AsChoice({"host", "nvme"});
        if (auto sv = wr.Optional("server")) s.stream_server = sv->AsString();
        if (s.stream_from == "nvme" && s.stream_server.empty()) {
          from->Fail(
              "streaming from nvme needs 'server:', a server of the scenario's topology "
              "(its NVMe link and PCIe switches set the rate)");
        }
        wr.Finish();
      }
    }
    if (auto n = rr.Optional("weights_load_bandwidth")) {
      s.weights_load_bytes_per_s = n->AsQuantity(dim::kBytesPerSecond);
      if (!(*s.weights_load_bytes_per_s > 0)) n->Fail("weights_load_bandwidth must be > 0");
    }
    rr.Finish();
  }
  std::optional<ConfigNode> replicas_node = r.Optional("replicas");
  if (replicas_node) {
    s.config.replicas = replicas_node->AsInt();
    if (s.config.replicas < 0) replicas_node->Fail("replicas must not be negative");
  }
  if (auto a = r.Optional("autoscale")) {
    s.autoscale = ReadAutoscale(*a);
    if (!replicas_node) {
      s.config.replicas = s.autoscale->min_replicas;
    } else if (s.config.replicas < s.autoscale->min_replicas ||
               s.config.replicas > s.autoscale->max_replicas) {
      replicas_node->Fail("the initial replicas must be within autoscale min..max (" +
                          std::to_string(s.autoscale->min_replicas) + ".." +
                          std::to_string(s.autoscale->max_replicas) + ")");
    }
  }
  if (auto e = r.Optional("egress_per_request")) {
    s.egress_bytes_per_request = e->AsQuantity(dim::kBytes);
    if (!(s.egress_bytes_per_request >= 0)) e->Fail("egress_per_request must not be negative");
  }
  if (auto b = r.Optional("batching")) {
    s.config.batching = ReadBatching(*b);
    if (s.config.batching.preemption == BatchingConfig::Preemption::kSwap && !s.gpu->host_link) {
      b->Get("preemption")
          .Fail(
              "swap preemption copies KV over the host link, and the catalog "
              "gives " +
              s.gpu->name + " none");
    }
  }
  if (auto rt = r.Optional("router")) {
    s.config.router = rt->AsChoice(Routers().NameList());
  }
  if (auto e = r.Optional("exact_steps")) s.config.exact_steps = e->AsBool();
  if (auto classes = r.Optional("classes")) {
    std::set<std::string> names;
    for (const auto& c : classes->Items()) {
      s.config.classes.push_back(ReadClass(c));
      if (!names.insert(s.config.classes.back().name).second) {
        c.Fail("request class '" + s.config.classes.back().name + "' is defined twice");
      }
    }
    if (s.config.classes.empty()) classes->Fail("give at least one request class");
  } else {
    s.config.classes.push_back({"default", 1.0, std::nullopt, std::nullopt});
  }
  auto demand = r.Required("demand");
  if (demand.IsMap() && demand.Has("from")) {
    MapReader dr(demand);
    s.demand_from = dr.Required("from").AsString();
    dr.Finish();
    if (auto c = r.Optional("classes")) {
      c->Fail("a service with 'demand: {from: " + s.demand_from + "}' has the classes of '" +
              s.demand_from + "'; remove 'classes'");
    }
    if (auto rt = r.Optional("route")) {
      rt->Fail("only a service with its own demand routes classes");
    }
  } else {
    s.demand = demand;
  }
  if (auto rt = r.Optional("route")) {
    std::vector<std::string> class_names;
    for (const auto& c : s.config.classes) class_names.push_back(c.name);
    for (const std::string& key : rt->Keys()) {
      const auto it = std::find(class_names.begin(), class_names.end(), key);
      if (it == class_names.end()) {
        rt->FailAtKey(key, "no request class '" + key + "' in this service",
                      ClosestName(key, class_names).value_or(""));
      }
      s.route.emplace_back(static_cast<int32_t>(it - class_names.begin()), rt->Get(key).AsString());
    }
  }
  r.Finish();
  return s;
}

TrainingJobSpec ReadTrainingJob(const ConfigNode& node, const Catalog& catalog,
                                const std::vector<PricedPool>& pools,
                                const ClusterGraph* topology) {
  MapReader r(node);
  TrainingJobSpec j;
  j.name = r.Required("name").AsString();
  auto model = r.Required("model");
  j.model = catalog.TryFindModel(model.AsString());
  if (!j.model) {
    model.Fail("unknown model '" + model.AsString() + "' (see `fleetsim list models`)",
               ClosestName(model.AsString(), catalog.ModelNames()).value_or(""));
  }
  auto gpu = r.Required("gpu");
  j.gpu = catalog.TryFindDevice(gpu.AsString());
  if (!j.gpu) {
    gpu.Fail("unknown device '" + gpu.AsString() + "' (see `fleetsim list gpus`)",
             ClosestName(gpu.AsString(), catalog.DeviceNames()).value_or(""));
  }
  TrainingLayout& lay = j.layout;
  const std::optional<ConfigNode> precision_node = r.Optional("precision");
  if (precision_node) lay.precision = *ParsePrecision(precision_node->AsChoice(PrecisionNames()));
  if (!j.gpu->Peak(lay.precision)) {
    (precision_node ? *precision_node : gpu)
        .Fail("'" + j.gpu->name + "' has no " + std::string(PrecisionName(lay.precision)) +
              " datapath in the catalog");
  }
  if (auto n = r.Optional("network")) j.network = n->AsChoice({"dgx-a100", "dgx-h100"});
  if (auto n = r.Optional("start")) j.start = n->AsDuration();  // rejects negatives
  if (auto pn = r.Optional("pool")) {
    const PricedPool* pool = &PoolNamedBy(*pn, pools);
    j.pool = pool->name;
    if (pool->gpu != j.gpu) {
      pn->Fail("pool '" + pool->name + "' has " + pool->gpu->name + " GPUs, not " + j.gpu->name);
    }
  }
  auto tokens = r.Required("tokens");
  j.tokens = tokens.AsCount();
  if (!(j.tokens > 0)) tokens.Fail("tokens must be greater than zero");
  auto layout = r.Required("layout");
  {
    MapReader lr(layout);
    auto pos_int = [](const ConfigNode& n, const char* what) {
      const int64_t v = n.AsInt();
      if (v < 1) n.Fail(std::string(what) + " must be at least 1");
      return v;
    };
    if (auto n = lr.Optional("tensor_parallel"))
      lay.tp = static_cast<int>(pos_int(*n, "tensor_parallel"));
    if (auto n = lr.Optional("pipeline_parallel"))
      lay.pp = static_cast<int>(pos_int(*n, "pipeline_parallel"));
    if (auto n = lr.Optional("data_parallel")) lay.dp = pos_int(*n, "data_parallel");
    if (auto n = lr.Optional("virtual_stages"))
      lay.virtual_stages = static_cast<int>(pos_int(*n, "virtual_stages"));
    lay.micro_batch = pos_int(lr.Required("micro_batch"), "micro_batch");
    lay.global_batch = pos_int(lr.Required("global_batch"), "global_batch");
    if (auto n = lr.Optional("seq_len")) lay.seq_len = pos_int(*n, "seq_len");
    if (auto n = lr.Optional("zero_stage")) {
      lay.zero_stage = static_cast<int>(n->AsInt());
      if (lay.zero_stage < 0 || lay.zero_stage > 3) n->Fail("zero_stage must be 0, 1, 2 or 3");
    }
    if (auto n = lr.Optional("recompute")) {
      const std::string rc = n->AsChoice({"none", "selective", "full"});
      lay.recompute = rc == "none"        ? Recompute::kNone
                      : rc == "selective" ? Recompute::kSelective
                                          : Recompute::kFull;
    }
    if (auto n = lr.Optional("flash_attention")) lay.flash_attention = n->AsBool();
    if (auto n = lr.Optional("sequence_parallel")) lay.sequence_parallel = n->AsBool();
    if (auto n = lr.Optional("dp_overlap")) lay.dp_overlap = n->AsBool();
    if (auto n = lr.Optional("dropout")) lay.dropout = n->AsBool();
    if (auto n = lr.Optional("grad_accumulation_fusion")) {
      lay.grad_accumulation_fusion = n->AsBool();
    }
    lr.Finish();
  }
  if (auto fnode = r.Optional("failures")) {
    MapReader fr(*fnode);
    TrainingFailures& f = j.failures;
    f.enabled = true;
    if (auto n = fr.Optional("gpu_failure_rate")) {
      f.gpu_failure_rate_per_s = n->AsQuantity(dim::kPerSecond);
      if (!(f.gpu_failure_rate_per_s >= 0)) n->Fail("gpu_failure_rate must not be negative");
    }
    auto dur = [](const ConfigNode& n) {
      const double s = n.AsDuration().seconds();
      if (s < 0) n.Fail("durations must not be negative");
      return s;
    };
    if (auto n = fr.Optional("checkpoint_interval")) f.checkpoint_interval_s = dur(*n);
    if (auto n = fr.Optional("checkpoint_write")) f.checkpoint_write_s = dur(*n);
    if (auto n = fr.Optional("restart")) f.restart_s = dur(*n);
    fr.Finish();
  }
  std::optional<ConfigNode> placement;
  if (auto pl = r.Optional("placement")) {
    placement = *pl;
    if (!topology) pl->Fail("placement needs a 'topology:' in the scenario (docs/training.md)");
    MapReader pr(*pl);
    auto first = pr.Optional("first_server");
    auto list = pr.Optional("servers");
    pr.Finish();
    if (first.has_value() == list.has_value()) {
      pl->Fail("placement takes one of 'first_server: N' or 'servers: [names]'");
    }
    const int64_t count = static_cast<int64_t>(topology->servers().size());
    if (first) {
      const int64_t f = first->AsInt();
      if (f < 0 || f >= count) {
        first->Fail("first_server must be between 0 and " + std::to_string(count - 1));
      }
      for (int64_t s = f; s < count; ++s) j.servers.push_back(s);
    } else {
      std::vector<std::string> names;
      for (const auto& s : topology->servers()) names.push_back(s.name);
      for (const auto& item : list->Items()) {
        const std::string name = item.AsString();
        const auto it = std::find(names.begin(), names.end(), name);
        if (it == names.end()) {
          item.Fail("no server '" + name + "' in topology '" + topology->name() + "'",
                    ClosestName(name, names).value_or(""));
        }
        j.servers.push_back(it - names.begin());
      }
    }
  }
  r.Finish();
  const TrainingNetwork net = j.network == "dgx-h100" ? DgxH100Network() : DgxA100Network();
  try {
    j.iteration = TrainingIterationTime(*j.model, *j.gpu, lay, net);
  } catch (const InputError& e) {
    layout.Fail(e.what());
  }
  if (placement) {
    std::vector<NodeId> gpus;
    try {
      gpus = PlaceOnServers(*topology, j.servers, lay.Gpus(), lay.tp);
    } catch (const InputError& e) {
      placement->Fail(std::string(e.what()) + " (list other servers or change the layout)");
    }
    for (NodeId g : gpus) {
      if (topology->node(g).gpu_type != j.gpu->name) {
        placement->Fail("GPU '" + topology->node(g).name + "' of the topology is a " +
                        topology->node(g).gpu_type + ", the job runs on " + j.gpu->name);
      }
    }
  }
  return j;
}

}  // namespace

namespace {
// The GPUs a service or job holds from t = 0 must fit the pool's cap or servers.
void ClaimInitialGpus(const PricedPool& pool, int64_t gpus, std::map<std::string, int64_t>& taken,
                      const ConfigNode& node, const std::string& what) {
  if (pool.max_units <= 0) return;  // cloud without a cap
  const int64_t capacity = pool.max_units * pool.gpus_per_unit;
  int64_t& used = taken[pool.name];
  // Whole instances / servers per consumer would be stricter; GPUs are shared, as the run
  // shares them (scenarios/service_fleet.h).
  if (used + gpus > capacity) {
    node.Fail("pool '" + pool.name + "' holds " + std::to_string(capacity) + " GPUs (" +
              std::to_string(pool.max_units) + (pool.cloud ? " instances" : " servers") + " of " +
              std::to_string(pool.gpus_per_unit) + "); its " + what + " need " +
              std::to_string(gpus) + " GPUs and " + std::to_string(used) +
              " are taken by the entries above");
  }
  used += gpus;
}
}  // namespace

ReplicaLayout LayoutOf(const ServiceSpec& spec) {
  ReplicaLayout layout;
  layout.model = spec.model;
  layout.precision = spec.precision;
  layout.gpu = spec.gpu;
  layout.tensor_parallel = spec.tensor_parallel;
  layout.pipeline_parallel = spec.pipeline_parallel;
  layout.gpus_per_server = spec.gpus_per_server;
  layout.network = spec.network;
  layout.runtime = spec.runtime;
  layout.max_batch = spec.config.batching.max_batch;
  layout.max_batched_tokens = spec.config.batching.max_batched_tokens;
  layout.weight_streaming = spec.weight_streaming;
  layout.kv_fraction = spec.kv_fraction;
  layout.link_efficiency = spec.link_efficiency;
  layout.stream_link_bytes_per_s = spec.stream_link_bytes_per_s;
  layout.stream_path = spec.stream_path;
  return layout;
}

const PricedPool* FindPool(const Scenario& sc, const std::string& name) {
  for (const auto& p : sc.pools) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

Scenario LoadScenario(const std::string& path, const std::vector<std::string>& overrides) {
  Scenario sc;
  sc.file = path;
  sc.document = ConfigDocument::LoadFile(path, overrides);
  const ConfigNode root = sc.document->Root();
  MapReader r(root);
  sc.name = r.Required("name").AsString();
  if (auto d = r.Optional("description")) sc.description = d->AsString();
  if (auto s = r.Optional("seed")) {
    const int64_t seed = s->AsInt();
    if (seed < 0) s->Fail("seed must not be negative");
    sc.seed = static_cast<uint64_t>(seed);
  }
  auto duration = r.Required("duration");
  sc.duration = duration.AsDuration();
  if (sc.duration <= Duration::Zero()) duration.Fail("duration must be greater than zero");
  sc.catalog = Catalog::LoadShipped(DefaultDataDir());
  if (auto files = r.Optional("catalog")) {
    for (const auto& f : files->Items()) {
      std::string p = f.AsString();
      if (!p.empty() && p[0] != '/') p = Dir(path) + p;
      sc.catalog.AddFile(p);
    }
  }
  if (auto out = r.Optional("outputs")) {
    MapReader o(*out);
    if (auto i = o.Optional("timeseries_interval")) {
      sc.outputs.timeseries_interval = i->AsDuration();
      if (sc.outputs.timeseries_interval <= Duration::Zero()) {
        i->Fail("timeseries_interval must be greater than zero");
      }
    }
    if (auto t = o.Optional("trace")) sc.outputs.trace = t->AsBool();
    if (auto m = o.Optional("max_trace_events")) {
      sc.outputs.max_trace_events = static_cast<uint64_t>(PositiveInt(*m, "max_trace_events"));
    }
    o.Finish();
  }
  std::optional<PriceCatalog> prices;
  if (auto files = r.Optional("prices")) {
    prices.emplace(PriceCatalog::LoadShipped(DefaultDataDir(), sc.catalog));
    for (const auto& f : files->Items()) {
      std::string p = f.AsString();
      if (!p.empty() && p[0] != '/') p = Dir(path) + p;
      prices->AddFile(p);
    }
  }
  if (auto pools = r.Optional("pools")) {
    if (!prices) prices.emplace(PriceCatalog::LoadShipped(DefaultDataDir(), sc.catalog));
    std::set<std::string> pool_names;
    for (const auto& p : pools->Items()) {
      sc.pools.push_back(ReadPool(p, *prices, sc.catalog));
      if (!pool_names.insert(sc.pools.back().name).second) {
        p.Fail("pool name '" + sc.pools.back().name + "' is used twice");
      }
    }
  }
  std::map<std::string, int64_t> pool_gpus;  // GPUs taken at t = 0, by pool
  std::set<std::string> names;
  if (auto services = r.Optional("services")) {
    for (const auto& s : services->Items()) {
      sc.services.push_back(ReadService(s, sc.catalog, sc.pools));
      const ServiceSpec& sv = sc.services.back();
      if (const PricedPool* pool = FindPool(sc, sv.pool)) {
        ClaimInitialGpus(*pool, sv.config.replicas * sv.GpusPerReplica(), pool_gpus, s,
                         std::to_string(sv.config.replicas) + " initial replicas");
      }
      if (!names.insert(sc.services.back().name).second) {
        s.Fail("service name '" + sc.services.back().name + "' is used twice");
      }
    }
  }
  // Class routes: targets exist and take their demand from the routing service.
  if (auto services = r.Optional("services")) {
    const auto items = services->Items();
    auto find = [&](const std::string& name) -> ServiceSpec* {
      for (auto& sv : sc.services) {
        if (sv.name == name) return &sv;
      }
      return nullptr;
    };
    std::vector<std::string> service_names;
    for (const auto& sv : sc.services) service_names.push_back(sv.name);
    for (size_t i = 0; i < sc.services.size(); ++i) {
      ServiceSpec& sv = sc.services[i];
      for (const auto& [klass, target] : sv.route) {
        const std::string& cname = sv.config.classes[static_cast<size_t>(klass)].name;
        const ServiceSpec* t = find(target);
        const ConfigNode at = items[i].Get("route").Get(cname);
        if (!t) {
          at.Fail("unknown service '" + target + "'",
                  ClosestName(target, service_names).value_or(""));
        }
        if (t != &sv && t->demand_from != sv.name) {
          at.Fail("service '" + target + "' must say 'demand: {from: " + sv.name + "}' to take " +
                  "this service's requests");
        }
      }
      if (!sv.demand_from.empty()) {
        const ConfigNode at = items[i].Get("demand").Get("from");
        ServiceSpec* src = find(sv.demand_from);
        if (!src || src == &sv) {
          at.Fail("unknown service '" + sv.demand_from + "'",
                  ClosestName(sv.demand_from, service_names).value_or(""));
        }
        if (!src->demand_from.empty()) {
          at.Fail("service '" + sv.demand_from + "' takes its own demand from '" +
                  src->demand_from + "'; route from the service that has the demand");
        }
        bool routed = false;
        for (const auto& rt : src->route) routed |= rt.second == sv.name;
        if (!routed) {
          at.Fail("service '" + sv.demand_from +
                  "' routes no class here (add 'route: {CLASS: " + sv.name + "}' to it)");
        }
        sv.config.classes = src->config.classes;
      }
    }
  }
  if (auto groups = r.Optional("swap_groups")) {
    std::set<std::string> in_group;
    for (const auto& g : groups->Items()) {
      MapReader gr(g);
      SwapGroupSpec spec;
      spec.name = gr.Required("name").AsString();
      auto members = gr.Required("services");
      std::vector<std::string> service_names;
      for (const auto& sv : sc.services) service_names.push_back(sv.name);
      const ServiceSpec* first = nullptr;
      for (const auto& m : members.Items()) {
        const std::string name = m.AsString();
        const ServiceSpec* sv = nullptr;
        for (const auto& x : sc.services) {
          if (x.name == name) sv = &x;
        }
        if (!sv)
          m.Fail("unknown service '" + name + "'", ClosestName(name, service_names).value_or(""));
        if (!in_group.insert(name).second) m.Fail("service '" + name + "' is in two swap groups");
        if (sv->autoscale)
          m.Fail("service '" + name + "' autoscales; a swap group moves its replicas instead");
        for (const auto& pn : sv->pools) {
          const PricedPool* p = FindPool(sc, pn);
          if (p && p->cloud && p->cloud_pool.plan == CloudPlan::kSpot) {
            m.Fail("service '" + name + "' takes replicas from spot pool '" + pn +
                   "'; swap groups on spot instances are not simulated");
          }
        }
        if (first && (sv->gpu != first->gpu || sv->tensor_parallel != first->tensor_parallel ||
                      sv->pools != first->pools)) {
          m.Fail("the services of a swap group share their GPUs: '" + name +
                 "' must have the same " + "GPU, tensor_parallel and pool as '" + first->name +
                 "'");
        }
        if (first && sv->pipeline_parallel != first->pipeline_parallel) {
          m.Fail("the services of a swap group share their GPUs: '" + name +
                 "' must have the same pipeline_parallel as '" + first->name + "'");
        }
        if (!first) first = sv;
        spec.services.push_back(name);
      }
      if (spec.services.size() < 2) members.Fail("a swap group needs at least two services");
      if (auto n = gr.Optional("interval")) {
        spec.interval = n->AsDuration();
        if (spec.interval <= Duration::Zero()) n->Fail("interval must be greater than zero");
      }
      if (auto n = gr.Optional("keep_loaded")) {
        spec.keep_loaded = n->AsInt();
        if (spec.keep_loaded < 0) n->Fail("keep_loaded must not be negative");
      }
      gr.Finish();
      sc.swap_groups.push_back(spec);
    }
  }
  // Outside swap groups a service needs a replica (inside, it may start unloaded).
  if (auto services = r.Optional("services")) {
    const auto items = services->Items();
    for (size_t i = 0; i < sc.services.size(); ++i) {
      bool grouped = false;
      for (const auto& g : sc.swap_groups) {
        grouped |= std::find(g.services.begin(), g.services.end(), sc.services[i].name) !=
                   g.services.end();
      }
      if (!grouped && sc.services[i].config.replicas < 1) {
        items[i].Get("replicas").Fail("replicas must be at least 1 (0 only in a swap group)");
      }
    }
  }
  if (auto t = r.Optional("topology")) {
    // A topology file (relative to the scenario) or one embedded under the key.
    const TopologyLoadOptions options = CatalogTopologyOptions(sc.catalog);
    if (t->IsScalar()) {
      std::string p = t->AsString();
      if (!p.empty() && p[0] != '/') p = Dir(path) + p;
      sc.topology = std::make_shared<const ClusterGraph>(LoadTopologyFile(p, options));
    } else {
      sc.topology = std::make_shared<const ClusterGraph>(LoadTopology(*t, options));
    }
  }
  // Weight streaming over a server of the topology: its rate from the server's links.
  if (auto services = r.Optional("services")) {
    const auto items = services->Items();
    for (size_t i = 0; i < sc.services.size(); ++i) {
      ServiceSpec& sv = sc.services[i];
      if (!sv.weight_streaming || sv.stream_server.empty()) continue;
      ResolveStreamingSource(sv, sc.topology.get(),
                             items[i].Get("replica").Get("weight_streaming"));
    }
  }
  std::map<NodeId, std::string> placed_gpus;  // GPU -> the placed job using it
  if (auto jobs = r.Optional("training_jobs")) {
    for (const auto& j : jobs->Items()) {
      sc.training_jobs.push_back(ReadTrainingJob(j, sc.catalog, sc.pools, sc.topology.get()));
      const TrainingJobSpec& job = sc.training_jobs.back();
      if (!job.servers.empty()) {
        // Placed jobs may share links, never GPUs.
        for (NodeId g :
             PlaceOnServers(*sc.topology, job.servers, job.layout.Gpus(), job.layout.tp)) {
          auto [it, fresh] = placed_gpus.emplace(g, job.name);
          if (!fresh) {
            j.Fail("training job '" + job.name + "' is placed on GPU '" +
                   sc.topology->node(g).name + "', which job '" + it->second +
                   "' uses (place it on other servers)");
          }
        }
      }
      if (const PricedPool* pool = FindPool(sc, job.pool)) {
        ClaimInitialGpus(*pool, job.layout.Gpus(), pool_gpus, j, "layout");
      }
      if (!names.insert(sc.training_jobs.back().name).second) {
        j.Fail("name '" + sc.training_jobs.back().name + "' is used twice");
      }
    }
  }
  if (sc.services.empty() && sc.training_jobs.empty()) {
    root.Fail("nothing to simulate: give at least one entry under 'services' or 'training_jobs'");
  }
  r.Ignore("sizing");  // read by `fleetsim size` (scenarios/study/sizing.h)
  r.Finish();
  return sc;
}

}  // namespace fleetsim
