// Coordinator batch jobs in Redis (SPEC §7, R-JOBS): job records, the
// per-pool queue, idempotency keys, and the pool's lease with its fencing
// token.
//
//   JobRepository jobs(&client);
//   NewJob spec{.kind = 1, .idempotency_key = "nightly-2026-11-26",
//               .reference_time = now, .options = payload, .actor = "ops"};
//   ASSIGN_OR_RETURN(CreateResult c, jobs.Create("pool-1", spec, deadline));
//
//   // A worker:
//   ASSIGN_OR_RETURN(AcquireResult a,
//                    jobs.Acquire("pool-1", "replica-7", {}, deadline));
//   if (a.outcome == AcquireResult::Outcome::kAcquired) {
//     RETURN_IF_ERROR(jobs.ReportProgress(a.lease, "scoring", 40, dl)...);
//     ASSIGN_OR_RETURN(RenewResult r, jobs.Renew(a.lease, ttl, deadline));
//     RETURN_IF_ERROR(jobs.EnterCommit(a.lease, deadline));
//     // ... the fenced commit of the results, passing a.lease.token ...
//     RETURN_IF_ERROR(jobs.Finish(a.lease, {.state = JobState::kSucceeded,
//                                           .result = report}, deadline));
//   }
//
// The store does not know job kinds or options: kind is a number and the
// options and result are opaque payloads (the API layer stores serialized
// protos there). States use the numbers of peermatch.v1.JobState.
//
// The lease (keys::JobLease) is what makes "at most one batch per pool
// across all replicas" true. Its expiry `exp` is compared with Redis's own
// clock (TIME inside the scripts), the one clock every replica shares, so
// clock skew between replicas cannot make two of them hold it. Every write a
// lease holder makes (progress, commit entry, finish, give-back) passes the
// fencing token and is refused with ABORTED ("stale lease") unless the lease
// still holds that token and has not expired; tokens come from INCR on
// keys::JobFence, so they only grow. A worker that lost its lease can
// therefore change nothing; the results commit (match_repository.h) checks
// the same token.
//
// Takeover: Acquire on a pool whose lease expired while its job was RUNNING
// (the holder died or was cut off) takes that job over with attempt + 1, or
// marks it FAILED ("lease lost N times") once it has been started
// `max_attempts` times. A job is therefore never RUNNING forever.
//
// Cancel: a QUEUED job becomes CANCELLED at once; a RUNNING one gets
// `cancel_requested`, which the holder sees on its next renew or progress
// write and obeys by finishing CANCELLED without committing. Once the
// holder has entered its commit (EnterCommit), cancel is refused with
// FAILED_PRECONDITION, so an accepted cancel always means "nothing was
// committed".
//
// Every write is one Lua script that declares all its keys (the `{pool}`
// tag puts them in one slot) and checks everything before its first write.
// The global set keys::JobPools (pools that may have work) is maintained
// outside the scripts: Create adds the pool after the job exists, and
// MarkIdle removes it and re-checks, so no pool with work is ever missing
// from it (docs/jobs.md).
//
// Thread-safe; calls block. Never logs. Errors: INVALID_ARGUMENT (ids,
// bounds), NOT_FOUND, FAILED_PRECONDITION (cancel of a finished or
// committing job), ABORTED (stale lease), CANCELLED (EnterCommit after a
// cancel request), plus RedisClient's UNAVAILABLE / DEADLINE_EXCEEDED, after
// which a write may or may not have happened.
#ifndef PEERMATCH_SERVICE_STORE_JOB_REPOSITORY_H_
#define PEERMATCH_SERVICE_STORE_JOB_REPOSITORY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "service/store/redis_client.h"
#include "service/store/reply.h"
#include "service/store/script.h"

namespace peermatch::store {

// Numbers as peermatch.v1.JobState.
enum class JobState : int {
  kQueued = 1,
  kRunning = 2,
  kSucceeded = 3,
  kFailed = 4,
  kCancelled = 5,
};

bool IsTerminal(JobState state);

// Job ids are "j<n>" with n from the pool's counter.
bool IsValidJobId(absl::string_view id);
// Idempotency keys: 1-128 characters of [A-Za-z0-9._:-].
bool IsValidIdempotencyKey(absl::string_view key);

struct JobRecord {
  std::string id;
  int64_t seq = 0;  // n of "j<n>"
  int kind = 0;
  JobState state = JobState::kQueued;
  std::string phase;
  double progress_percent = 0;
  std::string idempotency_key;
  absl::Time reference_time;
  std::string options;  // opaque
  std::string result;   // opaque; empty unless SUCCEEDED (not read by List)
  std::string error;    // FAILED only; ids and codes, never profile content
  absl::Time create_time;
  std::optional<absl::Time> start_time;
  std::optional<absl::Time> end_time;
  int attempt = 0;  // starts, not counting runs given back at shutdown
  std::string actor;
  std::string owner;  // the replica running it; empty otherwise
  bool cancel_requested = false;
  bool committing = false;
  int64_t version = 0;  // +1 on every change
};

struct NewJob {
  int kind = 0;
  std::string idempotency_key;  // "" = none
  absl::Time reference_time;
  std::string options;
  std::string actor;
};

struct CreateResult {
  JobRecord job;
  bool existing = false;  // the idempotency key named an earlier job
};

struct JobPage {
  std::vector<JobRecord> jobs;  // newest first, without `result`
  // Pass as `before_seq` for the next page; 0 on the last page.
  int64_t next_before_seq = 0;
};

// A held lease. `expires` is by Redis's clock.
struct Lease {
  std::string pool;
  std::string job_id;
  int64_t token = 0;
  std::string owner;
  absl::Time expires;
};

struct AcquireOptions {
  absl::Duration ttl = absl::Seconds(10);
  int max_attempts = 3;
};

struct AcquireResult {
  enum class Outcome {
    kAcquired,  // `lease` and `job` are set; the job is RUNNING
    kHeld,      // another holder's lease is valid
    kIdle,      // no lease and nothing QUEUED or orphaned
  };
  Outcome outcome = Outcome::kIdle;
  Lease lease;
  JobRecord job;
  bool takeover = false;  // `job` was RUNNING under an expired lease
  // Orphaned jobs ended on the way: FAILED after losing their lease
  // max_attempts times, or CANCELLED when cancel had been requested.
  std::vector<std::string> ended;
};

struct RenewResult {
  absl::Time expires;  // by Redis's clock
  bool cancel_requested = false;
};

struct JobOutcome {
  JobState state = JobState::kSucceeded;  // SUCCEEDED, FAILED or CANCELLED
  std::string result;                     // SUCCEEDED
  std::string error;                      // FAILED
  // Refuse (FAILED_PRECONDITION) when the holder has entered its commit:
  // for ends imposed from outside the run (a deadline), which must not
  // overwrite a commit that may have happened.
  bool unless_committing = false;
};

struct JobRepositoryOptions {
  int64_t audit_max_len = 10000;  // XADD MAXLEN ~ for the audit stream
  // Finished jobs beyond this many per pool are deleted, oldest first, with
  // their idempotency keys (R-SEC: bounded retention).
  int64_t max_retained_jobs = 1000;
  // Job timestamps (not the lease) come from here.
  std::function<absl::Time()> clock = [] { return absl::Now(); };
};

class JobRepository {
 public:
  static constexpr int kMaxPageSize = 100;
  static constexpr size_t kMaxOptionsBytes = 64 * 1024;
  static constexpr size_t kMaxResultBytes = 32 << 20;
  static constexpr size_t kMaxErrorBytes = 1024;  // longer errors are cut
  static constexpr size_t kMaxPhaseBytes = 32;

  explicit JobRepository(RedisClient* client, JobRepositoryOptions options = {})
      : client_(client), options_(std::move(options)) {}

  // Creates a QUEUED job at the end of the pool's queue, with an audit entry
  // {action job.start, actor, job, kind}, and adds the pool to
  // keys::JobPools. With an idempotency key already used in the pool,
  // returns that job with `existing` (and creates nothing), atomically: two
  // concurrent calls with one key create one job. kind must be > 0.
  absl::StatusOr<CreateResult> Create(absl::string_view pool, const NewJob& job,
                                      absl::Time deadline);

  // NOT_FOUND when absent (or deleted by retention).
  absl::StatusOr<JobRecord> Get(absl::string_view pool,
                                absl::string_view job_id, absl::Time deadline);

  // The job's version (cheap: for watchers); NOT_FOUND when absent.
  absl::StatusOr<int64_t> GetVersion(absl::string_view pool,
                                     absl::string_view job_id,
                                     absl::Time deadline);

  // Up to `page_size` (1..kMaxPageSize) jobs with seq < `before_seq` (0 =
  // from the newest), newest first, without their result payloads.
  absl::StatusOr<JobPage> List(absl::string_view pool, int page_size,
                               int64_t before_seq, absl::Time deadline);

  // QUEUED -> CANCELLED (removed from the queue); RUNNING -> cancel
  // requested (idempotent); with an audit entry {action job.cancel, actor,
  // job}. Returns the job afterwards. FAILED_PRECONDITION when the job has
  // finished or is committing; NOT_FOUND.
  absl::StatusOr<JobRecord> Cancel(absl::string_view pool,
                                   absl::string_view job_id,
                                   absl::string_view actor,
                                   absl::Time deadline);

  // Takes the pool's lease if it is absent or expired, and with it the job
  // to run: the orphaned RUNNING job of an expired lease (takeover, or
  // FAILED after max_attempts starts), else the head of the queue. The job
  // becomes RUNNING with attempt + 1, start time and `owner`.
  absl::StatusOr<AcquireResult> Acquire(absl::string_view pool,
                                        absl::string_view owner,
                                        const AcquireOptions& options,
                                        absl::Time deadline);

  // Extends the lease to Redis-now + ttl. ABORTED when the token no longer
  // holds it or it has expired (it cannot be revived: someone may have
  // taken over).
  absl::StatusOr<RenewResult> Renew(const Lease& lease, absl::Duration ttl,
                                    absl::Time deadline);

  // Records phase (<= kMaxPhaseBytes of [a-z_-]) and percent (0-100);
  // fenced. Returns whether cancel has been requested.
  absl::StatusOr<bool> ReportProgress(const Lease& lease,
                                      absl::string_view phase, double percent,
                                      absl::Time deadline);

  // Marks the job as committing (phase "committing"); fenced. CANCELLED,
  // writing nothing, when cancel has been requested. After OK, Cancel is
  // refused until the job ends or is taken over.
  absl::Status EnterCommit(const Lease& lease, absl::Time deadline);

  // Ends the job (state, end time, result or error, phase "done") and
  // deletes the lease, atomically; fenced.
  absl::Status Finish(const Lease& lease, const JobOutcome& outcome,
                      absl::Time deadline);

  // Gives the lease back without counting the attempt: the job goes back to
  // the head of the queue as QUEUED (or becomes CANCELLED if cancel was
  // requested) and the lease is deleted. Refused (ABORTED) unless the lease
  // still holds the token; allowed after expiry as long as nobody took over.
  // FAILED_PRECONDITION when the job is committing: a commit may have
  // happened, so it must not run again.
  absl::Status GiveBack(const Lease& lease, absl::Time deadline);

  // The pools in keys::JobPools, in no particular order.
  absl::StatusOr<std::vector<std::string>> ActivePools(absl::Time deadline);

  // Removes `pool` from keys::JobPools if it has neither a lease nor queued
  // jobs, re-checking after the removal (and adding it back) so that a job
  // created concurrently is never lost. Returns whether it was removed.
  absl::StatusOr<bool> MarkIdle(absl::string_view pool, absl::Time deadline);

 private:
  absl::Status TrimRetained(absl::string_view pool, int64_t index_size,
                            absl::Time deadline);
  // Runs a lease holder's script with KEYS lease, job, queue and ARGV
  // token, job id, `args`...
  absl::StatusOr<Reply> RunFenced(const Script& script, const Lease& lease,
                                  std::vector<std::string> args,
                                  absl::Time deadline);
  absl::Status AddActivePool(absl::string_view pool, absl::Time deadline);
  int64_t NowMs() const { return absl::ToUnixMillis(options_.clock()); }

  RedisClient* client_;
  JobRepositoryOptions options_;
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_JOB_REPOSITORY_H_
