#include "tests/matcher/reference_scorer.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <iterator>

namespace peermatch::matcher::testing {
namespace {

std::string Primary(const std::string& tag) {
  std::string out;
  for (char ch : tag) {
    if (ch == '-') break;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return out;
}

bool Has(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

bool PairIn(const std::set<std::pair<std::string, std::string>>& s,
            const std::string& a, const std::string& b) {
  return s.count({a, b}) > 0 || s.count({b, a}) > 0;
}

}  // namespace

long long ReferenceViewMicros(const double c[6], const ScoreWeights& w) {
  const double weights[6] = {w.triggers,     w.interests, w.stage,
                             w.availability, w.modality,  w.language};
  double num = 0.0;
  double den = 0.0;
  for (int k = 0; k < 6; ++k) {
    if (weights[k] == 0) continue;
    double product = weights[k] * c[k];
    num = num + product;
    den = den + weights[k];
  }
  return static_cast<long long>(std::floor(num / den * 1e6 + 0.5));
}

ReferenceScore ReferenceScorePair(const MemberProfile& e,
                                  const MemberProfile& m,
                                  const SlotSet& e_slots,
                                  const SlotSet& m_slots, const PoolSettings& s,
                                  const ReferenceExclusions& ex) {
  ReferenceScore r;
  const std::set<std::string> te(e.triggers.begin(), e.triggers.end());
  const std::set<std::string> tm(m.triggers.begin(), m.triggers.end());
  const std::set<std::string> ie(e.interests.begin(), e.interests.end());
  const std::set<std::string> im(m.interests.begin(), m.interests.end());
  std::set_intersection(te.begin(), te.end(), tm.begin(), tm.end(),
                        std::back_inserter(r.shared_triggers));
  std::set_intersection(ie.begin(), ie.end(), im.begin(), im.end(),
                        std::back_inserter(r.shared_interests));
  std::set<std::string> interest_union;
  std::set_union(ie.begin(), ie.end(), im.begin(), im.end(),
                 std::inserter(interest_union, interest_union.end()));

  std::vector<std::string> le, lm;
  for (const std::string& l : e.languages) {
    if (!Has(le, Primary(l))) le.push_back(Primary(l));
  }
  for (const std::string& l : m.languages) lm.push_back(Primary(l));
  for (const std::string& l : le) {
    if (Has(lm, l)) r.shared_languages.push_back(l);
  }
  std::vector<int> seen;
  for (Modality mod : e.modalities) {
    const int v = static_cast<int>(mod);
    if (std::find(seen.begin(), seen.end(), v) != seen.end()) continue;
    seen.push_back(v);
    const bool mentor_has = std::find(m.modalities.begin(), m.modalities.end(),
                                      mod) != m.modalities.end();
    const bool region_ok = mod != Modality::kInPerson ||
                           (!e.region.empty() && e.region == m.region);
    if (mentor_has && region_ok) r.shared_modalities.push_back(v);
  }
  for (int slot = 0; slot < kSlotsPerWeek; ++slot) {
    if (e_slots.Test(slot) && m_slots.Test(slot)) r.overlap_minutes += 15;
  }

  if (e.id == m.id) r.failed.insert(1);
  if (!HasRole(e.roles, Role::kMentee)) r.failed.insert(2);
  if (!HasRole(m.roles, Role::kMentor)) r.failed.insert(3);
  if (e.safety_hold || m.safety_hold) r.failed.insert(4);
  if (s.require_screening && !(e.screened && m.screened)) r.failed.insert(5);
  if (Has(e.blocked, m.id) || Has(m.blocked, e.id)) r.failed.insert(6);
  if (PairIn(ex.declined, e.id, m.id)) r.failed.insert(7);
  if (PairIn(ex.ended, e.id, m.id)) r.failed.insert(8);
  if (r.shared_languages.empty()) r.failed.insert(9);
  if (r.shared_modalities.empty()) r.failed.insert(10);
  const int gap = m.recovery_stage - e.recovery_stage;
  if (m.recovery_stage < s.mentor_min_stage) r.failed.insert(11);
  if (gap < s.min_stage_gap) r.failed.insert(12);
  if (r.overlap_minutes < s.min_overlap_minutes) r.failed.insert(13);

  double* c = r.components;
  c[0] =
      te.empty() ? 0.0 : double(r.shared_triggers.size()) / double(te.size());
  c[1] = interest_union.empty() ? 0.0
                                : double(r.shared_interests.size()) /
                                      double(interest_union.size());
  c[2] = std::max(0.0, 1.0 - std::abs(gap - s.ideal_stage_gap) / 4.0);
  c[3] = std::min(1.0,
                  double(r.overlap_minutes) / double(s.target_overlap_minutes));
  const int first_mod =
      e.modalities.empty() ? 0 : static_cast<int>(e.modalities.front());
  c[4] = std::find(r.shared_modalities.begin(), r.shared_modalities.end(),
                   first_mod) != r.shared_modalities.end()
             ? 1.0
             : 0.5;
  c[5] = !le.empty() && Has(lm, le.front()) ? 1.0 : 0.5;
  r.mentee_micros = ReferenceViewMicros(c, s.mentee_weights);
  r.mentor_micros = ReferenceViewMicros(c, s.mentor_weights);
  return r;
}

}  // namespace peermatch::matcher::testing
