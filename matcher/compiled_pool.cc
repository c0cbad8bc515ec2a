#include "matcher/compiled_pool.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/limits.h"

namespace peermatch::matcher {
namespace {

constexpr uint64_t kOrderGap = uint64_t{1} << 32;
constexpr uint32_t kNoLanguage = 0xffffffffu;
constexpr int kMaxTagsPerKind = 255;  // counts are uint8_t

uint32_t PackWindow(const Window& w) {
  return (static_cast<uint32_t>(w.day) << 22) |
         (static_cast<uint32_t>(w.start_minute) << 11) |
         static_cast<uint32_t>(w.end_minute);
}

Window UnpackWindow(uint32_t packed) {
  return Window{static_cast<int>(packed >> 22),
                static_cast<int>((packed >> 11) & 0x7ff),
                static_cast<int>(packed & 0x7ff)};
}

// Counts how often each string occurs, then returns them most frequent
// first, ties by name, so dictionary ids are deterministic.
std::vector<std::string> ByPopularity(
    const absl::flat_hash_map<std::string, int>& counts) {
  std::vector<std::pair<int, std::string>> items;
  items.reserve(counts.size());
  for (const auto& [name, n] : counts) items.emplace_back(-n, name);
  std::sort(items.begin(), items.end());
  std::vector<std::string> names;
  names.reserve(items.size());
  for (auto& item : items) names.push_back(std::move(item.second));
  return names;
}

// Sets tag ids into a bitset and returns the ids beyond it, sorted.
std::vector<uint32_t> FillTagBits(std::vector<uint32_t> ids,
                                  uint64_t (&bits)[kTagWords]) {
  std::sort(ids.begin(), ids.end());
  std::vector<uint32_t> rare;
  for (uint32_t t : ids) {
    if (t < kBitTags) {
      bits[t >> 6] |= uint64_t{1} << (t & 63);
    } else {
      rare.push_back(t);
    }
  }
  return rare;
}

template <typename T>
size_t VectorBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

size_t StringHeapBytes(const std::string& s) {
  // libstdc++ keeps up to 15 characters inline.
  return s.capacity() > 15 ? s.capacity() + 1 : 0;
}

}  // namespace

std::optional<uint32_t> Dictionary::Find(absl::string_view name) const {
  auto it = ids_.find(name);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

uint32_t Dictionary::Intern(absl::string_view name) {
  auto [it, inserted] = ids_.try_emplace(std::string(name), size());
  if (inserted) names_.emplace_back(name);
  return it->second;
}

size_t Dictionary::MemoryBytes() const {
  size_t bytes = VectorBytes(names_) +
                 ids_.capacity() * (sizeof(std::string) + sizeof(uint32_t) + 1);
  for (const std::string& s : names_) bytes += 2 * StringHeapBytes(s);
  return bytes;
}

std::string PrimarySubtag(absl::string_view language_tag) {
  const size_t dash = language_tag.find('-');
  return absl::AsciiStrToLower(language_tag.substr(0, dash));
}

// A member converted into the pool's representation, not yet stored.
struct CompiledPool::Staged {
  MemberCore core{};
  std::string id;
  std::vector<uint32_t> rare_triggers;
  std::vector<uint32_t> rare_interests;
  std::vector<uint32_t> rare_languages;
  absl::InlinedVector<uint32_t, 2> languages;
  uint16_t modality_order = 0;
  std::vector<uint32_t> windows;
  uint32_t zone = 0;
  std::vector<std::string> blocked;
};

absl::StatusOr<CompiledPool::Staged> CompiledPool::Stage(const MemberProfile& p,
                                                         TimeZoneCache* zones) {
  // Validate everything before touching the dictionaries.
  if (p.id.empty()) return absl::InvalidArgumentError("id: empty");
  if (p.recovery_stage < base::kMinStage || p.recovery_stage > base::kMaxStage) {
    return absl::InvalidArgumentError("recovery_stage: need 1..5");
  }
  if (p.mentor_capacity < 0 || p.mentor_capacity > base::kMaxMentorCapacity) {
    return absl::InvalidArgumentError("mentor_capacity: need 0..20");
  }
  if (p.triggers.size() > kMaxTagsPerKind ||
      p.interests.size() > kMaxTagsPerKind) {
    return absl::InvalidArgumentError("triggers/interests: too many tags");
  }
  if (p.modalities.size() > 3) {
    return absl::InvalidArgumentError("modalities: at most 3");
  }
  for (Modality m : p.modalities) {
    if (m != Modality::kText && m != Modality::kVideo &&
        m != Modality::kInPerson) {
      return absl::InvalidArgumentError("modalities: unknown value");
    }
  }
  Staged s;
  for (size_t k = 0; k < p.availability.size(); ++k) {
    if (!IsValidWindow(p.availability[k])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "availability[", k, "]: need day 1..7 and 0 <= start < end <= 1440"));
    }
    s.windows.push_back(PackWindow(p.availability[k]));
  }
  absl::StatusOr<absl::TimeZone> tz = zones->Load(p.time_zone);
  if (!tz.ok()) return tz.status();
  if (auto z = zone_names_.Find(p.time_zone)) {
    s.zone = *z;
  } else {
    s.zone = zone_names_.Intern(p.time_zone);
    zones_.push_back(*tz);
  }
  absl::StatusOr<SlotSet> slots = PlaceWindows(s.windows, s.zone);
  if (!slots.ok()) return slots.status();

  MemberCore& c = s.core;
  c.slots = *slots;
  s.id = p.id;
  std::vector<uint32_t> ids;
  for (const std::string& t : p.triggers) ids.push_back(triggers_.Intern(t));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  c.num_triggers = static_cast<uint8_t>(ids.size());
  s.rare_triggers = FillTagBits(std::move(ids), c.triggers);
  ids.clear();
  for (const std::string& t : p.interests) ids.push_back(interests_.Intern(t));
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  c.num_interests = static_cast<uint8_t>(ids.size());
  s.rare_interests = FillTagBits(std::move(ids), c.interests);

  c.first_language = kNoLanguage;
  for (const std::string& tag : p.languages) {
    const uint32_t l = languages_dict_.Intern(PrimarySubtag(tag));
    if (std::find(s.languages.begin(), s.languages.end(), l) !=
        s.languages.end()) {
      continue;
    }
    s.languages.push_back(l);
    if (c.first_language == kNoLanguage) c.first_language = l;
    if (l < kBitLanguages) {
      c.languages |= uint64_t{1} << l;
    } else {
      s.rare_languages.push_back(l);
    }
  }
  std::sort(s.rare_languages.begin(), s.rare_languages.end());

  int shift = 0;
  for (Modality m : p.modalities) {
    const uint8_t bit = ModalityBit(m);
    if (c.modalities & bit) continue;
    if (c.modalities == 0) c.first_modality = bit;
    c.modalities |= bit;
    s.modality_order |=
        static_cast<uint16_t>(static_cast<unsigned>(m) << shift);
    shift += 2;
  }
  c.region = p.region.empty() ? kNoRegion : regions_.Intern(p.region);
  c.stage = static_cast<uint8_t>(p.recovery_stage);
  c.capacity = static_cast<uint8_t>(p.mentor_capacity);
  uint16_t flags = kFlagLive;
  if (HasRole(p.roles, Role::kMentee)) flags |= kFlagMentee;
  if (HasRole(p.roles, Role::kMentor)) flags |= kFlagMentor;
  if (HasRole(p.roles, Role::kGroupMember)) flags |= kFlagGroupMember;
  if (HasRole(p.roles, Role::kFacilitator)) flags |= kFlagFacilitator;
  if (p.safety_hold) flags |= kFlagSafetyHold;
  if (p.screened) flags |= kFlagScreened;
  if (!s.rare_triggers.empty()) flags |= kFlagRareTriggers;
  if (!s.rare_interests.empty()) flags |= kFlagRareInterests;
  if (!s.rare_languages.empty()) flags |= kFlagRareLanguages;
  c.flags = flags;
  s.blocked = p.blocked;
  std::sort(s.blocked.begin(), s.blocked.end());
  s.blocked.erase(std::unique(s.blocked.begin(), s.blocked.end()),
                  s.blocked.end());
  return s;
}

absl::StatusOr<SlotSet> CompiledPool::PlaceWindows(
    absl::Span<const uint32_t> windows, uint32_t zone) {
  SlotSet slots;
  for (uint32_t packed : windows) {
    const uint64_t key = (uint64_t{zone} << 32) | packed;
    auto it = placements_.find(key);
    if (it == placements_.end()) {
      absl::StatusOr<SlotRun> run =
          PlaceWindow(UnpackWindow(packed), zones_[zone], week_);
      if (!run.ok()) return run.status();
      it = placements_.emplace(key, *run).first;
    }
    if (it->second.count > 0)
      slots.SetCyclic(it->second.first, it->second.count);
  }
  return slots;
}

void CompiledPool::Store(MemberIndex i, Staged s) {
  const uint64_t order = cores_[i].order;
  const uint16_t avoid_flag = cores_[i].flags & kFlagAvoid;
  cores_[i] = s.core;
  cores_[i].order = order;
  cores_[i].flags |= avoid_flag;
  ids_[i] = std::move(s.id);
  rare_triggers_[i] = std::move(s.rare_triggers);
  rare_interests_[i] = std::move(s.rare_interests);
  rare_languages_[i] = std::move(s.rare_languages);
  languages_[i] = std::move(s.languages);
  modality_order_[i] = s.modality_order;
  windows_[i] = std::move(s.windows);
  zone_of_[i] = s.zone;
  blocked_[i] = std::move(s.blocked);
}

MemberIndex CompiledPool::AllocateIndex() {
  if (!free_list_.empty()) {
    const MemberIndex i = free_list_.back();
    free_list_.pop_back();
    return i;
  }
  const MemberIndex i = index_capacity();
  cores_.emplace_back();
  ids_.emplace_back();
  rare_triggers_.emplace_back();
  rare_interests_.emplace_back();
  rare_languages_.emplace_back();
  languages_.emplace_back();
  modality_order_.push_back(0);
  windows_.emplace_back();
  zone_of_.push_back(0);
  blocked_.emplace_back();
  avoid_.emplace_back();
  return i;
}

void CompiledPool::RenumberOrders() {
  for (size_t k = 0; k < by_id_.size(); ++k) {
    cores_[by_id_[k]].order = (k + 1) * kOrderGap;
  }
}

void CompiledPool::AssignOrder(MemberIndex i) {
  const auto pos = std::lower_bound(
      by_id_.begin(), by_id_.end(), ids_[i],
      [this](MemberIndex a, const std::string& id) { return ids_[a] < id; });
  const size_t k = pos - by_id_.begin();
  by_id_.insert(pos, i);
  const uint64_t prev = k > 0 ? cores_[by_id_[k - 1]].order : 0;
  if (k + 1 == by_id_.size()) {
    if (prev <= std::numeric_limits<uint64_t>::max() - kOrderGap) {
      cores_[i].order = prev + kOrderGap;
      return;
    }
  } else {
    const uint64_t next = cores_[by_id_[k + 1]].order;
    if (next - prev >= 2) {
      cores_[i].order = prev + (next - prev) / 2;
      return;
    }
  }
  RenumberOrders();
}

void CompiledPool::LinkBlocked(MemberIndex i) {
  for (const std::string& b : blocked_[i]) blocked_by_[b].push_back(i);
}

void CompiledPool::UnlinkBlocked(MemberIndex i) {
  for (const std::string& b : blocked_[i]) {
    auto it = blocked_by_.find(b);
    if (it == blocked_by_.end()) continue;
    auto& v = it->second;
    v.erase(std::remove(v.begin(), v.end(), i), v.end());
    if (v.empty()) blocked_by_.erase(it);
  }
}

void CompiledPool::SetAvoid(MemberIndex i, std::vector<MemberIndex> avoid) {
  std::sort(avoid.begin(), avoid.end());
  avoid.erase(std::unique(avoid.begin(), avoid.end()), avoid.end());
  avoid.shrink_to_fit();
  avoid_[i] = std::move(avoid);
  if (avoid_[i].empty()) {
    cores_[i].flags &= ~kFlagAvoid;
  } else {
    cores_[i].flags |= kFlagAvoid;
  }
}

void CompiledPool::RecomputeAvoid(MemberIndex i) {
  if (!live(i)) return;
  std::vector<MemberIndex> avoid;
  for (const std::string& b : blocked_[i]) {
    if (auto j = Find(b); j && *j != i) avoid.push_back(*j);
  }
  if (auto it = blocked_by_.find(ids_[i]); it != blocked_by_.end()) {
    for (MemberIndex j : it->second) {
      if (j != i) avoid.push_back(j);
    }
  }
  if (auto it = exclusions_.find(ids_[i]); it != exclusions_.end()) {
    for (const auto& [partner, kinds] : it->second) {
      if (auto j = Find(partner); j && *j != i) avoid.push_back(*j);
    }
  }
  SetAvoid(i, std::move(avoid));
}

void CompiledPool::RecordExclusion(const ExcludedPair& pair) {
  const uint8_t kind = static_cast<uint8_t>(pair.kind);
  for (int dir = 0; dir < 2; ++dir) {
    const std::string& a = dir == 0 ? pair.a : pair.b;
    const std::string& b = dir == 0 ? pair.b : pair.a;
    auto& partners = exclusions_[a];
    auto it = std::find_if(partners.begin(), partners.end(),
                           [&](const auto& x) { return x.first == b; });
    if (it == partners.end()) {
      partners.emplace_back(b, kind);
    } else {
      it->second |= kind;
    }
  }
}

void CompiledPool::AddExclusion(const ExcludedPair& pair) {
  RecordExclusion(pair);
  auto a = Find(pair.a);
  auto b = Find(pair.b);
  if (a && b) {
    RecomputeAvoid(*a);
    RecomputeAvoid(*b);
  }
}

uint8_t CompiledPool::ExclusionKinds(absl::string_view a,
                                     absl::string_view b) const {
  auto it = exclusions_.find(a);
  if (it == exclusions_.end()) return 0;
  for (const auto& [partner, kinds] : it->second) {
    if (partner == b) return kinds;
  }
  return 0;
}

absl::StatusOr<CompiledPool> CompiledPool::Compile(
    absl::Span<const MemberProfile> profiles,
    absl::Span<const ExcludedPair> exclusions, const ReferenceWeek& week,
    TimeZoneCache* zones) {
  CompiledPool pool;
  pool.week_ = week;
  // Input positions in id order; errors name the input position.
  std::vector<size_t> order(profiles.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return profiles[a].id < profiles[b].id;
  });
  for (size_t k = 1; k < order.size(); ++k) {
    if (profiles[order[k]].id == profiles[order[k - 1]].id) {
      return absl::InvalidArgumentError(absl::StrCat(
          "members[", std::max(order[k], order[k - 1]), "].id: duplicate"));
    }
  }
  // Dictionaries by popularity, so that the 256 (64) bit positions hold the
  // most frequent tags (languages).
  absl::flat_hash_map<std::string, int> trigger_counts, interest_counts,
      language_counts;
  for (const MemberProfile& p : profiles) {
    for (const std::string& t : p.triggers) ++trigger_counts[t];
    for (const std::string& t : p.interests) ++interest_counts[t];
    absl::flat_hash_set<std::string> seen;
    for (const std::string& l : p.languages) {
      std::string primary = PrimarySubtag(l);
      if (seen.insert(primary).second) ++language_counts[primary];
    }
  }
  for (const std::string& t : ByPopularity(trigger_counts)) {
    pool.triggers_.Intern(t);
  }
  for (const std::string& t : ByPopularity(interest_counts)) {
    pool.interests_.Intern(t);
  }
  for (const std::string& l : ByPopularity(language_counts)) {
    pool.languages_dict_.Intern(l);
  }

  const size_t n = order.size();
  pool.cores_.reserve(n);
  pool.index_of_.reserve(n);
  pool.by_id_.reserve(n);
  for (size_t k = 0; k < n; ++k) {
    absl::StatusOr<Staged> staged = pool.Stage(profiles[order[k]], zones);
    if (!staged.ok()) {
      return absl::Status(
          staged.status().code(),
          absl::StrCat("members[", order[k], "].", staged.status().message()));
    }
    const MemberIndex i = pool.AllocateIndex();
    pool.index_of_.emplace(staged->id, i);
    pool.by_id_.push_back(i);
    pool.Store(i, *std::move(staged));
    pool.cores_[i].order = (k + 1) * kOrderGap;
    pool.LinkBlocked(i);
  }
  for (const ExcludedPair& e : exclusions) pool.RecordExclusion(e);
  for (MemberIndex i = 0; i < pool.index_capacity(); ++i) {
    pool.RecomputeAvoid(i);
  }
  return pool;
}

absl::StatusOr<MemberIndex> CompiledPool::Upsert(const MemberProfile& profile,
                                                 TimeZoneCache* zones) {
  absl::StatusOr<Staged> staged = Stage(profile, zones);
  if (!staged.ok()) return staged.status();
  std::vector<MemberIndex> touched;
  MemberIndex i;
  if (auto existing = Find(profile.id)) {
    i = *existing;
    touched = avoid_[i];
    UnlinkBlocked(i);
    Store(i, *std::move(staged));
  } else {
    i = AllocateIndex();
    Store(i, *std::move(staged));
    index_of_.emplace(ids_[i], i);
    AssignOrder(i);
  }
  LinkBlocked(i);
  RecomputeAvoid(i);
  touched.insert(touched.end(), avoid_[i].begin(), avoid_[i].end());
  for (MemberIndex j : touched) RecomputeAvoid(j);
  return i;
}

absl::Status CompiledPool::Remove(absl::string_view id) {
  auto it = index_of_.find(id);
  if (it == index_of_.end()) return absl::NotFoundError("member not in pool");
  const MemberIndex i = it->second;
  index_of_.erase(it);
  by_id_.erase(std::find(by_id_.begin(), by_id_.end(), i));
  UnlinkBlocked(i);
  std::vector<MemberIndex> touched = std::move(avoid_[i]);
  cores_[i] = MemberCore{};
  ids_[i].clear();
  ids_[i].shrink_to_fit();
  rare_triggers_[i] = {};
  rare_interests_[i] = {};
  rare_languages_[i] = {};
  languages_[i] = {};
  modality_order_[i] = 0;
  windows_[i] = {};
  blocked_[i] = {};
  avoid_[i] = {};
  free_list_.push_back(i);
  for (MemberIndex j : touched) RecomputeAvoid(j);
  return absl::OkStatus();
}

absl::Status CompiledPool::SetWeek(const ReferenceWeek& week,
                                   TimeZoneCache* zones) {
  const ReferenceWeek old_week = week_;
  auto old_placements = std::move(placements_);
  placements_.clear();
  week_ = week;
  std::vector<SlotSet> slots(cores_.size());
  for (MemberIndex i = 0; i < index_capacity(); ++i) {
    if (!live(i)) continue;
    absl::StatusOr<SlotSet> s = PlaceWindows(windows_[i], zone_of_[i]);
    if (!s.ok()) {
      week_ = old_week;
      placements_ = std::move(old_placements);
      return s.status();
    }
    slots[i] = *s;
  }
  for (MemberIndex i = 0; i < index_capacity(); ++i) cores_[i].slots = slots[i];
  return absl::OkStatus();
}

std::optional<MemberIndex> CompiledPool::Find(absl::string_view id) const {
  auto it = index_of_.find(id);
  if (it == index_of_.end()) return std::nullopt;
  return it->second;
}

std::vector<Modality> CompiledPool::modalities(MemberIndex i) const {
  std::vector<Modality> out;
  for (uint16_t packed = modality_order_[i]; packed != 0; packed >>= 2) {
    out.push_back(static_cast<Modality>(packed & 3));
  }
  return out;
}

bool CompiledPool::Avoids(MemberIndex a, MemberIndex b) const {
  if (!(cores_[a].flags & kFlagAvoid)) return false;
  return std::binary_search(avoid_[a].begin(), avoid_[a].end(), b);
}

bool CompiledPool::HasTrigger(MemberIndex i, uint32_t t) const {
  if (t < kBitTags) return (cores_[i].triggers[t >> 6] >> (t & 63)) & 1;
  return std::binary_search(rare_triggers_[i].begin(), rare_triggers_[i].end(),
                            t);
}

bool CompiledPool::HasInterest(MemberIndex i, uint32_t t) const {
  if (t < kBitTags) return (cores_[i].interests[t >> 6] >> (t & 63)) & 1;
  return std::binary_search(rare_interests_[i].begin(),
                            rare_interests_[i].end(), t);
}

bool CompiledPool::HasLanguage(MemberIndex i, uint32_t l) const {
  if (l < kBitLanguages) return (cores_[i].languages >> l) & 1;
  return std::binary_search(rare_languages_[i].begin(),
                            rare_languages_[i].end(), l);
}

size_t CompiledPool::MemoryBytes() const {
  size_t bytes = sizeof(*this) + VectorBytes(cores_) + VectorBytes(ids_) +
                 VectorBytes(rare_triggers_) + VectorBytes(rare_interests_) +
                 VectorBytes(rare_languages_) + VectorBytes(languages_) +
                 VectorBytes(modality_order_) + VectorBytes(windows_) +
                 VectorBytes(zone_of_) + VectorBytes(blocked_) +
                 VectorBytes(avoid_) + VectorBytes(by_id_) +
                 VectorBytes(free_list_);
  for (MemberIndex i = 0; i < index_capacity(); ++i) {
    bytes += StringHeapBytes(ids_[i]) + VectorBytes(rare_triggers_[i]) +
             VectorBytes(rare_interests_[i]) + VectorBytes(rare_languages_[i]) +
             VectorBytes(windows_[i]) + VectorBytes(blocked_[i]) +
             VectorBytes(avoid_[i]);
    if (languages_[i].size() > 2) bytes += languages_[i].capacity() * 4;
    for (const std::string& b : blocked_[i]) bytes += StringHeapBytes(b);
  }
  // Hash maps: slot array of (key, value) plus one control byte per slot.
  bytes +=
      index_of_.capacity() * (sizeof(std::string) + sizeof(MemberIndex) + 1);
  for (const auto& [id, v] : index_of_) bytes += StringHeapBytes(id);
  bytes += blocked_by_.capacity() *
           (sizeof(std::string) + sizeof(std::vector<MemberIndex>) + 1);
  for (const auto& [id, v] : blocked_by_) {
    bytes += StringHeapBytes(id) + VectorBytes(v);
  }
  bytes += exclusions_.capacity() * (sizeof(std::string) + 24 + 1);
  for (const auto& [id, v] : exclusions_) {
    bytes += StringHeapBytes(id) + VectorBytes(v);
    for (const auto& [p, k] : v) bytes += StringHeapBytes(p);
  }
  bytes += placements_.capacity() * (sizeof(uint64_t) + sizeof(SlotRun) + 1);
  bytes += triggers_.MemoryBytes() + interests_.MemoryBytes() +
           languages_dict_.MemoryBytes() + regions_.MemoryBytes() +
           zone_names_.MemoryBytes() + VectorBytes(zones_);
  return bytes;
}

}  // namespace peermatch::matcher
