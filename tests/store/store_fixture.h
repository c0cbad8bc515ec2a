// A parameterized fixture that runs store tests against a real standalone
// redis-server and against a real 3-master Redis Cluster (R-TEST), with
// inspection helpers that go through the harness (hiredis), not through the
// code under test.
#ifndef PEERMATCH_TESTS_STORE_STORE_FIXTURE_H_
#define PEERMATCH_TESTS_STORE_STORE_FIXTURE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gtest/gtest.h"
#include "service/store/member_repository.h"
#include "service/store/redis_client.h"
#include "tests/support/redis_server.h"

namespace peermatch::store {

enum class Backend { kStandalone, kCluster };

std::string BackendName(const ::testing::TestParamInfo<Backend>& info);

// A member whose content is told apart by `tag` (kept in the region, a free
// string the store keeps as given), blocking `blocked`.
inline MemberWrite TestMember(std::string id, std::string tag = "",
                              std::vector<std::string> blocked = {},
                              std::optional<int64_t> expected = std::nullopt) {
  MemberWrite w;
  w.profile.id = std::move(id);
  w.profile.region = std::move(tag);
  w.profile.blocked = std::move(blocked);
  w.expected_version = expected;
  return w;
}

class StoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override;

  bool cluster() const { return GetParam() == Backend::kCluster; }
  // A new client (own connections) to the backend.
  absl::StatusOr<std::unique_ptr<RedisClient>> NewClient();
  // Every server process of the backend.
  std::vector<testing::RedisServer*> Nodes();
  // Runs `args` on the node holding `key`'s slot.
  absl::StatusOr<testing::TestReply> Inspect(
      absl::string_view key, const std::vector<std::string>& args);
  // Every key on every node matching the SCAN pattern.
  std::vector<std::string> ScanAll(absl::string_view pattern);

  // A key's contents read through the harness according to its TYPE.
  struct KeyContents {
    std::string type;  // "hash", "set", "zset", "string", "stream", "none"
    // hash: field, value, ...; zset: member, score, ...; set: members;
    // string: the value; stream: every field and value of every entry.
    std::vector<std::string> values;
    int64_t stream_entries = 0;
  };
  // Adds a test failure (and returns type "error") when a read fails or
  // the type is one the store never writes.
  KeyContents ReadKey(const std::string& key);

  std::unique_ptr<testing::RedisServer> server_;
  std::unique_ptr<testing::RedisCluster> cluster_;
  std::unique_ptr<RedisClient> client_;
};

}  // namespace peermatch::store

#endif  // PEERMATCH_TESTS_STORE_STORE_FIXTURE_H_
