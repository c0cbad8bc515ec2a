#include "service/store/keys.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"

namespace peermatch::store::keys {
namespace {

// The only place that writes the hash tag.
std::string PoolKey(absl::string_view pool, absl::string_view kind) {
  return absl::StrCat("pm:{", pool, "}:", kind);
}

std::string PoolKey(absl::string_view pool, absl::string_view kind,
                    absl::string_view id) {
  return absl::StrCat("pm:{", pool, "}:", kind, ":", id);
}

}  // namespace

std::string PoolPrefix(absl::string_view pool) { return PoolKey(pool, ""); }

std::string Member(absl::string_view pool, absl::string_view id) {
  return PoolKey(pool, "m", id);
}
std::string MemberIds(absl::string_view pool) { return PoolKey(pool, "ids"); }
std::string BlockedBy(absl::string_view pool, absl::string_view id) {
  return PoolKey(pool, "rblk", id);
}
std::string Feed(absl::string_view pool) { return PoolKey(pool, "feed"); }
std::string Settings(absl::string_view pool) {
  return PoolKey(pool, "settings");
}
std::string Audit(absl::string_view pool) { return PoolKey(pool, "audit"); }

std::string Match(absl::string_view pool, absl::string_view match_id) {
  return PoolKey(pool, "match", match_id);
}
std::string MatchSeq(absl::string_view pool) {
  return PoolKey(pool, "seq-match");
}
std::string MatchIndex(absl::string_view pool) {
  return PoolKey(pool, "idx-match");
}
std::string MentorLive(absl::string_view pool, absl::string_view mentor) {
  return PoolKey(pool, "live-mentor", mentor);
}
std::string MenteeLive(absl::string_view pool, absl::string_view mentee) {
  return PoolKey(pool, "live-mentee", mentee);
}
std::string MemberMatches(absl::string_view pool, absl::string_view member) {
  return PoolKey(pool, "by-member", member);
}
std::string ProposedMatches(absl::string_view pool) {
  return PoolKey(pool, "proposed");
}
std::string ActiveMatches(absl::string_view pool) {
  return PoolKey(pool, "active");
}
std::string ExcludedPairs(absl::string_view pool) {
  return PoolKey(pool, "excluded");
}

std::string Group(absl::string_view pool, absl::string_view group_id) {
  return PoolKey(pool, "group", group_id);
}
std::string GroupSeq(absl::string_view pool) {
  return PoolKey(pool, "seq-group");
}
std::string GroupIndex(absl::string_view pool) {
  return PoolKey(pool, "idx-group");
}
std::string LiveGroups(absl::string_view pool) {
  return PoolKey(pool, "live-groups");
}
std::string MemberGroup(absl::string_view pool, absl::string_view member) {
  return PoolKey(pool, "member-group", member);
}

std::string JobLease(absl::string_view pool) { return PoolKey(pool, "lease"); }

std::string JobFence(absl::string_view pool) { return PoolKey(pool, "fence"); }

std::string Job(absl::string_view pool, absl::string_view job_id) {
  return PoolKey(pool, "job", job_id);
}
std::string JobSeq(absl::string_view pool) { return PoolKey(pool, "seq-job"); }
std::string JobIndex(absl::string_view pool) {
  return PoolKey(pool, "idx-job");
}
std::string JobIdempotency(absl::string_view pool) {
  return PoolKey(pool, "idem-job");
}
std::string JobQueue(absl::string_view pool) {
  return PoolKey(pool, "queue-job");
}
std::string JobPools() { return "pm:jobpools"; }

std::string Pools() { return "pm:pools"; }

}  // namespace peermatch::store::keys
