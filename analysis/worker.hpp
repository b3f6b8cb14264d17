// An analysis worker: connects a DEALER socket to the server, says hello (every second, which is
// also its heartbeat), scores the jobs it is sent and returns the results. It holds no state about
// feeds, so the server can send any frame to any worker and a lost worker loses only its jobs.
//
// A job whose deadline has passed when the worker reaches it is answered "expired", never scored
// late. Malformed messages are dropped, counted and logged.
//
// Thread: run() owns the socket and runs on one thread (the process's main thread, or a test
// thread); stop() may be called from any thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "analysis/messaging.hpp"
#include "analysis/scorer.hpp"

namespace tessera::analysis {

struct WorkerOptions {
  std::string endpoint;                  // e.g. "tcp://gallery.local:5555" or "ipc://..."
  std::optional<std::string> serverKey;  // the server's CURVE public key (Z85): use CURVE
  std::optional<std::string> secretKey;  // this worker's CURVE secret key (Z85)
  std::optional<std::filesystem::path> faceCascade = std::filesystem::path(kDefaultFaceCascade);
  int maxInFlight = 2;  // jobs accepted at once: one scored, one waiting
  std::string name;     // shown by the server; defaults to "HOST pid PID"
};

struct WorkerCounters {
  std::uint64_t jobs = 0;     // scored
  std::uint64_t expired = 0;  // dropped: past their deadline
  std::uint64_t badFrames = 0;
  std::uint64_t malformed = 0;  // messages that were not a valid job
};

class Worker {
 public:
  Worker(MessagingContext& context, WorkerOptions options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Runs until stop(), or until `stopFd` (when >= 0) becomes readable. Returns 0, or 1 when the
  // socket could not be set up (the reason is logged).
  int run(int stopFd = -1);
  void stop();

  WorkerCounters counters() const;

 private:
  MessagingContext& mContext;
  WorkerOptions mOptions;
  int mWakeFd = -1;  // eventfd: stop() writes it
  mutable std::mutex mMutex;
  WorkerCounters mCounters;  // written by run(), read by counters()
};

// `tessera worker`: blocks SIGINT/SIGTERM (they end the loop cleanly), makes the process's
// context and runs a Worker. Returns the process exit code.
int runWorkerProcess(WorkerOptions options);

}  // namespace tessera::analysis
