#include "models/workload/arrivals.h"

#include <cmath>
#include <limits>

#include "models/workload/trace_reader.h"
#include "sim/config/config.h"

namespace fleetsim {

namespace {

class ExponentialGaps final : public GapSampler {
 public:
  double Next(Rng& rng) override { return rng.Exponential(1.0); }
};

class GammaGaps final : public GapSampler {
 public:
  explicit GammaGaps(double cv) : shape_(1.0 / (cv * cv)), scale_(cv * cv) {}
  double Next(Rng& rng) override { return rng.Gamma(shape_, scale_); }

 private:
  double shape_, scale_;
};

class ConstantGaps final : public GapSampler {
 public:
  double Next(Rng&) override { return 1.0; }
};

std::unique_ptr<GapSampler> MakePoisson(const ConfigNode&, MapReader&) {
  return std::make_unique<ExponentialGaps>();
}

std::unique_ptr<GapSampler> MakeGamma(const ConfigNode&, MapReader& r) {
  auto cv_node = r.Required("cv");
  const double cv = cv_node.AsDouble();
  if (!(cv > 0 && cv <= 100)) cv_node.Fail("cv must be in (0, 100]");
  return std::make_unique<GammaGaps>(cv);
}

std::unique_ptr<GapSampler> MakeConstant(const ConfigNode&, MapReader&) {
  return std::make_unique<ConstantGaps>();
}

class SyntheticStream final : public RequestStream {
 public:
  SyntheticStream(RateProfile profile, std::unique_ptr<GapSampler> gaps,
                  std::unique_ptr<LengthDistribution> prompt,
                  std::unique_ptr<LengthDistribution> output, const StreamContext& ctx)
      : profile_(std::move(profile)),
        lambda_(profile_),
        gaps_(std::move(gaps)),
        prompt_(std::move(prompt)),
        output_(std::move(output)),
        horizon_s_(ctx.horizon_s),
        // Separate streams: changing the length distribution never moves arrival times.
        arrival_rng_(ctx.rng.Stream(ctx.name + ".arrivals")),
        prompt_rng_(ctx.rng.Stream(ctx.name + ".prompt_tokens")),
        output_rng_(ctx.rng.Stream(ctx.name + ".output_tokens")) {}

  std::optional<RequestSpec> Next() override {
    tau_ += gaps_->Next(arrival_rng_);
    const double t = lambda_.TimeAt(tau_, horizon_s_);
    if (!(t < horizon_s_)) return std::nullopt;
    RequestSpec r;
    r.arrival_s = t;
    r.prompt_tokens = prompt_->Sample(prompt_rng_);
    r.output_tokens = output_->Sample(output_rng_);
    return r;
  }

 private:
  RateProfile profile_;
  CumulativeRate lambda_;
  std::unique_ptr<GapSampler> gaps_;
  std::unique_ptr<LengthDistribution> prompt_, output_;
  double horizon_s_;
  Rng arrival_rng_, prompt_rng_, output_rng_;
  double tau_ = 0;
};

}  // namespace

const Registry<ArrivalFactory>& ArrivalProcesses() {
  static const Registry<ArrivalFactory> registry = [] {
    Registry<ArrivalFactory> r("arrival process");
    r.Add({"poisson", "memoryless arrivals at the profile's rate (CV of gaps = 1)",
           "rate, diurnal, growth, spikes", MakePoisson});
    r.Add({"gamma", "renewal arrivals with gamma gaps: cv > 1 is burstier than Poisson",
           "cv: coefficient of variation of the gaps; rate, diurnal, growth, spikes", MakeGamma});
    r.Add({"constant", "evenly spaced arrivals at the profile's rate (CV = 0)",
           "rate, diurnal, growth, spikes", MakeConstant});
    r.Add({"trace", "replay of a CSV trace: timestamp,prompt_tokens,output_tokens[,class]",
           "file: path (relative to the YAML file); time_scale: multiplies timestamps", nullptr});
    return r;
  }();
  return registry;
}

std::unique_ptr<RequestStream> ReadRequestStream(const ConfigNode& demand,
                                                 const StreamContext& ctx) {
  MapReader dr(demand);
  auto arrivals = dr.Required("arrivals");
  MapReader ar(arrivals);
  auto process_node = ar.Required("process");
  const std::string process = process_node.AsString();
  const auto* entry = ArrivalProcesses().TryFind(process);
  if (!entry) {
    process_node.Fail("unknown arrival process '" + process + "'",
                      ClosestName(process, ArrivalProcesses().NameList()).value_or(""));
  }
  if (entry->factory == nullptr) {  // trace
    auto file = ar.Required("file");
    double scale = 1.0;
    if (auto s = ar.Optional("time_scale")) {
      scale = s->AsDouble();
      if (!(scale > 0)) s->Fail("time_scale must be greater than zero");
    }
    ar.Finish();
    for (const char* key : {"prompt_tokens", "output_tokens"}) {
      if (demand.Has(key)) {
        demand.FailAtKey(key, std::string(key) + " comes from the trace file; remove it here");
      }
    }
    dr.Finish();
    return OpenTraceStream(ResolvePath(file), scale, ctx);
  }
  RateProfile profile = RateProfile::FromConfig(arrivals, ar);
  auto gaps = entry->factory(arrivals, ar);
  ar.Finish();
  auto prompt = ReadLengthDistribution(dr.Required("prompt_tokens"));
  auto output = ReadLengthDistribution(dr.Required("output_tokens"));
  dr.Finish();
  return std::make_unique<SyntheticStream>(std::move(profile), std::move(gaps), std::move(prompt),
                                           std::move(output), ctx);
}

}  // namespace fleetsim
