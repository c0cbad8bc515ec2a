#include "matcher/internal/groups_pool.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/strings/ascii.h"
#include "absl/strings/string_view.h"

namespace peermatch::matcher::groups_internal {
namespace {

uint8_t ModalityBit(Modality m) {
  return static_cast<uint8_t>(1u << static_cast<unsigned>(m));
}

std::string PrimarySubtag(absl::string_view tag) {
  return absl::AsciiStrToLower(tag.substr(0, tag.find('-')));
}

class Interner {
 public:
  uint32_t Intern(absl::string_view s) {
    auto [it, inserted] =
        ids_.try_emplace(std::string(s), static_cast<uint32_t>(names_.size()));
    if (inserted) names_.emplace_back(s);
    return it->second;
  }
  std::vector<std::string>& names() { return names_; }

 private:
  absl::flat_hash_map<std::string, uint32_t> ids_;
  std::vector<std::string> names_;
};

// Interns a tag list into a sorted, deduplicated id vector.
std::vector<uint32_t> InternTags(const std::vector<std::string>& tags,
                                 Interner& interner) {
  std::vector<uint32_t> out;
  out.reserve(tags.size());
  for (const std::string& t : tags) out.push_back(interner.Intern(t));
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

TagIndex::TagIndex(const std::vector<std::vector<uint32_t>>& tags,
                   size_t vocabulary) {
  offsets_.reserve(tags.size() + 1);
  for (const auto& t : tags) {
    ids_.insert(ids_.end(), t.begin(), t.end());
    offsets_.push_back(static_cast<uint32_t>(ids_.size()));
  }
  words_ = static_cast<int>((vocabulary + 63) / 64);
  if (words_ > kMaxTagWords) {
    words_ = 0;
    return;
  }
  bits_.assign(tags.size() * words_, 0);
  for (size_t i = 0; i < tags.size(); ++i) {
    for (uint32_t t : tags[i]) {
      bits_[i * words_ + t / 64] |= uint64_t{1} << (t % 64);
    }
  }
}

SlotSet FeasibleStarts(const SlotSet& slots, int session_slots) {
  SlotSet out;
  if (slots.Count() == kSlotsPerWeek) {
    out.SetRange(0, kSlotsPerWeek);
    return out;
  }
  if (session_slots > kSlotsPerWeek) return out;
  // run[s] = consecutive set slots starting at s, computed backwards from an
  // unset slot so that the cyclic wrap is handled by one pass.
  int unset = 0;
  while (slots.Test(unset)) ++unset;
  int run = 0;
  for (int k = 0; k < kSlotsPerWeek; ++k) {
    int s = (unset - k + kSlotsPerWeek) % kSlotsPerWeek;
    run = slots.Test(s) ? run + 1 : 0;
    if (run >= session_slots) out.Set(s);
  }
  return out;
}

int MeetingStartSlot(const SlotSet& common, int session_slots) {
  if (common.Count() == kSlotsPerWeek) return 0;
  SlotSet starts = FeasibleStarts(common, session_slots);
  for (int s = 0; s < kSlotsPerWeek; ++s) {
    if (!common.Test(s) || common.Test((s + kSlotsPerWeek - 1) % kSlotsPerWeek))
      continue;
    // A run start; the run is long enough iff s is a feasible start.
    if (starts.Test(s)) return s;
  }
  return -1;
}

GroupPool::GroupPool(absl::Span<const GroupMemberView> members,
                     const PoolSettings& settings)
    : settings_(settings), session_slots_(settings.session_minutes / 15) {
  const int n = static_cast<int>(members.size());
  ids_.resize(n);
  slots_.resize(n);
  starts_.resize(n);
  eligibility_.resize(n);
  stage_.resize(n);
  fac_role_.resize(n);
  qualifies_.resize(n);
  langs_.resize(n);
  lang_sig_.resize(n);
  modal_mask_.resize(n);
  modal_order_.resize(n);
  region_.resize(n);
  std::vector<std::vector<uint32_t>> trigger_ids(n), interest_ids(n);
  blocked_.resize(n);

  absl::flat_hash_map<absl::string_view, int> index;
  index.reserve(n);
  for (int i = 0; i < n; ++i) index.try_emplace(members[i].profile->id, i);

  Interner langs, regions, triggers, interests;
  for (int i = 0; i < n; ++i) {
    const MemberProfile& p = *members[i].profile;
    ids_[i] = &p.id;
    slots_[i] = members[i].slots;
    starts_[i] = FeasibleStarts(*members[i].slots, session_slots_);
    eligibility_[i] = GroupEligibilityOf(p, settings);
    stage_[i] = static_cast<uint8_t>(p.recovery_stage);
    fac_role_[i] = HasRole(p.roles, Role::kFacilitator);
    qualifies_[i] = QualifiesToFacilitate(p, settings);
    for (const std::string& l : p.languages) {
      uint32_t id = langs.Intern(PrimarySubtag(l));
      if (std::find(langs_[i].begin(), langs_[i].end(), id) ==
          langs_[i].end()) {
        langs_[i].push_back(id);
        lang_sig_[i] |= uint64_t{1} << (id % 64);
      }
    }
    region_[i] =
        p.region.empty() ? -1 : static_cast<int>(regions.Intern(p.region));
    for (Modality m : p.modalities) {
      if (m == Modality::kInPerson && region_[i] < 0) continue;
      if (modal_mask_[i] & ModalityBit(m)) continue;
      modal_mask_[i] |= ModalityBit(m);
      modal_order_[i].push_back(m);
    }
    trigger_ids[i] = InternTags(p.triggers, triggers);
    interest_ids[i] = InternTags(p.interests, interests);
    for (const std::string& b : p.blocked) {
      auto it = index.find(b);
      if (it == index.end() || it->second == i) continue;
      blocked_[i].push_back(it->second);
      blocked_[it->second].push_back(i);
    }
  }
  for (auto& b : blocked_) {
    std::sort(b.begin(), b.end());
    b.erase(std::unique(b.begin(), b.end()), b.end());
  }
  lang_names_ = std::move(langs.names());
  lang_sig_exact_ = lang_names_.size() <= 64;
  keys_.resize(n);
  for (int i = 0; i < n; ++i) {
    uint64_t coarse = 0;
    for (int s = 0; s < kSlotsPerWeek; ++s) {
      if (starts_[i].Test(s)) coarse |= uint64_t{1} << (s / 11);
    }
    keys_[i] = {coarse,         lang_sig_[i], region_[i],
                modal_mask_[i], stage_[i],    qualifies_[i]};
  }
  region_names_ = std::move(regions.names());
  triggers_ = TagIndex(trigger_ids, triggers.names().size());
  interests_ = TagIndex(interest_ids, interests.names().size());
}

bool GroupPool::Blocked(int i, int j) const {
  return std::binary_search(blocked_[i].begin(), blocked_[i].end(), j);
}

bool GroupPool::SharedLanguage(absl::Span<const int> members) const {
  uint64_t sig = ~uint64_t{0};
  for (int m : members) sig &= lang_sig_[m];
  if (sig == 0) return false;
  if (lang_sig_exact_) return true;
  for (uint32_t l : langs_[members[0]]) {
    bool all = true;
    for (size_t k = 1; k < members.size() && all; ++k) {
      const auto& ls = langs_[members[k]];
      all = std::find(ls.begin(), ls.end(), l) != ls.end();
    }
    if (all) return true;
  }
  return false;
}

uint8_t GroupPool::SharedModalities(absl::Span<const int> members) const {
  uint8_t mask = 0xff;
  for (int m : members) mask &= modal_mask_[m];
  if (mask & kInPersonBit) {
    for (int m : members) {
      if (region_[m] != region_[members[0]]) {
        mask &= ~kInPersonBit;
        break;
      }
    }
  }
  return mask;
}

int GroupPool::Designated(absl::Span<const int> members) const {
  int best = -1;
  for (int m : members) {
    if (!qualifies_[m]) continue;
    if (best < 0 || fac_role_[m] > fac_role_[best] ||
        (fac_role_[m] == fac_role_[best] &&
         (stage_[m] > stage_[best] ||
          (stage_[m] == stage_[best] && m < best)))) {
      best = m;
    }
  }
  return best;
}

GroupViolation GroupPool::Check(absl::Span<const int> members, CheckMode mode,
                                int* designated,
                                std::vector<int>* blame) const {
  auto fail = [&](GroupViolation v, std::initializer_list<int> who) {
    if (blame != nullptr) blame->assign(who);
    return v;
  };
  if (designated != nullptr) *designated = -1;
  const size_t k = members.size();
  for (size_t a = 0; a < k; ++a) {
    for (size_t b = a + 1; b < k; ++b) {
      if (members[a] == members[b]) {
        return fail(GroupViolation::kDuplicateMember, {members[a]});
      }
    }
  }
  for (int m : members) {
    switch (eligibility_[m]) {
      case GroupEligibility::kEligible:
        break;
      case GroupEligibility::kSafetyHold:
        return fail(GroupViolation::kSafetyHold, {m});
      case GroupEligibility::kNotScreened:
        return fail(GroupViolation::kNotScreened, {m});
      case GroupEligibility::kNoGroupRole:
        return fail(GroupViolation::kNoGroupRole, {m});
    }
  }
  if (mode == CheckMode::kComplete &&
      k < static_cast<size_t>(settings_.min_size)) {
    return fail(GroupViolation::kBelowMinSize, {});
  }
  if (k > static_cast<size_t>(settings_.max_size)) {
    return fail(GroupViolation::kAboveMaxSize, {});
  }
  if (k == 0) return GroupViolation::kNone;
  std::array<uint64_t, kSlotWords> acc = starts_[members[0]].words();
  for (size_t x = 1; x < k; ++x) {
    const auto& w = starts_[members[x]].words();
    for (int i = 0; i < kSlotWords; ++i) acc[i] &= w[i];
  }
  uint64_t any = 0;
  for (uint64_t w : acc) any |= w;
  if (any == 0) return fail(GroupViolation::kNoCommonSlot, {});
  for (int a : members) {
    if (blocked_[a].empty()) continue;
    for (int b : members) {
      if (b != a && Blocked(a, b)) {
        return fail(GroupViolation::kBlockedPair,
                    {std::min(a, b), std::max(a, b)});
      }
    }
  }
  if (!SharedLanguage(members)) {
    return fail(GroupViolation::kNoSharedLanguage, {});
  }
  if (SharedModalities(members) == 0) {
    return fail(GroupViolation::kNoSharedModality, {});
  }
  const int d = Designated(members);
  if (designated != nullptr) *designated = d;
  if (d < 0 && mode == CheckMode::kComplete && settings_.require_facilitator) {
    return fail(GroupViolation::kNoFacilitator, {});
  }
  int lo = 6, hi = 0, lo_m = -1, hi_m = -1;
  for (int m : members) {
    if (m == d) continue;
    if (stage_[m] < lo) lo = stage_[m], lo_m = m;
    if (stage_[m] > hi) hi = stage_[m], hi_m = m;
  }
  if (lo_m >= 0 && hi - lo > settings_.max_stage_spread) {
    return fail(GroupViolation::kStageSpread, {lo_m, hi_m});
  }
  return GroupViolation::kNone;
}

GroupPlan GroupPool::Describe(absl::Span<const int> members) const {
  std::vector<int> sorted(members.begin(), members.end());
  std::sort(sorted.begin(), sorted.end());
  const int k = static_cast<int>(sorted.size());
  GroupPlan plan;
  plan.member_ids.reserve(k);
  for (int m : sorted) plan.member_ids.push_back(id(m));
  const int d = Designated(sorted);
  if (d >= 0) plan.facilitator = id(d);
  for (int m : sorted) {
    if (qualifies_[m]) plan.facilitator_ids.push_back(id(m));
  }

  SlotSet common = *slots_[sorted[0]];
  for (int m : sorted) common &= *slots_[m];
  FindMeetingSlot(common, settings_.session_minutes, &plan.slot);

  // Language: smallest sum of preference positions, then smaller subtag.
  int best_lang = -1;
  long best_cost = 0;
  for (uint32_t l : langs_[sorted[0]]) {
    long cost = 0;
    bool all = true;
    for (int m : sorted) {
      const auto& ls = langs_[m];
      auto it = std::find(ls.begin(), ls.end(), l);
      if (it == ls.end()) {
        all = false;
        break;
      }
      cost += it - ls.begin();
    }
    if (!all) continue;
    if (best_lang < 0 || cost < best_cost ||
        (cost == best_cost && lang_names_[l] < lang_names_[best_lang])) {
      best_lang = static_cast<int>(l), best_cost = cost;
    }
  }
  if (best_lang >= 0) plan.language = lang_names_[best_lang];

  const uint8_t shared = SharedModalities(sorted);
  int best_modal_cost = -1;
  for (Modality m : {Modality::kText, Modality::kVideo, Modality::kInPerson}) {
    if ((shared & ModalityBit(m)) == 0) continue;
    int cost = 0;
    for (int x : sorted) {
      const auto& order = modal_order_[x];
      cost += static_cast<int>(std::find(order.begin(), order.end(), m) -
                               order.begin());
    }
    if (best_modal_cost < 0 || cost < best_modal_cost) {
      best_modal_cost = cost;
      plan.modality = m;
    }
  }
  if (plan.modality == Modality::kInPerson) {
    plan.region = region_names_[region_[sorted[0]]];
  }

  plan.fits.assign(k, 0.0);
  if (k > 1) {
    for (int a = 0; a < k; ++a) {
      double sum = 0;
      for (int b = 0; b < k; ++b) {
        if (b != a) sum += Affinity(sorted[a], sorted[b]);
      }
      plan.fits[a] = sum / (k - 1);
    }
  }
  for (double f : plan.fits) plan.total_fit += f;
  return plan;
}

}  // namespace peermatch::matcher::groups_internal
