// Replay of public cluster traces as job lists.
//
// Microsoft Philly (msr-fiddle/philly-traces, `cluster_job_log`): one JSON array of job
// records {"jobid", "user", "vc", "status", "submitted_time", "attempts": [{"start_time",
// "end_time", "detail": [{"ip", "gpus": [...]}]}]}, times "YYYY-MM-DD HH:MM:SS".
//   arrival  = submitted_time (relative to the earliest kept job)
//   GPUs     = GPUs listed in the first attempt's details (the trace authors' rule)
//   duration = last attempt's end_time - first attempt's start_time (the authors' rule: it
//              includes the gaps between retried attempts)
//
// Alibaba PAI 2020 (alibaba/clusterdata, cluster-trace-gpu-v2020): pai_job_table.csv
// (job_name,inst_id,user,status,start_time,end_time) and pai_task_table.csv (job_name,
// task_name,inst_num,status,start_time,end_time,plan_cpu,plan_mem,plan_gpu,gpu_type); the
// published CSVs have no header line (it ships as .header files); one is accepted if present.
//   arrival  = job start_time (the submission time; seconds, shifted by a constant)
//   GPUs     = sum over the job's tasks of inst_num x plan_gpu (percent of a GPU): below 100
//              a fractional job sharing one GPU; otherwise whole GPUs, rounded up
//   duration = latest end_time - earliest start_time of the job's GPU tasks
//   GPU type = the tasks' gpu_type, when the scenario maps it to a catalog device
//
// Records that are well-formed but unusable (no attempts, still running, CPU only, negative
// run time, a filtered status) are skipped and counted by reason in the TraceSummary.
// Malformed records (bad JSON, a missing key, a number that is not one, a wrong field count)
// are errors naming file:line, or, with on_malformed = skip, skipped and counted too.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "models/scheduling/job.h"

namespace fleetsim {

struct TraceOptions {
  std::vector<std::string> statuses;  // keep only these final statuses; empty = all
  double time_scale = 1.0;            // multiplies arrival times (< 1: more load)
  int64_t max_jobs = -1;              // keep the first N by arrival; -1 = all
  bool skip_malformed = false;
  // PAI gpu_type -> index into JobSet::device_names; types not listed run anywhere.
  std::map<std::string, int32_t> pai_gpu_types;
};

struct TraceJobs {
  std::vector<JobSpec> jobs;  // sorted by arrival, arrival of the first = 0
  TraceSummary summary;
};

// Throw ConfigError (file:line) for unreadable files and malformed records.
TraceJobs ReadPhillyTrace(const std::string& path, const TraceOptions& options);
TraceJobs ReadPaiTrace(const std::string& job_table, const std::string& task_table,
                       const TraceOptions& options);

// Sorts by arrival (stable), applies time_scale and max_jobs, shifts arrivals to start at 0,
// and fills the estimate with the duration (the true value; workloads add errors per run).
void FinishTraceJobs(TraceJobs* t, const TraceOptions& options);

// "2017-10-07 01:12:09" -> seconds since 1970-01-01 (no time zone: only differences are
// used). False if the text is not exactly in that form or not a valid date.
bool ParsePhillyTime(const std::string& text, double* seconds);

}  // namespace fleetsim
