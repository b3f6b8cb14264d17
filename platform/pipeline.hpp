// A GStreamer pipeline with safe teardown and bus messages delivered as listener calls.
//
// Thread: created, used and destroyed on the GLib main-loop thread; bus messages arrive there
// through a bus watch. The destructor removes the watch, sets NULL state (which waits for the
// streaming threads to stop) and then drops the last reference.
#pragma once

#include <gst/gst.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "platform/gst_ptr.hpp"
#include "platform/task_pool.hpp"

namespace tessera::platform {

class PipelineListener {
 public:
  virtual ~PipelineListener() = default;
  // An ERROR message; `source` names the element that posted it.
  virtual void onPipelineError(const std::string& source, const std::string& message,
                               const std::string& debug) = 0;
  virtual void onPipelineEos() = 0;
  virtual void onPipelineWarning(const std::string& source, const std::string& message) {}
  // An ELEMENT message (e.g. splitmuxsink's fragment-closed).
  virtual void onPipelineElement(GstMessage* message) {}
  // A QOS message: an element (a decoder, a sink) dropped a buffer that came too late.
  virtual void onPipelineQos() {}
};

class Pipeline {
 public:
  // Parses a gst-launch description. Returns nullopt and fills `error` when it does not parse.
  static std::optional<Pipeline> parse(const std::string& name, const std::string& description,
                                       std::string* error);

  Pipeline(std::string name, GstPtr<GstElement> pipeline);
  Pipeline(Pipeline&& o) noexcept;
  Pipeline& operator=(Pipeline&&) = delete;
  Pipeline(const Pipeline&) = delete;
  ~Pipeline();

  const std::string& name() const { return mName; }
  GstElement* get() const { return mPipeline.get(); }
  // A named element inside the pipeline (a new reference), or null.
  GstPtr<GstElement> element(const char* name) const;
  // The factory names of every element inside, sorted (what a log or a test inspects).
  std::vector<std::string> elementFactories() const;

  // Starts delivering bus messages to `listener` on the thread-default main context.
  void watchBus(PipelineListener* listener);
  // Every task of this pipeline (its streaming threads: sources, demuxers, queues, jitter
  // buffers' outputs) runs on a thread of its own at this priority (platform/task_pool.hpp: a
  // priority never leaks to a pooled thread), and raw threads those threads create, such as
  // encoder workers, inherit it. Threads elements make without a GstTask (timers, RTCP, network
  // helpers) keep the default. Call once, before play().
  void setStreamingThreadPriority(ThreadPriority priority);
  // A nice value (raising priority needs CAP_SYS_NICE; refused quietly without it).
  void setStreamingThreadNice(int nice);
  // The idle scheduling class (platform::setCurrentThreadIdle): under overload these threads
  // lose the CPU to every other thread, however many of them there are.
  void setStreamingThreadsIdle();
  // The pool the streaming threads run on (setStreamingThreadPriority's), or null: with a
  // ThreadPriority::deferred, platform::lowerPoolThreads(taskPool()) applies it.
  GstTaskPool* taskPool() const { return mTaskPool.get(); }
  // Only the tasks of elements made by `factory` (e.g. "rtpjitterbuffer": a WHIP feed decodes
  // on its jitter buffer's output thread, while its network and RTCP threads keep the default).
  void setStreamingThreadPriorityOf(const char* factory, ThreadPriority priority);
  // Gives the streaming threads the default priority back (platform::raisePoolThreads): done
  // before stopping, so a busy machine cannot hold the stop (and its caller) up. Returns how
  // many threads were raised.
  int raiseStreamingThreads();
  // What the streaming threads are doing (platform::poolThreadsCpu); empty without a priority set.
  PoolThreadsCpu streamingThreadsCpu() const;
  // Starts playing; on failure fills `error` with the pipeline's own error message.
  bool play(std::string* error = nullptr);
  // Sends EOS and waits (bounded) for it to reach the sinks, so muxers finalise their files.
  bool sendEosAndWait(std::chrono::milliseconds timeout);
  // Waits (bounded) for an EOS that something else started (e.g. an appsrc's end of stream).
  bool waitForEos(std::chrono::milliseconds timeout);
  // Delivers the ELEMENT messages still queued on the bus (after waitForEos stopped the watch),
  // and those that come within 100 ms of each other.
  void deliverPendingElementMessages(PipelineListener* listener);

 private:
  static gboolean onBusMessage(GstBus* bus, GstMessage* msg, gpointer self);
  static GstBusSyncReply onSyncMessage(GstBus* bus, GstMessage* msg, gpointer data);
  void stop();

  std::string mName;
  GstPtr<GstElement> mPipeline;
  GstPtr<GstTaskPool> mTaskPool;  // setStreamingThreadPriority's; its threads raised to stop
  PipelineListener* mListener = nullptr;
  guint mWatchId = 0;
};

// Every element inside `bin`, at any depth (new references); a change while it is listed starts
// the list again.
std::vector<GstPtr<GstElement>> elementsIn(GstBin* bin);
// Whether `element` was made by the element factory called `factory`.
bool madeBy(GstElement* element, const char* factory);

// Process-wide GStreamer set-up; built once in main.
class GstRuntime {
 public:
  GstRuntime();
  ~GstRuntime() = default;
  GstRuntime(const GstRuntime&) = delete;
  GstRuntime& operator=(const GstRuntime&) = delete;
  static std::string version();
  // Whether every named element factory is installed; fills `missing` with those that are not.
  static bool haveElements(std::initializer_list<const char*> names, std::string* missing);
};

}  // namespace tessera::platform
