#include "scenarios/runner.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>

#include "models/serving/service_sim.h"
#include "models/training/training_job.h"
#include "models/workload/arrivals.h"
#include "scenarios/replica_binding.h"
#include "scenarios/report/interval_latency.h"
#include "scenarios/report/report_html.h"
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
  TraceObserver(TraceWriter& trace, const std::string& service, int64_t replicas) : trace_(trace) {
    for (int64_t i = 0; i < replicas; ++i) {
      tracks_.push_back(trace.AddTrack("service " + service, "replica " + std::to_string(i)));
    }
  }
  void OnIteration(size_t replica, Phase phase, SimTime start, SimTime end, int64_t sequences,
                   int64_t steps) override {
    const char* name = phase == Phase::kPrefill  ? "prefill"
                       : phase == Phase::kDecode ? "decode"
                                                 : "prefill+decode";
    trace_.Slice(tracks_[replica], name, start, end - start, "serving",
                 JsonNumber("sequences", static_cast<double>(sequences)) + ", " +
                     JsonNumber("iterations", static_cast<double>(steps)));
  }

 private:
  TraceWriter& trace_;
  std::vector<TraceWriter::Track> tracks_;
};

struct ServiceRun {
  const ServiceSpec* spec;
  BoundReplica bound;
  std::unique_ptr<ServiceSim> sim;
  std::unique_ptr<TraceObserver> observer;
  uint32_t counter_pid = 0;
  IntervalLatencyColumns latency;  // ttft/tpot percentiles per interval
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
  fs::create_directories(opt.out_dir, ec);
  if (ec) throw InputError("cannot create output directory '" + opt.out_dir + "': " + ec.message());

  const uint64_t seed = opt.seed.value_or(sc.seed);
  Simulator sim(seed, 0);
  const double horizon_s = sc.duration.seconds();

  std::unique_ptr<TraceWriter> trace;
  if (sc.outputs.trace) {
    TraceOptions topt;
    topt.max_events = sc.outputs.max_trace_events;
    topt.counter_min_interval = sc.outputs.timeseries_interval;
    trace = std::make_unique<TraceWriter>(opt.out_dir + "/trace.json", topt);
  }

  std::vector<ServiceRun> services;
  services.reserve(sc.services.size());
  for (const auto& spec : sc.services) {
    ServiceRun run;
    run.spec = &spec;
    ReplicaLayout layout;
    layout.model = spec.model;
    layout.precision = spec.precision;
    layout.gpu = spec.gpu;
    layout.tensor_parallel = spec.tensor_parallel;
    layout.runtime = spec.runtime;
    layout.max_batch = spec.config.batching.max_batch;
    layout.max_batched_tokens = spec.config.batching.max_batched_tokens;
    layout.weight_streaming = spec.weight_streaming;
    layout.kv_fraction = spec.kv_fraction;
    layout.link_efficiency = spec.link_efficiency;
    try {
      run.bound = BindReplica(layout);
    } catch (const InputError& e) {
      throw InputError("service '" + spec.name + "': " + e.what());
    }
    StreamContext ctx;
    ctx.rng = sim.rng();
    ctx.name = spec.name;
    ctx.horizon_s = horizon_s;
    for (const auto& c : spec.config.classes) ctx.class_names.push_back(c.name);
    auto stream = ReadRequestStream(*spec.demand, ctx);
    run.sim = std::make_unique<ServiceSim>(
        sim, spec.config,
        ReplicaPerformance{run.bound.iteration_time.get(), run.bound.kv_capacity_tokens},
        std::move(stream), sim.rng());
    if (trace) {
      run.observer = std::make_unique<TraceObserver>(*trace, spec.name, spec.config.replicas);
      run.sim->SetObserver(run.observer.get());
      run.counter_pid = trace->AddProcess("service " + spec.name);
    }
    run.sim->Start();
    services.push_back(std::move(run));
  }

  // Training jobs: whole iterations, many at once between checkpoints (training_job.h).
  std::vector<std::unique_ptr<TrainingJobSim>> jobs;
  for (const auto& spec : sc.training_jobs) {
    jobs.push_back(std::make_unique<TrainingJobSim>(
        sim, spec.name, spec.iteration, spec.layout.pp, spec.layout.Gpus(), spec.tokens,
        spec.failures, sim.rng().Stream("training/" + spec.name + "/failures"), trace.get()));
    jobs.back()->Start();
  }

  // Time series: one row per interval, sampled after everything else at that instant.
  std::vector<std::string> columns;
  for (const auto& s : services) {
    for (const char* c :
         {"arrived", "completed", "rejected", "waiting", "running", "kv_used_fraction"}) {
      columns.push_back(s.spec->name + "." + c);
    }
    IntervalLatencyColumns::AppendNames(s.spec->name, columns);
  }
  for (const auto& j : sc.training_jobs) columns.push_back(j.name + ".tokens_trained");
  TimeSeriesWriter ts(opt.out_dir + "/timeseries.csv", columns);
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
      k = s.latency.Sample(m.overall, row, k);
      if (trace) {
        trace->Counter(s.counter_pid, "waiting", sim.Now(), static_cast<double>(s.sim->Waiting()));
        trace->Counter(s.counter_pid, "running", sim.Now(), static_cast<double>(s.sim->Running()));
        trace->Counter(s.counter_pid, "kv used fraction", sim.Now(), kv);
      }
    }
    for (size_t j = 0; j < jobs.size(); ++j) {
      const auto& spec = sc.training_jobs[j];
      row[k++] = static_cast<double>(jobs[j]->IterationsAt(sim.Now()) * spec.layout.global_batch *
                                     spec.layout.seq_len);
    }
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
  }
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  if (progress && wall_s > 1.0) std::fputc('\n', stderr);
  // Reaching the horizon is the normal end; queued work then is "in flight", not a stall.
  const bool stalled = result.status == RunResult::Status::kStalled;

  Json summary;
  summary["schema"] = "fleetsim.summary/1";
  summary["scenario"] = sc.name;
  summary["seed"] = seed;
  summary["duration_s"] = horizon_s;
  summary["status"] = stalled ? "stalled" : "completed";
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
    j["replicas"] = spec.config.replicas;
    j["gpus"] = spec.config.replicas * spec.tensor_parallel;
    j["kv_capacity_tokens_per_replica"] = s.bound.kv_capacity_tokens;
    j["weights_bytes_per_gpu"] = s.bound.weights_bytes_per_gpu;
    j["streamed_bytes_per_gpu_per_iteration"] = s.bound.streamed_bytes_per_gpu;
    j["notes"] = s.bound.notes;
    j["arrived"] = m.arrived;
    j["completed"] = m.completed;
    j["rejected"] = m.rejected;
    j["in_flight_at_end"] = m.in_flight;
    j["preemptions"] = m.preemptions;
    j["accounted"] = m.Balanced();
    j["throughput_requests_per_s"] = static_cast<double>(m.completed) / horizon_s;
    j["output_tokens_per_s"] = static_cast<double>(m.output_tokens) / horizon_s;
    j["replica_busy_fraction"] = static_cast<double>(m.replica_busy_ns) * 1e-9 /
                                 (horizon_s * static_cast<double>(spec.config.replicas));
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
    const double elapsed = m.finished ? m.finish_time_s : horizon_s;
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
    j["time_to_train_s"] = m.finished ? m.finish_time_s : -1.0;
    j["failures"] = m.failures;
    j["checkpoints"] = m.checkpoints;
    j["lost_work_s"] = m.lost_work_s;
    j["checkpoint_s"] = m.checkpoint_s;
    j["restart_s"] = m.restart_s;
    j["goodput_sampled"] =
        elapsed > 0 ? static_cast<double>(m.iterations_done) * it.iteration_s / elapsed : 0.0;
    tjobs.push_back(j);
  }
  summary["training_jobs"] = tjobs;
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
        << " x " << spec.tensor_parallel << " " << spec.gpu->name << "\n";
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
