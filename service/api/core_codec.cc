#include "service/api/core_codec.h"

#include <map>
#include <utility>

#include "absl/strings/str_cat.h"
#include "service/api/conversions.h"

namespace peermatch::api {
namespace {

v1::UnmatchedReason UnmatchedToProto(matcher::UnmatchedReason r) {
  switch (r) {
    case matcher::UnmatchedReason::kSafetyHold:
      return v1::UNMATCHED_REASON_SAFETY_HOLD;
    case matcher::UnmatchedReason::kNotScreened:
      return v1::UNMATCHED_REASON_NOT_SCREENED;
    case matcher::UnmatchedReason::kNoAcceptableMentor:
      return v1::UNMATCHED_REASON_NO_ACCEPTABLE_MENTOR;
    case matcher::UnmatchedReason::kOutcompeted:
      return v1::UNMATCHED_REASON_OUTCOMPETED;
  }
  return v1::UNMATCHED_REASON_UNSPECIFIED;
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

v1::WeeklySlot SlotToProto(const store::WeeklySlot& s) {
  v1::WeeklySlot out;
  out.set_day(static_cast<v1::DayOfWeek>(s.day));
  out.set_start_minute(s.start_minute);
  out.set_end_minute(s.end_minute);
  return out;
}

}  // namespace

core::MatchingOptions MatchingOptionsFromProto(const v1::MatchingOptions& o) {
  core::MatchingOptions out;
  out.proposing_side = o.proposing_side() == v1::PROPOSING_SIDE_MENTOR
                           ? matcher::ProposingSide::kMentor
                           : matcher::ProposingSide::kMentee;
  out.max_candidates = o.max_candidates();
  out.incremental = o.incremental();
  return out;
}

v1::MatchingReport MatchingReportToProto(const core::MatchingReport& r) {
  v1::MatchingReport out;
  out.set_blocking_pairs(r.blocking_pairs);
  out.set_matched(r.matched);
  out.set_unmatched(r.unmatched);
  for (const core::UnmatchedMentee& u : r.unmatched_mentees) {
    v1::UnmatchedMentee* m = out.add_unmatched_mentees();
    m->set_id(u.id);
    m->set_reason(UnmatchedToProto(u.reason));
  }
  out.set_mean_mentee_rank(r.mean_mentee_rank);
  out.set_worst_mentee_rank(r.worst_mentee_rank);
  out.set_mean_mentor_rank(r.mean_mentor_rank);
  out.set_worst_mentor_rank(r.worst_mentor_rank);
  for (const core::MentorFill& f : r.mentor_fill) {
    v1::MentorFill* m = out.add_mentor_fill();
    m->set_mentor_id(f.mentor_id);
    m->set_capacity(f.capacity);
    m->set_assigned(f.assigned);
  }
  out.set_proposals_discarded(r.proposals_discarded);
  out.set_proposals_created(r.proposals_created);
  out.set_preference_list_entries(r.preference_list_entries);
  return out;
}

v1::Match MatchToProto(const store::MatchRecord& m, absl::string_view pool) {
  v1::Match out;
  out.set_id(m.id);
  out.set_pool(std::string(pool));
  out.set_mentee_id(m.mentee);
  out.set_mentor_id(m.mentor);
  out.set_state(static_cast<v1::MatchState>(m.state));
  out.set_mentee_score(m.mentee_micros / 1e6);
  out.set_mentor_score(m.mentor_micros / 1e6);
  out.set_origin(m.origin);
  out.set_job_id(m.job_id);
  out.set_override(m.override);
  out.set_end_reason(m.end_reason);
  out.set_override_reason(m.override_reason);
  out.set_excluded(m.excluded);
  out.set_version(m.version);
  SetTimestamp(m.create_time, out.mutable_create_time());
  SetTimestamp(m.update_time, out.mutable_update_time());
  if (m.expire_time) SetTimestamp(*m.expire_time, out.mutable_expire_time());
  return out;
}

core::GroupingOptions GroupingOptionsFromProto(const v1::GroupingOptions& o) {
  core::GroupingOptions out;
  out.full = o.full();
  out.time_budget_ms = o.time_budget_ms();
  return out;
}

v1::GroupingReport GroupingReportToProto(const core::GroupingReport& r) {
  v1::GroupingReport out;
  out.set_groups(r.groups);
  out.set_placed(r.placed);
  out.set_unplaced(static_cast<int32_t>(r.unplaced.size()));
  for (const matcher::UnplacedMember& u : r.unplaced) {
    v1::UnplacedMember* m = out.add_unplaced_members();
    m->set_id(u.id);
    m->set_reason(UnplacedToProto(u.reason));
  }
  out.set_total_fit(r.total_fit);
  out.set_upper_bound(r.upper_bound);
  out.set_size_deviation(r.size_deviation);
  for (const core::ChurnEntry& c : r.churn) {
    v1::ChurnEntry* m = out.add_churn();
    m->set_member_id(c.member_id);
    m->set_from_group_id(c.from_group_id);
    m->set_to_group_id(c.to_group_id);
    m->set_reason(c.reason);
  }
  out.set_groups_kept(r.groups_kept);
  out.set_groups_dissolved(r.groups_dissolved);
  out.set_search_cut_by_time(r.search_cut_by_time);
  return out;
}

v1::Group GroupToProto(const store::GroupRecord& r, const std::string& pool) {
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

v1::PoolStats PoolStatsToProto(const core::PoolStats& s) {
  v1::PoolStats st;
  st.set_members(s.members);
  static constexpr const char* kRoleNames[] = {"", "ROLE_MENTEE", "ROLE_MENTOR",
                                               "ROLE_GROUP_MEMBER",
                                               "ROLE_FACILITATOR"};
  std::map<std::string, int64_t> by_role;  // by name, as before
  for (int r = 1; r <= 4; ++r) {
    if (s.by_role[r] > 0) by_role[kRoleNames[r]] = s.by_role[r];
  }
  for (const auto& [name, count] : by_role) {
    v1::CountByKey* kv = st.add_by_role();
    kv->set_key(name);
    kv->set_count(count);
  }
  for (int stage = 1; stage <= 5; ++stage) {
    v1::CountByKey* kv = st.add_by_stage();
    kv->set_key(absl::StrCat(stage));
    kv->set_count(s.by_stage[stage]);
  }
  st.set_safety_hold(s.safety_hold);
  st.set_mentees_eligible(s.mentees_eligible);
  st.set_mentees_matched(s.mentees_matched);
  st.set_matched_fraction(s.matched_fraction);
  st.set_mentor_capacity(s.mentor_capacity);
  st.set_mentor_load(s.mentor_load);
  st.set_mentor_utilisation(s.mentor_utilisation);
  for (const auto& [state, count] :
       {std::pair<const char*, int64_t>{"MATCH_STATE_PROPOSED",
                                        s.matches.proposed},
        {"MATCH_STATE_ACTIVE", s.matches.active}}) {
    v1::CountByKey* kv = st.add_matches_by_state();
    kv->set_key(state);
    kv->set_count(count);
  }
  st.set_groups_active(s.groups_active);
  st.set_groups_proposed(s.groups_proposed);
  st.set_group_members_placed(s.group_members_placed);
  st.set_group_members_unplaced(s.group_members_unplaced);
  st.set_snapshot_version(s.snapshot_version);
  return st;
}

}  // namespace peermatch::api
