// Parsing of the `--redis` flag (SPEC §10):
//
//   ASSIGN_OR_RETURN(RedisUrl url,
//                    ParseRedisUrl("redis://app:s%40cret@redis-0:6379/2"));
//   // url.seeds == {{"redis-0", 6379}}, url.user == "app",
//   // url.password == "s@cret", url.db == 2
//
//   // Cluster: several comma-separated seed nodes; each may repeat the
//   // scheme, credentials and db, which must then agree.
//   ParseRedisUrl("redis://:pw@10.0.0.1:7000,10.0.0.2:7000");
//
// Grammar: `redis://[[user]:password@]host[:port][/db]` for the first seed and
// `[redis://][[user]:password@]host[:port][/db]` for the others.
//   - host: a name or IPv4 address of [A-Za-z0-9._-], or `[IPv6]`;
//   - port: 1..65535, default 6379;
//   - db: a decimal number 0..2147483647, default 0; `/` alone means 0;
//   - user and password are percent-decoded (`%40` is `@`); a literal `@`,
//     `/` or `,` inside them must be encoded;
//   - userinfo without `:` is rejected, because it is ambiguous (password, or
//     a user without one?); use `:password@` for a password alone.
// `rediss://` (TLS), query strings and anything else are rejected with
// INVALID_ARGUMENT. Error messages never echo the password.
#ifndef PEERMATCH_SERVICE_STORE_REDIS_URL_H_
#define PEERMATCH_SERVICE_STORE_REDIS_URL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace peermatch::store {

// A TCP endpoint of one Redis node.
struct RedisEndpoint {
  std::string host;
  int port = 6379;

  // "host:port", or "[v6]:port" for IPv6 addresses.
  std::string ToString() const;

  friend bool operator==(const RedisEndpoint& a, const RedisEndpoint& b) {
    return a.host == b.host && a.port == b.port;
  }
  friend bool operator!=(const RedisEndpoint& a, const RedisEndpoint& b) {
    return !(a == b);
  }
};

// The parsed form of a `--redis` URL.
struct RedisUrl {
  std::vector<RedisEndpoint> seeds;  // at least one
  std::string user;                  // empty: the default user
  std::string password;              // empty: no AUTH
  int db = 0;
};

// Parses `url` by the grammar above. Returns INVALID_ARGUMENT naming the
// offending part otherwise. Pure function; thread-safe.
absl::StatusOr<RedisUrl> ParseRedisUrl(absl::string_view url);

}  // namespace peermatch::store

#endif  // PEERMATCH_SERVICE_STORE_REDIS_URL_H_
