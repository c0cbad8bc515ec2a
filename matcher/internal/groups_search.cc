#include "matcher/internal/groups_search.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <queue>
#include <tuple>
#include <utility>
#include <vector>

namespace peermatch::matcher::groups_internal {
namespace {

// Fits closer than this are treated as equal, so that sums taken in a
// different order cannot flip a decision.
constexpr double kEps = 1e-9;

uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class UnionFind {
 public:
  explicit UnionFind(int n) : parent_(n) {
    std::iota(parent_.begin(), parent_.end(), 0);
  }
  int Find(int x) {
    while (parent_[x] != x) x = parent_[x] = parent_[parent_[x]];
    return x;
  }
  void Union(int a, int b) {
    a = Find(a), b = Find(b);
    if (a != b) parent_[std::max(a, b)] = std::min(a, b);
  }

 private:
  std::vector<int> parent_;
};

// Total fit of a group with `pair_sum` = sum of affinities over its pairs.
double GroupFit(double pair_sum, int size) {
  return size > 1 ? 2.0 * pair_sum / (size - 1) : 0.0;
}

class Search {
 public:
  Search(const GroupPool& pool, const std::vector<int>& eligible,
         const SearchOptions& options)
      : pool_(pool),
        s_(pool.settings()),
        opt_(options),
        eligible_(eligible),
        group_of_(pool.size(), -1),
        mate_sum_(pool.size(), 0.0),
        frozen_(pool.size(), 0),
        home_of_(pool.size(), -1),
        heuristic_(pool.size(), 0),
        stamp_(pool.size(), 0) {}

  SearchOutput Run(const std::vector<std::vector<int>>& kept);

 private:
  struct Group {
    std::vector<int> m;
    double pair_sum = 0;
    SlotSet starts;        // AND of the members' feasible starts
    int fixed_start = -1;  // default-mode kept group: its meeting slot
    int home = -1;
    uint32_t version = 0;
  };

  void BuildCandidateGraph();
  void SolveExactly(const std::vector<int>& comp);
  void Construct();
  int Insert(bool only_kept);
  int StealForm();
  int Eject();
  void LocalSearch();
  bool Replace(int u);

  bool Grow(int seed, bool steal) {
    return GrowOnce(seed, steal, /*spare_qualifiers=*/true) ||
           (s_.require_facilitator &&
            GrowOnce(seed, steal, /*spare_qualifiers=*/false));
  }
  bool GrowOnce(int seed, bool steal, bool spare_qualifiers);
  bool Feasible(const Group& g, const std::vector<int>& members) const;
  int NewGroup(const std::vector<int>& members, int home, int fixed_start);
  void AddMember(int g, int i);
  void RemoveMember(int g, int i);
  double SumAffinity(int i, const std::vector<int>& members) const;
  bool Budget();
  double ChurnCost(int i, int g) const {
    return home_of_[i] >= 0 && home_of_[i] != g ? opt_.churn_weight : 0.0;
  }
  bool SameComponent(int i, const Group& g) const {
    return !g.m.empty() && comp_[g.m[0]] == comp_[i];
  }
  std::vector<int> FreeMembers() const;
  bool HasNeighbourIn(int j, int g) const {
    for (int p : nbr_[j]) {
      if (group_of_[p] == g) return true;
    }
    return false;
  }
  // Distinct groups (other than `except`) of i's candidate neighbours.
  const std::vector<int>& NeighbourGroups(int i, int except);

  const GroupPool& pool_;
  const PoolSettings& s_;
  const SearchOptions& opt_;
  std::vector<int> eligible_;

  std::vector<std::vector<int>> nbr_;  // best affinity first
  std::vector<int> deg_;
  std::vector<int> comp_;
  double upper_bound_ = 0;
  int placeable_ = 0;

  std::vector<Group> groups_;
  std::vector<int> group_of_;
  std::vector<double> mate_sum_;
  std::vector<char> frozen_;
  std::vector<int> home_of_;
  std::vector<char> heuristic_;
  std::vector<uint32_t> stamp_;
  uint32_t stamp_now_ = 0;
  std::vector<int> scratch_groups_;
  std::vector<uint32_t> group_stamp_;
  int64_t evals_ = 0;
  int64_t next_poll_ = 0;
  bool exhausted_ = false;
  bool interrupted_ = false;
};

bool Search::Budget() {
  if (exhausted_ || interrupted_) return false;
  if (evals_ >= opt_.max_evaluations) {
    exhausted_ = true;
    return false;
  }
  if (opt_.should_stop && evals_ >= next_poll_) {
    next_poll_ = evals_ + 1024;
    if (opt_.should_stop()) {
      interrupted_ = true;
      return false;
    }
  }
  return true;
}

double Search::SumAffinity(int i, const std::vector<int>& members) const {
  double sum = 0;
  for (int j : members) {
    if (j != i) sum += pool_.Affinity(i, j);
  }
  return sum;
}

bool Search::Feasible(const Group& g, const std::vector<int>& members) const {
  if (pool_.Check(members, CheckMode::kComplete) != GroupViolation::kNone) {
    return false;
  }
  if (g.fixed_start < 0) return true;
  SlotSet common = pool_.slots(members[0]);
  for (int m : members) common &= pool_.slots(m);
  return MeetingStartSlot(common, pool_.session_slots()) == g.fixed_start;
}

int Search::NewGroup(const std::vector<int>& members, int home,
                     int fixed_start) {
  const int g = static_cast<int>(groups_.size());
  groups_.emplace_back();
  groups_[g].home = home;
  groups_[g].fixed_start = fixed_start;
  groups_[g].starts.SetRange(0, kSlotsPerWeek);
  group_stamp_.push_back(0);
  for (int m : members) AddMember(g, m);
  return g;
}

void Search::AddMember(int g, int i) {
  Group& grp = groups_[g];
  double sum = 0;
  for (int j : grp.m) {
    const double a = pool_.Affinity(i, j);
    mate_sum_[j] += a;
    sum += a;
  }
  mate_sum_[i] = sum;
  grp.pair_sum += sum;
  grp.m.push_back(i);
  grp.starts &= pool_.starts(i);
  grp.version++;
  group_of_[i] = g;
}

void Search::RemoveMember(int g, int i) {
  Group& grp = groups_[g];
  grp.m.erase(std::find(grp.m.begin(), grp.m.end(), i));
  grp.pair_sum = 0;
  grp.starts = SlotSet();
  grp.starts.SetRange(0, kSlotsPerWeek);
  // Recomputed from scratch so that rounding errors do not accumulate.
  for (size_t x = 0; x < grp.m.size(); ++x) {
    mate_sum_[grp.m[x]] = 0;
  }
  for (size_t x = 0; x < grp.m.size(); ++x) {
    grp.starts &= pool_.starts(grp.m[x]);
    for (size_t y = x + 1; y < grp.m.size(); ++y) {
      const double a = pool_.Affinity(grp.m[x], grp.m[y]);
      mate_sum_[grp.m[x]] += a;
      mate_sum_[grp.m[y]] += a;
      grp.pair_sum += a;
    }
  }
  grp.version++;
  group_of_[i] = -1;
  mate_sum_[i] = 0;
}

void Search::BuildCandidateGraph() {
  const int n = pool_.size();
  const int k = std::max(opt_.candidate_neighbors, s_.min_size - 1);
  using Entry = std::pair<double, int>;  // affinity, partner
  // Heap order: the worst entry (lowest affinity, then highest index) on top.
  auto better = [](const Entry& a, const Entry& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  std::vector<std::vector<Entry>> top(n);
  deg_.assign(n, 0);
  UnionFind uf(n);
  auto offer = [&](int i, int j, double a) {
    std::vector<Entry>& h = top[i];
    const Entry e{a, j};
    if (static_cast<int>(h.size()) < k) {
      h.push_back(e);
      std::push_heap(h.begin(), h.end(), better);
    } else if (better(e, h.front())) {
      std::pop_heap(h.begin(), h.end(), better);
      h.back() = e;
      std::push_heap(h.begin(), h.end(), better);
    }
  };
  for (size_t x = 0; x < eligible_.size(); ++x) {
    const int i = eligible_[x];
    for (size_t y = x + 1; y < eligible_.size(); ++y) {
      const int j = eligible_[y];
      if (!pool_.MayShareGroup(i, j)) continue;
      uf.Union(i, j);
      ++deg_[i], ++deg_[j];
      const double a = pool_.Affinity(i, j);
      offer(i, j, a);
      offer(j, i, a);
    }
  }
  nbr_.assign(n, {});
  comp_.assign(n, -1);
  const int need = s_.min_size - 1;
  for (int i : eligible_) {
    comp_[i] = uf.Find(i);
    std::sort(top[i].begin(), top[i].end(), better);
    for (const Entry& e : top[i]) nbr_[i].push_back(e.second);
    if (deg_[i] >= need) {
      ++placeable_;
      double sum = 0;
      for (int t = 0; t < need; ++t) sum += top[i][t].first;
      upper_bound_ += need > 0 ? sum / need : 0.0;
    }
  }
}

// Exhaustive search: every feasible group of the component, then a dynamic
// program over subsets under the full comparison order (1)-(4).
void Search::SolveExactly(const std::vector<int>& comp) {
  const int m = static_cast<int>(comp.size());
  const uint32_t full = (1u << m) - 1;
  struct Cand {
    uint32_t mask;
    double fit;
    int dev;
  };
  std::vector<std::vector<Cand>> by_low(m);
  std::vector<int> members;
  for (uint32_t mask = 1; mask <= full; ++mask) {
    const int size = __builtin_popcount(mask);
    if (size < s_.min_size || size > s_.max_size) continue;
    members.clear();
    for (int b = 0; b < m; ++b) {
      if (mask >> b & 1) members.push_back(comp[b]);
    }
    if (pool_.Check(members, CheckMode::kComplete) != GroupViolation::kNone) {
      continue;
    }
    double pair_sum = 0;
    for (size_t x = 0; x < members.size(); ++x) {
      for (size_t y = x + 1; y < members.size(); ++y) {
        pair_sum += pool_.Affinity(members[x], members[y]);
      }
    }
    by_low[__builtin_ctz(mask)].push_back(
        {mask, GroupFit(pair_sum, size), std::abs(size - s_.target_size)});
  }
  if (std::all_of(by_low.begin(), by_low.end(),
                  [](const auto& v) { return v.empty(); })) {
    return;
  }
  std::vector<int> placed(full + 1, 0), dev(full + 1, 0);
  std::vector<double> fit(full + 1, 0.0);
  std::vector<uint32_t> choice(full + 1, 0);  // 0: lowest member unplaced
  auto groups_of = [&](uint32_t first, uint32_t rest) {
    std::vector<std::vector<int>> out;
    auto add = [&](uint32_t g) {
      std::vector<int> v;
      for (int b = 0; b < m; ++b) {
        if (g >> b & 1) v.push_back(comp[b]);
      }
      out.push_back(std::move(v));
    };
    if (first != 0) add(first);
    while (rest != 0) {
      if (choice[rest] != 0) {
        add(choice[rest]);
        rest &= ~choice[rest];
      } else {
        rest &= rest - 1;
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  for (uint32_t mask = 1; mask <= full; ++mask) {
    const int low = __builtin_ctz(mask);
    const uint32_t skip = mask & (mask - 1);
    placed[mask] = placed[skip];
    fit[mask] = fit[skip];
    dev[mask] = dev[skip];
    choice[mask] = 0;
    for (const Cand& c : by_low[low]) {
      if ((c.mask & mask) != c.mask) continue;
      const uint32_t rest = mask & ~c.mask;
      const int p = __builtin_popcount(c.mask) + placed[rest];
      const double f = c.fit + fit[rest];
      const int d = c.dev + dev[rest];
      bool take;
      if (p != placed[mask]) {
        take = p > placed[mask];
      } else if (std::abs(f - fit[mask]) > kEps) {
        take = f > fit[mask];
      } else if (d != dev[mask]) {
        take = d < dev[mask];
      } else {
        const uint32_t best_rest =
            choice[mask] != 0 ? mask & ~choice[mask] : skip;
        take = groups_of(c.mask, rest) < groups_of(choice[mask], best_rest);
      }
      if (take) {
        placed[mask] = p, fit[mask] = f, dev[mask] = d, choice[mask] = c.mask;
      }
    }
  }
  for (const std::vector<int>& g : groups_of(0, full)) NewGroup(g, -1, -1);
}

// Members of heuristic components who are in no group.
std::vector<int> Search::FreeMembers() const {
  std::vector<int> out;
  for (int i : eligible_) {
    if (heuristic_[i] && group_of_[i] < 0) out.push_back(i);
  }
  return out;
}

const std::vector<int>& Search::NeighbourGroups(int i, int except) {
  scratch_groups_.clear();
  ++stamp_now_;
  for (int p : nbr_[i]) {
    const int g = group_of_[p];
    if (g < 0 || g == except || group_stamp_[g] == stamp_now_) continue;
    group_stamp_[g] = stamp_now_;
    scratch_groups_.push_back(g);
  }
  return scratch_groups_;
}

// Grows a group from `seed` with the most affine feasible candidate, up to
// target_size. Candidates are the unplaced neighbours of the members so far,
// then (when they run out) any unplaced member of the component; with
// `steal`, also neighbours in groups that stay valid without them. Commits only
// a complete valid group; returns whether it did. Grow tries once sparing
// facilitators (see `tier`) and, if that fails, once without.
bool Search::GrowOnce(int seed, bool steal, bool spare_qualifiers) {
  std::vector<int> cur = {seed};
  std::vector<int> taken_from;  // source group of cur[x], or -1
  taken_from.push_back(-1);
  std::vector<int> tmp;
  const std::vector<int>* comp_members = nullptr;
  std::vector<int> comp_list;
  auto has_qualifier = [&] {
    return std::any_of(cur.begin(), cur.end(),
                       [&](int m) { return pool_.qualifies(m); });
  };
  while (static_cast<int>(cur.size()) < s_.target_size) {
    const bool qualified = has_qualifier();
    const bool need_qualifier = s_.require_facilitator && !qualified &&
                                static_cast<int>(cur.size()) + 1 >= s_.min_size;
    // Candidates rank by tier, then gain: unplaced before taken, and (when a
    // facilitator is required and present) non-qualifying before qualifying
    // members, who are the scarce resource that seeds other groups.
    auto tier = [&](int p, int src) {
      return (src >= 0 ? 2 : 0) + (spare_qualifiers && s_.require_facilitator &&
                                           qualified && pool_.qualifies(p)
                                       ? 1
                                       : 0);
    };
    int best = -1, best_src = -1, best_tier = 0;
    double best_gain = 0;
    ++stamp_now_;
    for (int c : cur) stamp_[c] = stamp_now_;
    auto consider = [&](int p) {
      if (stamp_[p] == stamp_now_) return;
      stamp_[p] = stamp_now_;
      if (frozen_[p] || !heuristic_[p]) return;
      if (need_qualifier && !pool_.qualifies(p)) return;
      const int src = group_of_[p];
      if (src >= 0 && !steal) return;
      tmp = cur;
      tmp.push_back(p);
      if (pool_.Check(tmp, CheckMode::kPartial) != GroupViolation::kNone) {
        return;
      }
      const double gain = SumAffinity(p, cur);
      const int t = tier(p, src);
      const bool better =
          best < 0 || t < best_tier ||
          (t == best_tier &&
           (gain > best_gain + kEps || (gain > best_gain - kEps && p < best)));
      if (!better) return;
      if (src >= 0) {
        const Group& g = groups_[src];
        tmp.clear();
        for (int x : g.m) {
          if (x == p) continue;
          if (std::find(cur.begin(), cur.end(), x) != cur.end()) continue;
          tmp.push_back(x);
        }
        if (!Feasible(g, tmp)) return;
      }
      best = p, best_src = src, best_gain = gain, best_tier = t;
    };
    for (size_t x = 0; x < cur.size(); ++x) {
      for (int p : nbr_[cur[x]]) consider(p);
    }
    if (best < 0) {
      if (comp_members == nullptr) {
        for (int i : eligible_) {
          if (comp_[i] == comp_[seed] && i != seed) comp_list.push_back(i);
        }
        comp_members = &comp_list;
      }
      for (int p : *comp_members) {
        // Only unplaced members here: scanning placed ones is too costly.
        if (stamp_[p] == stamp_now_ || group_of_[p] >= 0) continue;
        if (!pool_.MayShareGroup(seed, p)) continue;
        consider(p);
      }
    }
    if (best < 0) break;
    cur.push_back(best);
    taken_from.push_back(best_src);
  }
  if (pool_.Check(cur, CheckMode::kComplete) != GroupViolation::kNone) {
    return false;
  }
  for (size_t x = 0; x < cur.size(); ++x) {
    if (taken_from[x] >= 0) RemoveMember(taken_from[x], cur[x]);
  }
  NewGroup(cur, -1, -1);
  return true;
}

void Search::Construct() {
  std::vector<int> seeds;
  for (int i : FreeMembers()) {
    if (!s_.require_facilitator || pool_.qualifies(i)) seeds.push_back(i);
  }
  std::stable_sort(seeds.begin(), seeds.end(),
                   [&](int a, int b) { return deg_[a] < deg_[b]; });
  for (int seed : seeds) {
    if (group_of_[seed] < 0) Grow(seed, /*steal=*/false);
  }
}

// Places unplaced members into free seats, best total-fit gain first.
int Search::Insert(bool only_kept) {
  using Entry = std::tuple<double, int, int, uint32_t>;  // gain, -u, -g, ver
  std::priority_queue<Entry> pq;
  std::vector<int> tmp;
  auto evaluate = [&](int u, int g) -> bool {
    const Group& grp = groups_[g];
    if (static_cast<int>(grp.m.size()) >= s_.max_size) return false;
    tmp = grp.m;
    tmp.push_back(u);
    if (!Feasible(grp, tmp)) return false;
    const int k = static_cast<int>(grp.m.size());
    const double gain = GroupFit(grp.pair_sum + SumAffinity(u, grp.m), k + 1) -
                        GroupFit(grp.pair_sum, k) - ChurnCost(u, g);
    pq.emplace(gain, -u, -g, grp.version);
    return true;
  };
  for (int u : FreeMembers()) {
    for (int g = 0; g < static_cast<int>(groups_.size()); ++g) {
      const Group& grp = groups_[g];
      if (only_kept && grp.home < 0) continue;
      if (!SameComponent(u, grp)) continue;
      const auto& a = grp.starts.words();
      const auto& b = pool_.starts(u).words();
      uint64_t any = 0;
      for (int w = 0; w < kSlotWords; ++w) any |= a[w] & b[w];
      if (any == 0) continue;
      evaluate(u, g);
    }
  }
  int placed = 0;
  while (!pq.empty()) {
    const auto [gain, nu, ng, ver] = pq.top();
    pq.pop();
    const int u = -nu, g = -ng;
    if (group_of_[u] >= 0) continue;
    if (ver != groups_[g].version) {
      evaluate(u, g);
      continue;
    }
    AddMember(g, u);
    ++placed;
  }
  return placed;
}

// New groups around unplaced members, taking members from groups that stay
// valid without them.
int Search::StealForm() {
  std::vector<int> seeds = FreeMembers();
  std::stable_sort(seeds.begin(), seeds.end(), [&](int a, int b) {
    return std::make_pair(!pool_.qualifies(a), deg_[a]) <
           std::make_pair(!pool_.qualifies(b), deg_[b]);
  });
  int formed = 0;
  for (int seed : seeds) {
    if (group_of_[seed] < 0 && Grow(seed, /*steal=*/true)) ++formed;
  }
  return formed;
}

// Places an unplaced member u into a neighbour's group B in place of one of
// its members j, who moves to a free seat in a neighbour's group C.
int Search::Eject() {
  int placed = 0;
  std::vector<int> tmp;
  for (int u : FreeMembers()) {
    bool done = false;
    std::vector<int> bs = NeighbourGroups(u, -1);
    for (int b : bs) {
      if (done) break;
      const std::vector<int> bm = groups_[b].m;
      for (int j : bm) {
        if (done) break;
        if (frozen_[j]) continue;
        tmp = bm;
        *std::find(tmp.begin(), tmp.end(), j) = u;
        if (!Feasible(groups_[b], tmp)) continue;
        for (int c : NeighbourGroups(j, b)) {
          const Group& cg = groups_[c];
          if (static_cast<int>(cg.m.size()) >= s_.max_size) continue;
          tmp = cg.m;
          tmp.push_back(j);
          if (!Feasible(cg, tmp)) continue;
          RemoveMember(b, j);
          AddMember(b, u);
          AddMember(c, j);
          ++placed;
          done = true;
          break;
        }
      }
    }
  }
  return placed;
}

// Puts unplaced member u in place of a member j of a neighbour's group when
// that raises the fit (placement stays the same; j becomes unplaced).
bool Search::Replace(int u) {
  double best = kEps;
  int best_b = -1, best_j = -1;
  std::vector<int> tmp;
  for (int b : NeighbourGroups(u, -1)) {
    const Group& gb = groups_[b];
    const int kb = static_cast<int>(gb.m.size());
    const double add_b = SumAffinity(u, gb.m);
    for (int j : gb.m) {
      if (frozen_[j]) continue;
      ++evals_;
      const double delta =
          2.0 * (add_b - pool_.Affinity(u, j) - mate_sum_[j]) / (kb - 1) -
          (ChurnCost(u, b) - ChurnCost(u, -1)) -
          (ChurnCost(j, -1) - ChurnCost(j, b));
      if (delta <= best) continue;
      tmp = gb.m;
      *std::find(tmp.begin(), tmp.end(), j) = u;
      if (!Feasible(gb, tmp)) continue;
      best = delta, best_b = b, best_j = j;
    }
  }
  if (best_b < 0) return false;
  RemoveMember(best_b, best_j);
  AddMember(best_b, u);
  return true;
}

// Best-improvement moves and swaps into the groups of each member's candidate
// neighbours (and replacements for unplaced members), in a seeded
// pseudo-random member order per pass, until a pass improves nothing or the
// budget runs out.
void Search::LocalSearch() {
  std::vector<int> order;
  for (int i : eligible_) {
    if (heuristic_[i] && !frozen_[i]) order.push_back(i);
  }
  uint64_t rng = 0x5eed0f9e0u;
  std::vector<int> tmp;
  bool improved = true;
  while (improved && Budget()) {
    improved = false;
    for (size_t x = order.size(); x > 1; --x) {
      std::swap(order[x - 1], order[SplitMix64(rng) % x]);
    }
    for (int i : order) {
      if (!Budget()) break;
      if (group_of_[i] < 0) {
        improved |= Replace(i);
        continue;
      }
      const int a = group_of_[i];
      const Group& ga = groups_[a];
      const int ka = static_cast<int>(ga.m.size());
      const double fit_a = GroupFit(ga.pair_sum, ka);
      double best = kEps;
      int best_b = -1, best_j = -1;
      for (int b : NeighbourGroups(i, a)) {
        const Group& gb = groups_[b];
        const int kb = static_cast<int>(gb.m.size());
        const double fit_b = GroupFit(gb.pair_sum, kb);
        const double add_b = SumAffinity(i, gb.m);
        const double churn_i = ChurnCost(i, b) - ChurnCost(i, a);
        if (kb < s_.max_size && ka > s_.min_size) {
          ++evals_;
          const double delta = GroupFit(ga.pair_sum - mate_sum_[i], ka - 1) +
                               GroupFit(gb.pair_sum + add_b, kb + 1) - fit_a -
                               fit_b - churn_i;
          if (delta > best) {
            tmp = ga.m;
            tmp.erase(std::find(tmp.begin(), tmp.end(), i));
            if (Feasible(ga, tmp)) {
              tmp = gb.m;
              tmp.push_back(i);
              if (Feasible(gb, tmp)) best = delta, best_b = b, best_j = -1;
            }
          }
        }
        for (int j : gb.m) {
          // Only swap with members drawn to A too (one of their candidate
          // neighbours is in A); the others rarely gain and cost |A|
          // affinities each.
          if (frozen_[j] || !HasNeighbourIn(j, a)) continue;
          ++evals_;
          const double add_a = SumAffinity(j, ga.m) - pool_.Affinity(i, j);
          const double aij = pool_.Affinity(i, j);
          const double delta = 2.0 * (add_a - mate_sum_[i]) / (ka - 1) +
                               2.0 * (add_b - aij - mate_sum_[j]) / (kb - 1) -
                               churn_i - (ChurnCost(j, a) - ChurnCost(j, b));
          if (delta <= best) continue;
          tmp = ga.m;
          *std::find(tmp.begin(), tmp.end(), i) = j;
          if (!Feasible(ga, tmp)) continue;
          tmp = gb.m;
          *std::find(tmp.begin(), tmp.end(), j) = i;
          if (!Feasible(gb, tmp)) continue;
          best = delta, best_b = b, best_j = j;
        }
      }
      if (best_b < 0) continue;
      RemoveMember(a, i);
      if (best_j >= 0) {
        RemoveMember(best_b, best_j);
        AddMember(a, best_j);
      }
      AddMember(best_b, i);
      improved = true;
    }
  }
}

SearchOutput Search::Run(const std::vector<std::vector<int>>& kept) {
  BuildCandidateGraph();
  for (size_t h = 0; h < kept.size(); ++h) {
    int fixed = -1;
    if (!opt_.full) {
      SlotSet common = pool_.slots(kept[h][0]);
      for (int m : kept[h]) common &= pool_.slots(m);
      fixed = MeetingStartSlot(common, pool_.session_slots());
    }
    const int g = NewGroup(kept[h], static_cast<int>(h), fixed);
    for (int m : kept[h]) {
      if (opt_.full) {
        home_of_[m] = g;
      } else {
        frozen_[m] = 1;
      }
    }
  }
  // Components: exact when small and free of kept members.
  std::vector<std::vector<int>> comps;
  {
    std::vector<int> comp_index(pool_.size(), -1);
    for (int i : eligible_) {
      int& c = comp_index[comp_[i]];
      if (c < 0) {
        c = static_cast<int>(comps.size());
        comps.emplace_back();
      }
      comps[c].push_back(i);
    }
  }
  for (const std::vector<int>& comp : comps) {
    const bool has_kept = std::any_of(comp.begin(), comp.end(),
                                      [&](int i) { return group_of_[i] >= 0; });
    if (static_cast<int>(comp.size()) < s_.min_size && !has_kept) continue;
    if (!has_kept &&
        static_cast<int>(comp.size()) <= opt_.exact_component_limit) {
      SolveExactly(comp);
    } else {
      for (int i : comp) heuristic_[i] = 1;
    }
  }
  Insert(/*only_kept=*/true);
  Construct();
  for (int round = 0; round < 4; ++round) {
    int placed = Insert(/*only_kept=*/false);
    placed += StealForm();
    placed += Eject();
    if (placed == 0) break;
  }
  LocalSearch();
  // Moves can open a seat that an unplaced member fits.
  Insert(/*only_kept=*/false);

  SearchOutput out;
  for (const Group& g : groups_) {
    if (g.m.empty()) continue;
    SearchGroup sg;
    sg.members = g.m;
    std::sort(sg.members.begin(), sg.members.end());
    sg.home = g.home;
    out.groups.push_back(std::move(sg));
  }
  out.upper_bound = upper_bound_;
  out.placeable = placeable_;
  out.evaluations = evals_;
  out.budget_exhausted = exhausted_;
  out.stopped_early = interrupted_;
  return out;
}

}  // namespace

SearchOutput SearchGroups(const GroupPool& pool,
                          const std::vector<int>& eligible,
                          const std::vector<std::vector<int>>& kept,
                          const SearchOptions& options) {
  Search search(pool, eligible, options);
  return search.Run(kept);
}

}  // namespace peermatch::matcher::groups_internal
