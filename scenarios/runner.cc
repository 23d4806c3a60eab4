#include "scenarios/runner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "models/pricing/cost_model.h"
#include "models/serving/service_sim.h"
#include "models/training/training_fabric.h"
#include "models/training/training_job.h"
#include "models/workload/arrivals.h"
#include "models/workload/class_split.h"
#include "scenarios/replica_binding.h"
#include "scenarios/report/interval_latency.h"
#include "scenarios/report/link_counters.h"
#include "scenarios/report/rate_counters.h"
#include "scenarios/report/report_html.h"
#include "scenarios/service_fleet.h"
#include "sim/config/config_error.h"
#include "sim/simulator.h"
#include "sim/trace/timeseries.h"
#include "sim/trace/trace_writer.h"

namespace fleetsim {

namespace {

using Json = nlohmann::ordered_json;

// Trace slices for replica iterations.
class TraceObserver final : public ServiceObserver {
 public:
  TraceObserver(TraceWriter& trace, const std::string& service, int64_t replicas)
      : trace_(trace), service_(service) {
    for (int64_t i = 0; i < replicas; ++i) AddTrack();
  }
  void OnWeightLoad(size_t replica, SimTime start, SimTime end) override {
    while (tracks_.size() <= replica) AddTrack();
    trace_.Slice(tracks_[replica], "load weights", start, end - start, "serving", "");
  }
  void OnIteration(size_t replica, Phase phase, SimTime start, SimTime end, int64_t sequences,
                   int64_t steps) override {
    while (tracks_.size() <= replica) AddTrack();  // replicas added by autoscaling
    const char* name = phase == Phase::kPrefill  ? "prefill"
                       : phase == Phase::kDecode ? "decode"
                                                 : "prefill+decode";
    trace_.Slice(tracks_[replica], name, start, end - start, "serving",
                 JsonNumber("sequences", static_cast<double>(sequences)) + ", " +
                     JsonNumber("iterations", static_cast<double>(steps)));
  }

 private:
  void AddTrack() {
    tracks_.push_back(
        trace_.AddTrack("service " + service_, "replica " + std::to_string(tracks_.size())));
  }
  TraceWriter& trace_;
  std::string service_;
  std::vector<TraceWriter::Track> tracks_;
};

struct ServiceRun {
  const ServiceSpec* spec;
  BoundReplica bound;
  std::unique_ptr<ServiceSim> sim;
  std::unique_ptr<TraceObserver> observer;
  std::unique_ptr<ServiceFleet> fleet;
  PoolLedger* pool = nullptr;
  uint32_t counter_pid = 0;
  IntervalLatencyColumns latency;  // ttft/tpot/e2e percentiles per interval
  // The same per class, for a service with several classes (one class: the service's).
  std::vector<IntervalLatencyColumns> class_latency;
  uint64_t egress_counted = 0;  // completed requests whose egress was billed
};

Json Percentiles(const LogHistogram& h) {
  Json j;
  j["count"] = h.count();
  j["mean"] = h.mean();
  j["p50"] = h.Quantile(0.50);
  j["p90"] = h.Quantile(0.90);
  j["p99"] = h.Quantile(0.99);
  j["max"] = h.max();
  return j;
}

Json LatencyJson(const LatencyStats& s) {
  Json j;
  j["completed"] = s.completed;
  j["slo_met"] = s.slo_met;
  j["slo_attainment"] =
      s.completed ? static_cast<double>(s.slo_met) / static_cast<double>(s.completed) : 0.0;
  j["output_tokens"] = s.output_tokens;
  j["ttft_s"] = Percentiles(s.ttft_s);
  j["tpot_s"] = Percentiles(s.tpot_s);
  j["e2e_s"] = Percentiles(s.e2e_s);
  return j;
}

// A latency for humans: "87.3 ms", "29.0 s".
std::string Ms(double s) {
  char buf[32];
  if (s < 1.0) {
    std::snprintf(buf, sizeof buf, "%.1f ms", s * 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.1f s", s);
  }
  return buf;
}

}  // namespace

int RunScenario(const Scenario& sc, const RunOptions& opt, std::ostream& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (opt.write_files) fs::create_directories(opt.out_dir, ec);
  if (ec) throw InputError("cannot create output directory '" + opt.out_dir + "': " + ec.message());

  const uint64_t seed = opt.seed.value_or(sc.seed);
  Simulator sim(seed, 0);
  const double horizon_s = sc.duration.seconds();

  std::unique_ptr<TraceWriter> trace;
  if (sc.outputs.trace && opt.write_files) {
    TraceOptions topt;
    topt.max_events = sc.outputs.max_trace_events;
    topt.counter_min_interval = sc.outputs.timeseries_interval;
    trace = std::make_unique<TraceWriter>(opt.out_dir + "/trace.json", topt);
  }

  // Pools and their bills (models/pricing/cost_model.h).
  CostModel costs;
  std::vector<std::unique_ptr<PoolLedger>> pools;
  for (const auto& p : sc.pools) {
    const auto id = p.cloud ? costs.AddCloudPool(p.cloud_pool) : costs.AddOwnedPool(p.owned_pool);
    pools.push_back(std::make_unique<PoolLedger>(p, costs, id));
    pools.back()->StartSpot(sim);  // spot pools: their availability process
  }
  auto ledger_of = [&](const std::string& name) -> PoolLedger* {
    for (size_t i = 0; i < sc.pools.size(); ++i) {
      if (sc.pools[i].name == name) return pools[i].get();
    }
    return nullptr;
  };

  // Demand streams, one per service; a service with class routes splits its demand among
  // itself and the services it routes to (models/workload/class_split.h).
  auto run_index = [&](const std::string& name) {
    for (size_t i = 0; i < sc.services.size(); ++i) {
      if (sc.services[i].name == name) return i;
    }
    throw std::logic_error("no service '" + name + "'");
  };
  std::vector<std::unique_ptr<RequestStream>> streams(sc.services.size());
  for (const auto& spec : sc.services) {
    if (!spec.demand) continue;  // demand: {from: ...}
    StreamContext ctx;
    ctx.rng = sim.rng();
    ctx.name = spec.name;
    ctx.horizon_s = horizon_s;
    for (const auto& c : spec.config.classes) ctx.class_names.push_back(c.name);
    auto stream = ReadRequestStream(*spec.demand, ctx);
    if (spec.route.empty()) {
      streams[run_index(spec.name)] = std::move(stream);
      continue;
    }
    std::vector<std::string> outputs = {spec.name};
    std::vector<size_t> route(spec.config.classes.size(), 0);
    for (const auto& [klass, target] : spec.route) {
      auto it = std::find(outputs.begin(), outputs.end(), target);
      if (it == outputs.end()) it = outputs.insert(outputs.end(), target);
      route[static_cast<size_t>(klass)] = static_cast<size_t>(it - outputs.begin());
    }
    std::vector<double> weights;
    for (const auto& c : spec.config.classes) weights.push_back(c.weight);
    ClassSplitter split(std::move(stream), weights, sim.rng().Stream(spec.name + ".classes"), route,
                        outputs.size());
    for (size_t o = 0; o < outputs.size(); ++o) {
      streams[run_index(outputs[o])] = split.Output(o);
    }
  }

  std::vector<ServiceRun> services;
  services.reserve(sc.services.size());
  for (const auto& spec : sc.services) {
    ServiceRun run;
    run.spec = &spec;
    const ReplicaLayout layout = LayoutOf(spec);
    try {
      run.bound = BindReplica(layout);
    } catch (const InputError& e) {
      throw InputError("service '" + spec.name + "': " + e.what());
    }
    auto stream = std::move(streams[run_index(spec.name)]);
    run.sim = std::make_unique<ServiceSim>(
        sim, spec.config,
        ReplicaPerformance{run.bound.iteration_time.get(), run.bound.kv_capacity_tokens,
                           run.bound.swap_seconds_per_token},
        std::move(stream), sim.rng());
    if (trace) {
      run.observer = std::make_unique<TraceObserver>(*trace, spec.name, spec.config.replicas);
      run.counter_pid = trace->AddProcess("service " + spec.name);
    }
    run.pool = ledger_of(spec.pool);
    std::vector<PoolLedger*> chain;
    for (const auto& name : spec.pools) chain.push_back(ledger_of(name));
    run.fleet = std::make_unique<ServiceFleet>(sim, spec, *run.sim, std::move(chain),
                                               run.bound.weights_bytes_per_gpu, run.observer.get());
    run.sim->SetObserver(run.fleet.get());
    run.fleet->Start();
    run.sim->Start();
    services.push_back(std::move(run));
  }

  // Swap groups: services taking turns on shared GPUs (scenarios/service_fleet.h).
  std::vector<std::unique_ptr<SwapGroup>> swap_groups;
  for (const auto& g : sc.swap_groups) {
    std::vector<ServiceFleet*> members;
    for (const auto& name : g.services) {
      for (auto& s : services) {
        if (s.spec->name == name) members.push_back(s.fleet.get());
      }
    }
    swap_groups.push_back(std::make_unique<SwapGroup>(sim, members, g.interval, g.keep_loaded));
    swap_groups.back()->Start();
  }

  // Training jobs placed on the scenario's topology run their inter-server traffic as flows
  // there (training_fabric.h), driven by their TrainingJobSim; declared before `jobs` so
  // that the jobs go first.
  std::unique_ptr<TrainingFabric> fabric;
  std::vector<std::unique_ptr<FabricTrainingJob>> drivers(sc.training_jobs.size());
  // Training jobs: whole iterations, many at once between checkpoints (training_job.h).
  std::vector<std::unique_ptr<TrainingJobSim>> jobs;
  // Their GPUs from a pool (through spot interruptions too: service_fleet.h).
  std::vector<std::unique_ptr<TrainingLease>> leases(sc.training_jobs.size());
  for (const auto& spec : sc.training_jobs) {
    jobs.push_back(std::make_unique<TrainingJobSim>(
        sim, spec.name, spec.iteration, spec.layout.pp, spec.layout.Gpus(), spec.tokens,
        spec.failures, sim.rng().Stream("training/" + spec.name + "/failures"), trace.get()));
    if (!spec.servers.empty() && sc.topology) {
      if (!fabric) fabric = std::make_unique<TrainingFabric>(sim, *sc.topology);
      const TrainingNetwork net = spec.network == "dgx-h100" ? DgxH100Network() : DgxA100Network();
      auto& d = drivers[jobs.size() - 1];
      d = std::make_unique<FabricTrainingJob>(
          *fabric, spec.name, TrainingTrafficOf(spec.layout, spec.iteration, net),
          PlaceOnServers(*sc.topology, spec.servers, spec.layout.Gpus(), spec.layout.tp), 0,
          SimTime::Max());
      jobs.back()->SetDriver(d.get());
    }
    TrainingLease* lease = nullptr;
    if (PoolLedger* pool = ledger_of(spec.pool)) {
      const int64_t gpus = spec.layout.Gpus();
      leases[jobs.size() - 1] =
          std::make_unique<TrainingLease>(sim, *jobs.back(), *pool, spec.name, gpus);
      lease = leases[jobs.size() - 1].get();
      if (!lease->Acquire()) {
        throw InputError("training job '" + spec.name + "': pool '" + spec.pool +
                         "' cannot hold its " + std::to_string(gpus) + " GPUs");
      }
    }
    if (lease) {
      // The lease starts the job (later if its GPUs are lost before then).
      if (auto& d = drivers[jobs.size() - 1]; d && spec.start > Duration::Zero()) {
        d->AnnounceResume(SimTime::Zero() + spec.start);
      }
      lease->StartJobAt(SimTime::Zero() + spec.start);
    } else if (spec.start > Duration::Zero()) {
      // A later start: a placed job announces it, so that others fast-forward until then.
      if (auto& d = drivers[jobs.size() - 1]) d->AnnounceResume(SimTime::Zero() + spec.start);
      TrainingJobSim* job = jobs.back().get();
      sim.At(SimTime::Zero() + spec.start, [job] { job->Start(); });
    } else {
      jobs.back()->Start();
    }
  }

  // Time series: one row per interval, sampled after everything else at that instant.
  std::vector<std::string> columns;
  for (const auto& s : services) {
    for (const char* c :
         {"arrived", "completed", "rejected", "waiting", "running", "kv_used_fraction"}) {
      columns.push_back(s.spec->name + "." + c);
    }
    IntervalLatencyColumns::AppendNames(s.spec->name, columns);
    if (s.sim->config().classes.size() > 1) {
      for (const auto& c : s.sim->config().classes) {
        IntervalLatencyColumns::AppendNames(s.spec->name + "." + c.name, columns);
      }
    }
  }
  for (const auto& s : services) {
    for (const char* c : {"replicas", "replicas_starting"})
      columns.push_back(s.spec->name + "." + c);
  }
  for (const auto& j : sc.training_jobs) columns.push_back(j.name + ".tokens_trained");
  for (const auto& p : sc.pools) {
    for (const char* c : {"units", "gpus_held", "gpus_busy", "cost_usd", "it_energy_j"}) {
      columns.push_back("pool." + p.name + "." + c);
    }
  }
  if (!sc.pools.empty()) columns.push_back("cost_usd");
  std::vector<uint32_t> pool_pids;
  if (trace) {
    for (const auto& p : sc.pools) pool_pids.push_back(trace->AddProcess("pool " + p.name));
  }
  std::vector<PoolRateCounters> pool_rates(sc.pools.size());  // cost rate, power
  // Link utilisation, when training traffic runs as flows on the topology (link_counters.h).
  std::unique_ptr<LinkTraceCounters> link_counters;
  if (trace && fabric) {
    link_counters = std::make_unique<LinkTraceCounters>(
        *trace, fabric->network(), *sc.topology,
        [&sc](NodeId id) { return sc.topology->node(id).name; });
  }
  TimeSeriesWriter ts(opt.write_files ? opt.out_dir + "/timeseries.csv" : "/dev/null", columns);
  std::vector<double> row(columns.size());
  std::function<void()> sample = [&] {
    size_t k = 0;
    for (auto& s : services) {
      const auto& m = s.sim->metrics();
      const double kv = static_cast<double>(s.sim->KvUsedTokens()) /
                        static_cast<double>(s.sim->KvCapacityTokens());
      row[k++] = static_cast<double>(m.arrived);
      row[k++] = static_cast<double>(m.completed);
      row[k++] = static_cast<double>(m.rejected);
      row[k++] = static_cast<double>(s.sim->Waiting());
      row[k++] = static_cast<double>(s.sim->Running());
      row[k++] = kv;
      k = s.latency.Sample(m.overall, row, k, trace.get(), s.counter_pid, sim.Now());
      if (s.sim->config().classes.size() > 1) {
        s.class_latency.resize(m.by_class.size());
        for (size_t c = 0; c < m.by_class.size(); ++c) {
          k = s.class_latency[c].Sample(m.by_class[c], row, k);
        }
      }
      if (trace) {
        trace->Counter(s.counter_pid, "waiting", sim.Now(), static_cast<double>(s.sim->Waiting()));
        trace->Counter(s.counter_pid, "running", sim.Now(), static_cast<double>(s.sim->Running()));
        trace->Counter(s.counter_pid, "kv used fraction", sim.Now(), kv);
      }
    }
    for (auto& s : services) {
      row[k++] = static_cast<double>(s.fleet->ready());
      row[k++] = static_cast<double>(s.fleet->starting());
      if (trace) {
        trace->Counter(s.counter_pid, "replicas", sim.Now(), static_cast<double>(s.fleet->ready()));
      }
      // Egress of the requests completed since the last sample (models/pricing: egress).
      const uint64_t done = s.sim->metrics().completed;
      if (s.pool && s.spec->egress_bytes_per_request > 0 && done > s.egress_counted) {
        costs.OnEgress(
            s.pool->id(),
            static_cast<double>(done - s.egress_counted) * s.spec->egress_bytes_per_request,
            sim.Now());
      }
      s.egress_counted = done;
    }
    for (size_t j = 0; j < jobs.size(); ++j) {
      const auto& spec = sc.training_jobs[j];
      row[k++] = static_cast<double>(jobs[j]->IterationsAt(sim.Now()) * spec.layout.global_batch *
                                     spec.layout.seq_len);
    }
    double total_usd = 0;
    for (size_t p = 0; p < pools.size(); ++p) {
      const CostBreakdown c = costs.Accrued(pools[p]->id(), sim.Now());
      total_usd += c.total_usd();
      row[k++] = static_cast<double>(pools[p]->units());
      row[k++] = static_cast<double>(pools[p]->gpus_held());
      row[k++] = static_cast<double>(pools[p]->busy_gpus());
      row[k++] = c.total_usd();
      row[k++] = c.it_energy_j;
      if (trace) {
        trace->Counter(pool_pids[p], "cost usd", sim.Now(), c.total_usd());
        trace->Counter(pool_pids[p], "gpus busy", sim.Now(),
                       static_cast<double>(pools[p]->busy_gpus()));
        pool_rates[p].Sample(trace.get(), pool_pids[p], sim.Now(), c.total_usd(), c.it_energy_j);
      }
    }
    if (!pools.empty()) row[k++] = total_usd;
    if (link_counters) link_counters->Sample(sim.Now());
    ts.Row(sim.Now(), row);
    const SimTime next = sim.Now() + sc.outputs.timeseries_interval;
    if (next.ns() <= sc.duration.ns()) sim.At(next, sample, kPhaseLast);
  };
  sim.At(SimTime::Zero(), sample, kPhaseLast);

  // Run in slices so that progress can be shown on a terminal.
  const bool progress = !opt.quiet && isatty(STDERR_FILENO);
  const auto wall_start = std::chrono::steady_clock::now();
  const SimTime end = SimTime::Zero() + sc.duration;
  RunResult result;
  bool stopped_early = false;  // by opt.stop_when
  const int64_t slices = 200;
  for (int64_t i = 1; i <= slices; ++i) {
    const SimTime until =
        SimTime::FromNanoseconds(end.ns() / slices * i + (i == slices ? end.ns() % slices : 0));
    result = sim.Run(until);
    if (progress) {
      const double wall =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
      if (wall > 1.0) {
        const double done = static_cast<double>(i) / slices;
        std::fprintf(stderr, "\r[%-40s] %3.0f %%  simulated %s  %.2g events/s  ETA %.0f s ",
                     std::string(static_cast<size_t>(done * 40), '=').c_str(), done * 100,
                     FormatDuration(sim.Now() - SimTime::Zero()).c_str(),
                     static_cast<double>(sim.events_processed()) / wall, wall / done - wall);
      }
    }
    if (result.status != RunResult::Status::kReachedLimit) break;
    if (opt.stop_when && i < slices) {
      RunProgress progress{sim.Now(), costs.Total(sim.Now()).total_usd(), 0};
      for (const auto& s : services) {
        const auto& m = s.sim->metrics();
        progress.slo_missed += m.overall.completed - m.overall.slo_met + m.rejected;
      }
      if (opt.stop_when(progress)) {
        stopped_early = true;
        break;
      }
    }
  }
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (progress && wall_s > 1.0) std::fputc('\n', stderr);
  for (auto& s : services) s.fleet->Finish(sim.Now());
  for (auto& p : pools) p->Finish(sim.Now());
  const CostBreakdown total_cost = costs.Total(sim.Now());
  const std::vector<ConsumerCost> consumers = costs.Consumers(sim.Now());
  auto consumer_usd = [&](const std::string& name) -> std::optional<double> {
    for (const auto& c : consumers) {
      if (c.name == name) return c.allocated_usd;
    }
    return std::nullopt;
  };
  // Reaching the horizon is the normal end; queued work then is "in flight", not a stall.
  const bool stalled = result.status == RunResult::Status::kStalled;

  Json summary;
  summary["schema"] = "fleetsim.summary/1";
  summary["scenario"] = sc.name;
  summary["seed"] = seed;
  summary["duration_s"] = horizon_s;
  summary["status"] = stalled ? "stalled" : stopped_early ? "stopped" : "completed";
  if (stalled) summary["stall_report"] = result.stall_report;
  summary["events"] = sim.events_processed();
  Json svcs = Json::array();
  for (const auto& s : services) {
    const auto& m = s.sim->metrics();
    const auto& spec = *s.spec;
    Json j;
    j["name"] = spec.name;
    j["model"] = spec.model->name;
    j["precision"] = std::string(PrecisionName(spec.precision));
    j["gpu"] = spec.gpu->name;
    j["tensor_parallel"] = spec.tensor_parallel;
    if (spec.pipeline_parallel > 1) {
      j["pipeline_parallel"] = spec.pipeline_parallel;
      j["stage_layers"] = s.bound.stage_layers;
      j["stage_boundaries_across_servers"] = s.bound.boundaries_across_servers;
    }
    j["replicas"] = spec.config.replicas;
    j["gpus"] = spec.config.replicas * spec.GpusPerReplica();
    j["pool"] = spec.pool;
    {
      const FleetStats& f = s.fleet->stats();
      Json a;
      a["policy"] = spec.autoscale ? spec.autoscale->policy : std::string("fixed");
      a["min_replicas"] = spec.autoscale ? spec.autoscale->min_replicas : spec.config.replicas;
      a["max_replicas"] = spec.autoscale ? spec.autoscale->max_replicas : spec.config.replicas;
      a["replicas_at_end"] = s.fleet->live();
      a["peak_replicas"] = f.peak_replicas;
      a["mean_replicas"] = f.replica_seconds / horizon_s;
      a["replica_seconds"] = f.replica_seconds;
      a["scale_ups"] = f.scale_ups;
      a["scale_downs"] = f.scale_downs;
      a["capacity_shortfalls"] = f.shortfalls;
      a["swaps_in"] = f.swaps_in;
      a["swaps_out"] = f.swaps_out;
      a["weights_load_s"] = s.fleet->weights_load_s();
      const bool on_spot = std::any_of(spec.pools.begin(), spec.pools.end(),
                                       [&](const auto& n) { return ledger_of(n)->is_spot(); });
      if (on_spot) {
        a["spot"] = {{"notices", f.spot_notices},
                     {"replicas_lost", f.replicas_lost},
                     {"replacements", f.replacements},
                     {"requests_rerouted", s.sim->metrics().rerouted}};
      }
      j["scaling"] = a;
    }
    j["kv_capacity_tokens_per_replica"] = s.bound.kv_capacity_tokens;
    j["weights_bytes_per_gpu"] = s.bound.weights_bytes_per_gpu;
    j["streamed_bytes_per_gpu_per_iteration"] = s.bound.streamed_bytes_per_gpu;
    j["notes"] = s.bound.notes;
    j["arrived"] = m.arrived;
    j["completed"] = m.completed;
    j["rejected"] = m.rejected;
    j["in_flight_at_end"] = m.in_flight;
    j["preemptions"] = m.preemptions;
    j["swapped_tokens"] = m.swapped_tokens;
    j["accounted"] = m.Balanced();
    j["throughput_requests_per_s"] = static_cast<double>(m.completed) / horizon_s;
    j["output_tokens_per_s"] = static_cast<double>(m.output_tokens) / horizon_s;
    j["replica_busy_fraction"] =
        s.fleet->stats().replica_seconds > 0
            ? static_cast<double>(s.sim->BusyNs()) * 1e-9 / s.fleet->stats().replica_seconds
            : 0.0;
    if (auto usd = consumer_usd(spec.name)) {
      j["cost_usd"] = *usd;
      j["usd_per_1k_output_tokens"] =
          m.output_tokens ? *usd / (static_cast<double>(m.output_tokens) / 1e3) : 0.0;
      j["usd_per_1k_requests"] =
          m.completed ? *usd / (static_cast<double>(m.completed) / 1e3) : 0.0;
    }
    j["overall"] = LatencyJson(m.overall);
    Json classes = Json::array();
    for (size_t c = 0; c < spec.config.classes.size(); ++c) {
      Json cj = LatencyJson(m.by_class[c]);
      cj["name"] = spec.config.classes[c].name;
      const auto& cls = spec.config.classes[c];
      if (cls.ttft_slo_s) cj["ttft_slo_s"] = *cls.ttft_slo_s;
      if (cls.tpot_slo_s) cj["tpot_slo_s"] = *cls.tpot_slo_s;
      classes.push_back(cj);
    }
    j["classes"] = classes;
    svcs.push_back(j);
  }
  summary["services"] = svcs;
  Json tjobs = Json::array();
  for (size_t k = 0; k < jobs.size(); ++k) {
    jobs[k]->Finish(sim.Now());
    const auto& spec = sc.training_jobs[k];
    const auto& it = spec.iteration;
    const auto& m = jobs[k]->metrics();
    const auto& f = spec.failures;
    const double gpus = static_cast<double>(spec.layout.Gpus());
    const double ideal_s = static_cast<double>(m.iterations_target) * it.iteration_s;
    const double rate = f.enabled ? f.gpu_failure_rate_per_s * gpus : 0;
    // Without checkpoints the whole job is one cycle (training_job.h).
    const int64_t per_ckpt = jobs[k]->iterations_per_checkpoint();
    const double expected =
        per_ckpt > 0 ? ExpectedGoodput(rate, static_cast<double>(per_ckpt) * it.iteration_s,
                                       f.checkpoint_write_s, f.restart_s)
                     : ExpectedGoodput(rate, ideal_s, 0, f.restart_s);
    const double start_s = spec.start.seconds();
    const double elapsed = (m.finished ? m.finish_time_s : horizon_s) - start_s;
    Json j;
    j["name"] = spec.name;
    j["model"] = spec.model->name;
    j["gpu"] = spec.gpu->name;
    j["precision"] = std::string(PrecisionName(spec.layout.precision));
    j["network"] = spec.network;
    j["gpus"] = spec.layout.Gpus();
    j["layout"] = {{"tensor_parallel", spec.layout.tp},
                   {"pipeline_parallel", spec.layout.pp},
                   {"data_parallel", spec.layout.dp},
                   {"virtual_stages", spec.layout.virtual_stages},
                   {"micro_batch", spec.layout.micro_batch},
                   {"global_batch", spec.layout.global_batch},
                   {"seq_len", spec.layout.seq_len},
                   {"microbatches_per_pipeline", it.microbatches},
                   {"zero_stage", spec.layout.zero_stage},
                   {"recompute", std::string(RecomputeName(spec.layout.recompute))}};
    j["iteration"] = {{"seconds", it.iteration_s},         {"compute_s", it.compute_s},
                      {"tp_comm_s", it.tp_comm_s},         {"pipeline_bubble_s", it.bubble_s},
                      {"pp_comm_exposed_s", it.pp_comm_s}, {"dp_comm_exposed_s", it.dp_exposed_s},
                      {"dp_comm_total_s", it.dp_comm_s},   {"optimizer_s", it.optimizer_s}};
    j["memory_per_gpu_bytes"] = it.memory.total_bytes;
    j["memory_capacity_bytes"] = it.memory_capacity_bytes;
    j["tflops_per_gpu"] = it.tflops_per_gpu;
    j["mfu"] = it.mfu;
    j["tokens_per_s"] = it.tokens_per_s;
    j["tokens_target"] = spec.tokens;
    j["time_to_train_no_failures_s"] = ideal_s;
    j["goodput_expected"] = expected;
    j["time_to_train_expected_s"] = expected > 0 ? ideal_s / expected : -1.0;
    j["iterations_target"] = m.iterations_target;
    j["iterations_done"] = m.iterations_done;
    j["tokens_trained"] =
        static_cast<double>(m.iterations_done * spec.layout.global_batch * spec.layout.seq_len);
    j["finished"] = m.finished;
    j["time_to_train_s"] = m.finished ? m.finish_time_s - start_s : -1.0;
    j["failures"] = m.failures;
    j["checkpoints"] = m.checkpoints;
    j["lost_work_s"] = m.lost_work_s;
    j["checkpoint_s"] = m.checkpoint_s;
    j["restart_s"] = m.restart_s;
    j["goodput_sampled"] =
        elapsed > 0 ? static_cast<double>(m.iterations_done) * it.iteration_s / elapsed : 0.0;
    j["pool"] = spec.pool;
    if (const PoolLedger* pool = ledger_of(spec.pool); pool && pool->is_spot()) {
      j["spot"] = {{"preemptions", m.preemptions},
                   {"emergency_checkpoints", m.emergency_checkpoints},
                   {"suspended_s", m.suspended_s},
                   {"reacquisitions", leases[k]->reacquisitions()}};
    }
    if (const FabricTrainingJob* d = drivers[k].get()) {
      const FabricTrainingMetrics& fm = d->metrics();
      Json servers = Json::array();
      for (NodeId g : d->gpus()) {
        const std::string& name =
            sc.topology->servers()[static_cast<size_t>(sc.topology->node(g).server)].name;
        if (servers.empty() || servers.back() != name) servers.push_back(name);
      }
      j["fabric"] = {{"topology", sc.topology->name()},
                     {"servers", servers},
                     {"alone_iteration_s", fm.alone_iteration_s},
                     {"min_iteration_s", fm.min_iteration_s},
                     {"max_iteration_s", fm.max_iteration_s},
                     {"op_level_iterations", fm.op_level_iterations},
                     {"fast_forwarded_iterations", fm.fast_forwarded_iterations},
                     {"iterations_simulated", fm.iterations_done}};
    }
    if (auto usd = consumer_usd(spec.name)) {
      j["cost_usd"] = *usd;
      // A run that did not finish in the window: its cost rate so far x expected duration.
      const double held_s = m.finished ? m.finish_time_s : horizon_s;
      j["usd_per_run_expected"] =
          m.finished ? *usd
                     : (held_s > 0 && expected > 0 ? *usd / held_s * (ideal_s / expected) : -1.0);
    }
    tjobs.push_back(j);
  }
  summary["training_jobs"] = tjobs;
  if (!sc.pools.empty()) {
    Json cj;
    cj["total_usd"] = total_cost.total_usd();
    Json pj = Json::array();
    for (size_t p = 0; p < pools.size(); ++p) {
      const PricedPool& ps = sc.pools[p];
      const CostBreakdown c = costs.Accrued(pools[p]->id(), sim.Now());
      Json one;
      one["name"] = ps.name;
      one["kind"] = ps.cloud ? "cloud" : "owned";
      one["offer"] = ps.cloud ? ps.cloud_pool.offer : ps.owned_pool.offer;
      if (ps.cloud) {
        one["plan"] = CloudPlanName(ps.cloud_pool.plan);
      } else {
        one["site"] = ps.owned_pool.site;
      }
      one["gpu"] = ps.gpu->name;
      one["total_usd"] = c.total_usd();
      for (const auto& [k, v] : c.Fields()) one[k] = v;
      one["usd_per_gpu_hour_held"] =
          c.provisioned_gpu_s > 0 ? c.total_usd() / (c.provisioned_gpu_s / 3600) : 0.0;
      one["usd_per_gpu_hour_busy"] = c.busy_gpu_s > 0 ? c.total_usd() / (c.busy_gpu_s / 3600) : 0.0;
      one["capacity_shortfalls"] = pools[p]->shortfalls();
      if (pools[p]->is_spot()) {
        const SpotStats& st = pools[p]->spot_stats();
        one["spot"] = {{"interruptions", st.interruptions},
                       {"instances_hit", st.instances_hit},
                       {"instances_reclaimed", st.instances_reclaimed},
                       {"unavailable_s", st.unavailable_s},
                       {"availability", 1.0 - st.unavailable_s / horizon_s}};
      }
      pj.push_back(one);
    }
    cj["pools"] = pj;
    Json con = Json::array();
    for (const auto& c : consumers) {
      con.push_back({{"name", c.name.empty() ? std::string("(idle)") : c.name},
                     {"busy_gpu_s", c.busy_gpu_s},
                     {"allocated_usd", c.allocated_usd},
                     {"allocated_facility_energy_j", c.allocated_facility_energy_j}});
    }
    cj["consumers"] = con;
    summary["costs"] = cj;
  }
  if (opt.summary_out) *opt.summary_out = summary;
  if (!opt.write_files) return stalled ? 1 : 0;
  {
    std::ofstream f(opt.out_dir + "/summary.json");
    f << summary.dump(2) << "\n";
    if (!f) throw InputError("cannot write '" + opt.out_dir + "/summary.json'");
  }
  ts.Close();
  if (trace) trace->Close();
  WriteRunReport(opt.out_dir);  // report.html, from the files just written

  out << "fleetsim run: " << sc.name << " (" << FormatDuration(sc.duration) << " simulated, seed "
      << seed << ")\n";
  for (const auto& s : services) {
    const auto& m = s.sim->metrics();
    const auto& spec = *s.spec;
    out << "  service " << spec.name << ": " << spec.model->name << " on " << spec.config.replicas
        << " x " << spec.tensor_parallel
        << (spec.pipeline_parallel > 1 ? " x PP" + std::to_string(spec.pipeline_parallel) : "")
        << " " << spec.gpu->name << "\n";
    if (spec.autoscale) {
      const FleetStats& f = s.fleet->stats();
      char sb[200];
      std::snprintf(
          sb, sizeof sb,
          "    replicas  %s %lld..%lld: mean %.1f, peak %lld; %lld added, %lld removed, "
          "%lld refused by the pool\n",
          spec.autoscale->policy.c_str(), static_cast<long long>(spec.autoscale->min_replicas),
          static_cast<long long>(spec.autoscale->max_replicas), f.replica_seconds / horizon_s,
          static_cast<long long>(f.peak_replicas), static_cast<long long>(f.scale_ups),
          static_cast<long long>(f.scale_downs), static_cast<long long>(f.shortfalls));
      out << sb;
    }
    if (s.fleet->stats().swaps_in + s.fleet->stats().swaps_out > 0) {
      char sb[160];
      std::snprintf(sb, sizeof sb,
                    "    swaps     %lld replicas in, %lld out (weights reload %.1f s); mean %.2f "
                    "replicas\n",
                    static_cast<long long>(s.fleet->stats().swaps_in),
                    static_cast<long long>(s.fleet->stats().swaps_out), s.fleet->weights_load_s(),
                    s.fleet->stats().replica_seconds / horizon_s);
      out << sb;
    }
    out << "    requests  " << m.arrived << " arrived, " << m.completed << " completed, "
        << m.rejected << " rejected, " << m.in_flight << " in flight at the end\n";
    out << "    TTFT      p50 " << Ms(m.overall.ttft_s.Quantile(0.5)) << "  p99 "
        << Ms(m.overall.ttft_s.Quantile(0.99)) << "\n";
    out << "    TPOT      p50 " << Ms(m.overall.tpot_s.Quantile(0.5)) << "  p99 "
        << Ms(m.overall.tpot_s.Quantile(0.99)) << "\n";
    char buf[128];
    std::snprintf(buf, sizeof buf, "    SLO met   %.1f %% of completed requests\n",
                  m.overall.completed ? 100.0 * static_cast<double>(m.overall.slo_met) /
                                            static_cast<double>(m.overall.completed)
                                      : 0.0);
    out << buf;
  }
  for (size_t k = 0; k < jobs.size(); ++k) {
    const auto& spec = sc.training_jobs[k];
    const auto& it = spec.iteration;
    const auto& m = jobs[k]->metrics();
    char line[256];
    std::snprintf(line, sizeof line,
                  "  training %s: %s on %lld x %s (TP%d PP%d DP%lld)\n    iteration %.2f s, "
                  "%.1f TFLOP/s per GPU (MFU %.1f %%), %.3g tokens/s\n",
                  spec.name.c_str(), spec.model->name.c_str(),
                  static_cast<long long>(spec.layout.Gpus()), spec.gpu->name.c_str(),
                  spec.layout.tp, spec.layout.pp, static_cast<long long>(spec.layout.dp),
                  it.iteration_s, it.tflops_per_gpu, 100 * it.mfu, it.tokens_per_s);
    out << line;
    std::snprintf(
        line, sizeof line, "    %lld / %lld iterations, %s; %lld failures, %.1f h of work lost\n",
        static_cast<long long>(m.iterations_done), static_cast<long long>(m.iterations_target),
        m.finished
            ? ("finished at " + FormatDuration(Duration::FromSeconds(m.finish_time_s))).c_str()
            : "not finished",
        static_cast<long long>(m.failures), m.lost_work_s / 3600);
    out << line;
    if (const FabricTrainingJob* d = drivers[k].get()) {
      const FabricTrainingMetrics& fm = d->metrics();
      char alone[48] = "never alone";
      if (fm.alone_iteration_s > 0) {
        std::snprintf(alone, sizeof alone, "alone %.3f s", fm.alone_iteration_s);
      }
      std::snprintf(line, sizeof line,
                    "    on %s: iteration %.3f-%.3f s with flows (%s); %lld at op level, %lld "
                    "fast-forwarded\n",
                    sc.topology->name().c_str(), fm.min_iteration_s, fm.max_iteration_s, alone,
                    static_cast<long long>(fm.op_level_iterations),
                    static_cast<long long>(fm.fast_forwarded_iterations));
      out << line;
    }
  }
  if (!sc.pools.empty()) {
    out << "  cost      " << FormatUsd(total_cost.total_usd()) << " in all";
    for (size_t p = 0; p < pools.size(); ++p) {
      out << (p ? ", " : " (") << sc.pools[p].name << " "
          << FormatUsd(costs.Accrued(pools[p]->id(), sim.Now()).total_usd());
    }
    out << ")\n";
    for (const auto& s : services) {
      const auto usd = consumer_usd(s.spec->name);
      const auto& m = s.sim->metrics();
      if (!usd || !m.output_tokens) continue;
      char cb[160];
      std::snprintf(cb, sizeof cb, "    %s: %s per 1k output tokens\n", s.spec->name.c_str(),
                    FormatUsd(*usd / (static_cast<double>(m.output_tokens) / 1e3)).c_str());
      out << cb;
    }
  }
  if (stalled) out << "  STALLED:\n" << result.stall_report << "\n";
  char buf[160];
  std::snprintf(buf, sizeof buf, "  %llu events in %.2f s of wall time; outputs in %s/\n",
                static_cast<unsigned long long>(sim.events_processed()), wall_s,
                opt.out_dir.c_str());
  out << buf;
  return stalled ? 1 : 0;
}

}  // namespace fleetsim
