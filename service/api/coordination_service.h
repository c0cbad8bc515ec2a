// CoordinationService: batch runs, publishing and manual matches
// (MatchLogic), group formation and jobs (added as they are built).
// RPCs not implemented here answer UNIMPLEMENTED through the generated base.
#ifndef PEERMATCH_SERVICE_API_COORDINATION_SERVICE_H_
#define PEERMATCH_SERVICE_API_COORDINATION_SERVICE_H_

#include "peermatch/v1/coordination_service.grpc.pb.h"
#include "service/api/coordination_jobs.h"
#include "service/api/group_logic.h"
#include "service/api/match_logic.h"
#include "service/api/unary.h"

namespace peermatch::api {

class CoordinationServiceImpl final
    : public v1::CoordinationService::CallbackService {
 public:
  // `jobs` may be null: the job RPCs then answer UNIMPLEMENTED.
  CoordinationServiceImpl(RpcRunner* runner, MatchLogic* matches,
                          GroupLogic* groups, JobsRpc* jobs = nullptr)
      : runner_(runner), matches_(matches), groups_(groups), jobs_(jobs) {}

  grpc::ServerUnaryReactor* RunMatching(grpc::CallbackServerContext* ctx,
                                        const v1::RunMatchingRequest* req,
                                        v1::RunMatchingResponse* resp) override;
  grpc::ServerUnaryReactor* PublishMatches(
      grpc::CallbackServerContext* ctx, const v1::PublishMatchesRequest* req,
      v1::PublishMatchesResponse* resp) override;
  grpc::ServerUnaryReactor* DiscardProposals(
      grpc::CallbackServerContext* ctx, const v1::DiscardProposalsRequest* req,
      v1::DiscardProposalsResponse* resp) override;
  grpc::ServerUnaryReactor* CreateManualMatch(
      grpc::CallbackServerContext* ctx, const v1::CreateManualMatchRequest* req,
      v1::CreateManualMatchResponse* resp) override;
  grpc::ServerUnaryReactor* FormGroups(grpc::CallbackServerContext* ctx,
                                       const v1::FormGroupsRequest* req,
                                       v1::FormGroupsResponse* resp) override;
  grpc::ServerUnaryReactor* PublishGroups(
      grpc::CallbackServerContext* ctx, const v1::PublishGroupsRequest* req,
      v1::PublishGroupsResponse* resp) override;

  // Jobs (coordination_jobs.h).
  grpc::ServerUnaryReactor* StartJob(grpc::CallbackServerContext* ctx,
                                     const v1::StartJobRequest* req,
                                     v1::StartJobResponse* resp) override;
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* ctx,
                                   const v1::GetJobRequest* req,
                                   v1::GetJobResponse* resp) override;
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* ctx,
                                     const v1::ListJobsRequest* req,
                                     v1::ListJobsResponse* resp) override;
  grpc::ServerUnaryReactor* CancelJob(grpc::CallbackServerContext* ctx,
                                      const v1::CancelJobRequest* req,
                                      v1::CancelJobResponse* resp) override;
  grpc::ServerWriteReactor<v1::Job>* WatchJob(
      grpc::CallbackServerContext* ctx,
      const v1::WatchJobRequest* req) override;

 private:
  RpcRunner* runner_;
  MatchLogic* matches_;
  GroupLogic* groups_;
  JobsRpc* jobs_;
};

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_COORDINATION_SERVICE_H_
