// SHA-1 (FIPS 180-4), only to name Lua scripts for EVALSHA the way Redis
// does. Not for anything security-relevant.
//
//   Sha1Hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d"
#ifndef PEERMATCH_SERVICE_STORE_INTERNAL_SHA1_H_
#define PEERMATCH_SERVICE_STORE_INTERNAL_SHA1_H_

#include <string>

#include "absl/strings/string_view.h"

namespace peermatch::store::internal {

// Lowercase hex SHA-1 of `data` (40 characters). Pure; thread-safe.
std::string Sha1Hex(absl::string_view data);

}  // namespace peermatch::store::internal

#endif  // PEERMATCH_SERVICE_STORE_INTERNAL_SHA1_H_
