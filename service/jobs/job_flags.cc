#include "service/jobs/job_flags.h"

#include <string>

#include "base/status_macros.h"

namespace peermatch::jobs {

void DefineJobFlags(FlagSet* f) {
  f->Define("job-lease-ms", "10000",
            "batch-job lease time-to-live (1000-600000); renewed every third "
            "of it, and the longest a dead replica's job waits for takeover");
  f->Define("job-max-attempts", "3",
            "starts of a job whose lease is lost before it is marked FAILED "
            "(1-100)");
  f->Define("job-max-run-ms", "1800000",
            "a job running longer than this is ended FAILED");
  f->Define("job-poll-ms", "500",
            "how often an idle replica looks for queued jobs (50-60000)");
}

absl::StatusOr<JobWorkerOptions> JobWorkerOptionsFromFlags(const FlagSet& f) {
  JobWorkerOptions o;
  ASSIGN_OR_RETURN(int64_t lease, f.GetInt("job-lease-ms", 1000, 600000));
  o.lease_ttl = absl::Milliseconds(lease);
  ASSIGN_OR_RETURN(int64_t attempts, f.GetInt("job-max-attempts", 1, 100));
  o.max_attempts = static_cast<int>(attempts);
  ASSIGN_OR_RETURN(int64_t run, f.GetInt("job-max-run-ms", 1000, 86400000));
  o.max_run_time = absl::Milliseconds(run);
  ASSIGN_OR_RETURN(int64_t poll, f.GetInt("job-poll-ms", 50, 60000));
  o.poll_interval = absl::Milliseconds(poll);
  return o;
}

}  // namespace peermatch::jobs
