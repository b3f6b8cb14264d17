#include "platform/pipeline.hpp"

#include <algorithm>

#include <memory>
#include <string>

#include "core/log.hpp"
#include "platform/system.hpp"
#include "platform/task_pool.hpp"

namespace tessera::platform {

std::optional<Pipeline> Pipeline::parse(const std::string& name, const std::string& description,
                                        std::string* error) {
  GError* raw = nullptr;
  GstElement* p =
      gst_parse_launch_full(description.c_str(), nullptr, GST_PARSE_FLAG_FATAL_ERRORS, &raw);
  std::unique_ptr<GError, GErrorDeleter> err(raw);
  if (!p || err) {
    if (p) gst_object_unref(p);
    if (error) *error = err ? err->message : "could not build pipeline";
    return std::nullopt;
  }
  gst_object_set_name(GST_OBJECT(p), name.c_str());
  return Pipeline(name, GstPtr<GstElement>::adopt(p));
}

Pipeline::Pipeline(std::string name, GstPtr<GstElement> pipeline)
    : mName(std::move(name)), mPipeline(std::move(pipeline)) {}

Pipeline::Pipeline(Pipeline&& o) noexcept
    : mName(std::move(o.mName)),
      mPipeline(std::move(o.mPipeline)),
      mTaskPool(std::move(o.mTaskPool)),
      mListener(std::exchange(o.mListener, nullptr)),
      mWatchId(std::exchange(o.mWatchId, 0)) {
  // A bus watch points at its Pipeline; a moved watch would dangle, so moving one is a bug.
  g_assert(mWatchId == 0);
}

Pipeline::~Pipeline() {
  stop();
}

int Pipeline::raiseStreamingThreads() {
  return mTaskPool ? raisePoolThreads(mTaskPool.get()) : 0;
}

PoolThreadsCpu Pipeline::streamingThreadsCpu() const {
  return mTaskPool ? poolThreadsCpu(mTaskPool.get()) : PoolThreadsCpu{};
}

void Pipeline::stop() {
  if (!mPipeline) return;
  if (mWatchId) {
    g_source_remove(mWatchId);
    mWatchId = 0;
  }
  raiseStreamingThreads();  // starved threads would hold this up
  gst_element_set_state(mPipeline.get(), GST_STATE_NULL);
  gst_element_get_state(mPipeline.get(), nullptr, nullptr, 5 * GST_SECOND);
  mPipeline.reset();
}

GstPtr<GstElement> Pipeline::element(const char* name) const {
  return GstPtr<GstElement>::adopt(gst_bin_get_by_name(GST_BIN(mPipeline.get()), name));
}

std::vector<std::string> Pipeline::elementFactories() const {
  std::vector<std::string> names;
  for (const auto& element : elementsIn(GST_BIN(mPipeline.get()))) {
    if (GstElementFactory* f = gst_element_get_factory(element.get())) {
      names.emplace_back(gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f)));
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<GstPtr<GstElement>> elementsIn(GstBin* bin) {
  std::vector<GstPtr<GstElement>> elements;
  GstIterator* it = gst_bin_iterate_recurse(bin);
  GValue item = G_VALUE_INIT;
  bool done = false;
  while (!done) {
    switch (gst_iterator_next(it, &item)) {
      case GST_ITERATOR_OK:
        elements.push_back(
            GstPtr<GstElement>::adopt(GST_ELEMENT(gst_object_ref(g_value_get_object(&item)))));
        g_value_reset(&item);
        break;
      case GST_ITERATOR_RESYNC:
        elements.clear();
        gst_iterator_resync(it);
        break;
      default:  // done, or an error
        done = true;
    }
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  return elements;
}

bool madeBy(GstElement* element, const char* factory) {
  GstElementFactory* f = gst_element_get_factory(element);
  return f && g_strcmp0(gst_plugin_feature_get_name(GST_PLUGIN_FEATURE(f)), factory) == 0;
}

void Pipeline::watchBus(PipelineListener* listener) {
  mListener = listener;
  auto bus = GstPtr<GstBus>::adopt(gst_element_get_bus(mPipeline.get()));
  mWatchId = gst_bus_add_watch(bus.get(), &Pipeline::onBusMessage, this);
}

void Pipeline::setStreamingThreadNice(int nice) {
  setStreamingThreadPriority({false, nice});
}

void Pipeline::setStreamingThreadsIdle() {
  setStreamingThreadPriority({true, 0});
}

namespace {
// What a pipeline's bus sync handler holds: the pool its tasks run on, for the tasks of every
// element or only of one factory's.
struct TaskPriority {
  GstPtr<GstTaskPool> pool;
  std::string factory;  // empty: every element
};
}  // namespace

void Pipeline::setStreamingThreadPriority(ThreadPriority priority) {
  setStreamingThreadPriorityOf("", priority);
}

void Pipeline::setStreamingThreadPriorityOf(const char* factory, ThreadPriority priority) {
  auto bus = GstPtr<GstBus>::adopt(gst_element_get_bus(mPipeline.get()));
  mTaskPool = makePriorityTaskPool(priority);
  auto* data = new TaskPriority{mTaskPool, factory};
  gst_bus_set_sync_handler(bus.get(), &Pipeline::onSyncMessage, data,
                           [](gpointer p) { delete static_cast<TaskPriority*>(p); });
}

GstBusSyncReply Pipeline::onSyncMessage(GstBus*, GstMessage* msg, gpointer data) {
  // STREAM_STATUS CREATE is posted synchronously by whoever creates a task, before it starts:
  // the task then runs on a thread of this pipeline's own pool, at its priority.
  if (GST_MESSAGE_TYPE(msg) != GST_MESSAGE_STREAM_STATUS) return GST_BUS_PASS;
  const auto& wanted = *static_cast<const TaskPriority*>(data);
  GstStreamStatusType type;
  GstElement* owner = nullptr;
  gst_message_parse_stream_status(msg, &type, &owner);
  const GValue* object = gst_message_get_stream_status_object(msg);
  if (type != GST_STREAM_STATUS_TYPE_CREATE || !object || !G_VALUE_HOLDS(object, GST_TYPE_TASK)) {
    return GST_BUS_PASS;
  }
  if (!wanted.factory.empty()) {
    GstElementFactory* f = owner ? gst_element_get_factory(owner) : nullptr;
    if (!f || wanted.factory != GST_OBJECT_NAME(f)) return GST_BUS_PASS;
  }
  gst_task_set_pool(GST_TASK(g_value_get_object(object)), wanted.pool.get());
  return GST_BUS_PASS;
}

bool Pipeline::play(std::string* error) {
  if (gst_element_set_state(mPipeline.get(), GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE) {
    return true;
  }
  if (error) {
    // The element that refused posted why; take it off the bus (the watch would be too late).
    auto bus = GstPtr<GstBus>::adopt(gst_element_get_bus(mPipeline.get()));
    auto msg = GstPtr<GstMessage>::adopt(gst_bus_pop_filtered(bus.get(), GST_MESSAGE_ERROR));
    *error = "could not start";
    if (msg) {
      GError* raw = nullptr;
      gst_message_parse_error(msg.get(), &raw, nullptr);
      std::unique_ptr<GError, GErrorDeleter> err(raw);
      const char* source =
          GST_MESSAGE_SRC(msg.get()) ? GST_OBJECT_NAME(GST_MESSAGE_SRC(msg.get())) : "?";
      if (err) *error = std::string(source) + ": " + err->message;
    }
  }
  return false;
}

bool Pipeline::sendEosAndWait(std::chrono::milliseconds timeout) {
  // Sending an event takes the state lock: let a pending asynchronous state change (a live
  // pipeline still prerolling) finish first, or the send can block behind it.
  gst_element_get_state(mPipeline.get(), nullptr, nullptr,
                        static_cast<GstClockTime>(timeout.count()) * GST_MSECOND);
  gst_element_send_event(mPipeline.get(), gst_event_new_eos());
  return waitForEos(timeout);
}

bool Pipeline::waitForEos(std::chrono::milliseconds timeout) {
  // The bus watch would race us for the EOS message: stop it, then wait here.
  if (mWatchId) {
    g_source_remove(mWatchId);
    mWatchId = 0;
  }
  auto bus = GstPtr<GstBus>::adopt(gst_element_get_bus(mPipeline.get()));
  auto msg = GstPtr<GstMessage>::adopt(gst_bus_timed_pop_filtered(
      bus.get(), static_cast<GstClockTime>(timeout.count()) * GST_MSECOND,
      static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR)));
  return msg && GST_MESSAGE_TYPE(msg.get()) == GST_MESSAGE_EOS;
}

void Pipeline::deliverPendingElementMessages(PipelineListener* listener) {
  auto bus = GstPtr<GstBus>::adopt(gst_element_get_bus(mPipeline.get()));
  // A muxer may post its last message just after the end of stream: wait up to 100 ms for each.
  while (auto msg = GstPtr<GstMessage>::adopt(
             gst_bus_timed_pop_filtered(bus.get(), 100 * GST_MSECOND, GST_MESSAGE_ELEMENT))) {
    listener->onPipelineElement(msg.get());
  }
}

gboolean Pipeline::onBusMessage(GstBus*, GstMessage* msg, gpointer data) {
  auto* self = static_cast<Pipeline*>(data);
  if (!self->mListener) return TRUE;
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR:
    case GST_MESSAGE_WARNING: {
      GError* raw = nullptr;
      gchar* dbg = nullptr;
      const bool isError = GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR;
      if (isError) {
        gst_message_parse_error(msg, &raw, &dbg);
      } else {
        gst_message_parse_warning(msg, &raw, &dbg);
      }
      std::unique_ptr<GError, GErrorDeleter> err(raw);
      std::unique_ptr<gchar, GFreeDeleter> debug(dbg);
      const std::string source = GST_MESSAGE_SRC(msg) ? GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)) : "?";
      const std::string text = err ? err->message : "unknown error";
      if (isError) {
        self->mListener->onPipelineError(source, text, debug ? debug.get() : "");
      } else {
        self->mListener->onPipelineWarning(source, text);
      }
      break;
    }
    case GST_MESSAGE_EOS:
      self->mListener->onPipelineEos();
      break;
    case GST_MESSAGE_ELEMENT:
      self->mListener->onPipelineElement(msg);
      break;
    case GST_MESSAGE_QOS:
      self->mListener->onPipelineQos();
      break;
    default:
      break;
  }
  return TRUE;
}

GstRuntime::GstRuntime() {
  gst_init(nullptr, nullptr);
}

std::string GstRuntime::version() {
  std::unique_ptr<gchar, GFreeDeleter> v(gst_version_string());
  return v.get();
}

bool GstRuntime::haveElements(std::initializer_list<const char*> names, std::string* missing) {
  bool ok = true;
  for (const char* n : names) {
    auto* f = gst_element_factory_find(n);
    if (!f) {
      ok = false;
      if (missing) *missing += (missing->empty() ? "" : ", ") + std::string(n);
    } else {
      gst_object_unref(f);
    }
  }
  return ok;
}

}  // namespace tessera::platform
