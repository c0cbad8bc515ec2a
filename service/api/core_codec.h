// The API edge of the core layer: peermatch.v1 messages to and from the
// domain types of service/core and service/store. Field validation is in
// validation.h; these functions only convert.
//
//   core::MatchingOptions o = MatchingOptionsFromProto(req.options());
//   ASSIGN_OR_RETURN(core::MatchingRun run, matches->RunMatching(...));
//   *resp->mutable_report() = MatchingReportToProto(run.report);
#ifndef PEERMATCH_SERVICE_API_CORE_CODEC_H_
#define PEERMATCH_SERVICE_API_CORE_CODEC_H_

#include <string>

#include "absl/strings/string_view.h"
#include "peermatch/v1/group.pb.h"
#include "peermatch/v1/match.pb.h"
#include "peermatch/v1/pool_service.pb.h"
#include "service/core/types.h"
#include "service/store/group_types.h"
#include "service/store/match_types.h"

namespace peermatch::api {

core::MatchingOptions MatchingOptionsFromProto(const v1::MatchingOptions& o);
v1::MatchingReport MatchingReportToProto(const core::MatchingReport& r);
v1::Match MatchToProto(const store::MatchRecord& m, absl::string_view pool);

core::GroupingOptions GroupingOptionsFromProto(const v1::GroupingOptions& o);
v1::GroupingReport GroupingReportToProto(const core::GroupingReport& r);
v1::Group GroupToProto(const store::GroupRecord& r, const std::string& pool);

v1::PoolStats PoolStatsToProto(const core::PoolStats& s);

}  // namespace peermatch::api

#endif  // PEERMATCH_SERVICE_API_CORE_CODEC_H_
