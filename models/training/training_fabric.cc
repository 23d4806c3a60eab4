#include "models/training/training_fabric.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/config/config_error.h"

namespace fleetsim {

TrainingTraffic TrainingTrafficOf(const TrainingLayout& lay, const TrainingIteration& it,
                                  const TrainingNetwork& net) {
  TrainingTraffic t;
  t.tp = lay.tp;
  t.pp = lay.pp;
  t.dp = lay.dp;
  t.virtual_stages = lay.virtual_stages;
  t.microbatches = it.microbatches;
  t.pipeline_s =
      PipelineScheduleSeconds(it.microbatches, lay.pp, lay.virtual_stages, it.microbatch_s);
  t.overlap_s = lay.dp_overlap ? it.backward_s : 0;
  t.optimizer_s = it.optimizer_s;
  t.pp_bytes = it.pp_bytes_per_transfer;
  t.pp_message_latency_s = net.inter_node_latency_s;
  t.dp_bytes = it.dp_bytes_per_gpu;
  t.dp_last_bucket_bytes =
      lay.dp_overlap ? std::min(it.dp_last_bucket_bytes, it.dp_bytes_per_gpu) : 0;
  t.wire_efficiency = net.inter_node_efficiency;
  t.closed_form_iteration_s = it.iteration_s;
  return t;
}

std::vector<NodeId> PlaceOnServers(const ClusterGraph& g, const std::vector<int64_t>& servers,
                                   int64_t gpus, int tp) {
  const int64_t count = static_cast<int64_t>(g.servers().size());
  std::vector<std::vector<NodeId>> by_server(g.servers().size());
  for (NodeId n : g.gpus()) {
    const int32_t s = g.node(n).server;
    if (s >= 0) by_server[static_cast<size_t>(s)].push_back(n);
  }
  std::vector<NodeId> out;
  for (int64_t s : servers) {
    if (static_cast<int64_t>(out.size()) >= gpus) break;
    if (s < 0 || s >= count) {
      throw InputError("server " + std::to_string(s) + " is not a server of '" + g.name() +
                       "' (it has " + std::to_string(count) + ")");
    }
    const auto& mine = by_server[static_cast<size_t>(s)];
    if (mine.empty()) continue;
    if (tp > 0 && static_cast<int64_t>(mine.size()) % tp != 0) {
      throw InputError("server '" + g.servers()[static_cast<size_t>(s)].name + "' has " +
                       std::to_string(mine.size()) + " GPUs, not a multiple of the tensor-" +
                       "parallel degree " + std::to_string(tp) +
                       " (a TP group must stay inside a server)");
    }
    out.insert(out.end(), mine.begin(), mine.end());
  }
  if (static_cast<int64_t>(out.size()) < gpus) {
    throw InputError("the servers given hold " + std::to_string(out.size()) +
                     " GPUs; the job needs " + std::to_string(gpus));
  }
  out.resize(static_cast<size_t>(gpus));
  return out;
}

std::vector<NodeId> PlaceOnServers(const ClusterGraph& g, int64_t first_server, int64_t gpus,
                                   int tp) {
  const int64_t count = static_cast<int64_t>(g.servers().size());
  if (first_server < 0 || first_server >= count) {
    throw InputError("first_server " + std::to_string(first_server) + " is not a server of '" +
                     g.name() + "' (it has " + std::to_string(count) + ")");
  }
  std::vector<int64_t> servers;
  for (int64_t s = first_server; s < count; ++s) servers.push_back(s);
  return PlaceOnServers(g, servers, gpus, tp);
}

TrainingFabric::TrainingFabric(Simulator& sim, const Fabric& fabric)
    : sim_(sim),
      fabric_(fabric),
      net_(std::make_unique<NetworkModel>(sim, fabric)),
      coll_(std::make_unique<CollectiveEngine>(sim, *net_, fabric)) {}

TrainingFabric::~TrainingFabric() = default;

FabricTrainingJob::FabricTrainingJob(TrainingFabric& fabric, std::string name,
                                     const TrainingTraffic& traffic, std::vector<NodeId> gpus,
                                     int64_t iterations, SimTime start, bool fast_forward)
    : fab_(fabric),
      name_(std::move(name)),
      t_(traffic),
      gpus_(std::move(gpus)),
      fast_forward_(fast_forward),
      start_(start) {
  const int64_t n = static_cast<int64_t>(t_.tp) * t_.pp * t_.dp;
  if (t_.tp < 1 || t_.pp < 1 || t_.dp < 1 || static_cast<int64_t>(gpus_.size()) != n) {
    throw std::invalid_argument("training job '" + name_ + "': " + std::to_string(gpus_.size()) +
                                " GPUs for TP x PP x DP = " + std::to_string(n));
  }
  if (iterations < 0 || (iterations == 0 && start != SimTime::Max())) {
    throw std::invalid_argument("training job '" + name_ + "': no iterations");
  }
  if (!(t_.wire_efficiency > 0 && t_.wire_efficiency <= 1)) {
    throw std::invalid_argument("training job '" + name_ + "': wire efficiency not in (0, 1]");
  }
  {
    std::vector<NodeId> sorted = gpus_;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      throw std::invalid_argument("training job '" + name_ + "': a GPU appears twice");
    }
  }
  m_.iterations_target = iterations;
  // The links of every flow the job can start: pipeline peers, DP ring neighbours.
  const Fabric& f = fab_.fabric();
  auto add_route = [&](NodeId a, NodeId b) {
    const Route& r = f.RouteBetween(a, b);
    links_.insert(links_.end(), r.links.begin(), r.links.end());
  };
  for (int s = 0; s < t_.pp; ++s) {
    for (int64_t r = 0; r < t_.dp; ++r) {
      for (int k = 0; k < t_.tp; ++k) {
        if (t_.pp > 1) {
          if (s + 1 < t_.pp) add_route(Gpu(s, r, k), Gpu(s + 1, r, k));
          if (s > 0) add_route(Gpu(s, r, k), Gpu(s - 1, r, k));
          if (t_.virtual_stages > 1 && s == t_.pp - 1) add_route(Gpu(s, r, k), Gpu(0, r, k));
          if (t_.virtual_stages > 1 && s == 0) add_route(Gpu(s, r, k), Gpu(t_.pp - 1, r, k));
        }
        if (t_.dp > 1) add_route(Gpu(s, r, k), Gpu(s, (r + 1) % t_.dp, k));
      }
    }
  }
  std::sort(links_.begin(), links_.end());
  links_.erase(std::unique(links_.begin(), links_.end()), links_.end());
  fab_.jobs_.push_back(this);
  if (start_ != SimTime::Max()) {
    if (start_ < fab_.sim().Now()) {
      throw std::invalid_argument("training job '" + name_ + "' starts in the past");
    }
    timer_ = fab_.sim().At(start_, [this] { Begin(); });
  }
}

FabricTrainingJob::~FabricTrainingJob() {
  auto& jobs = fab_.jobs_;
  jobs.erase(std::remove(jobs.begin(), jobs.end(), this), jobs.end());
}

NodeId FabricTrainingJob::Gpu(int stage, int64_t replica, int tp_rank) const {
  return gpus_[static_cast<size_t>((stage * t_.dp + replica) * t_.tp + tp_rank)];
}

bool FabricTrainingJob::SharesLinksWith(const FabricTrainingJob& o) const {
  auto a = links_.begin(), b = o.links_.begin();
  while (a != links_.end() && b != o.links_.end()) {
    if (*a == *b) return true;
    if (*a < *b) {
      ++a;
    } else {
      ++b;
    }
  }
  return false;
}

bool FabricTrainingJob::AloneNow() const {
  for (const FabricTrainingJob* o : fab_.jobs_) {
    if (o != this && o->running_ && SharesLinksWith(*o)) return false;
  }
  return true;
}

SimTime FabricTrainingJob::NextSharingStart() const {
  SimTime next = SimTime::Max();
  for (const FabricTrainingJob* o : fab_.jobs_) {
    if (o == this || o->running_ || o->m_.finished || o->start_ == SimTime::Max()) continue;
    if (o->start_ >= fab_.sim().Now() && SharesLinksWith(*o)) next = std::min(next, o->start_);
  }
  return next;
}

void FabricTrainingJob::StartNow() {
  if (running_ || m_.finished) return;
  fab_.sim().Cancel(timer_);
  start_ = fab_.sim().Now();
  Begin();
}

void FabricTrainingJob::Begin() {
  m_.start_time_s = fab_.sim().Now().seconds();
  Run(m_.iterations_target, [this] { Finished(); });
}

void FabricTrainingJob::Run(int64_t iterations, std::function<void()> done) {
  if (iterations < 1) throw std::invalid_argument("training job '" + name_ + "': empty run");
  running_ = true;
  start_ = fab_.sim().Now();
  run_left_ = iterations;
  run_done_ = 0;
  on_run_done_ = std::move(done);
  for (FabricTrainingJob* o : fab_.jobs_) {
    if (o == this || !o->running_ || !SharesLinksWith(*o)) continue;
    o->contended_ = true;
    if (o->in_segment_) o->Interrupt();
  }
  BeginIteration();
}

int64_t FabricTrainingJob::CompletedAt(SimTime now) const {
  if (!running_) return run_done_;
  int64_t k = run_done_;
  if (in_segment_ && alone_ns_ > 0 && now > segment_start_) {
    k += std::min(segment_iters_, (now - segment_start_).ns() / alone_ns_);
  }
  return k;
}

void FabricTrainingJob::Stop() {
  Simulator& sim = fab_.sim();
  sim.Cancel(timer_);
  sim.Cancel(dp_timer_);
  for (FlowId f : pp_flows_) fab_.network().CancelFlow(f);
  for (CollectiveId c : dp_colls_) fab_.collectives().Cancel(c);
  pp_flows_.clear();
  dp_colls_.clear();
  pending_flows_ = pending_dp_ = pending_last_ = 0;
  in_segment_ = false;
  segment_iters_ = 0;
  running_ = false;
  run_left_ = 0;
  on_run_done_ = nullptr;
}

void FabricTrainingJob::AnnounceResume(SimTime at) { start_ = at; }

void FabricTrainingJob::BeginIteration() {
  Simulator& sim = fab_.sim();
  if (run_left_ <= 0) {
    running_ = false;
    auto done = std::move(on_run_done_);
    on_run_done_ = nullptr;
    if (done) done();
    return;
  }
  iter_start_ = sim.Now();
  const bool alone = AloneNow();
  contended_ = !alone;
  if (fast_forward_ && alone && alone_ns_ > 0) {
    const Duration step = Duration::Nanoseconds(alone_ns_);
    int64_t k = run_left_;
    const SimTime limit = NextSharingStart();
    if (limit != SimTime::Max()) {
      k = std::min<int64_t>(k, (limit - sim.Now()).ns() / step.ns());
    }
    if (k >= 1) {
      in_segment_ = true;
      segment_start_ = sim.Now();
      segment_iters_ = k;
      m_.fast_forward_segments++;
      timer_ = sim.At(segment_start_ + Duration::Nanoseconds(step.ns() * k),
                      [this] { OnFastForwardEnd(); });
      return;
    }
  }
  if (t_.pp > 1 && t_.pp_bytes > 0) {
    StartPpFlows(true);
  } else {
    StartCompute();
  }
}

void FabricTrainingJob::OnFastForwardEnd() {
  in_segment_ = false;
  m_.iterations_done += segment_iters_;
  m_.fast_forwarded_iterations += segment_iters_;
  run_left_ -= segment_iters_;
  run_done_ += segment_iters_;
  segment_iters_ = 0;
  BeginIteration();
}

void FabricTrainingJob::Interrupt() {
  Simulator& sim = fab_.sim();
  const int64_t step = alone_ns_;
  const int64_t elapsed = (sim.Now() - segment_start_).ns();
  int64_t done = elapsed / step;
  // The iteration in progress keeps its alone time (header); one that starts exactly now is
  // simulated at op level.
  if (elapsed % step != 0) done += 1;
  sim.Cancel(timer_);
  segment_iters_ = std::min(segment_iters_, done);
  timer_ = sim.At(segment_start_ + Duration::Nanoseconds(step * segment_iters_),
                  [this] { OnFastForwardEnd(); });
}

void FabricTrainingJob::StartPpFlows(bool forward) {
  pp_forward_ = forward;
  pending_flows_ = 0;
  pp_flows_.clear();
  const double bytes =
      static_cast<double>(t_.microbatches) * t_.virtual_stages * t_.pp_bytes / t_.wire_efficiency;
  NetworkModel& net = fab_.network();
  const Fabric& f = fab_.fabric();
  for (int s = 0; s < t_.pp; ++s) {
    int peer = -1;
    if (forward) {
      if (s + 1 < t_.pp) {
        peer = s + 1;
      } else if (t_.virtual_stages > 1) {
        peer = 0;
      }
    } else {
      if (s > 0) {
        peer = s - 1;
      } else if (t_.virtual_stages > 1) {
        peer = t_.pp - 1;
      }
    }
    if (peer < 0) continue;
    for (int64_t r = 0; r < t_.dp; ++r) {
      for (int k = 0; k < t_.tp; ++k) {
        ++pending_flows_;
        pp_flows_.push_back(net.StartFlow(f.RouteBetween(Gpu(s, r, k), Gpu(peer, r, k)), bytes,
                                          [this] { OnPpFlowDone(); }));
      }
    }
  }
  if (pending_flows_ == 0) OnPpFlowDone();
}

void FabricTrainingJob::OnPpFlowDone() {
  if (pending_flows_ > 0 && --pending_flows_ > 0) return;
  if (pp_forward_) {
    StartPpFlows(false);
    return;
  }
  // Every transfer also pays its message latency: m x 2v per GPU, serialised.
  const double latency =
      static_cast<double>(t_.microbatches) * 2 * t_.virtual_stages * t_.pp_message_latency_s;
  Simulator& sim = fab_.sim();
  timer_ = sim.After(Duration::FromSeconds(latency), [this] {
    m_.pp_s = (fab_.sim().Now() - iter_start_).seconds();
    StartCompute();
  });
}

void FabricTrainingJob::StartCompute() {
  Simulator& sim = fab_.sim();
  if (t_.pp <= 1 || t_.pp_bytes <= 0) m_.pp_s = 0;
  const SimTime start = sim.Now();
  compute_end_ = start + Duration::FromSeconds(t_.pipeline_s);
  compute_done_ = false;
  ending_ = false;
  pending_dp_ = pending_last_ = 0;
  dp_colls_.clear();
  last_pending_ = false;
  dp_main_done_ = true;
  const bool overlap = t_.dp > 1 && t_.overlap_s > 0;
  if (t_.dp > 1) {
    if (overlap) {
      const double main = t_.dp_bytes - t_.dp_last_bucket_bytes;
      last_pending_ = t_.dp_last_bucket_bytes > 0;
      if (main > 0) {
        dp_main_done_ = false;
        const double lead = std::max(0.0, t_.pipeline_s - t_.overlap_s);
        dp_timer_ =
            sim.At(start + Duration::FromSeconds(lead), [this, main] { StartDp(main, false); });
      }
    } else {
      dp_main_done_ = false;  // starts when the pipeline ends
    }
  }
  timer_ = sim.At(compute_end_, [this, overlap] {
    compute_done_ = true;
    if (t_.dp > 1 && !overlap) StartDp(t_.dp_bytes, false);
    TryStartLastBucket();
    MaybeFinishComm();
  });
}

void FabricTrainingJob::StartDp(double bytes, bool last_bucket) {
  CollectiveEngine& engine = fab_.collectives();
  for (int s = 0; s < t_.pp; ++s) {
    for (int k = 0; k < t_.tp; ++k) {
      CollectiveSpec spec;
      spec.kind = CollectiveKind::kAllReduce;
      spec.algorithm = CollectiveAlgorithm::kRing;
      spec.bytes = bytes / t_.wire_efficiency;
      spec.group.reserve(static_cast<size_t>(t_.dp));
      for (int64_t r = 0; r < t_.dp; ++r) spec.group.push_back(Gpu(s, r, k));
      if (last_bucket) {
        ++pending_last_;
      } else {
        ++pending_dp_;
      }
      dp_colls_.push_back(engine.Start(spec, [this, last_bucket] { OnDpDone(last_bucket); }));
    }
  }
}

void FabricTrainingJob::OnDpDone(bool last_bucket) {
  if (last_bucket) {
    --pending_last_;
  } else if (--pending_dp_ == 0) {
    dp_main_done_ = true;
    TryStartLastBucket();
  }
  MaybeFinishComm();
}

void FabricTrainingJob::TryStartLastBucket() {
  if (!last_pending_ || !compute_done_ || !dp_main_done_) return;
  last_pending_ = false;
  StartDp(t_.dp_last_bucket_bytes, true);
}

void FabricTrainingJob::MaybeFinishComm() {
  if (ending_ || !compute_done_ || !dp_main_done_ || last_pending_ || pending_last_ > 0) return;
  ending_ = true;
  Simulator& sim = fab_.sim();
  m_.dp_exposed_s = (sim.Now() - compute_end_).seconds();
  timer_ = sim.After(Duration::FromSeconds(t_.optimizer_s), [this] { EndIteration(); });
}

void FabricTrainingJob::EndIteration() {
  const Duration took = fab_.sim().Now() - iter_start_;
  const double dur = took.seconds();
  if (m_.op_level_iterations == 0) {
    m_.min_iteration_s = m_.max_iteration_s = dur;
  } else {
    m_.min_iteration_s = std::min(m_.min_iteration_s, dur);
    m_.max_iteration_s = std::max(m_.max_iteration_s, dur);
  }
  if (!contended_ && AloneNow()) {
    alone_ns_ = took.ns();
    m_.alone_iteration_s = dur;
  }
  m_.op_level_iterations++;
  m_.iterations_done++;
  run_left_--;
  run_done_++;
  BeginIteration();
}

void FabricTrainingJob::Finished() {
  running_ = false;
  m_.finished = true;
  m_.finish_time_s = fab_.sim().Now().seconds();
}

}  // namespace fleetsim
