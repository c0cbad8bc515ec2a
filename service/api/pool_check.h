// NOT_FOUND for a pool nobody created (R-API: "unknown pool → NOT_FOUND"),
// for the RPCs that read or change a pool's matches, groups and jobs, so a
// mistyped pool id is an error rather than an empty answer.
#ifndef PEERMATCH_SERVICE_API_POOL_CHECK_H_
#define PEERMATCH_SERVICE_API_POOL_CHECK_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "service/store/pool_registry.h"

namespace peermatch::api {

// A pool is known once a member or its settings were written (see
// PoolRegistry::Exists). `pools` may be null: then every pool passes.
inline absl::Status RequireKnownPool(store::PoolRegistry* pools,
                                     const std::string& pool,
                                     absl::Time deadline) {
  if (pools == nullptr) return absl::OkStatus();
  ASSIGN_OR_RETURN(bool known, pools->Exists(pool, deadline));
  if (!known)
    return absl::NotFoundError(absl::StrCat("pool ", pool, " not found"));
  return absl::OkStatus();
}

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_POOL_CHECK_H_
