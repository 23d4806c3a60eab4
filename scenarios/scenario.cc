#include "scenarios/scenario.h"

#include <set>

#include "models/serving/routers.h"
#include "sim/suggest.h"

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
    const std::string mode = m->AsChoice({"static", "continuous", "chunked"});
    b.mode = mode == "static"       ? BatchingConfig::Mode::kStatic
             : mode == "continuous" ? BatchingConfig::Mode::kContinuous
                                    : BatchingConfig::Mode::kChunked;
  }
  if (auto n = r.Optional("max_batch")) b.max_batch = PositiveInt(*n, "max_batch");
  if (auto n = r.Optional("max_batched_tokens")) {
    b.max_batched_tokens = PositiveInt(*n, "max_batched_tokens");
  }
  if (auto n = r.Optional("kv_block")) b.kv_block_tokens = PositiveInt(*n, "kv_block");
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
  r.Finish();
  return c;
}

ServiceSpec ReadService(const ConfigNode& node, const Catalog& catalog) {
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
  if (auto p = r.Optional("precision")) {
    s.precision = *ParsePrecision(p->AsChoice(PrecisionNames()));
  }
  {
    auto replica = r.Required("replica");
    MapReader rr(replica);
    auto gpu = rr.Required("gpu");
    s.gpu = catalog.TryFindDevice(gpu.AsString());
    if (!s.gpu) {
      gpu.Fail("unknown device '" + gpu.AsString() + "' (see `fleetsim list gpus`)",
               ClosestName(gpu.AsString(), catalog.DeviceNames()).value_or(""));
    }
    if (!s.gpu->Peak(s.precision)) {
      gpu.Fail("'" + s.gpu->name + "' has no " + std::string(PrecisionName(s.precision)) +
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
        wr.Finish();
      }
    }
    rr.Finish();
  }
  if (auto n = r.Optional("replicas")) s.config.replicas = PositiveInt(*n, "replicas");
  if (auto b = r.Optional("batching")) s.config.batching = ReadBatching(*b);
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
  s.demand = r.Required("demand");
  r.Finish();
  return s;
}

TrainingJobSpec ReadTrainingJob(const ConfigNode& node, const Catalog& catalog) {
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
  if (auto p = r.Optional("precision")) {
    lay.precision = *ParsePrecision(p->AsChoice(PrecisionNames()));
  }
  if (!j.gpu->Peak(lay.precision)) {
    gpu.Fail("'" + j.gpu->name + "' has no " + std::string(PrecisionName(lay.precision)) +
             " datapath in the catalog");
  }
  if (auto n = r.Optional("network")) j.network = n->AsChoice({"dgx-a100", "dgx-h100"});
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
  r.Finish();
  const TrainingNetwork net = j.network == "dgx-h100" ? DgxH100Network() : DgxA100Network();
  try {
    j.iteration = TrainingIterationTime(*j.model, *j.gpu, lay, net);
  } catch (const InputError& e) {
    layout.Fail(e.what());
  }
  return j;
}

}  // namespace

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
  std::set<std::string> names;
  if (auto services = r.Optional("services")) {
    for (const auto& s : services->Items()) {
      sc.services.push_back(ReadService(s, sc.catalog));
      if (!names.insert(sc.services.back().name).second) {
        s.Fail("service name '" + sc.services.back().name + "' is used twice");
      }
    }
  }
  if (auto jobs = r.Optional("training_jobs")) {
    for (const auto& j : jobs->Items()) {
      sc.training_jobs.push_back(ReadTrainingJob(j, sc.catalog));
      if (!names.insert(sc.training_jobs.back().name).second) {
        j.Fail("name '" + sc.training_jobs.back().name + "' is used twice");
      }
    }
  }
  if (sc.services.empty() && sc.training_jobs.empty()) {
    root.Fail("nothing to simulate: give at least one entry under 'services' or 'training_jobs'");
  }
  r.Finish();
  return sc;
}

}  // namespace fleetsim
