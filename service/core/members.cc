#include "service/core/members.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "service/core/groups.h"

namespace peermatch::core {

absl::StatusOr<UpsertedMember> Members::Upsert(const std::string& pool,
                                               store::MemberWrite write,
                                               absl::Time deadline) {
  ASSIGN_OR_RETURN(store::UpsertResult r,
                   members_->Upsert(pool, write, deadline));
  UpsertedMember out;
  out.created = r.created;
  out.member.profile = std::move(write.profile);
  out.member.version = r.version;
  out.member.update_time = r.update_time;
  const matcher::MemberProfile& stored = out.member.profile;
  snapshots_->ApplyMember(pool, stored.id, r.version,
                          [&stored] { return stored; });
  return out;
}

absl::StatusOr<std::vector<absl::StatusOr<store::UpsertResult>>>
Members::BatchUpsert(const std::string& pool,
                     absl::Span<const store::MemberWrite> writes,
                     absl::Time deadline) {
  ASSIGN_OR_RETURN(auto outcomes,
                   members_->BatchUpsert(pool, writes, deadline));
  for (size_t k = 0; k < outcomes.size() && k < writes.size(); ++k) {
    if (!outcomes[k].ok()) continue;
    const matcher::MemberProfile& p = writes[k].profile;
    snapshots_->ApplyMember(pool, p.id, outcomes[k]->version,
                            [&p] { return p; });
  }
  return outcomes;
}

absl::StatusOr<store::MemberRecord> Members::Get(const std::string& pool,
                                                 const std::string& id,
                                                 absl::Time deadline) {
  return members_->Get(pool, id, deadline);
}

absl::StatusOr<store::MemberPage> Members::List(const std::string& pool,
                                                int page_size,
                                                const std::string& after_id,
                                                absl::Time deadline) {
  return members_->List(pool, page_size, after_id, deadline);
}

absl::StatusOr<Erasure> Members::Delete(const std::string& pool,
                                        const std::string& id,
                                        std::optional<int64_t> expected_version,
                                        const Call& call) {
  ASSIGN_OR_RETURN(store::MemberRecord existing,
                   members_->Get(pool, id, call.deadline));
  if (expected_version.has_value() && existing.version != *expected_version) {
    return absl::AbortedError(absl::StrCat("version mismatch: expected ",
                                           *expected_version, ", stored ",
                                           existing.version));
  }
  Erasure out;
  if (groups_ != nullptr) {
    ASSIGN_OR_RETURN(out.groups_changed,
                     groups_->RemoveMember(pool, id, call.deadline));
  }
  store::DeleteOptions options;
  options.expected_version = expected_version;
  options.actor = call.actor;
  ASSIGN_OR_RETURN(store::DeleteResult r,
                   members_->Delete(pool, id, options, call.deadline));
  snapshots_->RemoveMember(pool, id);
  snapshots_->InvalidateMatches(pool);
  out.matches_ended = r.matches_ended;
  return out;
}

}  // namespace peermatch::core
