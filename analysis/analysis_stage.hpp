// The analysis stage as the server sees it: the service (I/O thread, dispatch, scores) and the
// supervisor of the local worker processes, wired together, configured from [analysis].
//
// Thread: built, started, stopped and asked on the main-loop thread; scores() is a mailbox any
// thread may read.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "analysis/messaging.hpp"
#include "analysis/service.hpp"
#include "analysis/supervisor.hpp"
#include "core/config.hpp"
#include "core/feed_channel.hpp"
#include "core/mailbox.hpp"
#include "core/score_table.hpp"

namespace tessera::analysis {

class AnalysisStage final : public WorkerSupervisorListener {
 public:
  // `workerExecutable` is the tessera binary the local workers run ("/proc/self/exe").
  AnalysisStage(MessagingContext& context, const core::AnalysisConfig& config,
                std::filesystem::path workerExecutable,
                core::LatestMailbox<core::FeedTable>& feeds);
  ~AnalysisStage() override;

  // Binds and starts the local workers; false (with `error`) when the endpoint cannot be bound.
  // Does nothing when analysis is off.
  bool start(std::string* error);
  void stop();

  // Analysis runs when there are local workers or an endpoint for remote ones.
  bool enabled() const { return mEnabled; }
  int localWorkers() const { return mLocalWorkers; }
  int liveWorkers() const;
  // Why analysis is not working (no live worker), or nullopt when it is (or is off).
  std::optional<std::string> degradedReason() const;

  // The latest scores of every feed; empty while analysis is off.
  core::LatestMailbox<core::ScoreTable>& scores();

  // Prometheus text: workers, jobs, drops, queue and latency.
  std::string metricsText() const;

  // "auto" (-1) is the number of cores less one (the rest of the server needs one), at least 1.
  static int resolveWorkerCount(int configured);

 private:
  void onWorkerStarted(std::uint32_t pid) override;
  void onWorkerExited(std::uint32_t pid) override;

  const bool mEnabled;
  const int mLocalWorkers;
  const std::filesystem::path mExecutable;
  std::unique_ptr<AnalysisService> mService;
  std::unique_ptr<WorkerSupervisor> mSupervisor;
  core::LatestMailbox<core::ScoreTable> mNoScores;
};

}  // namespace tessera::analysis
