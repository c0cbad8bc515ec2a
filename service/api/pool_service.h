// PoolService (R-POOL, R-API): settings read/update with validation and
// versions, and pool statistics from the replica's snapshot.
#ifndef PEERMATCH_SERVICE_API_POOL_SERVICE_H_
#define PEERMATCH_SERVICE_API_POOL_SERVICE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "peermatch/v1/pool_service.grpc.pb.h"
#include "service/api/unary.h"
#include "service/core/pools.h"

namespace peermatch::api {

class PoolLogic {
 public:
  explicit PoolLogic(core::Pools* pools) : pools_(pools) {}

  absl::Status GetSettings(const v1::GetPoolSettingsRequest& req,
                           absl::Time deadline,
                           v1::GetPoolSettingsResponse* resp);
  absl::Status UpdateSettings(const v1::UpdatePoolSettingsRequest& req,
                              const std::string& actor, absl::Time deadline,
                              v1::UpdatePoolSettingsResponse* resp);
  absl::Status GetStats(const v1::GetPoolStatsRequest& req, absl::Time deadline,
                        v1::GetPoolStatsResponse* resp);

 private:
  core::Pools* pools_;
};

class PoolServiceImpl final : public v1::PoolService::CallbackService {
 public:
  PoolServiceImpl(RpcRunner* runner, PoolLogic* logic)
      : runner_(runner), logic_(logic) {}

  grpc::ServerUnaryReactor* GetPoolSettings(
      grpc::CallbackServerContext* ctx, const v1::GetPoolSettingsRequest* req,
      v1::GetPoolSettingsResponse* resp) override;
  grpc::ServerUnaryReactor* UpdatePoolSettings(
      grpc::CallbackServerContext* ctx,
      const v1::UpdatePoolSettingsRequest* req,
      v1::UpdatePoolSettingsResponse* resp) override;
  grpc::ServerUnaryReactor* GetPoolStats(
      grpc::CallbackServerContext* ctx, const v1::GetPoolStatsRequest* req,
      v1::GetPoolStatsResponse* resp) override;

 private:
  RpcRunner* runner_;
  PoolLogic* logic_;
};

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_POOL_SERVICE_H_
