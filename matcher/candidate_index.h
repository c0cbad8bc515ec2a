// CandidateIndex: finds the mentors a mentee could be matched with, and the
// best of them, without scoring every pair (R-STABLE "candidate pruning",
// R-RECOMMEND).
//
//   CandidateIndex index(scorer, mentors_with_free_capacity);
//   CandidateIndex::Scratch scratch;
//   std::vector<Candidate> best;
//   index.TopK(mentee, /*k=*/10, /*exclude=*/{}, &scratch, &best);
//   std::vector<Candidate> all;
//   index.Acceptable(mentee, &scratch, &all);
//
// Problem. For a mentee e, list the indexed mentors m that are acceptable
// (every hard constraint holds and both views score >= min_score), or only
// the k best of them by e's view (ties: lower id first).
//
// Method. One bitmap per value of each cheap hard-constraint key, over the
// indexed mentors: stage admissibility per mentee stage, each language
// (primary subtag) in the 64-bit mask plus one for rarer languages, TEXT,
// VIDEO, IN_PERSON per region, and each UTC hour of the week that a mentor's
// availability touches. The AND of the ORs that apply to e is a superset of
// e's acceptable mentors (two members whose slots overlap share an hour);
// only those are scored, by the full kernel, which decides exactly.
// Top-k is the threshold algorithm (Fagin, Lotem & Naor 2003): every
// candidate is first bounded, the bounds are counting-sorted into 1024
// buckets, and candidates are fully scored bucket by bucket from the top,
// keeping a heap of the k best; it stops when a bucket's largest bound is
// below the k-th score, since no later candidate can enter. The
// bound costs a few operations per candidate and no mentor data: per-tag
// bitmaps are added bit-sliced into per-mentor counts of shared triggers and
// interests (count planes that fit in L1), stage comes from a byte array,
// and "shares e's first modality / first language" from one bitmap each. It
// is exact for every component but availability, which it takes as 1.
// The mentors' cores are copied in position order, so a query reads them
// front to back. On the generator's cohort the bitmaps leave about 20% of
// the pairs as candidates, 12-13% being acceptable.
// Complexity: building O(mentors * keys); a query O(bitmaps touched * mentors
// / 64 + candidates * scoring + candidates * log k).
// Determinism: candidates are visited in index order and compared by (score,
// id order), so results depend only on the pool, the settings and the set of
// indexed mentors.
//
// The index refers to the Scorer and its CompiledPool, which must outlive it
// and stay unchanged. Const methods are thread-safe with one Scratch per
// thread.
#ifndef PEERMATCH_MATCHER_CANDIDATE_INDEX_H_
#define PEERMATCH_MATCHER_CANDIDATE_INDEX_H_

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/types/span.h"
#include "matcher/compiled_pool.h"
#include "matcher/scoring.h"

namespace peermatch::matcher {

// An acceptable mentor with both views' scores.
struct Candidate {
  MemberIndex mentor = 0;
  int32_t mentee_micros = 0;
  int32_t mentor_micros = 0;
};

class CandidateIndex {
 public:
  // Per-thread working memory for queries.
  struct Scratch {
    std::vector<uint64_t> bits;
    std::vector<uint64_t> any;
    std::vector<std::pair<Candidate, int32_t>> heap;  // with position
    std::vector<std::pair<int32_t, int32_t>> bounds;  // bucket, position
    std::vector<uint64_t> trigger_counts;  // bit-sliced, per word 8 planes
    std::vector<uint64_t> interest_counts;
    std::vector<int32_t> bucket_start, bucket_fill, sorted;
    std::vector<double> bucket_max;
  };

  // Indexes `mentors` (pool indices; duplicates are not allowed), kept in id
  // order. Mentors that are not eligible (EligibleMentor) are left out.
  CandidateIndex(const Scorer& scorer, absl::Span<const MemberIndex> mentors);

  CandidateIndex(const CandidateIndex&) = delete;
  CandidateIndex& operator=(const CandidateIndex&) = delete;

  // Number of indexed mentors.
  int32_t size() const { return static_cast<int32_t>(mentors_.size()); }
  const std::vector<MemberIndex>& mentors() const { return mentors_; }
  const Scorer& scorer() const { return *scorer_; }

  // Appends every acceptable indexed mentor of mentee `e`, in id order, to
  // `out` (which is cleared first). Nothing when e is not an eligible
  // mentee.
  void Acceptable(MemberIndex e, Scratch* scratch,
                  std::vector<Candidate>* out) const;

  // The (at most) k best acceptable mentors of `e` by mentee-view score, ties
  // by id order, best first, leaving out the pool indices in `exclude`
  // (sorted ascending). Requires k >= 0.
  void TopK(MemberIndex e, int k, absl::Span<const MemberIndex> exclude,
            Scratch* scratch, std::vector<Candidate>* out) const {
    TopK(*scorer_, e, k, exclude, scratch, out);
  }
  // The same, scored by another Scorer over the same pool whose settings may
  // differ in weights and min_score only (CompatibleScorer), e.g. a request
  // that overrides the weights.
  void TopK(const Scorer& scorer, MemberIndex e, int k,
            absl::Span<const MemberIndex> exclude, Scratch* scratch,
            std::vector<Candidate>* out) const;
  // Whether `scorer` may be used with this index.
  bool CompatibleScorer(const Scorer& scorer) const;

  // Whether a is better than b for the mentee: higher mentee-view score, then
  // lower id.
  bool BetterForMentee(const Candidate& a, const Candidate& b) const {
    if (a.mentee_micros != b.mentee_micros) {
      return a.mentee_micros > b.mentee_micros;
    }
    return pool_->order(a.mentor) < pool_->order(b.mentor);
  }

  size_t MemoryBytes() const;

 private:
  // Fills scratch->bits with the candidate positions of e; false when none
  // can exist.
  bool CandidateBits(MemberIndex e, Scratch* scratch) const;
  // Fills scratch->bounds with (bucket of bound, position) of every
  // candidate in scratch->bits, and scratch->bucket_max with each bucket's
  // largest bound numerator (-1 when empty).
  void Bounds(const Scorer& scorer, MemberIndex e, Scratch* scratch) const;
  const uint64_t* Bitmap(int32_t id) const {
    return bitmaps_.data() + static_cast<size_t>(id) * words_;
  }
  int32_t NewBitmap();
  void SetBit(int32_t bitmap, int32_t position) {
    bitmaps_[static_cast<size_t>(bitmap) * words_ + (position >> 6)] |=
        uint64_t{1} << (position & 63);
  }

  const Scorer* scorer_;
  const CompiledPool* pool_;
  std::vector<MemberIndex> mentors_;  // position -> pool index
  std::vector<MemberCore> cores_;     // position -> copy of its core
  int32_t words_ = 0;                 // 64-bit words per bitmap
  std::vector<uint64_t> bitmaps_;     // all bitmaps, words_ each

  // Bitmap ids.
  int32_t stage_ok_[6] = {};              // by mentee stage 1..5
  int32_t language_[kBitLanguages] = {};  // -1 when no mentor speaks it
  int32_t rare_language_ = -1;
  int32_t trigger_[kBitTags] = {};  // per tag id; -1 when no mentor has it
  int32_t interest_[kBitTags] = {};
  // Tags of the pool's side lists (ids >= kBitTags) -> bitmap id.
  absl::flat_hash_map<uint32_t, int32_t> rare_trigger_, rare_interest_;
  std::vector<uint8_t> stage_of_;      // position -> stage
  std::vector<uint8_t> interests_of_;  // position -> |I|
  int32_t text_ = -1, video_ = -1;
  absl::flat_hash_map<uint32_t, int32_t> in_person_;  // by region id
  static constexpr int kHours = kSlotsPerWeek / 4;    // 168
  int32_t hour_[kHours] = {};
  bool filter_availability_ = true;
};

// The UTC hours of the week (bit h: slots [4 h, 4 h + 4)) that `slots`
// touches.
using HourSet = std::array<uint64_t, 3>;
HourSet TouchedHours(const SlotSet& slots);

}  // namespace peermatch::matcher

#endif  // PEERMATCH_MATCHER_CANDIDATE_INDEX_H_
