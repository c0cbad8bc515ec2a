#include "service/core/matches.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "base/status_macros.h"
#include "matcher/batch_matching.h"
#include "matcher/scoring.h"
#include "matcher/time.h"
#include "service/common/logging.h"
#include "service/common/metrics.h"
#include "service/core/known_pool.h"
#include "service/core/pools.h"

namespace peermatch::core {
namespace {

constexpr int kCommitAttempts = 4;

int Lookup(const absl::flat_hash_map<std::string, int>& m,
           const std::string& id) {
  auto it = m.find(id);
  return it == m.end() ? 0 : it->second;
}

// Worth retrying after the snapshot catches up: the state the plan was
// based on changed under it.
bool Retryable(const absl::Status& s) {
  return absl::IsAborted(s) && !absl::StrContains(s.message(), "lease");
}

// One match's own write, applied to the replica's snapshot in place (no
// reload of the pool's match state; see PoolSnapshots::ApplyMatch).
void ApplyToSnapshot(snapshot::PoolSnapshots* snapshots,
                     const std::string& pool, const store::MatchRecord& m,
                     bool created) {
  snapshot::PoolSnapshots::MatchChange c;
  c.match_id = m.id;
  c.version = m.version;
  c.mentee = m.mentee;
  c.mentor = m.mentor;
  c.state = m.state;
  c.excluded = m.excluded;
  c.created = created;
  snapshots->ApplyMatch(pool, c);
}

void RecordQuality(const std::string& pool, const MatchingReport& report) {
  MetricsRegistry& m = MetricsRegistry::Default();
  m.GetGauge("peermatch_batch_blocking_pairs",
             "blocking pairs of the last batch run (must be 0)",
             {{"pool", pool}})
      ->Set(static_cast<double>(report.blocking_pairs));
  const int total = report.matched + report.unmatched;
  m.GetGauge("peermatch_batch_matched_fraction",
             "matched fraction of the mentees in the last batch run",
             {{"pool", pool}})
      ->Set(total == 0 ? 0 : double(report.matched) / total);
}

}  // namespace

absl::StatusOr<MatchingPlan> PlanMatching(snapshot::PoolSnapshots* snapshots,
                                          const std::string& pool,
                                          const MatchingOptions& options,
                                          absl::Time reference_time,
                                          absl::Time deadline,
                                          const ProgressFn& progress,
                                          matcher::ParallelFor parallel_for) {
  if (options.max_candidates < 0 || options.max_candidates > 1000) {
    return absl::InvalidArgumentError(
        "options.max_candidates: must be 0 (complete lists) to 1000");
  }
  auto report_progress = [&](const char* phase, double pct) {
    if (progress) progress(phase, pct);
  };
  report_progress("loading", 5);
  const matcher::ReferenceWeek week =
      matcher::ReferenceWeekContaining(reference_time);
  ASSIGN_OR_RETURN(snapshot::PoolSnapshots::PoolCopy copy,
                   snapshots->Copy(pool, week, deadline));
  const matcher::CompiledPool& p = *copy.pool;
  ASSIGN_OR_RETURN(matcher::Scorer scorer,
                   matcher::Scorer::Create(p, copy.settings));

  MatchingPlan plan;
  plan.incremental = options.incremental;
  matcher::BatchInput input;
  for (matcher::MemberIndex i : p.by_id()) {
    const matcher::MemberCore& c = p.core(i);
    const std::string& id = p.id(i);
    if (c.flags & matcher::kFlagMentee) {
      auto live = copy.live_mentees.find(id);
      const bool keeps_match =
          live != copy.live_mentees.end() && (live->second || plan.incremental);
      if (!keeps_match) input.mentees.push_back(i);
    }
    if (c.flags & matcher::kFlagMentor) {
      const int taken = plan.incremental ? Lookup(copy.live_loads, id)
                                         : Lookup(copy.active_loads, id);
      const int free = std::max(0, c.capacity - taken);
      if (free > 0) input.mentors.emplace_back(i, free);
    }
  }
  report_progress("matching", 20);
  matcher::BatchOptions batch_options;
  batch_options.proposing_side = options.proposing_side;
  batch_options.max_candidates = options.max_candidates;
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
  MatchingReport& r = plan.report;
  r.blocking_pairs = result.verification.blocking_pairs;
  r.matched = static_cast<int>(result.matches.size());
  r.unmatched = static_cast<int>(result.unmatched.size());
  for (const matcher::UnmatchedMentee& u : result.unmatched) {
    r.unmatched_mentees.push_back({p.id(u.mentee), u.reason});
  }
  r.mean_mentee_rank = result.stats.mean_mentee_rank;
  r.worst_mentee_rank = result.stats.worst_mentee_rank;
  r.mean_mentor_rank = result.stats.mean_mentor_rank;
  r.worst_mentor_rank = result.stats.worst_mentor_rank;
  for (const matcher::MentorFill& f : result.mentor_fill) {
    r.mentor_fill.push_back({p.id(f.mentor), f.capacity, f.assigned});
  }
  r.preference_list_entries = result.preference_list_entries;
  r.proposals_created = static_cast<int>(plan.proposals.size());
  return plan;
}

absl::StatusOr<std::pair<MatchingPlan, store::CommitResult>>
Matches::PlanAndCommit(const std::string& pool, const MatchingOptions& options,
                       absl::Time reference_time, const Call& call,
                       const std::string& job_id,
                       std::optional<int64_t> fencing_token,
                       const ProgressFn& progress,
                       const std::function<absl::Status()>& before_commit) {
  ASSIGN_OR_RETURN(VersionedSettings settings,
                   LoadSettings(settings_, pool, call.deadline));
  const store::ServiceSettings& service = settings.config.service;
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(MatchingPlan plan,
                     PlanMatching(snapshots_, pool, options, reference_time,
                                  call.deadline, progress));
    if (progress) progress("committing", 90);
    store::CommitSpec spec;
    spec.discard_previous = !options.incremental;
    spec.auto_publish = service.auto_publish;
    spec.proposal_ttl = absl::Seconds(service.proposal_ttl_seconds);
    spec.actor = call.actor;
    spec.job_id = job_id;
    spec.fencing_token = fencing_token;
    spec.refuse_if_leased = !fencing_token.has_value();
    spec.mentors = plan.mentors;
    spec.proposals = plan.proposals;
    if (before_commit) RETURN_IF_ERROR(before_commit());
    absl::StatusOr<store::CommitResult> committed =
        matches_->CommitProposals(pool, spec, call.deadline);
    snapshots_->InvalidateMatches(pool);
    if (committed.ok()) {
      plan.report.proposals_created =
          static_cast<int>(committed->created.size());
      plan.report.proposals_discarded = committed->discarded;
      RecordQuality(pool, plan.report);
      return std::make_pair(std::move(plan), *std::move(committed));
    }
    // A member or match changed between the snapshot and the commit: let
    // the snapshot catch up and plan again.
    if ((!Retryable(committed.status()) &&
         !absl::IsFailedPrecondition(committed.status())) ||
        attempt >= kCommitAttempts ||
        absl::Now() + absl::Seconds(1) > call.deadline) {
      return committed.status();
    }
    LOG_INFO("batch commit raced a change; planning again",
             {{"pool", pool}, {"attempt", attempt}});
    absl::SleepFor(absl::Milliseconds(250));
  }
}

absl::StatusOr<MatchingRun> Matches::RunMatching(const std::string& pool,
                                                 const MatchingOptions& options,
                                                 absl::Time reference_time,
                                                 const Call& call) {
  size_t members = 0;
  RETURN_IF_ERROR(snapshots_->Read(pool, call.deadline,
                                   [&](const snapshot::PoolView& view) {
                                     members = view.pool().size();
                                     return absl::OkStatus();
                                   }));
  if (static_cast<int64_t>(members) > options_.sync_max_members) {
    return absl::FailedPreconditionError(absl::StrCat(
        "pool has ", members, " members, more than a synchronous run takes (",
        options_.sync_max_members,
        "); use StartJob with JOB_KIND_MENTOR_MATCHING"));
  }
  ASSIGN_OR_RETURN(auto result, PlanAndCommit(pool, options, reference_time,
                                              call, "", std::nullopt, {}));
  const MatchingPlan& plan = result.first;
  const store::CommitResult& commit = result.second;
  const absl::flat_hash_set<std::string> created(commit.created.begin(),
                                                 commit.created.end());
  MatchingRun run;
  for (size_t i = 0; i < plan.proposals.size() && i < commit.ids.size(); ++i) {
    // With the pool's auto_publish, new matches are stored ACTIVE.
    run.proposed.push_back(
        {commit.ids[i], plan.proposals[i],
         commit.auto_published && created.contains(commit.ids[i])
             ? store::MatchState::kActive
             : store::MatchState::kProposed});
  }
  run.report = plan.report;
  return run;
}

absl::StatusOr<int> Matches::Publish(const std::string& pool,
                                     const std::vector<std::string>& ids,
                                     const Call& call) {
  RETURN_IF_ERROR(RequireKnownPool(members_, pool, call.deadline));
  absl::StatusOr<int> n =
      matches_->Publish(pool, ids, call.actor, call.deadline);
  if (n.ok()) snapshots_->InvalidateMatches(pool);
  return n;
}

absl::StatusOr<int> Matches::Discard(const std::string& pool,
                                     const std::vector<std::string>& ids,
                                     const Call& call) {
  RETURN_IF_ERROR(RequireKnownPool(members_, pool, call.deadline));
  absl::StatusOr<int> n =
      matches_->Discard(pool, ids, call.actor, call.deadline);
  if (n.ok()) snapshots_->InvalidateMatches(pool);
  return n;
}

absl::StatusOr<store::MatchRecord> Matches::CreateManual(
    const std::string& pool, const std::string& mentee,
    const std::string& mentor, bool override, const std::string& reason,
    const Call& call) {
  for (int attempt = 1;; ++attempt) {
    store::Proposal pair{mentee, mentor, 0, 0};
    store::MentorCapacity capacity{mentor, 0, 0};
    RETURN_IF_ERROR(snapshots_->Read(
        pool, call.deadline,
        [&](const snapshot::PoolView& view) -> absl::Status {
          const matcher::CompiledPool& p = view.pool();
          auto e = p.Find(mentee);
          auto m = p.Find(mentor);
          if (!e) return absl::NotFoundError("mentee not found");
          if (!m) return absl::NotFoundError("mentor not found");
          matcher::PairExplanation ex = view.scorer().Explain(*e, *m);
          if (!ex.acceptable && !override) {
            std::vector<std::string> names;
            for (matcher::Constraint c : ex.failed_constraints) {
              names.push_back(matcher::ConstraintName(c));
            }
            return absl::FailedPreconditionError(absl::StrCat(
                "hard constraints fail: ", absl::StrJoin(names, ", "),
                " (set override, with a reason, to match anyway)"));
          }
          pair.mentee_micros = ex.mentee_view.score_micros;
          pair.mentor_micros = ex.mentor_view.score_micros;
          capacity.version = view.member_version(*m);
          capacity.capacity = p.core(*m).capacity;
          return absl::OkStatus();
        }));
    absl::StatusOr<store::MatchRecord> made = matches_->CreateManual(
        pool, pair, capacity, override, reason, call.actor, call.deadline);
    if (made.ok()) {
      ApplyToSnapshot(snapshots_, pool, *made, /*created=*/true);
      if (override) {
        LOG_INFO("manual match with override",
                 {{"pool", pool}, {"match", made->id}, {"actor", call.actor}});
      }
      return made;
    }
    if (!Retryable(made.status()) || attempt >= kCommitAttempts) {
      return made.status();
    }
    absl::SleepFor(absl::Milliseconds(150));
  }
}

absl::StatusOr<store::MatchRecord> Matches::Respond(const std::string& pool,
                                                    const std::string& match_id,
                                                    const std::string& member,
                                                    bool accept,
                                                    const std::string& reason,
                                                    const Call& call) {
  store::TransitionSpec spec;
  spec.op = accept ? "accept" : "decline";
  spec.member = member;
  spec.reason = reason;
  spec.actor = call.actor;
  ASSIGN_OR_RETURN(store::MatchRecord m,
                   matches_->Transition(pool, match_id, spec, call.deadline));
  ApplyToSnapshot(snapshots_, pool, m, /*created=*/false);
  return m;
}

absl::StatusOr<store::MatchRecord> Matches::End(const std::string& pool,
                                                const std::string& match_id,
                                                const std::string& reason,
                                                bool exclude,
                                                const Call& call) {
  store::TransitionSpec spec;
  spec.op = "end";
  spec.reason = reason;
  spec.exclude = exclude;
  spec.actor = call.actor;
  ASSIGN_OR_RETURN(store::MatchRecord m,
                   matches_->Transition(pool, match_id, spec, call.deadline));
  ApplyToSnapshot(snapshots_, pool, m, /*created=*/false);
  return m;
}

absl::StatusOr<store::MatchRecord> Matches::Get(const std::string& pool,
                                                const std::string& match_id,
                                                absl::Time deadline) {
  return matches_->Get(pool, match_id, deadline);
}

absl::StatusOr<store::MatchPage> Matches::List(
    const std::string& pool, const std::string& member,
    const std::vector<store::MatchState>& states, int page_size, int64_t offset,
    absl::Time deadline) {
  RETURN_IF_ERROR(RequireKnownPool(members_, pool, deadline));
  return matches_->List(pool, member, states, page_size, offset, deadline);
}

absl::StatusOr<int> Matches::ExpireDue(absl::Time deadline) {
  ASSIGN_OR_RETURN(std::vector<std::string> pools,
                   members_->ListPools(deadline));
  int total = 0;
  for (const std::string& pool : pools) {
    absl::StatusOr<int> n = matches_->ExpireDue(pool, 1000, deadline);
    if (n.ok() && *n > 0) {
      snapshots_->InvalidateMatches(pool);
      LOG_INFO("proposals expired", {{"pool", pool}, {"count", *n}});
      total += *n;
    }
  }
  return total;
}

ExpirySweeper::ExpirySweeper(Matches* matches, absl::Duration interval)
    : matches_(matches), interval_(interval) {
  thread_ = std::thread([this] { Loop(); });
}

ExpirySweeper::~ExpirySweeper() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void ExpirySweeper::Loop() {
  while (!stop_.WaitForNotificationWithTimeout(interval_)) {
    // Redis down: the health check reports it; try again next round.
    (void)matches_->ExpireDue(absl::Now() + absl::Seconds(10));
  }
}

}  // namespace peermatch::core
