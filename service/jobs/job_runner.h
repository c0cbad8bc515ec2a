// The plug-in point of batch jobs (SPEC §7, R-JOBS): a JobRunner computes
// one kind of job, a JobContext is its view of the running job.
//
//   class MentorMatchingRunner : public JobRunner {
//    public:
//     absl::StatusOr<std::string> Run(JobContext& ctx) override {
//       ASSIGN_OR_RETURN(Options o, Decode(ctx.options()));
//       RETURN_IF_ERROR(ctx.ReportProgress("loading", 0));
//       ... compute, checking ctx.Cancelled() between phases and passing
//       ... ctx.reference_time() and ctx.deadline() down ...
//       if (ctx.Cancelled()) return absl::CancelledError("cancelled");
//       RETURN_IF_ERROR(ctx.EnterCommit());       // last chance to cancel
//       ... the ONE atomic, fenced commit, passing ctx.fencing_token() ...
//       return SerializedResult(report);          // stored as the result
//     }
//   };
//   worker.RegisterRunner(/*kind=*/1,
//   std::make_shared<MentorMatchingRunner>());
//
// Contract for runners:
//   - Results are committed all at once by one fenced write that passes
//     fencing_token(); the store refuses it once the lease is lost, so a
//     runner never needs to check the lease itself.
//   - Call EnterCommit() right before that write and stop if it fails: after
//     a cancel request it returns CANCELLED and the job ends CANCELLED with
//     the pool unchanged; once it has returned OK, cancel is refused.
//   - Check Cancelled() between phases and return any error when it is
//     true. The worker then decides the job's end (CANCELLED, given back at
//     shutdown, or nothing when the lease was lost).
//   - A returned error ends the job FAILED with "<CODE>: <message>": keep
//     messages to ids, counts and codes (R-SEC: never profile content).
//   - The same job may run again from the start on another replica (a
//     takeover after a lost lease, or a give-back at shutdown), so a run
//     must not depend on anything a previous attempt did.
//   - Run is called on the worker's own run thread; it may block.
#ifndef PEERMATCH_SERVICE_JOBS_JOB_RUNNER_H_
#define PEERMATCH_SERVICE_JOBS_JOB_RUNNER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace peermatch::jobs {

class JobContext {
 public:
  virtual ~JobContext() = default;

  virtual const std::string& pool() const = 0;
  virtual const std::string& job_id() const = 0;
  virtual int kind() const = 0;
  // The opaque options payload given at StartJob.
  virtual const std::string& options() const = 0;
  // Fixed when the job was created (SPEC §7).
  virtual absl::Time reference_time() const = 0;
  virtual int attempt() const = 0;
  virtual const std::string& actor() const = 0;
  // The lease's fencing token: pass it to the commit.
  virtual int64_t fencing_token() const = 0;
  // When the worker will end the run as FAILED (--job-max-run-ms).
  virtual absl::Time deadline() const = 0;

  // Records the phase ([a-z_-], e.g. "scoring") and percent (0-100).
  // Writes are rate-limited (a phase change is always written) and best
  // effort: transient store errors are not reported. ABORTED when the lease
  // is lost.
  virtual absl::Status ReportProgress(absl::string_view phase,
                                      double percent) = 0;

  // True when the run should stop: cancel was requested, the lease was
  // lost, the replica is shutting down, or the deadline passed.
  virtual bool Cancelled() const = 0;

  // Enters the commit (phase "committing"). CANCELLED after a cancel
  // request, ABORTED when the lease is lost, UNAVAILABLE when the replica is
  // shutting down (the job is given back and runs again elsewhere).
  virtual absl::Status EnterCommit() = 0;
};

class JobRunner {
 public:
  virtual ~JobRunner() = default;
  // Returns the result payload stored with the job when it SUCCEEDS.
  virtual absl::StatusOr<std::string> Run(JobContext& ctx) = 0;
};

}  // namespace peermatch::jobs

#endif  // PEERMATCH_SERVICE_JOBS_JOB_RUNNER_H_
