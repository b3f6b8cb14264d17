#include "platform/task_pool.hpp"

#include <pthread.h>

#include <memory>

#include "platform/system.hpp"

namespace {

struct TesseraTaskPool {
  GstTaskPool parent;
  tessera::platform::ThreadPriority priority;
};

struct TesseraTaskPoolClass {
  GstTaskPoolClass parent_class;
};

G_DEFINE_TYPE(TesseraTaskPool, tessera_task_pool, GST_TYPE_TASK_POOL)

struct ThreadStart {
  GstTaskPoolFunction func;
  gpointer data;
  tessera::platform::ThreadPriority priority;
};

void* runTask(void* arg) {
  std::unique_ptr<ThreadStart> start(static_cast<ThreadStart*>(arg));
  if (start->priority.idle) {
    tessera::platform::setCurrentThreadIdle();
  } else if (start->priority.nice != 0) {
    tessera::platform::setCurrentThreadNice(start->priority.nice);
  }
  start->func(start->data);
  return nullptr;
}

// Detached: GstTask waits for its function to return before it joins, so there is nothing left
// to wait for; the thread ends as the function returns.
gpointer pushTask(GstTaskPool* pool, GstTaskPoolFunction func, gpointer data, GError** error) {
  auto* self = reinterpret_cast<TesseraTaskPool*>(pool);
  auto start = std::make_unique<ThreadStart>(ThreadStart{func, data, self->priority});
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t thread;
  const int rc = pthread_create(&thread, &attr, &runTask, start.get());
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    g_set_error(error, G_THREAD_ERROR, G_THREAD_ERROR_AGAIN, "cannot start a streaming thread: %s",
                g_strerror(rc));
    return nullptr;
  }
  start.release();  // the thread owns it
  return nullptr;
}

void tessera_task_pool_class_init(TesseraTaskPoolClass* klass) {
  auto* pool = GST_TASK_POOL_CLASS(klass);
  pool->prepare = [](GstTaskPool*, GError**) {};  // no GThreadPool: a thread per task
  pool->cleanup = [](GstTaskPool*) {};
  pool->push = &pushTask;
  pool->join = [](GstTaskPool*, gpointer) {};
}

void tessera_task_pool_init(TesseraTaskPool*) {}

}  // namespace

namespace tessera::platform {

GstPtr<GstTaskPool> makePriorityTaskPool(ThreadPriority priority) {
  auto* pool = static_cast<TesseraTaskPool*>(g_object_new(tessera_task_pool_get_type(), nullptr));
  pool->priority = priority;
  return GstPtr<GstTaskPool>::adopt(GST_TASK_POOL(pool));  // sinks the floating reference
}

}  // namespace tessera::platform
