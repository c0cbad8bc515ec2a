// peermatchd's job-worker flags (SPEC §10: every flag has a PEERMATCH_*
// environment equivalent):
//
//   FlagSet flags("peermatchd");
//   DefineJobFlags(&flags);
//   RETURN_IF_ERROR(flags.Parse(argc, argv, getenv));
//   ASSIGN_OR_RETURN(JobWorkerOptions options,
//   JobWorkerOptionsFromFlags(flags));
//
//   --job-lease-ms        lease time-to-live; renewed every third of it
//                         (default 10000: a dead replica's job is taken
//                         over within about 10.5 s)
//   --job-max-attempts    starts before a job whose lease keeps being lost
//                         is marked FAILED (default 3)
//   --job-max-run-ms      a run past this is ended FAILED (default 1800000)
//   --job-poll-ms         how often an idle worker looks for work (500)
#ifndef PEERMATCH_SERVICE_JOBS_JOB_FLAGS_H_
#define PEERMATCH_SERVICE_JOBS_JOB_FLAGS_H_

#include "absl/status/statusor.h"
#include "service/common/flags.h"
#include "service/jobs/job_worker.h"

namespace peermatch::jobs {

void DefineJobFlags(FlagSet* flags);

// INVALID_ARGUMENT naming the flag when a value is out of range.
absl::StatusOr<JobWorkerOptions> JobWorkerOptionsFromFlags(
    const FlagSet& flags);

}  // namespace peermatch::jobs

#endif  // PEERMATCH_SERVICE_JOBS_JOB_FLAGS_H_
