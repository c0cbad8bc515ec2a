// SlotSet: a member's weekly availability as 672 fifteen-minute UTC slots of
// the reference week (SPEC §3.1), packed in 11 machine words so that an
// overlap is 11 AND+POPCNT operations.
//
//   SlotSet a, b;
//   a.SetRange(72, 84);                  // Monday 18:00-21:00 UTC
//   b.SetRange(80, 100);
//   int minutes = 15 * a.IntersectCount(b);   // 60
//
// Slot s covers minutes [15 s, 15 s + 15) after Monday 00:00 UTC.
#ifndef PEERMATCH_MATCHER_SLOT_SET_H_
#define PEERMATCH_MATCHER_SLOT_SET_H_

#include <array>
#include <cstdint>

namespace peermatch::matcher {

inline constexpr int kMinutesPerWeek = 10080;
inline constexpr int kSlotMinutes = 15;
inline constexpr int kSlotsPerWeek = kMinutesPerWeek / kSlotMinutes;  // 672
inline constexpr int kSlotWords = (kSlotsPerWeek + 63) / 64;          // 11

class SlotSet {
 public:
  SlotSet() : words_{} {}

  bool Test(int slot) const { return (words_[slot >> 6] >> (slot & 63)) & 1u; }
  void Set(int slot) { words_[slot >> 6] |= uint64_t{1} << (slot & 63); }

  // Sets slots [begin, end) with 0 <= begin <= end <= kSlotsPerWeek.
  void SetRange(int begin, int end) {
    for (int s = begin; s < end; ++s) Set(s);
  }

  // Sets `count` slots starting at `begin`, wrapping past the week's end.
  void SetCyclic(int begin, int count) {
    if (count >= kSlotsPerWeek) {
      SetRange(0, kSlotsPerWeek);
      return;
    }
    for (int i = 0; i < count; ++i) Set((begin + i) % kSlotsPerWeek);
  }

  int Count() const {
    int n = 0;
    for (uint64_t w : words_) n += __builtin_popcountll(w);
    return n;
  }

  int IntersectCount(const SlotSet& o) const {
    int n = 0;
    for (int i = 0; i < kSlotWords; ++i) {
      n += __builtin_popcountll(words_[i] & o.words_[i]);
    }
    return n;
  }

  SlotSet& operator&=(const SlotSet& o) {
    for (int i = 0; i < kSlotWords; ++i) words_[i] &= o.words_[i];
    return *this;
  }
  SlotSet& operator|=(const SlotSet& o) {
    for (int i = 0; i < kSlotWords; ++i) words_[i] |= o.words_[i];
    return *this;
  }
  friend SlotSet operator&(SlotSet a, const SlotSet& b) { return a &= b; }
  friend bool operator==(const SlotSet& a, const SlotSet& b) {
    return a.words_ == b.words_;
  }

  bool Empty() const {
    for (uint64_t w : words_) {
      if (w != 0) return false;
    }
    return true;
  }

  const std::array<uint64_t, kSlotWords>& words() const { return words_; }

 private:
  std::array<uint64_t, kSlotWords> words_;
};

}  // namespace peermatch::matcher

#endif  // PEERMATCH_MATCHER_SLOT_SET_H_
