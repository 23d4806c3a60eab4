// Spot capacity of one cloud pool over simulated time: when it is interrupted, with how
// much notice, which instances are hit, and when capacity returns.
//
// The process alternates available and unavailable periods (a two-state Markov-modulated
// process when available_cv = 1):
//   available   ~ Gamma(mean = mean_available, CV = available_cv)   (exponential at CV 1;
//                 CV > 1 clusters interruptions in bursts)
//   unavailable ~ Exponential(mean = mean_unavailable)
// Each unavailable period starts with an interruption: the provider reclaims instances at
// its start and sends a notice `notice` earlier (never before the available period began).
// Interruptions are correlated across nodes: with probability gang_all_or_nothing they
// hit every running instance of the pool together (Wu et al., NSDI 2024, "Can't Be Late":
// spot availability of 4- and 16-node groups was all-or-nothing more than 94 % of the
// time); otherwise they hit k of n instances, k uniform on 1..n-1. While unavailable the
// pool cannot provision new spot instances.
//
// Randomness comes from the kernel's named streams (one stream per pool), so a run is
// reproducible and adding another pool does not change this pool's interruptions.
// What does not belong here: billing (cost_model.h) and what a job does on a notice
// (checkpointing, failover to on-demand) — that is the simulation's policy.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "models/pricing/pools.h"
#include "sim/rng.h"

namespace fleetsim {

struct SpotInterruption {
  double notice_s = 0;           // the notice arrives (>= start of the available period)
  double reclaim_s = 0;          // the instances hit are gone at this instant
  double available_again_s = 0;  // the pool can provision again from here
  bool whole_gang = true;        // every running instance is hit
  uint64_t victim_seed = 0;      // which instances, when not the whole gang (SpotVictims)
};

class SpotAvailability {
 public:
  // Preconditions: the SpotParams preconditions (pools.h). Starts available at t = 0.
  SpotAvailability(const SpotParams& params, Rng rng);
  // The stream "spot/<pool_name>" of `streams`.
  static SpotAvailability ForPool(const SpotParams& params, const RngStreams& streams,
                                  std::string_view pool_name);

  // The next interruption, without consuming it.
  const SpotInterruption& Peek() const { return next_; }
  // The next interruption; the one after it becomes Peek(). Interruptions are in time order.
  SpotInterruption Next();

  // Long-run fraction of time the pool has capacity: mean_available / (mean_available +
  // mean_unavailable).
  double LongRunAvailability() const;

 private:
  SpotInterruption Draw(double period_start_s);
  SpotParams params_;
  Rng rng_;
  SpotInterruption next_;
};

// Which of `running` instances (indices 0..running-1) an interruption hits, ascending.
// All of them for a whole-gang interruption or when running <= 1.
std::vector<size_t> SpotVictims(const SpotInterruption& interruption, size_t running);

}  // namespace fleetsim
