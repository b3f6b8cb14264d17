// Photomosaic: a target image divided into cells, each filled with the live feed whose mean colour
// matches the cell best, so that from afar the canvas shows the target and up close each cell is
// a person.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "compositor/assignment.hpp"
#include "compositor/layout.hpp"
#include "core/score_table.hpp"
#include "core/types.hpp"

namespace tessera::compositor {

using Rgb = std::array<float, 3>;  // 0..255, sRGB

// A target image reduced to one mean colour per cell, row-major.
struct ColourGrid {
  int columns = 0;
  int rows = 0;
  std::vector<Rgb> cells;
  const Rgb& at(int column, int row) const {
    return cells[static_cast<std::size_t>(row) * columns + column];
  }
};

// Reduces an RGBA8 image (rows top-first) to `columns` x `rows` mean colours. The image is fitted
// to a canvas of aspect `canvas` by covering it (the centred part of the image that has the
// canvas's aspect is used), and each cell's colour is the area-weighted mean of the image pixels
// under it, translucent pixels composited over `background`.
ColourGrid reduceToCells(std::span<const std::uint8_t> rgba, int width, int height,
                         std::size_t strideBytes, int columns, int rows, core::SizePx canvas,
                         Rgb background = {5, 5, 8});

// The cells' rectangles in whole canvas pixels, row-major; they tile the canvas exactly.
std::vector<core::Rect> cellRects(core::SizePx canvas, int columns, int rows);

// CIE76 colour difference squared (CIELAB, D65) between two sRGB colours.
float deltaE2(const Rgb& a, const Rgb& b);

struct PhotomosaicParams {
  std::shared_ptr<const ColourGrid> target;
  float tint = 0.3f;      // how far each tile is pulled toward its cell's colour
  float hysteresis = 6;   // CIE76 delta E: a cell keeps its feed unless another beats it by this
  float colourNoise = 3;  // delta E: smaller changes of a feed's mean colour are ignored
  // How unevenly feeds may be used: each appears between 1/reuse and reuse times its fair share
  // of the cells (cells / feeds), and at least once while there are as many cells as feeds.
  // 1: everyone equally often; larger: feeds that fit the target well appear more (fidelity:
  // see docs/performance.md).
  float reuse = 3;
  double minSolveIntervalS = 0.25;  // between re-solves for colour changes
  // Time per update() for building and running solves; a solve that needs more continues on
  // the next update. (Building a solve's costs is not split: about 1 ms for 1024 x 1024.)
  std::chrono::microseconds budget{1500};
  // Assumed for feeds without scores yet: a mid grey.
  Rgb unknown{128, 128, 128};
};

// Keeps a photomosaic layout up to date as feeds come and go and their colours change.
//
// Each cell gets one feed by BalancedAssignment on the CIE76 delta E between the cell's target
// colour and the feed's mean colour: the least total colour error such that every feed is used
// equally often (reuse 1), or between 1/reuse and reuse times that (reuse > 1). Changes are damped
// twice: a feed's colour only counts as changed when it moves by more than `colourNoise`, and a
// cell keeps its feed unless another fits it by `hysteresis` better (a bonus in the assignment; as
// costs are distances, a feed whose colour moves by d changes no cell unless 2 d > hysteresis).
// Solves are warm-started from the last prices and run in slices of `budget`; while a solve is
// running the previous layout stays, with the cells of feeds that left given to the nearest-colour
// feed that is still there.
//
// Thread: the render thread.
class PhotomosaicEngine {
 public:
  PhotomosaicEngine(PhotomosaicParams params, core::SizePx canvas, core::SizePx tileAspect);

  // `feeds`: visible feeds in join order; `scores` may be null. True when layout() changed.
  bool update(std::span<const core::FeedId> feeds, const core::ScoreTable* scores, double nowS);
  const Layout& layout() const { return mLayout; }

  // Introspection for tests and benches.
  bool solving() const { return !mSolver.finished(); }
  const BalancedAssignment& solver() const { return mSolver; }
  std::uint64_t solvesFinished() const { return mSolvesFinished; }

 private:
  void startSolve();
  void applyResult();
  // Gives cells of feeds no longer present to the closest present feed; true if any changed.
  bool patchDeparted();
  void rebuildLayout();
  int nearestFeed(int cell) const;

  PhotomosaicParams mParams;
  core::SizePx mCanvas;
  core::SizePx mTileAspect;
  std::vector<core::Rect> mCellRects;
  std::vector<core::Rect> mCellSources;
  int mCells = 0;

  std::vector<Rgb> mCellLab;

  // The feeds as last seen and the colour each is assumed to have (after noise damping).
  struct FeedColour {
    Rgb rgb;
    Rgb lab;
  };
  std::vector<core::FeedId> mFeeds;
  std::unordered_set<core::FeedId> mPresent;
  std::unordered_map<core::FeedId, FeedColour> mColours;
  std::vector<Rgb> mFeedLab;  // scratch: the Lab colour of each of mFeeds
  std::uint64_t mScoresVersion = ~std::uint64_t{0};
  bool mDirty = false;  // inputs changed since the running or last solve started
  double mLastSolveStartS = -1e9;

  // The solve in progress (its inputs must not change while it runs).
  BalancedAssignment mSolver;
  std::vector<core::FeedId> mSolveFeeds;
  std::unordered_map<core::FeedId, int> mIndexOf;
  std::vector<float> mFeedL, mFeedA, mFeedB;
  std::vector<std::int32_t> mCosts;

  std::vector<int> mKeep;
  std::vector<double> mPrices;
  std::unordered_map<core::FeedId, double> mPriceOf;
  std::uint64_t mSolvesFinished = 0;

  // The current assignment: the feed in each cell.
  std::vector<core::FeedId> mCellFeed;
  Layout mLayout;
};

}  // namespace tessera::compositor
