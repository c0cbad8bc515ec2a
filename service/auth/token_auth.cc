#include "service/auth/token_auth.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>
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

absl::StatusOr<TokenTable> LoadTokenFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError("cannot read the token file");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return TokenTable::Parse(ss.str());
}

namespace {

std::pair<int64_t, int64_t> Stamp(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {-1, -1};
  return {
      static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
      static_cast<int64_t>(st.st_size)};
}

}  // namespace

TokenFileWatcher::TokenFileWatcher(
    std::string path, TokenAuth* auth, absl::Duration interval,
    std::function<void(const absl::Status&)> on_error)
    : path_(std::move(path)),
      auth_(auth),
      interval_(interval),
      on_error_(std::move(on_error)) {
  thread_ = std::thread([this] { Loop(); });
}

TokenFileWatcher::~TokenFileWatcher() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

void TokenFileWatcher::Loop() {
  auto last = Stamp(path_);
  while (!stop_.WaitForNotificationWithTimeout(interval_)) {
    auto now = Stamp(path_);
    if (now == last) continue;
    last = now;
    absl::StatusOr<TokenTable> table = LoadTokenFile(path_);
    if (table.ok()) {
      auth_->Replace(*std::move(table));
    } else if (on_error_) {
      on_error_(table.status());
    }
  }
}

}  // namespace peermatch::auth
