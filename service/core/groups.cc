#include "service/core/groups.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "matcher/groups.h"
#include "matcher/time.h"
#include "service/core/group_diff.h"
#include "service/core/known_pool.h"
#include "service/core/pools.h"

namespace peermatch::core {
namespace {

constexpr int kApplyAttempts = 4;

// A pool's members as the group library takes them, in a reference week.
struct LoadedPool {
  std::vector<matcher::MemberProfile> profiles;
  std::vector<matcher::SlotSet> slots;
  std::vector<absl::TimeZone> zones;
  absl::flat_hash_map<std::string, size_t> index;
  store::PoolConfig settings;
  matcher::ReferenceWeek week;
};

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

absl::StatusOr<LoadedPool> LoadPool(store::MemberStore* members,
                                    store::SettingsStore* settings,
                                    const std::string& pool, absl::Time ref,
                                    absl::Time deadline) {
  LoadedPool out;
  out.week = matcher::ReferenceWeekContaining(ref);
  ASSIGN_OR_RETURN(VersionedSettings s, LoadSettings(settings, pool, deadline));
  out.settings = std::move(s.config);
  ASSIGN_OR_RETURN(store::PoolLoad load, members->LoadAll(pool, deadline));
  if (load.members.empty()) {
    return absl::NotFoundError(absl::StrCat("pool ", pool, " has no members"));
  }
  RETURN_IF_ERROR(Place(load.members, &out));
  return out;
}

// The details of a plan whose members are in `pool`: the UTC slot, each
// member's local time of it, language, modality, region and fits.
store::GroupDetails Details(const matcher::GroupPlan& plan,
                            const LoadedPool& pool) {
  store::GroupDetails g;
  g.facilitator = plan.facilitator;
  g.facilitator_ids = plan.facilitator_ids;
  g.slot_utc = {plan.slot.day, plan.slot.start_minute, plan.slot.end_minute};
  const int minute_of_week = plan.slot.start_slot * matcher::kSlotMinutes;
  for (const std::string& id : plan.member_ids) {
    const size_t i = pool.index.at(id);
    matcher::WeeklySpan local = matcher::LocalTimeOfSlot(
        minute_of_week, pool.settings.matcher.session_minutes, pool.zones[i],
        pool.week);
    g.local_slots.push_back(
        {id,
         pool.profiles[i].time_zone,
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

bool GroupsChanged(const absl::Status& s) {
  return absl::IsAborted(s) && absl::StrContains(s.message(), "changed");
}

bool InStates(const std::vector<store::GroupState>& states,
              store::GroupState s) {
  return states.empty() ||
         std::find(states.begin(), states.end(), s) != states.end();
}

}  // namespace

absl::StatusOr<GroupRun> Groups::PlanAndCommit(
    const std::string& pool, const GroupingOptions& options,
    absl::Time reference_time, const Call& call, const std::string& job_id,
    std::optional<int64_t> fencing_token, const ProgressFn& progress,
    const std::function<absl::Status()>& before_commit) {
  if (options.time_budget_ms < 0 || options.time_budget_ms > 60000) {
    return absl::InvalidArgumentError(
        "options.time_budget_ms: must be 0 (no time limit) to 60000");
  }
  // 0: the search ends by convergence or its fixed evaluation budget, so the
  // result depends only on the pool state and options (SPEC §3.1); only the
  // call's or job's deadline cuts it. A time budget makes it timing-dependent.
  const absl::Duration budget =
      options.time_budget_ms == 0 ? absl::InfiniteDuration()
                                  : absl::Milliseconds(options.time_budget_ms);
  for (int attempt = 1;; ++attempt) {
    if (progress) progress("loading", 5);
    ASSIGN_OR_RETURN(store::GroupSnapshot live,
                     groups_->LoadLive(pool, call.deadline));
    ASSIGN_OR_RETURN(
        LoadedPool loaded,
        LoadPool(members_, settings_, pool, reference_time, call.deadline));
    RETURN_IF_ERROR(matcher::ValidateGroupSettings(loaded.settings.matcher));
    std::vector<matcher::ExistingGroup> existing;
    for (const store::GroupRecord& g : live.groups) {
      existing.push_back({g.id,
                          g.state == store::GroupState::kActive
                              ? matcher::ExistingGroupState::kActive
                              : matcher::ExistingGroupState::kProposed,
                          g.members});
    }
    if (progress) progress("grouping", 20);
    matcher::GroupingOptions opts;
    opts.full = options.full;
    const absl::Time stop_at =
        std::min(absl::Now() + budget, call.deadline - absl::Seconds(1));
    opts.should_stop = [stop_at] { return absl::Now() >= stop_at; };
    ASSIGN_OR_RETURN(matcher::GroupingResult result,
                     matcher::Regroup(loaded.profiles, loaded.slots, existing,
                                      loaded.settings.matcher, opts));
    if (progress) progress("committing", 90);

    GroupDiff diff = DiffGroups(
        result, live.groups,
        [&loaded](const matcher::GroupPlan& plan) {
          return Details(plan, loaded);
        },
        loaded.settings.service.auto_publish);
    diff.changes.actor = call.actor;
    diff.changes.job_id = job_id;
    diff.changes.fencing_token = fencing_token;
    diff.changes.refuse_if_leased = !fencing_token.has_value();
    if (before_commit) RETURN_IF_ERROR(before_commit());
    absl::StatusOr<std::vector<std::string>> applied =
        groups_->Apply(pool, diff.changes, call.deadline);
    if (!applied.ok()) {
      if (GroupsChanged(applied.status()) && attempt < kApplyAttempts) continue;
      return applied.status();
    }
    GroupRun run;
    run.report = ReportOf(result, diff, *applied);
    ASSIGN_OR_RETURN(store::GroupSnapshot after,
                     groups_->LoadLive(pool, call.deadline));
    run.groups = std::move(after.groups);
    return run;
  }
}

absl::StatusOr<GroupRun> Groups::FormGroups(const std::string& pool,
                                            const GroupingOptions& options,
                                            absl::Time reference_time,
                                            const Call& call) {
  ASSIGN_OR_RETURN(store::MemberPage first,
                   members_->List(pool, 1, "", call.deadline));
  if (first.total_count > options_.sync_max_members) {
    return absl::FailedPreconditionError(absl::StrCat(
        "pool has ", first.total_count,
        " members, more than a synchronous run takes (",
        options_.sync_max_members, "); use StartJob with JOB_KIND_GROUPS"));
  }
  return PlanAndCommit(pool, options, reference_time, call, "", std::nullopt,
                       {});
}

absl::StatusOr<int> Groups::Publish(const std::string& pool,
                                    const std::vector<std::string>& ids_in,
                                    const Call& call) {
  RETURN_IF_ERROR(RequireKnownPool(members_, pool, call.deadline));
  ASSIGN_OR_RETURN(store::GroupSnapshot live,
                   groups_->LoadLive(pool, call.deadline));
  absl::flat_hash_map<std::string, const store::GroupRecord*> by_id;
  for (const store::GroupRecord& g : live.groups) by_id[g.id] = &g;
  std::vector<std::string> ids = ids_in;
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
    RETURN_IF_ERROR(groups_->Apply(pool, changes, call.deadline).status());
  }
  return static_cast<int>(changes.ops.size());
}

absl::StatusOr<std::vector<RankedGroup>> Groups::Rank(const std::string& pool,
                                                      const std::string& member,
                                                      int k,
                                                      absl::Time reference_time,
                                                      absl::Time deadline) {
  ASSIGN_OR_RETURN(LoadedPool loaded, LoadPool(members_, settings_, pool,
                                               reference_time, deadline));
  auto me = loaded.index.find(member);
  if (me == loaded.index.end()) return absl::NotFoundError("member not found");
  RETURN_IF_ERROR(matcher::ValidateGroupSettings(loaded.settings.matcher));
  ASSIGN_OR_RETURN(store::GroupSnapshot live,
                   groups_->LoadLive(pool, deadline));
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
  ASSIGN_OR_RETURN(std::vector<matcher::JoinCandidate> ranked,
                   matcher::RankGroupsForMember(view, candidates,
                                                loaded.settings.matcher, k));
  std::vector<RankedGroup> out;
  for (const matcher::JoinCandidate& j : ranked) {
    out.push_back({*by_id[j.group_id], j.fit, j.free_seats});
  }
  return out;
}

absl::StatusOr<store::GroupRecord> Groups::Get(const std::string& pool,
                                               const std::string& group_id,
                                               absl::Time deadline) {
  return groups_->Get(pool, group_id, deadline);
}

absl::StatusOr<store::GroupPage> Groups::List(
    const std::string& pool, const std::string& member,
    const std::vector<store::GroupState>& states, int page_size, int64_t offset,
    absl::Time deadline) {
  RETURN_IF_ERROR(RequireKnownPool(members_, pool, deadline));
  if (member.empty()) {
    return groups_->List(pool, states, page_size, offset, deadline);
  }
  store::GroupPage page;
  ASSIGN_OR_RETURN(std::optional<std::string> gid,
                   groups_->GroupOf(pool, member, deadline));
  if (gid.has_value()) {
    ASSIGN_OR_RETURN(store::GroupRecord g, groups_->Get(pool, *gid, deadline));
    if (InStates(states, g.state)) page.groups.push_back(std::move(g));
  }
  return page;
}

absl::StatusOr<int> Groups::RemoveMember(const std::string& pool,
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
    ASSIGN_OR_RETURN(VersionedSettings s,
                     LoadSettings(settings_, pool, deadline));
    loaded.settings = std::move(s.config);
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

}  // namespace peermatch::core
