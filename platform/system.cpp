#include "platform/system.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fcntl.h>
#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
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

bool setCurrentThreadIdle() {
  sched_param param{};
  param.sched_priority = 0;
  return pthread_setschedparam(pthread_self(), SCHED_IDLE, &param) == 0;
}

std::string lanAddress() {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) return "127.0.0.1";
  std::string found = "127.0.0.1";
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    if ((i->ifa_flags & IFF_LOOPBACK) || !(i->ifa_flags & IFF_UP)) continue;
    char text[INET_ADDRSTRLEN] = {};
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, text, sizeof text);
    found = text;
    break;
  }
  freeifaddrs(list);
  return found;
}

namespace {
// A small /proc file of this process's thread `tid` into `text`; false when it cannot be read.
bool readTaskFile(pid_t tid, const char* file, char (&text)[512]) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/self/task/%d/%s", static_cast<int>(tid), file);
  const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (n <= 0) return false;
  text[n] = '\0';
  return true;
}
}  // namespace

std::optional<ThreadStat> readThreadStat(pid_t tid) {
  char text[512];
  if (!readTaskFile(tid, "stat", text)) return std::nullopt;
  // "tid (comm) state ppid ...": the name may hold spaces and parentheses, so parse after the
  // last ')'; utime and stime are the 14th and 15th fields.
  const char* rest = std::strrchr(text, ')');
  ThreadStat stat;
  unsigned long long utime = 0, stime = 0;
  if (!rest || std::sscanf(rest + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
                           &stat.state, &utime, &stime) != 3) {
    return std::nullopt;
  }
  stat.utimeTicks = utime;
  stat.stimeTicks = stime;
  // "on-CPU ns, run-queue wait ns, timeslices"
  unsigned long long onCpu = 0, waited = 0;
  if (readTaskFile(tid, "schedstat", text) &&
      std::sscanf(text, "%llu %llu", &onCpu, &waited) == 2) {
    stat.runDelayNs = waited;
  }
  return stat;
}

int useMallocArenaPerThread(int maxArenas) {
  if (const char* env = std::getenv("MALLOC_ARENA_MAX"); env && *env) return std::atoi(env);
  return mallopt(M_ARENA_MAX, maxArenas) == 1 ? maxArenas : 0;
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
