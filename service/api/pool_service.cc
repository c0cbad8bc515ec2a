#include "service/api/pool_service.h"

#include <optional>
#include <utility>

#include "base/status_macros.h"
#include "service/api/core_codec.h"
#include "service/api/settings_codec.h"
#include "service/api/validation.h"

namespace peermatch::api {

absl::Status PoolLogic::GetSettings(const v1::GetPoolSettingsRequest& req,
                                    absl::Time deadline,
                                    v1::GetPoolSettingsResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(core::VersionedSettings s,
                   pools_->GetSettings(req.pool(), deadline));
  *resp->mutable_settings() = SettingsToProto(s.config);
  resp->mutable_settings()->set_version(s.version);
  return absl::OkStatus();
}

absl::Status PoolLogic::UpdateSettings(const v1::UpdatePoolSettingsRequest& req,
                                       const std::string& actor,
                                       absl::Time deadline,
                                       v1::UpdatePoolSettingsResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  if (req.has_expected_version() && req.expected_version() < 0) {
    errors.Add("expected_version", "must be >= 0 (0: never written)");
  }
  RETURN_IF_ERROR(errors.ToStatus());
  std::optional<int64_t> expected;
  if (req.has_expected_version()) expected = req.expected_version();
  ASSIGN_OR_RETURN(core::VersionedSettings s,
                   pools_->UpdateSettings(req.pool(), expected,
                                          [&req](store::PoolConfig* config) {
                                            FieldErrors merge_errors;
                                            MergeSettings(req.settings(),
                                                          "settings", config,
                                                          &merge_errors);
                                            return merge_errors.ToStatus();
                                          },
                                          {actor, deadline}));
  *resp->mutable_settings() = SettingsToProto(s.config);
  resp->mutable_settings()->set_version(s.version);
  return absl::OkStatus();
}

absl::Status PoolLogic::GetStats(const v1::GetPoolStatsRequest& req,
                                 absl::Time deadline,
                                 v1::GetPoolStatsResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(core::PoolStats st, pools_->Stats(req.pool(), deadline));
  *resp->mutable_stats() = PoolStatsToProto(st);
  return absl::OkStatus();
}

grpc::ServerUnaryReactor* PoolServiceImpl::GetPoolSettings(
    grpc::CallbackServerContext* ctx, const v1::GetPoolSettingsRequest* req,
    v1::GetPoolSettingsResponse* resp) {
  return runner_->Run(ctx, v1::PoolService::service_full_name(),
                      "GetPoolSettings", *req,
                      [logic = logic_, req, resp](const CallInfo& call) {
                        return logic->GetSettings(*req, call.deadline, resp);
                      });
}

grpc::ServerUnaryReactor* PoolServiceImpl::UpdatePoolSettings(
    grpc::CallbackServerContext* ctx, const v1::UpdatePoolSettingsRequest* req,
    v1::UpdatePoolSettingsResponse* resp) {
  return runner_->Run(
      ctx, v1::PoolService::service_full_name(), "UpdatePoolSettings", *req,
      [logic = logic_, req, resp](const CallInfo& call) {
        return logic->UpdateSettings(*req, call.actor, call.deadline, resp);
      });
}

grpc::ServerUnaryReactor* PoolServiceImpl::GetPoolStats(
    grpc::CallbackServerContext* ctx, const v1::GetPoolStatsRequest* req,
    v1::GetPoolStatsResponse* resp) {
  return runner_->Run(ctx, v1::PoolService::service_full_name(), "GetPoolStats",
                      *req, [logic = logic_, req, resp](const CallInfo& call) {
                        return logic->GetStats(*req, call.deadline, resp);
                      });
}

}  // namespace peermatch::api
