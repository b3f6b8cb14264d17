#include "ingest/tile_caps.hpp"

#include "platform/gst_ptr.hpp"

namespace tessera::ingest {

bool shouldRescale(core::SizePx current, core::SizePx want) {
  return want != current && want.width > 0 && want.height > 0;
}

void setTileCaps(GstElement* capsfilter, core::SizePx size, std::optional<int> fps) {
  auto caps = platform::GstPtr<GstCaps>::adopt(gst_caps_new_simple(
      "video/x-raw", "format", G_TYPE_STRING, "I420", "width", G_TYPE_INT, size.width, "height",
      G_TYPE_INT, size.height, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, nullptr));
  if (fps) gst_caps_set_simple(caps.get(), "framerate", GST_TYPE_FRACTION, *fps, 1, nullptr);
  g_object_set(capsfilter, "caps", caps.get(), nullptr);
}

}  // namespace tessera::ingest
