// The job RPCs of CoordinationService (SPEC §7, R-JOBS): StartJob, GetJob,
// ListJobs, CancelJob and the WatchJob server stream.
//
//   store::JobRepository repo(&redis);
//   jobs::JobWorker worker(&repo, options);     // runners registered
//   JobsLogic logic(&repo, &worker);            // plain GoogleTest-able
//   JobWatchHub watches(&logic, {});
//   JobsRpc rpc(&runner, &logic, &watches);
//   // in CoordinationServiceImpl:
//   //   StartJob(ctx, req, resp) { return jobs_->StartJob(ctx, req, resp); }
//   //   WatchJob(ctx, req)       { return jobs_->WatchJob(ctx, req); }
//
// JobsLogic validates, converts and calls the repository; it knows nothing
// of gRPC. The job's options payload is a serialized StartJobRequest holding
// only matching_options and grouping_options, both with reference_time set
// to the job's (fixed at creation: the request's, else now); its result
// payload is a serialized JobResult (job_runners.h).
//
// StartJob: INVALID_ARGUMENT for a bad pool, kind, idempotency key (<= 128
// of [A-Za-z0-9._:-]), max_candidates (0-1000), time_budget_ms (0-60000),
// proposing_side or timestamps, or two different reference times;
// UNIMPLEMENTED when this server has no runner for the kind. A used
// idempotency key returns that job with `existing` (whatever the rest of the
// request says). Get/Cancel: NOT_FOUND for an unknown job. CancelJob:
// QUEUED -> CANCELLED at once; RUNNING -> cancel_requested (the job is
// returned RUNNING; it ends CANCELLED with nothing committed);
// FAILED_PRECONDITION once finished or committing. ListJobs: newest first,
// page_size <= 100 (default 20), without results (GetJob has them). Start
// and cancel are audited with the actor (job_repository.h).
//
// WatchJob (JobWatchHub): sends the job at once, then on every change, and
// finishes OK after a terminal state. One hub thread polls each watched
// job's version every `poll_interval` (one HGET; the full record only when
// it changed) and writes with the callback API, so no gRPC thread ever
// blocks on Redis. At most one write is in flight per stream; a watcher
// that falls behind gets the latest state, not every intermediate one.
// Ends: client cancel or deadline -> CANCELLED; the server-side cap
// `max_duration` -> DEADLINE_EXCEEDED (watch again); more than
// `max_watchers` streams -> RESOURCE_EXHAUSTED; Redis unreachable for
// `unavailable_grace` -> UNAVAILABLE; server shutdown -> UNAVAILABLE.
#ifndef PEERMATCH_SERVICE_API_COORDINATION_JOBS_H_
#define PEERMATCH_SERVICE_API_COORDINATION_JOBS_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "peermatch/v1/coordination_service.grpc.pb.h"
#include "peermatch/v1/job.pb.h"
#include "service/api/unary.h"
#include "service/common/flags.h"
#include "service/jobs/job_worker.h"
#include "service/store/job_repository.h"
#include "service/store/stores.h"

namespace peermatch::api {

inline constexpr int kMaxJobPageSize = 100;
inline constexpr int kDefaultJobPageSize = 20;

// The proto form of a stored job (options and result decoded).
absl::StatusOr<v1::Job> JobToProto(absl::string_view pool,
                                   const store::JobRecord& record);

class JobsLogic {
 public:
  // `worker` may be null: then no kind can be started (UNIMPLEMENTED).
  JobsLogic(
      store::JobRepository* repo, jobs::JobWorker* worker,
      std::function<absl::Time()> clock = [] { return absl::Now(); },
      store::MemberStore* pools = nullptr)
      : repo_(repo), worker_(worker), clock_(std::move(clock)), pools_(pools) {}

  absl::Status StartJob(const v1::StartJobRequest& req, const CallInfo& call,
                        v1::StartJobResponse* resp);
  absl::Status GetJob(const v1::GetJobRequest& req, const CallInfo& call,
                      v1::GetJobResponse* resp);
  absl::Status ListJobs(const v1::ListJobsRequest& req, const CallInfo& call,
                        v1::ListJobsResponse* resp);
  absl::Status CancelJob(const v1::CancelJobRequest& req, const CallInfo& call,
                         v1::CancelJobResponse* resp);

  // For watchers: INVALID_ARGUMENT for a bad pool or job id.
  absl::Status CheckWatch(const v1::WatchJobRequest& req) const;
  // The job's version (NOT_FOUND when absent), and the job with it.
  absl::StatusOr<int64_t> Version(const std::string& pool,
                                  const std::string& job_id,
                                  absl::Time deadline);
  absl::StatusOr<std::pair<v1::Job, int64_t>> Read(const std::string& pool,
                                                   const std::string& job_id,
                                                   absl::Time deadline);

 private:
  store::JobRepository* repo_;
  jobs::JobWorker* worker_;
  std::function<absl::Time()> clock_;
  store::MemberStore* pools_;  // unknown pools are NOT_FOUND; may be null
};

struct JobWatchOptions {
  absl::Duration poll_interval = absl::Milliseconds(200);
  int max_watchers = 256;
  absl::Duration max_duration = absl::Hours(1);
  absl::Duration unavailable_grace = absl::Seconds(5);
};

// --job-watch-max (256) and --job-watch-max-ms (3600000) and their
// PEERMATCH_* equivalents.
void DefineJobWatchFlags(FlagSet* flags);
absl::StatusOr<JobWatchOptions> JobWatchOptionsFromFlags(const FlagSet& flags);

class JobWatchHub {
 public:
  JobWatchHub(JobsLogic* logic, JobWatchOptions options);
  ~JobWatchHub();  // Shutdown()

  JobWatchHub(const JobWatchHub&) = delete;
  JobWatchHub& operator=(const JobWatchHub&) = delete;

  // Starts a validated, authorized watch; the reactor belongs to gRPC.
  grpc::ServerWriteReactor<v1::Job>* Watch(grpc::CallbackServerContext* ctx,
                                           const v1::WatchJobRequest& req,
                                           const CallInfo& call);

  // Finishes every stream with UNAVAILABLE and refuses new ones; joins the
  // poll thread. Idempotent.
  void Shutdown();

  int active() const;

  struct Stream;  // one stream's state (coordination_jobs.cc)

 private:
  void Loop();
  void Poll(Stream& w, absl::Time now);

  JobsLogic* logic_;
  const JobWatchOptions options_;
  mutable std::mutex mu_;  // std, not absl: see connection_pool.h
  std::condition_variable cv_;
  bool stopping_ = false;                         // guarded by mu_
  bool wake_ = false;                             // guarded by mu_
  std::vector<std::shared_ptr<Stream>> watches_;  // guarded by mu_
  std::thread thread_;
};

// The job RPCs as the CoordinationService adapter calls them: unary calls
// go through RpcRunner (executor, auth, deadline, metrics); WatchJob is
// authorized with RpcRunner::Begin, then handed to the hub.
class JobsRpc {
 public:
  JobsRpc(RpcRunner* runner, JobsLogic* logic, JobWatchHub* watches)
      : runner_(runner), logic_(logic), watches_(watches) {}

  grpc::ServerUnaryReactor* StartJob(grpc::CallbackServerContext* ctx,
                                     const v1::StartJobRequest* req,
                                     v1::StartJobResponse* resp);
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* ctx,
                                   const v1::GetJobRequest* req,
                                   v1::GetJobResponse* resp);
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* ctx,
                                     const v1::ListJobsRequest* req,
                                     v1::ListJobsResponse* resp);
  grpc::ServerUnaryReactor* CancelJob(grpc::CallbackServerContext* ctx,
                                      const v1::CancelJobRequest* req,
                                      v1::CancelJobResponse* resp);
  grpc::ServerWriteReactor<v1::Job>* WatchJob(grpc::CallbackServerContext* ctx,
                                              const v1::WatchJobRequest* req);

 private:
  RpcRunner* runner_;
  JobsLogic* logic_;
  JobWatchHub* watches_;
};

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_COORDINATION_JOBS_H_
