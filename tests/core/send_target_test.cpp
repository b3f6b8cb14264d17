// Dynacast: what a participant's phone is asked to send, from its tile.
#include "core/send_target.hpp"

#include <catch2/catch.hpp>

using namespace tessera::core;

TEST_CASE("the send target follows the drawn size, capped by the tile", "[core][dynacast]") {
  struct Row {
    bool shown;
    SizePx drawn;
    SendTarget expected;
  };
  const SendLimits limits{{160, 120}, 30};
  for (const Row& r : {
           Row{true, {0, 0}, {160, 120, 30, 87}},       // any size / not known: the tile
           Row{true, {1280, 720}, {160, 120, 30, 87}},  // drawn larger: the tile is enough
           Row{true, {160, 120}, {160, 120, 30, 87}},
           Row{true, {80, 60}, {80, 60, 30, 40}},     // a quarter of the pixels, at the floor
           Row{true, {106, 80}, {120, 90, 30, 49}},   // rounded up to the next eighth
           Row{true, {107, 60}, {120, 90, 30, 49}},   // the side that needs more decides
           Row{true, {10, 8}, {40, 30, 30, 40}},      // never below a quarter of the tile
           Row{true, {640, 30}, {160, 120, 30, 87}},  // a tile showing a thin strip
           Row{false, {160, 120}, {80, 60, 1, 30}},   // not drawn: a trickle
           Row{false, {0, 0}, {80, 60, 1, 30}},
       }) {
    INFO(r.shown << " " << r.drawn.width << "x" << r.drawn.height);
    CHECK(sendTarget(limits, r.shown, r.drawn) == r.expected);
  }
}

TEST_CASE("the send target's rate follows the ingest rate, at most 30", "[core][dynacast]") {
  CHECK(sendTarget({{160, 120}, 15}, true, {}) == SendTarget{160, 120, 15, 44});
  CHECK(sendTarget({{160, 120}, 60}, true, {}).fps == 30);
  CHECK(sendTarget({{320, 240}, 30}, true, {}) == SendTarget{320, 240, 30, 346});
  CHECK(sendTarget({{320, 240}, 30}, false, {}) == SendTarget{160, 120, 1, 30});
}

TEST_CASE("send target invariants over drawn sizes", "[core][dynacast]") {
  for (const SizePx tile : {SizePx{160, 120}, SizePx{320, 180}, SizePx{8, 8}, SizePx{170, 130}}) {
    for (int w = 0; w <= 400; w += 7) {
      for (int h = 0; h <= 300; h += 11) {
        const SendTarget t = sendTarget({tile, 30}, true, {w, h});
        INFO(tile.width << "x" << tile.height << " drawn " << w << "x" << h);
        REQUIRE(t.width % 2 == 0);
        REQUIRE(t.height % 2 == 0);
        REQUIRE(t.width >= 2);
        REQUIRE(t.height >= 2);
        // Never more than the tile (up to the rounding to even), never less than drawn.
        REQUIRE(t.width <= tile.width + 1);
        REQUIRE(t.height <= tile.height + 1);
        if (w > 0 && h > 0) {
          REQUIRE(t.width >= std::min(w, tile.width));
          REQUIRE(t.height >= std::min(h, tile.height));
        }
        REQUIRE(t.kbps >= kSendMinKbps);
      }
    }
  }
  // The budget: at most 150 kbit/s at a 160x120 tile, whatever the canvas rate.
  for (int fps = 1; fps <= 120; ++fps) CHECK(sendTarget({{160, 120}, fps}, true, {}).kbps <= 150);
}

TEST_CASE("the send target's text changes with it", "[core][dynacast]") {
  CHECK(toString(SendTarget{160, 120, 30, 87}) == "160x120@30/87");
  CHECK(toString(SendTarget{80, 60, 1, 30}) != toString(SendTarget{80, 60, 30, 40}));
}
