#include "render/render_loop.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/render/gl_fixtures.hpp"
#include "tests/support/frames.hpp"
#include "tests/support/wait.hpp"

using namespace std::chrono_literals;
using tessera::core::FeedChannel;
using tessera::core::FeedId;
using tessera::core::FeedSource;
using tessera::core::FeedTable;
using tessera::core::FrameRef;
using tessera::core::LatestMailbox;
using tessera::core::SizePx;
using tessera::render::CanvasTick;
using tessera::render::RenderLoop;
using tessera::render::RenderSettings;
using tessera::render::RenderStats;
using tessera::render::testing::checkCanvas;
using tessera::render::testing::ExpectedTile;
using tessera::test::kBlue;
using tessera::test::kGreen;
using tessera::test::kRed;
using tessera::test::kWhite;
using tessera::test::PixelView;
using tessera::test::Rgba;
using tessera::test::solidFrame;
using tessera::test::solidI420Frame;
using tessera::test::toRgba;
using tessera::test::toYuv;
using tessera::test::waitUntil;

namespace {

constexpr SizePx kCanvas{320, 180};
constexpr SizePx kTile{16, 12};

RenderSettings settings() {
  RenderSettings s;
  s.canvas = kCanvas;
  s.fps = 30;
  s.tile = kTile;
  s.maxFeeds = 8;
  s.shaderDir = tessera::render::testing::shaderDir();
  return s;
}

// Records the canvas frames handed out; called on the render thread.
class RecordingCanvasListener final : public tessera::render::CanvasListener {
 public:
  void onCanvasFrame(const tessera::render::CanvasFrames& frames, const CanvasTick& tick) override {
    const FrameRef& frame = frames.rgba;
    // Ticks only move forward (a missed tick leaves a gap), each on the render clock's grid.
    if (mFrames.load() > 0 && tick.index <= mLast) mOrdered = false;
    const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(1.0 / 30));
    if (tick.sinceStart != period * static_cast<std::int64_t>(tick.index)) mOrdered = false;
    if (!frame || frame->width != kCanvas.width || frame->height != kCanvas.height) mValid = false;
    mLast = tick.index;
    ++mFrames;
  }
  std::uint64_t frames() const { return mFrames.load(); }
  bool ordered() const { return mOrdered.load(); }
  bool valid() const { return mValid.load(); }

 private:
  std::atomic<std::uint64_t> mFrames{0};
  std::uint64_t mLast = 0;  // render thread only
  std::atomic<bool> mOrdered{true};
  std::atomic<bool> mValid{true};
};

std::shared_ptr<FeedChannel> channel(std::uint32_t id) {
  return std::make_shared<FeedChannel>(FeedId{id}, FeedSource::kSynthetic, "");
}

void push(FeedChannel& c, FrameRef frame) {
  auto copy = std::make_shared<tessera::core::VideoFrame>(*frame);
  copy->arrival = std::chrono::steady_clock::now();
  c.pushFrame(std::move(copy), kTile.width, kTile.height);
}

void publish(LatestMailbox<FeedTable>& box, std::uint64_t version,
             std::vector<std::shared_ptr<FeedChannel>> feeds) {
  auto table = std::make_shared<FeedTable>();
  table->version = version;
  table->feeds = std::move(feeds);
  box.put(std::move(table));
}

// Whether the latest canvas shows exactly these feeds, each in its colour where the latest
// layout puts it, and nothing else. `why` says what is wrong.
bool canvasShows(RenderLoop& loop, const std::map<std::uint32_t, Rgba>& colours, std::string* why) {
  const auto layout = loop.layout().peek();
  const auto canvas = loop.canvas().peek();
  if (!layout || !canvas) {
    *why = "no layout or canvas yet";
    return false;
  }
  if (layout->tiles.size() != colours.size()) {
    *why = "layout has " + std::to_string(layout->tiles.size()) + " tiles";
    return false;
  }
  std::vector<ExpectedTile> expected;
  for (const auto& placement : layout->tiles) {
    const auto it = colours.find(placement.feed.value);
    if (it == colours.end()) {
      *why = "layout places feed " + placement.feed.str();
      return false;
    }
    expected.push_back({placement.rect, it->second});
  }
  *why = checkCanvas(PixelView::of(*canvas), expected, 3);
  return why->empty();
}

// Waits until the canvas shows `colours` (see canvasShows); fails the test with the reason if not.
void requireCanvasShows(RenderLoop& loop, const std::map<std::uint32_t, Rgba>& colours) {
  std::string why;
  const bool ok = waitUntil([&] { return canvasShows(loop, colours, &why); }, 5s);
  INFO("canvas: " << why);
  REQUIRE(ok);
}

// Waits for a statistics snapshot newer than `after` (they are published once a second).
RenderStats nextStats(RenderLoop& loop, const RenderStats& after) {
  RenderStats s = loop.stats();
  waitUntil(
      [&] {
        s = loop.stats();
        return s.frames != after.frames;
      },
      3s);
  return s;
}

}  // namespace

TEST_CASE("the render loop composites feed frames where its layout says", "[render][gl][loop]") {
  LatestMailbox<FeedTable> feeds;
  auto a = channel(1), b = channel(2), c = channel(3);
  push(*a, solidFrame(16, 12, kRed));
  push(*b, solidI420Frame(16, 12, toYuv(kGreen)));  // what real feeds deliver
  push(*c, solidFrame(16, 12, kBlue));
  publish(feeds, 1, {a, b, c});

  RecordingCanvasListener listener;
  RenderLoop loop(settings(), feeds, &listener);
  std::string error;
  REQUIRE(loop.start(&error));
  CHECK(error.empty());

  const Rgba green = toRgba(toYuv(kGreen));
  requireCanvasShows(loop, {{1, kRed}, {2, green}, {3, kBlue}});
  {
    // Join order: the layout lists feeds in table order, inside the canvas, without overlap.
    const auto layout = loop.layout().peek();
    REQUIRE(layout->tiles.size() == 3);
    CHECK(layout->canvas == kCanvas);
    for (std::size_t i = 0; i < 3; ++i) {
      const auto& r = layout->tiles[i].rect;
      CHECK(layout->tiles[i].feed == FeedId{static_cast<std::uint32_t>(i + 1)});
      CHECK(r.x >= 0);
      CHECK(r.y >= 0);
      CHECK(r.right() <= kCanvas.width);
      CHECK(r.bottom() <= kCanvas.height);
    }
    const auto canvas = loop.canvas().peek();
    CHECK(canvas->width == kCanvas.width);
    CHECK(canvas->height == kCanvas.height);
    CHECK(canvas->strideBytes == static_cast<std::size_t>(kCanvas.width) * 4);
  }

  SECTION("an unchanged canvas is handed out again without redrawing") {
    const RenderStats s1 = nextStats(loop, loop.stats());
    const RenderStats s2 = nextStats(loop, s1);
    CHECK(s2.frames > s1.frames);
    CHECK(s2.redraws == s1.redraws);
    CHECK(s2.uploads == s1.uploads);
    CHECK(s2.fps > 10);
    CHECK(s2.tiles == 3);
    CHECK_FALSE(s2.renderer.empty());

    // A new frame for one feed is uploaded and drawn; the other tiles stay as they were.
    push(*b, solidFrame(16, 12, kWhite));
    requireCanvasShows(loop, {{1, kRed}, {2, kWhite}, {3, kBlue}});
    const RenderStats s3 = nextStats(loop, s2);
    CHECK(s3.redraws > s2.redraws);
    CHECK(s3.uploads > s2.uploads);
  }

  SECTION("a feed its streaming thread holds keeps its tile; the canvas never waits for it") {
    const auto framesBefore = listener.frames();
    {
      // Feed threads run in the idle class: one preempted inside pushFrame holds its channel
      // for as long as the machine is busy. Here, for 20 canvas frames.
      auto held = b->lockForTest();
      REQUIRE(waitUntil([&] { return listener.frames() >= framesBefore + 20; }, 5s));
      std::string why;
      CHECK(canvasShows(loop, {{1, kRed}, {2, green}, {3, kBlue}}, &why));
      INFO(why);
      push(*a, solidFrame(16, 12, kWhite));  // the others still change
      requireCanvasShows(loop, {{1, kWhite}, {2, green}, {3, kBlue}});
    }
    const RenderStats s = nextStats(loop, loop.stats());
    CHECK(s.busyFeeds >= 20);
    push(*b, solidFrame(16, 12, kRed));
    requireCanvasShows(loop, {{1, kWhite}, {2, kRed}, {3, kBlue}});
  }

  SECTION("each feed learns the size its tile is drawn at, and it follows the layout") {
    // The whole picture's size at the tile's scale: the tile over the part of the picture shown.
    const auto drawnMatchesLayout = [&](std::string* why) {
      const auto layout = loop.layout().peek();
      for (const auto& p : layout->tiles) {
        const auto& ch = p.feed == FeedId{1} ? a : p.feed == FeedId{2} ? b : c;
        const SizePx want{static_cast<int>(std::ceil(p.rect.w / p.source.w)),
                          static_cast<int>(std::ceil(p.rect.h / p.source.h))};
        const SizePx got = ch->drawnSize();
        if (!(got == want) || !ch->shown()) {
          *why = "feed " + p.feed.str() + " drawn " + std::to_string(got.width) + "x" +
                 std::to_string(got.height) + ", tile needs " + std::to_string(want.width) + "x" +
                 std::to_string(want.height);
          return false;
        }
      }
      return true;
    };
    std::string why;
    REQUIRE(waitUntil([&] { return drawnMatchesLayout(&why); }, 3s));
    const SizePx threeUp = a->drawnSize();
    CHECK(threeUp.width > kTile.width);  // 3 tiles on a 320x180 canvas: larger than a feed

    // One feed leaves: the other two get larger tiles, and their drawn size grows with them.
    publish(feeds, 2, {a, b});
    requireCanvasShows(loop, {{1, kRed}, {2, green}});
    REQUIRE(waitUntil([&] { return drawnMatchesLayout(&why); }, 3s));
    INFO(why);
    CHECK(a->drawnSize().width > threeUp.width);
  }

  SECTION("feeds that leave the table leave the canvas, feeds without frames are not shown") {
    publish(feeds, 2, {a, b});
    requireCanvasShows(loop, {{1, kRed}, {2, green}});

    // A feed with no frame yet is in the table but has nothing to show.
    auto d = channel(4);
    publish(feeds, 3, {a, b, d});
    const auto framesNow = listener.frames();
    REQUIRE(waitUntil([&] { return listener.frames() >= framesNow + 5; }, 3s));
    std::string why;
    CHECK(canvasShows(loop, {{1, kRed}, {2, green}}, &why));
    INFO(why);

    // Its first frame brings it in, after the others.
    push(*d, solidFrame(16, 12, kBlue));
    requireCanvasShows(loop, {{1, kRed}, {2, green}, {4, kBlue}});
    CHECK(loop.layout().peek()->tiles.back().feed == FeedId{4});
  }

  loop.stop();
  CHECK(listener.frames() > 0);
  CHECK(listener.ordered());
  CHECK(listener.valid());
}

TEST_CASE("a spotlight sized by faces keeps every feed at the tile size", "[render][gl][loop]") {
  // Face and sharpness scores depend on the picture's size: feeds compared with each other are
  // analysed at one size, so none is scaled to its (unequal) tile.
  LatestMailbox<FeedTable> feeds;
  auto a = channel(1), b = channel(2);
  push(*a, solidFrame(16, 12, kRed));
  push(*b, solidFrame(16, 12, kBlue));
  a->setDrawnSize({99, 99});  // stale values the render thread must replace
  b->setDrawnSize({99, 99});
  publish(feeds, 1, {a, b});
  RenderSettings s = settings();
  tessera::compositor::SceneSpec spot;
  spot.name = "spot";
  spot.kind = tessera::core::LayoutKind::kSpotlight;
  spot.spotlight.score = tessera::compositor::SpotlightScore::kFaces;
  s.scenes = {spot};
  RenderLoop loop(s, feeds, nullptr);
  std::string error;
  REQUIRE(loop.start(&error));
  requireCanvasShows(loop, {{1, kRed}, {2, kBlue}});
  CHECK(waitUntil([&] { return a->drawnSize() == SizePx{} && b->drawnSize() == SizePx{}; }, 3s));
  CHECK(a->shown());
  CHECK(b->shown());
  loop.stop();
}

TEST_CASE("feeds without frames give an empty canvas, handed out all the same",
          "[render][gl][loop]") {
  LatestMailbox<FeedTable> feeds;
  auto a = channel(1);
  publish(feeds, 1, {a});
  RecordingCanvasListener listener;
  RenderLoop loop(settings(), feeds, &listener);
  std::string error;
  REQUIRE(loop.start(&error));
  // An empty canvas is still a canvas: it is drawn (cleared) and handed out.
  REQUIRE(waitUntil([&] { return listener.frames() >= 3; }, 3s));
  // No layout with tiles is published (the render loop publishes one only when the set of
  // visible feeds changes, so there may be none at all yet).
  const auto layout = loop.layout().peek();
  CHECK((!layout || layout->tiles.empty()));
  const auto canvas = loop.canvas().peek();
  REQUIRE(canvas);
  CHECK(checkCanvas(PixelView::of(*canvas), {}) == "");
  CHECK(listener.ordered());
}

namespace {
// Pushes a frame of `colour` captured at `capture` (a feed on its own timeline) that arrives now.
void pushCaptured(FeedChannel& c, Rgba colour, std::chrono::steady_clock::time_point capture) {
  auto f = std::make_shared<tessera::core::VideoFrame>(*solidFrame(16, 12, colour));
  f->arrival = std::chrono::steady_clock::now();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(capture.time_since_epoch());
  c.pushFrame(std::move(f),
              tessera::core::FrameTiming{tessera::core::FrameTiming::Kind::kTimeline, ns.count()},
              kTile.width, kTile.height);
}

// How long after `since` the tile at the layout's first place shows `colour` (bounded wait).
std::chrono::milliseconds timeUntilShown(RenderLoop& loop, Rgba colour,
                                         std::chrono::steady_clock::time_point since) {
  waitUntil(
      [&] {
        const auto layout = loop.layout().peek();
        const auto canvas = loop.canvas().peek();
        if (!layout || layout->tiles.empty() || !canvas) return false;
        const auto& r = layout->tiles[0].rect;
        return PixelView::of(*canvas).at(static_cast<int>(r.x + r.w / 2),
                                         static_cast<int>(r.y + r.h / 2)) == colour;
      },
      3s);
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               since);
}
}  // namespace

TEST_CASE("the playout draws the frame captured nearest now - delay", "[render][gl][loop]") {
  for (const bool syncOn : {true, false}) {
    INFO("sync " << (syncOn ? "on, fixed delay 1000 ms" : "off"));
    LatestMailbox<FeedTable> feeds;
    auto a = channel(1);
    auto s = settings();
    s.playout.enabled = syncOn;
    s.playout.fixedDelayMs = 1000;
    s.playout.maxDelayMs = 2000;
    RenderLoop loop(s, feeds, nullptr);
    std::string error;
    REQUIRE(loop.start(&error));
    const auto t0 = std::chrono::steady_clock::now();
    pushCaptured(*a, kRed, t0);
    publish(feeds, 1, {a});
    requireCanvasShows(loop, {{1, kRed}});
    // A frame captured 100 ms later arrives. With a 1000 ms playout delay the canvas keeps
    // showing red until the instant drawn (now - 1000 ms) is nearer blue's capture than red's,
    // i.e. until t0 + 1050 ms; without sync, blue at once.
    const auto t1 = t0 + 100ms;
    std::this_thread::sleep_until(t1);
    pushCaptured(*a, kBlue, t1);
    const auto pushedAfter = std::chrono::steady_clock::now() - t0;
    REQUIRE(pushedAfter < 900ms);  // else the machine was too slow for this to mean anything
    const auto shownAfter = timeUntilShown(loop, kBlue, t0);
    if (syncOn) {
      CHECK(shownAfter >= 1040ms);
      CHECK(shownAfter <= 1250ms);
      CHECK(nextStats(loop, loop.stats()).syncDelayMs == 1000);
    } else {
      CHECK(shownAfter - pushedAfter <= 250ms);
    }
    loop.stop();
  }
}

TEST_CASE("a flash draws the whole canvas white, then the tiles come back", "[render][gl][loop]") {
  LatestMailbox<FeedTable> feeds;
  auto a = channel(1), b = channel(2);
  push(*a, solidFrame(16, 12, kRed));
  push(*b, solidFrame(16, 12, kBlue));
  publish(feeds, 1, {a, b});
  RecordingCanvasListener listener;
  RenderLoop loop(settings(), feeds, &listener);
  std::string error;
  REQUIRE(loop.start(&error));
  requireCanvasShows(loop, {{1, kRed}, {2, kBlue}});
  CHECK_FALSE(loop.flashes().peek());

  const auto asked = std::chrono::steady_clock::now();
  loop.requestFlash(300ms);
  // Every pixel white, tiles included.
  REQUIRE(waitUntil(
      [&] {
        const auto canvas = loop.canvas().peek();
        return canvas && tessera::test::checkRect(PixelView::of(*canvas), 0, 0, kCanvas.width,
                                                  kCanvas.height, kWhite, 0) == "";
      },
      3s));
  // The flash's first white frame is stamped with its tick, after the request (within a tick).
  const auto flashed = loop.flashes().peek();
  REQUIRE(flashed);
  CHECK(*flashed >= asked - 34ms);
  // Then the tiles are drawn whole again (the white covered them).
  requireCanvasShows(loop, {{1, kRed}, {2, kBlue}});
  loop.stop();
  CHECK(listener.ordered());
}

TEST_CASE("reactions burst over the tiles, then the canvas is as it was", "[render][gl][loop]") {
  LatestMailbox<FeedTable> feeds;
  auto a = channel(1), b = channel(2);
  push(*a, solidFrame(16, 12, kRed));
  push(*b, solidFrame(16, 12, kBlue));
  publish(feeds, 1, {a, b});
  tessera::core::ReactionTally reactions;
  RenderLoop loop(settings(), feeds, nullptr);
  loop.setReactionTally(&reactions);
  std::string error;
  REQUIRE(loop.start(&error));
  requireCanvasShows(loop, {{1, kRed}, {2, kBlue}});

  for (const auto kind : tessera::core::kAllReactionKinds) {
    reactions.add(kind, std::chrono::steady_clock::now());
  }
  std::string why;
  // Shapes over the canvas...
  REQUIRE(waitUntil([&] { return !canvasShows(loop, {{1, kRed}, {2, kBlue}}, &why); }, 3s));
  // ...gone after the burst's 2 s, leaving no trace on the tiles (they are drawn in a canvas of
  // their own while it lasts), and the canvas is no longer redrawn once it is over.
  requireCanvasShows(loop, {{1, kRed}, {2, kBlue}});
  const RenderStats settled = nextStats(loop, loop.stats());
  const RenderStats later = nextStats(loop, settled);
  CHECK(later.redraws == settled.redraws);
  loop.stop();
}

TEST_CASE("the render loop reports a set-up failure from start", "[render][gl][loop]") {
  LatestMailbox<FeedTable> feeds;
  auto s = settings();
  s.shaderDir = "/nonexistent/shaders";
  RenderLoop loop(s, feeds, nullptr);
  std::string error;
  CHECK_FALSE(loop.start(&error));
  CHECK_THAT(error, Catch::Contains("/nonexistent/shaders"));
}

namespace {

// Records what the last canvas hand-out carried (render thread).
class FormatRecorder final : public tessera::render::CanvasListener {
 public:
  void onCanvasFrame(const tessera::render::CanvasFrames& frames, const CanvasTick&) override {
    std::lock_guard lock(mMutex);
    mRgba = frames.rgba;
    mI420.assign(frames.i420.begin(), frames.i420.end());
    if (frames.rgba) ++mWithRgba;
    ++mFrames;
  }
  FrameRef rgba() const {
    std::lock_guard lock(mMutex);
    return mRgba;
  }
  std::vector<FrameRef> i420() const {
    std::lock_guard lock(mMutex);
    return mI420;
  }
  std::uint64_t withRgba() const {
    std::lock_guard lock(mMutex);
    return mWithRgba;
  }
  std::uint64_t frames() const {
    std::lock_guard lock(mMutex);
    return mFrames;
  }

 private:
  mutable std::mutex mMutex;
  FrameRef mRgba;
  std::vector<FrameRef> mI420;
  std::uint64_t mWithRgba = 0;
  std::uint64_t mFrames = 0;
};

}  // namespace

TEST_CASE("with encoder sizes the canvas goes out as I420 at each, and RGBA only when asked",
          "[render][gl][loop][i420]") {
  LatestMailbox<FeedTable> feeds;
  auto a = channel(1);
  push(*a, solidFrame(16, 12, kRed));
  publish(feeds, 1, {a});
  RenderSettings s = settings();
  s.i420Sizes = {kCanvas, {160, 90}};
  s.i420Conversion = tessera::core::I420Conversion::kGpu;  // whatever GL this is
  FormatRecorder recorder;
  RenderLoop loop(s, feeds, &recorder);
  std::string error;
  REQUIRE(loop.start(&error));

  // I420 at both sizes (BT.601 below 577 lines), the red tile in it; no RGBA read back.
  REQUIRE(waitUntil(
      [&] {
        const auto yuv = loop.canvasI420().peek();
        const auto layout = loop.layout().peek();
        if (!yuv || !layout || layout->tiles.size() != 1) return false;
        const auto& r = layout->tiles[0].rect;
        const int x = static_cast<int>(r.x + r.w / 2), y = static_cast<int>(r.y + r.h / 2);
        return std::abs(yuv->planes[0][y * yuv->planeStrides[0] + x] - 82) <= 2 &&
               std::abs(yuv->planes[2][(y / 2) * yuv->planeStrides[2] + x / 2] - 240) <= 2;
      },
      5s));
  REQUIRE(waitUntil([&] { return recorder.i420().size() == 2 && recorder.i420()[1]; }, 2s));
  const auto i420 = recorder.i420();
  CHECK(i420[0]->format == tessera::core::PixelFormat::kI420);
  CHECK(i420[0]->matrix == tessera::core::YuvMatrix::kBt601);
  CHECK((i420[0]->width == kCanvas.width && i420[0]->height == kCanvas.height));
  CHECK((i420[1]->width == 160 && i420[1]->height == 90));
  CHECK(recorder.withRgba() == 0);
  CHECK(loop.canvas().peek() == nullptr);

  // Asked for, RGBA comes even though nothing is redrawn (one still feed), then stops again.
  loop.requestRgba(500ms);
  requireCanvasShows(loop, {{1, kRed}});
  // (the mailbox is filled just before the listener is called)
  CHECK(waitUntil([&] { return recorder.withRgba() > 0; }, 2s));
  REQUIRE(waitUntil([&] { return recorder.rgba() == nullptr && recorder.withRgba() > 0; }, 3s));
  const std::uint64_t frames = recorder.frames(), withRgba = recorder.withRgba();
  REQUIRE(waitUntil([&] { return recorder.frames() > frames + 5; }, 2s));
  CHECK(recorder.withRgba() == withRgba);
}
