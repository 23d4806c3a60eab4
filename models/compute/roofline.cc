#include "models/compute/roofline.h"

#include <algorithm>
#include <cmath>

#include "sim/config/config_error.h"

namespace fleetsim {

Efficiency DefaultEfficiency(DeviceKind kind) {
  // Without a measurement, take values at the low end of what comparable parts reach:
  // the MAMF table (models/catalog/devices.yaml, source mamf-table) spans 60 % (MI300X) to
  // 86 % (A100 SXM) of the dense peak; copies reach ~90 % of the HBM peak on A100 and H200.
  Efficiency e;
  switch (kind) {
    case DeviceKind::kGpu:
      e.gemm_max = 0.75;
      e.memory = 0.85;
      e.kernel_overhead_s = 5e-6;
      break;
    case DeviceKind::kTpu:
    case DeviceKind::kAccelerator:
      e.gemm_max = 0.70;
      e.memory = 0.85;
      e.kernel_overhead_s = 5e-6;
      break;
    case DeviceKind::kCpu:
      e.gemm_max = 0.50;
      e.memory = 0.60;
      e.kernel_overhead_s = 0;
      break;
  }
  e.origin = std::string("default for kind ") + DeviceKindName(kind) +
             " (no efficiency block in the catalog)";
  return e;
}

Efficiency ResolveEfficiency(const DeviceSpec& device) {
  if (!device.efficiency) return DefaultEfficiency(device.kind);
  const DeviceEfficiency& c = *device.efficiency;
  Efficiency e;
  e.gemm_max = c.gemm_max;
  e.training_gemm_max = c.training_gemm_max;
  e.memory = c.memory;
  e.sm_count = c.sm_count;
  e.gemm_tile = c.gemm_tile;
  e.kernel_overhead_s = c.kernel_overhead_s;
  e.step_overhead_s = c.step_overhead_s;
  e.from_catalog = true;
  e.origin = "catalog efficiency block (source: " + c.source.id + ")";
  return e;
}

double GemmEfficiency(const Efficiency& e, int64_t m, int64_t n) {
  m = std::max<int64_t>(1, m);
  n = std::max<int64_t>(1, n);
  // GEMM libraries carry kernels with tile edges from the MMA granularity (16) up to the
  // large tile (cublasLtMatmulTile_t lists 16x8 ... 256x128): a small dimension runs on the
  // smallest power-of-two tile that holds it, a large one on the large tile.
  const int64_t big = std::max<int64_t>(kMinTile, e.gemm_tile);
  auto tile_edge = [&](int64_t x) {
    int64_t t = kMinTile;
    while (t < x && t < big) t *= 2;
    return static_cast<double>(std::min(t, big));
  };
  const double tm = tile_edge(m), tn = tile_edge(n);
  const double tiles_m = std::ceil(m / tm);
  const double tiles_n = std::ceil(n / tn);
  const double tile = (static_cast<double>(m) * n) / (tiles_m * tm * tiles_n * tn);
  double wave = 1.0;
  if (e.sm_count > 0) {
    const double w = tiles_m * tiles_n / static_cast<double>(e.sm_count);
    wave = w / (w + kWaveTail);
  }
  return e.gemm_max * tile * wave;
}

Runtime CompiledRuntime() { return Runtime{"compiled", 0, 0, 0}; }

Runtime EagerRuntime2023() {
  // Sources and derivations: roofline.h and docs/models.md ("Runtimes").
  Runtime r;
  r.name = "eager-2023";
  r.host_per_kernel_s = 26e-6;
  r.step_overhead_s = 9e-3;
  r.per_sequence_s = 10 * r.host_per_kernel_s;
  return r;
}

StepTiming TimeStep(const OpList& list, const DeviceSpec& device, const TimingOptions& opt) {
  if (!device.memory_bandwidth_bytes_per_s) {
    throw InputError("device '" + device.name + "' has no memory bandwidth in the catalog");
  }
  Efficiency e = ResolveEfficiency(device);
  if (opt.training && e.training_gemm_max > 0) {
    e.gemm_max = e.training_gemm_max;
    e.origin += " (training_gemm_max)";
  }
  const double bandwidth = device.memory_bandwidth_bytes_per_s->value * e.memory;
  StepTiming st;
  st.efficiency_origin = e.origin;
  double kernels = 0;
  for (const Op& op : list.ops) {
    OpTiming t;
    t.name = op.name;
    t.kind = op.kind;
    t.phase = op.phase;
    t.count = op.count;
    kernels += op.kernels * op.count;
    if (op.kind == OpKind::kCommunication) {
      if (opt.allreduce && op.comm_ranks > 1)
        t.comm_s = opt.allreduce(op.comm_bytes, op.comm_ranks);
      t.seconds = t.comm_s * op.count;
      st.comm_s += t.seconds;
      st.ops.push_back(t);
      continue;
    }
    const auto peak = device.Peak(op.precision);
    if (!peak) {
      throw InputError("device '" + device.name + "' has no " +
                       std::string(PrecisionName(op.precision)) + " peak in the catalog");
    }
    double eff = e.gemm_max;
    double rate = *peak;
    if (op.kind == OpKind::kGemm || op.kind == OpKind::kAttention) {
      eff = GemmEfficiency(e, op.m, op.n);
    } else if (auto vector = device.Peak(Precision::kFp32)) {
      // Element-wise work runs on the vector units, not the matrix units.
      rate = std::min(rate, *vector);
    }
    t.efficiency = eff;
    t.compute_s = op.flops / (rate * eff);
    t.memory_s = op.Bytes() / bandwidth;
    t.overhead_s = op.kernels * e.kernel_overhead_s;
    t.compute_bound = t.compute_s >= t.memory_s;
    t.seconds = (std::max(t.compute_s, t.memory_s) + t.overhead_s) * op.count;
    if (t.compute_bound) {
      st.compute_s += t.compute_s * op.count;
    } else {
      st.memory_s += t.memory_s * op.count;
    }
    st.overhead_s += t.overhead_s * op.count;
    st.ops.push_back(t);
  }
  st.gpu_s = st.compute_s + st.memory_s + st.overhead_s + st.comm_s;
  st.host_s = kernels * opt.runtime.host_per_kernel_s;
  st.host_bound = st.host_s > st.gpu_s;
  st.fixed_s = e.step_overhead_s + opt.runtime.step_overhead_s +
               opt.runtime.per_sequence_s * static_cast<double>(opt.sequences);
  st.total_s = std::max(st.gpu_s, st.host_s) + st.fixed_s;
  return st;
}

}  // namespace fleetsim
