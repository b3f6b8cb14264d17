#include "platform/gst_ptr.hpp"

#include <catch2/catch.hpp>

#include <utility>

#include "platform/pipeline.hpp"

using tessera::platform::GstPtr;

namespace {

const tessera::platform::GstRuntime kGst;

int refs(gpointer object) {
  return static_cast<int>(GST_OBJECT_REFCOUNT_VALUE(object));
}
int miniRefs(gpointer mini) {
  return GST_MINI_OBJECT_REFCOUNT_VALUE(mini);
}

}  // namespace

TEST_CASE("adopt sinks a floating element so it is owned exactly once", "[platform][gst_ptr]") {
  GstElement* raw = gst_element_factory_make("fakesink", nullptr);
  REQUIRE(raw);
  REQUIRE(g_object_is_floating(raw));
  {
    auto owned = GstPtr<GstElement>::adopt(raw);
    CHECK(owned.get() == raw);
    CHECK_FALSE(g_object_is_floating(raw));
    CHECK(refs(raw) == 1);
    // Keep the object alive past `owned` so the final count can be read.
    gst_object_ref(raw);
    CHECK(refs(raw) == 2);
  }
  CHECK(refs(raw) == 1);
  gst_object_unref(raw);
}

TEST_CASE("retain, copy and move count references correctly", "[platform][gst_ptr]") {
  auto owner = GstPtr<GstElement>::adopt(gst_element_factory_make("fakesink", nullptr));
  REQUIRE(owner);
  GstElement* raw = owner.get();
  REQUIRE(refs(raw) == 1);
  {
    auto retained = GstPtr<GstElement>::retain(raw);
    CHECK(refs(raw) == 2);
    GstPtr<GstElement> copy = retained;
    CHECK(refs(raw) == 3);
    GstPtr<GstElement> moved = std::move(copy);
    CHECK(refs(raw) == 3);  // a move hands the reference over
    CHECK_FALSE(copy);      // NOLINT(bugprone-use-after-move): moved-from is empty by contract
    GstPtr<GstElement> assigned;
    assigned = retained;
    CHECK(refs(raw) == 4);
    assigned = GstPtr<GstElement>();  // dropping through assignment releases
    CHECK(refs(raw) == 3);
    moved.reset();
    CHECK_FALSE(moved);
    CHECK(refs(raw) == 2);
  }
  CHECK(refs(raw) == 1);
}

TEST_CASE("adopt of a non-floating transfer-full reference does not add one",
          "[platform][gst_ptr]") {
  auto bin = GstPtr<GstElement>::adopt(gst_bin_new("bin"));
  GstElement* child = gst_element_factory_make("fakesink", "child");
  REQUIRE(gst_bin_add(GST_BIN(bin.get()), child));  // the bin sinks the floating ref
  REQUIRE(refs(child) == 1);
  {
    // gst_bin_get_by_name returns transfer-full: adopt takes over exactly that reference.
    auto found = GstPtr<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(bin.get()), "child"));
    CHECK(found.get() == child);
    CHECK(refs(child) == 2);
  }
  CHECK(refs(child) == 1);
}

TEST_CASE("release hands the reference to the caller", "[platform][gst_ptr]") {
  auto p = GstPtr<GstElement>::adopt(gst_element_factory_make("fakesink", nullptr));
  GstElement* raw = p.release();
  CHECK_FALSE(p);
  CHECK(p.get() == nullptr);
  CHECK(refs(raw) == 1);
  gst_object_unref(raw);
}

TEST_CASE("mini-objects use their own reference counts", "[platform][gst_ptr]") {
  SECTION("caps") {
    auto caps = GstPtr<GstCaps>::adopt(gst_caps_new_empty_simple("video/x-raw"));
    REQUIRE(caps);
    CHECK(miniRefs(caps.get()) == 1);
    {
      auto again = GstPtr<GstCaps>::retain(caps.get());
      CHECK(miniRefs(caps.get()) == 2);
      auto copy = again;
      CHECK(miniRefs(caps.get()) == 3);
    }
    CHECK(miniRefs(caps.get()) == 1);
  }
  SECTION("buffer") {
    auto buffer = GstPtr<GstBuffer>::adopt(gst_buffer_new_allocate(nullptr, 64, nullptr));
    REQUIRE(buffer);
    CHECK(miniRefs(buffer.get()) == 1);
    CHECK(gst_buffer_is_writable(buffer.get()));
    {
      auto shared = GstPtr<GstBuffer>::retain(buffer.get());
      CHECK(miniRefs(buffer.get()) == 2);
      CHECK_FALSE(gst_buffer_is_writable(buffer.get()));
    }
    CHECK(gst_buffer_is_writable(buffer.get()));
  }
  SECTION("null") {
    auto none = GstPtr<GstCaps>::adopt(nullptr);
    CHECK_FALSE(none);
    auto alsoNone = GstPtr<GstElement>::retain(nullptr);
    CHECK_FALSE(alsoNone);
  }
}
