// The matcher's view of a member and of a pool's settings, in plain C++.
//
//   MemberProfile p;
//   p.id = "m-17";
//   p.roles = RoleBit(Role::kMentor);
//   p.triggers = {"phone-calls"};
//   p.recovery_stage = 5;
//   p.time_zone = "Europe/Berlin";
//   p.availability = {{/*day=*/1, /*start=*/18 * 60, /*end=*/21 * 60}};
//   p.languages = {"de-DE", "en"};
//   p.modalities = {Modality::kVideo};
//
// These types are the boundary of the matcher library: string ids, tags and
// IANA zone names. Inside, algorithms work on dense indices (see
// compiled_pool.h). Profiles are assumed to be *validated and normalized*
// already (SPEC §2: tags lowercased, trimmed, deduplicated; limits checked);
// the service and the CLI do that before handing profiles over.
//
// Field names follow SPEC §2 so a reader can map them one to one.
#ifndef PEERMATCH_MATCHER_PROFILE_H_
#define PEERMATCH_MATCHER_PROFILE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace peermatch::matcher {

// Numbers as in the API (SPEC §2).
enum class Role : uint8_t {
  kMentee = 1,
  kMentor = 2,
  kGroupMember = 3,
  kFacilitator = 4,
};

enum class Modality : uint8_t {
  kText = 1,
  kVideo = 2,
  kInPerson = 3,
};

// A bit set of roles: bit (1 << role number).
using RoleSet = uint8_t;
constexpr RoleSet RoleBit(Role r) {
  return static_cast<RoleSet>(1u << static_cast<unsigned>(r));
}
constexpr bool HasRole(RoleSet set, Role r) { return (set & RoleBit(r)) != 0; }

// A weekly window `[start_minute, end_minute)` on `day` (1 = Monday ..
// 7 = Sunday) in the member's own time zone; 0 <= start < end <= 1440.
struct Window {
  int day = 1;
  int start_minute = 0;
  int end_minute = 0;
};

struct MemberProfile {
  std::string id;
  RoleSet roles = 0;
  std::vector<std::string> triggers;   // normalized tags
  std::vector<std::string> interests;  // normalized tags
  int recovery_stage = 1;              // 1..5
  std::vector<Window> availability;
  std::string time_zone = "UTC";       // IANA name that loads
  std::vector<std::string> languages;  // BCP-47, in order of preference
  std::vector<Modality> modalities;    // in order of preference
  std::string region;
  int mentor_capacity = 0;           // 0..20
  std::vector<std::string> blocked;  // member ids
  bool safety_hold = false;
  bool screened = false;
};

// Component weights of one view, in the SPEC's pinned summation order.
struct ScoreWeights {
  double triggers = 0;
  double interests = 0;
  double stage = 0;
  double availability = 0;
  double modality = 0;
  double language = 0;
};

// SPEC §3 defaults.
constexpr ScoreWeights kDefaultMenteeWeights{0.35, 0.20, 0.15,
                                             0.15, 0.10, 0.05};
constexpr ScoreWeights kDefaultMentorWeights{0.30, 0.30, 0.20, 0.20, 0.0, 0.0};

struct AffinityWeights {
  double triggers = 0.4;
  double interests = 0.4;
  double stage = 0.2;
};

// Every pool setting the matcher reads, with the SPEC's defaults. The service
// validates ranges before building one of these.
struct PoolSettings {
  ScoreWeights mentee_weights = kDefaultMenteeWeights;
  ScoreWeights mentor_weights = kDefaultMentorWeights;
  int mentor_min_stage = 4;
  int min_stage_gap = 1;
  int ideal_stage_gap = 2;
  int min_overlap_minutes = 60;
  int target_overlap_minutes = 180;
  double min_score = 0.0;
  bool require_screening = false;

  // Groups (SPEC §5).
  int min_size = 4;
  int max_size = 8;
  int target_size = 6;
  bool require_facilitator = true;
  int facilitator_min_stage = 4;
  int max_stage_spread = 2;
  int session_minutes = 90;
  AffinityWeights affinity_weights;
  double churn_weight = 0.1;
};

}  // namespace peermatch::matcher

#endif  // PEERMATCH_MATCHER_PROFILE_H_
