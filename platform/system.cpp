#include "platform/system.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

namespace tessera::platform {

FdLimit raiseFileDescriptorLimit() {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  FdLimit r{lim.rlim_cur, lim.rlim_cur};
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &lim) == 0) r.after = lim.rlim_cur;
  }
  return r;
}

bool setCurrentThreadNice(int nice) {
  // On Linux, PRIO_PROCESS with a thread id sets that one thread's nice value.
  return setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice) == 0;
}

long peakRssKib() {
  std::ifstream status("/proc/self/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      long kib = 0;
      status >> kib;
      return kib;
    }
    status.ignore(1 << 12, '\n');
  }
  return 0;
}

}  // namespace tessera::platform
