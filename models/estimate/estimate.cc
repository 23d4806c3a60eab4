#include "models/estimate/estimate.h"

#include <cmath>
#include <string>

#include "sim/config/config_error.h"

namespace fleetsim {

namespace {
int64_t DevicesToHold(double bytes, double per_device) {
  if (per_device <= 0) return 0;
  return static_cast<int64_t>(std::ceil(bytes / per_device - 1e-12));
}
}  // namespace

EstimateResult Estimate(const EstimateInput& in) {
  if (in.device == nullptr) throw InputError("estimate: no device given");
  const auto peak = in.device->Peak(in.precision);
  if (!peak) {
    throw InputError("device '" + in.device->name + "' has no " +
                     std::string(PrecisionName(in.precision)) +
                     " datapath in the catalog; choose another --precision");
  }
  if (!(in.params > 0)) throw InputError("the parameter count must be greater than zero");
  if (!(in.tokens > 0)) throw InputError("--tokens must be greater than zero");
  if (in.devices < 1) throw InputError("--devices must be at least 1");
  if (!(in.utilization > 0 && in.utilization <= 1)) {
    throw InputError("--utilization must be in (0, 1]");
  }
  if (!(in.duty >= 0 && in.duty <= 1)) throw InputError("--duty must be in [0, 1]");
  if (!(in.years >= 0)) throw InputError("--years must not be negative");
  if (in.training_tokens && !(*in.training_tokens > 0)) {
    throw InputError("--training-tokens must be greater than zero");
  }

  EstimateResult r;
  const double p = in.params;
  r.params = p;
  r.bytes_per_param = BytesPerElement(in.precision);
  r.tokens = in.tokens;
  r.inference_flops = 2.0 * in.tokens * p;
  r.training_tokens_chinchilla = !in.training_tokens.has_value();
  r.training_tokens = in.training_tokens.value_or(kChinchillaTokensPerParam * p);
  r.training_flops = 6.0 * p * r.training_tokens;
  r.weights_bytes = p * r.bytes_per_param;
  r.training_memory_bytes = p * (r.bytes_per_param + kTrainingExtraBytesPerParam);

  const double n = static_cast<double>(in.devices);
  r.device_peak_flops_per_s = *peak;
  r.effective_flops_per_s = n * *peak * in.utilization;
  if (in.device->memory_bytes) {
    r.device_memory_bytes = in.device->memory_bytes->value;
    r.min_devices_inference = DevicesToHold(r.weights_bytes, r.device_memory_bytes);
    r.min_devices_training = DevicesToHold(r.training_memory_bytes, r.device_memory_bytes);
    r.weights_fit = r.min_devices_inference <= in.devices;
    r.training_fits = r.min_devices_training <= in.devices;
  }
  r.inference_seconds = r.inference_flops / r.effective_flops_per_s;
  r.device_seconds_per_1k_tokens = 2.0 * 1000.0 * p / (*peak * in.utilization);
  if (in.device->memory_bandwidth_bytes_per_s) {
    r.decode_seconds_per_token_bandwidth_bound =
        r.weights_bytes / (n * in.device->memory_bandwidth_bytes_per_s->value);
  }
  r.training_seconds = r.training_flops / r.effective_flops_per_s;
  r.training_device_hours = r.training_seconds * n / 3600.0;
  if (in.price_usd_per_device_s) {
    r.cost_usd_per_1k_tokens = r.device_seconds_per_1k_tokens * *in.price_usd_per_device_s;
    r.training_cost_usd = r.training_seconds * n * *in.price_usd_per_device_s;
  }
  r.power_watts = in.power_watts.value_or(in.device->tdp_watts ? in.device->tdp_watts->value : 0);
  const double seconds = in.years * 8760.0 * 3600.0;
  r.energy_kwh = n * r.power_watts * in.duty * seconds / 3.6e6;
  if (in.electricity_usd_per_joule) {
    r.energy_cost_usd = r.energy_kwh * 3.6e6 * *in.electricity_usd_per_joule;
  }
  return r;
}

}  // namespace fleetsim
