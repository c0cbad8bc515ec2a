// The batch runs behind coordinator jobs (SPEC §7, R-JOBS):
// MENTOR_MATCHING (batch stable matching, core::Matches), GROUPS
// (regrouping, core::Groups) and BOTH (matching, then groups). Each plans from
// the pool as it is, then makes its one fenced, all-or-nothing commit, so a
// cancelled, failed or taken-over run leaves the pool as it was.
//
//   worker.RegisterRunner(v1::JOB_KIND_MENTOR_MATCHING,
//                         std::make_shared<BatchJobRunner>(
//                             v1::JOB_KIND_MENTOR_MATCHING, &matches,
//                             &groups));
//
// The job's options payload is a serialized StartJobRequest (its
// matching_options and grouping_options); the result payload a serialized
// JobResult.
#ifndef PEERMATCH_SERVICE_API_JOB_RUNNERS_H_
#define PEERMATCH_SERVICE_API_JOB_RUNNERS_H_

#include <string>

#include "absl/status/statusor.h"
#include "peermatch/v1/job.pb.h"
#include "service/core/groups.h"
#include "service/core/matches.h"
#include "service/jobs/job_runner.h"

namespace peermatch::api {

class BatchJobRunner final : public jobs::JobRunner {
 public:
  BatchJobRunner(v1::JobKind kind, core::Matches* matches, core::Groups* groups)
      : kind_(kind), matches_(matches), groups_(groups) {}

  absl::StatusOr<std::string> Run(jobs::JobContext& ctx) override;

 private:
  v1::JobKind kind_;
  core::Matches* matches_;
  core::Groups* groups_;
};

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_JOB_RUNNERS_H_
