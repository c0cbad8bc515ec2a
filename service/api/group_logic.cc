#include "service/api/group_logic.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "matcher/groups.h"
#include "matcher/time.h"
#include "service/api/conversions.h"
#include "service/api/member_codec.h"
#include "service/api/pool_check.h"
#include "service/api/settings_codec.h"
#include "service/api/validation.h"
#include "service/common/logging.h"
#include "base/status_macros.h"

namespace peermatch::api {
namespace {

constexpr int kApplyAttempts = 4;

// A pool's members as the group library takes them, in a reference week.
struct LoadedPool {
  std::vector<matcher::MemberProfile> profiles;
  std::vector<matcher::SlotSet> slots;
  std::vector<absl::TimeZone> zones;
  absl::flat_hash_map<std::string, size_t> index;
  FullSettings settings;
  matcher::ReferenceWeek week;
};

absl::StatusOr<FullSettings> LoadSettings(store::SettingsRepository* repo,
                                          const std::string& pool,
                                          absl::Time deadline) {
  ASSIGN_OR_RETURN(std::optional<store::SettingsRecord> rec,
                   repo->Get(pool, deadline));
  if (!rec.has_value()) return FullSettings{};
  return std::move(rec->config);
}

absl::Status Place(const std::vector<store::MemberRecord>& records,
                   LoadedPool* out) {
  matcher::TimeZoneCache zones;
  for (const store::MemberRecord& r : records) {
    const matcher::MemberProfile& p = r.profile;
    ASSIGN_OR_RETURN(absl::TimeZone tz, zones.Load(p.time_zone));
    ASSIGN_OR_RETURN(matcher::SlotSet slots,
                     matcher::AvailabilitySlots(p.availability, tz, out->week));
    out->index[p.id] = out->profiles.size();
    out->profiles.push_back(p);
    out->slots.push_back(slots);
    out->zones.push_back(tz);
  }
  return absl::OkStatus();
}

absl::StatusOr<LoadedPool> LoadPool(store::MemberRepository* members,
                                    store::SettingsRepository* settings,
                                    const std::string& pool, absl::Time ref,
                                    absl::Time deadline) {
  LoadedPool out;
  out.week = matcher::ReferenceWeekContaining(ref);
  ASSIGN_OR_RETURN(out.settings, LoadSettings(settings, pool, deadline));
  ASSIGN_OR_RETURN(store::PoolLoad load, members->LoadAll(pool, deadline));
  if (load.members.empty()) {
    return absl::NotFoundError(absl::StrCat("pool ", pool, " has no members"));
  }
  RETURN_IF_ERROR(Place(load.members, &out));
  return out;
}

store::GroupDetails PlanToDetails(
    const matcher::GroupPlan& plan,
    const std::vector<const matcher::MemberProfile*>& who,
    const std::vector<absl::TimeZone>& zones,
    const matcher::ReferenceWeek& week, int session_minutes) {
  store::GroupDetails g;
  g.facilitator = plan.facilitator;
  g.facilitator_ids = plan.facilitator_ids;
  g.slot_utc = {plan.slot.day, plan.slot.start_minute, plan.slot.end_minute};
  int minute_of_week = plan.slot.start_slot * matcher::kSlotMinutes;
  for (size_t i = 0; i < who.size(); ++i) {
    matcher::WeeklySpan local = matcher::LocalTimeOfSlot(
        minute_of_week, session_minutes, zones[i], week);
    g.local_slots.push_back(
        {who[i]->id,
         who[i]->time_zone,
         {local.day, local.start_minute, local.end_minute}});
  }
  g.language = plan.language;
  g.modality = plan.modality;
  g.region = plan.region;
  g.total_fit = plan.total_fit;
  for (size_t i = 0; i < plan.member_ids.size(); ++i) {
    g.fits.push_back(
        {plan.member_ids[i], i < plan.fits.size() ? plan.fits[i] : 0});
  }
  return g;
}

// The details of a plan whose members are in `pool`.
store::GroupDetails Details(const matcher::GroupPlan& plan,
                            const LoadedPool& pool) {
  std::vector<const matcher::MemberProfile*> who;
  std::vector<absl::TimeZone> zones;
  for (const std::string& id : plan.member_ids) {
    size_t i = pool.index.at(id);
    who.push_back(&pool.profiles[i]);
    zones.push_back(pool.zones[i]);
  }
  return PlanToDetails(plan, who, zones, pool.week,
                       pool.settings.matcher.session_minutes);
}

v1::WeeklySlot SlotToProto(const store::WeeklySlot& s) {
  v1::WeeklySlot out;
  out.set_day(static_cast<v1::DayOfWeek>(s.day));
  out.set_start_minute(s.start_minute);
  out.set_end_minute(s.end_minute);
  return out;
}

v1::Group RecordToProto(const store::GroupRecord& r, const std::string& pool) {
  v1::Group g;
  const store::GroupDetails& d = r.details;
  g.set_id(r.id);
  g.set_pool(pool);
  g.set_state(static_cast<v1::GroupState>(r.state));
  for (const std::string& m : r.members) g.add_member_ids(m);
  for (const std::string& f : d.facilitator_ids) g.add_facilitator_ids(f);
  g.set_facilitator(d.facilitator);
  *g.mutable_slot_utc() = SlotToProto(d.slot_utc);
  for (const store::LocalSlot& ls : d.local_slots) {
    v1::LocalSlot* out = g.add_local_slots();
    out->set_member_id(ls.member_id);
    out->set_time_zone(ls.time_zone);
    *out->mutable_slot() = SlotToProto(ls.slot);
  }
  g.set_language(d.language);
  g.set_modality(static_cast<v1::Modality>(d.modality));
  g.set_region(d.region);
  g.set_total_fit(d.total_fit);
  for (const store::MemberFit& f : d.fits) {
    v1::MemberFit* out = g.add_fits();
    out->set_member_id(f.member_id);
    out->set_fit(f.fit);
  }
  g.set_dissolve_reason(r.dissolve_reason);
  g.set_version(r.version);
  g.set_job_id(r.job_id);
  SetTimestamp(r.create_time, g.mutable_create_time());
  SetTimestamp(r.update_time, g.mutable_update_time());
  return g;
}

v1::UnplacedReason UnplacedToProto(matcher::UnplacedReason r) {
  switch (r) {
    case matcher::UnplacedReason::kSafetyHold:
      return v1::UNPLACED_REASON_SAFETY_HOLD;
    case matcher::UnplacedReason::kNotScreened:
      return v1::UNPLACED_REASON_NOT_SCREENED;
    case matcher::UnplacedReason::kNoFeasibleGroup:
      return v1::UNPLACED_REASON_NO_FEASIBLE_GROUP;
  }
  return v1::UNPLACED_REASON_UNSPECIFIED;
}

bool GroupsChanged(const absl::Status& s) {
  return absl::IsAborted(s) && absl::StrContains(s.message(), "changed");
}

}  // namespace

absl::StatusOr<GroupRun> GroupLogic::PlanAndCommit(
    const std::string& pool, const v1::GroupingOptions& options,
    absl::Time reference_time, const std::string& actor,
    const std::string& job_id, std::optional<int64_t> fencing_token,
    absl::Time deadline, const ProgressFn& progress,
    const std::function<absl::Status()>& before_commit) {
  if (options.time_budget_ms() < 0 || options.time_budget_ms() > 60000) {
    return absl::InvalidArgumentError(
        "options.time_budget_ms: must be 0 (no time limit) to 60000");
  }
  // 0: the search ends by convergence or its fixed evaluation budget, so the
  // result depends only on the pool state and options (SPEC §3.1); only the
  // call's or job's deadline cuts it. A time budget makes it timing-dependent.
  const absl::Duration budget =
      options.time_budget_ms() == 0
          ? absl::InfiniteDuration()
          : absl::Milliseconds(options.time_budget_ms());
  for (int attempt = 1;; ++attempt) {
    if (progress) progress("loading", 5);
    ASSIGN_OR_RETURN(store::GroupSnapshot live,
                     groups_->LoadLive(pool, deadline));
    ASSIGN_OR_RETURN(LoadedPool loaded, LoadPool(members_, settings_, pool,
                                                 reference_time, deadline));
    RETURN_IF_ERROR(matcher::ValidateGroupSettings(loaded.settings.matcher));
    std::vector<matcher::ExistingGroup> existing;
    absl::flat_hash_map<std::string, const store::GroupRecord*> by_id;
    for (const store::GroupRecord& g : live.groups) {
      existing.push_back({g.id,
                          g.state == store::GroupState::kActive
                              ? matcher::ExistingGroupState::kActive
                              : matcher::ExistingGroupState::kProposed,
                          g.members});
      by_id[g.id] = &g;
    }
    if (progress) progress("grouping", 20);
    matcher::GroupingOptions opts;
    opts.full = options.full();
    absl::Time stop_at =
        std::min(absl::Now() + budget, deadline - absl::Seconds(1));
    opts.should_stop = [stop_at] { return absl::Now() >= stop_at; };
    ASSIGN_OR_RETURN(matcher::GroupingResult result,
                     matcher::Regroup(loaded.profiles, loaded.slots, existing,
                                      loaded.settings.matcher, opts));
    if (progress) progress("committing", 90);

    store::GroupChangeSet changes;
    changes.expected_live = live.ids();
    changes.actor = actor;
    changes.job_id = job_id;
    changes.fencing_token = fencing_token;
    changes.refuse_if_leased = !fencing_token.has_value();
    std::vector<int> created_index;  // result group index of each create
    absl::flat_hash_map<std::string, bool> continued;
    for (size_t i = 0; i < result.groups.size(); ++i) {
      const matcher::GroupPlan& plan = result.groups[i];
      store::GroupDetails details = Details(plan, loaded);
      if (!plan.id.empty() && by_id.contains(plan.id)) {
        const store::GroupRecord& old = *by_id[plan.id];
        continued[plan.id] = true;
        if (old.members == plan.member_ids && old.details == details) continue;
        store::GroupOp op;
        op.kind = store::GroupOp::Kind::kUpdate;
        op.id = plan.id;
        op.expected_version = old.version;
        op.state = old.state;
        op.members = plan.member_ids;
        op.details = std::move(details);
        changes.ops.push_back(std::move(op));
      } else {
        store::GroupOp op;
        op.kind = store::GroupOp::Kind::kCreate;
        op.state = loaded.settings.service.auto_publish
                       ? store::GroupState::kActive
                       : store::GroupState::kProposed;
        op.members = plan.member_ids;
        op.details = std::move(details);
        created_index.push_back(static_cast<int>(i));
        changes.ops.push_back(std::move(op));
      }
    }
    absl::flat_hash_map<std::string, std::string> dissolved_reason;
    for (const matcher::DissolvedGroup& d : result.dissolved) {
      dissolved_reason[d.id] =
          std::string(matcher::GroupViolationName(d.violation));
    }
    for (const store::GroupRecord& g : live.groups) {
      if (continued.contains(g.id)) continue;
      store::GroupOp op;
      op.id = g.id;
      op.expected_version = g.version;
      op.members = g.members;
      if (g.state == store::GroupState::kProposed) {
        op.kind = store::GroupOp::Kind::kDelete;
      } else {
        op.kind = store::GroupOp::Kind::kDissolve;
        auto it = dissolved_reason.find(g.id);
        op.reason = it == dissolved_reason.end() ? "regroup" : it->second;
      }
      changes.ops.push_back(std::move(op));
    }
    if (before_commit) RETURN_IF_ERROR(before_commit());
    absl::StatusOr<std::vector<std::string>> applied =
        groups_->Apply(pool, changes, deadline);
    if (!applied.ok()) {
      if (GroupsChanged(applied.status()) && attempt < kApplyAttempts) continue;
      return applied.status();
    }
    // Final ids of the result's groups, for the churn report.
    std::vector<std::string> final_id(result.groups.size());
    for (size_t i = 0; i < result.groups.size(); ++i) {
      final_id[i] = result.groups[i].id;
    }
    for (size_t j = 0; j < created_index.size() && j < applied->size(); ++j) {
      final_id[created_index[j]] = (*applied)[j];
    }
    GroupRun run;
    v1::GroupingReport& r = run.report;
    r.set_groups(static_cast<int32_t>(result.groups.size()));
    r.set_placed(result.placed);
    r.set_unplaced(static_cast<int32_t>(result.unplaced.size()));
    for (const matcher::UnplacedMember& u : result.unplaced) {
      v1::UnplacedMember* out = r.add_unplaced_members();
      out->set_id(u.id);
      out->set_reason(UnplacedToProto(u.reason));
    }
    r.set_total_fit(result.total_fit);
    r.set_upper_bound(result.upper_bound);
    r.set_size_deviation(result.size_deviation);
    for (const matcher::ChurnEntry& c : result.churn) {
      v1::ChurnEntry* out = r.add_churn();
      out->set_member_id(c.member_id);
      out->set_from_group_id(c.from_group_id);
      if (c.to_group >= 0 && c.to_group < static_cast<int>(final_id.size())) {
        out->set_to_group_id(final_id[c.to_group]);
      }
      out->set_reason(matcher::ChurnReasonString(c.reason, c.detail));
    }
    r.set_groups_kept(result.groups_kept);
    r.set_groups_dissolved(static_cast<int32_t>(result.dissolved.size()));
    r.set_search_cut_by_time(result.stopped_early);
    ASSIGN_OR_RETURN(store::GroupSnapshot after,
                     groups_->LoadLive(pool, deadline));
    for (const store::GroupRecord& g : after.groups) {
      run.groups.push_back(RecordToProto(g, pool));
    }
    return run;
  }
}

absl::Status GroupLogic::FormGroups(const v1::FormGroupsRequest& req,
                                    const CallInfo& call,
                                    v1::FormGroupsResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  const v1::GroupingOptions& o = req.options();
  if (o.time_budget_ms() < 0 || o.time_budget_ms() > 60000) {
    errors.Add("options.time_budget_ms", "must be 0 (no time limit) to 60000");
  }
  if (o.has_reference_time() && (o.reference_time().seconds() < 0 ||
                                 o.reference_time().seconds() > 253402300799)) {
    errors.Add("options.reference_time", "must be a valid timestamp");
  }
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(store::MemberPage first,
                   members_->List(req.pool(), 1, "", call.deadline));
  if (first.total_count > sync_max_members_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "pool has ", first.total_count,
        " members, more than a synchronous run takes (", sync_max_members_,
        "); use StartJob with JOB_KIND_GROUPS"));
  }
  absl::Time ref = o.has_reference_time()
                       ? absl::FromUnixSeconds(o.reference_time().seconds())
                       : absl::Now();
  ASSIGN_OR_RETURN(GroupRun run,
                   PlanAndCommit(req.pool(), o, ref, call.actor, "",
                                 std::nullopt, call.deadline, {}));
  for (v1::Group& g : run.groups) *resp->add_groups() = std::move(g);
  *resp->mutable_report() = std::move(run.report);
  return absl::OkStatus();
}

absl::Status GroupLogic::Publish(const v1::PublishGroupsRequest& req,
                                 const CallInfo& call,
                                 v1::PublishGroupsResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  if (req.group_ids_size() > 10000) errors.Add("group_ids", "at most 10000");
  RETURN_IF_ERROR(errors.ToStatus());
  RETURN_IF_ERROR(
      RequireKnownPool(&members_->registry(), req.pool(), call.deadline));
  ASSIGN_OR_RETURN(store::GroupSnapshot live,
                   groups_->LoadLive(req.pool(), call.deadline));
  absl::flat_hash_map<std::string, const store::GroupRecord*> by_id;
  for (const store::GroupRecord& g : live.groups) by_id[g.id] = &g;
  std::vector<std::string> ids(req.group_ids().begin(), req.group_ids().end());
  if (ids.empty()) {
    for (const store::GroupRecord& g : live.groups) {
      if (g.state == store::GroupState::kProposed) ids.push_back(g.id);
    }
  }
  store::GroupChangeSet changes;
  changes.actor = call.actor;
  for (const std::string& id : ids) {
    auto it = by_id.find(id);
    if (it == by_id.end()) {
      return absl::NotFoundError(absl::StrCat("group ", id, " is not live"));
    }
    if (it->second->state != store::GroupState::kProposed) {
      return absl::FailedPreconditionError(
          absl::StrCat("group ", id, " is not PROPOSED"));
    }
    store::GroupOp op;
    op.kind = store::GroupOp::Kind::kUpdate;
    op.id = id;
    op.expected_version = it->second->version;
    op.state = store::GroupState::kActive;
    op.members = it->second->members;
    op.details = it->second->details;
    changes.ops.push_back(std::move(op));
  }
  if (!changes.ops.empty()) {
    RETURN_IF_ERROR(
        groups_->Apply(req.pool(), changes, call.deadline).status());
  }
  resp->set_published(static_cast<int32_t>(changes.ops.size()));
  return absl::OkStatus();
}

absl::Status GroupLogic::Rank(const v1::RankGroupsForMemberRequest& req,
                              const CallInfo& call,
                              v1::RankGroupsForMemberResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckMemberId(req.member_id(), "member_id", &errors);
  if (req.k() < 0 || req.k() > 50)
    errors.Add("k", "must be 0 (default 10) to 50");
  RETURN_IF_ERROR(errors.ToStatus());
  absl::Time ref = req.has_reference_time()
                       ? absl::FromUnixSeconds(req.reference_time().seconds())
                       : absl::Now();
  ASSIGN_OR_RETURN(LoadedPool loaded, LoadPool(members_, settings_, req.pool(),
                                               ref, call.deadline));
  auto me = loaded.index.find(req.member_id());
  if (me == loaded.index.end()) return absl::NotFoundError("member not found");
  RETURN_IF_ERROR(matcher::ValidateGroupSettings(loaded.settings.matcher));
  ASSIGN_OR_RETURN(store::GroupSnapshot live,
                   groups_->LoadLive(req.pool(), call.deadline));
  std::vector<matcher::CandidateGroup> candidates;
  absl::flat_hash_map<std::string, const store::GroupRecord*> by_id;
  for (const store::GroupRecord& g : live.groups) {
    if (g.state != store::GroupState::kActive) continue;
    matcher::CandidateGroup c;
    c.id = g.id;
    bool complete = true;
    for (const std::string& m : g.members) {
      auto it = loaded.index.find(m);
      if (it == loaded.index.end()) {
        complete = false;
        break;
      }
      c.members.push_back(
          {&loaded.profiles[it->second], &loaded.slots[it->second]});
    }
    if (!complete) continue;
    by_id[g.id] = &g;
    candidates.push_back(std::move(c));
  }
  matcher::GroupMemberView view{&loaded.profiles[me->second],
                                &loaded.slots[me->second]};
  ASSIGN_OR_RETURN(
      std::vector<matcher::JoinCandidate> ranked,
      matcher::RankGroupsForMember(view, candidates, loaded.settings.matcher,
                                   req.k() == 0 ? 10 : req.k()));
  for (const matcher::JoinCandidate& j : ranked) {
    v1::GroupCandidate* out = resp->add_candidates();
    *out->mutable_group() = RecordToProto(*by_id[j.group_id], req.pool());
    out->set_fit(j.fit);
    out->set_free_seats(j.free_seats);
  }
  return absl::OkStatus();
}

absl::Status GroupLogic::Get(const v1::GetGroupRequest& req,
                             const CallInfo& call, v1::GetGroupResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  if (req.group_id().empty()) errors.Add("group_id", "is required");
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(store::GroupRecord g,
                   groups_->Get(req.pool(), req.group_id(), call.deadline));
  *resp->mutable_group() = RecordToProto(g, req.pool());
  return absl::OkStatus();
}

absl::Status GroupLogic::List(const v1::ListGroupsRequest& req,
                              const CallInfo& call,
                              v1::ListGroupsResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  if (!req.member_id().empty())
    CheckMemberId(req.member_id(), "member_id", &errors);
  CheckPageSize(req.page_size(), "page_size", &errors);
  std::vector<store::GroupState> states;
  for (int i = 0; i < req.states_size(); ++i) {
    int s = req.states(i);
    if (s < v1::GROUP_STATE_PROPOSED || s > v1::GROUP_STATE_DISSOLVED) {
      errors.Add(absl::StrCat("states[", i, "]"), "is not a group state");
    } else {
      states.push_back(static_cast<store::GroupState>(s));
    }
  }
  int64_t offset = 0;
  if (!DecodeOffsetToken(req.pool(), req.page_token(), &offset)) {
    errors.Add("page_token",
               "is not a token from a previous response for this pool");
  }
  RETURN_IF_ERROR(errors.ToStatus());
  RETURN_IF_ERROR(
      RequireKnownPool(&members_->registry(), req.pool(), call.deadline));
  if (!req.member_id().empty()) {
    // A member is in at most one live group.
    ASSIGN_OR_RETURN(
        std::optional<std::string> gid,
        groups_->GroupOf(req.pool(), req.member_id(), call.deadline));
    if (gid.has_value()) {
      ASSIGN_OR_RETURN(store::GroupRecord g,
                       groups_->Get(req.pool(), *gid, call.deadline));
      if (states.empty() ||
          std::find(states.begin(), states.end(), g.state) != states.end()) {
        *resp->add_groups() = RecordToProto(g, req.pool());
      }
    }
    return absl::OkStatus();
  }
  int size = req.page_size() == 0 ? kDefaultPageSize : req.page_size();
  ASSIGN_OR_RETURN(
      store::GroupPage page,
      groups_->List(req.pool(), states, size, offset, call.deadline));
  for (const store::GroupRecord& g : page.groups) {
    *resp->add_groups() = RecordToProto(g, req.pool());
  }
  if (page.next_offset > 0) {
    resp->set_next_page_token(EncodeOffsetToken(req.pool(), page.next_offset));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> GroupLogic::RemoveMember(const std::string& pool,
                                             const std::string& member,
                                             absl::Time deadline) {
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(std::optional<std::string> gid,
                     groups_->GroupOf(pool, member, deadline));
    if (!gid.has_value()) return 0;
    absl::StatusOr<store::GroupRecord> g = groups_->Get(pool, *gid, deadline);
    if (absl::IsNotFound(g.status())) return 0;
    if (!g.ok()) return g.status();
    std::vector<std::string> rest;
    for (const std::string& m : g->members) {
      if (m != member) rest.push_back(m);
    }
    // Is the rest still a valid group? Check it in the current week.
    LoadedPool loaded;
    loaded.week = matcher::ReferenceWeekContaining(absl::Now());
    ASSIGN_OR_RETURN(loaded.settings, LoadSettings(settings_, pool, deadline));
    std::vector<store::MemberRecord> records;
    for (const std::string& m : rest) {
      absl::StatusOr<store::MemberRecord> r = members_->Get(pool, m, deadline);
      if (r.ok()) records.push_back(*std::move(r));
    }
    RETURN_IF_ERROR(Place(records, &loaded));
    std::vector<matcher::GroupMemberView> views;
    for (size_t i = 0; i < loaded.profiles.size(); ++i) {
      views.push_back({&loaded.profiles[i], &loaded.slots[i]});
    }
    store::GroupChangeSet changes;
    changes.actor = "system:erasure";  // audited like any group change
    changes.release = {member};
    store::GroupOp op;
    op.id = g->id;
    op.expected_version = g->version;
    op.members = rest;
    matcher::GroupCheck check;
    if (!views.empty() &&
        matcher::ValidateGroupSettings(loaded.settings.matcher).ok()) {
      check = matcher::CheckGroup(views, loaded.settings.matcher);
    } else {
      check.violation = matcher::GroupViolation::kBelowMinSize;
    }
    if (check.ok()) {
      op.kind = store::GroupOp::Kind::kUpdate;
      op.state = g->state;
      op.details = Details(check.plan, loaded);
    } else {
      op.kind = store::GroupOp::Kind::kDissolve;
      op.reason = absl::StrCat("member_deleted:",
                               matcher::GroupViolationName(check.violation));
    }
    changes.ops.push_back(std::move(op));
    absl::StatusOr<std::vector<std::string>> applied =
        groups_->Apply(pool, changes, deadline);
    if (applied.ok()) return 1;
    if (!GroupsChanged(applied.status()) || attempt >= kApplyAttempts) {
      return applied.status();
    }
  }
}

grpc::ServerUnaryReactor* GroupServiceImpl::RankGroupsForMember(
    grpc::CallbackServerContext* ctx, const v1::RankGroupsForMemberRequest* req,
    v1::RankGroupsForMemberResponse* resp) {
  return runner_->Run(ctx, v1::GroupService::service_full_name(),
                      "RankGroupsForMember", *req,
                      [l = logic_, req, resp](const CallInfo& call) {
                        return l->Rank(*req, call, resp);
                      });
}

grpc::ServerUnaryReactor* GroupServiceImpl::GetGroup(
    grpc::CallbackServerContext* ctx, const v1::GetGroupRequest* req,
    v1::GetGroupResponse* resp) {
  return runner_->Run(ctx, v1::GroupService::service_full_name(), "GetGroup",
                      *req, [l = logic_, req, resp](const CallInfo& call) {
                        return l->Get(*req, call, resp);
                      });
}

grpc::ServerUnaryReactor* GroupServiceImpl::ListGroups(
    grpc::CallbackServerContext* ctx, const v1::ListGroupsRequest* req,
    v1::ListGroupsResponse* resp) {
  return runner_->Run(ctx, v1::GroupService::service_full_name(), "ListGroups",
                      *req, [l = logic_, req, resp](const CallInfo& call) {
                        return l->List(*req, call, resp);
                      });
}

}  // namespace peermatch::api
