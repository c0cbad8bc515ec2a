#include "tests/store/store_fixture.h"

#include <string>
#include <vector>

#include "service/store/key_slot.h"
#include "tests/support/status_matchers.h"

namespace peermatch::store {

std::string BackendName(const ::testing::TestParamInfo<Backend>& info) {
  return info.param == Backend::kCluster ? "Cluster" : "Standalone";
}

void StoreTest::SetUp() {
  if (cluster()) {
    ASSERT_OK_AND_ASSIGN(cluster_, testing::RedisCluster::Start(3));
  } else {
    ASSERT_OK_AND_ASSIGN(server_, testing::RedisServer::Start());
  }
  ASSERT_OK_AND_ASSIGN(client_, NewClient());
}

absl::StatusOr<std::unique_ptr<RedisClient>> StoreTest::NewClient() {
  RedisClientOptions options;
  if (cluster()) {
    options.mode = RedisMode::kCluster;
    return NewRedisClient(cluster_->url(), options);
  }
  return NewRedisClient(server_->url(), options);
}

std::vector<testing::RedisServer*> StoreTest::Nodes() {
  std::vector<testing::RedisServer*> out;
  if (cluster()) {
    for (int i = 0; i < cluster_->size(); ++i)
      out.push_back(&cluster_->node(i));
  } else {
    out.push_back(server_.get());
  }
  return out;
}

absl::StatusOr<testing::TestReply> StoreTest::Inspect(
    absl::string_view key, const std::vector<std::string>& args) {
  if (cluster()) return cluster_->CommandForSlot(KeySlot(key), args);
  return server_->Command(args);
}

std::vector<std::string> StoreTest::ScanAll(absl::string_view pattern) {
  std::vector<std::string> keys;
  for (testing::RedisServer* node : Nodes()) {
    std::string cursor = "0";
    do {
      absl::StatusOr<testing::TestReply> r = node->Command(
          {"SCAN", cursor, "MATCH", std::string(pattern), "COUNT", "1000"});
      EXPECT_TRUE(r.ok()) << r.status();
      if (!r.ok() || r->elements.size() != 2) return keys;
      cursor = r->elements[0].str;
      for (const auto& k : r->elements[1].elements) keys.push_back(k.str);
    } while (cursor != "0");
  }
  return keys;
}

StoreTest::KeyContents StoreTest::ReadKey(const std::string& key) {
  KeyContents out;
  absl::StatusOr<testing::TestReply> type = Inspect(key, {"TYPE", key});
  EXPECT_TRUE(type.ok()) << type.status();
  out.type = type.ok() ? type->str : "error";
  std::vector<std::string> cmd;
  if (out.type == "hash") cmd = {"HGETALL", key};
  if (out.type == "set") cmd = {"SMEMBERS", key};
  if (out.type == "zset") cmd = {"ZRANGE", key, "0", "-1", "WITHSCORES"};
  if (out.type == "string") cmd = {"GET", key};
  if (out.type == "stream") cmd = {"XRANGE", key, "-", "+"};
  if (out.type == "none") return out;
  EXPECT_FALSE(cmd.empty()) << key << " has type " << out.type;
  if (cmd.empty()) return out;
  absl::StatusOr<testing::TestReply> r = Inspect(key, cmd);
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) {
    out.type = "error";
    return out;
  }
  if (out.type == "string") {
    out.values = {r->str};
  } else if (out.type == "stream") {
    out.stream_entries = static_cast<int64_t>(r->elements.size());
    for (const testing::TestReply& e : r->elements) {
      for (std::string& v : e.elements[1].Strings()) {
        out.values.push_back(std::move(v));
      }
    }
  } else {
    out.values = r->Strings();
  }
  return out;
}

}  // namespace peermatch::store
