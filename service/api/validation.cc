#include "service/api/validation.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace peermatch::api {
namespace {

bool AllOf(absl::string_view s, bool (*ok)(char)) {
  for (char c : s) {
    if (!ok(c)) return false;
  }
  return true;
}

// Tags (SPEC §2): [a-z0-9-] after lowercasing.
bool TagChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}
bool ZoneChar(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' ||
         c == '+' || c == '/' || c == '-';
}

std::string Path(absl::string_view prefix, absl::string_view field) {
  return prefix.empty() ? std::string(field) : absl::StrCat(prefix, ".", field);
}

std::string Indexed(absl::string_view path, int i) {
  return absl::StrCat(path, "[", i, "]");
}

// Loads each distinct zone name once per process. Bounded: only names that
// passed the syntax checks get here, and a failed load is not cached.
class ZoneCache {
 public:
  bool Loads(const std::string& name) {
    {
      absl::MutexLock lock(&mu_);
      if (known_.contains(name)) return true;
    }
    absl::TimeZone tz;
    if (!absl::LoadTimeZone(name, &tz)) return false;
    absl::MutexLock lock(&mu_);
    if (known_.size() < 4096) known_.insert(name);
    return true;
  }

 private:
  absl::Mutex mu_;
  absl::flat_hash_set<std::string> known_ ABSL_GUARDED_BY(mu_);
};

ZoneCache& Zones() {
  static ZoneCache* cache = new ZoneCache();
  return *cache;
}

void NormalizeTags(google::protobuf::RepeatedPtrField<std::string>* tags,
                   const std::string& path, FieldErrors* errors) {
  std::vector<std::string> out;
  absl::flat_hash_set<std::string> seen;
  bool ok = true;
  for (int i = 0; i < tags->size(); ++i) {
    std::string tag(absl::StripAsciiWhitespace(tags->Get(i)));
    absl::AsciiStrToLower(&tag);
    if (tag.empty() || tag.size() > static_cast<size_t>(kMaxTagLength) ||
        !AllOf(tag, TagChar)) {
      errors->Add(Indexed(path, i),
                  absl::StrCat("must be 1-", kMaxTagLength,
                               " characters of [a-z0-9-] after lowercasing "
                               "and trimming"));
      ok = false;
      continue;
    }
    if (seen.insert(tag).second) out.push_back(std::move(tag));
  }
  if (out.size() > static_cast<size_t>(kMaxTags)) {
    errors->Add(path, absl::StrCat("at most ", kMaxTags, " distinct tags"));
    ok = false;
  }
  if (!ok) return;
  tags->Clear();
  for (std::string& t : out) tags->Add(std::move(t));
}

bool IsValidLanguageTag(absl::string_view tag) {
  if (tag.empty() || tag.size() > static_cast<size_t>(kMaxLanguageTagLength)) {
    return false;
  }
  if (!absl::ascii_isalpha(static_cast<unsigned char>(tag[0]))) return false;
  size_t part_len = 0;
  bool first_part = true;
  for (char c : tag) {
    if (c == '-') {
      if (part_len == 0 || (first_part && part_len < 2)) return false;
      first_part = false;
      part_len = 0;
      continue;
    }
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c))) return false;
    if (first_part && !absl::ascii_isalpha(static_cast<unsigned char>(c))) {
      return false;
    }
    if (++part_len > 8) return false;
  }
  return part_len > 0 && !(first_part && part_len < 2);
}

}  // namespace

void CheckPoolId(absl::string_view pool, absl::string_view field,
                 FieldErrors* errors) {
  if (!base::IsValidPoolId(pool)) {
    errors->Add(std::string(field), base::PoolIdRule());
  }
}

void CheckMemberId(absl::string_view id, absl::string_view field,
                   FieldErrors* errors) {
  if (!base::IsValidMemberId(id)) {
    errors->Add(std::string(field), base::MemberIdRule());
  }
}

void CheckTimeZone(absl::string_view tz, absl::string_view field,
                   FieldErrors* errors) {
  std::string f(field);
  if (tz.empty()) {
    errors->Add(f, "is required (an IANA name such as Europe/Berlin or UTC)");
    return;
  }
  if (tz.size() > static_cast<size_t>(kMaxTimeZoneLength) ||
      !AllOf(tz, ZoneChar) || absl::StrContains(tz, "..") || tz[0] == '/' ||
      tz == "localtime") {
    errors->Add(
        f, absl::StrCat("must be an IANA name of at most ", kMaxTimeZoneLength,
                        " characters of [A-Za-z0-9_+/-], without "
                        "'..', not 'localtime'"));
    return;
  }
  if (!Zones().Loads(std::string(tz))) {
    errors->Add(f, "is not a time zone in the system's IANA database");
  }
}

std::string PrimaryLanguageSubtag(absl::string_view tag) {
  size_t dash = tag.find('-');
  return absl::AsciiStrToLower(tag.substr(0, dash));
}

void CheckPageSize(int page_size, absl::string_view field,
                   FieldErrors* errors) {
  if (page_size < 0 || page_size > kMaxPageSize) {
    errors->Add(std::string(field),
                absl::StrCat("must be 0 (default ", kDefaultPageSize, ") to ",
                             kMaxPageSize));
  }
}

void NormalizeMember(v1::Member* m, absl::string_view prefix,
                     FieldErrors* errors) {
  CheckMemberId(m->id(), Path(prefix, "id"), errors);

  // Roles: at least one, known values, duplicates dropped.
  {
    std::string path = Path(prefix, "roles");
    std::vector<int> roles;
    bool ok = true;
    for (int i = 0; i < m->roles_size(); ++i) {
      int r = m->roles(i);
      if (r < v1::ROLE_MENTEE || r > v1::ROLE_FACILITATOR) {
        errors->Add(Indexed(path, i),
                    "must be ROLE_MENTEE, ROLE_MENTOR, ROLE_GROUP_MEMBER or "
                    "ROLE_FACILITATOR");
        ok = false;
      } else if (std::find(roles.begin(), roles.end(), r) == roles.end()) {
        roles.push_back(r);
      }
    }
    if (m->roles_size() == 0) {
      errors->Add(path, "at least one role is required");
    } else if (ok) {
      m->clear_roles();
      for (int r : roles) m->add_roles(static_cast<v1::Role>(r));
    }
  }

  NormalizeTags(m->mutable_triggers(), Path(prefix, "triggers"), errors);
  NormalizeTags(m->mutable_interests(), Path(prefix, "interests"), errors);

  if (m->recovery_stage() < 1 || m->recovery_stage() > 5) {
    errors->Add(Path(prefix, "recovery_stage"), "must be 1-5");
  }

  {
    std::string path = Path(prefix, "availability");
    if (m->availability_size() > kMaxWindows) {
      errors->Add(path, absl::StrCat("at most ", kMaxWindows, " windows"));
    } else {
      for (int i = 0; i < m->availability_size(); ++i) {
        const v1::AvailabilityWindow& w = m->availability(i);
        std::string wpath = Indexed(path, i);
        if (w.day() < v1::MONDAY || w.day() > v1::SUNDAY) {
          errors->Add(wpath + ".day", "must be MONDAY (1) to SUNDAY (7)");
        }
        if (w.start_minute() < 0 || w.start_minute() > 1439) {
          errors->Add(wpath + ".start_minute", "must be 0-1439");
        }
        if (w.end_minute() < 1 || w.end_minute() > 1440) {
          errors->Add(wpath + ".end_minute", "must be 1-1440");
        } else if (w.end_minute() <= w.start_minute()) {
          errors->Add(wpath + ".end_minute",
                      "must be greater than start_minute (a window past "
                      "midnight is two windows)");
        }
      }
    }
  }

  CheckTimeZone(m->time_zone(), Path(prefix, "time_zone"), errors);

  {
    std::string path = Path(prefix, "languages");
    if (m->languages_size() < 1 || m->languages_size() > kMaxLanguages) {
      errors->Add(path, absl::StrCat("must have 1-", kMaxLanguages,
                                     " BCP-47 language tags"));
    } else {
      std::vector<std::string> langs;
      absl::flat_hash_set<std::string> seen;
      bool ok = true;
      for (int i = 0; i < m->languages_size(); ++i) {
        std::string tag(absl::StripAsciiWhitespace(m->languages(i)));
        if (!IsValidLanguageTag(tag)) {
          errors->Add(Indexed(path, i),
                      "must be a BCP-47 tag such as en, en-GB or pt-BR");
          ok = false;
        } else if (seen.insert(absl::AsciiStrToLower(tag)).second) {
          langs.push_back(std::move(tag));
        }
      }
      if (ok) {
        m->clear_languages();
        for (std::string& l : langs) m->add_languages(std::move(l));
      }
    }
  }

  bool in_person = false;
  {
    std::string path = Path(prefix, "modalities");
    std::vector<int> mods;
    bool ok = true;
    for (int i = 0; i < m->modalities_size(); ++i) {
      int v = m->modalities(i);
      if (v < v1::MODALITY_TEXT || v > v1::MODALITY_IN_PERSON) {
        errors->Add(Indexed(path, i),
                    "must be MODALITY_TEXT, MODALITY_VIDEO or "
                    "MODALITY_IN_PERSON");
        ok = false;
      } else if (std::find(mods.begin(), mods.end(), v) == mods.end()) {
        mods.push_back(v);
        in_person |= v == v1::MODALITY_IN_PERSON;
      }
    }
    if (m->modalities_size() == 0) {
      errors->Add(path, "at least one modality is required");
    } else if (ok) {
      m->clear_modalities();
      for (int v : mods) m->add_modalities(static_cast<v1::Modality>(v));
    }
  }

  {
    std::string path = Path(prefix, "region");
    std::string region(absl::StripAsciiWhitespace(m->region()));
    bool control = false;
    for (unsigned char c : region) control |= c < 0x20 || c == 0x7f;
    if (region.size() > static_cast<size_t>(kMaxRegionLength) || control) {
      errors->Add(path, absl::StrCat("must be at most ", kMaxRegionLength,
                                     " bytes without control characters"));
    } else if (in_person && region.empty()) {
      errors->Add(path,
                  "is required when modalities include "
                  "MODALITY_IN_PERSON");
    } else {
      m->set_region(region);
    }
  }

  if (m->mentor_capacity() < 0 || m->mentor_capacity() > kMaxMentorCapacity) {
    errors->Add(Path(prefix, "mentor_capacity"),
                absl::StrCat("must be 0-", kMaxMentorCapacity));
  }

  {
    std::string path = Path(prefix, "blocked");
    std::vector<std::string> blocked;
    absl::flat_hash_set<std::string> seen;
    bool ok = true;
    for (int i = 0; i < m->blocked_size(); ++i) {
      const std::string& id = m->blocked(i);
      if (!base::IsValidMemberId(id)) {
        CheckMemberId(id, Indexed(path, i), errors);
        ok = false;
      } else if (id == m->id()) {
        errors->Add(Indexed(path, i), "a member cannot block itself");
        ok = false;
      } else if (seen.insert(id).second) {
        blocked.push_back(id);
      }
    }
    if (blocked.size() > static_cast<size_t>(kMaxBlocked)) {
      errors->Add(path, absl::StrCat("at most ", kMaxBlocked, " member ids"));
      ok = false;
    }
    if (ok) {
      m->clear_blocked();
      for (std::string& id : blocked) m->add_blocked(std::move(id));
    }
  }

  m->clear_version();
  m->clear_update_time();
}

}  // namespace peermatch::api
