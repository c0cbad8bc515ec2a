// Bearer-token authentication and per-pool authorization (SPEC §9 R-SEC).
//
//   ASSIGN_OR_RETURN(TokenTable table, TokenTable::Parse(file_text));
//   TokenAuth auth(std::move(table));
//   absl::StatusOr<Principal> who =
//       auth.Authorize(bearer_token, "peermatch.v1.MemberService", "pool-1");
//   // who->name goes to the audit stream as the actor.
//
// The token file holds only SHA-256 hashes, never tokens. One token per
// line, `#` starts a comment:
//
//   # name           sha256(token), hex                         role pools
//   web-backend      9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b…  platform
//   pool-a,pool-b coordinator-eu   60303ae22b998861bce3b28f33eec1be758a213c86…
//   coordinator  pool-a ops fd61a03af4f77d870fc21e05e7e80678095c92d808…  admin
//   *
//
// Names are 1-64 characters of [A-Za-z0-9._:@-] (they appear in audit
// entries and logs); roles are `platform` (MemberService, MatchingService,
// GroupService), `coordinator` (every service) and `admin` (every service,
// every pool); pools are a comma-separated list of pool ids, or `*` for all
// (only for admin — a platform or coordinator token must name its pools).
//
// Authorize returns UNAUTHENTICATED for a missing or unknown token and
// PERMISSION_DENIED for a role that may not use the service or a pool the
// token may not touch; messages never contain the token. Hashes are compared
// in constant time. Thread-safe; Replace() swaps the table atomically (the
// server reloads the file when it changes, e.g. a rotated Kubernetes Secret).
#ifndef PEERMATCH_SERVICE_AUTH_TOKEN_AUTH_H_
#define PEERMATCH_SERVICE_AUTH_TOKEN_AUTH_H_

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace peermatch::auth {

enum class Role { kPlatform, kCoordinator, kAdmin };

struct Principal {
  std::string name;
  Role role = Role::kPlatform;
  bool all_pools = false;
  absl::flat_hash_set<std::string> pools;
};

struct TokenEntry {
  std::string sha256_hex;  // lower-case, 64 characters
  Principal principal;
};

class TokenTable {
 public:
  // INVALID_ARGUMENT naming the line for a malformed file; an empty table
  // (no tokens) is an error too, since it would lock everyone out.
  static absl::StatusOr<TokenTable> Parse(absl::string_view text);

  const std::vector<TokenEntry>& entries() const { return entries_; }

 private:
  std::vector<TokenEntry> entries_;
};

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(absl::string_view data);

class TokenAuth {
 public:
  explicit TokenAuth(TokenTable table);

  // `bearer` is the token from "authorization: Bearer <token>" (empty when
  // absent); `service` the full gRPC service name; `pool` the request's pool.
  absl::StatusOr<Principal> Authorize(absl::string_view bearer,
                                      absl::string_view service,
                                      absl::string_view pool) const;

  void Replace(TokenTable table);
  size_t size() const;

 private:
  mutable absl::Mutex mu_;
  std::shared_ptr<const TokenTable> table_ ABSL_GUARDED_BY(mu_);
};

// Reads and parses a token file. INVALID_ARGUMENT when it cannot be read or
// parsed.
absl::StatusOr<TokenTable> LoadTokenFile(const std::string& path);

// Re-reads the token file every `interval` when its modification time or
// size changed (a rotated Kubernetes Secret), swapping the table of `auth`.
// A file that no longer parses keeps the previous table (and is logged by
// the caller through `on_error`).
class TokenFileWatcher {
 public:
  TokenFileWatcher(std::string path, TokenAuth* auth, absl::Duration interval,
                   std::function<void(const absl::Status&)> on_error);
  ~TokenFileWatcher();

 private:
  void Loop();
  std::string path_;
  TokenAuth* auth_;
  absl::Duration interval_;
  std::function<void(const absl::Status&)> on_error_;
  absl::Notification stop_;
  std::thread thread_;
};

}  // namespace peermatch::auth

#endif  // PEERMATCH_SERVICE_AUTH_TOKEN_AUTH_H_
