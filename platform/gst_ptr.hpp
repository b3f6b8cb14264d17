// GstPtr<T>: the one smart pointer for GStreamer and GLib objects.
//
// Two named ways in: `adopt(p)` takes over a reference the caller already owns (a transfer-full
// return), `retain(p)` takes a new one (a transfer-none return). Floating GstObjects are sunk on
// adopt so a freshly made element is owned exactly once. No implicit conversion to T*: call get().
#pragma once

#include <gst/gst.h>

#include <utility>

namespace tessera::platform {

template <typename T>
struct GstRefTraits;

#define TESSERA_GST_OBJECT_TRAITS(Type)                 \
  template <>                                           \
  struct GstRefTraits<Type> {                           \
    static void ref(Type* p) { gst_object_ref(p); }     \
    static void unref(Type* p) { gst_object_unref(p); } \
  };
TESSERA_GST_OBJECT_TRAITS(GstElement)
TESSERA_GST_OBJECT_TRAITS(GstPad)
TESSERA_GST_OBJECT_TRAITS(GstBus)
TESSERA_GST_OBJECT_TRAITS(GstPipeline)
TESSERA_GST_OBJECT_TRAITS(GstBin)
TESSERA_GST_OBJECT_TRAITS(GstTaskPool)
#undef TESSERA_GST_OBJECT_TRAITS

#define TESSERA_GST_MINI_TRAITS(Type, refFn, unrefFn) \
  template <>                                         \
  struct GstRefTraits<Type> {                         \
    static void ref(Type* p) { refFn(p); }            \
    static void unref(Type* p) { unrefFn(p); }        \
  };
TESSERA_GST_MINI_TRAITS(GstCaps, gst_caps_ref, gst_caps_unref)
TESSERA_GST_MINI_TRAITS(GstSample, gst_sample_ref, gst_sample_unref)
TESSERA_GST_MINI_TRAITS(GstBuffer, gst_buffer_ref, gst_buffer_unref)
TESSERA_GST_MINI_TRAITS(GstMessage, gst_message_ref, gst_message_unref)
TESSERA_GST_MINI_TRAITS(GstEvent, gst_event_ref, gst_event_unref)
#undef TESSERA_GST_MINI_TRAITS

template <typename T>
class GstPtr {
 public:
  GstPtr() = default;
  GstPtr(std::nullptr_t) {}

  // Takes over a reference the caller owns. A floating object is sunk (owned once).
  static GstPtr adopt(T* p) {
    GstPtr r;
    if (p && g_object_is_floating(p)) {
      g_object_ref_sink(p);  // floating -> one real ref, which we own
    }
    r.mPtr = p;
    return r;
  }
  // Takes a new reference to an object somebody else owns.
  static GstPtr retain(T* p) {
    GstPtr r;
    if (p) GstRefTraits<T>::ref(p);
    r.mPtr = p;
    return r;
  }

  GstPtr(const GstPtr& o) : mPtr(o.mPtr) {
    if (mPtr) GstRefTraits<T>::ref(mPtr);
  }
  GstPtr(GstPtr&& o) noexcept : mPtr(std::exchange(o.mPtr, nullptr)) {}
  GstPtr& operator=(GstPtr o) noexcept {
    std::swap(mPtr, o.mPtr);
    return *this;
  }
  ~GstPtr() { reset(); }

  void reset() {
    if (mPtr) GstRefTraits<T>::unref(std::exchange(mPtr, nullptr));
  }
  T* get() const { return mPtr; }
  // Hands the reference to a transfer-full callee.
  T* release() { return std::exchange(mPtr, nullptr); }
  explicit operator bool() const { return mPtr != nullptr; }

 private:
  T* mPtr = nullptr;
};

// Mini-objects (caps, buffers...) are not GObjects; adopt must not type-check them.
#define TESSERA_GST_MINI_ADOPT(Type)                 \
  template <>                                        \
  inline GstPtr<Type> GstPtr<Type>::adopt(Type* p) { \
    GstPtr r;                                        \
    r.mPtr = p;                                      \
    return r;                                        \
  }
TESSERA_GST_MINI_ADOPT(GstCaps)
TESSERA_GST_MINI_ADOPT(GstSample)
TESSERA_GST_MINI_ADOPT(GstBuffer)
TESSERA_GST_MINI_ADOPT(GstMessage)
TESSERA_GST_MINI_ADOPT(GstEvent)
#undef TESSERA_GST_MINI_ADOPT

// Owns a g_malloc'd value (strings, error objects).
struct GFreeDeleter {
  void operator()(void* p) const { g_free(p); }
};
struct GErrorDeleter {
  void operator()(GError* e) const { g_error_free(e); }
};

}  // namespace tessera::platform
