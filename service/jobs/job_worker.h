// The per-replica job worker (SPEC §7, R-JOBS): finds queued jobs, holds
// the pool's lease while a runner computes, heartbeats it, and ends the job.
//
//   store::JobRepository repo(&redis);
//   JobWorker worker(&repo, {.lease_ttl = absl::Seconds(10)});
//   worker.RegisterRunner(1, std::make_shared<MentorMatchingRunner>(...));
//   worker.Start();
//   ...
//   worker.Wake();       // after creating a job here: look at once
//   ...
//   worker.Shutdown();   // SIGTERM, after calls drained: give the lease back
//
// Threads: one control thread polls keys::JobPools every `poll_interval`
// (or at once after Wake), acquires a pool's lease (JobRepository::Acquire:
// the oldest QUEUED job, or a takeover of an orphaned RUNNING one), and
// while a job runs renews the lease every lease_ttl/3. The runner runs on a
// run thread of its own, one job at a time per replica: a batch run uses
// every core it is given, and the lease already limits each pool to one.
//
// How a run ends:
//   - runner OK                    -> SUCCEEDED with its result payload;
//   - error after a cancel request -> CANCELLED (the runner stopped before
//                                     EnterCommit, so nothing was committed);
//   - error during shutdown        -> given back: QUEUED again at the head
//                                     of the queue, attempt not counted;
//   - lease lost (renew refused, or not renewed for a whole lease_ttl)
//                                  -> nothing: every write would be refused;
//                                     another replica takes over or marks it
//                                     FAILED after max_attempts;
//   - past max_run_time            -> FAILED by the control thread, which
//                                     also ends the lease, so a hung runner
//                                     can commit nothing;
//   - any other error              -> FAILED with "<CODE>: <message>".
// Finish is retried while the lease can still be valid, so a short Redis
// outage does not turn a finished run into a rerun.
//
// Shutdown: stops polling, asks the runner to stop (Cancelled() is true),
// waits up to `shutdown_wait` for it, then gives the lease back itself
// (unless the run is inside its commit) so another replica can start the
// job at once; finally joins the threads, which waits for the runner to
// return. Logs carry pool and job ids, kinds, attempts, codes and
// durations only.
//
// Thread-safe. RegisterRunner must precede Start.
#ifndef PEERMATCH_SERVICE_JOBS_JOB_WORKER_H_
#define PEERMATCH_SERVICE_JOBS_JOB_WORKER_H_

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "service/jobs/job_runner.h"
#include "service/store/job_repository.h"

namespace peermatch::jobs {

struct JobWorkerOptions {
  // This replica's id in leases and job records; default
  // "<hostname>-<pid>-<random>".
  std::string owner;
  absl::Duration lease_ttl = absl::Seconds(10);
  absl::Duration poll_interval = absl::Milliseconds(500);
  int max_attempts = 3;
  absl::Duration max_run_time = absl::Minutes(30);
  // Deadline of each store call.
  absl::Duration store_timeout = absl::Seconds(2);
  absl::Duration shutdown_wait = absl::Seconds(2);
  // Least time between two progress writes of the same phase.
  absl::Duration progress_interval = absl::Milliseconds(250);
};

class JobWorker {
 public:
  JobWorker(store::JobRepository* repo, JobWorkerOptions options);
  ~JobWorker();  // Shutdown()

  JobWorker(const JobWorker&) = delete;
  JobWorker& operator=(const JobWorker&) = delete;

  // Registers the runner of `kind` (> 0). Before Start only.
  void RegisterRunner(int kind, std::shared_ptr<JobRunner> runner);
  bool HasRunner(int kind) const;

  void Start();
  // Polls now instead of at the next interval.
  void Wake();
  // Takes no new job from now on; a running one continues (SIGTERM: while
  // calls drain, before Shutdown gives its lease back).
  void StopTakingJobs();
  // See the file comment. Idempotent; blocks until the threads ended.
  void Shutdown();

  const std::string& owner() const { return options_.owner; }

 private:
  struct Run;
  class Context;

  void ControlLoop();
  // Looks for work once; may start a run. Called without mu_.
  void PollOnce();
  // `asked`: local time before the Acquire call (the lease's earliest
  // possible start).
  void StartRun(store::AcquireResult acquired, absl::Time asked);
  void Heartbeat(Run& run);
  // The run thread's body.
  void Execute(std::shared_ptr<Run> run);
  // Ends the run's job once (the first caller wins). `result` is the
  // runner's outcome; ignored when `forced` names the end.
  enum class Forced { kNone, kGiveBack, kTimedOut };
  void Finalize(Run& run, const absl::StatusOr<std::string>& result,
                Forced forced);
  absl::Time StoreDeadline() const;

  store::JobRepository* repo_;
  JobWorkerOptions options_;
  std::map<int, std::shared_ptr<JobRunner>> runners_;  // fixed after Start

  std::mutex mu_;  // std, not absl: see connection_pool.h
  std::condition_variable cv_;
  bool started_ = false;         // guarded by mu_
  bool stopping_ = false;        // guarded by mu_
  bool wake_ = false;            // guarded by mu_
  bool draining_ = false;        // guarded by mu_
  std::shared_ptr<Run> active_;  // guarded by mu_
  std::thread control_;
  bool poll_failing_ = false;  // control thread only
};

}  // namespace peermatch::jobs

#endif  // PEERMATCH_SERVICE_JOBS_JOB_WORKER_H_
