// A closed-form (alpha-beta) cost of a ring all-reduce inside one NVSwitch server, for the
// tensor-parallel collectives of roofline.h until the network model (models/network/) is
// plugged in through the same AllReduceSeconds signature. Contention-free by construction:
// one collective at a time on otherwise idle links.
//
//   t(bytes, n) = base_latency + 2 (n - 1) x step_latency + 2 (n - 1) / n x bytes / bus_bandwidth
//
// The ring moves 2(n-1)/n of the buffer over each GPU's link in 2(n-1) steps (NCCL's
// "bus bandwidth" convention, nccl-tests doc/PERFORMANCE.md).
#pragma once

namespace fleetsim {

struct AlphaBetaAllReduce {
  double base_latency_s = 0;  // fixed cost of one collective (launch, synchronisation)
  double step_latency_s = 0;  // per ring step
  double bus_bandwidth_bytes_per_s = 0;

  // Seconds for an all-reduce of `bytes` per rank over `ranks` GPUs; 0 for one rank.
  double operator()(double bytes, int ranks) const;
};

// DGX A100 (NVSwitch, 300 GB/s per direction per GPU), NCCL ring:
//   step latency 0.47 us: NCCL's own cost model, src/graph/tuning.cc, hwLat[NVLINK][Ring][LL];
//   base latency 9.2 us: nccl-tests all_reduce_perf of 32 B on 2 x A100-SXM4 took 10.1 us
//     (NVIDIA/nccl issue #583, 2021-10) = base + 2 steps;
//   bus bandwidth 210 GB/s = 0.70 x 300 GB/s: nccl-tests on 8 x A100-SXM4-80GB over NVLink
//     peak at a bus bandwidth of ~200-208 GB/s (NVIDIA/nccl-tests issues #149 and #178, 2023).
// Over 2 GPUs 16 KB (one Llama-2-70B decode token) takes 10.2 us; over 8 GPUs 15.9 us.
AlphaBetaAllReduce DgxA100AllReduce();

}  // namespace fleetsim
