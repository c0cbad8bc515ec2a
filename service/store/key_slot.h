// Redis Cluster key slots: CRC16 (XMODEM: polynomial 0x1021, initial value 0,
// no reflection) of the key's hash tag, modulo 16384, as specified in the
// Redis Cluster specification ("Keys distribution model"):
//
//   KeySlot("123456789");         // CRC16 0x31C3 -> slot 12739
//   KeySlot("pm:{p1}:m:alice");   // == KeySlot("p1"): only the tag is hashed
//   KeySlot("foo{}{bar}");        // empty first tag: the whole key is hashed
//
// Pure functions; thread-safe.
#ifndef PEERMATCH_SERVICE_STORE_KEY_SLOT_H_
#define PEERMATCH_SERVICE_STORE_KEY_SLOT_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace peermatch::store {

inline constexpr int kClusterSlots = 16384;

// CRC16-XMODEM of `data`.
uint16_t Crc16(absl::string_view data);

// The part of `key` that is hashed: the bytes between the first '{' and the
// first '}' after it, when that is non-empty; otherwise the whole key.
absl::string_view HashTag(absl::string_view key);

// Crc16(HashTag(key)) % 16384.
int KeySlot(absl::string_view key);

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_KEY_SLOT_H_
