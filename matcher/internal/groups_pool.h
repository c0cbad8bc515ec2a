// Internal: the compact representation of members for group formation.
//
//   GroupPool pool(views_sorted_by_id, settings);
//   int designated;
//   GroupViolation v = pool.Check(members, CheckMode::kComplete, &designated);
//   double a = pool.Affinity(i, j);
//
// Members are dense indices in the order of the views, which callers sort by
// id, so index order is id order. Strings (tags, languages, regions, blocked
// ids) are interned to integers once; every check afterwards is integer and
// bitset work.
#ifndef PEERMATCH_MATCHER_INTERNAL_GROUPS_POOL_H_
#define PEERMATCH_MATCHER_INTERNAL_GROUPS_POOL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "matcher/groups.h"
#include "matcher/profile.h"
#include "matcher/slot_set.h"

namespace peermatch::matcher::groups_internal {

// Tag sets are also kept as bitsets over the interned tags when a pool's
// vocabulary of a kind has at most 64 * kMaxTagWords tags; a Jaccard index is
// then one or two POPCNTs (vocabularies up to 128 tags) or one bit test per
// tag of one side, instead of a merge.
inline constexpr int kMaxTagWords = 16;

// One kind of tags (triggers or interests) of every member: sorted interned
// ids, flat, and (vocabulary permitting) bitsets.
class TagIndex {
 public:
  TagIndex() = default;
  // `tags[i]` sorted and deduplicated; `vocabulary` > every id.
  TagIndex(const std::vector<std::vector<uint32_t>>& tags, size_t vocabulary);

  // Jaccard index of members i and j; 0 when both sets are empty.
  double Jaccard(int i, int j) const {
    const uint32_t* a = ids_.data() + offsets_[i];
    const uint32_t* b = ids_.data() + offsets_[j];
    const int na = static_cast<int>(offsets_[i + 1] - offsets_[i]);
    const int nb = static_cast<int>(offsets_[j + 1] - offsets_[j]);
    if (na == 0 && nb == 0) return 0.0;
    int inter = 0;
    if (words_ > 0 && words_ <= 2) {
      const uint64_t* x = &bits_[static_cast<size_t>(i) * words_];
      const uint64_t* y = &bits_[static_cast<size_t>(j) * words_];
      inter = __builtin_popcountll(x[0] & y[0]);
      if (words_ == 2) inter += __builtin_popcountll(x[1] & y[1]);
    } else if (words_ > 0) {
      const uint64_t* bits = &bits_[static_cast<size_t>(i) * words_];
      for (int x = 0; x < nb; ++x) {
        inter += static_cast<int>((bits[b[x] >> 6] >> (b[x] & 63)) & 1);
      }
    } else {
      for (int x = 0, y = 0; x < na && y < nb;) {
        if (a[x] < b[y]) {
          ++x;
        } else if (b[y] < a[x]) {
          ++y;
        } else {
          ++inter, ++x, ++y;
        }
      }
    }
    return static_cast<double>(inter) / (na + nb - inter);
  }

 private:
  std::vector<uint32_t> offsets_ = {0};
  std::vector<uint32_t> ids_;
  int words_ = 0;
  std::vector<uint64_t> bits_;
};

// a(i, j) from its parts, in the SPEC's order (triggers, interests, stage).
inline double CombineAffinity(const AffinityWeights& w, double jt, double ji,
                              int stage_gap) {
  double a = w.triggers * jt;
  a += w.interests * ji;
  a += w.stage * (1.0 - stage_gap / 4.0);
  return a;
}

enum class CheckMode : uint8_t {
  // Every hard constraint.
  kComplete,
  // A group under construction: no min_size and no facilitator requirement
  // (the spread still excludes whoever is designated now).
  kPartial,
};

// Feasible meeting starts of a slot set: bit s is set when slots s .. s+L-1
// (cyclically) are all set.
SlotSet FeasibleStarts(const SlotSet& slots, int session_slots);

// The start slot of the SPEC §3.1 meeting slot of `common`, or -1.
int MeetingStartSlot(const SlotSet& common, int session_slots);

class GroupPool {
 public:
  // `members` must be sorted by id and non-null; duplicates are allowed here
  // (Check reports them) but formation callers reject them earlier.
  GroupPool(absl::Span<const GroupMemberView> members,
            const PoolSettings& settings);

  int size() const { return static_cast<int>(ids_.size()); }
  const std::string& id(int i) const { return *ids_[i]; }
  const PoolSettings& settings() const { return settings_; }
  int session_slots() const { return session_slots_; }
  GroupEligibility eligibility(int i) const { return eligibility_[i]; }
  bool qualifies(int i) const { return qualifies_[i]; }
  int stage(int i) const { return stage_[i]; }
  const SlotSet& slots(int i) const { return *slots_[i]; }
  const SlotSet& starts(int i) const { return starts_[i]; }

  // The affinity a(i, j) (SPEC §5).
  double Affinity(int i, int j) const {
    const int gap =
        stage_[i] > stage_[j] ? stage_[i] - stage_[j] : stage_[j] - stage_[i];
    return CombineAffinity(settings_.affinity_weights, triggers_.Jaccard(i, j),
                           interests_.Jaccard(i, j), gap);
  }

  // Necessary pairwise conditions for i and j to share a group: a language,
  // a modality, a feasible meeting start, no block, and stage spread unless
  // one of them qualifies (and so could be the designated facilitator).
  bool MayShareGroup(int i, int j) const {
    const PairKey& a = keys_[i];
    const PairKey& b = keys_[j];
    if ((a.coarse_starts & b.coarse_starts) == 0) return false;
    if ((a.lang_sig & b.lang_sig) == 0) return false;
    uint8_t modal = a.modal & b.modal;
    if (a.region != b.region) modal &= ~kInPersonBit;
    if (modal == 0) return false;
    const int gap = a.stage > b.stage ? a.stage - b.stage : b.stage - a.stage;
    if (gap > settings_.max_stage_spread && !a.qualifies && !b.qualifies) {
      return false;
    }
    const auto& x = starts_[i].words();
    const auto& y = starts_[j].words();
    uint64_t any = 0;
    for (int w = 0; w < kSlotWords; ++w) any |= x[w] & y[w];
    if (any == 0) return false;
    if (!blocked_[i].empty() && Blocked(i, j)) return false;
    if (lang_sig_exact_) return true;
    const int pair[2] = {i, j};
    return SharedLanguage(pair);
  }
  bool Blocked(int i, int j) const;

  // The first violated hard constraint of `members` (distinct or not), and
  // the designated facilitator (-1 if none) in `*designated` when non-null.
  // `blame` (optional) receives the members concerned.
  GroupViolation Check(absl::Span<const int> members, CheckMode mode,
                       int* designated = nullptr,
                       std::vector<int>* blame = nullptr) const;

  // The designated facilitator of `members`, or -1.
  int Designated(absl::Span<const int> members) const;

  // The report of a valid group (Check(...) == kNone).
  GroupPlan Describe(absl::Span<const int> members) const;

 private:
  bool SharedLanguage(absl::Span<const int> members) const;
  uint8_t SharedModalities(absl::Span<const int> members) const;
  // What MayShareGroup reads first, packed for the all-pairs pass.
  struct PairKey {
    uint64_t coarse_starts;  // bit b: a feasible start in slots [11b, 11b+11)
    uint64_t lang_sig;
    int32_t region;
    uint8_t modal;
    uint8_t stage;
    uint8_t qualifies;
  };

  static constexpr uint8_t kInPersonBit =
      1u << static_cast<unsigned>(Modality::kInPerson);

  PoolSettings settings_;
  int session_slots_;
  std::vector<const std::string*> ids_;
  std::vector<const SlotSet*> slots_;
  std::vector<SlotSet> starts_;
  std::vector<PairKey> keys_;
  std::vector<GroupEligibility> eligibility_;
  std::vector<uint8_t> stage_;
  std::vector<uint8_t> fac_role_;
  std::vector<uint8_t> qualifies_;
  // Interned primary language subtags in preference order (deduplicated),
  // plus a 64-bit signature (bit = id % 64) for fast rejection.
  std::vector<std::vector<uint32_t>> langs_;
  std::vector<uint64_t> lang_sig_;
  bool lang_sig_exact_ = false;  // at most 64 languages: one bit each
  std::vector<std::string> lang_names_;
  // Modalities: bit (1 << Modality) and the preference order.
  std::vector<uint8_t> modal_mask_;
  std::vector<std::vector<Modality>> modal_order_;
  std::vector<int> region_;  // interned; -1 when empty
  std::vector<std::string> region_names_;
  TagIndex triggers_, interests_;
  // Sorted indices blocked in either direction.
  std::vector<std::vector<int>> blocked_;
};

}  // namespace peermatch::matcher::groups_internal

#endif  // PEERMATCH_MATCHER_INTERNAL_GROUPS_POOL_H_
