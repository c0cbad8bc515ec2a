// The store as the layers above see it: one abstract interface per record
// kind, implemented by the Redis repositories (member_repository.h,
// match_repository.h, group_repository.h, settings_repository.h) and by
// fakes in unit tests of the core use cases (tests/core/fake_stores.h).
//
//   store::MemberRepository members(&redis);       // a store::MemberStore
//   core::Members use_cases(&members, &snapshots, &groups);
//
// Each method's contract is the repository's; the interfaces only name
// what the core layer calls, so a fake has nothing more to implement. No
// proto or gRPC type appears here or in anything it includes.
#ifndef PEERMATCH_SERVICE_STORE_STORES_H_
#define PEERMATCH_SERVICE_STORE_STORES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "service/store/change_feed.h"
#include "service/store/group_types.h"
#include "service/store/match_types.h"
#include "service/store/member_types.h"
#include "service/store/record_codec.h"

namespace peermatch::store {

class MemberStore {
 public:
  virtual ~MemberStore() = default;
  virtual absl::StatusOr<UpsertResult> Upsert(absl::string_view pool,
                                              const MemberWrite& write,
                                              absl::Time deadline) = 0;
  virtual absl::StatusOr<std::vector<absl::StatusOr<UpsertResult>>> BatchUpsert(
      absl::string_view pool, absl::Span<const MemberWrite> writes,
      absl::Time deadline) = 0;
  virtual absl::StatusOr<MemberRecord> Get(absl::string_view pool,
                                           absl::string_view id,
                                           absl::Time deadline) = 0;
  virtual absl::StatusOr<MemberPage> List(absl::string_view pool, int page_size,
                                          absl::string_view after_id,
                                          absl::Time deadline) = 0;
  virtual absl::StatusOr<DeleteResult> Delete(absl::string_view pool,
                                              absl::string_view id,
                                              const DeleteOptions& options,
                                              absl::Time deadline) = 0;
  virtual absl::StatusOr<PoolLoad> LoadAll(absl::string_view pool,
                                           absl::Time deadline) = 0;
  // A pool is known once a member or its settings were written.
  virtual absl::StatusOr<bool> PoolExists(absl::string_view pool,
                                          absl::Time deadline) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ListPools(
      absl::Time deadline) = 0;
};

class MatchStore {
 public:
  virtual ~MatchStore() = default;
  virtual absl::StatusOr<CommitResult> CommitProposals(absl::string_view pool,
                                                       const CommitSpec& spec,
                                                       absl::Time deadline) = 0;
  virtual absl::StatusOr<int> Publish(absl::string_view pool,
                                      const std::vector<std::string>& ids,
                                      const std::string& actor,
                                      absl::Time deadline) = 0;
  virtual absl::StatusOr<int> Discard(absl::string_view pool,
                                      const std::vector<std::string>& ids,
                                      const std::string& actor,
                                      absl::Time deadline) = 0;
  virtual absl::StatusOr<MatchRecord> Transition(absl::string_view pool,
                                                 absl::string_view match_id,
                                                 const TransitionSpec& spec,
                                                 absl::Time deadline) = 0;
  virtual absl::StatusOr<MatchRecord> CreateManual(
      absl::string_view pool, const Proposal& pair,
      const MentorCapacity& mentor, bool override, const std::string& reason,
      const std::string& actor, absl::Time deadline) = 0;
  virtual absl::StatusOr<int> ExpireDue(absl::string_view pool, int limit,
                                        absl::Time deadline) = 0;
  virtual absl::StatusOr<MatchRecord> Get(absl::string_view pool,
                                          absl::string_view match_id,
                                          absl::Time deadline) = 0;
  virtual absl::StatusOr<LiveCounts> CountLive(absl::string_view pool,
                                               absl::Time deadline) = 0;
  virtual absl::StatusOr<MatchPage> List(absl::string_view pool,
                                         absl::string_view member,
                                         const std::vector<MatchState>& states,
                                         int page_size, int64_t offset,
                                         absl::Time deadline) = 0;
  virtual absl::StatusOr<MatchStateLoad> LoadState(absl::string_view pool,
                                                   absl::Time deadline) = 0;
};

class GroupStore {
 public:
  virtual ~GroupStore() = default;
  virtual absl::StatusOr<std::vector<std::string>> Apply(
      absl::string_view pool, const GroupChangeSet& changes,
      absl::Time deadline) = 0;
  virtual absl::StatusOr<GroupSnapshot> LoadLive(absl::string_view pool,
                                                 absl::Time deadline) = 0;
  virtual absl::StatusOr<GroupRecord> Get(absl::string_view pool,
                                          absl::string_view group_id,
                                          absl::Time deadline) = 0;
  virtual absl::StatusOr<std::optional<std::string>> GroupOf(
      absl::string_view pool, absl::string_view member,
      absl::Time deadline) = 0;
  virtual absl::StatusOr<GroupPage> List(absl::string_view pool,
                                         const std::vector<GroupState>& states,
                                         int page_size, int64_t offset,
                                         absl::Time deadline) = 0;
};

struct SettingsRecord {
  PoolConfig config;
  int64_t version = 0;
  absl::Time update_time;
};

class SettingsStore {
 public:
  virtual ~SettingsStore() = default;
  // nullopt when the pool never had settings written.
  virtual absl::StatusOr<std::optional<SettingsRecord>> Get(
      absl::string_view pool, absl::Time deadline) = 0;
  virtual absl::StatusOr<int64_t> Put(absl::string_view pool,
                                      const PoolConfig& config,
                                      std::optional<int64_t> expected_version,
                                      absl::string_view actor,
                                      absl::Time deadline) = 0;
};

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_STORES_H_
