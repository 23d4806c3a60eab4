// `fleetsim estimate`: the seed essay's arithmetic for a model, a device and a price.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "models/catalog/catalog.h"
#include "models/estimate/estimate.h"
#include "scenarios/cli/args.h"
#include "scenarios/cli/commands.h"
#include "sim/config/config_error.h"
#include "sim/suggest.h"

namespace fleetsim {

namespace {

std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string Human(double v, const Dimension& d) { return FormatQuantity(v, d); }

std::string Seconds(double s) {
  if (s < 1e-3) return Fmt("%.3g us", s * 1e6);
  if (s < 1) return Fmt("%.3g ms", s * 1e3);
  if (s < 600) return Fmt("%.3g s", s);
  if (s < 2 * 86400) return Fmt("%.3g s", s) + Fmt(" (%.3g h)", s / 3600);
  return Fmt("%.3g s", s) + " (" + FormatCount(std::round(s / 86400)) + " days)";
}

void Row(std::string label, const std::string& value) {
  label.resize(std::max<size_t>(label.size() + 1, 40), ' ');
  std::cout << "  " << label << value << "\n";
}

}  // namespace

int RunEstimate(const std::vector<std::string>& args) {
  ArgParser p("estimate",
              "The seed essay's back-of-envelope numbers (S1, S2, S4, S5): forward FLOPs 2np,\n"
              "training FLOPs 6pD (D = 20 tokens per parameter unless given), memory for\n"
              "weights and for training (+8 bytes/param), time on the devices, cost per 1k\n"
              "tokens, training cost, and energy over years. Rules of thumb, not a simulation.");
  p.Option("--model", "NAME", "model card (fleetsim list models), e.g. gpt3-175b");
  p.Option("--params", "COUNT", "parameter count instead of a model card, e.g. 175B");
  p.Option("--tokens", "COUNT", "tokens of one inference, prompt + output (default 1024)");
  p.Option("--training-tokens", "COUNT", "training tokens D (default 20 per parameter)");
  p.Option("--precision", "NAME", "fp32|tf32|bf16|fp16|fp8|int8|int4 (default fp16)");
  p.Option("--device", "NAME", "device from the catalog (default A100)");
  p.Option("--devices", "N", "number of devices (default 1)");
  p.Option("--utilization", "FRACTION", "fraction of the dense peak achieved (default 1)");
  p.Option("--price", "PRICE", "price per device-hour, e.g. '$2/h'");
  p.Option("--power", "POWER", "power per device, e.g. '350 W' (default: the device's TDP)");
  p.Option("--duty", "FRACTION", "average duty over the years, e.g. 0.33 (default 1)");
  p.Option("--years", "N", "years of operation for the energy estimate (default 3)");
  p.Option("--electricity", "PRICE", "electricity price, e.g. '$0.10/kWh'");
  p.Option("--catalog", "FILE", "extra catalog file (devices/models) overriding the shipped one",
           true);
  p.Flag("--json", "print one JSON object (keys documented in docs/estimate.md)");
  p.Parse(args);
  if (p.help_requested()) {
    std::cout << p.Help();
    return 0;
  }

  Catalog catalog = Catalog::LoadShipped(DefaultDataDir());
  for (const auto& f : p.GetAll("--catalog")) catalog.AddFile(f);

  EstimateInput in;
  if (p.Has("--model") && p.Has("--params")) {
    throw InputError("give either --model or --params, not both");
  }
  if (auto m = p.Get("--model")) {
    const ModelCard& card = catalog.FindModel(*m);
    in.model_name = card.name;
    in.params = ParameterCount(card);
  } else if (auto params = p.GetCount("--params")) {
    in.params = *params;
  } else {
    throw InputError("give --model NAME or --params COUNT (see 'fleetsim list models')");
  }
  if (auto t = p.GetCount("--tokens")) in.tokens = *t;
  in.training_tokens = p.GetCount("--training-tokens");
  if (auto prec = p.Get("--precision")) {
    auto parsed = ParsePrecision(*prec);
    if (!parsed) {
      throw InputError("--precision '" + *prec + "': unknown precision",
                       ClosestName(*prec, PrecisionNames()).value_or(""));
    }
    in.precision = *parsed;
  }
  in.device = &catalog.FindDevice(p.Get("--device").value_or("A100"));
  if (auto n = p.GetInt("--devices")) in.devices = *n;
  if (auto u = p.GetFraction("--utilization")) in.utilization = *u;
  in.price_usd_per_device_s = p.GetQuantity("--price", dim::kUsdPerSecond);
  in.power_watts = p.GetQuantity("--power", dim::kWatts);
  if (auto d = p.GetFraction("--duty")) in.duty = *d;
  if (auto y = p.GetQuantity("--years", dim::kNumber)) in.years = *y;
  in.electricity_usd_per_joule = p.GetQuantity("--electricity", dim::kUsdPerJoule);

  const EstimateResult r = Estimate(in);

  if (p.Has("--json")) {
    nlohmann::ordered_json j;
    j["schema"] = "fleetsim.estimate/1";
    j["model"] = in.model_name.empty() ? nlohmann::ordered_json(nullptr)
                                       : nlohmann::ordered_json(in.model_name);
    j["params"] = r.params;
    j["precision"] = std::string(PrecisionName(in.precision));
    j["bytes_per_param"] = r.bytes_per_param;
    j["device"] = in.device->name;
    j["devices"] = in.devices;
    j["utilization"] = in.utilization;
    j["device_peak_flops_per_s"] = r.device_peak_flops_per_s;
    j["device_memory_bytes"] = r.device_memory_bytes;
    j["tokens"] = r.tokens;
    j["inference_flops"] = r.inference_flops;
    j["inference_seconds"] = r.inference_seconds;
    j["gpu_seconds_per_1k_tokens"] = r.device_seconds_per_1k_tokens;
    j["decode_seconds_per_token_bandwidth_bound"] = r.decode_seconds_per_token_bandwidth_bound;
    j["training_tokens"] = r.training_tokens;
    j["training_tokens_rule"] = r.training_tokens_chinchilla ? "chinchilla-20-per-param" : "given";
    j["training_flops"] = r.training_flops;
    j["training_seconds"] = r.training_seconds;
    j["training_gpu_hours"] = r.training_device_hours;
    j["weights_bytes"] = r.weights_bytes;
    j["training_memory_bytes"] = r.training_memory_bytes;
    j["weights_fit"] = r.weights_fit;
    j["training_fits"] = r.training_fits;
    j["min_devices_inference"] = r.min_devices_inference;
    j["min_devices_training"] = r.min_devices_training;
    auto opt = [](const std::optional<double>& v) {
      return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(nullptr);
    };
    j["price_usd_per_gpu_hour"] = in.price_usd_per_device_s
                                      ? nlohmann::ordered_json(*in.price_usd_per_device_s * 3600)
                                      : nlohmann::ordered_json(nullptr);
    j["cost_usd_per_1k_tokens"] = opt(r.cost_usd_per_1k_tokens);
    j["training_cost_usd"] = opt(r.training_cost_usd);
    j["power_watts_per_device"] = r.power_watts;
    j["duty"] = in.duty;
    j["years"] = in.years;
    j["energy_kwh"] = r.energy_kwh;
    j["energy_cost_usd"] = opt(r.energy_cost_usd);
    std::cout << j.dump(2) << "\n";
    return 0;
  }

  const std::string who = in.model_name.empty()
                              ? FormatCount(r.params) + " parameters"
                              : in.model_name + " (" + FormatCount(r.params) + " parameters)";
  std::cout << "fleetsim estimate: " << who << ", " << PrecisionName(in.precision) << ", on "
            << in.devices << " x " << in.device->name << " at " << Fmt("%.3g", in.utilization * 100)
            << " % of " << Human(r.device_peak_flops_per_s, dim::kFlopPerSecond) << "\n\n";
  std::cout << "memory (S2)\n";
  Row("weights",
      Human(r.weights_bytes, dim::kBytes) + Fmt(" (%.3g bytes/param)", r.bytes_per_param));
  Row("training (+8 bytes/param)", Human(r.training_memory_bytes, dim::kBytes));
  if (r.device_memory_bytes > 0) {
    Row("device memory", Human(r.device_memory_bytes, dim::kBytes));
    Row("devices to hold the weights",
        std::to_string(r.min_devices_inference) + (r.weights_fit ? " (fits)" : " (does NOT fit)"));
    Row("devices to hold training state",
        std::to_string(r.min_devices_training) + (r.training_fits ? " (fits)" : " (does NOT fit)"));
  }
  std::cout << "\ninference (S1, S4)\n";
  Row("forward FLOPs, 2np, n = " + FormatCount(r.tokens), Fmt("%.4g FLOP", r.inference_flops));
  Row("time on the devices", Seconds(r.inference_seconds));
  Row("device-seconds per 1k tokens", Fmt("%.4g s", r.device_seconds_per_1k_tokens));
  if (r.decode_seconds_per_token_bandwidth_bound > 0) {
    Row("batch-1 decode, bandwidth bound (S3)",
        Seconds(r.decode_seconds_per_token_bandwidth_bound) + " per token");
  }
  if (r.cost_usd_per_1k_tokens) {
    Row(Fmt("compute cost per 1k tokens at $%.3g/h", *in.price_usd_per_device_s * 3600),
        FormatUsd(*r.cost_usd_per_1k_tokens));
  }
  std::cout << "\ntraining (S1, S4)\n";
  Row(r.training_tokens_chinchilla ? "tokens D (Chinchilla, 20 per param)" : "tokens D",
      FormatCount(r.training_tokens));
  Row("training FLOPs, 6pD", Fmt("%.4g FLOP", r.training_flops));
  Row("time on the devices", Seconds(r.training_seconds));
  Row("device-hours", FormatCount(std::round(r.training_device_hours)));
  if (r.training_cost_usd) Row("compute cost", FormatUsd(*r.training_cost_usd));
  std::cout << "\nenergy (S5)\n";
  Row("power per device", Human(r.power_watts, dim::kWatts));
  Row(Fmt("energy over %.3g years", in.years) + Fmt(" at %.3g %% duty", in.duty * 100),
      FormatCount(std::round(r.energy_kwh)) + " kWh");
  if (r.energy_cost_usd) {
    Row(Fmt("energy cost at $%.3g/kWh", *in.electricity_usd_per_joule * 3.6e6),
        FormatUsd(*r.energy_cost_usd));
  }
  return 0;
}

}  // namespace fleetsim
