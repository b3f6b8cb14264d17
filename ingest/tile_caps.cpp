#include "ingest/tile_caps.hpp"

#include "core/tile_scale.hpp"
#include "platform/gst_ptr.hpp"

namespace tessera::ingest {

std::optional<core::SizePx> followDrawnSize(const platform::Pipeline& pipeline,
                                            const core::FeedChannel& channel, core::SizePx tile,
                                            core::SizePx current, std::optional<int> fps) {
  if (!channel.shown()) return std::nullopt;
  const core::SizePx want = core::scaledTileSize(tile, channel.drawnSize());
  if (want == current || want.width <= 0 || want.height <= 0) return std::nullopt;
  auto capsfilter = pipeline.element("tilecaps");
  if (!capsfilter) return std::nullopt;
  auto caps = platform::GstPtr<GstCaps>::adopt(gst_caps_new_simple(
      "video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT, want.width, "height",
      G_TYPE_INT, want.height, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr));
  if (fps) gst_caps_set_simple(caps.get(), "framerate", GST_TYPE_FRACTION, *fps, 1, nullptr);
  g_object_set(capsfilter.get(), "caps", caps.get(), nullptr);
  return want;
}

}  // namespace tessera::ingest
