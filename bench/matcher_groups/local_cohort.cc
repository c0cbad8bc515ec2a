#include "bench/matcher_groups/local_cohort.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

namespace peermatch::bench {
namespace {

using matcher::Modality;
using matcher::Role;
using matcher::RoleBit;

// SplitMix64 with our own range mapping: the same cohort on every platform.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int Uniform(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Chance(double p) { return (Next() >> 11) * 0x1.0p-53 < p; }
  // Index in [0, n) with probability ~ 1 / (index + 1).
  int Zipf(int n) {
    const double h = std::log(n + 1.0);
    const double u = (Next() >> 11) * 0x1.0p-53;
    const int k = static_cast<int>(std::exp(u * h)) - 1;
    return k < 0 ? 0 : (k >= n ? n - 1 : k);
  }

 private:
  uint64_t state_;
};

struct Region {
  const char* name;
  int utc_offset_hours;
  std::vector<std::string> languages;
};

void AddLocalBlock(matcher::SlotSet& slots, int day, int start_hour, int hours,
                   int offset_hours) {
  const int local = (day - 1) * 1440 + start_hour * 60;
  const int utc = ((local - offset_hours * 60) % matcher::kMinutesPerWeek +
                   matcher::kMinutesPerWeek) %
                  matcher::kMinutesPerWeek;
  slots.SetCyclic(utc / matcher::kSlotMinutes,
                  hours * 60 / matcher::kSlotMinutes);
}

}  // namespace

GroupCohort LocalGroupCohort(uint64_t seed, int members) {
  static const Region kRegions[] = {
      {"us-east", -5, {"en-US"}}, {"uk", 0, {"en-GB"}},
      {"de", 1, {"de-DE", "en"}}, {"jp", 9, {"ja-JP"}},
      {"au", 10, {"en-AU"}},
  };
  static const int kRegionWeights[] = {35, 20, 20, 10, 15};
  static const int kStageWeights[] = {20, 25, 25, 18, 12};
  Rng rng(seed);
  std::vector<int> ids(members);
  for (int i = 0; i < members; ++i) ids[i] = i;
  for (int i = members - 1; i > 0; --i)
    std::swap(ids[i], ids[rng.Uniform(0, i)]);

  GroupCohort c;
  c.members.resize(members);
  c.slots.resize(members);
  for (int i = 0; i < members; ++i) {
    matcher::MemberProfile& p = c.members[i];
    char id[16];
    std::snprintf(id, sizeof id, "g%06d", ids[i]);
    p.id = id;
    p.roles = RoleBit(Role::kGroupMember);
    if (rng.Chance(0.12)) p.roles |= RoleBit(Role::kFacilitator);
    int r = rng.Uniform(0, 99), region = 0;
    while (r >= kRegionWeights[region]) r -= kRegionWeights[region++];
    int st = rng.Uniform(0, 99), stage = 0;
    while (st >= kStageWeights[stage]) st -= kStageWeights[stage++];
    p.recovery_stage = stage + 1;
    const Region& reg = kRegions[region];
    p.languages = reg.languages;
    if (region == 3 && rng.Chance(0.3)) p.languages.push_back("en");
    if (rng.Chance(0.75)) p.modalities.push_back(Modality::kVideo);
    if (rng.Chance(0.5)) p.modalities.push_back(Modality::kText);
    if (rng.Chance(0.2)) {
      p.modalities.push_back(Modality::kInPerson);
      p.region = std::string(reg.name) + "-city" + std::to_string(rng.Zipf(3));
    }
    if (p.modalities.empty()) p.modalities.push_back(Modality::kVideo);
    const int triggers = rng.Uniform(1, 4);
    for (int t = 0; t < triggers; ++t) {
      p.triggers.push_back("trigger-" + std::to_string(rng.Zipf(40)));
    }
    const int interests = rng.Uniform(2, 5);
    for (int t = 0; t < interests; ++t) {
      p.interests.push_back("interest-" + std::to_string(rng.Zipf(60)));
    }
    for (auto* tags : {&p.triggers, &p.interests}) {
      std::sort(tags->begin(), tags->end());
      tags->erase(std::unique(tags->begin(), tags->end()), tags->end());
    }
    p.safety_hold = rng.Chance(0.01);
    p.screened = rng.Chance(0.95);
    const int evenings = rng.Uniform(2, 4);
    for (int e = 0; e < evenings; ++e) {
      AddLocalBlock(c.slots[i], rng.Uniform(1, 5), rng.Uniform(17, 20),
                    rng.Uniform(2, 3), reg.utc_offset_hours);
    }
    if (rng.Chance(0.5)) {
      AddLocalBlock(c.slots[i], rng.Uniform(6, 7), rng.Uniform(13, 15),
                    rng.Uniform(2, 4), reg.utc_offset_hours);
    }
  }
  for (int i = 0; i < members; ++i) {
    if (rng.Chance(0.01)) {
      c.members[i].blocked.push_back(c.members[rng.Uniform(0, members - 1)].id);
    }
  }
  return c;
}

}  // namespace peermatch::bench
