// CompiledPool: a compact, dense form of one pool's members for fast scoring
// and matching.
//
//   TimeZoneCache zones;
//   ReferenceWeek week = ReferenceWeekContaining(reference_time);
//   absl::StatusOr<CompiledPool> pool =
//       CompiledPool::Compile(profiles, exclusions, week, &zones);
//   MemberIndex e = *pool->Find("e-42");
//   const MemberCore& core = pool->core(e);     // bitsets, masks, slots
//
//   // A service keeps the pool as a snapshot and applies changes:
//   pool->Upsert(changed_profile, &zones);      // add or replace one member
//   pool->Remove("m-7");
//   pool->SetWeek(next_week, &zones);           // new reference week
//
// Representation (all per member, indexed by a dense MemberIndex):
//   - MemberCore, 192 bytes, one per member in one array: triggers and
//     interests as 256-bit sets over per-pool dictionaries ordered by
//     popularity (the 256 most frequent tags of each kind); languages as a
//     64-bit mask over lowercased primary subtags ordered by popularity;
//     modalities as a 3-bit mask plus a region id; availability as a SlotSet
//     for the current reference week; stage, capacity, roles and flags.
//     Rarer tags and languages go to small sorted side lists, and flags tell
//     the hot path whether it must look at them at all.
//   - Cold data: ids, the order of languages and modalities (explanations),
//     the windows and time zone (to recompile slots for another week),
//     blocked ids, and `avoid`: the sorted indices of every member this one
//     must never be matched with (it blocks them, they block it, or the pair
//     was DECLINED or ENDED with exclude). `avoid` is symmetric.
//
// Order and ties. After Compile, index order is id order (byte-wise), so "the
// lower id wins" is an index comparison. Incremental changes keep indices
// stable instead: a new member takes a free or new index, and
// `order(i)` (a 64-bit key, gapped, renumbered when a gap runs out) keeps
// the id order. Code that breaks ties must compare `order(i)`, never indices;
// Compile makes the two agree, so nothing is lost in the common case.
//
// Incremental updates. Upsert replaces a member in place (same index) or adds
// one; Remove frees the index for reuse. Each costs O(size of the member's
// profile + its avoid lists), plus O(n) only when an order gap is exhausted
// (at most once per ~30 adds between the same two neighbours). Dictionaries
// only grow: a new tag gets the next id, a bit if one of the 256 is still
// free, otherwise a side-list entry. Popularity order, and therefore speed,
// is restored by the next Compile; results never depend on it.
//
// The pool holds no settings: scoring (scoring.h) takes a pool and a
// PoolSettings, so a settings change needs no recompile.
//
// Thread safety: const methods may be called concurrently; mutations need
// exclusive access.
#ifndef PEERMATCH_MATCHER_COMPILED_POOL_H_
#define PEERMATCH_MATCHER_COMPILED_POOL_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "matcher/profile.h"
#include "matcher/slot_set.h"
#include "matcher/time.h"

namespace peermatch::matcher {

using MemberIndex = uint32_t;

inline constexpr int kTagWords = 4;  // 256 tags of each kind as bits
inline constexpr uint32_t kBitTags = kTagWords * 64;
inline constexpr uint32_t kBitLanguages = 64;
inline constexpr uint32_t kNoRegion = 0xffffffffu;

// Bits of MemberCore::flags.
enum MemberFlag : uint16_t {
  kFlagMentee = 1u << 0,
  kFlagMentor = 1u << 1,
  kFlagGroupMember = 1u << 2,
  kFlagFacilitator = 1u << 3,
  kFlagSafetyHold = 1u << 4,
  kFlagScreened = 1u << 5,
  kFlagAvoid = 1u << 6,          // avoid list is not empty
  kFlagRareTriggers = 1u << 7,   // has triggers outside the bit dictionary
  kFlagRareInterests = 1u << 8,  // has interests outside the bit dictionary
  kFlagRareLanguages = 1u << 9,  // has languages outside the 64-bit mask
  kFlagLive = 1u << 10,          // the index holds a member
};

// Modality mask bits: 1 << (Modality - 1).
inline constexpr uint8_t kModalityBitText = 1;
inline constexpr uint8_t kModalityBitVideo = 2;
inline constexpr uint8_t kModalityBitInPerson = 4;
constexpr uint8_t ModalityBit(Modality m) {
  return static_cast<uint8_t>(1u << (static_cast<unsigned>(m) - 1));
}

// The hot fields of one member. The first cache line holds the tag sets and
// the second the scalars, so that a score bound (everything but
// availability) touches two lines and a full score three.
struct alignas(64) MemberCore {
  uint64_t triggers[kTagWords];   // bit t: trigger id t (< kBitTags)
  uint64_t interests[kTagWords];  // bit t: interest id t (< kBitTags)
  uint64_t languages;             // bit l: language id l (< kBitLanguages)
  uint64_t order;                 // id order key (see file comment)
  uint32_t region;                // region id, or kNoRegion
  uint32_t first_language;        // language id of the first language
  uint16_t flags;                 // MemberFlag bits
  uint8_t stage;                  // 1..5
  uint8_t modalities;             // ModalityBit mask
  uint8_t first_modality;         // ModalityBit of the first choice
  uint8_t num_triggers;           // |T|, all of them
  uint8_t num_interests;          // |I|, all of them
  uint8_t capacity;               // mentor_capacity
  SlotSet slots;                  // availability in the reference week
};
static_assert(sizeof(MemberCore) == 192);

// A pair the caller's records exclude (SPEC §3): DECLINED, or ENDED with
// exclude. The order of the two ids does not matter.
enum class PairExclusion : uint8_t { kDeclined = 1, kEnded = 2 };
struct ExcludedPair {
  std::string a;
  std::string b;
  PairExclusion kind = PairExclusion::kDeclined;
};

// A string dictionary whose ids are dense; Compile orders them by
// popularity, later additions are appended.
class Dictionary {
 public:
  std::optional<uint32_t> Find(absl::string_view name) const;
  uint32_t Intern(absl::string_view name);
  const std::string& Name(uint32_t id) const { return names_[id]; }
  uint32_t size() const { return static_cast<uint32_t>(names_.size()); }
  size_t MemoryBytes() const;

 private:
  absl::flat_hash_map<std::string, uint32_t> ids_;
  std::vector<std::string> names_;
};

// The lowercased primary subtag of a BCP-47 tag ("en-GB" -> "en").
std::string PrimarySubtag(absl::string_view language_tag);

class CompiledPool {
 public:
  // Builds a pool from validated profiles (SPEC §2). Index order is id order.
  // `exclusions` may name ids that are not (yet) in the pool; they apply once
  // such a member is added. Errors (INVALID_ARGUMENT, naming the member
  // index and field): a duplicate or empty id, a stage outside 1..5, a
  // capacity outside 0..20, an unknown modality, a malformed window, or a
  // time zone that does not load.
  static absl::StatusOr<CompiledPool> Compile(
      absl::Span<const MemberProfile> profiles,
      absl::Span<const ExcludedPair> exclusions, const ReferenceWeek& week,
      TimeZoneCache* zones);

  // Copyable, e.g. to SetWeek a copy for a request with another reference
  // time while the original keeps serving.
  CompiledPool(const CompiledPool&) = default;
  CompiledPool& operator=(const CompiledPool&) = default;
  CompiledPool(CompiledPool&&) = default;
  CompiledPool& operator=(CompiledPool&&) = default;

  // Adds a member, or replaces the member with the same id in place (its
  // index stays). Same errors as Compile; on error the pool is unchanged.
  absl::StatusOr<MemberIndex> Upsert(const MemberProfile& profile,
                                     TimeZoneCache* zones);
  // Removes a member; NOT_FOUND if absent. Its index may be reused later.
  absl::Status Remove(absl::string_view id);
  // Records an excluded pair (idempotent; kinds accumulate).
  void AddExclusion(const ExcludedPair& pair);
  // Recomputes every member's slots for another reference week. Errors only
  // if a stored zone stops loading (the pool is then unchanged).
  absl::Status SetWeek(const ReferenceWeek& week, TimeZoneCache* zones);

  // Number of indices, live or free. Valid indices are [0, capacity()).
  MemberIndex index_capacity() const {
    return static_cast<MemberIndex>(cores_.size());
  }
  // Number of live members.
  size_t size() const { return by_id_.size(); }
  bool live(MemberIndex i) const { return cores_[i].flags & kFlagLive; }
  const ReferenceWeek& week() const { return week_; }

  std::optional<MemberIndex> Find(absl::string_view id) const;
  // Live members in id order.
  const std::vector<MemberIndex>& by_id() const { return by_id_; }

  const MemberCore& core(MemberIndex i) const { return cores_[i]; }
  const MemberCore* cores() const { return cores_.data(); }
  uint64_t order(MemberIndex i) const { return cores_[i].order; }
  const std::string& id(MemberIndex i) const { return ids_[i]; }
  // Sorted ids >= kBitTags / >= kBitLanguages.
  const std::vector<uint32_t>& rare_triggers(MemberIndex i) const {
    return rare_triggers_[i];
  }
  const std::vector<uint32_t>& rare_interests(MemberIndex i) const {
    return rare_interests_[i];
  }
  const std::vector<uint32_t>& rare_languages(MemberIndex i) const {
    return rare_languages_[i];
  }
  // Language ids in the member's order of preference.
  absl::Span<const uint32_t> languages(MemberIndex i) const {
    return languages_[i];
  }
  // Modalities in the member's order of preference.
  std::vector<Modality> modalities(MemberIndex i) const;
  // Sorted indices this member must never be matched with.
  const std::vector<MemberIndex>& avoid(MemberIndex i) const {
    return avoid_[i];
  }
  bool Avoids(MemberIndex a, MemberIndex b) const;
  // Ids this member lists in `blocked`, as given.
  const std::vector<std::string>& blocked(MemberIndex i) const {
    return blocked_[i];
  }
  // The exclusion kinds recorded for the pair of ids (bit set of
  // PairExclusion values; 0 if none).
  uint8_t ExclusionKinds(absl::string_view a, absl::string_view b) const;

  const Dictionary& trigger_names() const { return triggers_; }
  const Dictionary& interest_names() const { return interests_; }
  const Dictionary& language_names() const { return languages_dict_; }
  const Dictionary& region_names() const { return regions_; }

  // Whether the member has tag id `t` (any id, bit or side list).
  bool HasTrigger(MemberIndex i, uint32_t t) const;
  bool HasInterest(MemberIndex i, uint32_t t) const;
  bool HasLanguage(MemberIndex i, uint32_t l) const;

  // Heap and inline bytes this pool uses (approximate, for R-PERF).
  size_t MemoryBytes() const;

 private:
  CompiledPool() = default;

  struct Staged;  // a member converted but not yet stored
  absl::StatusOr<Staged> Stage(const MemberProfile& p, TimeZoneCache* zones);
  void Store(MemberIndex i, Staged staged);
  MemberIndex AllocateIndex();
  void AssignOrder(MemberIndex i);
  void RenumberOrders();
  void RecordExclusion(const ExcludedPair& pair);
  void RecomputeAvoid(MemberIndex i);
  void SetAvoid(MemberIndex i, std::vector<MemberIndex> avoid);
  void LinkBlocked(MemberIndex i);
  void UnlinkBlocked(MemberIndex i);
  absl::StatusOr<SlotSet> PlaceWindows(absl::Span<const uint32_t> windows,
                                       uint32_t zone);

  ReferenceWeek week_;
  std::vector<MemberCore> cores_;
  std::vector<std::string> ids_;
  std::vector<std::vector<uint32_t>> rare_triggers_;
  std::vector<std::vector<uint32_t>> rare_interests_;
  std::vector<std::vector<uint32_t>> rare_languages_;
  std::vector<absl::InlinedVector<uint32_t, 2>> languages_;
  std::vector<uint16_t> modality_order_;  // 2 bits per choice, first lowest
  std::vector<std::vector<uint32_t>> windows_;  // packed day/start/end
  std::vector<uint32_t> zone_of_;               // index into zones_
  std::vector<std::vector<std::string>> blocked_;
  std::vector<std::vector<MemberIndex>> avoid_;

  // (zone << 32 | packed window) -> its slots in week_.
  absl::flat_hash_map<uint64_t, SlotRun> placements_;
  absl::flat_hash_map<std::string, MemberIndex> index_of_;
  std::vector<MemberIndex> by_id_;      // live indices in id order
  std::vector<MemberIndex> free_list_;  // dead indices to reuse

  // Who blocks an id (by id, so it also covers ids not in the pool yet).
  absl::flat_hash_map<std::string, std::vector<MemberIndex>> blocked_by_;
  // Excluded partners of an id, both directions, with kinds.
  absl::flat_hash_map<std::string, std::vector<std::pair<std::string, uint8_t>>>
      exclusions_;

  Dictionary triggers_;
  Dictionary interests_;
  Dictionary languages_dict_;
  Dictionary regions_;
  std::vector<absl::TimeZone> zones_;
  Dictionary zone_names_;
};

}  // namespace peermatch::matcher

#endif  // PEERMATCH_MATCHER_COMPILED_POOL_H_
