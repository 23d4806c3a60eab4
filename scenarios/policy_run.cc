#include "scenarios/policy_run.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "models/scheduling/metrics.h"
#include "models/scheduling/policy_scenario.h"
#include "models/scheduling/scheduler_sim.h"
#include "scenarios/report/report_html.h"
#include "sim/config/config.h"
#include "sim/config/config_error.h"
#include "sim/simulator.h"
#include "sim/trace/timeseries.h"
#include "sim/units.h"

namespace fleetsim {

namespace {

using Json = nlohmann::ordered_json;

SimTime At(double s) { return SimTime::FromNanoseconds(Duration::FromSeconds(s).ns()); }

// NaN (no SLO jobs) is written as null.
Json Number(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

Json MetricsJson(const RunMetrics& m) {
  Json j;
  j["status"] = m.status;
  j["jobs"] = m.jobs;
  j["completed"] = m.completed;
  j["rejected"] = m.rejected;
  j["unfinished"] = m.unfinished;
  j["jct_mean_s"] = Number(m.jct_mean_s);
  j["jct_p99_s"] = Number(m.jct_p99_s);
  j["queue_mean_s"] = Number(m.queue_mean_s);
  j["makespan_s"] = Number(m.makespan_s);
  j["utilisation"] = Number(m.utilisation);
  j["goodput"] = Number(m.goodput);
  j["slo_attainment"] = Number(m.slo_attainment);
  j["slo_jobs"] = m.slo_jobs;
  j["cost_usd"] = Number(m.cost_usd);
  j["ftf_mean"] = Number(m.ftf_mean);
  j["ftf_max"] = Number(m.ftf_max);
  j["fairness_jain"] = Number(m.fairness_jain);
  j["preemptions"] = m.preemptions;
  j["overhead_gpu_h"] = Number(m.overhead_gpu_h);
  j["idle_reserved_gpu_h"] = Number(m.idle_reserved_gpu_h);
  j["weight_loads"] = m.weight_loads;
  j["weight_load_gpu_h"] = Number(m.weight_load_gpu_h);
  j["passes"] = m.passes;
  return j;
}

std::string Hours(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g h", s / 3600);
  return buf;
}

}  // namespace

bool IsPolicyScenarioFile(const std::string& path) {
  try {
    const auto doc = ConfigDocument::LoadFile(path);
    const ConfigNode root = doc->Root();
    return root.IsMap() && (root.Has("jobs") || root.Has("scheduler") || root.Has("policies"));
  } catch (const std::exception&) {
    return false;
  }
}

int RunPolicyScenarioFile(const std::string& path, const std::vector<std::string>& overrides,
                          const std::string& policy, const RunOptions& options, std::ostream& out) {
  const PolicyScenario sc = LoadPolicyScenario(path, overrides);
  if (policy.find(',') != std::string::npos) {
    throw InputError("--policy takes one policy; compare several with 'fleetsim bench-policies " +
                     path + " --policies " + policy + "'");
  }
  const PolicySpec spec = policy.empty() ? sc.base : ResolvePolicies(sc, policy).front();
  const uint64_t seed = options.seed.value_or(sc.seed);
  const std::filesystem::path dir = options.out_dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw InputError("cannot create output directory " + dir.string() + ": " + ec.message());

  const auto wall0 = std::chrono::steady_clock::now();
  Simulator sim(seed);
  SchedulingOptions opt;
  opt.horizon_s = sc.horizon_s;
  SchedulingSim sched(sim, sc.cluster, sc.workload->job_set(), BuildPolicy(spec),
                      sc.workload->MakeSource(seed), opt);
  sched.Start();
  const double total_gpus = static_cast<double>(sched.cluster().total_gpus());
  TimeSeriesWriter ts(
      (dir / "timeseries.csv").string(),
      {"scheduler.jobs_waiting", "scheduler.jobs_running", "scheduler.jobs_completed",
       "scheduler.gpus_held", "scheduler.gpus_held_fraction", "scheduler.weight_loads"});
  auto row = [&] {
    const double held = total_gpus - sched.cluster().total_free();
    ts.Row(sim.Now(),
           {static_cast<double>(sched.jobs_waiting()), static_cast<double>(sched.jobs_holding()),
            static_cast<double>(sched.jobs_completed()), held, held / total_gpus,
            static_cast<double>(sched.weight_loads())});
  };
  row();
  // The run in slices of one interval; a row after all events of each slice's last instant.
  // Slicing does not change the simulation: the events and their order are those of one Run.
  RunResult r;
  for (int64_t k = 1;; ++k) {
    double until = static_cast<double>(k) * sc.timeseries_interval_s;
    const bool last = until >= sc.horizon_s;
    if (last) until = sc.horizon_s;
    r = sim.Run(At(until));
    if (r.status != RunResult::Status::kReachedLimit) {
      if (sim.Now() > At(static_cast<double>(k - 1) * sc.timeseries_interval_s)) row();
      break;
    }
    row();
    if (last) break;
  }
  ts.Close();
  std::string status = "finished";
  if (r.status == RunResult::Status::kStalled) status = "stalled";
  if (r.status == RunResult::Status::kReachedLimit) status = "horizon";
  RunMetrics m = ComputeMetrics(sched, status);
  m.seed = seed;
  m.events = sim.events_processed();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();

  Json summary;
  summary["schema"] = "fleetsim.summary/1";
  summary["scenario"] = sc.name;
  summary["seed"] = seed;
  summary["duration_s"] = sim.Now().seconds();
  summary["status"] = status == "stalled" ? "stalled" : "completed";
  if (status == "stalled") summary["stall_report"] = r.stall_report;
  summary["events"] = m.events;
  Json s;
  s["policy"] = spec.label;
  s["queue"] = spec.queue.name;
  s["backfill"] = BackfillName(sched.policy().backfill);
  s["placement"] = spec.placement.name;
  s["preemption"] = spec.preemption.name;
  s["admission"] = spec.admission.name;
  s["gpus"] = sched.cluster().total_gpus();
  const Json metrics = MetricsJson(m);
  for (const auto& [k, v] : metrics.items()) s[k] = v;
  Json rejections = Json::array();
  for (const auto& [reason, count] : sched.rejections()) {
    rejections.push_back({{"reason", reason}, {"count", count}});
  }
  s["rejections"] = rejections;
  summary["scheduler"] = s;
  {
    std::ofstream f(dir / "summary.json", std::ios::binary);
    f << summary.dump(2) << "\n";
    if (!f) throw InputError("cannot write " + (dir / "summary.json").string());
  }
  WriteRunReport(dir.string());

  out << sc.name << ": policy '" << spec.label << "' (queue " << spec.queue.name << ", backfill "
      << BackfillName(sched.policy().backfill) << ", placement " << spec.placement.name
      << ", preemption " << spec.preemption.name << ", admission " << spec.admission.name
      << "), seed " << seed << "\n";
  if (const TraceSummary* t = sc.workload->trace_summary()) out << t->Format();
  out << "  jobs: " << m.jobs << " arrived, " << m.completed << " completed, " << m.rejected
      << " rejected, " << m.unfinished << " unfinished (" << status << ")\n";
  out << "  JCT mean " << Hours(m.jct_mean_s) << ", p99 " << Hours(m.jct_p99_s)
      << "; queueing delay " << Hours(m.queue_mean_s) << "; makespan " << Hours(m.makespan_s)
      << "\n";
  char line[160];
  std::snprintf(line, sizeof line, "  GPU utilisation %.1f %% (goodput %.1f %%), cost %s\n",
                m.utilisation * 100, m.goodput * 100, FormatUsd(m.cost_usd).c_str());
  out << line;
  if (m.slo_jobs > 0) {
    std::snprintf(line, sizeof line, "  SLO attainment %.1f %% of %lld jobs\n",
                  m.slo_attainment * 100, static_cast<long long>(m.slo_jobs));
    out << line;
  }
  std::snprintf(line, sizeof line,
                "  preemptions %lld; weight loads %lld (%.3g GPU-h); fairness (Jain) %.3f\n",
                static_cast<long long>(m.preemptions), static_cast<long long>(m.weight_loads),
                m.weight_load_gpu_h, m.fairness_jain);
  out << line;
  out << "wrote " << (dir / "summary.json").string() << ", timeseries.csv, report.html\n";
  if (!options.quiet) {
    std::cerr << "fleetsim: " << m.events << " events in " << wall << " s\n";
  }
  if (status == "stalled") {
    std::cerr << "fleetsim: the simulation stalled:\n" << r.stall_report << "\n";
    return 1;
  }
  return 0;
}

}  // namespace fleetsim
