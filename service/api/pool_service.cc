#include "service/api/pool_service.h"

#include <map>
#include <optional>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "service/api/settings_codec.h"
#include "service/api/validation.h"
#include "base/status_macros.h"

namespace peermatch::api {
namespace {

// The stored settings with their version; defaults and version 0 when never
// written.
absl::StatusOr<std::pair<FullSettings, int64_t>> LoadSettings(
    store::SettingsRepository* repo, const std::string& pool,
    absl::Time deadline) {
  ASSIGN_OR_RETURN(std::optional<store::SettingsRecord> rec,
                   repo->Get(pool, deadline));
  if (!rec.has_value()) return std::make_pair(FullSettings{}, int64_t{0});
  return std::make_pair(std::move(rec->config), rec->version);
}

}  // namespace

absl::Status PoolLogic::GetSettings(const v1::GetPoolSettingsRequest& req,
                                    absl::Time deadline,
                                    v1::GetPoolSettingsResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(auto loaded, LoadSettings(settings_, req.pool(), deadline));
  if (loaded.second == 0) {
    // Defaults apply, but only to a pool that exists (has members).
    RETURN_IF_ERROR(snapshots_->Read(
        req.pool(), deadline,
        [](const snapshot::PoolView&) { return absl::OkStatus(); }));
  }
  *resp->mutable_settings() = SettingsToProto(loaded.first);
  resp->mutable_settings()->set_version(loaded.second);
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
  ASSIGN_OR_RETURN(auto loaded, LoadSettings(settings_, req.pool(), deadline));
  if (req.has_expected_version() && req.expected_version() != loaded.second) {
    return absl::AbortedError(absl::StrCat("settings version is ",
                                           loaded.second, ", expected ",
                                           req.expected_version()));
  }
  FullSettings merged = loaded.first;
  MergeSettings(req.settings(), "settings", &merged, &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  v1::PoolSettings stored = SettingsToProto(merged);
  // The script checks the version we read, so a concurrent update between
  // our read and this write is ABORTED rather than lost.
  ASSIGN_OR_RETURN(int64_t version,
                   settings_->Put(req.pool(), merged,
                                  loaded.second, actor, deadline));
  snapshots_->InvalidateSettings(req.pool());
  *resp->mutable_settings() = std::move(stored);
  resp->mutable_settings()->set_version(version);
  return absl::OkStatus();
}

absl::Status PoolLogic::GetStats(const v1::GetPoolStatsRequest& req,
                                 absl::Time deadline,
                                 v1::GetPoolStatsResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  // Groups and match counts come from Redis (the snapshot holds members and
  // match loads only); read first, so an unknown pool still fails in Read.
  ASSIGN_OR_RETURN(store::GroupSnapshot live_groups,
                   groups_->LoadLive(req.pool(), deadline));
  ASSIGN_OR_RETURN(store::LiveCounts live_matches,
                   matches_->CountLive(req.pool(), deadline));
  absl::flat_hash_set<std::string> grouped;
  int64_t groups_active = 0, groups_proposed = 0;
  for (const store::GroupRecord& g : live_groups.groups) {
    (g.state == store::GroupState::kActive ? groups_active : groups_proposed)++;
    grouped.insert(g.members.begin(), g.members.end());
  }
  return snapshots_->Read(
      req.pool(), deadline, [&](const snapshot::PoolView& view) {
        const matcher::CompiledPool& pool = view.pool();
        const matcher::Scorer& scorer = view.scorer();
        v1::PoolStats* st = resp->mutable_stats();
        std::map<std::string, int64_t> by_role;
        int64_t by_stage[6] = {};
        int64_t holds = 0, eligible_mentees = 0, matched = 0, capacity = 0,
                load = 0, group_eligible = 0, placed = 0;
        const bool need_screening = view.settings().require_screening;
        static constexpr std::pair<matcher::MemberFlag, const char*> kRoles[] =
            {{matcher::kFlagMentee, "ROLE_MENTEE"},
             {matcher::kFlagMentor, "ROLE_MENTOR"},
             {matcher::kFlagGroupMember, "ROLE_GROUP_MEMBER"},
             {matcher::kFlagFacilitator, "ROLE_FACILITATOR"}};
        for (matcher::MemberIndex i : pool.by_id()) {
          const matcher::MemberCore& c = pool.core(i);
          for (const auto& [flag, name] : kRoles) {
            if (c.flags & flag) ++by_role[name];
          }
          ++by_stage[c.stage];
          holds += (c.flags & matcher::kFlagSafetyHold) != 0;
          if (scorer.EligibleMentee(i)) {
            ++eligible_mentees;
            matched += view.mentee_live(i);
          }
          if (scorer.EligibleMentor(i)) {
            capacity += c.capacity;
            load += view.mentor_load(i);
          }
          // SPEC §5 "Eligible" for groups.
          if ((c.flags &
               (matcher::kFlagGroupMember | matcher::kFlagFacilitator)) != 0 &&
              (c.flags & matcher::kFlagSafetyHold) == 0 &&
              (!need_screening || (c.flags & matcher::kFlagScreened) != 0)) {
            ++group_eligible;
            placed += grouped.contains(pool.id(i));
          }
        }
        st->set_members(static_cast<int64_t>(pool.size()));
        for (const auto& [name, count] : by_role) {
          auto* kv = st->add_by_role();
          kv->set_key(name);
          kv->set_count(count);
        }
        for (int s = 1; s <= 5; ++s) {
          auto* kv = st->add_by_stage();
          kv->set_key(absl::StrCat(s));
          kv->set_count(by_stage[s]);
        }
        st->set_safety_hold(holds);
        st->set_mentees_eligible(eligible_mentees);
        st->set_mentees_matched(matched);
        st->set_matched_fraction(
            eligible_mentees == 0 ? 0 : double(matched) / eligible_mentees);
        st->set_mentor_capacity(capacity);
        st->set_mentor_load(load);
        st->set_mentor_utilisation(capacity == 0 ? 0 : double(load) / capacity);
        for (const auto& [state, count] :
             {std::pair<const char*, int64_t>{"MATCH_STATE_PROPOSED",
                                              live_matches.proposed},
              {"MATCH_STATE_ACTIVE", live_matches.active}}) {
          auto* kv = st->add_matches_by_state();
          kv->set_key(state);
          kv->set_count(count);
        }
        st->set_groups_active(groups_active);
        st->set_groups_proposed(groups_proposed);
        st->set_group_members_placed(placed);
        st->set_group_members_unplaced(group_eligible - placed);
        st->set_snapshot_version(static_cast<int64_t>(view.position().ms));
        return absl::OkStatus();
      });
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
