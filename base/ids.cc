#include "base/ids.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace peermatch::base {
namespace {

bool PoolChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

bool MemberChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == ':' ||
         c == '@' || c == '-';
}

}  // namespace

bool IsValidPoolId(absl::string_view pool) {
  return !pool.empty() && pool.size() <= size_t{kMaxPoolIdLength} &&
         std::all_of(pool.begin(), pool.end(), PoolChar);
}

bool IsValidMemberId(absl::string_view id) {
  return !id.empty() && id.size() <= size_t{kMaxMemberIdLength} &&
         std::all_of(id.begin(), id.end(), MemberChar);
}

std::string PoolIdRule() {
  return absl::StrCat("must be 1-", kMaxPoolIdLength,
                      " characters of [a-z0-9-]");
}

std::string MemberIdRule() {
  return absl::StrCat("must be 1-", kMaxMemberIdLength,
                      " characters of [A-Za-z0-9._:@-]");
}

absl::Status ValidatePoolId(absl::string_view pool, absl::string_view field) {
  if (IsValidPoolId(pool)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", PoolIdRule()));
}

absl::Status ValidateMemberId(absl::string_view id, absl::string_view field) {
  if (IsValidMemberId(id)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", MemberIdRule()));
}

}  // namespace peermatch::base
