#include "service/api/coordination_jobs.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "service/api/conversions.h"
#include "service/api/status.h"
#include "service/api/validation.h"
#include "service/core/known_pool.h"

namespace peermatch::api {
namespace {

static_assert(static_cast<int>(store::JobState::kQueued) ==
              v1::JOB_STATE_QUEUED);
static_assert(static_cast<int>(store::JobState::kRunning) ==
              v1::JOB_STATE_RUNNING);
static_assert(static_cast<int>(store::JobState::kSucceeded) ==
              v1::JOB_STATE_SUCCEEDED);
static_assert(static_cast<int>(store::JobState::kFailed) ==
              v1::JOB_STATE_FAILED);
static_assert(static_cast<int>(store::JobState::kCancelled) ==
              v1::JOB_STATE_CANCELLED);

bool IsTerminal(v1::JobState s) {
  return s == v1::JOB_STATE_SUCCEEDED || s == v1::JOB_STATE_FAILED ||
         s == v1::JOB_STATE_CANCELLED;
}

void CheckJobId(const std::string& id, FieldErrors* errors) {
  if (!store::IsValidJobId(id)) {
    errors->Add("job_id", "must be a job id returned by StartJob (j<n>)");
  }
}

// SPEC §7 limits of StartJob's options.
void CheckOptions(const v1::StartJobRequest& req, FieldErrors* errors) {
  const v1::MatchingOptions& m = req.matching_options();
  if (!v1::ProposingSide_IsValid(m.proposing_side())) {
    errors->Add("matching_options.proposing_side", "is not a ProposingSide");
  }
  if (m.max_candidates() < 0 || m.max_candidates() > 1000) {
    errors->Add("matching_options.max_candidates",
                "must be 0 (complete lists) to 1000");
  }
  if (m.has_reference_time() && !IsValidTimestamp(m.reference_time())) {
    errors->Add("matching_options.reference_time", "must be a valid timestamp");
  }
  const v1::GroupingOptions& g = req.grouping_options();
  if (g.time_budget_ms() < 0 || g.time_budget_ms() > 60000) {
    errors->Add("grouping_options.time_budget_ms",
                "must be 0 (default 2000) to 60000");
  }
  if (g.has_reference_time() && !IsValidTimestamp(g.reference_time())) {
    errors->Add("grouping_options.reference_time", "must be a valid timestamp");
  }
  if (m.has_reference_time() && g.has_reference_time() &&
      FromTimestamp(m.reference_time()) != FromTimestamp(g.reference_time())) {
    errors->Add("grouping_options.reference_time",
                "must equal matching_options.reference_time (a job has one)");
  }
}

}  // namespace

absl::StatusOr<v1::Job> JobToProto(absl::string_view pool,
                                   const store::JobRecord& r) {
  v1::Job j;
  j.set_id(r.id);
  j.set_pool(std::string(pool));
  j.set_kind(static_cast<v1::JobKind>(r.kind));
  j.set_state(static_cast<v1::JobState>(static_cast<int>(r.state)));
  j.set_phase(r.phase);
  j.set_progress_percent(r.progress_percent);
  j.set_idempotency_key(r.idempotency_key);
  SetTimestamp(r.reference_time, j.mutable_reference_time());
  SetTimestamp(r.create_time, j.mutable_create_time());
  if (r.start_time.has_value())
    SetTimestamp(*r.start_time, j.mutable_start_time());
  if (r.end_time.has_value()) SetTimestamp(*r.end_time, j.mutable_end_time());
  v1::StartJobRequest options;
  if (!options.ParseFromString(r.options)) {
    return absl::InternalError("stored job options do not parse");
  }
  *j.mutable_matching_options() =
      std::move(*options.mutable_matching_options());
  *j.mutable_grouping_options() =
      std::move(*options.mutable_grouping_options());
  if (!r.result.empty() && !j.mutable_result()->ParseFromString(r.result)) {
    return absl::InternalError("stored job result does not parse");
  }
  j.set_error(r.error);
  j.set_attempt(r.attempt);
  j.set_actor(r.actor);
  j.set_cancel_requested(r.state == store::JobState::kRunning &&
                         r.cancel_requested);
  return j;
}

absl::Status JobsLogic::StartJob(const v1::StartJobRequest& req,
                                 const CallInfo& call,
                                 v1::StartJobResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  if (req.kind() != v1::JOB_KIND_MENTOR_MATCHING &&
      req.kind() != v1::JOB_KIND_GROUPS && req.kind() != v1::JOB_KIND_BOTH) {
    errors.Add("kind", "must be MENTOR_MATCHING, GROUPS or BOTH");
  }
  if (!req.idempotency_key().empty() &&
      !store::IsValidIdempotencyKey(req.idempotency_key())) {
    errors.Add("idempotency_key",
               "must be 1-128 characters of [A-Za-z0-9._:-]");
  }
  CheckOptions(req, &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  if (pools_ != nullptr) {
    RETURN_IF_ERROR(core::RequireKnownPool(pools_, req.pool(), call.deadline));
  }
  if (worker_ == nullptr || !worker_->HasRunner(req.kind())) {
    return absl::UnimplementedError(
        absl::StrCat("jobs of kind ", v1::JobKind_Name(req.kind()),
                     " are not available on this server"));
  }
  // SPEC §7: the reference time is fixed now, in the stored options too.
  absl::Time reference = clock_();
  if (req.matching_options().has_reference_time()) {
    reference = FromTimestamp(req.matching_options().reference_time());
  } else if (req.grouping_options().has_reference_time()) {
    reference = FromTimestamp(req.grouping_options().reference_time());
  }
  reference = absl::FromUnixMillis(absl::ToUnixMillis(reference));
  v1::StartJobRequest options;
  *options.mutable_matching_options() = req.matching_options();
  *options.mutable_grouping_options() = req.grouping_options();
  SetTimestamp(reference,
               options.mutable_matching_options()->mutable_reference_time());
  SetTimestamp(reference,
               options.mutable_grouping_options()->mutable_reference_time());
  store::NewJob job;
  job.kind = req.kind();
  job.idempotency_key = req.idempotency_key();
  job.reference_time = reference;
  job.options = options.SerializeAsString();
  job.actor = call.actor;
  ASSIGN_OR_RETURN(store::CreateResult created,
                   repo_->Create(req.pool(), job, call.deadline));
  ASSIGN_OR_RETURN(*resp->mutable_job(), JobToProto(req.pool(), created.job));
  resp->set_existing(created.existing);
  if (!created.existing) worker_->Wake();
  return absl::OkStatus();
}

absl::Status JobsLogic::GetJob(const v1::GetJobRequest& req,
                               const CallInfo& call, v1::GetJobResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckJobId(req.job_id(), &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(store::JobRecord r,
                   repo_->Get(req.pool(), req.job_id(), call.deadline));
  ASSIGN_OR_RETURN(*resp->mutable_job(), JobToProto(req.pool(), r));
  return absl::OkStatus();
}

absl::Status JobsLogic::ListJobs(const v1::ListJobsRequest& req,
                                 const CallInfo& call,
                                 v1::ListJobsResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  if (req.page_size() < 0 || req.page_size() > kMaxJobPageSize) {
    errors.Add("page_size",
               absl::StrCat("must be 0 (default ", kDefaultJobPageSize, ") to ",
                            kMaxJobPageSize));
  }
  // The token carries the sequence number the next page starts below.
  int64_t before = 0;
  if (req.page_token().size() > static_cast<size_t>(kMaxPageTokenLength)) {
    errors.Add("page_token", "is longer than any token this server makes");
  } else if (!DecodeOffsetToken(req.pool(), req.page_token(), &before)) {
    errors.Add("page_token",
               "is not a token from a previous response for this pool");
  }
  RETURN_IF_ERROR(errors.ToStatus());
  if (pools_ != nullptr) {
    RETURN_IF_ERROR(core::RequireKnownPool(pools_, req.pool(), call.deadline));
  }
  const int size = req.page_size() == 0 ? kDefaultJobPageSize : req.page_size();
  ASSIGN_OR_RETURN(store::JobPage page,
                   repo_->List(req.pool(), size, before, call.deadline));
  for (const store::JobRecord& r : page.jobs) {
    ASSIGN_OR_RETURN(*resp->add_jobs(), JobToProto(req.pool(), r));
  }
  if (page.next_before_seq > 0) {
    resp->set_next_page_token(
        EncodeOffsetToken(req.pool(), page.next_before_seq));
  }
  return absl::OkStatus();
}

absl::Status JobsLogic::CancelJob(const v1::CancelJobRequest& req,
                                  const CallInfo& call,
                                  v1::CancelJobResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckJobId(req.job_id(), &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(
      store::JobRecord r,
      repo_->Cancel(req.pool(), req.job_id(), call.actor, call.deadline));
  ASSIGN_OR_RETURN(*resp->mutable_job(), JobToProto(req.pool(), r));
  return absl::OkStatus();
}

absl::Status JobsLogic::CheckWatch(const v1::WatchJobRequest& req) const {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckJobId(req.job_id(), &errors);
  return errors.ToStatus();
}

absl::StatusOr<int64_t> JobsLogic::Version(const std::string& pool,
                                           const std::string& job_id,
                                           absl::Time deadline) {
  return repo_->GetVersion(pool, job_id, deadline);
}

absl::StatusOr<std::pair<v1::Job, int64_t>> JobsLogic::Read(
    const std::string& pool, const std::string& job_id, absl::Time deadline) {
  ASSIGN_OR_RETURN(store::JobRecord r, repo_->Get(pool, job_id, deadline));
  ASSIGN_OR_RETURN(v1::Job j, JobToProto(pool, r));
  return std::make_pair(std::move(j), r.version);
}

void DefineJobWatchFlags(FlagSet* f) {
  JobWatchOptions d;
  f->Define("job-watch-max", std::to_string(d.max_watchers),
            "concurrent WatchJob streams per replica before "
            "RESOURCE_EXHAUSTED (1-100000)");
  f->Define("job-watch-max-ms",
            std::to_string(absl::ToInt64Milliseconds(d.max_duration)),
            "the longest one WatchJob stream lasts (it ends "
            "DEADLINE_EXCEEDED; watch again)");
}

absl::StatusOr<JobWatchOptions> JobWatchOptionsFromFlags(const FlagSet& f) {
  JobWatchOptions o;
  ASSIGN_OR_RETURN(int64_t max, f.GetInt("job-watch-max", 1, 100000));
  o.max_watchers = static_cast<int>(max);
  ASSIGN_OR_RETURN(int64_t ms, f.GetInt("job-watch-max-ms", 1000, 86400000));
  o.max_duration = absl::Milliseconds(ms);
  return o;
}

// ---------------------------------------------------------------------------
// WatchJob

namespace {

// A stream that ends before it starts (auth, validation, limits).
class FinishedWriter final : public grpc::ServerWriteReactor<v1::Job> {
 public:
  FinishedWriter(const absl::Status& status, absl::Time start,
                 std::string request_id)
      : status_(status), start_(start), request_id_(std::move(request_id)) {
    Finish(ToGrpcStatus(status));
  }
  void OnDone() override {
    RpcRunner::Record("WatchJob", status_, absl::Now() - start_, request_id_);
    delete this;
  }

 private:
  absl::Status status_;
  absl::Time start_;
  std::string request_id_;
};

class WatchReactor;

}  // namespace

// One stream's state, shared by its reactor (gRPC's callbacks) and the
// hub's poll thread; the fields below `mu` are guarded by it. StartWrite
// and Finish are never called with `mu` held (gRPC may run reactions on the
// calling thread): a caller decides under the lock, then acts.
struct JobWatchHub::Stream {
  std::string pool;
  std::string job_id;
  std::string request_id;
  absl::Time start;
  absl::Time deadline;

  std::mutex mu;
  WatchReactor* reactor = nullptr;  // null once gRPC is done with it
  bool finishing = false;           // Finish was (or is being) called
  bool write_in_flight = false;
  bool last_was_terminal = false;
  // A Finish deferred until the write in flight completes.
  std::optional<absl::Status> pending_finish;
  absl::Status final_status;
  int64_t sent_version = -1;
  v1::Job buffer;  // the message being written
  absl::Time failing_since = absl::InfiniteFuture();
  bool done = false;

  // With `mu` held: claims the Finish with `s` and returns the reactor to
  // call FinishNow on (after unlocking), or null when it is deferred behind
  // a write or already claimed.
  WatchReactor* ClaimFinish(const absl::Status& s) {
    if (finishing || reactor == nullptr) return nullptr;
    if (write_in_flight) {
      if (!pending_finish.has_value()) pending_finish = s;
      return nullptr;
    }
    finishing = true;
    final_status = s;
    return reactor;
  }
};

namespace {

class WatchReactor final : public grpc::ServerWriteReactor<v1::Job> {
 public:
  explicit WatchReactor(std::shared_ptr<JobWatchHub::Stream> w)
      : w_(std::move(w)) {}

  void OnWriteDone(bool ok) override {
    WatchReactor* finish = nullptr;
    absl::Status s;
    {
      std::lock_guard<std::mutex> lock(w_->mu);
      w_->write_in_flight = false;
      if (!ok) {
        w_->pending_finish.reset();
        s = absl::CancelledError("stream closed by the client");
      } else if (w_->pending_finish.has_value()) {
        s = *w_->pending_finish;
        w_->pending_finish.reset();
      } else if (!w_->last_was_terminal) {
        return;
      }
      finish = w_->ClaimFinish(s);
    }
    if (finish != nullptr) finish->FinishNow(s);
  }

  void OnCancel() override {
    const absl::Status s = absl::CancelledError("cancelled by the client");
    WatchReactor* finish = nullptr;
    {
      std::lock_guard<std::mutex> lock(w_->mu);
      finish = w_->ClaimFinish(s);
    }
    if (finish != nullptr) finish->FinishNow(s);
  }

  void OnDone() override {
    absl::Status s;
    {
      std::lock_guard<std::mutex> lock(w_->mu);
      w_->reactor = nullptr;
      w_->done = true;
      s = w_->final_status;
    }
    RpcRunner::Record("WatchJob", s, absl::Now() - w_->start, w_->request_id);
    delete this;
  }

  void FinishNow(const absl::Status& s) { Finish(ToGrpcStatus(s)); }
  void WriteNow(const v1::Job* job) { StartWrite(job); }

 private:
  std::shared_ptr<JobWatchHub::Stream> w_;
};

// Finishes `w` with `s` now, or after its write in flight.
void FinishStream(JobWatchHub::Stream& w, const absl::Status& s) {
  WatchReactor* finish = nullptr;
  {
    std::lock_guard<std::mutex> lock(w.mu);
    finish = w.ClaimFinish(s);
  }
  if (finish != nullptr) finish->FinishNow(s);
}

}  // namespace

JobWatchHub::JobWatchHub(JobsLogic* logic, JobWatchOptions options)
    : logic_(logic), options_(options) {
  thread_ = std::thread([this] { Loop(); });
}

JobWatchHub::~JobWatchHub() { Shutdown(); }

int JobWatchHub::active() const {
  std::lock_guard<std::mutex> lock(mu_);
  int n = 0;
  for (const auto& w : watches_) {
    std::lock_guard<std::mutex> wl(w->mu);
    n += w->done ? 0 : 1;
  }
  return n;
}

grpc::ServerWriteReactor<v1::Job>* JobWatchHub::Watch(
    grpc::CallbackServerContext* ctx, const v1::WatchJobRequest& req,
    const CallInfo& call) {
  const absl::Time start = absl::Now();
  auto w = std::make_shared<struct Stream>();
  w->pool = req.pool();
  w->job_id = req.job_id();
  w->request_id = call.request_id;
  w->start = start;
  w->deadline = start + options_.max_duration;
  if (ctx->deadline() != std::chrono::system_clock::time_point::max()) {
    w->deadline = std::min(w->deadline, absl::FromChrono(ctx->deadline()));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) {
    return new FinishedWriter(
        absl::UnavailableError("server is shutting down; watch again"), start,
        call.request_id);
  }
  // Streams whose OnDone ran are forgotten here and by the poll loop.
  watches_.erase(std::remove_if(watches_.begin(), watches_.end(),
                                [](const std::shared_ptr<struct Stream>& x) {
                                  std::lock_guard<std::mutex> l(x->mu);
                                  return x->done;
                                }),
                 watches_.end());
  if (static_cast<int>(watches_.size()) >= options_.max_watchers) {
    return new FinishedWriter(
        absl::ResourceExhaustedError(absl::StrCat(
            "more than ", options_.max_watchers,
            " jobs are being watched on this replica; retry later")),
        start, call.request_id);
  }
  auto* reactor = new WatchReactor(w);
  w->reactor = reactor;
  watches_.push_back(w);
  wake_ = true;
  cv_.notify_all();
  return reactor;
}

void JobWatchHub::Shutdown() {
  std::vector<std::shared_ptr<struct Stream>> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    all = watches_;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (const auto& w : all) {
    FinishStream(
        *w, absl::UnavailableError("server is shutting down; watch again"));
  }
}

void JobWatchHub::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    std::vector<std::shared_ptr<struct Stream>> all = watches_;
    wake_ = false;
    lock.unlock();
    const absl::Time now = absl::Now();
    for (const auto& w : all) Poll(*w, now);
    lock.lock();
    cv_.wait_until(lock, absl::ToChronoTime(now + options_.poll_interval),
                   [this] { return stopping_ || wake_; });
  }
}

void JobWatchHub::Poll(Stream& w, absl::Time now) {
  {
    std::lock_guard<std::mutex> lock(w.mu);
    if (w.finishing || w.reactor == nullptr || w.write_in_flight) return;
  }
  if (now >= w.deadline) {
    FinishStream(w, absl::DeadlineExceededError(
                        "watch reached its time limit; watch again"));
    return;
  }
  const absl::Time deadline =
      std::min(w.deadline,
               now + std::max(options_.poll_interval, absl::Milliseconds(500)));
  absl::Status error;
  std::optional<std::pair<v1::Job, int64_t>> read;
  absl::StatusOr<int64_t> version = logic_->Version(w.pool, w.job_id, deadline);
  if (!version.ok()) {
    error = version.status();
  } else if (*version != w.sent_version) {
    absl::StatusOr<std::pair<v1::Job, int64_t>> r =
        logic_->Read(w.pool, w.job_id, deadline);
    if (r.ok()) {
      read = *std::move(r);
    } else {
      error = r.status();
    }
  }
  WatchReactor* write = nullptr;
  {
    std::lock_guard<std::mutex> lock(w.mu);
    if (w.finishing || w.reactor == nullptr || w.write_in_flight) return;
    if (!error.ok()) {
      // Transient store errors are waited out for a while.
      const bool transient =
          !absl::IsNotFound(error) && !absl::IsInternal(error);
      if (transient && w.failing_since == absl::InfiniteFuture()) {
        w.failing_since = now;
      }
      if (transient && now - w.failing_since < options_.unavailable_grace) {
        return;
      }
    } else {
      w.failing_since = absl::InfiniteFuture();
      if (!read.has_value()) return;  // unchanged
      w.buffer = std::move(read->first);
      w.sent_version = read->second;
      w.last_was_terminal = IsTerminal(w.buffer.state());
      w.write_in_flight = true;
      write = w.reactor;
    }
  }
  if (write != nullptr) {
    write->WriteNow(&w.buffer);
  } else {
    FinishStream(w, error);
  }
}

// ---------------------------------------------------------------------------
// Adapter

grpc::ServerUnaryReactor* JobsRpc::StartJob(grpc::CallbackServerContext* ctx,
                                            const v1::StartJobRequest* req,
                                            v1::StartJobResponse* resp) {
  return runner_->Run(ctx, v1::CoordinationService::service_full_name(),
                      "StartJob", *req,
                      [l = logic_, req, resp](const CallInfo& call) {
                        return l->StartJob(*req, call, resp);
                      });
}

grpc::ServerUnaryReactor* JobsRpc::GetJob(grpc::CallbackServerContext* ctx,
                                          const v1::GetJobRequest* req,
                                          v1::GetJobResponse* resp) {
  return runner_->Run(ctx, v1::CoordinationService::service_full_name(),
                      "GetJob", *req,
                      [l = logic_, req, resp](const CallInfo& call) {
                        return l->GetJob(*req, call, resp);
                      });
}

grpc::ServerUnaryReactor* JobsRpc::ListJobs(grpc::CallbackServerContext* ctx,
                                            const v1::ListJobsRequest* req,
                                            v1::ListJobsResponse* resp) {
  return runner_->Run(ctx, v1::CoordinationService::service_full_name(),
                      "ListJobs", *req,
                      [l = logic_, req, resp](const CallInfo& call) {
                        return l->ListJobs(*req, call, resp);
                      });
}

grpc::ServerUnaryReactor* JobsRpc::CancelJob(grpc::CallbackServerContext* ctx,
                                             const v1::CancelJobRequest* req,
                                             v1::CancelJobResponse* resp) {
  return runner_->Run(ctx, v1::CoordinationService::service_full_name(),
                      "CancelJob", *req,
                      [l = logic_, req, resp](const CallInfo& call) {
                        return l->CancelJob(*req, call, resp);
                      });
}

grpc::ServerWriteReactor<v1::Job>* JobsRpc::WatchJob(
    grpc::CallbackServerContext* ctx, const v1::WatchJobRequest* req) {
  const absl::Time start = absl::Now();
  absl::StatusOr<CallInfo> call =
      runner_->Begin(ctx, v1::CoordinationService::service_full_name(), *req);
  if (!call.ok()) return new FinishedWriter(call.status(), start, "");
  absl::Status valid = logic_->CheckWatch(*req);
  if (!valid.ok()) return new FinishedWriter(valid, start, call->request_id);
  return watches_->Watch(ctx, *req, *call);
}

}  // namespace peermatch::api
