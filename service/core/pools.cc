#include "service/core/pools.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "matcher/groups.h"

namespace peermatch::core {
absl::StatusOr<VersionedSettings> LoadSettings(store::SettingsStore* repo,
                                               const std::string& pool,
                                               absl::Time deadline) {
  ASSIGN_OR_RETURN(std::optional<store::SettingsRecord> rec,
                   repo->Get(pool, deadline));
  if (!rec.has_value()) return VersionedSettings{};
  return VersionedSettings{std::move(rec->config), rec->version};
}

absl::StatusOr<VersionedSettings> Pools::GetSettings(const std::string& pool,
                                                     absl::Time deadline) {
  ASSIGN_OR_RETURN(VersionedSettings loaded,
                   LoadSettings(settings_, pool, deadline));
  if (loaded.version == 0) {
    // Defaults apply, but only to a pool that exists (has members).
    RETURN_IF_ERROR(snapshots_->Read(
        pool, deadline,
        [](const snapshot::PoolView&) { return absl::OkStatus(); }));
  }
  return loaded;
}

absl::StatusOr<VersionedSettings> Pools::UpdateSettings(
    const std::string& pool, std::optional<int64_t> expected_version,
    const SettingsPatch& patch, const Call& call) {
  ASSIGN_OR_RETURN(VersionedSettings loaded,
                   LoadSettings(settings_, pool, call.deadline));
  if (expected_version.has_value() && *expected_version != loaded.version) {
    return absl::AbortedError(absl::StrCat("settings version is ",
                                           loaded.version, ", expected ",
                                           *expected_version));
  }
  RETURN_IF_ERROR(patch(&loaded.config));
  // The script checks the version we read.
  ASSIGN_OR_RETURN(loaded.version,
                   settings_->Put(pool, loaded.config, loaded.version,
                                  call.actor, call.deadline));
  snapshots_->InvalidateSettings(pool);
  return loaded;
}

absl::StatusOr<PoolStats> Pools::Stats(const std::string& pool,
                                       absl::Time deadline) {
  // Groups and match counts come from the store (the snapshot holds members
  // and match loads only).
  ASSIGN_OR_RETURN(store::GroupSnapshot live_groups,
                   groups_->LoadLive(pool, deadline));
  PoolStats st;
  ASSIGN_OR_RETURN(st.matches, matches_->CountLive(pool, deadline));
  absl::flat_hash_set<std::string> grouped;
  for (const store::GroupRecord& g : live_groups.groups) {
    (g.state == store::GroupState::kActive ? st.groups_active
                                           : st.groups_proposed)++;
    grouped.insert(g.members.begin(), g.members.end());
  }
  RETURN_IF_ERROR(
      snapshots_->Read(pool, deadline, [&](const snapshot::PoolView& view) {
        const matcher::CompiledPool& p = view.pool();
        const matcher::Scorer& scorer = view.scorer();
        static constexpr matcher::MemberFlag kRoles[] = {
            matcher::kFlagMentee, matcher::kFlagMentor,
            matcher::kFlagGroupMember, matcher::kFlagFacilitator};
        int64_t group_eligible = 0;
        for (matcher::MemberIndex i : p.by_id()) {
          const matcher::MemberCore& c = p.core(i);
          for (int r = 0; r < 4; ++r) {
            if (c.flags & kRoles[r]) ++st.by_role[r + 1];
          }
          ++st.by_stage[c.stage];
          st.safety_hold += (c.flags & matcher::kFlagSafetyHold) != 0;
          if (scorer.EligibleMentee(i)) {
            ++st.mentees_eligible;
            st.mentees_matched += view.mentee_live(i);
          }
          if (scorer.EligibleMentor(i)) {
            st.mentor_capacity += c.capacity;
            st.mentor_load += view.mentor_load(i);
          }
          if (matcher::GroupEligibilityOf(c, view.settings()) ==
              matcher::GroupEligibility::kEligible) {
            ++group_eligible;
            st.group_members_placed += grouped.contains(p.id(i));
          }
        }
        st.members = static_cast<int64_t>(p.size());
        st.matched_fraction =
            st.mentees_eligible == 0
                ? 0
                : double(st.mentees_matched) / st.mentees_eligible;
        st.mentor_utilisation =
            st.mentor_capacity == 0
                ? 0
                : double(st.mentor_load) / st.mentor_capacity;
        st.group_members_unplaced = group_eligible - st.group_members_placed;
        st.snapshot_version = static_cast<int64_t>(view.position().ms);
        return absl::OkStatus();
      }));
  return st;
}

}  // namespace peermatch::core
