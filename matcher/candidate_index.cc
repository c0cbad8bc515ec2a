#include "matcher/candidate_index.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "matcher/internal/fraction.h"

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

// Bit-sliced counters: plane p of word w is counts[w * kPlanes + p]; the
// count of position 64 w + i is the sum over p of bit i of plane p times 2^p.
constexpr int kPlanes = 8;  // counts up to 255 (tags per member <= 255)

void AddBitSliced(const uint64_t* bitmap, int32_t words, uint64_t* counts) {
  for (int32_t w = 0; w < words; ++w) {
    uint64_t carry = bitmap[w];
    uint64_t* planes = counts + static_cast<size_t>(w) * kPlanes;
    for (int p = 0; carry != 0 && p < kPlanes; ++p) {
      const uint64_t next = planes[p] & carry;
      planes[p] ^= carry;
      carry = next;
    }
  }
}

// The count at `position`, reading the low `planes_used` planes.
int CountAt(const std::vector<uint64_t>& counts, int planes_used,
            int32_t position) {
  const uint64_t* planes =
      counts.data() + static_cast<size_t>(position >> 6) * kPlanes;
  const int bit = position & 63;
  int n = 0;
  for (int p = 0; p < planes_used; ++p) {
    n |= static_cast<int>((planes[p] >> bit) & 1) << p;
  }
  return n;
}

// Planes needed to hold a count of up to n.
int PlanesFor(int n) { return n == 0 ? 0 : 32 - __builtin_clz(n); }

// Bounds are sorted into this many buckets of equal numerator width.
constexpr int kBoundBuckets = 1024;

}  // namespace

HourSet TouchedHours(const SlotSet& slots) {
  // A word holds 64 slots = 16 whole hours, so hour 16 w + j is nibble j of
  // word w.
  HourSet hours = {};
  for (int w = 0; w < kSlotWords; ++w) {
    const uint64_t word = slots.words()[w];
    for (int j = 0; j < 16 && 16 * w + j < kSlotsPerWeek / 4; ++j) {
      if ((word >> (4 * j)) & 0xf) {
        const int h = 16 * w + j;
        hours[h >> 6] |= uint64_t{1} << (h & 63);
      }
    }
  }
  return hours;
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
  // Position order is id order, so ties compare positions.
  std::sort(mentors_.begin(), mentors_.end(),
            [this](MemberIndex a, MemberIndex b) {
              return pool_->order(a) < pool_->order(b);
            });
  cores_.reserve(mentors_.size());
  for (MemberIndex m : mentors_) cores_.push_back(pool_->core(m));
  words_ = std::max<int32_t>(1, (size() + 63) / 64);
  const PoolSettings& s = scorer.settings();
  filter_availability_ = s.min_overlap_minutes > 0;
  std::fill(std::begin(language_), std::end(language_), -1);
  std::fill(std::begin(hour_), std::end(hour_), -1);
  std::fill(std::begin(trigger_), std::end(trigger_), -1);
  std::fill(std::begin(interest_), std::end(interest_), -1);
  stage_of_.resize(mentors_.size());
  interests_of_.resize(mentors_.size());
  for (int stage = 1; stage <= 5; ++stage) stage_ok_[stage] = NewBitmap();
  stage_ok_[0] = -1;
  for (int32_t pos = 0; pos < size(); ++pos) {
    const MemberCore& c = pool_->core(mentors_[pos]);
    for (uint32_t t : pool_->rare_triggers(mentors_[pos])) {
      auto [it, inserted] = rare_trigger_.try_emplace(t, -1);
      if (inserted) it->second = NewBitmap();
      SetBit(it->second, pos);
    }
    for (uint32_t t : pool_->rare_interests(mentors_[pos])) {
      auto [it, inserted] = rare_interest_.try_emplace(t, -1);
      if (inserted) it->second = NewBitmap();
      SetBit(it->second, pos);
    }
    stage_of_[pos] = c.stage;
    interests_of_[pos] = c.num_interests;
    for (int w = 0; w < kTagWords; ++w) {
      for (uint64_t t = c.triggers[w]; t != 0; t &= t - 1) {
        int32_t& id = trigger_[64 * w + __builtin_ctzll(t)];
        if (id < 0) id = NewBitmap();
        SetBit(id, pos);
      }
      for (uint64_t t = c.interests[w]; t != 0; t &= t - 1) {
        int32_t& id = interest_[64 * w + __builtin_ctzll(t)];
        if (id < 0) id = NewBitmap();
        SetBit(id, pos);
      }
    }
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
    const HourSet hours = TouchedHours(c.slots);
    for (int w = 0; w < 3; ++w) {
      for (uint64_t h = hours[w]; h != 0; h &= h - 1) {
        int32_t& id = hour_[64 * w + __builtin_ctzll(h)];
        if (id < 0) id = NewBitmap();
        SetBit(id, pos);
      }
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

  // At most 64 languages + 1, 3 modalities or 168 hours per group.
  const uint64_t* group[kHours];
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
    const HourSet hours = TouchedHours(c.slots);
    for (int w = 0; w < 3; ++w) {
      for (uint64_t h = hours[w]; h != 0; h &= h - 1) {
        const int32_t id = hour_[64 * w + __builtin_ctzll(h)];
        if (id >= 0) group[n++] = Bitmap(id);
      }
    }
    if (n == 0) return false;
    AndWithUnion(absl::MakeConstSpan(group, n), words_, any, bits);
  }
  return true;
}

void CandidateIndex::Bounds(const Scorer& scorer, MemberIndex e,
                            Scratch* scratch) const {
  const MemberCore& ce = pool_->core(e);
  // Shared-tag counts of every indexed mentor, bit-sliced.
  // Exact shared-tag counts; returns the number of planes in use.
  auto count = [&](const uint64_t(&tags)[kTagWords], const int32_t* bitmap_of,
                   const std::vector<uint32_t>& rare,
                   const absl::flat_hash_map<uint32_t, int32_t>& rare_bitmap_of,
                   std::vector<uint64_t>& counts) {
    counts.assign(static_cast<size_t>(words_) * kPlanes, 0);
    int added = 0;
    for (int w = 0; w < kTagWords; ++w) {
      for (uint64_t t = tags[w]; t != 0; t &= t - 1) {
        const int32_t id = bitmap_of[64 * w + __builtin_ctzll(t)];
        if (id >= 0) {
          AddBitSliced(Bitmap(id), words_, counts.data());
          ++added;
        }
      }
    }
    for (uint32_t t : rare) {
      if (auto it = rare_bitmap_of.find(t); it != rare_bitmap_of.end()) {
        AddBitSliced(Bitmap(it->second), words_, counts.data());
        ++added;
      }
    }
    return PlanesFor(added);
  };
  const int trigger_planes =
      count(ce.triggers, trigger_, pool_->rare_triggers(e), rare_trigger_,
            scratch->trigger_counts);
  const int interest_planes =
      count(ce.interests, interest_, pool_->rare_interests(e), rare_interest_,
            scratch->interest_counts);
  const int num_triggers = ce.num_triggers;
  const int num_interests = ce.num_interests;

  // "Shares e's first modality" and "speaks e's first language".
  const uint64_t* first_modality = nullptr;
  if (ce.first_modality == kModalityBitText && text_ >= 0) {
    first_modality = Bitmap(text_);
  } else if (ce.first_modality == kModalityBitVideo && video_ >= 0) {
    first_modality = Bitmap(video_);
  } else if (ce.first_modality == kModalityBitInPerson &&
             ce.region != kNoRegion) {
    if (auto it = in_person_.find(ce.region); it != in_person_.end()) {
      first_modality = Bitmap(it->second);
    }
  }
  const bool first_language_known = ce.first_language < kBitLanguages;
  const uint64_t* first_language =
      first_language_known && language_[ce.first_language] >= 0
          ? Bitmap(language_[ce.first_language])
          : nullptr;

  // The bound's numerator as a sum of per-mentee weight products. The sum
  // is not in the pinned order, so it carries a slack far above rounding
  // error; it only orders candidates and decides when to stop, for which a
  // value >= the pinned numerator is all that matters.
  const std::array<double, kNumComponents>& w = scorer.mentee_weights();
  const double base = w[3] * 1.0;  // availability at its maximum
  double stage_term[6];
  for (int stage = 1; stage <= 5; ++stage) {
    stage_term[stage] = w[2] * scorer.stage_value(ce.stage, stage);
  }
  const double modality_term[2] = {w[4] * 0.5, w[4] * 1.0};
  const double language_term[2] = {w[5] * 0.5, w[5] * 1.0};
  const double top = w[0] + w[1] + w[2] + w[3] + w[4] + w[5];
  const double slack = 1e-12 * std::max(1.0, top);
  const double scale = kBoundBuckets / (top + 2 * slack);

  auto& bounds = scratch->bounds;
  bounds.clear();
  auto& largest = scratch->bucket_max;
  largest.assign(kBoundBuckets, -1.0);
  const uint64_t* bits = scratch->bits.data();
  for (int32_t word = 0; word < words_; ++word) {
    for (uint64_t b = bits[word]; b != 0; b &= b - 1) {
      const int bit = __builtin_ctzll(b);
      const int32_t position = word * 64 + bit;
      const int trig =
          CountAt(scratch->trigger_counts, trigger_planes, position);
      const int inter =
          CountAt(scratch->interest_counts, interest_planes, position);
      const int uni = num_interests + interests_of_[position] - inter;
      const bool modality =
          first_modality && ((first_modality[word] >> bit) & 1);
      const bool language =
          !first_language_known ||
          (first_language && ((first_language[word] >> bit) & 1));
      const double numerator = w[0] * internal::Fraction(trig, num_triggers) +
                               w[1] * internal::Fraction(inter, uni) +
                               stage_term[stage_of_[position]] + base +
                               modality_term[modality] +
                               language_term[language] + slack;
      const int q =
          std::min(kBoundBuckets - 1, static_cast<int>(numerator * scale));
      largest[q] = std::max(largest[q], numerator);
      bounds.emplace_back(q, position);
    }
  }
}

void CandidateIndex::Acceptable(MemberIndex e, Scratch* scratch,
                                std::vector<Candidate>* out) const {
  out->clear();
  if (!CandidateBits(e, scratch)) return;
  const int32_t min_micros = scorer_->min_score_micros();
  const MemberCore& ce = pool_->core(e);
  const uint64_t* bits = scratch->bits.data();
  for (int32_t w = 0; w < words_; ++w) {
    for (uint64_t b = bits[w]; b != 0; b &= b - 1) {
      const int32_t position = w * 64 + __builtin_ctzll(b);
      const MemberIndex m = mentors_[position];
      PairScores s;
      if (scorer_->ScoreCores(e, ce, m, cores_[position], &s) &&
          s.mentee_micros >= min_micros && s.mentor_micros >= min_micros) {
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
  const MemberCore& ce = pool_->core(e);
  Bounds(scorer, e, scratch);
  auto& bounds = scratch->bounds;
  // Heap of (candidate, position); front: the worst kept. Positions are in
  // id order, so ties compare positions without touching the pool.
  auto& heap = scratch->heap;
  heap.clear();
  auto better = [](const std::pair<Candidate, int32_t>& a,
                   const std::pair<Candidate, int32_t>& b) {
    if (a.first.mentee_micros != b.first.mentee_micros) {
      return a.first.mentee_micros > b.first.mentee_micros;
    }
    return a.second < b.second;
  };
  // Counting sort of the candidates by bucket of bound; each bucket's
  // largest bound decides exactly whether any of it can still enter.
  auto& start = scratch->bucket_start;
  const auto& largest = scratch->bucket_max;
  start.assign(kBoundBuckets + 1, 0);
  for (const auto& [q, position] : bounds) ++start[q + 1];
  for (int q = 0; q < kBoundBuckets; ++q) start[q + 1] += start[q];
  auto& sorted = scratch->sorted;
  sorted.resize(bounds.size());
  {
    auto& fill = scratch->bucket_fill;
    fill.assign(start.begin(), start.end() - 1);
    for (const auto& [q, position] : bounds) sorted[fill[q]++] = position;
  }
  for (int q = kBoundBuckets - 1; q >= 0; --q) {
    if (start[q] == start[q + 1]) continue;
    if (static_cast<int>(heap.size()) == k &&
        scorer.MenteeMicros(largest[q]) < heap.front().first.mentee_micros) {
      break;  // no candidate in this or a lower bucket can enter
    }
    for (int32_t i = start[q]; i < start[q + 1]; ++i) {
      const int32_t position = sorted[i];
      const MemberIndex m = mentors_[position];
      PairScores s;
      if (!scorer.ScoreCores(e, ce, m, cores_[position], &s) ||
          s.mentee_micros < min_micros || s.mentor_micros < min_micros) {
        continue;
      }
      const std::pair<Candidate, int32_t> c{
          {m, s.mentee_micros, s.mentor_micros}, position};
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
  out->reserve(heap.size());
  for (const auto& [c, position] : heap) out->push_back(c);
}

size_t CandidateIndex::MemoryBytes() const {
  return sizeof(*this) + mentors_.capacity() * sizeof(MemberIndex) +
         stage_of_.capacity() + interests_of_.capacity() +
         (rare_trigger_.capacity() + rare_interest_.capacity()) *
             (sizeof(uint32_t) + sizeof(int32_t) + 1) +
         cores_.capacity() * sizeof(MemberCore) +
         bitmaps_.capacity() * sizeof(uint64_t) +
         in_person_.capacity() * (sizeof(uint32_t) + sizeof(int32_t) + 1);
}

}  // namespace peermatch::matcher
