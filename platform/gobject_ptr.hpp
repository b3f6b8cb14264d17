// GObjectPtr<T>: owns one reference to a plain GObject (libsoup, GIO). Same two ways in as
// GstPtr: adopt() for a reference the caller owns, retain() for a new one.
#pragma once

#include <glib-object.h>

#include <utility>

namespace tessera::platform {

template <typename T>
class GObjectPtr {
 public:
  GObjectPtr() = default;
  static GObjectPtr adopt(T* p) {
    GObjectPtr r;
    r.mPtr = p;
    return r;
  }
  static GObjectPtr retain(T* p) {
    if (p) g_object_ref(p);
    return adopt(p);
  }
  GObjectPtr(GObjectPtr&& o) noexcept : mPtr(std::exchange(o.mPtr, nullptr)) {}
  GObjectPtr& operator=(GObjectPtr&& o) noexcept {
    if (this != &o) {
      reset();
      mPtr = std::exchange(o.mPtr, nullptr);
    }
    return *this;
  }
  GObjectPtr(const GObjectPtr&) = delete;
  GObjectPtr& operator=(const GObjectPtr&) = delete;
  ~GObjectPtr() { reset(); }

  void reset() {
    if (mPtr) g_object_unref(std::exchange(mPtr, nullptr));
  }
  T* get() const { return mPtr; }
  explicit operator bool() const { return mPtr != nullptr; }

 private:
  T* mPtr = nullptr;
};

}  // namespace tessera::platform
