#include "service/store/record_codec.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "matcher/groups.h"
#include "matcher/scoring.h"
#include "service/store/internal/wire.h"

namespace peermatch::store {
namespace {

using internal::WireReader;
using internal::WireWriter;
using Field = WireReader::Field;

constexpr int kFormatVersion = 1;
constexpr char kMemberKind = 'M';
constexpr char kGroupKind = 'G';
constexpr char kSettingsKind = 'S';

std::string Header(char kind) {
  return std::string({'\0', kind, static_cast<char>(kFormatVersion)});
}

// Splits off the header. Returns the version (0: legacy, no header) or -1
// when the header names another kind.
int StripHeader(char kind, absl::string_view* payload) {
  if (payload->empty() || (*payload)[0] != '\0') return 0;
  if (payload->size() < 3 || (*payload)[1] != kind) return -1;
  const int version = static_cast<uint8_t>((*payload)[2]);
  payload->remove_prefix(3);
  return version;
}

absl::Status Unreadable(absl::string_view what, int version) {
  if (version > kFormatVersion) {
    return absl::DataLossError(
        absl::StrCat("stored ", what, " has format version ", version,
                     ", newer than this peermatch reads (", kFormatVersion,
                     ")"));
  }
  return absl::DataLossError(absl::StrCat("stored ", what, " does not parse"));
}

// Both generations' windows and weekly slots: {1 day, 2 start, 3 end}.
bool ReadSlot(absl::string_view bytes, int* day, int* start, int* end) {
  WireReader r(bytes);
  Field f;
  while (r.Next(&f)) {
    if (f.type != internal::kVarint) continue;
    if (f.number == 1) *day = static_cast<int>(f.AsInt());
    if (f.number == 2) *start = static_cast<int>(f.AsInt());
    if (f.number == 3) *end = static_cast<int>(f.AsInt());
  }
  return r.ok();
}

void WriteSlot(WireWriter& w, uint32_t field, int day, int start, int end) {
  w.Message(field, [&](WireWriter& m) {
    m.Int(1, day);
    m.Int(2, start);
    m.Int(3, end);
  });
}

// ---- members --------------------------------------------------------------
//
// Format 1 ('M'): 1 roles (role-number bit set), 2 recovery_stage,
// 3 triggers*, 4 interests*, 5 availability* {1 day, 2 start, 3 end},
// 6 time_zone, 7 languages*, 8 modalities* (packed), 9 region,
// 10 mentor_capacity, 11 safety_hold, 12 screened.
// Legacy (peermatch.v1.Member): 2 roles* (enum, packed or not), 3 triggers*,
// 4 interests*, 5 recovery_stage, 6 availability*, 7 time_zone,
// 8 languages*, 9 modalities*, 10 region, 11 mentor_capacity, 12 blocked*,
// 13 safety_hold, 14 screened; 1 id, 15 version, 16 update_time ignored.

struct MemberFields {
  uint32_t roles, stage, triggers, interests, availability, time_zone,
      languages, modalities, region, capacity, hold, screened;
  bool roles_as_bits;
};
constexpr MemberFields kMemberV1 = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, true};
constexpr MemberFields kMemberLegacy = {2,  5,  3,  4,  6,  7, 8,
                                        9, 10, 11, 13, 14, false};

bool ReadMember(absl::string_view body, const MemberFields& k,
                matcher::MemberProfile* out) {
  matcher::MemberProfile p;
  p.id = std::move(out->id);
  p.blocked = std::move(out->blocked);
  p.time_zone.clear();
  WireReader r(body);
  Field f;
  bool ok = true;
  auto str = [&f] { return std::string(f.bytes); };
  while (ok && r.Next(&f)) {
    const bool bytes = f.type == internal::kLengthDelimited;
    const uint32_t n = f.number;
    if (n == k.roles) {
      if (k.roles_as_bits) {
        p.roles = static_cast<matcher::RoleSet>(f.varint);
      } else {
        ok = WireReader::RepeatedVarint(f, [&p](uint64_t role) {
          if (role >= 1 && role <= 4) {
            p.roles |= matcher::RoleBit(static_cast<matcher::Role>(role));
          }
        });
      }
    } else if (n == k.stage) {
      p.recovery_stage = static_cast<int>(f.AsInt());
    } else if (n == k.triggers && bytes) {
      p.triggers.push_back(str());
    } else if (n == k.interests && bytes) {
      p.interests.push_back(str());
    } else if (n == k.availability && bytes) {
      matcher::Window w{0, 0, 0};
      ok = ReadSlot(f.bytes, &w.day, &w.start_minute, &w.end_minute);
      p.availability.push_back(w);
    } else if (n == k.time_zone && bytes) {
      p.time_zone = str();
    } else if (n == k.languages && bytes) {
      p.languages.push_back(str());
    } else if (n == k.modalities) {
      ok = WireReader::RepeatedVarint(f, [&p](uint64_t m) {
        p.modalities.push_back(static_cast<matcher::Modality>(m));
      });
    } else if (n == k.region && bytes) {
      p.region = str();
    } else if (n == k.capacity) {
      p.mentor_capacity = static_cast<int>(f.AsInt());
    } else if (n == k.hold) {
      p.safety_hold = f.varint != 0;
    } else if (n == k.screened) {
      p.screened = f.varint != 0;
    } else if (!k.roles_as_bits && n == 12 && bytes) {
      p.blocked.push_back(str());  // legacy payloads never held it; harmless
    }
  }
  if (!ok || !r.ok()) return false;
  *out = std::move(p);
  return true;
}

// ---- groups ---------------------------------------------------------------
//
// Format 1 ('G'): 1 facilitator, 2 facilitator_ids*, 3 slot_utc {1 day,
// 2 start, 3 end}, 4 local_slots* {1 member_id, 2 time_zone, 3 slot},
// 5 language, 6 modality, 7 region, 8 total_fit (double), 9 fits*
// {1 member_id, 2 fit}.
// Legacy (peermatch.v1.Group): 5 facilitator_ids*, 6 facilitator,
// 7 slot_utc, 8 local_slots*, 9 language, 10 modality, 11 region,
// 12 total_fit, 13 fits*; the rest (ids, state, members, times) came from
// the hash's own fields and is ignored.

struct GroupFields {
  uint32_t facilitator, facilitator_ids, slot, local_slots, language,
      modality, region, total_fit, fits;
};
constexpr GroupFields kGroupV1 = {1, 2, 3, 4, 5, 6, 7, 8, 9};
constexpr GroupFields kGroupLegacy = {6, 5, 7, 8, 9, 10, 11, 12, 13};

bool ReadGroup(absl::string_view body, const GroupFields& k, GroupDetails* g) {
  WireReader r(body);
  Field f;
  bool ok = true;
  while (ok && r.Next(&f)) {
    const bool bytes = f.type == internal::kLengthDelimited;
    const uint32_t n = f.number;
    if (n == k.facilitator && bytes) {
      g->facilitator = std::string(f.bytes);
    } else if (n == k.facilitator_ids && bytes) {
      g->facilitator_ids.emplace_back(f.bytes);
    } else if (n == k.slot && bytes) {
      ok = ReadSlot(f.bytes, &g->slot_utc.day, &g->slot_utc.start_minute,
                    &g->slot_utc.end_minute);
    } else if (n == k.local_slots && bytes) {
      LocalSlot ls;
      WireReader inner(f.bytes);
      Field x;
      while (ok && inner.Next(&x)) {
        if (x.type != internal::kLengthDelimited) continue;
        if (x.number == 1) ls.member_id = std::string(x.bytes);
        if (x.number == 2) ls.time_zone = std::string(x.bytes);
        if (x.number == 3) {
          ok = ReadSlot(x.bytes, &ls.slot.day, &ls.slot.start_minute,
                        &ls.slot.end_minute);
        }
      }
      ok = ok && inner.ok();
      g->local_slots.push_back(std::move(ls));
    } else if (n == k.language && bytes) {
      g->language = std::string(f.bytes);
    } else if (n == k.modality && f.type == internal::kVarint) {
      g->modality = static_cast<matcher::Modality>(f.varint);
    } else if (n == k.region && bytes) {
      g->region = std::string(f.bytes);
    } else if (n == k.total_fit && f.type == internal::kFixed64) {
      g->total_fit = f.AsDouble();
    } else if (n == k.fits && bytes) {
      MemberFit mf;
      WireReader inner(f.bytes);
      Field x;
      while (inner.Next(&x)) {
        if (x.number == 1 && x.type == internal::kLengthDelimited) {
          mf.member_id = std::string(x.bytes);
        }
        if (x.number == 2 && x.type == internal::kFixed64) mf.fit = x.AsDouble();
      }
      ok = inner.ok();
      g->fits.push_back(std::move(mf));
    }
  }
  return ok && r.ok();
}

// ---- settings -------------------------------------------------------------
//
// Format 1 ('S') and legacy (peermatch.v1.PoolSettings) share their field
// numbers: 1 mentee_weights {1 triggers, 2 interests, 3 stage,
// 4 availability, 5 modality, 6 language}, 2 mentor_weights, 3
// mentor_min_stage, 4 min_stage_gap, 5 ideal_stage_gap, 6
// min_overlap_minutes, 7 target_overlap_minutes, 8 min_score, 9
// require_screening, 10 min_size, 11 max_size, 12 target_size, 13
// require_facilitator, 14 facilitator_min_stage, 15 max_stage_spread, 16
// session_minutes, 17 affinity_weights {1 triggers, 2 interests, 3 stage},
// 18 churn_weight, 19 proposal_ttl_seconds, 20 auto_publish. Absent fields
// keep their defaults. (They are the same because the store chose to keep
// them; the proto may renumber or rename freely.)

bool ReadWeights(absl::string_view bytes, std::initializer_list<double*> out) {
  WireReader r(bytes);
  Field f;
  while (r.Next(&f)) {
    if (f.type == internal::kFixed64 && f.number >= 1 &&
        f.number <= out.size()) {
      *out.begin()[f.number - 1] = f.AsDouble();
    }
  }
  return r.ok();
}

bool ReadSettings(absl::string_view body, PoolConfig* c) {
  matcher::PoolSettings& s = c->matcher;
  WireReader r(body);
  Field f;
  bool ok = true;
  auto weights = [&](matcher::ScoreWeights& w) {
    return ReadWeights(f.bytes, {&w.triggers, &w.interests, &w.stage,
                                 &w.availability, &w.modality, &w.language});
  };
  while (ok && r.Next(&f)) {
    const bool bytes = f.type == internal::kLengthDelimited;
    const bool var = f.type == internal::kVarint;
    const bool dbl = f.type == internal::kFixed64;
    const int i = static_cast<int>(f.AsInt());
    switch (f.number) {
      case 1: if (bytes) ok = weights(s.mentee_weights); break;
      case 2: if (bytes) ok = weights(s.mentor_weights); break;
      case 3: if (var) s.mentor_min_stage = i; break;
      case 4: if (var) s.min_stage_gap = i; break;
      case 5: if (var) s.ideal_stage_gap = i; break;
      case 6: if (var) s.min_overlap_minutes = i; break;
      case 7: if (var) s.target_overlap_minutes = i; break;
      case 8: if (dbl) s.min_score = f.AsDouble(); break;
      case 9: if (var) s.require_screening = f.varint != 0; break;
      case 10: if (var) s.min_size = i; break;
      case 11: if (var) s.max_size = i; break;
      case 12: if (var) s.target_size = i; break;
      case 13: if (var) s.require_facilitator = f.varint != 0; break;
      case 14: if (var) s.facilitator_min_stage = i; break;
      case 15: if (var) s.max_stage_spread = i; break;
      case 16: if (var) s.session_minutes = i; break;
      case 17:
        if (bytes) {
          ok = ReadWeights(f.bytes,
                           {&s.affinity_weights.triggers,
                            &s.affinity_weights.interests,
                            &s.affinity_weights.stage});
        }
        break;
      case 18: if (dbl) s.churn_weight = f.AsDouble(); break;
      case 19: if (var) c->service.proposal_ttl_seconds = f.AsInt(); break;
      case 20: if (var) c->service.auto_publish = f.varint != 0; break;
      default: break;
    }
  }
  return ok && r.ok();
}

void WriteWeights(WireWriter& w, uint32_t field,
                  std::initializer_list<double> values) {
  w.Message(field, [&](WireWriter& m) {
    uint32_t n = 1;
    for (double v : values) m.Double(n++, v);
  });
}

}  // namespace

std::string EncodeMember(const matcher::MemberProfile& p) {
  std::string out = Header(kMemberKind);
  out.reserve(64 + 24 * (p.triggers.size() + p.interests.size()) +
              8 * p.availability.size());
  WireWriter w(&out);
  const MemberFields& k = kMemberV1;
  w.Varint(k.roles, p.roles);
  w.Int(k.stage, p.recovery_stage);
  for (const std::string& t : p.triggers) w.Bytes(k.triggers, t);
  for (const std::string& t : p.interests) w.Bytes(k.interests, t);
  for (const matcher::Window& win : p.availability) {
    WriteSlot(w, k.availability, win.day, win.start_minute, win.end_minute);
  }
  w.Bytes(k.time_zone, p.time_zone);
  for (const std::string& l : p.languages) w.Bytes(k.languages, l);
  for (matcher::Modality m : p.modalities) {
    w.Varint(k.modalities, static_cast<uint64_t>(m));
  }
  if (!p.region.empty()) w.Bytes(k.region, p.region);
  if (p.mentor_capacity != 0) w.Int(k.capacity, p.mentor_capacity);
  if (p.safety_hold) w.Varint(k.hold, 1);
  if (p.screened) w.Varint(k.screened, 1);
  return out;
}

absl::Status DecodeMember(absl::string_view payload,
                          matcher::MemberProfile* out) {
  const int version = StripHeader(kMemberKind, &payload);
  bool ok = false;
  if (version == 0) ok = ReadMember(payload, kMemberLegacy, out);
  if (version == 1) ok = ReadMember(payload, kMemberV1, out);
  return ok ? absl::OkStatus() : Unreadable("member profile", version);
}

std::string EncodeGroupDetails(const GroupDetails& g) {
  std::string out = Header(kGroupKind);
  WireWriter w(&out);
  const GroupFields& k = kGroupV1;
  if (!g.facilitator.empty()) w.Bytes(k.facilitator, g.facilitator);
  for (const std::string& f : g.facilitator_ids) w.Bytes(k.facilitator_ids, f);
  WriteSlot(w, k.slot, g.slot_utc.day, g.slot_utc.start_minute,
            g.slot_utc.end_minute);
  for (const LocalSlot& ls : g.local_slots) {
    w.Message(k.local_slots, [&](WireWriter& m) {
      m.Bytes(1, ls.member_id);
      m.Bytes(2, ls.time_zone);
      WriteSlot(m, 3, ls.slot.day, ls.slot.start_minute, ls.slot.end_minute);
    });
  }
  w.Bytes(k.language, g.language);
  w.Varint(k.modality, static_cast<uint64_t>(g.modality));
  if (!g.region.empty()) w.Bytes(k.region, g.region);
  w.Double(k.total_fit, g.total_fit);
  for (const MemberFit& f : g.fits) {
    w.Message(k.fits, [&](WireWriter& m) {
      m.Bytes(1, f.member_id);
      m.Double(2, f.fit);
    });
  }
  return out;
}

absl::StatusOr<GroupDetails> DecodeGroupDetails(absl::string_view payload) {
  const int version = StripHeader(kGroupKind, &payload);
  GroupDetails g;
  bool ok = false;
  if (version == 0) ok = ReadGroup(payload, kGroupLegacy, &g);
  if (version == 1) ok = ReadGroup(payload, kGroupV1, &g);
  if (!ok) return Unreadable("group", version);
  return g;
}

std::string EncodePoolConfig(const PoolConfig& c) {
  const matcher::PoolSettings& s = c.matcher;
  std::string out = Header(kSettingsKind);
  WireWriter w(&out);
  auto view = [&](uint32_t field, const matcher::ScoreWeights& v) {
    WriteWeights(w, field,
                 {v.triggers, v.interests, v.stage, v.availability, v.modality,
                  v.language});
  };
  view(1, s.mentee_weights);
  view(2, s.mentor_weights);
  w.Int(3, s.mentor_min_stage);
  w.Int(4, s.min_stage_gap);
  w.Int(5, s.ideal_stage_gap);
  w.Int(6, s.min_overlap_minutes);
  w.Int(7, s.target_overlap_minutes);
  w.Double(8, s.min_score);
  w.Varint(9, s.require_screening);
  w.Int(10, s.min_size);
  w.Int(11, s.max_size);
  w.Int(12, s.target_size);
  w.Varint(13, s.require_facilitator);
  w.Int(14, s.facilitator_min_stage);
  w.Int(15, s.max_stage_spread);
  w.Int(16, s.session_minutes);
  WriteWeights(w, 17,
               {s.affinity_weights.triggers, s.affinity_weights.interests,
                s.affinity_weights.stage});
  w.Double(18, s.churn_weight);
  w.Int(19, c.service.proposal_ttl_seconds);
  w.Varint(20, c.service.auto_publish);
  return out;
}

absl::StatusOr<PoolConfig> DecodePoolConfig(absl::string_view payload) {
  const int version = StripHeader(kSettingsKind, &payload);
  PoolConfig c;
  if ((version != 0 && version != 1) || !ReadSettings(payload, &c)) {
    return Unreadable("pool settings", version);
  }
  if (!matcher::ValidateScoringSettings(c.matcher).ok() ||
      !matcher::ValidateGroupSettings(c.matcher).ok() ||
      c.service.proposal_ttl_seconds < 1 ||
      c.service.proposal_ttl_seconds > 31536000) {
    return absl::DataLossError("stored pool settings no longer validate");
  }
  return c;
}

int RecordFormatVersion(absl::string_view payload) {
  if (payload.empty() || payload[0] != '\0') return 0;
  return payload.size() < 3 ? -1 : static_cast<uint8_t>(payload[2]);
}

}  // namespace peermatch::store
