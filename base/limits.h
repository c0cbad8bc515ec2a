// The input limits of SPEC §2, §8 and §9 (R-MEMBER, R-API, R-SEC "every input
// is bounded"), stated once. Validation in the API layer, the store's own
// bounds checks and the matcher's Compile all read them from here.
#ifndef PEERMATCH_BASE_LIMITS_H_
#define PEERMATCH_BASE_LIMITS_H_

namespace peermatch::base {

// Ids (ids.h).
inline constexpr int kMaxPoolIdLength = 63;
inline constexpr int kMaxMemberIdLength = 128;

// A member (SPEC §2).
inline constexpr int kMaxTags = 32;  // triggers, interests: each
inline constexpr int kMaxTagLength = 48;
inline constexpr int kMaxWindows = 42;
inline constexpr int kMaxTimeZoneLength = 64;
inline constexpr int kMaxLanguages = 8;
inline constexpr int kMaxLanguageTagLength = 35;
inline constexpr int kMaxRegionLength = 64;
inline constexpr int kMinStage = 1;
inline constexpr int kMaxStage = 5;
inline constexpr int kMaxMentorCapacity = 20;
inline constexpr int kMaxBlocked = 256;
inline constexpr int kMinutesPerDay = 1440;

// Calls (SPEC §8).
inline constexpr int kMaxBatchSize = 1000;  // members per batch upsert
inline constexpr int kMaxPageSize = 1000;
inline constexpr int kDefaultPageSize = 100;
inline constexpr int kMaxPageTokenLength = 512;
inline constexpr int kMaxRecommendations = 50;

}  // namespace peermatch::base

#endif  // PEERMATCH_BASE_LIMITS_H_
