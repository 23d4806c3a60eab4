#include "models/workload/lengths.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <vector>

#include "sim/config/config.h"

namespace fleetsim {

namespace {

int64_t ReadTokens(const ConfigNode& n, const char* what) {
  const int64_t v = n.AsInt();
  if (v < 1) n.Fail(std::string(what) + " must be at least 1 token");
  return v;
}

class Fixed final : public LengthDistribution {
 public:
  explicit Fixed(int64_t v) : v_(v) {}
  int64_t Sample(Rng&) const override { return v_; }
  double Mean() const override { return static_cast<double>(v_); }

 private:
  int64_t v_;
};

class Uniform final : public LengthDistribution {
 public:
  Uniform(int64_t lo, int64_t hi) : lo_(lo), hi_(hi) {}
  int64_t Sample(Rng& rng) const override {
    return lo_ + static_cast<int64_t>(rng.UniformInt(static_cast<uint64_t>(hi_ - lo_ + 1)));
  }
  double Mean() const override { return 0.5 * static_cast<double>(lo_ + hi_); }

 private:
  int64_t lo_, hi_;
};

class Lognormal final : public LengthDistribution {
 public:
  Lognormal(double median, double sigma, int64_t lo, int64_t hi)
      : mu_(std::log(median)), sigma_(sigma), lo_(lo), hi_(hi) {}
  int64_t Sample(Rng& rng) const override {
    const double x = std::llround(rng.Lognormal(mu_, sigma_));
    return std::clamp(static_cast<int64_t>(x), lo_, hi_);
  }
  // Mean of the unclamped distribution, exp(mu + sigma^2 / 2), clamped to the range: an
  // approximation used only for capacity planning hints, never for results.
  double Mean() const override {
    return std::clamp(std::exp(mu_ + 0.5 * sigma_ * sigma_), static_cast<double>(lo_),
                      static_cast<double>(hi_));
  }

 private:
  double mu_, sigma_;
  int64_t lo_, hi_;
};

class Empirical final : public LengthDistribution {
 public:
  explicit Empirical(EmpiricalDistribution d) : d_(std::move(d)) {}
  int64_t Sample(Rng& rng) const override { return std::llround(d_.Sample(rng)); }
  double Mean() const override { return d_.Mean(); }

 private:
  EmpiricalDistribution d_;
};

std::unique_ptr<LengthDistribution> MakeFixed(const ConfigNode&, MapReader& r) {
  return std::make_unique<Fixed>(ReadTokens(r.Required("value"), "value"));
}

std::unique_ptr<LengthDistribution> MakeUniform(const ConfigNode& node, MapReader& r) {
  const int64_t lo = ReadTokens(r.Required("min"), "min");
  auto max_node = r.Required("max");
  const int64_t hi = ReadTokens(max_node, "max");
  if (hi < lo) max_node.Fail("max must not be below min");
  return std::make_unique<Uniform>(lo, hi);
}

std::unique_ptr<LengthDistribution> MakeLognormal(const ConfigNode& node, MapReader& r) {
  auto median_node = r.Required("median");
  const double median = median_node.AsDouble();
  if (!(median >= 1)) median_node.Fail("median must be at least 1 token");
  auto sigma_node = r.Required("sigma");
  const double sigma = sigma_node.AsDouble();
  if (!(sigma >= 0)) sigma_node.Fail("sigma must not be negative");
  int64_t lo = 1, hi = int64_t{1} << 40;
  if (auto n = r.Optional("min")) lo = ReadTokens(*n, "min");
  if (auto n = r.Optional("max")) {
    hi = ReadTokens(*n, "max");
    if (hi < lo) n->Fail("max must not be below min");
  }
  return std::make_unique<Lognormal>(median, sigma, lo, hi);
}

std::unique_ptr<LengthDistribution> MakeEmpirical(const ConfigNode& node, MapReader& r) {
  std::vector<double> values, weights;
  auto file = r.Optional("file");
  auto vals = r.Optional("values");
  auto ws = r.Optional("weights");
  if (file && vals) node.Fail("give either values or file, not both");
  if (vals) {
    for (const auto& v : vals->Items())
      values.push_back(static_cast<double>(ReadTokens(v, "value")));
    if (values.empty()) vals->Fail("values must not be empty");
    if (ws) {
      for (const auto& w : ws->Items()) {
        const double x = w.AsDouble();
        if (!(x >= 0)) w.Fail("weights must not be negative");
        weights.push_back(x);
      }
      if (weights.size() != values.size()) ws->Fail("weights and values differ in length");
    }
  } else if (file) {
    // Relative paths are relative to the YAML file that names them.
    std::string path = file->AsString();
    const std::string& base = node.file();
    if (!path.empty() && path[0] != '/' && base.find('/') != std::string::npos) {
      path = base.substr(0, base.rfind('/') + 1) + path;
    }
    std::ifstream in(path);
    if (!in) file->Fail("cannot open '" + path + "'");
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.empty() || line[0] == '#') continue;
      const size_t comma = line.find(',');
      char* end = nullptr;
      const std::string v = line.substr(0, comma);
      const double value = std::strtod(v.c_str(), &end);
      double weight = 1;
      bool ok = end == v.c_str() + v.size() && value >= 1 && std::isfinite(value);
      if (ok && comma != std::string::npos) {
        const std::string w = line.substr(comma + 1);
        weight = std::strtod(w.c_str(), &end);
        ok = end == w.c_str() + w.size() && weight >= 0 && std::isfinite(weight);
      }
      if (!ok) {
        throw ConfigError(path, line_no, 1, "",
                          "expected 'tokens[,weight]' with tokens >= 1, got '" + line + "'", line);
      }
      values.push_back(value);
      weights.push_back(weight);
    }
    if (values.empty()) file->Fail("'" + path + "' holds no values");
  } else {
    node.Fail("empirical needs values or file");
  }
  try {
    return std::make_unique<Empirical>(EmpiricalDistribution(values, weights));
  } catch (const std::invalid_argument& e) {
    node.Fail(e.what());
  }
}

}  // namespace

const Registry<LengthFactory>& LengthDistributions() {
  static const Registry<LengthFactory> registry = [] {
    Registry<LengthFactory> r("length distribution");
    r.Add({"fixed", "every request has the same length", "value: tokens", MakeFixed});
    r.Add({"uniform", "integers uniformly in [min, max]", "min, max: tokens", MakeUniform});
    r.Add({"lognormal", "lognormal with a median and sigma, clamped",
           "median: tokens; sigma: of ln(length); min, max: clamp (default 1 and unbounded)",
           MakeLognormal});
    r.Add({"empirical", "observed lengths with weights, inline or from a file",
           "values: [tokens...], weights: [...] (default equal); or file: one 'tokens[,weight]' "
           "per line",
           MakeEmpirical});
    return r;
  }();
  return registry;
}

std::unique_ptr<LengthDistribution> ReadLengthDistribution(const ConfigNode& node) {
  MapReader r(node);
  auto name_node = r.Required("distribution");
  const std::string name = name_node.AsString();
  const auto* entry = LengthDistributions().TryFind(name);
  if (!entry) {
    name_node.Fail("unknown length distribution '" + name + "'",
                   ClosestName(name, LengthDistributions().NameList()).value_or(""));
  }
  auto d = entry->factory(node, r);
  r.Finish();
  return d;
}

}  // namespace fleetsim
