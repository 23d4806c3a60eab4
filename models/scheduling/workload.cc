#include "models/scheduling/workload.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "models/catalog/catalog.h"
#include "models/precision.h"
#include "models/scheduling/traces.h"
#include "models/workload/arrivals.h"
#include "models/workload/rate_profile.h"
#include "models/workload/trace_reader.h"
#include "sim/suggest.h"
#include "sim/units.h"

namespace fleetsim {

const char* JobKindName(JobKind k) {
  switch (k) {
    case JobKind::kTraining:
      return "training";
    case JobKind::kBatch:
      return "batch";
    case JobKind::kService:
      return "service";
  }
  return "?";
}

// ---- TraceSummary ----

namespace {
void Count(std::vector<TraceSummary::Reason>* list, const std::string& reason, int64_t line) {
  for (auto& r : *list) {
    if (r.reason == reason) {
      ++r.count;
      return;
    }
  }
  list->push_back({reason, 1, line});
}
}  // namespace

void TraceSummary::Skip(const std::string& reason, int64_t line) { Count(&skipped, reason, line); }
void TraceSummary::Note(const std::string& what, int64_t line) { Count(&notes, what, line); }

std::string TraceSummary::Format() const {
  std::ostringstream os;
  os << format << " trace " << file << ": " << FormatCount(static_cast<double>(records))
     << " records, " << FormatCount(static_cast<double>(jobs)) << " jobs\n";
  for (const auto& r : skipped) {
    os << "  skipped " << FormatCount(static_cast<double>(r.count)) << ": " << r.reason
       << " (first at line " << r.first_line << ")\n";
  }
  for (const auto& r : notes) {
    os << "  note " << FormatCount(static_cast<double>(r.count)) << ": " << r.reason
       << " (first at line " << r.first_line << ")\n";
  }
  return os.str();
}

void FinishTraceJobs(TraceJobs* t, const TraceOptions& opt) {
  auto& jobs = t->jobs;
  std::stable_sort(jobs.begin(), jobs.end(),
                   [](const JobSpec& a, const JobSpec& b) { return a.arrival_s < b.arrival_s; });
  if (opt.max_jobs >= 0 && static_cast<int64_t>(jobs.size()) > opt.max_jobs) {
    t->summary.Skip("beyond max_jobs", 0);
    t->summary.skipped.back().count = static_cast<int64_t>(jobs.size()) - opt.max_jobs;
    jobs.resize(static_cast<size_t>(opt.max_jobs));
  }
  const double t0 = jobs.empty() ? 0 : jobs.front().arrival_s;
  for (auto& j : jobs) {
    j.arrival_s = (j.arrival_s - t0) * opt.time_scale;
    j.estimate_s = j.duration_s;
  }
  t->summary.jobs = static_cast<int64_t>(jobs.size());
}

// ---- durations ----

namespace {

double PositiveSeconds(const ConfigNode& n) {
  const double s = n.AsDuration().seconds();
  if (!(s > 0)) n.Fail("a job duration must be greater than zero");
  return s;
}

class FixedDuration final : public DurationDistribution {
 public:
  explicit FixedDuration(double s) : s_(s) {}
  double Sample(Rng&) const override { return s_; }

 private:
  double s_;
};

class UniformDuration final : public DurationDistribution {
 public:
  UniformDuration(double lo, double hi) : lo_(lo), hi_(hi) {}
  double Sample(Rng& rng) const override { return rng.Uniform(lo_, hi_); }

 private:
  double lo_, hi_;
};

class ExponentialDuration final : public DurationDistribution {
 public:
  ExponentialDuration(double mean, double lo, double hi) : mean_(mean), lo_(lo), hi_(hi) {}
  double Sample(Rng& rng) const override {
    return std::clamp(rng.Exponential(1.0 / mean_), lo_, hi_);
  }

 private:
  double mean_, lo_, hi_;
};

class LognormalDuration final : public DurationDistribution {
 public:
  LognormalDuration(double median, double sigma, double lo, double hi)
      : mu_(std::log(median)), sigma_(sigma), lo_(lo), hi_(hi) {}
  double Sample(Rng& rng) const override {
    return std::clamp(rng.Lognormal(mu_, sigma_), lo_, hi_);
  }

 private:
  double mu_, sigma_, lo_, hi_;
};

class EmpiricalDuration final : public DurationDistribution {
 public:
  explicit EmpiricalDuration(EmpiricalDistribution d) : d_(std::move(d)) {}
  double Sample(Rng& rng) const override { return d_.Sample(rng); }

 private:
  EmpiricalDistribution d_;
};

std::pair<double, double> Bounds(MapReader& r) {
  double lo = 1e-3, hi = 1e9;  // 1 ms .. ~31 years: effectively unbounded
  if (auto n = r.Optional("min")) lo = PositiveSeconds(*n);
  if (auto n = r.Optional("max")) {
    hi = PositiveSeconds(*n);
    if (hi < lo) n->Fail("max must not be below min");
  }
  return {lo, hi};
}

std::unique_ptr<DurationDistribution> MakeFixedDuration(const ConfigNode&, MapReader& r) {
  return std::make_unique<FixedDuration>(PositiveSeconds(r.Required("value")));
}
std::unique_ptr<DurationDistribution> MakeUniformDuration(const ConfigNode&, MapReader& r) {
  const double lo = PositiveSeconds(r.Required("min"));
  auto hi_node = r.Required("max");
  const double hi = PositiveSeconds(hi_node);
  if (hi < lo) hi_node.Fail("max must not be below min");
  return std::make_unique<UniformDuration>(lo, hi);
}
std::unique_ptr<DurationDistribution> MakeExponentialDuration(const ConfigNode&, MapReader& r) {
  const double mean = PositiveSeconds(r.Required("mean"));
  const auto [lo, hi] = Bounds(r);
  return std::make_unique<ExponentialDuration>(mean, lo, hi);
}
std::unique_ptr<DurationDistribution> MakeLognormalDuration(const ConfigNode&, MapReader& r) {
  const double median = PositiveSeconds(r.Required("median"));
  auto sigma_node = r.Required("sigma");
  const double sigma = sigma_node.AsDouble();
  if (!(sigma >= 0 && sigma <= 10)) sigma_node.Fail("sigma must be in [0, 10]");
  const auto [lo, hi] = Bounds(r);
  return std::make_unique<LognormalDuration>(median, sigma, lo, hi);
}
std::unique_ptr<DurationDistribution> MakeEmpiricalDuration(const ConfigNode&, MapReader& r) {
  auto values_node = r.Required("values");
  if (!values_node.IsSequence() || values_node.size() == 0) {
    values_node.Fail("expected a non-empty list of durations");
  }
  std::vector<double> values, weights;
  for (const auto& v : values_node.Items()) values.push_back(PositiveSeconds(v));
  if (auto w = r.Optional("weights")) {
    if (!w->IsSequence() || w->size() != values.size()) {
      w->Fail("expected one weight per value (" + std::to_string(values.size()) + ")");
    }
    for (const auto& x : w->Items()) {
      const double d = x.AsDouble();
      if (!(d >= 0)) x.Fail("weights must not be negative");
      weights.push_back(d);
    }
    double sum = 0;
    for (double d : weights) sum += d;
    if (!(sum > 0)) w->Fail("the weights must not all be zero");
  }
  return std::make_unique<EmpiricalDuration>(EmpiricalDistribution(values, weights));
}

}  // namespace

const Registry<DurationFactory>& JobDurations() {
  static const Registry<DurationFactory> r = [] {
    Registry<DurationFactory> r("duration distribution");
    r.Add({"fixed", "every job runs the same time", "value", MakeFixedDuration});
    r.Add({"uniform", "uniform between min and max", "min, max", MakeUniformDuration});
    r.Add({"exponential", "exponential with the given mean, clamped to [min, max]",
           "mean, min, max", MakeExponentialDuration});
    r.Add({"lognormal",
           "heavy-tailed, as cluster traces are: ln d ~ Normal(ln median, sigma), clamped",
           "median, sigma, min, max", MakeLognormalDuration});
    r.Add({"empirical", "one of the listed durations, by weight", "values, weights",
           MakeEmpiricalDuration});
    return r;
  }();
  return r;
}

std::unique_ptr<DurationDistribution> ReadDurationDistribution(const ConfigNode& node) {
  MapReader r(node);
  auto name_node = r.Required("distribution");
  const std::string name = name_node.AsString();
  const auto* e = JobDurations().TryFind(name);
  if (!e) {
    name_node.Fail("unknown duration distribution '" + name +
                       "' (one of: fixed, uniform, "
                       "exponential, lognormal, empirical)",
                   ClosestName(name, JobDurations().NameList()).value_or(""));
  }
  auto d = e->factory(node, r);
  r.Finish();
  return d;
}

namespace {

// An integer drawn from listed values by weight, or a constant: `8` or
// {values: [1, 2, 4], weights: [5, 3, 2]}.
class IntChoice {
 public:
  IntChoice() = default;  // the constant 0
  static IntChoice Constant(int64_t v) {
    IntChoice c;
    c.values_ = {static_cast<double>(v)};
    return c;
  }
  IntChoice(const ConfigNode& n, int64_t min, const char* what) {
    auto read = [&](const ConfigNode& v) {
      const int64_t x = v.AsInt();
      if (x < min) v.Fail(std::string(what) + " must be at least " + std::to_string(min));
      if (x > 1'000'000) v.Fail(std::string(what) + " must be at most 1,000,000");
      return static_cast<double>(x);
    };
    if (n.IsScalar()) {
      values_ = {read(n)};
      return;
    }
    values_.clear();
    MapReader r(n);
    auto vs = r.Required("values");
    if (!vs.IsSequence() || vs.size() == 0) vs.Fail("expected a non-empty list");
    for (const auto& v : vs.Items()) values_.push_back(read(v));
    if (auto w = r.Optional("weights")) {
      if (!w->IsSequence() || w->size() != values_.size()) {
        w->Fail("expected one weight per value (" + std::to_string(values_.size()) + ")");
      }
      double sum = 0;
      for (const auto& x : w->Items()) {
        const double d = x.AsDouble();
        if (!(d >= 0)) x.Fail("weights must not be negative");
        weights_.push_back(d);
        sum += d;
      }
      if (!(sum > 0)) w->Fail("the weights must not all be zero");
    }
    r.Finish();
  }
  int64_t Sample(Rng& rng) const {
    if (values_.size() == 1) return static_cast<int64_t>(values_[0]);
    double total = 0;
    for (size_t i = 0; i < values_.size(); ++i) total += weights_.empty() ? 1 : weights_[i];
    double u = rng.Uniform01() * total;
    for (size_t i = 0; i < values_.size(); ++i) {
      u -= weights_.empty() ? 1 : weights_[i];
      if (u < 0) return static_cast<int64_t>(values_[i]);
    }
    return static_cast<int64_t>(values_.back());
  }

 private:
  std::vector<double> values_{0};
  std::vector<double> weights_;
};

// What a class says about its jobs beyond JobClass.
struct ClassExtras {
  double estimate_error = 0, estimate_bias = 1;
  IntChoice priority;
  int64_t memory_bytes = 0;
  double deadline_factor = 0;  // 0: no deadline
  double start_slo_s = kNoTime;
  double checkpoint_s = -1, restart_s = -1;
  int32_t model = -1;  // JobSet::models index
  // Synthetic only.
  double weight = 1;
  IntChoice gpus;
  int32_t share = 100;
  std::shared_ptr<const DurationDistribution> duration;
};

std::string CanonicalDevice(const ConfigNode& n, const Catalog& catalog) {
  const std::string name = n.AsString();
  if (const DeviceSpec* d = catalog.TryFindDevice(name)) return d->name;
  n.Fail("unknown device '" + name + "' (see 'fleetsim list gpus')",
         ClosestName(name, catalog.DeviceNames()).value_or(""));
}

// model, precision, model_bytes, load_bandwidth: the weights an inference class serves.
void ReadClassModel(MapReader& r, const Catalog& catalog, JobSet* set, JobClass* c,
                    ClassExtras* e) {
  auto model = r.Optional("model");
  auto precision = r.Optional("precision");
  auto bytes = r.Optional("model_bytes");
  auto bandwidth = r.Optional("load_bandwidth");
  if (!model) {
    for (const auto* n : {&precision, &bytes, &bandwidth}) {
      if (*n) (*n)->Fail("this key describes the class's model weights: give model too");
    }
    return;
  }
  if (c->kind == JobKind::kTraining) {
    model->Fail("model is for inference classes (kind: service or batch)");
  }
  ServedModel m;
  m.name = model->AsString();
  if (bytes) {
    if (precision) precision->Fail("give model_bytes or precision, not both");
    const double b = bytes->AsQuantity(dim::kBytes);
    if (!(b >= 1)) bytes->Fail("model_bytes must be at least one byte");
    m.bytes = static_cast<int64_t>(b);
  } else {
    const ModelCard* card = catalog.TryFindModel(m.name);
    if (!card) {
      model->Fail("unknown model '" + m.name +
                      "' (see 'fleetsim list models'); for weights outside the catalog give "
                      "model_bytes",
                  ClosestName(m.name, catalog.ModelNames()).value_or(""));
    }
    Precision p = Precision::kFp16;
    if (precision) p = *ParsePrecision(precision->AsChoice(PrecisionNames()));
    m.name = card->name + " " + std::string(PrecisionName(p));
    m.bytes = static_cast<int64_t>(std::llround(ParameterCount(*card) * BytesPerElement(p)));
  }
  if (!bandwidth) {
    model->Fail(
        "a class with a model needs load_bandwidth: how fast a GPU loads the weights (your "
        "storage or network rate, e.g. \"2 GB/s\")");
  }
  c->load_bytes_per_s = bandwidth->AsQuantity(dim::kBytesPerSecond);
  if (!(c->load_bytes_per_s > 0)) bandwidth->Fail("load_bandwidth must be greater than zero");
  // The same weights (name and size) are one model whichever classes serve them.
  auto it = std::find_if(set->models.begin(), set->models.end(), [&](const ServedModel& x) {
    return x.name == m.name && x.bytes == m.bytes;
  });
  if (it == set->models.end()) it = set->models.insert(set->models.end(), m);
  e->model = static_cast<int32_t>(it - set->models.begin());
}

void ReadClassKeys(MapReader& r, const Catalog& catalog, JobSet* set, JobClass* c, ClassExtras* e) {
  if (auto n = r.Optional("kind")) {
    const std::string k = n->AsChoice({"training", "batch", "service"});
    c->kind =
        k == "training" ? JobKind::kTraining : (k == "batch" ? JobKind::kBatch : JobKind::kService);
    // Services are latency-critical: not evicted unless the YAML says so.
    if (c->kind == JobKind::kService) c->preemptible = false;
  }
  if (auto n = r.Optional("estimate")) {
    MapReader er(*n);
    if (auto x = er.Optional("error")) {
      e->estimate_error = x->AsDouble();
      if (!(e->estimate_error >= 0 && e->estimate_error <= 5)) x->Fail("error must be in [0, 5]");
    }
    if (auto x = er.Optional("bias")) {
      e->estimate_bias = x->AsDouble();
      if (!(e->estimate_bias > 0 && e->estimate_bias <= 100)) {
        x->Fail("bias must be in (0, 100]");
      }
    }
    er.Finish();
  }
  if (auto n = r.Optional("priority")) e->priority = IntChoice(*n, -1'000'000, "priority");
  if (auto n = r.Optional("devices")) {
    if (!n->IsSequence() || n->size() == 0) n->Fail("expected a non-empty list of device names");
    for (const auto& d : n->Items()) c->devices.push_back(CanonicalDevice(d, catalog));
  }
  if (auto n = r.Optional("speedup")) {
    MapReader sr(*n);
    for (const auto& key : n->Keys()) {
      auto v = sr.Required(key);
      const std::string device = [&] {
        if (const DeviceSpec* d = catalog.TryFindDevice(key)) return d->name;
        n->FailAtKey(key, "unknown device '" + key + "' (see 'fleetsim list gpus')",
                     ClosestName(key, catalog.DeviceNames()).value_or(""));
      }();
      const double s = v.AsDouble();
      if (!(s > 0 && s <= 1000)) v.Fail("a speed-up must be in (0, 1000]");
      c->speedup.emplace_back(device, s);
    }
    sr.Finish();
  }
  if (auto n = r.Optional("memory")) {
    const double b = n->AsQuantity(dim::kBytes);
    if (!(b > 0)) n->Fail("memory must be greater than zero");
    e->memory_bytes = static_cast<int64_t>(b);
  }
  if (auto n = r.Optional("deadline")) {
    e->deadline_factor = n->AsDouble();
    if (!(e->deadline_factor >= 1 && e->deadline_factor <= 1e6)) {
      n->Fail(
          "deadline is a slack factor over the estimate (deadline = arrival + factor x "
          "estimate) and must be at least 1");
    }
  }
  if (auto n = r.Optional("start_slo")) e->start_slo_s = n->AsDuration().seconds();
  if (auto n = r.Optional("preemptible")) c->preemptible = n->AsBool();
  if (auto n = r.Optional("checkpoint")) e->checkpoint_s = n->AsDuration().seconds();
  if (auto n = r.Optional("restart")) e->restart_s = n->AsDuration().seconds();
  ReadClassModel(r, catalog, set, c, e);
}

// Fills the user-facing fields of a job from its class; the duration must be set.
void ApplyExtras(const ClassExtras& e, int32_t klass, Rng& estimate_rng, Rng& priority_rng,
                 JobSpec* j) {
  j->job_class = klass;
  double est = j->duration_s * e.estimate_bias;
  if (e.estimate_error > 0) est *= std::exp(e.estimate_error * estimate_rng.Normal(0, 1));
  j->estimate_s = std::max(est, 1e-3);
  j->priority = static_cast<int32_t>(e.priority.Sample(priority_rng));
  j->memory_bytes = e.memory_bytes;
  if (e.deadline_factor > 0) j->deadline_s = j->arrival_s + e.deadline_factor * j->estimate_s;
  j->start_slo_s = e.start_slo_s;
  j->checkpoint_s = e.checkpoint_s;
  j->restart_s = e.restart_s;
  j->model = e.model;
}

// ---- synthetic ----

struct ArrivalSetup {
  RateProfile profile;
  std::unique_ptr<GapSampler> gaps;
};

ArrivalSetup ReadArrivals(const ConfigNode& arrivals) {
  MapReader ar(arrivals);
  auto process_node = ar.Required("process");
  const std::string process = process_node.AsString();
  const auto* entry = ArrivalProcesses().TryFind(process);
  if (!entry || entry->factory == nullptr) {
    std::vector<std::string> names;
    for (const auto& e : ArrivalProcesses().entries()) {
      if (e.factory) names.push_back(e.name);
    }
    process_node.Fail("unknown arrival process '" + process +
                          "' for jobs (one of: poisson, gamma, constant; traces go under "
                          "jobs.trace)",
                      ClosestName(process, names).value_or(""));
  }
  ArrivalSetup s;
  s.profile = RateProfile::FromConfig(arrivals, ar);
  s.gaps = entry->factory(arrivals, ar);
  ar.Finish();
  return s;
}

class SyntheticWorkload;

class SyntheticSource final : public JobSource {
 public:
  SyntheticSource(const SyntheticWorkload& w, uint64_t seed);
  std::optional<JobSpec> Next() override;

 private:
  const SyntheticWorkload& w_;
  ArrivalSetup arrivals_;
  CumulativeRate lambda_;
  RngStreams streams_;
  Rng arrival_rng_, class_rng_, gpus_rng_, duration_rng_, estimate_rng_, priority_rng_;
  double tau_ = 0;
  int64_t made_ = 0;
};

class SyntheticWorkload final : public JobWorkload {
 public:
  std::unique_ptr<JobSource> MakeSource(uint64_t seed) const override {
    return std::make_unique<SyntheticSource>(*this, seed);
  }
  std::optional<ConfigNode> arrivals;
  int64_t count = -1;
  double horizon_s = kNoTime;
  std::vector<ClassExtras> extras;  // parallel to job_set_.classes
  JobSet& mutable_job_set() { return job_set_; }
};

SyntheticSource::SyntheticSource(const SyntheticWorkload& w, uint64_t seed)
    : w_(w),
      arrivals_(ReadArrivals(*w.arrivals)),
      lambda_(arrivals_.profile),
      streams_(seed, 0),
      arrival_rng_(streams_.Stream("jobs.arrivals")),
      class_rng_(streams_.Stream("jobs.class")),
      gpus_rng_(streams_.Stream("jobs.gpus")),
      duration_rng_(streams_.Stream("jobs.duration")),
      estimate_rng_(streams_.Stream("jobs.estimate")),
      priority_rng_(streams_.Stream("jobs.priority")) {}

std::optional<JobSpec> SyntheticSource::Next() {
  if (w_.count >= 0 && made_ >= w_.count) return std::nullopt;
  tau_ += arrivals_.gaps->Next(arrival_rng_);
  const double t = lambda_.TimeAt(tau_, w_.horizon_s < kNoTime ? w_.horizon_s : 1e15);
  if (!(t < w_.horizon_s)) return std::nullopt;
  double total = 0;
  for (const auto& e : w_.extras) total += e.weight;
  double u = class_rng_.Uniform01() * total;
  size_t k = 0;
  for (; k + 1 < w_.extras.size(); ++k) {
    u -= w_.extras[k].weight;
    if (u < 0) break;
  }
  const ClassExtras& e = w_.extras[k];
  JobSpec j;
  j.id = "j" + std::to_string(made_);
  j.arrival_s = t;
  j.gpus = static_cast<int32_t>(e.gpus.Sample(gpus_rng_));
  j.share = e.share;
  j.duration_s = e.duration->Sample(duration_rng_);
  ApplyExtras(e, static_cast<int32_t>(k), estimate_rng_, priority_rng_, &j);
  ++made_;
  return j;
}

std::shared_ptr<const JobWorkload> ReadSynthetic(const ConfigNode& node, const Catalog& catalog,
                                                 double horizon_s) {
  auto w = std::make_shared<SyntheticWorkload>();
  MapReader r(node);
  if (auto n = r.Optional("count")) {
    w->count = n->AsInt();
    if (w->count < 1) n->Fail("count must be at least 1");
  }
  if (w->count < 0 && !(horizon_s < kNoTime)) {
    node.Fail(
        "a synthetic job stream needs an end: give jobs.synthetic.count or the "
        "scenario's duration");
  }
  w->horizon_s = horizon_s;
  w->arrivals = r.Required("arrivals");
  ReadArrivals(*w->arrivals);  // validate now, positioned; runs re-read it
  auto classes = r.Required("classes");
  if (!classes.IsSequence() || classes.size() == 0) {
    classes.Fail("expected a non-empty list of job classes");
  }
  JobSet& set = w->mutable_job_set();
  set.classes.clear();
  for (const auto& cn : classes.Items()) {
    MapReader cr(cn);
    JobClass c;
    ClassExtras e;
    auto name = cr.Required("name");
    c.name = name.AsString();
    for (const auto& other : set.classes) {
      if (other.name == c.name) name.Fail("duplicate class name '" + c.name + "'");
    }
    if (auto n = cr.Optional("weight")) {
      e.weight = n->AsDouble();
      if (!(e.weight > 0)) n->Fail("weight must be greater than zero");
    }
    auto frac = cr.Optional("gpu_fraction");
    auto gpus = cr.Optional("gpus");
    if (frac) {
      if (gpus) frac->Fail("give gpus or gpu_fraction, not both");
      const double f = frac->AsDouble();
      if (!(f > 0 && f < 1)) frac->Fail("gpu_fraction must be in (0, 1): the share of one GPU");
      e.share = std::clamp(static_cast<int32_t>(std::lround(f * 100)), 1, 99);
      e.gpus = IntChoice::Constant(1);
    } else if (gpus) {
      e.gpus = IntChoice(*gpus, 1, "gpus");
    } else {
      cn.Fail("a job class needs gpus (a count or {values, weights}) or gpu_fraction");
    }
    e.duration = ReadDurationDistribution(cr.Required("duration"));
    ReadClassKeys(cr, catalog, &set, &c, &e);
    cr.Finish();
    set.classes.push_back(std::move(c));
    w->extras.push_back(std::move(e));
  }
  r.Finish();
  return w;
}

// ---- traces ----

class TraceSource final : public JobSource {
 public:
  TraceSource(std::shared_ptr<const std::vector<JobSpec>> jobs, const ClassExtras& extras,
              uint64_t seed)
      : jobs_(std::move(jobs)),
        extras_(extras),
        estimate_rng_(RngStreams(seed, 0).Stream("jobs.estimate")),
        priority_rng_(RngStreams(seed, 0).Stream("jobs.priority")) {}
  std::optional<JobSpec> Next() override {
    if (next_ >= jobs_->size()) return std::nullopt;
    JobSpec j = (*jobs_)[next_++];
    const int32_t device = j.device;
    ApplyExtras(extras_, 0, estimate_rng_, priority_rng_, &j);
    j.device = device;
    return j;
  }

 private:
  std::shared_ptr<const std::vector<JobSpec>> jobs_;
  const ClassExtras& extras_;
  Rng estimate_rng_, priority_rng_;
  size_t next_ = 0;
};

class TraceWorkload final : public JobWorkload {
 public:
  std::unique_ptr<JobSource> MakeSource(uint64_t seed) const override {
    return std::make_unique<TraceSource>(jobs, extras, seed);
  }
  const TraceSummary* trace_summary() const override { return &summary; }
  JobSet& mutable_job_set() { return job_set_; }
  std::shared_ptr<const std::vector<JobSpec>> jobs;
  TraceSummary summary;
  ClassExtras extras;
};

std::shared_ptr<const JobWorkload> ReadTrace(const ConfigNode& node, const Catalog& catalog) {
  auto w = std::make_shared<TraceWorkload>();
  MapReader r(node);
  const std::string format = r.Required("format").AsChoice({"philly", "pai"});
  TraceOptions opt;
  if (auto n = r.Optional("statuses")) {
    if (!n->IsSequence()) n->Fail("expected a list of statuses, e.g. [Pass, Killed]");
    for (const auto& s : n->Items()) opt.statuses.push_back(s.AsString());
  }
  if (auto n = r.Optional("time_scale")) {
    opt.time_scale = n->AsDouble();
    if (!(opt.time_scale > 0)) n->Fail("time_scale must be greater than zero");
  }
  if (auto n = r.Optional("max_jobs")) {
    opt.max_jobs = n->AsInt();
    if (opt.max_jobs < 1) n->Fail("max_jobs must be at least 1");
  }
  if (auto n = r.Optional("on_malformed")) {
    opt.skip_malformed = n->AsChoice({"error", "skip"}) == "skip";
  }
  JobSet& set = w->mutable_job_set();
  set.classes.assign(1, JobClass{});
  set.classes[0].name = "trace";
  if (auto n = r.Optional("class")) {
    MapReader cr(*n);
    ReadClassKeys(cr, catalog, &set, &set.classes[0], &w->extras);
    cr.Finish();
  }
  TraceJobs t;
  if (format == "philly") {
    auto file = r.Required("file");
    for (const char* key : {"job_table", "task_table", "gpu_types"}) {
      if (node.Has(key)) node.FailAtKey(key, std::string(key) + " is for format: pai");
    }
    r.Finish();
    t = ReadPhillyTrace(ResolvePath(file), opt);
  } else {
    auto jobs = r.Required("job_table");
    auto tasks = r.Required("task_table");
    if (auto n = r.Optional("gpu_types")) {
      MapReader gr(*n);
      for (const auto& key : n->Keys()) {
        const std::string device = CanonicalDevice(gr.Required(key), catalog);
        auto it = std::find(set.device_names.begin(), set.device_names.end(), device);
        if (it == set.device_names.end()) {
          set.device_names.push_back(device);
          it = set.device_names.end() - 1;
        }
        opt.pai_gpu_types[key] = static_cast<int32_t>(it - set.device_names.begin());
      }
      gr.Finish();
    }
    if (node.Has("file")) node.FailAtKey("file", "format: pai reads job_table and task_table");
    r.Finish();
    t = ReadPaiTrace(ResolvePath(jobs), ResolvePath(tasks), opt);
  }
  w->summary = std::move(t.summary);
  w->jobs = std::make_shared<const std::vector<JobSpec>>(std::move(t.jobs));
  return w;
}

}  // namespace

std::shared_ptr<const JobWorkload> ReadJobWorkload(const ConfigNode& jobs, const Catalog& catalog,
                                                   double horizon_s) {
  MapReader r(jobs);
  auto synthetic = r.Optional("synthetic");
  auto trace = r.Optional("trace");
  r.Finish();
  if (synthetic && trace) jobs.Fail("give jobs.synthetic or jobs.trace, not both");
  if (synthetic) return ReadSynthetic(*synthetic, catalog, horizon_s);
  if (trace) return ReadTrace(*trace, catalog);
  jobs.Fail("expected jobs.synthetic (a job stream) or jobs.trace (a cluster trace)");
}

}  // namespace fleetsim
