#include "service/api/coordination_service.h"

namespace peermatch::api {

grpc::ServerUnaryReactor* CoordinationServiceImpl::RunMatching(
    grpc::CallbackServerContext* ctx, const v1::RunMatchingRequest* req,
    v1::RunMatchingResponse* resp) {
  return runner_->Run(ctx, v1::CoordinationService::service_full_name(),
                      "RunMatching", *req,
                      [m = matches_, req, resp](const CallInfo& call) {
                        return m->RunMatching(*req, call, resp);
                      });
}

grpc::ServerUnaryReactor* CoordinationServiceImpl::PublishMatches(
    grpc::CallbackServerContext* ctx, const v1::PublishMatchesRequest* req,
    v1::PublishMatchesResponse* resp) {
  return runner_->Run(ctx, v1::CoordinationService::service_full_name(),
                      "PublishMatches", *req,
                      [m = matches_, req, resp](const CallInfo& call) {
                        return m->Publish(*req, call, resp);
                      });
}

grpc::ServerUnaryReactor* CoordinationServiceImpl::DiscardProposals(
    grpc::CallbackServerContext* ctx, const v1::DiscardProposalsRequest* req,
    v1::DiscardProposalsResponse* resp) {
  return runner_->Run(ctx, v1::CoordinationService::service_full_name(),
                      "DiscardProposals", *req,
                      [m = matches_, req, resp](const CallInfo& call) {
                        return m->Discard(*req, call, resp);
                      });
}

grpc::ServerUnaryReactor* CoordinationServiceImpl::CreateManualMatch(
    grpc::CallbackServerContext* ctx, const v1::CreateManualMatchRequest* req,
    v1::CreateManualMatchResponse* resp) {
  return runner_->Run(ctx, v1::CoordinationService::service_full_name(),
                      "CreateManualMatch", *req,
                      [m = matches_, req, resp](const CallInfo& call) {
                        return m->CreateManual(*req, call, resp);
                      });
}

grpc::ServerUnaryReactor* CoordinationServiceImpl::FormGroups(
    grpc::CallbackServerContext* ctx, const v1::FormGroupsRequest* req,
    v1::FormGroupsResponse* resp) {
  return runner_->Run(ctx, v1::CoordinationService::service_full_name(),
                      "FormGroups", *req,
                      [g = groups_, req, resp](const CallInfo& call) {
                        return g->FormGroups(*req, call, resp);
                      });
}

grpc::ServerUnaryReactor* CoordinationServiceImpl::PublishGroups(
    grpc::CallbackServerContext* ctx, const v1::PublishGroupsRequest* req,
    v1::PublishGroupsResponse* resp) {
  return runner_->Run(ctx, v1::CoordinationService::service_full_name(),
                      "PublishGroups", *req,
                      [g = groups_, req, resp](const CallInfo& call) {
                        return g->Publish(*req, call, resp);
                      });
}

grpc::ServerUnaryReactor* CoordinationServiceImpl::StartJob(
    grpc::CallbackServerContext* ctx, const v1::StartJobRequest* req,
    v1::StartJobResponse* resp) {
  if (jobs_ == nullptr)
    return v1::CoordinationService::CallbackService::StartJob(ctx, req, resp);
  return jobs_->StartJob(ctx, req, resp);
}

grpc::ServerUnaryReactor* CoordinationServiceImpl::GetJob(
    grpc::CallbackServerContext* ctx, const v1::GetJobRequest* req,
    v1::GetJobResponse* resp) {
  if (jobs_ == nullptr)
    return v1::CoordinationService::CallbackService::GetJob(ctx, req, resp);
  return jobs_->GetJob(ctx, req, resp);
}

grpc::ServerUnaryReactor* CoordinationServiceImpl::ListJobs(
    grpc::CallbackServerContext* ctx, const v1::ListJobsRequest* req,
    v1::ListJobsResponse* resp) {
  if (jobs_ == nullptr)
    return v1::CoordinationService::CallbackService::ListJobs(ctx, req, resp);
  return jobs_->ListJobs(ctx, req, resp);
}

grpc::ServerUnaryReactor* CoordinationServiceImpl::CancelJob(
    grpc::CallbackServerContext* ctx, const v1::CancelJobRequest* req,
    v1::CancelJobResponse* resp) {
  if (jobs_ == nullptr)
    return v1::CoordinationService::CallbackService::CancelJob(ctx, req, resp);
  return jobs_->CancelJob(ctx, req, resp);
}

grpc::ServerWriteReactor<v1::Job>* CoordinationServiceImpl::WatchJob(
    grpc::CallbackServerContext* ctx, const v1::WatchJobRequest* req) {
  if (jobs_ == nullptr)
    return v1::CoordinationService::CallbackService::WatchJob(ctx, req);
  return jobs_->WatchJob(ctx, req);
}

}  // namespace peermatch::api
