// A GstTaskPool whose every task runs on a thread of its own, created for the task at the
// priority the pool was made with and ended with it.
//
// GStreamer's default pool hands its threads back to GLib's shared thread pool, which reuses
// them for any later task or GIO job in the process: a priority set on a feed's streaming
// thread (the idle class, a nice value) would stay with the thread and leak into whatever ran
// on it next (another pipeline, a TLS handshake), and the kernel refuses to take the idle
// class back off an unprivileged thread. A thread per task cannot leak.
//
// Thread: made on any thread; its tasks start on the thread that starts the task.
#pragma once

#include <gst/gst.h>

#include <optional>

#include "platform/gst_ptr.hpp"

namespace tessera::platform {

struct ThreadPriority {
  bool idle = false;  // the idle scheduling class (platform::setCurrentThreadIdle)
  int nice = 0;       // otherwise this nice value (raising needs CAP_SYS_NICE; tried anyway)
  // Threads start at the default priority and take this one only once lowerPoolThreads is
  // called (e.g. a feed's first frame): a pipeline negotiating caps and opening its decoder
  // takes process-wide locks (GLib's quark table, libav's codec lock) that a starved idle-class
  // thread would hold for seconds, stopping every other feed and the main loop.
  bool deferred = false;
};

GstPtr<GstTaskPool> makePriorityTaskPool(ThreadPriority priority);

// ThreadPriority::deferred: gives the pool's live threads, and the ones it starts from now on,
// its priority. Once; any thread. Returns how many were lowered.
int lowerPoolThreads(GstTaskPool* pool);

// Gives the pool's live threads the default priority again (SCHED_OTHER, nice 0), before their
// pipeline is stopped: stopping waits for them to leave their loops, and an idle-class thread on
// a busy machine would make that wait as long as the machine stays busy. Needs CAP_SYS_NICE to
// leave the idle class (root); without it nothing changes. Returns how many were raised.
int raisePoolThreads(GstTaskPool* pool);

// What the pool's live threads are doing, read from /proc/self/task/TID/stat: how many are
// runnable (state R: on a CPU or waiting for one) and the CPU time they have used. A feed whose
// threads are runnable yet get no CPU is starved (the machine is busy), not stalled.
struct PoolThreadsCpu {
  int threads = 0;
  int runnable = 0;
  double cpuSeconds = 0;  // utime + stime of the live threads
  // Their time runnable but waiting for a CPU (schedstat's run delay); nullopt where the
  // kernel does not keep it.
  std::optional<double> waitSeconds;
};
PoolThreadsCpu poolThreadsCpu(GstTaskPool* pool);

}  // namespace tessera::platform
