#include "bench/generator/cohort.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace peermatch::bench {
namespace {

using matcher::MemberProfile;
using matcher::Modality;
using matcher::Role;
using matcher::RoleBit;

// Platform-independent draws on top of mt19937_64 (whose sequence the C++
// standard fixes; the std distributions it leaves to the library).
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  double Unit() { return static_cast<double>(engine_() >> 11) * 0x1p-53; }
  int Int(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(Unit() * (hi - lo + 1));
  }
  bool Chance(double p) { return Unit() < p; }
  template <typename T>
  void Shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) {
      std::swap(v[i - 1],
                v[static_cast<size_t>(Int(0, static_cast<int>(i) - 1))]);
    }
  }

 private:
  std::mt19937_64 engine_;
};

// Draws indices with probability proportional to 1 / (rank + 1)^exponent.
class Zipf {
 public:
  Zipf(int n, double exponent) : cdf_(n) {
    double total = 0;
    for (int k = 0; k < n; ++k) {
      total += 1.0 / std::pow(k + 1, exponent);
      cdf_[k] = total;
    }
    for (double& c : cdf_) c /= total;
  }
  int Draw(Rng& rng) const {
    const double u = rng.Unit();
    return static_cast<int>(std::upper_bound(cdf_.begin(), cdf_.end() - 1, u) -
                            cdf_.begin());
  }

 private:
  std::vector<double> cdf_;
};

constexpr const char* kNamedTriggers[] = {"phone-calls",
                                          "eating-in-public",
                                          "speaking-in-groups",
                                          "small-talk",
                                          "eye-contact",
                                          "job-interviews",
                                          "parties",
                                          "dating",
                                          "public-transport",
                                          "shopping",
                                          "making-complaints",
                                          "asking-for-help",
                                          "being-watched",
                                          "meeting-strangers",
                                          "video-calls",
                                          "presentations",
                                          "authority-figures",
                                          "saying-no",
                                          "crowds",
                                          "restaurants",
                                          "gym",
                                          "doctor-visits",
                                          "team-meetings",
                                          "networking",
                                          "family-gatherings",
                                          "classrooms",
                                          "public-speaking",
                                          "online-posting",
                                          "texting-back",
                                          "ordering-food",
                                          "returning-items",
                                          "waiting-rooms",
                                          "being-late",
                                          "conflict",
                                          "compliments",
                                          "criticism",
                                          "first-days",
                                          "hair-salons",
                                          "neighbours",
                                          "landlords",
                                          "sports",
                                          "weddings",
                                          "queues",
                                          "elevators",
                                          "open-offices",
                                          "social-media",
                                          "photos",
                                          "online-interviews"};
constexpr int kTriggerVocabulary = 400;

constexpr const char* kNamedInterests[] = {
    "hiking",      "board-games", "reading",      "cooking",      "gardening",
    "music",       "films",       "photography",  "running",      "yoga",
    "video-games", "drawing",     "knitting",     "cycling",      "swimming",
    "chess",       "podcasts",    "travel",       "baking",       "writing",
    "dogs",        "cats",        "birdwatching", "climbing",     "anime",
    "football",    "basketball",  "tea",          "coffee",       "museums",
    "theatre",     "history",     "science",      "coding",       "languages",
    "meditation",  "fishing",     "camping",      "crafts",       "dancing",
    "singing",     "guitar",      "piano",        "volunteering", "fashion",
    "puzzles",     "astronomy",   "cars",         "diy",          "comics"};
constexpr int kInterestVocabulary = 300;

struct Place {
  const char* zone;
  double weight;
  const char* language;  // the local language
  // Further languages and how likely a member speaks them.
  std::vector<std::pair<const char*, double>> extra_languages;
  std::vector<const char*> regions;
};

const std::vector<Place>& Places() {
  static const auto* places = new std::vector<Place>{
      {"Europe/Berlin",
       0.20,
       "de-DE",
       {{"en", 0.6}},
       {"berlin", "hamburg", "munich"}},
      {"America/New_York",
       0.17,
       "en-US",
       {{"es-US", 0.15}},
       {"new-york", "boston", "philadelphia"}},
      {"Europe/London",
       0.11,
       "en-GB",
       {{"pl", 0.05}},
       {"london", "manchester"}},
      {"America/Los_Angeles",
       0.09,
       "en-US",
       {{"es", 0.25}},
       {"los-angeles", "san-francisco"}},
      {"Australia/Sydney", 0.08, "en-AU", {}, {"sydney", "melbourne"}},
      {"Asia/Tokyo", 0.07, "ja-JP", {{"en", 0.35}}, {"tokyo", "osaka"}},
      {"Europe/Paris", 0.06, "fr-FR", {{"en", 0.5}}, {"paris", "lyon"}},
      {"Asia/Kolkata", 0.05, "en-IN", {{"hi-IN", 0.6}}, {"mumbai", "delhi"}},
      {"America/Sao_Paulo",
       0.05,
       "pt-BR",
       {{"es", 0.2}, {"en", 0.3}},
       {"sao-paulo"}},
      {"UTC", 0.04, "en", {{"fr", 0.2}, {"de", 0.2}}, {"online-hub"}},
      {"America/Chicago", 0.03, "en-US", {{"es", 0.2}}, {"chicago"}},
      {"Pacific/Auckland", 0.02, "en-NZ", {{"mi", 0.1}}, {"auckland"}},
      {"Asia/Kathmandu", 0.01, "ne-NP", {{"en", 0.8}}, {"kathmandu"}},
      {"America/St_Johns", 0.02, "en-CA", {{"fr-CA", 0.2}}, {"st-johns"}},
  };
  return *places;
}

const Place& DrawPlace(Rng& rng) {
  double u = rng.Unit();
  double total = 0;
  for (const Place& p : Places()) total += p.weight;
  u *= total;
  for (const Place& p : Places()) {
    if (u < p.weight) return p;
    u -= p.weight;
  }
  return Places().back();
}

std::string TagName(const char* const* named, int named_count,
                    const char* prefix, int k) {
  return k < named_count ? std::string(named[k]) : absl::StrCat(prefix, k);
}

std::vector<std::string> DrawTags(Rng& rng, const Zipf& zipf, int count,
                                  const char* const* named, int named_count,
                                  const char* prefix) {
  std::vector<int> ids;
  for (int tries = 0; static_cast<int>(ids.size()) < count && tries < 8 * count;
       ++tries) {
    const int k = zipf.Draw(rng);
    if (std::find(ids.begin(), ids.end(), k) == ids.end()) ids.push_back(k);
  }
  std::vector<std::string> tags;
  for (int k : ids) tags.push_back(TagName(named, named_count, prefix, k));
  std::sort(tags.begin(), tags.end());
  return tags;
}

// Evening blocks on weekdays, weekend afternoons, sometimes a lunch hour or a
// late evening that runs past midnight (given as two windows, SPEC §2).
std::vector<matcher::Window> DrawAvailability(Rng& rng) {
  std::vector<matcher::Window> windows;
  std::vector<int> weekdays = {1, 2, 3, 4, 5};
  rng.Shuffle(weekdays);
  const int evenings = rng.Int(1, 4);
  for (int k = 0; k < evenings; ++k) {
    int start = 17 * 60 + 30 * rng.Int(0, 7);  // 17:00 .. 20:30
    if (rng.Chance(0.1)) start += rng.Int(1, 25);
    const int end = std::min(1440, start + 30 * rng.Int(2, 8));
    windows.push_back({weekdays[k], start, end});
  }
  if (rng.Chance(0.5)) {
    const int start = 13 * 60 + 60 * rng.Int(0, 3);
    windows.push_back({rng.Int(6, 7), start, start + 60 * rng.Int(1, 4)});
  }
  if (rng.Chance(0.1)) windows.push_back({weekdays[4], 12 * 60, 13 * 60});
  if (rng.Chance(0.05)) {
    const int day = rng.Int(1, 6);
    windows.push_back({day, 22 * 60, 1440});
    windows.push_back({day + 1, 0, 60});
  }
  return windows;
}

std::vector<Modality> DrawModalities(Rng& rng, bool* in_person) {
  std::vector<Modality> mods;
  if (rng.Chance(0.75)) mods.push_back(Modality::kText);
  if (rng.Chance(0.70)) mods.push_back(Modality::kVideo);
  if (rng.Chance(0.25)) mods.push_back(Modality::kInPerson);
  if (mods.empty()) mods.push_back(Modality::kVideo);
  rng.Shuffle(mods);
  *in_person =
      std::find(mods.begin(), mods.end(), Modality::kInPerson) != mods.end();
  return mods;
}

int DrawStage(Rng& rng, const double (&weights)[5]) {
  double u = rng.Unit();
  for (int s = 0; s < 5; ++s) {
    if (u < weights[s]) return s + 1;
    u -= weights[s];
  }
  return 5;
}

}  // namespace

std::vector<MemberProfile> GenerateCohort(const CohortOptions& o) {
  Rng rng(o.seed);
  const Zipf trigger_zipf(kTriggerVocabulary, 1.0);
  const Zipf interest_zipf(kInterestVocabulary, 1.0);
  const int n = o.mentees + o.mentors + o.group_members;
  std::vector<int> numbers(n);
  for (int i = 0; i < n; ++i) numbers[i] = i;
  rng.Shuffle(numbers);

  static constexpr double kMenteeStages[5] = {0.20, 0.35, 0.30, 0.15, 0};
  static constexpr double kMentorStages[5] = {0, 0, 0.05, 0.50, 0.45};
  static constexpr double kGroupStages[5] = {0.15, 0.25, 0.25, 0.2, 0.15};
  constexpr int kNamedTriggerCount = std::size(kNamedTriggers);
  constexpr int kNamedInterestCount = std::size(kNamedInterests);

  std::vector<MemberProfile> members;
  members.reserve(n);
  for (int i = 0; i < n; ++i) {
    MemberProfile p;
    p.id = absl::StrFormat("u%07d", numbers[i]);
    const bool mentee = i < o.mentees;
    const bool mentor = !mentee && i < o.mentees + o.mentors;
    if (mentee) {
      p.roles = RoleBit(Role::kMentee);
      if (rng.Chance(0.1)) p.roles |= RoleBit(Role::kGroupMember);
      p.recovery_stage = DrawStage(rng, kMenteeStages);
    } else if (mentor) {
      p.roles = RoleBit(Role::kMentor);
      if (rng.Chance(0.15)) p.roles |= RoleBit(Role::kFacilitator);
      p.recovery_stage = DrawStage(rng, kMentorStages);
      p.mentor_capacity = rng.Int(o.min_capacity, o.max_capacity);
    } else {
      p.roles = RoleBit(Role::kGroupMember);
      if (rng.Chance(0.1)) p.roles |= RoleBit(Role::kFacilitator);
      p.recovery_stage = DrawStage(rng, kGroupStages);
    }
    p.triggers =
        DrawTags(rng, trigger_zipf, mentor ? rng.Int(3, 10) : rng.Int(1, 6),
                 kNamedTriggers, kNamedTriggerCount, "trigger-");
    p.interests = DrawTags(rng, interest_zipf, rng.Int(2, 8), kNamedInterests,
                           kNamedInterestCount, "interest-");
    const Place& place = DrawPlace(rng);
    p.time_zone = place.zone;
    p.languages = {place.language};
    for (const auto& [language, probability] : place.extra_languages) {
      if (rng.Chance(probability)) p.languages.push_back(language);
    }
    if (p.languages.size() > 1 && rng.Chance(0.3)) {
      std::swap(p.languages[0], p.languages[1]);
    }
    bool in_person = false;
    p.modalities = DrawModalities(rng, &in_person);
    if (in_person || rng.Chance(0.2)) {
      p.region =
          place.regions[rng.Int(0, static_cast<int>(place.regions.size()) - 1)];
    }
    p.availability = DrawAvailability(rng);
    p.safety_hold = rng.Chance(o.safety_hold_fraction);
    p.screened = rng.Chance(o.screened_fraction);
    if (rng.Chance(o.blocking_fraction) && n > 1) {
      const int blocked = rng.Int(1, 2);
      for (int k = 0; k < blocked; ++k) {
        const int other = rng.Int(0, n - 1);
        if (other != i)
          p.blocked.push_back(absl::StrFormat("u%07d", numbers[other]));
      }
    }
    members.push_back(std::move(p));
  }
  return members;
}

}  // namespace peermatch::bench
