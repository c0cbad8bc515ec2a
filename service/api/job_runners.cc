#include "service/api/job_runners.h"

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "peermatch/v1/coordination_service.pb.h"
#include "service/api/core_codec.h"

namespace peermatch::api {

absl::StatusOr<std::string> BatchJobRunner::Run(jobs::JobContext& ctx) {
  v1::StartJobRequest options;
  if (!ctx.options().empty() && !options.ParseFromString(ctx.options())) {
    return absl::InvalidArgumentError("job options do not parse");
  }
  const bool matching =
      kind_ == v1::JOB_KIND_MENTOR_MATCHING || kind_ == v1::JOB_KIND_BOTH;
  const bool grouping =
      kind_ == v1::JOB_KIND_GROUPS || kind_ == v1::JOB_KIND_BOTH;
  // For BOTH, matching takes the first half of the progress bar.
  auto progress = [&ctx](double from, double to) {
    return [&ctx, from, to](const std::string& phase, double pct) {
      (void)ctx.ReportProgress(phase, from + (to - from) * pct / 100.0);
    };
  };
  // EnterCommit once per run, right before the first fenced write; a retry
  // of the same commit (after a concurrent change) is still that commit.
  // BOTH plans and commits matching, then groups, after that one call: from
  // then on cancel is refused, and should the replica die between the two
  // commits, the takeover re-runs both — an unchanged pool re-proposes the
  // same matches (their records are kept) and then commits the groups — so
  // the pool ends as if the job had committed once.
  bool entered = false;
  auto enter_commit = [&ctx, &entered]() -> absl::Status {
    if (entered) return absl::OkStatus();
    RETURN_IF_ERROR(ctx.EnterCommit());
    entered = true;
    return absl::OkStatus();
  };
  v1::JobResult result;
  const core::Call call{ctx.actor(), ctx.deadline()};
  if (matching) {
    ASSIGN_OR_RETURN(
        auto run,
        matches_->PlanAndCommit(
            ctx.pool(), MatchingOptionsFromProto(options.matching_options()),
            ctx.reference_time(), call, ctx.job_id(), ctx.fencing_token(),
            progress(0, grouping ? 50 : 100), enter_commit));
    *result.mutable_matching() = MatchingReportToProto(run.first.report);
  }
  if (grouping) {
    if (!entered && ctx.Cancelled()) {
      return absl::CancelledError("job cancelled");
    }
    absl::StatusOr<core::GroupRun> run = groups_->PlanAndCommit(
        ctx.pool(), GroupingOptionsFromProto(options.grouping_options()),
        ctx.reference_time(), call, ctx.job_id(), ctx.fencing_token(),
        progress(matching ? 50 : 0, 100), enter_commit);
    if (!run.ok() && matching) {
      // BOTH is two commits: the matches are in (valid proposals a
      // coordinator may publish or discard); say so in the job's error.
      return absl::Status(
          run.status().code(),
          absl::StrCat(
              "matching committed (", result.matching().proposals_created(),
              " new proposals); grouping failed: ", run.status().message()));
    }
    if (!run.ok()) return run.status();
    *result.mutable_grouping() = GroupingReportToProto(run->report);
  }
  return result.SerializeAsString();
}

}  // namespace peermatch::api
