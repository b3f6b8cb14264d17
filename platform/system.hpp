// Process-level facts and limits.
#pragma once

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

// Resident set size high-water mark of this process in KiB (VmHWM).
long peakRssKib();

}  // namespace tessera::platform
