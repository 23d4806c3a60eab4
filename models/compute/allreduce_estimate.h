// A closed-form cost of a ring all-reduce inside one NVSwitch server, for the
// tensor-parallel collectives of roofline.h until the network model (models/network/) is
// plugged in through the same AllReduceSeconds signature. Contention-free by construction:
// one collective at a time on otherwise idle links.
//
// NCCL runs a ring all-reduce with one of three protocols and picks, per call, the one its
// cost model says is fastest (NCCL src/graph/tuning.cc, ncclTopoTuneModel and
// ncclTopoGetAlgoTime): LL (8-byte lines with inline flags: lowest latency, a quarter of the
// bandwidth), LL128 (128-byte lines with flags: 120/128 of the bandwidth, more latency per
// step) and Simple (bulk copies with separate synchronisation: full bandwidth, the most
// latency per step). The model here is that cost model with the measured peak:
//
//   t(bytes, n) = launch + min over protocols p of
//                 base_p + 2 (n - 1) x step_p + 2 (n - 1) / n x bytes / (bus_bandwidth x frac_p)
//
// The ring moves 2(n-1)/n of the buffer over each GPU's link in 2(n-1) steps (NCCL's "bus
// bandwidth" convention, nccl-tests doc/PERFORMANCE.md). Small messages take LL (latency
// bound), medium ones (~1-30 MB on 8 GPUs) LL128, large ones Simple: a medium message is
// slower than the peak bus bandwidth suggests.
#pragma once

#include <string>
#include <vector>

namespace fleetsim {

// One NCCL protocol of the ring all-reduce.
struct RingProtocol {
  std::string name;
  double base_latency_s = 0;      // per collective
  double step_latency_s = 0;      // per ring step (2 (n - 1) steps)
  double bandwidth_fraction = 1;  // of the peak bus bandwidth this protocol reaches
};

struct AlphaBetaAllReduce {
  // Fixed cost outside NCCL's model (kernel launch, stream synchronisation), per collective.
  double launch_s = 0;
  // Peak bus bandwidth (the Simple protocol's, nccl-tests "busbw" on large messages).
  double bus_bandwidth_bytes_per_s = 0;
  // The protocols NCCL chooses between; at least one.
  std::vector<RingProtocol> protocols;

  // Seconds for an all-reduce of `bytes` per rank over `ranks` GPUs; 0 for one rank.
  double operator()(double bytes, int ranks) const;
  // The protocol operator() takes for this size ("" for one rank).
  std::string ProtocolFor(double bytes, int ranks) const;
};

// DGX A100 (NVSwitch, 300 GB/s per direction per GPU), NCCL ring:
//   protocols from NCCL's own cost model (src/graph/tuning.cc of the NCCL 2.18-2.19 series,
//     the version of 2023 vLLM-era software; NVLink, Ring):
//       LL     base 6.6 us, 0.6 us per step, 1/4 of the bus bandwidth (LL's llMaxBw cap of
//              87.7 GB/s for one Ampere node does not bind at 210 / 4)
//       LL128  base 14 us,  1.9 us per step, 0.92 (= 120/128 with NCCL's rounding)
//       Simple base 8.4 us, 3.4 us per step, 1
//     (the per-channel LL128 cap, 20 GB/s x channels, does not bind with NCCL's channel
//     count on NVSwitch and is left out);
//   bus bandwidth 210 GB/s = 0.70 x 300 GB/s: nccl-tests on 8 x A100-SXM4-80GB over NVLink
//     peak at a bus bandwidth of ~200-208 GB/s (NVIDIA/nccl-tests issues #149 and #178, 2023);
//   launch 2.3 us: nccl-tests all_reduce_perf of 32 B on 2 x A100-SXM4 took 10.1 us
//     (NVIDIA/nccl issue #583, 2021-10); NCCL's model gives 7.8 us for it (LL: 6.6 + 2 x 0.6).
// Over 2 GPUs 16 KB (one Llama-2-70B decode token) takes 10.4 us (LL); over 8 GPUs 17.9 us
// (LL). 8 MiB (a 512-token Llama-2-70B prefill) over 8 GPUs: 118.9 us (LL128), an effective
// bus bandwidth of 123 GB/s; 32 MiB: 337.9 us (Simple), 174 GB/s; 1 GB: 8.39 ms, 209 GB/s.
AlphaBetaAllReduce DgxA100AllReduce();

}  // namespace fleetsim
