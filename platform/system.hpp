// Process-level facts and limits.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>

namespace tessera::platform {

struct FdLimit {
  unsigned long before = 0;
  unsigned long after = 0;
};
// Raises the soft RLIMIT_NOFILE to the hard limit: GStreamer uses about 7 descriptors per pulled
// feed, so 256 feeds pass the common 1024 default.
FdLimit raiseFileDescriptorLimit();

// Sets the calling thread's nice value (threads it creates later inherit it). Raising priority
// (a negative value) needs root or CAP_SYS_NICE; false when refused.
bool setCurrentThreadNice(int nice);

// Moves the calling thread to the idle scheduling class (SCHED_IDLE: a CFS weight of 3 against
// 1024 for a nice-0 thread, 3121 at nice -5), inherited by the threads it creates. Needs no
// privilege. It still runs when the machine is busy, just far behind everything else.
bool setCurrentThreadIdle();

// This machine's first non-loopback IPv4 address that is up ("127.0.0.1" when there is none):
// the address phones on the gallery's network reach.
std::string lanAddress();

// One of this process's threads, from /proc/self/task/TID/stat; nullopt once it has ended.
struct ThreadStat {
  char state = '?';  // R running or runnable, S sleeping, D waiting on I/O, ...
  std::uint64_t utimeTicks = 0;
  std::uint64_t stimeTicks = 0;
  // From /proc/self/task/TID/schedstat (when the kernel keeps it): time spent waiting on a run
  // queue, i.e. runnable but not running.
  std::optional<std::uint64_t> runDelayNs;
};
std::optional<ThreadStat> readThreadStat(pid_t tid);

// glibc shares its malloc arenas (8 per core) between threads, each guarded by a lock. An
// idle-class feed thread preempted while holding one stops every thread that shares it, the
// render thread and the main loop included, until the busy machine lets it run again (measured
// at 256 feeds: ~50 feed threads waiting on arena locks at once). An arena per thread removes
// that priority inversion, for some memory (+70 MB RSS at 256 feeds). Call first thing, before
// the process starts threads (glibc fixes its arena limit when the ninth arena is made).
// MALLOC_ARENA_MAX in the environment wins. Returns the limit in force (0: glibc's default).
int useMallocArenaPerThread(int maxArenas);

// Resident set size high-water mark of this process in KiB (VmHWM).
long peakRssKib();

}  // namespace tessera::platform
