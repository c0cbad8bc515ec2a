#include "service/auth/token_auth.h"

#include <openssl/evp.h>

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace peermatch::auth {
namespace {

bool ValidName(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' &&
        c != '_' && c != ':' && c != '@' && c != '-') {
      return false;
    }
  }
  return true;
}

bool ValidPool(absl::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

bool ValidHex64(absl::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool ConstantTimeEqual(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return diff == 0;
}

bool RoleMayUse(Role role, absl::string_view service) {
  if (role != Role::kPlatform) return true;
  return service == "peermatch.v1.MemberService" ||
         service == "peermatch.v1.MatchingService" ||
         service == "peermatch.v1.GroupService";
}

}  // namespace

std::string Sha256Hex(absl::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

absl::StatusOr<TokenTable> TokenTable::Parse(absl::string_view text) {
  TokenTable table;
  absl::flat_hash_set<std::string> names, hashes;
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_no;
    if (size_t hash = line.find('#'); hash != absl::string_view::npos) {
      line = line.substr(0, hash);
    }
    std::vector<absl::string_view> f =
        absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
    if (f.empty()) continue;
    auto bad = [&](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("token file line ", line_no, ": ", why));
    };
    if (f.size() != 4) return bad("expected: name sha256-hex role pools");
    TokenEntry e;
    if (!ValidName(f[0])) {
      return bad("name must be 1-64 characters of [A-Za-z0-9._:@-]");
    }
    e.principal.name = std::string(f[0]);
    e.sha256_hex = absl::AsciiStrToLower(f[1]);
    if (!ValidHex64(e.sha256_hex)) {
      return bad("the hash must be 64 hex digits (SHA-256 of the token)");
    }
    if (f[2] == "platform") {
      e.principal.role = Role::kPlatform;
    } else if (f[2] == "coordinator") {
      e.principal.role = Role::kCoordinator;
    } else if (f[2] == "admin") {
      e.principal.role = Role::kAdmin;
    } else {
      return bad("role must be platform, coordinator or admin");
    }
    if (f[3] == "*") {
      if (e.principal.role != Role::kAdmin) {
        return bad("only admin tokens may use '*' for all pools");
      }
      e.principal.all_pools = true;
    } else {
      for (absl::string_view p : absl::StrSplit(f[3], ',')) {
        if (!ValidPool(p))
          return bad("pools must be pool ids separated by ','");
        e.principal.pools.insert(std::string(p));
      }
    }
    if (!names.insert(e.principal.name).second) return bad("duplicate name");
    if (!hashes.insert(e.sha256_hex).second) return bad("duplicate hash");
    table.entries_.push_back(std::move(e));
  }
  if (table.entries_.empty()) {
    return absl::InvalidArgumentError("token file has no tokens");
  }
  return table;
}

TokenAuth::TokenAuth(TokenTable table)
    : table_(std::make_shared<const TokenTable>(std::move(table))) {}

void TokenAuth::Replace(TokenTable table) {
  auto next = std::make_shared<const TokenTable>(std::move(table));
  absl::MutexLock lock(&mu_);
  table_ = std::move(next);
}

size_t TokenAuth::size() const {
  absl::MutexLock lock(&mu_);
  return table_->entries().size();
}

absl::StatusOr<Principal> TokenAuth::Authorize(absl::string_view bearer,
                                               absl::string_view service,
                                               absl::string_view pool) const {
  if (bearer.empty()) {
    return absl::UnauthenticatedError(
        "missing bearer token (metadata 'authorization: Bearer <token>')");
  }
  std::shared_ptr<const TokenTable> table;
  {
    absl::MutexLock lock(&mu_);
    table = table_;
  }
  std::string hash = Sha256Hex(bearer);
  const TokenEntry* found = nullptr;
  for (const TokenEntry& e : table->entries()) {
    // Every entry is compared so the time does not depend on which matched.
    if (ConstantTimeEqual(e.sha256_hex, hash)) found = &e;
  }
  if (found == nullptr) return absl::UnauthenticatedError("unknown token");
  const Principal& p = found->principal;
  if (!RoleMayUse(p.role, service)) {
    return absl::PermissionDeniedError(
        absl::StrCat("token '", p.name, "' may not use ", service));
  }
  if (!p.all_pools && !p.pools.contains(pool)) {
    return absl::PermissionDeniedError(
        absl::StrCat("token '", p.name, "' may not access this pool"));
  }
  return p;
}

}  // namespace peermatch::auth
