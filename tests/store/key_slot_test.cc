#include "service/store/key_slot.h"

#include "gtest/gtest.h"

namespace peermatch::store {
namespace {

// Published vectors: the Redis Cluster specification (CRC16 of "123456789"
// is 0x31C3) and the CLUSTER KEYSLOT documentation examples. The cluster
// integration test also compares KeySlot with a live CLUSTER KEYSLOT.
TEST(KeySlotTest, PublishedVectors) {
  EXPECT_EQ(Crc16("123456789"), 0x31C3);
  EXPECT_EQ(KeySlot("123456789"), 12739);
  EXPECT_EQ(KeySlot("somekey"), 11058);
  EXPECT_EQ(KeySlot("foo{hash_tag}"), 2515);
  EXPECT_EQ(KeySlot("bar{hash_tag}"), 2515);
  EXPECT_EQ(Crc16(""), 0);
  EXPECT_EQ(KeySlot(""), 0);
}

TEST(KeySlotTest, HashTagRules) {
  EXPECT_EQ(HashTag("{user1000}.following"), "user1000");
  EXPECT_EQ(HashTag("foo{}{bar}"), "foo{}{bar}");  // empty first tag
  EXPECT_EQ(HashTag("foo{{bar}}zap"), "{bar");     // first '{' to first '}'
  EXPECT_EQ(HashTag("foo{bar}{zap}"), "bar");      // only the first tag
  EXPECT_EQ(HashTag("nobraces"), "nobraces");
  EXPECT_EQ(HashTag("open{only"), "open{only");
  EXPECT_EQ(HashTag("close}only{"), "close}only{");
  EXPECT_EQ(KeySlot("a{tag}b"), KeySlot("tag"));
  EXPECT_NE(KeySlot("foo{}{bar}"), KeySlot("bar"));
}

TEST(KeySlotTest, SlotsAreInRange) {
  for (int i = 0; i < 100000; ++i) {
    const int slot = KeySlot(std::to_string(i));
    ASSERT_GE(slot, 0);
    ASSERT_LT(slot, kClusterSlots);
  }
}

}  // namespace
}  // namespace peermatch::store
