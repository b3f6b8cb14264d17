#include "compositor/assignment.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace {

using tessera::compositor::BalancedAssignment;
using Problem = BalancedAssignment::Problem;

// The objective the solver minimises: costs, less the bonus where a cell keeps its feed.
std::int64_t objective(const Problem& p, std::span<const int> feedOfCell) {
  std::int64_t total = BalancedAssignment::totalCost(p, feedOfCell);
  if (!p.keep.empty()) {
    for (int c = 0; c < p.cells; ++c) {
      if (p.keep[c] == feedOfCell[c]) total -= p.keepBonus;
    }
  }
  return total;
}

// Every feed is used between `lo` and `hi` times (by default floor(M/N) and ceil(M/N)); "" when so.
std::string checkBalanced(int cells, int feeds, std::span<const int> feedOfCell, int lo = -1,
                          int hi = -1) {
  if (static_cast<int>(feedOfCell.size()) != cells) return "wrong size";
  std::vector<int> uses(static_cast<std::size_t>(feeds), 0);
  for (const int f : feedOfCell) {
    if (f < 0 || f >= feeds) return "feed index out of range";
    ++uses[f];
  }
  if (lo < 0) lo = cells / feeds;
  if (hi < 0) hi = (cells + feeds - 1) / feeds;
  for (int f = 0; f < feeds; ++f) {
    if (uses[f] < lo || uses[f] > hi) {
      return "feed " + std::to_string(f) + " used " + std::to_string(uses[f]) + " times";
    }
  }
  return "";
}

// Whether `feedOfCell` uses each feed within the bounds the solver applies to `p`; "" if so.
std::string checkUses(const Problem& p, std::span<const int> feedOfCell) {
  const int lo = p.cells / p.feeds, hi = (p.cells + p.feeds - 1) / p.feeds;
  return checkBalanced(p.cells, p.feeds, feedOfCell, p.minUses < 0 ? lo : std::min(p.minUses, lo),
                       p.maxUses < 0 ? hi : std::clamp(p.maxUses, hi, p.cells));
}

// The least objective over every allowed assignment (N^M of them: small inputs only).
std::int64_t bruteForce(const Problem& p) {
  std::vector<int> a(static_cast<std::size_t>(p.cells), 0);
  std::int64_t best = std::numeric_limits<std::int64_t>::max();
  while (true) {
    if (checkUses(p, a).empty()) best = std::min(best, objective(p, a));
    int i = 0;
    while (i < p.cells && ++a[i] == p.feeds) a[i++] = 0;
    if (i == p.cells) break;
  }
  return best;
}

struct Random {
  std::mt19937 rng;
  explicit Random(unsigned seed) : rng(seed) {}
  int upTo(int n) { return static_cast<int>(rng() % static_cast<unsigned>(n + 1)); }
};

// Squared distances between random colours: the shape of the photomosaic's costs.
std::vector<std::int32_t> colourCosts(Random& r, int cells, int feeds, int range) {
  std::vector<std::array<int, 3>> c(cells), f(feeds);
  for (auto& v : c) v = {r.upTo(range), r.upTo(range), r.upTo(range)};
  for (auto& v : f) v = {r.upTo(range), r.upTo(range), r.upTo(range)};
  std::vector<std::int32_t> costs;
  for (const auto& cv : c) {
    for (const auto& fv : f) {
      int d = 0;
      for (int k = 0; k < 3; ++k) d += (cv[k] - fv[k]) * (cv[k] - fv[k]);
      costs.push_back(d);
    }
  }
  return costs;
}

}  // namespace

TEST_CASE("BalancedAssignment solves small problems as worked out by hand",
          "[compositor][assignment]") {
  BalancedAssignment solver;
  struct Case {
    const char* name;
    int cells;
    int feeds;
    std::vector<std::int32_t> costs;
    std::vector<int> expected;
  };
  const std::vector<Case> cases = {
      {"each cell its cheapest feed", 2, 2, {1, 10, 10, 1}, {0, 1}},
      {"crossed", 2, 2, {10, 1, 1, 10}, {1, 0}},
      // Both cells prefer feed 0, but 2 cells and 2 feeds means one each: the cheaper total is
      // cell 0 -> feed 1 (cost 2) and cell 1 -> feed 0 (cost 0), 2 < 1 + 5.
      {"balance beats greed", 2, 2, {1, 2, 0, 5}, {1, 0}},
      // One feed: it fills every cell.
      {"one feed in every cell", 3, 1, {7, 3, 9}, {0, 0, 0}},
      // More feeds than cells: the cell takes its cheapest feed, the others stay out.
      {"more feeds than cells", 1, 3, {5, 2, 8}, {1}},
      // 4 cells, 2 feeds: each feed twice. Cells 0-2 prefer feed 0; cell 2 gives way, costing
      // least to move (3 - 1 = 2 against 9 - 0 and 6 - 1).
      {"4 cells, 2 feeds, twice each", 4, 2, {0, 9, 1, 6, 1, 3, 5, 0}, {0, 0, 1, 1}},
      // 5 cells, 2 feeds: one feed 3 times, the other twice; feed 1 is cheaper for 3 cells.
      {"5 cells, 2 feeds, 3 and 2", 5, 2, {0, 4, 0, 4, 4, 0, 4, 0, 4, 0}, {0, 0, 1, 1, 1}},
  };
  for (const auto& c : cases) {
    DYNAMIC_SECTION(c.name) {
      const Problem p{.cells = c.cells, .feeds = c.feeds, .costs = c.costs};
      const auto result = solver.solve(p);
      CHECK(std::vector<int>(result.begin(), result.end()) == c.expected);
      CHECK(solver.exact());
    }
  }
}

TEST_CASE("BalancedAssignment has nothing to do without cells or feeds",
          "[compositor][assignment]") {
  BalancedAssignment solver;
  CHECK(solver.solve({.cells = 0, .feeds = 3}).empty());
  CHECK(solver.solve({.cells = 3, .feeds = 0}).empty());
  CHECK(solver.finished());
}

TEST_CASE("BalancedAssignment is optimal against brute force on small inputs",
          "[compositor][assignment]") {
  Random r(7);
  BalancedAssignment solver;
  int checked = 0;
  for (int cells = 1; cells <= 7; ++cells) {
    for (int feeds = 1; feeds <= 5; ++feeds) {
      for (int trial = 0; trial < 12; ++trial) {
        // Narrow ranges give many ties, wide ones few; hysteresis and warm prices on odd trials.
        const int range = trial % 3 == 0 ? 2 : 40;
        const auto costs = colourCosts(r, cells, feeds, range);
        std::vector<int> keep;
        std::vector<double> prices;
        Problem p{.cells = cells, .feeds = feeds, .costs = costs};
        if (trial % 2 == 1) {
          for (int c = 0; c < cells; ++c) keep.push_back(r.upTo(feeds) - 1);  // -1 = none
          for (int f = 0; f < feeds; ++f) prices.push_back(r.upTo(300));
          p.keep = keep;
          p.keepBonus = r.upTo(200);
          p.prices = prices;
        }
        // Looser bounds on uses in half the trials.
        if (trial % 4 >= 2) {
          p.minUses = r.upTo(2);
          p.maxUses = r.upTo(cells);
        }
        INFO(cells << " cells, " << feeds << " feeds, trial " << trial << ", uses " << p.minUses
                   << ".." << p.maxUses);
        const auto result = solver.solve(p);
        REQUIRE(checkUses(p, result) == "");
        CHECK(objective(p, result) == bruteForce(p));
        ++checked;
      }
    }
  }
  CHECK(checked == 7 * 5 * 12);
}

TEST_CASE("BalancedAssignment stays balanced and near-optimal for 1024 cells",
          "[compositor][assignment]") {
  const int feeds = GENERATE(1, 3, 256, 1024, 1500);
  INFO(feeds << " feeds");
  Random r(static_cast<unsigned>(feeds));
  const int cells = 1024;
  const auto costs = colourCosts(r, cells, feeds, 100);
  BalancedAssignment fast;
  const Problem p{.cells = cells, .feeds = feeds, .costs = costs};
  const auto result = fast.solve(p);
  REQUIRE(checkBalanced(cells, feeds, result) == "");
  if (feeds > cells) {
    // More feeds than cells: every cell a different feed.
    std::vector<int> sorted(result.begin(), result.end());
    std::sort(sorted.begin(), sorted.end());
    CHECK(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
  }
  // Within one cost unit per cell of the exact optimum.
  BalancedAssignment exact;
  Problem pe = p;
  pe.exact = true;
  const auto best = exact.solve(pe);
  CHECK(exact.exact());
  const std::int64_t optimum = BalancedAssignment::totalCost(p, best);
  const std::int64_t found = BalancedAssignment::totalCost(p, result);
  CHECK(found >= optimum);
  CHECK(found <= optimum + cells);
}

TEST_CASE("BalancedAssignment with loose bounds uses good feeds more, everyone at least once",
          "[compositor][assignment]") {
  const int feeds = GENERATE(48, 200);
  INFO(feeds << " feeds");
  Random r(21);
  const int cells = 1024;
  const auto costs = colourCosts(r, cells, feeds, 100);
  const Problem balanced{.cells = cells, .feeds = feeds, .costs = costs};
  Problem loose = balanced;
  loose.minUses = 1;
  loose.maxUses = 3 * ((cells + feeds - 1) / feeds);
  BalancedAssignment solver, exact;
  const std::int64_t tightCost = BalancedAssignment::totalCost(balanced, solver.solve(balanced));
  const auto result = solver.solve(loose);
  REQUIRE(checkUses(loose, result) == "");
  const std::int64_t looseCost = BalancedAssignment::totalCost(loose, result);
  CHECK(looseCost < tightCost);
  Problem looseExact = loose;
  looseExact.exact = true;
  const std::int64_t optimum = BalancedAssignment::totalCost(loose, exact.solve(looseExact));
  CHECK(looseCost >= optimum);
  CHECK(looseCost <= optimum + cells);
}

TEST_CASE("BalancedAssignment run in slices gives the same result as one run",
          "[compositor][assignment]") {
  Random r(3);
  const int cells = 512, feeds = 200;
  const auto costs = colourCosts(r, cells, feeds, 100);
  const Problem p{.cells = cells, .feeds = feeds, .costs = costs};
  BalancedAssignment once;
  const auto onceResult = once.solve(p);
  const std::vector<int> expected(onceResult.begin(), onceResult.end());
  BalancedAssignment sliced;
  sliced.start(p);
  int slices = 1;
  while (!sliced.run(std::chrono::microseconds(50))) ++slices;
  CHECK(slices > 1);  // the budget was honoured: it took several slices
  CHECK(std::vector<int>(sliced.result().begin(), sliced.result().end()) == expected);
}

TEST_CASE("BalancedAssignment keeps cells whose kept feed is within the bonus",
          "[compositor][assignment]") {
  Random r(11);
  const int cells = 300, feeds = 60;
  const auto costs = colourCosts(r, cells, feeds, 100);
  BalancedAssignment solver;
  const Problem first{.cells = cells, .feeds = feeds, .costs = costs};
  const auto firstResult = solver.solve(first);
  const std::vector<int> before(firstResult.begin(), firstResult.end());
  const std::vector<double> prices(solver.feedPrices().begin(), solver.feedPrices().end());

  // Nudge every cost a little: without hysteresis some cells change feed, with a bonus larger
  // than any nudge none does.
  Random nudge(12);
  std::vector<std::int32_t> nudged(costs);
  for (auto& c : nudged) c = std::max(0, c + nudge.upTo(40) - 20);
  const Problem without{.cells = cells, .feeds = feeds, .costs = nudged};
  const auto free = solver.solve(without);
  int changedWithout = 0;
  for (int c = 0; c < cells; ++c) changedWithout += free[c] != before[c];
  CHECK(changedWithout > 0);

  const Problem with{.cells = cells,
                     .feeds = feeds,
                     .costs = nudged,
                     .keep = before,
                     .keepBonus = 100,
                     .prices = prices};
  const auto kept = solver.solve(with);
  CHECK(std::vector<int>(kept.begin(), kept.end()) == before);
  CHECK(checkBalanced(cells, feeds, kept) == "");
}
