#include "platform/task_pool.hpp"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>
#include <mutex>
#include <set>

#include "platform/system.hpp"

namespace {

// The pool's live threads, so a pipeline being stopped can give them the CPU back.
struct Threads {
  std::mutex mutex;
  std::set<pid_t> tids;
  bool lowered = false;  // ThreadPriority::deferred: lowerPoolThreads was called
};

// Gives thread `tid` the pool's priority (the idle class or a nice value).
void applyPriority(pid_t tid, const tessera::platform::ThreadPriority& priority) {
  if (priority.idle) {
    const sched_param param{};
    sched_setscheduler(tid, SCHED_IDLE, &param);
  } else if (priority.nice != 0) {
    setpriority(PRIO_PROCESS, static_cast<id_t>(tid), priority.nice);
  }
}

struct TesseraTaskPool {
  GstTaskPool parent;
  tessera::platform::ThreadPriority priority;
  std::shared_ptr<Threads>* threads;  // shared with the threads, which may outlive the pool
};

struct TesseraTaskPoolClass {
  GstTaskPoolClass parent_class;
};

G_DEFINE_TYPE(TesseraTaskPool, tessera_task_pool, GST_TYPE_TASK_POOL)

struct ThreadStart {
  GstTaskPoolFunction func;
  gpointer data;
  tessera::platform::ThreadPriority priority;
  std::shared_ptr<Threads> threads;
};

void* runTask(void* arg) {
  std::unique_ptr<ThreadStart> start(static_cast<ThreadStart*>(arg));
  const auto tid = static_cast<pid_t>(syscall(SYS_gettid));
  {
    // Registered before the priority drops, under the lock raisePoolThreads holds while it works.
    std::lock_guard lock(start->threads->mutex);
    start->threads->tids.insert(tid);
    if (!start->priority.deferred || start->threads->lowered) applyPriority(tid, start->priority);
  }
  start->func(start->data);
  std::lock_guard lock(start->threads->mutex);
  start->threads->tids.erase(tid);
  return nullptr;
}

// Detached: GstTask waits for its function to return before it joins, so there is nothing left
// to wait for; the thread ends as the function returns.
gpointer pushTask(GstTaskPool* pool, GstTaskPoolFunction func, gpointer data, GError** error) {
  auto* self = reinterpret_cast<TesseraTaskPool*>(pool);
  auto start =
      std::make_unique<ThreadStart>(ThreadStart{func, data, self->priority, *self->threads});
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

void finalizePool(GObject* object) {
  delete reinterpret_cast<TesseraTaskPool*>(object)->threads;
  G_OBJECT_CLASS(tessera_task_pool_parent_class)->finalize(object);
}

void tessera_task_pool_class_init(TesseraTaskPoolClass* klass) {
  G_OBJECT_CLASS(klass)->finalize = &finalizePool;
  auto* pool = GST_TASK_POOL_CLASS(klass);
  pool->prepare = [](GstTaskPool*, GError**) {};  // no GThreadPool: a thread per task
  pool->cleanup = [](GstTaskPool*) {};
  pool->push = &pushTask;
  pool->join = [](GstTaskPool*, gpointer) {};
}

void tessera_task_pool_init(TesseraTaskPool* pool) {
  pool->threads = new std::shared_ptr<Threads>(std::make_shared<Threads>());
}

}  // namespace

namespace tessera::platform {

GstPtr<GstTaskPool> makePriorityTaskPool(ThreadPriority priority) {
  auto* pool = static_cast<TesseraTaskPool*>(g_object_new(tessera_task_pool_get_type(), nullptr));
  pool->priority = priority;
  return GstPtr<GstTaskPool>::adopt(GST_TASK_POOL(pool));  // sinks the floating reference
}

PoolThreadsCpu poolThreadsCpu(GstTaskPool* pool) {
  PoolThreadsCpu cpu;
  if (!pool || !G_TYPE_CHECK_INSTANCE_TYPE(pool, tessera_task_pool_get_type())) return cpu;
  const auto& threads = *reinterpret_cast<TesseraTaskPool*>(pool)->threads;
  static const double ticksPerSecond = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::lock_guard lock(threads->mutex);  // a thread ending waits here: its tid stays its own
  for (const pid_t tid : threads->tids) {
    const auto stat = tessera::platform::readThreadStat(tid);
    if (!stat) continue;
    ++cpu.threads;
    if (stat->state == 'R') ++cpu.runnable;
    cpu.cpuSeconds += static_cast<double>(stat->utimeTicks + stat->stimeTicks) / ticksPerSecond;
    if (stat->runDelayNs) cpu.waitSeconds = cpu.waitSeconds.value_or(0) + *stat->runDelayNs / 1e9;
  }
  return cpu;
}

int lowerPoolThreads(GstTaskPool* pool) {
  if (!pool || !G_TYPE_CHECK_INSTANCE_TYPE(pool, tessera_task_pool_get_type())) return 0;
  const auto* self = reinterpret_cast<TesseraTaskPool*>(pool);
  const auto& threads = *self->threads;
  std::lock_guard lock(threads->mutex);
  if (threads->lowered) return 0;
  threads->lowered = true;
  for (const pid_t tid : threads->tids) applyPriority(tid, self->priority);
  return static_cast<int>(threads->tids.size());
}

int raisePoolThreads(GstTaskPool* pool) {
  if (!pool || !G_TYPE_CHECK_INSTANCE_TYPE(pool, tessera_task_pool_get_type())) return 0;
  const auto& threads = *reinterpret_cast<TesseraTaskPool*>(pool)->threads;
  std::lock_guard lock(threads->mutex);  // a thread ending waits here: its tid stays its own
  int raised = 0;
  for (const pid_t tid : threads->tids) {
    const sched_param param{};
    if (sched_setscheduler(tid, SCHED_OTHER, &param) == 0 &&
        setpriority(PRIO_PROCESS, static_cast<id_t>(tid), 0) == 0) {
      ++raised;
    }
  }
  return raised;
}

}  // namespace tessera::platform
