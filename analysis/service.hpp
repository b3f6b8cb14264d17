// The server's side of analysis: samples every feed's latest frame at rate_hz, spreads the jobs
// over the connected workers (each takes at most the jobs it asked for, so no queue grows), and
// turns their results into a ScoreTable snapshot for the rest of the server.
//
// A job that is not answered by its deadline frees its feed for the next frame; an answer that
// comes after the deadline is dropped, never applied late. A worker silent for kWorkerTimeout is
// forgotten with its jobs. Malformed or wrong-version messages are dropped, counted and logged
// with their sender. Nothing here ever waits on a worker: the canvas reads the last snapshot.
//
// Who may be a worker: on the local ipc:// socket (in a 0700 directory) only a process this
// server started (its pid, as the kernel reports it, announced with workerStarted()); on the
// TCP endpoint only a CURVE client whose key is listed. A worker earns its slots: it gets one
// job at a time until it answers one in time, and workers that answered come first. At most
// `maxRemoteWorkers` remote workers are registered; unregistered peers hold no state here.
//
// Thread: constructed, started and stopped on the main thread. The I/O thread
// "tessera-analyse" owns the ZeroMQ sockets (a ROUTER for local workers, one for remote ones;
// REP for ZAP) and all dispatch state. Other threads read scores() (a mailbox) and stats() (a
// copy under a lock) and may call workerStarted() and workerExited().
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "analysis/messaging.hpp"
#include "core/feed_channel.hpp"
#include "core/mailbox.hpp"
#include "core/score_table.hpp"

namespace tessera::analysis {

struct ServiceSettings {
  double rateHz = 5;     // analysis frames per feed per second
  double facesHz = 0.2;  // face detections per feed per second (0 = never)
  // Where remote workers connect ("tcp://0.0.0.0:5555"); none = local workers only.
  std::optional<std::string> endpoint;
  // CURVE on `endpoint` (required with one): the server's secret key and the worker public
  // keys allowed (Z85).
  std::optional<std::string> curveSecretKey;
  std::vector<std::string> curveClientKeys;
  // Synthetic participants are generated patterns: never worth a face detection.
  bool facesOnSynthetic = false;
  // Timings (tests shorten them).
  std::chrono::milliseconds jobTimeout{1000};     // a job not answered by then is lost
  std::chrono::milliseconds workerTimeout{3000};  // a worker silent this long is gone
  std::chrono::milliseconds frozenAfter{2000};    // unchanged (or no frame) this long = frozen
  // A live feed whose scores are older than this (or 3 analysis periods, if longer) is behind.
  std::chrono::milliseconds staleAfter{5000};
  int maxRemoteWorkers = 32;  // registered remote workers at most; more hellos are refused
};

struct WorkerStatus {
  std::string name;
  std::uint32_t pid = 0;
  std::string address;  // where it connected from ("" for the local endpoint)
  int inFlight = 0;
  int maxInFlight = 0;
  bool faces = false;
  std::uint64_t jobs = 0;
  double scoreSeconds = 0;  // time it spent scoring, as it reported
};

struct ServiceCounters {
  std::uint64_t jobsSent = 0;
  std::uint64_t results = 0;   // applied to a feed's scores
  std::uint64_t expired = 0;   // the worker reached the job after its deadline and dropped it
  std::uint64_t timedOut = 0;  // not answered by the deadline (a slow or dead worker)
  std::uint64_t late = 0;      // answered after the deadline: dropped
  std::uint64_t badFrames = 0;
  std::uint64_t malformed = 0;     // messages that did not decode
  std::uint64_t wrongVersion = 0;  // messages of another schema version
  std::uint64_t unexpected = 0;    // valid messages that made no sense (unknown job, wrong type)
  std::uint64_t sendFailures = 0;
  std::uint64_t workersJoined = 0;
  std::uint64_t workersLost = 0;
  std::uint64_t refused = 0;      // CURVE clients not listed; local peers this server did not start
  std::uint64_t workersFull = 0;  // hellos refused: maxRemoteWorkers already registered
  std::uint64_t unresponsive = 0;  // workers dropped for leaving jobs unanswered
};

// Frame-to-score latency, Prometheus-style cumulative buckets.
struct LatencyHistogram {
  static constexpr std::array<double, 12> kBoundsSeconds = {0.001, 0.002, 0.005, 0.01, 0.02, 0.05,
                                                            0.1,   0.2,   0.5,   1,    2,    5};
  std::array<std::uint64_t, kBoundsSeconds.size()> buckets{};  // count <= bound
  std::uint64_t count = 0;
  double sumSeconds = 0;
  void add(double seconds);
  // The `q` quantile (0..1), interpolated within its bucket; 0 when empty.
  double quantileSeconds(double q) const;
};

struct ServiceStats {
  int liveWorkers = 0;
  std::vector<WorkerStatus> workers;
  ServiceCounters counters;
  int feeds = 0;
  int scoredFeeds = 0;
  int inFlight = 0;
  int backlog = 0;     // feeds due for analysis that waited for a free worker in the last round
  int liveFeeds = 0;   // feeds with a frame in the last second
  int staleFeeds = 0;  // of which scores are older than staleAfter (or none for that long)
  double staleAfterSeconds = 0;
  double secondsWithoutCredit = 0;  // feeds have been due and no worker had a free slot
  LatencyHistogram latency;         // from a frame's arrival in its feed's mailbox to its scores
  LatencyHistogram roundTrip;       // from a job's sending to its result
  double scoreSeconds = 0;          // all workers' reported scoring time
  double faceSeconds = 0;           // of which face detection
};

class AnalysisService {
 public:
  AnalysisService(MessagingContext& context, ServiceSettings settings,
                  core::LatestMailbox<core::FeedTable>& feeds);
  ~AnalysisService();
  AnalysisService(const AnalysisService&) = delete;
  AnalysisService& operator=(const AnalysisService&) = delete;

  // Binds the endpoints and starts the I/O thread; false (with `error`) when it cannot bind.
  bool start(std::string* error);
  void stop();

  // "ipc://..." in a private directory, for local workers.
  const std::string& localEndpoint() const;
  // The endpoint remote workers use, as bound (a "*" port resolved); none without one.
  std::optional<std::string> remoteEndpoint() const;
  // The server's CURVE public key, when CURVE is on: what remote workers pass as --server-key.
  std::optional<std::string> publicKey() const;

  core::LatestMailbox<core::ScoreTable>& scores();
  ServiceStats stats() const;

  // Any thread: a local worker process started; only such a process may use localEndpoint().
  void workerStarted(std::uint32_t pid);
  // Any thread: a local worker process ended; its jobs are given up at once.
  void workerExited(std::uint32_t pid);

 private:
  struct Impl;
  std::unique_ptr<Impl> mImpl;
};

}  // namespace tessera::analysis
