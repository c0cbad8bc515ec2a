// k / n as IEEE doubles from a table computed at compile time with the same
// division, for the component fractions of SPEC §3 (at most 32 tags of each
// kind, so a union of two has at most 64). Internal to the matcher.
#ifndef PEERMATCH_MATCHER_INTERNAL_FRACTION_H_
#define PEERMATCH_MATCHER_INTERNAL_FRACTION_H_

namespace peermatch::matcher::internal {

inline constexpr int kFractionTable = 64;

struct FractionTable {
  constexpr FractionTable() : value{} {
    for (int n = 0; n <= kFractionTable; ++n) {
      for (int k = 0; k <= kFractionTable; ++k) {
        value[n][k] = n == 0 ? 0.0 : static_cast<double>(k) / n;
      }
    }
  }
  double value[kFractionTable + 1][kFractionTable + 1];
};

inline constexpr FractionTable kFractions;

// k / n, or 0 when n == 0. Requires 0 <= k <= n.
inline double Fraction(int k, int n) {
  if (n <= kFractionTable) return kFractions.value[n][k];
  return static_cast<double>(k) / n;
}

}  // namespace peermatch::matcher::internal

#endif  // PEERMATCH_MATCHER_INTERNAL_FRACTION_H_
