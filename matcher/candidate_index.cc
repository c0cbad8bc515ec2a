#include "matcher/candidate_index.h"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace peermatch::matcher {
namespace {

// bits &= OR of the given bitmaps (all `words` long), using `any` as scratch.
void AndWithUnion(absl::Span<const uint64_t* const> bitmaps, int32_t words,
                  uint64_t* any, uint64_t* bits) {
  std::fill(any, any + words, 0);
  for (const uint64_t* b : bitmaps) {
    for (int32_t w = 0; w < words; ++w) any[w] |= b[w];
  }
  for (int32_t w = 0; w < words; ++w) bits[w] &= any[w];
}

}  // namespace

uint64_t AvailabilityBlocks(const SlotSet& slots) {
  uint64_t blocks = 0;
  for (int b = 0; b < kSlotsPerWeek / 12; ++b) {
    // Slots [12 b, 12 b + 12) lie in at most two words.
    const int first = 12 * b;
    const int last = first + 11;
    const auto& w = slots.words();
    uint64_t touched;
    if ((first >> 6) == (last >> 6)) {
      touched = (w[first >> 6] >> (first & 63)) & 0xfff;
    } else {
      touched = (w[first >> 6] >> (first & 63)) |
                (w[last >> 6] & ((uint64_t{1} << ((last & 63) + 1)) - 1));
    }
    if (touched != 0) blocks |= uint64_t{1} << b;
  }
  return blocks;
}

int32_t CandidateIndex::NewBitmap() {
  const int32_t id =
      static_cast<int32_t>(bitmaps_.size() / static_cast<size_t>(words_));
  bitmaps_.resize(bitmaps_.size() + words_, 0);
  return id;
}

CandidateIndex::CandidateIndex(const Scorer& scorer,
                               absl::Span<const MemberIndex> mentors)
    : scorer_(&scorer), pool_(&scorer.pool()) {
  for (MemberIndex m : mentors) {
    if (scorer.EligibleMentor(m)) mentors_.push_back(m);
  }
  words_ = std::max<int32_t>(1, (size() + 63) / 64);
  const PoolSettings& s = scorer.settings();
  filter_availability_ = s.min_overlap_minutes > 0;
  std::fill(std::begin(language_), std::end(language_), -1);
  std::fill(std::begin(block_), std::end(block_), -1);
  for (int stage = 1; stage <= 5; ++stage) stage_ok_[stage] = NewBitmap();
  stage_ok_[0] = -1;
  for (int32_t pos = 0; pos < size(); ++pos) {
    const MemberCore& c = pool_->core(mentors_[pos]);
    for (int stage = 1; stage <= 5; ++stage) {
      if (c.stage >= s.mentor_min_stage && c.stage - stage >= s.min_stage_gap) {
        SetBit(stage_ok_[stage], pos);
      }
    }
    for (uint64_t l = c.languages; l != 0; l &= l - 1) {
      int32_t& id = language_[__builtin_ctzll(l)];
      if (id < 0) id = NewBitmap();
      SetBit(id, pos);
    }
    if (c.flags & kFlagRareLanguages) {
      if (rare_language_ < 0) rare_language_ = NewBitmap();
      SetBit(rare_language_, pos);
    }
    if (c.modalities & kModalityBitText) {
      if (text_ < 0) text_ = NewBitmap();
      SetBit(text_, pos);
    }
    if (c.modalities & kModalityBitVideo) {
      if (video_ < 0) video_ = NewBitmap();
      SetBit(video_, pos);
    }
    if ((c.modalities & kModalityBitInPerson) && c.region != kNoRegion) {
      auto [it, inserted] = in_person_.try_emplace(c.region, -1);
      if (inserted) it->second = NewBitmap();
      SetBit(it->second, pos);
    }
    for (uint64_t b = AvailabilityBlocks(c.slots); b != 0; b &= b - 1) {
      int32_t& id = block_[__builtin_ctzll(b)];
      if (id < 0) id = NewBitmap();
      SetBit(id, pos);
    }
  }
}

bool CandidateIndex::CandidateBits(MemberIndex e, Scratch* scratch) const {
  if (size() == 0 || !scorer_->EligibleMentee(e)) return false;
  const MemberCore& c = pool_->core(e);
  scratch->bits.resize(words_);
  scratch->any.resize(words_);
  uint64_t* bits = scratch->bits.data();
  uint64_t* any = scratch->any.data();
  const uint64_t* stage = Bitmap(stage_ok_[c.stage]);
  std::copy(stage, stage + words_, bits);

  // At most 64 languages + 1, 3 modalities or 56 blocks per group.
  const uint64_t* group[kBlocks + 1];
  int n = 0;
  for (uint64_t l = c.languages; l != 0; l &= l - 1) {
    const int32_t id = language_[__builtin_ctzll(l)];
    if (id >= 0) group[n++] = Bitmap(id);
  }
  if ((c.flags & kFlagRareLanguages) && rare_language_ >= 0) {
    group[n++] = Bitmap(rare_language_);
  }
  if (n == 0) return false;
  AndWithUnion(absl::MakeConstSpan(group, n), words_, any, bits);

  n = 0;
  if ((c.modalities & kModalityBitText) && text_ >= 0)
    group[n++] = Bitmap(text_);
  if ((c.modalities & kModalityBitVideo) && video_ >= 0) {
    group[n++] = Bitmap(video_);
  }
  if ((c.modalities & kModalityBitInPerson) && c.region != kNoRegion) {
    if (auto it = in_person_.find(c.region); it != in_person_.end()) {
      group[n++] = Bitmap(it->second);
    }
  }
  if (n == 0) return false;
  AndWithUnion(absl::MakeConstSpan(group, n), words_, any, bits);

  if (filter_availability_) {
    n = 0;
    for (uint64_t b = AvailabilityBlocks(c.slots); b != 0; b &= b - 1) {
      const int32_t id = block_[__builtin_ctzll(b)];
      if (id >= 0) group[n++] = Bitmap(id);
    }
    if (n == 0) return false;
    AndWithUnion(absl::MakeConstSpan(group, n), words_, any, bits);
  }
  return true;
}

void CandidateIndex::Acceptable(MemberIndex e, Scratch* scratch,
                                std::vector<Candidate>* out) const {
  out->clear();
  if (!CandidateBits(e, scratch)) return;
  const int32_t min_micros = scorer_->min_score_micros();
  const uint64_t* bits = scratch->bits.data();
  for (int32_t w = 0; w < words_; ++w) {
    for (uint64_t b = bits[w]; b != 0; b &= b - 1) {
      const MemberIndex m = mentors_[w * 64 + __builtin_ctzll(b)];
      PairScores s;
      if (scorer_->Score(e, m, &s) && s.mentee_micros >= min_micros &&
          s.mentor_micros >= min_micros) {
        out->push_back({m, s.mentee_micros, s.mentor_micros});
      }
    }
  }
}

bool CandidateIndex::CompatibleScorer(const Scorer& scorer) const {
  const PoolSettings& a = scorer.settings();
  const PoolSettings& b = scorer_->settings();
  return &scorer.pool() == pool_ && a.mentor_min_stage == b.mentor_min_stage &&
         a.min_stage_gap == b.min_stage_gap &&
         a.min_overlap_minutes == b.min_overlap_minutes &&
         a.require_screening == b.require_screening;
}

void CandidateIndex::TopK(const Scorer& scorer, MemberIndex e, int k,
                          absl::Span<const MemberIndex> exclude,
                          Scratch* scratch, std::vector<Candidate>* out) const {
  out->clear();
  if (k <= 0 || !CandidateBits(e, scratch)) return;
  const int32_t min_micros = scorer.min_score_micros();
  std::vector<Candidate>& heap = scratch->heap;  // front: worst kept
  heap.clear();
  auto better = [this](const Candidate& a, const Candidate& b) {
    return BetterForMentee(a, b);
  };
  const uint64_t* bits = scratch->bits.data();
  for (int32_t w = 0; w < words_; ++w) {
    for (uint64_t b = bits[w]; b != 0; b &= b - 1) {
      const MemberIndex m = mentors_[w * 64 + __builtin_ctzll(b)];
      PairScores s;
      if (!scorer.Score(e, m, &s) || s.mentee_micros < min_micros ||
          s.mentor_micros < min_micros) {
        continue;
      }
      const Candidate c{m, s.mentee_micros, s.mentor_micros};
      if (static_cast<int>(heap.size()) == k && !better(c, heap.front())) {
        continue;
      }
      if (!exclude.empty() &&
          std::binary_search(exclude.begin(), exclude.end(), m)) {
        continue;
      }
      if (static_cast<int>(heap.size()) == k) {
        std::pop_heap(heap.begin(), heap.end(), better);
        heap.back() = c;
      } else {
        heap.push_back(c);
      }
      std::push_heap(heap.begin(), heap.end(), better);
    }
  }
  std::sort_heap(heap.begin(), heap.end(), better);
  out->assign(heap.begin(), heap.end());
}

size_t CandidateIndex::MemoryBytes() const {
  return sizeof(*this) + mentors_.capacity() * sizeof(MemberIndex) +
         bitmaps_.capacity() * sizeof(uint64_t) +
         in_person_.capacity() * (sizeof(uint32_t) + sizeof(int32_t) + 1);
}

}  // namespace peermatch::matcher
