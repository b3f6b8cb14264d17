#include "platform/pipeline.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/wait.hpp"

using tessera::platform::Pipeline;
using tessera::test::waitUntil;
using namespace std::chrono_literals;

namespace {

const tessera::platform::GstRuntime kGst;

struct RecordingListener final : tessera::platform::PipelineListener {
  std::vector<std::string> errorSources;
  std::vector<std::string> errors;
  int eos = 0;
  void onPipelineError(const std::string& source, const std::string& message,
                       const std::string&) override {
    errorSources.push_back(source);
    errors.push_back(message);
  }
  void onPipelineEos() override { ++eos; }
};

}  // namespace

TEST_CASE("parse reports an unknown element by name", "[platform][pipeline]") {
  std::string error;
  auto p = Pipeline::parse("bad", "videotestsrc ! no_such_element_xyz ! fakesink", &error);
  CHECK_FALSE(p);
  CHECK_THAT(error, Catch::Contains("no_such_element_xyz"));
}

TEST_CASE("parse reports a syntax error", "[platform][pipeline]") {
  std::string error;
  auto p = Pipeline::parse("bad", "videotestsrc ! ! fakesink", &error);
  CHECK_FALSE(p);
  CHECK_FALSE(error.empty());
}

TEST_CASE("parse reports an unknown property value", "[platform][pipeline]") {
  std::string error;
  auto p = Pipeline::parse("bad", "videotestsrc pattern=not-a-pattern ! fakesink", &error);
  CHECK_FALSE(p);
  CHECK_FALSE(error.empty());
}

TEST_CASE("a parsed pipeline is named and finds its elements", "[platform][pipeline]") {
  std::string error;
  auto p = Pipeline::parse("good", "videotestsrc name=src ! fakesink name=out", &error);
  REQUIRE(p);
  CHECK(error.empty());
  CHECK(p->name() == "good");
  CHECK(std::string(GST_OBJECT_NAME(p->get())) == "good");
  auto src = p->element("src");
  REQUIRE(src);
  CHECK(std::string(GST_OBJECT_NAME(src.get())) == "src");
  // The pipeline holds one reference and our GstPtr the other.
  CHECK(GST_OBJECT_REFCOUNT_VALUE(src.get()) == 2);
  CHECK_FALSE(p->element("missing"));
}

TEST_CASE("the bus watch delivers EOS to the listener", "[platform][pipeline][gst]") {
  std::string error;
  auto p = Pipeline::parse("eos", "videotestsrc num-buffers=3 ! fakesink", &error);
  REQUIRE(p);
  RecordingListener listener;
  p->watchBus(&listener);
  REQUIRE(p->play());
  CHECK(waitUntil([&] { return listener.eos == 1; }, 5s));
  CHECK(listener.errors.empty());
}

TEST_CASE("the bus watch delivers an error naming its source", "[platform][pipeline][gst]") {
  std::string error;
  auto p = Pipeline::parse(
      "err", "filesrc name=reader location=/nonexistent/tessera/x.mp4 ! fakesink", &error);
  REQUIRE(p);
  RecordingListener listener;
  p->watchBus(&listener);
  CHECK_FALSE(p->play());  // the file cannot be opened
  REQUIRE(waitUntil([&] { return !listener.errors.empty(); }, 5s));
  CHECK(listener.errorSources.front() == "reader");
}

TEST_CASE("play reports why the pipeline could not start", "[platform][pipeline][gst]") {
  std::string error;
  auto p = Pipeline::parse(
      "err", "filesrc name=reader location=/nonexistent/tessera/x.mp4 ! fakesink", &error);
  REQUIRE(p);
  std::string why;
  CHECK_FALSE(p->play(&why));
  CHECK_THAT(why, Catch::StartsWith("reader: "));
  CHECK(why.size() > std::string("reader: ").size());
}

TEST_CASE("the bus watch delivers an error posted while running", "[platform][pipeline][gst]") {
  std::string error;
  auto p = Pipeline::parse(
      "err", "fakesrc num-buffers=20 sizetype=fixed sizemax=4096 ! qtdemux name=demux ! fakesink",
      &error);
  REQUIRE(p);
  RecordingListener listener;
  p->watchBus(&listener);
  REQUIRE(p->play());
  REQUIRE(waitUntil([&] { return !listener.errors.empty(); }, 5s));
  CHECK(listener.errorSources.front() == "demux");
  CHECK_FALSE(listener.errors.front().empty());
  CHECK(listener.eos == 0);
}

TEST_CASE("sendEosAndWait drains a live pipeline", "[platform][pipeline][gst]") {
  std::string error;
  auto p = Pipeline::parse("live", "videotestsrc is-live=true ! fakesink", &error);
  REQUIRE(p);
  REQUIRE(p->play());
  // Straight after play(), while the live pipeline is still changing state: sending EOS then
  // once blocked inside gst_element_send_event.
  CHECK(p->sendEosAndWait(5s));
}

TEST_CASE("waitForEos is false when the pipeline fails instead", "[platform][pipeline][gst]") {
  std::string error;
  // The demuxer gets bytes that are not a media file and posts an error once data flows.
  auto p = Pipeline::parse(
      "fail", "fakesrc num-buffers=20 sizetype=fixed sizemax=4096 ! qtdemux ! fakesink", &error);
  REQUIRE(p);
  REQUIRE(p->play());
  CHECK_FALSE(p->waitForEos(5s));
}

TEST_CASE("a moved pipeline keeps working and the source is left empty",
          "[platform][pipeline][gst]") {
  std::string error;
  auto p = Pipeline::parse("moved", "videotestsrc num-buffers=2 ! fakesink", &error);
  REQUIRE(p);
  Pipeline moved(std::move(*p));
  CHECK(p->get() == nullptr);  // NOLINT(bugprone-use-after-move)
  REQUIRE(moved.play());
  CHECK(moved.waitForEos(5s));
}

TEST_CASE("haveElements names the missing factories", "[platform][pipeline]") {
  std::string missing;
  CHECK(tessera::platform::GstRuntime::haveElements({"fakesink", "videotestsrc"}, &missing));
  CHECK(missing.empty());
  CHECK_FALSE(tessera::platform::GstRuntime::haveElements(
      {"fakesink", "no_such_a", "videotestsrc", "no_such_b"}, &missing));
  CHECK(missing == "no_such_a, no_such_b");
}
