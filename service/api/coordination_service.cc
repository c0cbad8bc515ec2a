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

}  // namespace peermatch::api
