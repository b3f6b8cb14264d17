#include "platform/gst_frame.hpp"

#include <memory>

namespace tessera::platform {

GstPtr<GstBuffer> wrapFrame(const core::FrameRef& frame) {
  // An I420 frame is one buffer laid out as core::i420Layout (what the caps imply).
  const gsize size = frame->format == core::PixelFormat::kI420
                         ? core::i420Layout(frame->width, frame->height).bytes
                         : frame->strideBytes * static_cast<gsize>(frame->height);
  // GStreamer's destroy-notify is C: the frame reference rides along on the heap until then.
  auto keep = std::make_unique<core::FrameRef>(frame);
  GstBuffer* buffer = gst_buffer_new_wrapped_full(
      GST_MEMORY_FLAG_READONLY, const_cast<std::uint8_t*>(frame->data), size, 0, size, keep.get(),
      [](gpointer p) { std::unique_ptr<core::FrameRef> drop(static_cast<core::FrameRef*>(p)); });
  keep.release();  // now owned by the buffer's destroy notify
  return GstPtr<GstBuffer>::adopt(buffer);
}

}  // namespace tessera::platform
