#include "render/reaction_sprites.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace tessera::render {
namespace {

constexpr float kTwoPi = 6.2831853f;
constexpr float kRiseShare = 0.4f;   // of the canvas height, over the lifetime
constexpr float kSizeShare = 0.07f;  // of the canvas height
constexpr float kMinSizePx = 12.0f;
constexpr float kFadeFrom = 0.55f;  // share of the lifetime after which it fades
constexpr float kPopIn = 0.08f;     // share of the lifetime it takes to reach full size

// A well-mixed 64-bit hash (splitmix64's finaliser): neighbouring sequence numbers land far apart.
std::uint64_t mix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Three numbers in 0..1 from a reaction's sequence number.
void unitsOf(std::uint64_t sequence, float out[3]) {
  const std::uint64_t h = mix(sequence);
  for (int i = 0; i < 3; ++i) {
    out[i] = static_cast<float>((h >> (i * 21)) & 0x1fffff) / static_cast<float>(0x1fffff);
  }
}

}  // namespace

void planReactionSprites(const core::ReactionSnapshot& snapshot, core::Clock::time_point now,
                         core::SizePx canvas, std::vector<ReactionSprite>& out) {
  out.clear();
  const float w = static_cast<float>(canvas.width), h = static_cast<float>(canvas.height);
  const float full = std::max(kMinSizePx, h * kSizeShare);
  const double lifeS = std::chrono::duration<double>(core::kReactionBurstLifetime).count();
  for (const core::ReactionBurst& b : snapshot.bursts) {
    const double ageS = std::max(0.0, std::chrono::duration<double>(now - b.at).count());
    if (ageS >= lifeS) continue;
    const float a = static_cast<float>(ageS / lifeS);  // 0..1 through its life
    float u[3];
    unitsOf(b.sequence, u);
    ReactionSprite s;
    const float grown = full * (0.85f + 0.3f * u[2]);
    s.size = grown * (0.75f + 0.25f * std::min(1.0f, a / kPopIn));
    const float margin = grown;
    const float x0 = margin + (w - 2 * margin) * u[0];
    const float y0 = h - margin * (1.0f + 0.5f * u[1]);
    const float rise = 1.0f - (1.0f - a) * (1.0f - a);  // quick at first, easing off
    s.x = x0 + 0.4f * full * std::sin(kTwoPi * (1.2f * a + u[1]));
    s.y = y0 - kRiseShare * h * rise;
    s.alpha = a < kFadeFrom ? 1.0f : 1.0f - (a - kFadeFrom) / (1.0f - kFadeFrom);
    s.kind = static_cast<float>(static_cast<int>(b.kind));
    s.x = std::clamp(s.x, 0.0f, w);
    s.y = std::clamp(s.y, 0.0f, h);
    out.push_back(s);
  }
}

}  // namespace tessera::render
