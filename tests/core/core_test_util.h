// Members and a fixture for unit tests of the core use cases: fake stores
// (fake_stores.h) and a PoolSnapshots over them whose feed tailer never
// starts, so every snapshot change a test sees is one the use case made.
#ifndef PEERMATCH_TESTS_CORE_CORE_TEST_UTIL_H_
#define PEERMATCH_TESTS_CORE_CORE_TEST_UTIL_H_

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "matcher/profile.h"
#include "service/snapshot/pool_snapshots.h"
#include "tests/core/fake_stores.h"

namespace peermatch::testing {

inline constexpr char kPool[] = "p1";

// Everyone speaks en, meets by text and is free all of Monday (UTC), so
// every mentee-mentor pair passes the hard constraints unless a test says
// otherwise.
inline matcher::MemberProfile Person(const std::string& id, matcher::Role role,
                                     int stage) {
  matcher::MemberProfile p;
  p.id = id;
  p.roles = matcher::RoleBit(role);
  p.recovery_stage = stage;
  p.availability = {{1, 0, 1440}};
  p.languages = {"en"};
  p.modalities = {matcher::Modality::kText};
  p.screened = true;
  return p;
}
inline matcher::MemberProfile Mentee(const std::string& id, int stage = 2) {
  return Person(id, matcher::Role::kMentee, stage);
}
inline matcher::MemberProfile Mentor(const std::string& id, int capacity,
                                     int stage = 4) {
  matcher::MemberProfile p = Person(id, matcher::Role::kMentor, stage);
  p.mentor_capacity = capacity;
  return p;
}

inline absl::Time Soon() { return absl::Now() + absl::Seconds(30); }

class CoreTest : public ::testing::Test {
 protected:
  CoreTest() {
    snapshot::Sources sources;
    sources.members = &members_;
    sources.settings = &settings_;
    sources.matches = &matches_;
    snapshots_ =
        std::make_unique<snapshot::PoolSnapshots>(sources, snapshot::Options{});
  }

  // Stores a member directly (as another replica would), not through core.
  void Store(const matcher::MemberProfile& p) {
    ASSERT_TRUE(members_.Upsert(kPool, {p, std::nullopt}, Soon()).ok());
  }

  FakeMemberStore members_;
  FakeMatchStore matches_;
  FakeGroupStore groups_;
  FakeSettingsStore settings_;
  std::unique_ptr<snapshot::PoolSnapshots> snapshots_;
};

}  // namespace peermatch::testing

#endif  // PEERMATCH_TESTS_CORE_CORE_TEST_UTIL_H_
