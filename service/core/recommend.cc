#include "service/core/recommend.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "base/status_macros.h"
#include "matcher/recommend.h"
#include "matcher/time.h"

namespace peermatch::core {
namespace {

absl::Status CheckWeek(const std::optional<absl::Time>& t,
                       const matcher::CompiledPool& pool) {
  if (!t.has_value()) return absl::OkStatus();
  if (matcher::ReferenceWeekContaining(*t).start != pool.week().start) {
    return absl::FailedPreconditionError(
        "reference_time: real-time calls answer for the current reference "
        "week; use a batch run or `peermatch plan` for another week");
  }
  return absl::OkStatus();
}

absl::StatusOr<matcher::MemberIndex> FindMember(const matcher::CompiledPool& p,
                                                const std::string& id,
                                                const char* what) {
  std::optional<matcher::MemberIndex> i = p.Find(id);
  if (!i.has_value()) {
    return absl::NotFoundError(absl::StrCat(what, " ", id, " not found"));
  }
  return *i;
}

// The scorer for a call: the snapshot's, or one built with the patch.
absl::StatusOr<const matcher::Scorer*> ScorerFor(
    const snapshot::PoolView& view, const MatcherPatch& adjust,
    std::optional<matcher::Scorer>* storage) {
  if (!adjust) return &view.scorer();
  matcher::PoolSettings s = view.settings();
  RETURN_IF_ERROR(adjust(&s));
  ASSIGN_OR_RETURN(matcher::Scorer sc, matcher::Scorer::Create(view.pool(), s));
  storage->emplace(std::move(sc));
  return &**storage;
}

}  // namespace

absl::StatusOr<Recommendations> Recommender::Recommend(
    const std::string& pool, const RecommendQuery& query, absl::Time deadline) {
  Recommendations out;
  RETURN_IF_ERROR(snapshots_->Read(
      pool, deadline, [&](const snapshot::PoolView& view) -> absl::Status {
        const matcher::CompiledPool& p = view.pool();
        RETURN_IF_ERROR(CheckWeek(query.reference_time, p));
        ASSIGN_OR_RETURN(matcher::MemberIndex e,
                         FindMember(p, query.mentee, "mentee"));
        matcher::RecommendRequest r;
        r.mentee = e;
        r.k = query.k;
        for (const std::string& id : query.exclude) {
          if (auto i = p.Find(id)) r.exclude.push_back(*i);
        }
        // Mentors changed since the index was built (snapshot updates in
        // place; see PoolView::free_mentor_index).
        r.hidden = view.index_hidden();
        r.extra = view.index_extra();
        std::optional<matcher::Scorer> storage;
        if (query.adjust) {
          ASSIGN_OR_RETURN(r.scorer, ScorerFor(view, query.adjust, &storage));
        }
        ASSIGN_OR_RETURN(
            matcher::RecommendResult result,
            matcher::RecommendMentors(view.free_mentor_index(), r));
        for (matcher::Recommendation& rec : result.mentors) {
          out.mentors.push_back({p.id(rec.mentor), rec.mentee_micros,
                                 view.free_capacity(rec.mentor),
                                 std::move(rec.explanation)});
        }
        out.week_start = p.week().start;
        out.snapshot_version = static_cast<int64_t>(view.position().ms);
        return absl::OkStatus();
      }));
  return out;
}

absl::StatusOr<Explanation> Recommender::Explain(
    const std::string& pool, const std::string& mentee,
    const std::string& mentor, std::optional<absl::Time> reference_time,
    const MatcherPatch& adjust, absl::Time deadline) {
  Explanation out;
  RETURN_IF_ERROR(snapshots_->Read(
      pool, deadline, [&](const snapshot::PoolView& view) -> absl::Status {
        const matcher::CompiledPool& p = view.pool();
        RETURN_IF_ERROR(CheckWeek(reference_time, p));
        ASSIGN_OR_RETURN(matcher::MemberIndex e,
                         FindMember(p, mentee, "mentee"));
        ASSIGN_OR_RETURN(matcher::MemberIndex m,
                         FindMember(p, mentor, "mentor"));
        std::optional<matcher::Scorer> storage;
        ASSIGN_OR_RETURN(const matcher::Scorer* scorer,
                         ScorerFor(view, adjust, &storage));
        out.explanation = scorer->Explain(e, m);
        out.week_start = p.week().start;
        return absl::OkStatus();
      }));
  return out;
}

}  // namespace peermatch::core
