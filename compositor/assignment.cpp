#include "compositor/assignment.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <functional>
#include <limits>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace tessera::compositor {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kNone = -std::numeric_limits<double>::infinity();
// Epsilon shrinks by this factor per phase; 4..10 are all reasonable (Bertsekas).
constexpr double kEpsilonFactor = 6;
// A warm start begins at this share of the cost range: prices from the last solve are close, so
// it skips the coarse phases of a cold start (range / 4).
constexpr double kWarmEpsilonShare = 1.0 / 512;
// The clock is read once per this many bids or checks.
constexpr int kStepsPerClockRead = 32;

// The largest of v[0..n), two lanes at a time where SSE2 is available.
double maxOf(const double* v, int n) {
  int i = 0;
  double best = kNone;
#if defined(__SSE2__)
  __m128d m0 = _mm_set1_pd(kNone), m1 = m0;
  for (; i + 4 <= n; i += 4) {
    m0 = _mm_max_pd(m0, _mm_loadu_pd(v + i));
    m1 = _mm_max_pd(m1, _mm_loadu_pd(v + i + 2));
  }
  m0 = _mm_max_pd(m0, m1);
  best = std::max(_mm_cvtsd_f64(m0), _mm_cvtsd_f64(_mm_unpackhi_pd(m0, m0)));
#endif
  for (; i < n; ++i) best = std::max(best, v[i]);
  return best;
}

}  // namespace

double BalancedAssignment::benefit(int cell, int feed) const {
  double cost = mProblem.costs[static_cast<std::size_t>(cell) * mFeeds + feed];
  if (!mProblem.keep.empty() && mProblem.keep[cell] == feed) cost -= mProblem.keepBonus;
  return -cost * mScale;
}

// values[f] = benefit(cell, f) - cheapest price of f: what each feed is worth to the cell now.
double BalancedAssignment::scanFeeds(int cell) {
  const std::int32_t* costs = mProblem.costs.data() + static_cast<std::size_t>(cell) * mFeeds;
  const double* price = mMinPrice.data();
  double* out = mValues.data();
  const double negScale = -mScale;
  int f = 0;
  double best = kNone;
#if defined(__SSE2__)
  const __m128d s = _mm_set1_pd(negScale);
  __m128d m0 = _mm_set1_pd(kNone), m1 = m0;
  for (; f + 4 <= mFeeds; f += 4) {
    const __m128i c = _mm_loadu_si128(reinterpret_cast<const __m128i*>(costs + f));
    const __m128d lo = _mm_sub_pd(_mm_mul_pd(_mm_cvtepi32_pd(c), s), _mm_loadu_pd(price + f));
    const __m128d hi =
        _mm_sub_pd(_mm_mul_pd(_mm_cvtepi32_pd(_mm_shuffle_epi32(c, _MM_SHUFFLE(1, 0, 3, 2))), s),
                   _mm_loadu_pd(price + f + 2));
    _mm_storeu_pd(out + f, lo);
    _mm_storeu_pd(out + f + 2, hi);
    m0 = _mm_max_pd(m0, lo);
    m1 = _mm_max_pd(m1, hi);
  }
  m0 = _mm_max_pd(m0, m1);
  best = std::max(_mm_cvtsd_f64(m0), _mm_cvtsd_f64(_mm_unpackhi_pd(m0, m0)));
#endif
  for (; f < mFeeds; ++f) {
    out[f] = static_cast<double>(costs[f]) * negScale - price[f];
    best = std::max(best, out[f]);
  }
  // Hysteresis: the kept feed is worth more than its cost says.
  if (!mProblem.keep.empty()) {
    const int keep = mProblem.keep[cell];
    if (keep >= 0 && keep < mFeeds) {
      out[keep] += mProblem.keepBonus * mScale;
      best = std::max(best, out[keep]);
    }
  }
  return best;
}

namespace {

// The cheapest and second cheapest of prices[first, last) and where the cheapest is.
void cheapest(const std::vector<double>& prices, int first, int last, double* m1, double* m2,
              int* at) {
  *m1 = *m2 = std::numeric_limits<double>::infinity();
  *at = first;
  for (int s = first; s < last; ++s) {
    const double v = prices[s];
    if (v < *m1) {
      *m2 = *m1;
      *m1 = v;
      *at = s;
    } else if (v < *m2) {
      *m2 = v;
    }
  }
}

}  // namespace

void BalancedAssignment::refreshFeed(int feed) {
  const int first = feed * mSlotsPerFeed, last = first + mSlotsPerFeed;
  cheapest(mPrice, first, last, &mMinPrice[feed], &mMinPrice2[feed], &mMinSlot[feed]);
}

void BalancedAssignment::rebuildOptionalHeap() {
  mOptHeap.clear();
  for (int f = 0; f < mFeeds; ++f) {
    for (int slot = f * mSlotsPerFeed + mMandatory; slot < (f + 1) * mSlotsPerFeed; ++slot) {
      mOptHeap.emplace_back(mPrice[slot], slot);
    }
  }
  std::make_heap(mOptHeap.begin(), mOptHeap.end(), std::greater<>());
}

int BalancedAssignment::popCheapestOptional() {
  while (!mOptHeap.empty()) {
    std::pop_heap(mOptHeap.begin(), mOptHeap.end(), std::greater<>());
    const auto [price, slot] = mOptHeap.back();
    mOptHeap.pop_back();
    if (price == mPrice[slot]) return slot;
  }
  return -1;
}

void BalancedAssignment::award(int person, int slot, double price) {
  const int previous = mOwner[slot];
  if (previous >= 0) {
    mSlotOf[previous] = -1;
    (previous < mCells ? mQueue : mDummyQueue).push_back(previous);
  }
  mOwner[slot] = person;
  mSlotOf[person] = slot;
  mPrice[slot] = price;
  refreshFeed(slot / mSlotsPerFeed);
  if (slot % mSlotsPerFeed >= mMandatory) {
    mOptHeap.emplace_back(price, slot);
    std::push_heap(mOptHeap.begin(), mOptHeap.end(), std::greater<>());
    if (mOptHeap.size() > 4 * mOptionalSlots) rebuildOptionalHeap();
  }
  ++mBids;
}

// A real cell bids for the cheapest slot of the feed worth most to it, raising that slot's
// price by its margin over the second-best choice plus epsilon.
void BalancedAssignment::bidReal(int person) {
  const double best = scanFeeds(person);
  int bestFeed = 0;
  while (mValues[bestFeed] != best) ++bestFeed;
  mValues[bestFeed] = kNone;
  double second = maxOf(mValues.data(), mFeeds);
  // The second cheapest slot of the same feed is an alternative too.
  if (mSlotsPerFeed > 1) {
    second = std::max(second, benefit(person, bestFeed) - mMinPrice2[bestFeed]);
  }
  const int slot = mMinSlot[bestFeed];
  const double increment = second == kNone ? mEps : best - second + mEps;
  award(person, slot, mPrice[slot] + increment);
}

// Dummy persons only take optional slots, each worth 0 to them, so they are all alike: the k
// waiting take the k cheapest optional slots, each at the price of the next cheapest plus
// epsilon. Every one of them is then within epsilon of its best choice, as k single bids would
// leave them, without k rounds of outbidding each other.
void BalancedAssignment::bidDummies() {
  mDummyBatch.swap(mDummyQueue);
  mDummyQueue.clear();
  mTaken.clear();
  for (std::size_t i = 0; i < mDummyBatch.size(); ++i) {
    const int slot = popCheapestOptional();
    assert(slot >= 0);  // there are more optional slots than dummies
    mTaken.push_back(slot);
  }
  const int next = popCheapestOptional();
  double level = kNone;
  if (next >= 0) {
    level = mPrice[next];
    mOptHeap.emplace_back(level, next);  // still valid: put it back
    std::push_heap(mOptHeap.begin(), mOptHeap.end(), std::greater<>());
  }
  for (std::size_t i = 0; i < mDummyBatch.size(); ++i) {
    const int slot = mTaken[i];
    award(mDummyBatch[i], slot, (next >= 0 ? level : mPrice[slot]) + mEps);
  }
}

// Epsilon-complementary slackness: the person's slot is within epsilon of its best choice.
bool BalancedAssignment::satisfiesCs(int person) {
  const int slot = mSlotOf[person];
  const int feed = slot / mSlotsPerFeed;
  double best = kNone;
  double own = 0;
  if (person < mCells) {
    best = scanFeeds(person);
    own = benefit(person, feed) - mPrice[slot];
  } else {
    if (slot % mSlotsPerFeed < mMandatory) return false;
    // The cheapest optional slot (left in the heap).
    const int cheapestSlot = popCheapestOptional();
    assert(cheapestSlot >= 0);
    mOptHeap.emplace_back(mPrice[cheapestSlot], cheapestSlot);
    std::push_heap(mOptHeap.begin(), mOptHeap.end(), std::greater<>());
    best = -mPrice[cheapestSlot];
    own = -mPrice[slot];
  }
  return own >= best - mEps;
}

void BalancedAssignment::start(const Problem& problem) {
  mState = State::kIdle;
  mBids = 0;
  if (problem.cells <= 0 || problem.feeds <= 0) {
    mResult.clear();
    mFeedPrices.clear();
    return;
  }
  assert(problem.costs.size() == static_cast<std::size_t>(problem.cells) * problem.feeds);
  assert(problem.keep.empty() || problem.keep.size() == static_cast<std::size_t>(problem.cells));
  assert(problem.prices.empty() ||
         problem.prices.size() == static_cast<std::size_t>(problem.feeds));
  mProblem = problem;
  mCells = problem.cells;
  mFeeds = problem.feeds;
  const int floorShare = mCells / mFeeds;
  const int ceilShare = (mCells + mFeeds - 1) / mFeeds;
  mMandatory = problem.minUses < 0 ? floorShare : std::clamp(problem.minUses, 0, floorShare);
  mSlotsPerFeed = problem.maxUses < 0 ? ceilShare : std::clamp(problem.maxUses, ceilShare, mCells);
  // No feed can take more than its lower bound plus every cell the lower bounds leave over.
  mSlotsPerFeed =
      std::max(ceilShare, std::min(mSlotsPerFeed, mMandatory + (mCells - mFeeds * mMandatory)));
  mPersons = mFeeds * mSlotsPerFeed;  // the cells, plus dummies for the optional slots left
  mExact = problem.exact || mPersons <= kExactPersons;
  mScale = mExact ? static_cast<double>(mPersons) + 1 : 1.0;

  const auto slots = static_cast<std::size_t>(mPersons);
  const auto feeds = static_cast<std::size_t>(mFeeds);
  mPrice.assign(slots, 0.0);
  mOwner.assign(slots, -1);
  mSlotOf.assign(slots, -1);
  mMinPrice.assign(feeds, 0.0);
  mMinPrice2.assign(feeds, 0.0);
  mMinSlot.assign(feeds, 0);
  mValues.assign(feeds, 0.0);
  const bool warm = !problem.prices.empty();
  for (int f = 0; f < mFeeds; ++f) {
    const double price = warm ? std::round(problem.prices[f] * mScale) : 0.0;
    std::fill_n(mPrice.begin() + static_cast<std::ptrdiff_t>(f) * mSlotsPerFeed, mSlotsPerFeed,
                price);
    refreshFeed(f);
  }
  mOptionalSlots = static_cast<std::size_t>(mFeeds) * (mSlotsPerFeed - mMandatory);
  rebuildOptionalHeap();
  // Cells begin in the feed they had, if it still has room; phases drop any of these that
  // epsilon-complementary slackness does not allow.
  if (!problem.keep.empty()) {
    for (int c = 0; c < mCells; ++c) {
      const int f = problem.keep[c];
      if (f < 0 || f >= mFeeds) continue;
      for (int s = f * mSlotsPerFeed; s < (f + 1) * mSlotsPerFeed; ++s) {
        if (mOwner[s] < 0) {
          mOwner[s] = c;
          mSlotOf[c] = s;
          break;
        }
      }
    }
  }

  std::int32_t maxCost = 0;
  for (const std::int32_t c : problem.costs) maxCost = std::max(maxCost, c);
  assert(maxCost <= kMaxCost);
  const double range = static_cast<double>(maxCost) + std::max(0, problem.keepBonus);
  mEps = range * mScale * (warm ? kWarmEpsilonShare : 0.25);
  mEps = std::max(1.0, std::floor(mEps));
  mQueue.clear();
  mQueue.reserve(slots * 2);
  mDummyQueue.clear();
  mCheckNext = 0;
  mHead = 0;
  mState = State::kCheck;
}

bool BalancedAssignment::run(std::chrono::microseconds budget) {
  const bool timed = budget != std::chrono::microseconds::max();
  const auto deadline = timed ? Clock::now() + budget : Clock::time_point::max();
  int steps = 0;
  const auto outOfTime = [&] {
    if (!timed || ++steps < kStepsPerClockRead) return false;
    steps = 0;
    return Clock::now() >= deadline;
  };
  while (mState != State::kIdle) {
    if (mState == State::kCheck) {
      // A phase starts with every person who does not satisfy the new epsilon unassigned.
      for (; mCheckNext < mPersons; ++mCheckNext) {
        if (outOfTime()) return false;
        const int p = mCheckNext;
        if (mSlotOf[p] >= 0 && !satisfiesCs(p)) {
          mOwner[mSlotOf[p]] = -1;
          mSlotOf[p] = -1;
        }
        if (mSlotOf[p] < 0) (p < mCells ? mQueue : mDummyQueue).push_back(p);
      }
      mState = State::kBid;
    }
    // Each award re-queues at most the person it outbid; the queue is compacted when half spent.
    // Waiting dummies bid together once the cells have had their turn.
    while (mHead < mQueue.size() || !mDummyQueue.empty()) {
      if (outOfTime()) return false;
      if (mHead == mQueue.size()) {
        bidDummies();
        continue;
      }
      bidReal(mQueue[mHead++]);
      if (mHead > 4096 && mHead * 2 > mQueue.size()) {
        mQueue.erase(mQueue.begin(), mQueue.begin() + static_cast<std::ptrdiff_t>(mHead));
        mHead = 0;
      }
    }
    if (mEps <= 1) {
      finish();
      break;
    }
    mEps = std::max(1.0, std::floor(mEps / kEpsilonFactor));
    mQueue.clear();
    mDummyQueue.clear();
    mHead = 0;
    mCheckNext = 0;
    mState = State::kCheck;
  }
  return true;
}

void BalancedAssignment::finish() {
  mResult.resize(static_cast<std::size_t>(mCells));
  for (int c = 0; c < mCells; ++c) mResult[c] = mSlotOf[c] / mSlotsPerFeed;
  // Prices matter only relative to each other: keep them near zero.
  const double lowest = *std::min_element(mMinPrice.begin(), mMinPrice.end());
  mFeedPrices.resize(static_cast<std::size_t>(mFeeds));
  for (int f = 0; f < mFeeds; ++f) mFeedPrices[f] = (mMinPrice[f] - lowest) / mScale;
  mState = State::kIdle;
}

std::span<const int> BalancedAssignment::solve(const Problem& problem) {
  start(problem);
  run();
  return mResult;
}

std::int64_t BalancedAssignment::totalCost(const Problem& problem,
                                           std::span<const int> feedOfCell) {
  std::int64_t total = 0;
  for (int c = 0; c < static_cast<int>(feedOfCell.size()); ++c) {
    total += problem.costs[static_cast<std::size_t>(c) * problem.feeds + feedOfCell[c]];
  }
  return total;
}

}  // namespace tessera::compositor
