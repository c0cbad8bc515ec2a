// RETURN_IF_ERROR and ASSIGN_OR_RETURN for absl::Status / absl::StatusOr.
// Debian's abseil 20220623 ships neither, so they are defined once here.
//
//   absl::Status Save(const Thing& t) {
//     RETURN_IF_ERROR(Validate(t));
//     ASSIGN_OR_RETURN(Connection * c, pool.Acquire());
//     return c->Write(t);
//   }
//
// Both evaluate their argument exactly once. ASSIGN_OR_RETURN declares (or
// assigns to) the left-hand side in the enclosing scope, so it cannot be used
// as the only statement of an unbraced `if`.
#ifndef PEERMATCH_BASE_STATUS_MACROS_H_
#define PEERMATCH_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define PEERMATCH_CONCAT_INNER_(a, b) a##b
#define PEERMATCH_CONCAT_(a, b) PEERMATCH_CONCAT_INNER_(a, b)

// Returns the status from the enclosing function when `expr` is not OK.
#define RETURN_IF_ERROR(expr)                              \
  do {                                                     \
    ::absl::Status peermatch_status_ = (expr);             \
    if (!peermatch_status_.ok()) return peermatch_status_; \
  } while (0)

#define PEERMATCH_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                     \
  if (!tmp.ok()) return std::move(tmp).status();         \
  lhs = std::move(tmp).value()

// `lhs = *expr` when `expr` (an absl::StatusOr) is OK; otherwise returns its
// status from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  PEERMATCH_ASSIGN_OR_RETURN_IMPL_( \
      PEERMATCH_CONCAT_(peermatch_statusor_, __LINE__), lhs, expr)

#endif  // PEERMATCH_BASE_STATUS_MACROS_H_
