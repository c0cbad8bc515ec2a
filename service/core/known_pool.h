// NOT_FOUND for a pool nobody created (R-API: "unknown pool -> NOT_FOUND"),
// for the use cases that read or change a pool's matches, groups and jobs,
// so a mistyped pool id is an error rather than an empty answer.
#ifndef PEERMATCH_SERVICE_CORE_KNOWN_POOL_H_
#define PEERMATCH_SERVICE_CORE_KNOWN_POOL_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "base/status_macros.h"
#include "service/store/stores.h"

namespace peermatch::core {

// A pool is known once a member or its settings were written
// (MemberStore::PoolExists).
inline absl::Status RequireKnownPool(store::MemberStore* members,
                                     const std::string& pool,
                                     absl::Time deadline) {
  ASSIGN_OR_RETURN(bool known, members->PoolExists(pool, deadline));
  if (!known) {
    return absl::NotFoundError(absl::StrCat("pool ", pool, " not found"));
  }
  return absl::OkStatus();
}

}  // namespace peermatch::core

#endif  // PEERMATCH_SERVICE_CORE_KNOWN_POOL_H_
