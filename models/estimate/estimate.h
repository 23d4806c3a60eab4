// The seed essay's back-of-envelope arithmetic (S1, S2, S4, S5), instantly:
//   forward FLOPs 2*n*p, training FLOPs 6*p*D (D = 20 p, Chinchilla, when not given),
//   weights p*bytes(precision), training memory p*(bytes(precision) + 8) (S2),
//   time = FLOPs / (devices * peak * utilisation), cost = device-hours * price,
//   energy = devices * power * duty * years.
// These are the rules of thumb the simulator is checked against, not the simulator:
// they ignore memory bandwidth, communication and batching (see docs/models.md).
#pragma once

#include <optional>
#include <string>

#include "models/catalog/device_spec.h"
#include "models/catalog/model_card.h"
#include "models/precision.h"

namespace fleetsim {

struct EstimateInput {
  std::string model_name;                 // for display; empty when params were given directly
  double params = 0;                      // p
  double tokens = 1024;                   // n, tokens of one inference (prompt + output)
  std::optional<double> training_tokens;  // D; nullopt = Chinchilla 20 per parameter
  Precision precision = Precision::kFp16;
  const DeviceSpec* device = nullptr;
  int64_t devices = 1;
  double utilization = 1.0;  // fraction of the dense peak achieved
  std::optional<double> price_usd_per_device_s;
  // Energy: power per device (default: the device's TDP), average duty, years, $/J.
  std::optional<double> power_watts;
  double duty = 1.0;
  double years = 3.0;
  std::optional<double> electricity_usd_per_joule;
};

struct EstimateResult {
  double params = 0;
  double bytes_per_param = 0;
  double tokens = 0;
  double inference_flops = 0;
  double training_tokens = 0;
  bool training_tokens_chinchilla = false;
  double training_flops = 0;
  double weights_bytes = 0;
  double training_memory_bytes = 0;
  double device_memory_bytes = 0;      // 0 when the catalog gives none
  double device_peak_flops_per_s = 0;  // at the chosen precision
  double effective_flops_per_s = 0;    // devices * peak * utilisation
  bool weights_fit = false;            // on `devices` devices
  bool training_fits = false;
  int64_t min_devices_inference = 0;  // to hold the weights
  int64_t min_devices_training = 0;   // to hold weights + 8 B/param
  double inference_seconds = 0;       // one inference of `tokens` tokens on all devices
  double device_seconds_per_1k_tokens = 0;
  // Batch-1 decode reads every weight once per token: the bandwidth bound of S3.
  double decode_seconds_per_token_bandwidth_bound = 0;
  double training_seconds = 0;
  double training_device_hours = 0;
  std::optional<double> cost_usd_per_1k_tokens;
  std::optional<double> training_cost_usd;
  double power_watts = 0;  // per device
  double energy_kwh = 0;   // all devices over `years` at `duty`
  std::optional<double> energy_cost_usd;
};

// Preconditions (checked, InputError otherwise): device set with a peak at the precision,
// params > 0, tokens > 0, devices >= 1, 0 < utilization <= 1, 0 <= duty <= 1, years >= 0.
EstimateResult Estimate(const EstimateInput& in);

// Chinchilla-optimal training tokens (Hoffmann et al. 2022): 20 per parameter.
inline constexpr double kChinchillaTokensPerParam = 20.0;
// S2: extra bytes per parameter for training (fp32 intermediate values / optimizer state).
inline constexpr double kTrainingExtraBytesPerParam = 8.0;

}  // namespace fleetsim
