// Balanced assignment of cells to feeds at least total cost: the heart of the photomosaic.
//
// Every cell gets one feed. With M cells and N feeds, each feed is used between a lower and an
// upper number of times: by default floor(M/N) and ceil(M/N) (when M >= N everyone is on the
// canvas equally often; when M < N each cell gets a different feed and N - M feeds are left out);
// looser bounds let feeds that fit well be used more. Among all such assignments the solver finds
// one of least total cost: exactly for up to kExactPersons persons (or when asked), and otherwise
// within one cost unit per cell of the optimum.
//
// Method: the forward auction algorithm (Bertsekas) with epsilon scaling on the equivalent square
// problem. Each feed is a set of identical "slots": as many as its lower bound that it must fill,
// and more up to its upper bound that it may fill; "dummy" persons take the optional slots real
// cells leave. Dummies are all alike, so those waiting bid together (the "similar persons" bid:
// the k cheapest optional slots at the price of the next one), which avoids long price wars
// among them.
// Costs are integers; in exact mode they are scaled by (persons + 1) so that the last phase
// (epsilon 1) is optimal. Prices are kept between solves (per feed, by the caller's index) to
// warm-start the next one, which makes re-solving a slowly changing mosaic cheap. A solve can run
// in slices (run() with a time budget) so a cold start never stalls a frame.
//
// Thread: one object per user; not shared.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <vector>

namespace tessera::compositor {

class BalancedAssignment {
 public:
  // Costs above this are clamped.
  static constexpr std::int32_t kMaxCost = 1 << 20;
  // Problems with at most this many persons (cells plus dummies) are always solved exactly.
  static constexpr int kExactPersons = 256;

  // The data must stay alive and unchanged until the solve is finished.
  struct Problem {
    int cells = 0;
    int feeds = 0;
    std::span<const std::int32_t> costs{};  // cells x feeds, row-major, 0..kMaxCost
    // Optional hysteresis: the feed each cell had (or -1), and how much cheaper keeping it is.
    std::span<const int> keep{};
    std::int32_t keepBonus = 0;
    // Optional warm start: a price per feed from an earlier solve (see feedPrices()).
    std::span<const double> prices{};
    bool exact = false;  // exact whatever the size (slower: more phases)
    // Uses per feed; -1: floor(cells / feeds) and ceil(cells / feeds). Clamped so that every
    // cell can be filled: minUses <= floor(cells / feeds) and maxUses >= ceil(cells / feeds).
    int minUses = -1;
    int maxUses = -1;
  };

  // Begins a solve; the previous result stays readable until the new one is finished.
  void start(const Problem& problem);
  // Works on the solve for at most about `budget`; true once it is finished (or there was
  // nothing to solve).
  bool run(std::chrono::microseconds budget = std::chrono::microseconds::max());
  bool finished() const { return mState == State::kIdle; }

  // start() + run() to the end; returns result().
  std::span<const int> solve(const Problem& problem);

  // The feed of each cell of the last finished solve; empty when it had no cells or no feeds.
  std::span<const int> result() const { return mResult; }
  // The cheapest slot price per feed of the last finished solve, in cost units (pass back as
  // `prices` to warm-start).
  std::span<const double> feedPrices() const { return mFeedPrices; }
  // Bids made by the last solve (a measure of the work done; tests and benches).
  std::uint64_t bids() const { return mBids; }
  bool exact() const { return mExact; }

  // Total cost of `feedOfCell` (without the hysteresis bonus).
  static std::int64_t totalCost(const Problem& problem, std::span<const int> feedOfCell);

 private:
  enum class State { kIdle, kCheck, kBid };

  void bidReal(int person);
  void bidDummies();  // every waiting dummy at once
  // The cheapest optional slot (popped from mOptHeap, stale entries dropped), or -1.
  int popCheapestOptional();
  void rebuildOptionalHeap();
  void award(int person, int slot, double price);
  void refreshFeed(int feed);
  bool satisfiesCs(int person);
  double benefit(int cell, int feed) const;
  // Values of every feed to `cell` into mValues; returns the largest.
  double scanFeeds(int cell);
  void finish();

  Problem mProblem;
  State mState = State::kIdle;
  bool mExact = false;
  double mScale = 1;  // persons + 1 when exact
  double mEps = 1;
  int mPersons = 0;
  int mFeeds = 0;
  int mCells = 0;
  int mSlotsPerFeed = 0;  // the upper bound: mMandatory slots, then optional ones
  int mMandatory = 0;     // the lower bound
  int mCheckNext = 0;
  std::size_t mHead = 0;
  // Slots: feed f owns slots [f * mSlotsPerFeed, (f+1) * mSlotsPerFeed); the first mMandatory of
  // them only real cells may take, the others dummies too.
  std::vector<double> mPrice;      // per slot
  std::vector<int> mOwner;         // per slot: person or -1
  std::vector<int> mSlotOf;        // per person: slot or -1
  std::vector<double> mMinPrice;   // per feed: cheapest slot price ...
  std::vector<double> mMinPrice2;  // ... the second cheapest (+inf with one slot) ...
  std::vector<int> mMinSlot;       // ... and which slot is cheapest
  // Optional slots by price, cheapest first: (price, slot), pushed again whenever a price rises;
  // entries whose price is no longer the slot's are stale and skipped.
  std::vector<std::pair<double, int>> mOptHeap;
  std::size_t mOptionalSlots = 0;
  std::vector<int> mDummyQueue;  // dummies waiting to bid
  std::vector<int> mDummyBatch;
  std::vector<int> mTaken;      // scratch: slots a batch of dummies bids for
  std::vector<double> mValues;  // scratch: a cell's value of each feed
  std::vector<int> mQueue;
  std::vector<int> mResult;
  std::vector<double> mFeedPrices;
  std::uint64_t mBids = 0;
};

}  // namespace tessera::compositor
