#include "service/api/match_logic.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "matcher/scoring.h"
#include "peermatch/v1/match.pb.h"
#include "service/api/conversions.h"
#include "service/api/member_codec.h"
#include "service/api/pool_check.h"
#include "service/api/settings_codec.h"
#include "service/api/validation.h"
#include "service/common/logging.h"
#include "service/common/metrics.h"
#include "base/status_macros.h"

namespace peermatch::api {
namespace {

constexpr int kMaxReason = 256;
constexpr int kMaxIds = 10000;
constexpr int kCommitAttempts = 4;

void CheckTimestamp(const google::protobuf::Timestamp& t, bool has,
                    const std::string& field, FieldErrors* errors) {
  if (has && !IsValidTimestamp(t)) {
    errors->Add(field, "must be a valid timestamp");
  }
}

void CheckReason(const std::string& reason, bool required,
                 const std::string& field, FieldErrors* errors) {
  if (reason.size() > static_cast<size_t>(kMaxReason)) {
    errors->Add(field, absl::StrCat("at most ", kMaxReason, " bytes"));
  } else if (required && reason.empty()) {
    errors->Add(field, "is required");
  }
}

void CheckMatchIds(const google::protobuf::RepeatedPtrField<std::string>& ids,
                   FieldErrors* errors) {
  if (ids.size() > kMaxIds) {
    errors->Add("match_ids", absl::StrCat("at most ", kMaxIds));
    return;
  }
  for (int i = 0; i < ids.size(); ++i) {
    if (ids[i].empty() || ids[i].size() > 32) {
      errors->Add(absl::StrCat("match_ids[", i, "]"), "is not a match id");
    }
  }
}

// The pool's service settings (TTL, auto-publish), defaults when unset.
absl::StatusOr<ServiceSettings> LoadServiceSettings(
    store::SettingsRepository* repo, const std::string& pool,
    absl::Time deadline) {
  ASSIGN_OR_RETURN(std::optional<store::SettingsRecord> rec,
                   repo->Get(pool, deadline));
  if (!rec.has_value()) return ServiceSettings{};
  return rec->config.service;
}

// Worth retrying after the snapshot catches up: the state the plan was
// based on changed under it.
bool Retryable(const absl::Status& s) {
  return absl::IsAborted(s) && !absl::StrContains(s.message(), "lease");
}

}  // namespace

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

absl::StatusOr<std::pair<MatchingPlan, store::CommitResult>>
MatchLogic::PlanAndCommit(const std::string& pool,
                          const v1::MatchingOptions& options,
                          absl::Time reference_time, const std::string& actor,
                          const std::string& job_id,
                          std::optional<int64_t> fencing_token,
                          absl::Time deadline, const ProgressFn& progress,
                          const std::function<absl::Status()>& before_commit) {
  ASSIGN_OR_RETURN(ServiceSettings service,
                   LoadServiceSettings(settings_, pool, deadline));
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(MatchingPlan plan,
                     PlanMatching(snapshots_, pool, options, reference_time,
                                  deadline, progress));
    if (progress) progress("committing", 90);
    store::CommitSpec spec;
    spec.discard_previous = !options.incremental();
    spec.auto_publish = service.auto_publish;
    spec.proposal_ttl = absl::Seconds(service.proposal_ttl_seconds);
    spec.actor = actor;
    spec.job_id = job_id;
    spec.fencing_token = fencing_token;
    spec.refuse_if_leased = !fencing_token.has_value();
    spec.mentors = plan.mentors;
    spec.proposals.reserve(plan.proposals.size());
    for (const PlannedMatch& p : plan.proposals) {
      spec.proposals.push_back(
          {p.mentee, p.mentor, p.mentee_micros, p.mentor_micros});
    }
    if (before_commit) RETURN_IF_ERROR(before_commit());
    absl::StatusOr<store::CommitResult> committed =
        matches_->CommitProposals(pool, spec, deadline);
    snapshots_->InvalidateMatches(pool);
    if (committed.ok()) {
      plan.report.set_proposals_created(
          static_cast<int32_t>(committed->created.size()));
      plan.report.set_proposals_discarded(committed->discarded);
      MetricsRegistry& m = MetricsRegistry::Default();
      m.GetGauge("peermatch_batch_blocking_pairs",
                 "blocking pairs of the last batch run (must be 0)",
                 {{"pool", pool}})
          ->Set(static_cast<double>(plan.report.blocking_pairs()));
      int total = plan.report.matched() + plan.report.unmatched();
      m.GetGauge("peermatch_batch_matched_fraction",
                 "matched fraction of the mentees in the last batch run",
                 {{"pool", pool}})
          ->Set(total == 0 ? 0 : double(plan.report.matched()) / total);
      return std::make_pair(std::move(plan), *std::move(committed));
    }
    // A member or match changed between the snapshot and the commit: let
    // the snapshot catch up and plan again.
    if ((!Retryable(committed.status()) &&
         !absl::IsFailedPrecondition(committed.status())) ||
        attempt >= kCommitAttempts ||
        absl::Now() + absl::Seconds(1) > deadline) {
      return committed.status();
    }
    LOG_INFO("batch commit raced a change; planning again",
             {{"pool", pool}, {"attempt", attempt}});
    absl::SleepFor(absl::Milliseconds(250));
  }
}

absl::Status MatchLogic::RunMatching(const v1::RunMatchingRequest& req,
                                     const CallInfo& call,
                                     v1::RunMatchingResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  const v1::MatchingOptions& o = req.options();
  if (o.max_candidates() < 0 || o.max_candidates() > 1000) {
    errors.Add("options.max_candidates", "must be 0 (complete lists) to 1000");
  }
  if (!v1::ProposingSide_IsValid(o.proposing_side())) {
    errors.Add("options.proposing_side", "is not a known side");
  }
  CheckTimestamp(o.reference_time(), o.has_reference_time(),
                 "options.reference_time", &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  size_t members = 0;
  RETURN_IF_ERROR(snapshots_->Read(req.pool(), call.deadline,
                                   [&](const snapshot::PoolView& view) {
                                     members = view.pool().size();
                                     return absl::OkStatus();
                                   }));
  if (static_cast<int64_t>(members) > sync_max_members_) {
    return absl::FailedPreconditionError(absl::StrCat(
        "pool has ", members, " members, more than a synchronous run takes (",
        sync_max_members_, "); use StartJob with JOB_KIND_MENTOR_MATCHING"));
  }
  absl::Time ref =
      o.has_reference_time() ? FromTimestamp(o.reference_time()) : absl::Now();
  ASSIGN_OR_RETURN(auto result,
                   PlanAndCommit(req.pool(), o, ref, call.actor, "",
                                 std::nullopt, call.deadline, {}));
  const MatchingPlan& plan = result.first;
  const store::CommitResult& commit = result.second;
  const absl::flat_hash_set<std::string> created(commit.created.begin(),
                                                 commit.created.end());
  for (size_t i = 0; i < plan.proposals.size() && i < commit.ids.size(); ++i) {
    const PlannedMatch& p = plan.proposals[i];
    v1::Match* m = resp->add_proposed();
    m->set_id(commit.ids[i]);
    m->set_pool(req.pool());
    m->set_mentee_id(p.mentee);
    m->set_mentor_id(p.mentor);
    // With the pool's auto_publish, new matches are stored ACTIVE.
    m->set_state(commit.auto_published && created.contains(commit.ids[i])
                     ? v1::MATCH_STATE_ACTIVE
                     : v1::MATCH_STATE_PROPOSED);
    m->set_mentee_score(p.mentee_micros / 1e6);
    m->set_mentor_score(p.mentor_micros / 1e6);
    m->set_origin("batch");
  }
  *resp->mutable_report() = plan.report;
  return absl::OkStatus();
}

absl::Status MatchLogic::Publish(const v1::PublishMatchesRequest& req,
                                 const CallInfo& call,
                                 v1::PublishMatchesResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckMatchIds(req.match_ids(), &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  RETURN_IF_ERROR(RequireKnownPool(pools_, req.pool(), call.deadline));
  std::vector<std::string> ids(req.match_ids().begin(), req.match_ids().end());
  ASSIGN_OR_RETURN(
      int n, matches_->Publish(req.pool(), ids, call.actor, call.deadline));
  snapshots_->InvalidateMatches(req.pool());
  resp->set_published(n);
  return absl::OkStatus();
}

absl::Status MatchLogic::Discard(const v1::DiscardProposalsRequest& req,
                                 const CallInfo& call,
                                 v1::DiscardProposalsResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckMatchIds(req.match_ids(), &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  RETURN_IF_ERROR(RequireKnownPool(pools_, req.pool(), call.deadline));
  std::vector<std::string> ids(req.match_ids().begin(), req.match_ids().end());
  ASSIGN_OR_RETURN(
      int n, matches_->Discard(req.pool(), ids, call.actor, call.deadline));
  snapshots_->InvalidateMatches(req.pool());
  resp->set_discarded(n);
  return absl::OkStatus();
}

absl::Status MatchLogic::CreateManual(const v1::CreateManualMatchRequest& req,
                                      const CallInfo& call,
                                      v1::CreateManualMatchResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckMemberId(req.mentee_id(), "mentee_id", &errors);
  CheckMemberId(req.mentor_id(), "mentor_id", &errors);
  CheckReason(req.reason(), req.override(), "reason", &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  for (int attempt = 1;; ++attempt) {
    store::Proposal pair{req.mentee_id(), req.mentor_id(), 0, 0};
    store::MentorCapacity mentor{req.mentor_id(), 0, 0};
    RETURN_IF_ERROR(snapshots_->Read(
        req.pool(), call.deadline,
        [&](const snapshot::PoolView& view) -> absl::Status {
          const matcher::CompiledPool& p = view.pool();
          auto e = p.Find(req.mentee_id());
          auto m = p.Find(req.mentor_id());
          if (!e) return absl::NotFoundError("mentee not found");
          if (!m) return absl::NotFoundError("mentor not found");
          matcher::PairExplanation ex = view.scorer().Explain(*e, *m);
          if (!ex.acceptable && !req.override()) {
            std::vector<std::string> names;
            for (matcher::Constraint c : ex.failed_constraints) {
              names.push_back(
                  v1::Constraint_Name(static_cast<v1::Constraint>(c)));
            }
            return absl::FailedPreconditionError(absl::StrCat(
                "hard constraints fail: ", absl::StrJoin(names, ", "),
                " (set override, with a reason, to match anyway)"));
          }
          pair.mentee_micros = ex.mentee_view.score_micros;
          pair.mentor_micros = ex.mentor_view.score_micros;
          mentor.version = view.member_version(*m);
          mentor.capacity = p.core(*m).capacity;
          return absl::OkStatus();
        }));
    absl::StatusOr<store::MatchRecord> made =
        matches_->CreateManual(req.pool(), pair, mentor, req.override(),
                               req.reason(), call.actor, call.deadline);
    if (made.ok()) {
      snapshots_->InvalidateMatches(req.pool());
      if (req.override()) {
        LOG_INFO(
            "manual match with override",
            {{"pool", req.pool()}, {"match", made->id}, {"actor", call.actor}});
      }
      *resp->mutable_match() = MatchToProto(*made, req.pool());
      return absl::OkStatus();
    }
    if (!Retryable(made.status()) || attempt >= kCommitAttempts) {
      return made.status();
    }
    absl::SleepFor(absl::Milliseconds(150));
  }
}

absl::Status MatchLogic::Respond(const v1::RespondToMatchRequest& req,
                                 const CallInfo& call,
                                 v1::RespondToMatchResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  CheckMemberId(req.member_id(), "member_id", &errors);
  if (req.match_id().empty()) errors.Add("match_id", "is required");
  CheckReason(req.reason(), false, "reason", &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  store::TransitionSpec spec;
  spec.op = req.accept() ? "accept" : "decline";
  spec.member = req.member_id();
  spec.reason = req.reason();
  spec.actor = call.actor;
  ASSIGN_OR_RETURN(
      store::MatchRecord m,
      matches_->Transition(req.pool(), req.match_id(), spec, call.deadline));
  snapshots_->InvalidateMatches(req.pool());
  *resp->mutable_match() = MatchToProto(m, req.pool());
  return absl::OkStatus();
}

absl::Status MatchLogic::End(const v1::EndMatchRequest& req,
                             const CallInfo& call, v1::EndMatchResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  if (req.match_id().empty()) errors.Add("match_id", "is required");
  CheckReason(req.reason(), true, "reason", &errors);
  RETURN_IF_ERROR(errors.ToStatus());
  store::TransitionSpec spec;
  spec.op = "end";
  spec.reason = req.reason();
  spec.exclude = req.exclude();
  spec.actor = call.actor;
  ASSIGN_OR_RETURN(
      store::MatchRecord m,
      matches_->Transition(req.pool(), req.match_id(), spec, call.deadline));
  snapshots_->InvalidateMatches(req.pool());
  *resp->mutable_match() = MatchToProto(m, req.pool());
  return absl::OkStatus();
}

absl::Status MatchLogic::Get(const v1::GetMatchRequest& req,
                             const CallInfo& call, v1::GetMatchResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  if (req.match_id().empty()) errors.Add("match_id", "is required");
  RETURN_IF_ERROR(errors.ToStatus());
  ASSIGN_OR_RETURN(store::MatchRecord m,
                   matches_->Get(req.pool(), req.match_id(), call.deadline));
  *resp->mutable_match() = MatchToProto(m, req.pool());
  return absl::OkStatus();
}

absl::Status MatchLogic::List(const v1::ListMatchesRequest& req,
                              const CallInfo& call,
                              v1::ListMatchesResponse* resp) {
  FieldErrors errors;
  CheckPoolId(req.pool(), "pool", &errors);
  if (!req.member_id().empty())
    CheckMemberId(req.member_id(), "member_id", &errors);
  CheckPageSize(req.page_size(), "page_size", &errors);
  std::vector<store::MatchState> states;
  for (int i = 0; i < req.states_size(); ++i) {
    int s = req.states(i);
    if (s < v1::MATCH_STATE_PROPOSED || s > v1::MATCH_STATE_EXPIRED) {
      errors.Add(absl::StrCat("states[", i, "]"), "is not a match state");
    } else {
      states.push_back(static_cast<store::MatchState>(s));
    }
  }
  int64_t offset = 0;
  if (!DecodeOffsetToken(req.pool(), req.page_token(), &offset)) {
    errors.Add("page_token",
               "is not a token from a previous response for this pool");
  }
  RETURN_IF_ERROR(errors.ToStatus());
  RETURN_IF_ERROR(RequireKnownPool(pools_, req.pool(), call.deadline));
  int size = req.page_size() == 0 ? kDefaultPageSize : req.page_size();
  ASSIGN_OR_RETURN(store::MatchPage page,
                   matches_->List(req.pool(), req.member_id(), states, size,
                                  offset, call.deadline));
  for (const store::MatchRecord& m : page.matches) {
    *resp->add_matches() = MatchToProto(m, req.pool());
  }
  if (page.next_offset > 0) {
    resp->set_next_page_token(EncodeOffsetToken(req.pool(), page.next_offset));
  }
  return absl::OkStatus();
}

ExpirySweeper::ExpirySweeper(store::MatchRepository* matches,
                             store::PoolRegistry* registry,
                             snapshot::PoolSnapshots* snapshots,
                             absl::Duration interval)
    : matches_(matches),
      registry_(registry),
      snapshots_(snapshots),
      interval_(interval) {
  thread_ = std::thread([this] { Loop(); });
}

ExpirySweeper::~ExpirySweeper() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void ExpirySweeper::Loop() {
  while (!stop_.WaitForNotificationWithTimeout(interval_)) {
    absl::Time deadline = absl::Now() + absl::Seconds(10);
    absl::StatusOr<std::vector<std::string>> pools = registry_->List(deadline);
    if (!pools.ok()) continue;  // Redis down: the health check reports it
    for (const std::string& pool : *pools) {
      absl::StatusOr<int> n = matches_->ExpireDue(pool, 1000, deadline);
      if (n.ok() && *n > 0) {
        snapshots_->InvalidateMatches(pool);
        LOG_INFO("proposals expired", {{"pool", pool}, {"count", *n}});
      }
    }
  }
}

}  // namespace peermatch::api
