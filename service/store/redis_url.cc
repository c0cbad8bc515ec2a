#include "service/store/redis_url.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "base/status_macros.h"

namespace peermatch::store {
namespace {

constexpr absl::string_view kScheme = "redis://";

absl::Status Invalid(absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("redis url: ", what));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes `in`; `field` names it in errors (never its value).
absl::StatusOr<std::string> PercentDecode(absl::string_view in,
                                          absl::string_view field) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) {
      return Invalid(absl::StrCat("truncated percent escape in ", field));
    }
    const int hi = HexValue(in[i + 1]);
    const int lo = HexValue(in[i + 2]);
    if (hi < 0 || lo < 0) {
      return Invalid(absl::StrCat("bad percent escape in ", field));
    }
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

bool IsHostChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' ||
         c == '-' || c == '_';
}

struct ParsedSeed {
  RedisEndpoint endpoint;
  bool has_userinfo = false;
  std::string user;
  std::string password;
  bool has_db = false;
  int db = 0;
};

absl::StatusOr<ParsedSeed> ParseSeed(absl::string_view s, bool first) {
  ParsedSeed out;
  if (absl::StartsWithIgnoreCase(s, "rediss://")) {
    return Invalid("rediss:// (TLS) is not supported");
  }
  if (absl::StartsWith(s, kScheme)) {
    s.remove_prefix(kScheme.size());
  } else if (first) {
    return Invalid("must start with redis://");
  } else if (absl::StrContains(s, "://")) {
    return Invalid("unsupported scheme in seed");
  }
  if (absl::StrContains(s, "?") || absl::StrContains(s, "#")) {
    return Invalid("query strings and fragments are not supported");
  }

  // Userinfo.
  const size_t at = s.find('@');
  if (at != absl::string_view::npos) {
    if (s.find('@', at + 1) != absl::string_view::npos) {
      return Invalid("'@' inside user or password must be encoded as %40");
    }
    absl::string_view userinfo = s.substr(0, at);
    s.remove_prefix(at + 1);
    const size_t colon = userinfo.find(':');
    if (colon == absl::string_view::npos) {
      return Invalid("userinfo must be user:password or :password");
    }
    out.has_userinfo = true;
    ASSIGN_OR_RETURN(out.user,
                     PercentDecode(userinfo.substr(0, colon), "user"));
    ASSIGN_OR_RETURN(out.password,
                     PercentDecode(userinfo.substr(colon + 1), "password"));
    if (out.password.empty()) return Invalid("empty password");
  }

  // Path: /db.
  const size_t slash = s.find('/');
  if (slash != absl::string_view::npos) {
    absl::string_view db = s.substr(slash + 1);
    s = s.substr(0, slash);
    out.has_db = true;
    if (!db.empty()) {
      int64_t value = 0;
      if (!std::all_of(db.begin(), db.end(),
                       [](char c) { return c >= '0' && c <= '9'; }) ||
          db.size() > 10 || !absl::SimpleAtoi(db, &value) ||
          value > INT32_MAX) {
        return Invalid("db must be a number 0..2147483647");
      }
      out.db = static_cast<int>(value);
    }
  }

  // Host and port.
  absl::string_view host;
  absl::string_view port;
  bool has_port = false;
  if (absl::StartsWith(s, "[")) {
    const size_t close = s.find(']');
    if (close == absl::string_view::npos) return Invalid("unterminated [IPv6]");
    host = s.substr(1, close - 1);
    absl::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return Invalid("junk after [IPv6] host");
      port = rest.substr(1);
      has_port = true;
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), [](char c) {
          return absl::ascii_isxdigit(static_cast<unsigned char>(c)) ||
                 c == ':' || c == '.';
        })) {
      return Invalid("bad IPv6 host");
    }
  } else {
    const size_t colon = s.find(':');
    host = s.substr(0, colon);
    if (colon != absl::string_view::npos) {
      port = s.substr(colon + 1);
      has_port = true;
    }
    if (host.empty()) return Invalid("empty host");
    if (!std::all_of(host.begin(), host.end(), IsHostChar)) {
      return Invalid("bad character in host");
    }
  }
  out.endpoint.host = std::string(host);
  if (has_port) {
    int value = 0;
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(),
                     [](char c) { return c >= '0' && c <= '9'; }) ||
        !absl::SimpleAtoi(port, &value) || value < 1 || value > 65535) {
      return Invalid("port must be a number 1..65535");
    }
    out.endpoint.port = value;
  }
  return out;
}

}  // namespace

std::string RedisEndpoint::ToString() const {
  if (absl::StrContains(host, ":")) return absl::StrCat("[", host, "]:", port);
  return absl::StrCat(host, ":", port);
}

absl::StatusOr<RedisUrl> ParseRedisUrl(absl::string_view url) {
  if (url.empty()) return Invalid("empty");
  if (url.size() > 4096) return Invalid("longer than 4096 characters");
  RedisUrl out;
  bool have_userinfo = false;
  bool have_db = false;
  bool first = true;
  for (absl::string_view part : absl::StrSplit(url, ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (part.empty()) return Invalid("empty seed");
    ASSIGN_OR_RETURN(ParsedSeed seed, ParseSeed(part, first));
    if (seed.has_userinfo) {
      if (have_userinfo &&
          (seed.user != out.user || seed.password != out.password)) {
        return Invalid("seeds disagree on credentials");
      }
      have_userinfo = true;
      out.user = std::move(seed.user);
      out.password = std::move(seed.password);
    }
    if (seed.has_db) {
      if (have_db && seed.db != out.db) {
        return Invalid("seeds disagree on db");
      }
      have_db = true;
      out.db = seed.db;
    }
    out.seeds.push_back(std::move(seed.endpoint));
    first = false;
  }
  return out;
}

}  // namespace peermatch::store
