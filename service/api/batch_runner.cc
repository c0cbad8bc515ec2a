#include "service/api/batch_runner.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "matcher/batch_matching.h"
#include "matcher/scoring.h"
#include "matcher/time.h"
#include "base/status_macros.h"

namespace peermatch::api {
namespace {

v1::UnmatchedReason ReasonToProto(matcher::UnmatchedReason r) {
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

int Lookup(const absl::flat_hash_map<std::string, int>& m,
           const std::string& id) {
  auto it = m.find(id);
  return it == m.end() ? 0 : it->second;
}

}  // namespace

absl::StatusOr<MatchingPlan> PlanMatching(snapshot::PoolSnapshots* snapshots,
                                          const std::string& pool,
                                          const v1::MatchingOptions& options,
                                          absl::Time reference_time,
                                          absl::Time deadline,
                                          const ProgressFn& progress,
                                          matcher::ParallelFor parallel_for) {
  if (options.max_candidates() < 0 || options.max_candidates() > 1000) {
    return absl::InvalidArgumentError(
        "options.max_candidates: must be 0 (complete lists) to 1000");
  }
  auto report_progress = [&](const char* phase, double pct) {
    if (progress) progress(phase, pct);
  };
  report_progress("loading", 5);
  matcher::ReferenceWeek week =
      matcher::ReferenceWeekContaining(reference_time);
  ASSIGN_OR_RETURN(snapshot::PoolSnapshots::PoolCopy copy,
                   snapshots->Copy(pool, week, deadline));
  const matcher::CompiledPool& p = *copy.pool;
  ASSIGN_OR_RETURN(matcher::Scorer scorer,
                   matcher::Scorer::Create(p, copy.settings));

  MatchingPlan plan;
  plan.incremental = options.incremental();
  matcher::BatchInput input;
  for (matcher::MemberIndex i : p.by_id()) {
    const matcher::MemberCore& c = p.core(i);
    const std::string& id = p.id(i);
    if (c.flags & matcher::kFlagMentee) {
      auto live = copy.live_mentees.find(id);
      bool keeps_match =
          live != copy.live_mentees.end() && (live->second || plan.incremental);
      if (!keeps_match) input.mentees.push_back(i);
    }
    if (c.flags & matcher::kFlagMentor) {
      int taken = plan.incremental ? Lookup(copy.live_loads, id)
                                   : Lookup(copy.active_loads, id);
      int free = std::max(0, c.capacity - taken);
      if (free > 0) input.mentors.emplace_back(i, free);
    }
  }
  report_progress("matching", 20);
  matcher::BatchOptions batch_options;
  batch_options.proposing_side =
      options.proposing_side() == v1::PROPOSING_SIDE_MENTOR
          ? matcher::ProposingSide::kMentor
          : matcher::ProposingSide::kMentee;
  batch_options.max_candidates = options.max_candidates();
  batch_options.parallel_for = std::move(parallel_for);
  ASSIGN_OR_RETURN(matcher::BatchResult result,
                   matcher::RunBatchMatching(scorer, input, batch_options));
  report_progress("matching", 80);

  if (result.verification.blocking_pairs != 0 ||
      result.verification.capacity_violations != 0 ||
      result.verification.unacceptable_pairs != 0) {
    return absl::InternalError(absl::StrCat(
        "batch matching failed its verification: ",
        result.verification.blocking_pairs, " blocking pairs, ",
        result.verification.capacity_violations, " capacity violations"));
  }
  plan.proposals.reserve(result.matches.size());
  absl::flat_hash_set<matcher::MemberIndex> mentors;
  for (const matcher::MatchedPair& m : result.matches) {
    plan.proposals.push_back(
        {p.id(m.mentee), p.id(m.mentor), m.mentee_micros, m.mentor_micros});
    if (mentors.insert(m.mentor).second) {
      auto v = copy.versions.find(p.id(m.mentor));
      plan.mentors.push_back({p.id(m.mentor),
                              v == copy.versions.end() ? 0 : v->second,
                              p.core(m.mentor).capacity});
    }
  }
  v1::MatchingReport& r = plan.report;
  r.set_blocking_pairs(result.verification.blocking_pairs);
  r.set_matched(static_cast<int32_t>(result.matches.size()));
  r.set_unmatched(static_cast<int32_t>(result.unmatched.size()));
  for (const matcher::UnmatchedMentee& u : result.unmatched) {
    v1::UnmatchedMentee* out = r.add_unmatched_mentees();
    out->set_id(p.id(u.mentee));
    out->set_reason(ReasonToProto(u.reason));
  }
  r.set_mean_mentee_rank(result.stats.mean_mentee_rank);
  r.set_worst_mentee_rank(result.stats.worst_mentee_rank);
  r.set_mean_mentor_rank(result.stats.mean_mentor_rank);
  r.set_worst_mentor_rank(result.stats.worst_mentor_rank);
  for (const matcher::MentorFill& f : result.mentor_fill) {
    v1::MentorFill* out = r.add_mentor_fill();
    out->set_mentor_id(p.id(f.mentor));
    out->set_capacity(f.capacity);
    out->set_assigned(f.assigned);
  }
  r.set_preference_list_entries(result.preference_list_entries);
  r.set_proposals_created(static_cast<int32_t>(plan.proposals.size()));
  return plan;
}

}  // namespace peermatch::api
