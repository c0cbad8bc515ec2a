#include "tests/matcher/random_pool.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"

namespace peermatch::matcher::testing {
namespace {

int Uniform(std::mt19937_64& rng, int lo, int hi) {
  return std::uniform_int_distribution<int>(lo, hi)(rng);
}

bool Chance(std::mt19937_64& rng, double p) {
  return std::uniform_real_distribution<double>(0, 1)(rng) < p;
}

std::vector<std::string> Tags(std::mt19937_64& rng, const char* prefix,
                              int max_count, double rare) {
  std::set<std::string> tags;
  const int n = Uniform(rng, 0, max_count);
  for (int k = 0; k < n; ++k) {
    const int t =
        Chance(rng, rare) ? Uniform(rng, 12, 411) : Uniform(rng, 0, 11);
    tags.insert(absl::StrCat(prefix, t));
  }
  return {tags.begin(), tags.end()};
}

std::string Letters(int k) {
  return std::string{static_cast<char>('a' + k / 26),
                     static_cast<char>('a' + k % 26)};
}

}  // namespace

RandomPool MakeRandomPool(std::mt19937_64& rng,
                          const RandomPoolOptions& options) {
  static const char* const kZones[] = {
      "UTC",          "Europe/Berlin",    "America/New_York",
      "Asia/Tokyo",   "Australia/Sydney", "Asia/Kolkata",
      "Europe/London"};
  static const char* const kLanguages[] = {"en",    "en-US", "EN-gb", "de",
                                           "de-AT", "fr",    "es"};
  RandomPool pool;
  std::set<std::string> ids;
  while (static_cast<int>(ids.size()) < options.members) {
    // Ids of varying length and case, so byte order matters.
    std::string id = absl::StrCat(Chance(rng, 0.5) ? "m" : "M",
                                  Uniform(rng, 0, 5 * options.members));
    if (Chance(rng, 0.2)) id += ".x";
    ids.insert(id);
  }
  std::vector<std::string> id_list(ids.begin(), ids.end());
  std::shuffle(id_list.begin(), id_list.end(), rng);
  for (const std::string& id : id_list) {
    MemberProfile p;
    p.id = id;
    const int role = Uniform(rng, 0, 9);
    p.roles = role < 5   ? RoleBit(Role::kMentee)
              : role < 9 ? RoleBit(Role::kMentor)
                         : RoleBit(Role::kMentee) | RoleBit(Role::kMentor);
    if (Chance(rng, 0.1)) p.roles |= RoleBit(Role::kGroupMember);
    p.triggers = Tags(rng, "t", 6, options.rare_tag_probability);
    p.interests = Tags(rng, "i", 6, options.rare_tag_probability);
    p.recovery_stage = HasRole(p.roles, Role::kMentor) ? Uniform(rng, 3, 5)
                                                       : Uniform(rng, 1, 4);
    // Mostly European zones, so that many pairs overlap; some far away.
    p.time_zone =
        kZones[Chance(rng, 0.7) ? Uniform(rng, 0, 1) : Uniform(rng, 0, 6)];
    const int windows = Uniform(rng, 0, 4);
    for (int k = 0; k < windows; ++k) {
      const int start = Uniform(rng, 0, 1380);
      p.availability.push_back({Uniform(rng, 1, 3), start,
                                std::min(1440, start + Uniform(rng, 1, 720))});
    }
    const int languages = Uniform(rng, 1, 3);
    for (int k = 0; k < languages; ++k) {
      p.languages.push_back(
          Chance(rng, options.rare_language_probability)
              ? Letters(Uniform(rng, 100, 199))
              : kLanguages[Chance(rng, 0.6) ? Uniform(rng, 0, 2)
                                            : Uniform(rng, 0, 6)]);
    }
    std::vector<Modality> mods = {Modality::kText, Modality::kVideo,
                                  Modality::kInPerson};
    std::shuffle(mods.begin(), mods.end(), rng);
    mods.resize(Uniform(rng, 1, 3));
    p.modalities = mods;
    const bool in_person =
        std::find(mods.begin(), mods.end(), Modality::kInPerson) != mods.end();
    if (in_person || Chance(rng, 0.3)) {
      p.region = Chance(rng, 0.5) ? "north" : "south";
    }
    p.mentor_capacity = Uniform(rng, 0, 4);
    if (Chance(rng, 0.1)) {
      p.blocked.push_back(id_list[Uniform(rng, 0, options.members - 1)]);
    }
    if (Chance(rng, 0.05)) p.blocked.push_back("not-in-pool");
    p.safety_hold = Chance(rng, 0.05);
    p.screened = Chance(rng, 0.85);
    pool.members.push_back(std::move(p));
  }
  const int excluded = Uniform(rng, 0, options.members / 8);
  for (int k = 0; k < excluded; ++k) {
    pool.exclusions.push_back(
        {id_list[Uniform(rng, 0, options.members - 1)],
         id_list[Uniform(rng, 0, options.members - 1)],
         Chance(rng, 0.5) ? PairExclusion::kDeclined : PairExclusion::kEnded});
  }
  if (options.random_settings) {
    PoolSettings& s = pool.settings;
    auto weight = [&rng]() {
      return Chance(rng, 0.2) ? 0.0 : Uniform(rng, 1, 100) / 100.0;
    };
    for (ScoreWeights* w : {&s.mentee_weights, &s.mentor_weights}) {
      *w = {weight(), weight(), weight(), weight(), weight(), weight()};
      if (w->triggers == 0 && w->interests == 0 && w->stage == 0 &&
          w->availability == 0 && w->modality == 0 && w->language == 0) {
        w->stage = 0.5;
      }
    }
    s.mentor_min_stage = Uniform(rng, 3, 5);
    s.min_stage_gap = Uniform(rng, -1, 2);
    s.ideal_stage_gap = Uniform(rng, -1, 3);
    s.min_overlap_minutes = Uniform(rng, 0, 4) * 30;
    s.target_overlap_minutes = Uniform(rng, 1, 16) * 15;
    s.require_screening = Chance(rng, 0.3);
    s.min_score = Chance(rng, 0.5) ? 0.0 : Uniform(rng, 0, 60) / 100.0;
  }
  return pool;
}

}  // namespace peermatch::matcher::testing
