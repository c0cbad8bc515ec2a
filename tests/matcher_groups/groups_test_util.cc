#include "tests/matcher_groups/groups_test_util.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace peermatch::matcher::testing {
namespace {

constexpr double kTol = 1e-9;

bool HasGroupRole(const MemberProfile& m) {
  return HasRole(m.roles, Role::kGroupMember) ||
         HasRole(m.roles, Role::kFacilitator);
}

bool Eligible(const MemberProfile& m, const PoolSettings& s) {
  return HasGroupRole(m) && !m.safety_hold &&
         (!s.require_screening || m.screened);
}

bool Qualifies(const MemberProfile& m, const PoolSettings& s) {
  return HasRole(m.roles, Role::kFacilitator) ||
         m.recovery_stage >= s.facilitator_min_stage;
}

std::set<std::string> Primaries(const MemberProfile& m) {
  std::set<std::string> out;
  for (const std::string& l : m.languages) {
    std::string p = l.substr(0, l.find('-'));
    for (char& c : p) c = static_cast<char>(std::tolower(c));
    out.insert(p);
  }
  return out;
}

std::set<Modality> SharedModalities(
    const std::vector<const MemberProfile*>& g) {
  std::set<Modality> out = {Modality::kText, Modality::kVideo,
                            Modality::kInPerson};
  for (const MemberProfile* m : g) {
    std::set<Modality> mine(m->modalities.begin(), m->modalities.end());
    std::set<Modality> keep;
    for (Modality x : out) {
      if (mine.count(x)) keep.insert(x);
    }
    out = keep;
  }
  if (out.count(Modality::kInPerson)) {
    for (const MemberProfile* m : g) {
      if (m->region.empty() || m->region != g[0]->region) {
        out.erase(Modality::kInPerson);
        break;
      }
    }
  }
  return out;
}

std::set<std::string> SharedLanguages(
    const std::vector<const MemberProfile*>& g) {
  std::set<std::string> out = Primaries(*g[0]);
  for (const MemberProfile* m : g) {
    std::set<std::string> mine = Primaries(*m), keep;
    for (const std::string& l : out) {
      if (mine.count(l)) keep.insert(l);
    }
    out = keep;
  }
  return out;
}

bool AnyBlocked(const std::vector<const MemberProfile*>& g) {
  for (const MemberProfile* a : g) {
    for (const MemberProfile* b : g) {
      if (a != b && std::count(a->blocked.begin(), a->blocked.end(), b->id)) {
        return true;
      }
    }
  }
  return false;
}

SlotSet Common(const Instance& inst, const std::vector<int>& ids) {
  SlotSet c = inst.slots[ids[0]];
  for (int i : ids) c &= inst.slots[i];
  return c;
}

double Jaccard(const std::vector<std::string>& a,
               const std::vector<std::string>& b) {
  std::set<std::string> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  std::set<std::string> all = sa;
  all.insert(sb.begin(), sb.end());
  int common = 0;
  for (const std::string& t : sa) common += static_cast<int>(sb.count(t));
  return all.empty() ? 0.0 : static_cast<double>(common) / all.size();
}

}  // namespace

MemberProfile SimpleMember(const std::string& id, int stage) {
  MemberProfile m;
  m.id = id;
  m.roles = RoleBit(Role::kGroupMember);
  m.recovery_stage = stage;
  m.languages = {"en"};
  m.modalities = {Modality::kVideo};
  m.screened = true;
  return m;
}

double OracleAffinity(const MemberProfile& a, const MemberProfile& b,
                      const AffinityWeights& w) {
  return w.triggers * Jaccard(a.triggers, b.triggers) +
         w.interests * Jaccard(a.interests, b.interests) +
         w.stage * (1.0 - std::abs(a.recovery_stage - b.recovery_stage) / 4.0);
}

int OracleMeetingStart(const SlotSet& common, int session_minutes) {
  const int len_needed = session_minutes / 15;
  if (common.Count() == kSlotsPerWeek) return 0;
  for (int s = 0; s < kSlotsPerWeek; ++s) {
    if (!common.Test(s) || common.Test((s + kSlotsPerWeek - 1) % kSlotsPerWeek))
      continue;
    int len = 0;
    while (len < kSlotsPerWeek && common.Test((s + len) % kSlotsPerWeek)) ++len;
    if (len >= len_needed) return s;
  }
  return -1;
}

Instance RandomInstance(uint64_t seed, const InstanceShape& shape) {
  std::mt19937_64 rng(seed);
  auto uni = [&](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  auto coin = [&](double p) {
    return std::uniform_real_distribution<double>(0, 1)(rng) < p;
  };
  Instance inst;
  PoolSettings& s = inst.settings;
  if (shape.random_settings) {
    s.min_size = uni(2, 4);
    s.max_size = s.min_size + uni(0, 3);
    s.target_size = uni(s.min_size, s.max_size);
    s.session_minutes = 15 * uni(2, 8);
    s.max_stage_spread = uni(1, 3);
    s.require_facilitator = coin(0.7);
    s.facilitator_min_stage = uni(3, 5);
    s.require_screening = coin(0.3);
    if (coin(0.3)) {
      s.affinity_weights = {uni(0, 10) / 10.0, uni(0, 10) / 10.0,
                            uni(0, 10) / 10.0};
    }
  }
  static const char* kLangs[] = {"en", "en-GB", "de", "fr", "es"};
  static const int kAnchors[] = {72, 168, 360, 664, 0};
  const int n = shape.members;
  for (int i = 0; i < n; ++i) {
    MemberProfile m;
    m.id = "m" + std::to_string(i);
    m.roles = 0;
    if (coin(0.05)) {
      m.roles = RoleBit(Role::kMentee);
    } else {
      if (coin(shape.facilitator_role)) m.roles |= RoleBit(Role::kFacilitator);
      if (m.roles == 0 || coin(0.5)) m.roles |= RoleBit(Role::kGroupMember);
    }
    m.recovery_stage = uni(1, 5);
    const int nl = uni(1, 2);
    for (int k = 0; k < nl; ++k) {
      std::string l = kLangs[uni(0, std::min(4, shape.languages - 1))];
      if (std::find(m.languages.begin(), m.languages.end(), l) ==
          m.languages.end()) {
        m.languages.push_back(l);
      }
    }
    std::vector<Modality> mods = {Modality::kText, Modality::kVideo,
                                  Modality::kInPerson};
    std::shuffle(mods.begin(), mods.end(), rng);
    mods.resize(uni(1, 3));
    m.modalities = mods;
    if (std::count(mods.begin(), mods.end(), Modality::kInPerson)) {
      m.region = coin(0.5) ? "north" : "south";
    }
    for (int t = 0; t < shape.tags; ++t) {
      if (coin(shape.tag_probability)) {
        m.triggers.push_back("t" + std::to_string(t));
      }
      if (coin(shape.tag_probability)) {
        m.interests.push_back("i" + std::to_string(t));
      }
    }
    if (coin(shape.blocked)) {
      m.blocked.push_back(coin(0.9) ? "m" + std::to_string(uni(0, n - 1))
                                    : "ghost");
    }
    m.safety_hold = coin(shape.safety_hold);
    m.screened = coin(0.85);
    SlotSet slots;
    if (coin(0.03)) {
      slots.SetRange(0, kSlotsPerWeek);
    } else {
      const int blocks = uni(1, 3);
      for (int b = 0; b < blocks; ++b) {
        const int start =
            (kAnchors[uni(0, 4)] + uni(-3, 3) + kSlotsPerWeek) % kSlotsPerWeek;
        slots.SetCyclic(start, uni(3, 14));
      }
    }
    inst.members.push_back(std::move(m));
    inst.slots.push_back(slots);
  }
  return inst;
}

OracleGroup OracleCheck(const Instance& inst, std::vector<int> ids) {
  OracleGroup out;
  const PoolSettings& s = inst.settings;
  std::sort(ids.begin(), ids.end(), [&](int a, int b) {
    return inst.members[a].id < inst.members[b].id;
  });
  std::vector<const MemberProfile*> g;
  for (int i : ids) g.push_back(&inst.members[i]);
  const int k = static_cast<int>(g.size());
  if (k < s.min_size || k > s.max_size) {
    out.why = "size";
    return out;
  }
  for (const MemberProfile* m : g) {
    if (!Eligible(*m, s)) {
      out.why = "ineligible " + m->id;
      return out;
    }
  }
  if (AnyBlocked(g)) {
    out.why = "blocked";
    return out;
  }
  if (SharedLanguages(g).empty()) {
    out.why = "language";
    return out;
  }
  if (SharedModalities(g).empty()) {
    out.why = "modality";
    return out;
  }
  std::vector<const MemberProfile*> q;
  for (const MemberProfile* m : g) {
    if (Qualifies(*m, s)) q.push_back(m);
  }
  std::sort(q.begin(), q.end(),
            [](const MemberProfile* a, const MemberProfile* b) {
              const bool fa = HasRole(a->roles, Role::kFacilitator);
              const bool fb = HasRole(b->roles, Role::kFacilitator);
              return std::make_tuple(!fa, -a->recovery_stage, a->id) <
                     std::make_tuple(!fb, -b->recovery_stage, b->id);
            });
  if (q.empty() && s.require_facilitator) {
    out.why = "facilitator";
    return out;
  }
  const MemberProfile* designated = q.empty() ? nullptr : q[0];
  int lo = 99, hi = -99;
  for (const MemberProfile* m : g) {
    if (m == designated) continue;
    lo = std::min(lo, m->recovery_stage);
    hi = std::max(hi, m->recovery_stage);
  }
  if (lo <= hi && hi - lo > s.max_stage_spread) {
    out.why = "spread";
    return out;
  }
  out.meeting_start = OracleMeetingStart(Common(inst, ids), s.session_minutes);
  if (out.meeting_start < 0) {
    out.why = "slot";
    return out;
  }
  out.valid = true;
  out.facilitator = designated ? designated->id : "";
  for (int a = 0; a < k; ++a) {
    double sum = 0;
    for (int b = 0; b < k; ++b) {
      if (a != b) sum += OracleAffinity(*g[a], *g[b], s.affinity_weights);
    }
    out.fits.push_back(sum / (k - 1));
    out.total_fit += out.fits.back();
  }
  return out;
}

namespace {

class Exhaustive {
 public:
  explicit Exhaustive(const Instance& inst) : inst_(inst) {
    for (size_t i = 0; i < inst.members.size(); ++i) {
      if (Eligible(inst.members[i], inst.settings)) {
        elig_.push_back(static_cast<int>(i));
      }
    }
    best_.placed = -1;
  }

  OracleOptimum Run() {
    Rec(0);
    return best_;
  }

 private:
  // Constraints that can only get worse as members are added.
  bool Prunable(const std::vector<int>& block) const {
    if (static_cast<int>(block.size()) > inst_.settings.max_size) return true;
    std::vector<const MemberProfile*> g;
    for (int i : block) g.push_back(&inst_.members[i]);
    return AnyBlocked(g) || SharedLanguages(g).empty() ||
           SharedModalities(g).empty() ||
           OracleMeetingStart(Common(inst_, block),
                              inst_.settings.session_minutes) < 0;
  }

  void Rec(size_t k) {
    if (k == elig_.size()) {
      Evaluate();
      return;
    }
    const int i = elig_[k];
    Rec(k + 1);  // unplaced
    for (size_t b = 0; b < blocks_.size(); ++b) {
      blocks_[b].push_back(i);
      if (!Prunable(blocks_[b])) Rec(k + 1);
      blocks_[b].pop_back();
    }
    blocks_.push_back({i});
    Rec(k + 1);
    blocks_.pop_back();
  }

  void Evaluate() {
    OracleOptimum cand;
    for (const std::vector<int>& b : blocks_) {
      OracleGroup g = OracleCheck(inst_, b);
      if (!g.valid) return;
      cand.placed += static_cast<int>(b.size());
      cand.total_fit += g.total_fit;
      cand.deviation +=
          std::abs(static_cast<int>(b.size()) - inst_.settings.target_size);
      std::vector<std::string> ids;
      for (int i : b) ids.push_back(inst_.members[i].id);
      std::sort(ids.begin(), ids.end());
      cand.groups.push_back(ids);
    }
    std::sort(cand.groups.begin(), cand.groups.end());
    bool better;
    if (cand.placed != best_.placed) {
      better = cand.placed > best_.placed;
    } else if (std::abs(cand.total_fit - best_.total_fit) > kTol) {
      better = cand.total_fit > best_.total_fit;
    } else if (cand.deviation != best_.deviation) {
      better = cand.deviation < best_.deviation;
    } else {
      better = cand.groups < best_.groups;
    }
    if (better) best_ = cand;
  }

  const Instance& inst_;
  std::vector<int> elig_;
  std::vector<std::vector<int>> blocks_;
  OracleOptimum best_;
};

}  // namespace

OracleOptimum OracleOptimize(const Instance& inst) {
  return Exhaustive(inst).Run();
}

std::vector<std::string> OracleAudit(const Instance& inst,
                                     const GroupingResult& result) {
  std::vector<std::string> errors;
  const PoolSettings& s = inst.settings;
  std::map<std::string, int> index;
  for (size_t i = 0; i < inst.members.size(); ++i) {
    index[inst.members[i].id] = static_cast<int>(i);
  }
  std::map<std::string, int> placed_in;
  int placed = 0, deviation = 0;
  double total = 0;
  for (size_t gi = 0; gi < result.groups.size(); ++gi) {
    const GroupPlan& g = result.groups[gi];
    const std::string where = "group " + std::to_string(gi) + ": ";
    if (!std::is_sorted(g.member_ids.begin(), g.member_ids.end())) {
      errors.push_back(where + "members not sorted");
    }
    if (gi > 0 && !(result.groups[gi - 1].member_ids[0] < g.member_ids[0])) {
      errors.push_back(where + "groups not sorted by first member");
    }
    std::vector<int> ids;
    for (const std::string& id : g.member_ids) {
      if (!index.count(id)) {
        errors.push_back(where + "unknown member " + id);
        continue;
      }
      if (placed_in.count(id)) errors.push_back(where + "twice: " + id);
      placed_in[id] = static_cast<int>(gi);
      ids.push_back(index[id]);
    }
    const OracleGroup o = OracleCheck(inst, ids);
    if (!o.valid) {
      errors.push_back(where + "violates " + o.why);
      continue;
    }
    if (g.slot.start_slot != o.meeting_start) {
      errors.push_back(where + "slot " + std::to_string(g.slot.start_slot) +
                       " != " + std::to_string(o.meeting_start));
    }
    const int minute = o.meeting_start * 15;
    if (g.slot.day != minute / 1440 + 1 ||
        g.slot.start_minute != minute % 1440 ||
        g.slot.end_minute != minute % 1440 + s.session_minutes) {
      errors.push_back(where + "slot fields inconsistent");
    }
    if (g.facilitator != o.facilitator) {
      errors.push_back(where + "facilitator " + g.facilitator +
                       " != " + o.facilitator);
    }
    std::vector<std::string> quals;
    std::vector<const MemberProfile*> members;
    for (int i : ids) members.push_back(&inst.members[i]);
    for (const std::string& id : g.member_ids) {
      if (Qualifies(inst.members[index[id]], s)) quals.push_back(id);
    }
    if (quals != g.facilitator_ids) errors.push_back(where + "facilitator_ids");
    if (!SharedLanguages(members).count(g.language)) {
      errors.push_back(where + "language " + g.language + " not shared");
    }
    if (!SharedModalities(members).count(g.modality)) {
      errors.push_back(where + "modality not shared");
    }
    if ((g.modality == Modality::kInPerson) != !g.region.empty()) {
      errors.push_back(where + "region");
    }
    if (g.fits.size() != o.fits.size()) {
      errors.push_back(where + "fits size");
    } else {
      for (size_t f = 0; f < o.fits.size(); ++f) {
        if (std::abs(g.fits[f] - o.fits[f]) > kTol) {
          errors.push_back(where + "fit of " + g.member_ids[f]);
        }
      }
    }
    if (std::abs(g.total_fit - o.total_fit) > kTol) {
      errors.push_back(where + "total_fit");
    }
    placed += static_cast<int>(ids.size());
    total += o.total_fit;
    deviation += std::abs(static_cast<int>(ids.size()) - s.target_size);
  }
  if (placed != result.placed) errors.push_back("placed count");
  if (std::abs(total - result.total_fit) > 1e-6) errors.push_back("total_fit");
  if (deviation != result.size_deviation) errors.push_back("size_deviation");
  if (result.upper_bound < result.total_fit - 1e-6) {
    errors.push_back("upper_bound below total_fit");
  }
  if (result.placeable_upper_bound < result.placed) {
    errors.push_back("placeable_upper_bound below placed");
  }
  std::vector<std::string> want_unplaced;
  for (const MemberProfile& m : inst.members) {
    if (HasGroupRole(m) && !placed_in.count(m.id))
      want_unplaced.push_back(m.id);
  }
  std::sort(want_unplaced.begin(), want_unplaced.end());
  if (want_unplaced.size() != result.unplaced.size()) {
    errors.push_back("unplaced count " +
                     std::to_string(result.unplaced.size()) +
                     " != " + std::to_string(want_unplaced.size()));
    return errors;
  }
  for (size_t u = 0; u < want_unplaced.size(); ++u) {
    const UnplacedMember& got = result.unplaced[u];
    if (got.id != want_unplaced[u]) {
      errors.push_back("unplaced order/id " + got.id);
      continue;
    }
    const MemberProfile& m = inst.members[index[got.id]];
    UnplacedReason want = UnplacedReason::kNoFeasibleGroup;
    if (s.require_screening && !m.screened) want = UnplacedReason::kNotScreened;
    if (m.safety_hold) want = UnplacedReason::kSafetyHold;
    if (got.reason != want) errors.push_back("unplaced reason of " + got.id);
  }
  return errors;
}

}  // namespace peermatch::matcher::testing
