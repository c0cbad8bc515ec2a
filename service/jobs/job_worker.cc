#include "service/jobs/job_worker.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "service/common/logging.h"
#include "service/common/metrics.h"

namespace peermatch::jobs {
namespace {

std::string DefaultOwner() {
  char host[256] = {0};
  if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "replica");
  }
  absl::BitGen gen;
  std::string owner =
      absl::StrCat(host, "-", getpid(), "-",
                   absl::Hex(absl::Uniform<uint32_t>(gen), absl::kZeroPad8));
  return owner.substr(0, 128);
}

bool IsTransient(const absl::Status& s) {
  return absl::IsUnavailable(s) || absl::IsDeadlineExceeded(s) ||
         absl::IsResourceExhausted(s);
}

// "<CODE>: <message>", the error stored with a FAILED job.
std::string ErrorText(const absl::Status& s) {
  return absl::StrCat(absl::StatusCodeToString(s.code()), ": ", s.message());
}

const char* StateName(store::JobState s) {
  switch (s) {
    case store::JobState::kQueued:
      return "queued";
    case store::JobState::kRunning:
      return "running";
    case store::JobState::kSucceeded:
      return "succeeded";
    case store::JobState::kFailed:
      return "failed";
    case store::JobState::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

// peermatch_jobs_total{kind,outcome} and peermatch_job_seconds{kind,outcome}
// (SPEC §10: job durations and outcomes).
void RecordOutcome(int kind, const char* outcome, absl::Duration ran) {
  MetricsRegistry& m = MetricsRegistry::Default();
  const Labels labels = {{"kind", absl::StrCat(kind)}, {"outcome", outcome}};
  m.GetCounter("peermatch_jobs_total", "batch jobs ended, by kind and outcome",
               labels)
      ->Increment();
  m.GetHistogram("peermatch_job_seconds",
                 "batch job run time on this replica, by kind and outcome",
                 labels,
                 {0.1, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800})
      ->Observe(absl::ToDoubleSeconds(ran));
}

}  // namespace

// One run of one job on this replica. Flags are atomics because the run
// thread (through Context), the control thread and Shutdown read them.
struct JobWorker::Run {
  store::Lease lease;
  store::JobRecord job;
  std::shared_ptr<JobRunner> runner;
  absl::Time started;   // local clock
  absl::Time deadline;  // started + max_run_time

  std::atomic<bool> cancel_requested{false};
  std::atomic<bool> lease_lost{false};
  std::atomic<bool> shutting_down{false};
  std::atomic<bool> timed_out{false};
  std::atomic<bool> committing{false};
  std::atomic<bool> ended{false};  // the job's end was written
  // Local time (Unix ms) at the start of the last successful acquire or
  // renew: the lease is valid until at least this + lease_ttl.
  std::atomic<int64_t> renewed_ms{0};

  // Control thread only.
  absl::Time next_renew;
  absl::Time shutdown_since = absl::InfiniteFuture();
  bool give_back_tried = false;

  bool done = false;  // the run thread returned; guarded by JobWorker::mu_
  std::thread thread;
};

class JobWorker::Context final : public JobContext {
 public:
  Context(JobWorker* worker, std::shared_ptr<Run> run)
      : worker_(worker), run_(std::move(run)) {}

  const std::string& pool() const override { return run_->lease.pool; }
  const std::string& job_id() const override { return run_->lease.job_id; }
  int kind() const override { return run_->job.kind; }
  const std::string& options() const override { return run_->job.options; }
  absl::Time reference_time() const override {
    return run_->job.reference_time;
  }
  int attempt() const override { return run_->job.attempt; }
  const std::string& actor() const override { return run_->job.actor; }
  int64_t fencing_token() const override { return run_->lease.token; }
  absl::Time deadline() const override { return run_->deadline; }

  absl::Status ReportProgress(absl::string_view phase,
                              double percent) override {
    if (run_->lease_lost) return absl::AbortedError("stale lease");
    const absl::Time now = absl::Now();
    if (phase == last_phase_ && percent < 100 &&
        now - last_write_ < worker_->options_.progress_interval) {
      return absl::OkStatus();
    }
    absl::StatusOr<bool> cancel = worker_->repo_->ReportProgress(
        run_->lease, phase, percent, worker_->StoreDeadline());
    if (cancel.ok()) {
      last_phase_ = std::string(phase);
      last_write_ = now;
      if (*cancel) run_->cancel_requested = true;
      return absl::OkStatus();
    }
    if (absl::IsAborted(cancel.status())) run_->lease_lost = true;
    if (IsTransient(cancel.status())) return absl::OkStatus();
    return cancel.status();
  }

  bool Cancelled() const override {
    return run_->cancel_requested || run_->lease_lost || run_->shutting_down ||
           run_->timed_out;
  }

  absl::Status EnterCommit() override {
    if (run_->lease_lost) return absl::AbortedError("stale lease");
    if (run_->timed_out) {
      return absl::DeadlineExceededError("job ran past its deadline");
    }
    if (run_->shutting_down) {
      return absl::UnavailableError("replica is shutting down");
    }
    if (run_->cancel_requested) {
      return absl::CancelledError("job cancel was requested");
    }
    absl::Status s =
        worker_->repo_->EnterCommit(run_->lease, worker_->StoreDeadline());
    if (s.ok()) {
      run_->committing = true;
    } else if (absl::IsCancelled(s)) {
      run_->cancel_requested = true;
    } else if (absl::IsAborted(s)) {
      run_->lease_lost = true;
    }
    return s;
  }

 private:
  JobWorker* worker_;
  std::shared_ptr<Run> run_;
  std::string last_phase_;
  absl::Time last_write_ = absl::InfinitePast();
};

JobWorker::JobWorker(store::JobRepository* repo, JobWorkerOptions options)
    : repo_(repo), options_(std::move(options)) {
  if (options_.owner.empty()) options_.owner = DefaultOwner();
}

JobWorker::~JobWorker() { Shutdown(); }

void JobWorker::RegisterRunner(int kind, std::shared_ptr<JobRunner> runner) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!started_) runners_[kind] = std::move(runner);
}

bool JobWorker::HasRunner(int kind) const {
  return runners_.find(kind) != runners_.end();
}

void JobWorker::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_ || stopping_) return;
  started_ = true;
  control_ = std::thread([this] { ControlLoop(); });
  LOG_INFO("job worker started",
           {{"owner", options_.owner},
            {"lease_ms", absl::ToInt64Milliseconds(options_.lease_ttl)},
            {"kinds", static_cast<int64_t>(runners_.size())}});
}

void JobWorker::Wake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_ = true;
  }
  cv_.notify_all();
}

void JobWorker::StopTakingJobs() {
  std::lock_guard<std::mutex> lock(mu_);
  draining_ = true;
}

void JobWorker::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !control_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (control_.joinable()) control_.join();
}

absl::Time JobWorker::StoreDeadline() const {
  return absl::Now() + options_.store_timeout;
}

void JobWorker::ControlLoop() {
  absl::Time next_poll = absl::Now();
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    const absl::Time now = absl::Now();
    absl::Time wake_at = now + absl::Seconds(1);
    std::shared_ptr<Run> run = active_;
    if (run != nullptr) {
      if (run->done) {
        lock.unlock();
        run->thread.join();
        lock.lock();
        active_.reset();
        next_poll = now;
        continue;
      }
      if (stopping_ && !run->shutting_down) {
        run->shutting_down = true;
        run->shutdown_since = now;
      }
      const bool ended = run->ended;
      const bool give_back =
          stopping_ && !ended && !run->give_back_tried && !run->committing &&
          now >= run->shutdown_since + options_.shutdown_wait;
      const bool time_out =
          !ended && !run->timed_out && !run->committing && now >= run->deadline;
      const bool renew = !ended && !run->lease_lost && now >= run->next_renew;
      if (give_back || time_out || renew) {
        lock.unlock();
        if (time_out) {
          run->timed_out = true;
          Finalize(*run, absl::StatusOr<std::string>(), Forced::kTimedOut);
        } else if (give_back) {
          run->give_back_tried = true;
          Finalize(*run, absl::StatusOr<std::string>(), Forced::kGiveBack);
        }
        if (renew) Heartbeat(*run);
        lock.lock();
        continue;
      }
      // Only the times of actions still to come (the conditions above), so
      // the loop never spins on a time already past.
      if (!ended && !run->lease_lost) {
        wake_at = std::min(wake_at, run->next_renew);
      }
      if (!ended && !run->timed_out && !run->committing) {
        wake_at = std::min(wake_at, run->deadline);
      }
      if (stopping_ && !ended && !run->give_back_tried && !run->committing) {
        wake_at =
            std::min(wake_at, run->shutdown_since + options_.shutdown_wait);
      }
    } else {
      if (stopping_) break;
      if (!draining_ && (wake_ || now >= next_poll)) {
        wake_ = false;
        lock.unlock();
        PollOnce();
        lock.lock();
        next_poll = absl::Now() + options_.poll_interval;
        continue;
      }
      if (!draining_) wake_at = std::min(wake_at, next_poll);
    }
    cv_.wait_until(lock, absl::ToChronoTime(wake_at));
  }
}

void JobWorker::PollOnce() {
  absl::StatusOr<std::vector<std::string>> pools =
      repo_->ActivePools(StoreDeadline());
  if (!pools.ok()) {
    // Redis being down is reported by health checks; one line per outage.
    if (!poll_failing_) {
      LOG_WARN("job worker cannot list pools with work",
               {{"code", absl::StatusCodeToString(pools.status().code())}});
    }
    poll_failing_ = true;
    return;
  }
  poll_failing_ = false;
  // Replicas look at pools in different orders, so one busy pool does not
  // make every replica queue behind it.
  absl::BitGen gen;
  std::shuffle(pools->begin(), pools->end(), gen);
  for (const std::string& pool : *pools) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ || draining_) return;
    }
    const absl::Time asked = absl::Now();
    absl::StatusOr<store::AcquireResult> a = repo_->Acquire(
        pool, options_.owner,
        {.ttl = options_.lease_ttl, .max_attempts = options_.max_attempts},
        StoreDeadline());
    if (!a.ok()) {
      LOG_WARN("job lease acquire failed",
               {{"pool", pool},
                {"code", absl::StatusCodeToString(a.status().code())}});
      continue;
    }
    for (const std::string& id : a->ended) {
      LOG_WARN("orphaned job ended (its replica stopped)",
               {{"pool", pool}, {"job", id}});
    }
    if (a->outcome == store::AcquireResult::Outcome::kAcquired) {
      StartRun(*std::move(a), asked);
      return;
    }
    if (a->outcome == store::AcquireResult::Outcome::kIdle) {
      absl::StatusOr<bool> idle = repo_->MarkIdle(pool, StoreDeadline());
      if (!idle.ok()) {
        LOG_DEBUG("job pool idle mark failed",
                  {{"pool", pool},
                   {"code", absl::StatusCodeToString(idle.status().code())}});
      }
    }
  }
}

void JobWorker::StartRun(store::AcquireResult acquired, absl::Time asked) {
  auto run = std::make_shared<Run>();
  run->lease = std::move(acquired.lease);
  run->job = std::move(acquired.job);
  run->started = absl::Now();
  run->deadline = run->started + options_.max_run_time;
  run->renewed_ms = absl::ToUnixMillis(asked);
  run->next_renew = asked + options_.lease_ttl / 3;
  LOG_INFO("job started", {{"pool", run->lease.pool},
                           {"job", run->lease.job_id},
                           {"kind", run->job.kind},
                           {"attempt", run->job.attempt},
                           {"takeover", acquired.takeover},
                           {"token", run->lease.token}});
  auto runner = runners_.find(run->job.kind);
  if (runner == runners_.end()) {
    Finalize(*run,
             absl::UnimplementedError(absl::StrCat(
                 "no runner for kind ", run->job.kind, " on this replica")),
             Forced::kNone);
    return;
  }
  run->runner = runner->second;
  std::lock_guard<std::mutex> lock(mu_);
  active_ = run;
  run->thread = std::thread([this, run] { Execute(run); });
}

void JobWorker::Execute(std::shared_ptr<Run> run) {
  Context ctx(this, run);
  absl::StatusOr<std::string> result = run->runner->Run(ctx);
  Finalize(*run, result, Forced::kNone);
  {
    std::lock_guard<std::mutex> lock(mu_);
    run->done = true;
  }
  cv_.notify_all();
}

void JobWorker::Heartbeat(Run& run) {
  const absl::Time asked = absl::Now();
  const absl::Duration period = options_.lease_ttl / 3;
  absl::StatusOr<store::RenewResult> r =
      repo_->Renew(run.lease, options_.lease_ttl,
                   asked + std::min(options_.store_timeout, period));
  if (run.ended) return;
  if (r.ok()) {
    run.renewed_ms = absl::ToUnixMillis(asked);
    run.next_renew = asked + period;
    if (r->cancel_requested && !run.cancel_requested.exchange(true)) {
      LOG_INFO("job cancel requested",
               {{"pool", run.lease.pool}, {"job", run.lease.job_id}});
    }
    return;
  }
  const bool expired =
      absl::Now() >= absl::FromUnixMillis(run.renewed_ms) + options_.lease_ttl;
  if (absl::IsAborted(r.status()) || expired) {
    // Refused, or not renewed for a whole ttl: either way another replica
    // may hold the lease now, and this one can write nothing.
    run.lease_lost = true;
    LOG_WARN("job lease lost; the run stops and commits nothing",
             {{"pool", run.lease.pool},
              {"job", run.lease.job_id},
              {"token", run.lease.token},
              {"code", absl::StatusCodeToString(r.status().code())}});
    return;
  }
  run.next_renew = absl::Now() + std::min(period / 3, absl::Milliseconds(500));
}

void JobWorker::Finalize(Run& run, const absl::StatusOr<std::string>& result,
                         Forced forced) {
  if (run.ended) return;
  store::JobOutcome outcome;
  bool give_back = false;
  if (forced == Forced::kTimedOut) {
    outcome.state = store::JobState::kFailed;
    outcome.error =
        absl::StrCat("DEADLINE_EXCEEDED: ran longer than ",
                     absl::ToInt64Milliseconds(options_.max_run_time), " ms");
    outcome.unless_committing = true;
  } else if (forced == Forced::kGiveBack) {
    give_back = true;
  } else if (run.lease_lost) {
    RecordOutcome(run.job.kind, "lease_lost", absl::Now() - run.started);
    return;
  } else if (result.ok()) {
    outcome.state = store::JobState::kSucceeded;
    outcome.result = *result;
  } else if (run.committing) {
    // A commit failed. Each commit is atomic, so the failed one wrote
    // nothing; only a BOTH job may have committed its matching before its
    // grouping failed, and its error says so (docs/jobs.md).
    outcome.state = store::JobState::kFailed;
    outcome.error = ErrorText(result.status());
  } else if (run.cancel_requested) {
    outcome.state = store::JobState::kCancelled;
  } else if (run.shutting_down) {
    give_back = true;
  } else {
    outcome.state = store::JobState::kFailed;
    outcome.error = ErrorText(result.status());
  }
  absl::Status s;
  while (true) {
    s = give_back ? repo_->GiveBack(run.lease, StoreDeadline())
                  : repo_->Finish(run.lease, outcome, StoreDeadline());
    if (s.ok() || !IsTransient(s) || run.ended) break;
    // While the lease may still be ours, a short outage must not turn a
    // finished run into a rerun.
    if (absl::Now() >=
        absl::FromUnixMillis(run.renewed_ms) + options_.lease_ttl) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  const absl::Duration ran = absl::Now() - run.started;
  if (!s.ok()) {
    if (!run.ended) {
      LOG_WARN("job end not written; the lease decides what happens next",
               {{"pool", run.lease.pool},
                {"job", run.lease.job_id},
                {"give_back", give_back},
                {"code", absl::StatusCodeToString(s.code())}});
    }
    return;
  }
  run.ended = true;
  const char* name = give_back ? "given_back" : StateName(outcome.state);
  RecordOutcome(run.job.kind, name, ran);
  LOG_INFO(
      "job ended",
      {{"pool", run.lease.pool},
       {"job", run.lease.job_id},
       {"kind", run.job.kind},
       {"attempt", run.job.attempt},
       {"outcome", name},
       {"code", forced == Forced::kTimedOut ? std::string("DEADLINE_EXCEEDED")
                : forced == Forced::kGiveBack || result.ok()
                    ? std::string("OK")
                    : absl::StatusCodeToString(result.status().code())},
       {"duration", ran}});
}

}  // namespace peermatch::jobs
