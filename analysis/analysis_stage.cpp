#include "analysis/analysis_stage.hpp"

#include <fmt/format.h>

#include <thread>

namespace tessera::analysis {
namespace {

// Feeds have waited this long with every worker's slots taken: scoring is behind.
constexpr double kNoCreditSeconds = 5;

ServiceSettings serviceSettings(const core::AnalysisConfig& c) {
  ServiceSettings s;
  s.rateHz = c.rateHz;
  s.facesHz = c.facesHz;
  s.endpoint = c.endpoint;
  s.curveSecretKey = c.curveSecretKey;
  s.curveClientKeys = c.curveClientKeys;
  return s;
}

void metric(std::string& out, const char* name, const char* help, const char* type, double v) {
  out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, v);
}

std::string labelValue(const std::string& s) {
  std::string out;
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

int AnalysisStage::resolveWorkerCount(int configured) {
  if (configured >= 0) return configured;
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  return std::max(1, cores - 1);
}

AnalysisStage::AnalysisStage(MessagingContext& context, const core::AnalysisConfig& config,
                             std::filesystem::path workerExecutable,
                             core::LatestMailbox<core::FeedTable>& feeds)
    : mEnabled(resolveWorkerCount(config.workers) > 0 || config.endpoint.has_value()),
      mLocalWorkers(resolveWorkerCount(config.workers)),
      mExecutable(std::move(workerExecutable)) {
  if (mEnabled) {
    mService = std::make_unique<AnalysisService>(context, serviceSettings(config), feeds);
  }
}

AnalysisStage::~AnalysisStage() {
  stop();
}

bool AnalysisStage::start(std::string* error) {
  if (!mEnabled) return true;
  if (!mService->start(error)) return false;
  if (mLocalWorkers > 0) {
    SupervisorSettings s;
    s.count = mLocalWorkers;
    s.executable = mExecutable;
    s.endpoint = mService->localEndpoint();
    mSupervisor = std::make_unique<WorkerSupervisor>(s, this);
    mSupervisor->start();
  }
  return true;
}

void AnalysisStage::stop() {
  // The service first (nothing is sent any more, so a stopping worker is not reported as lost),
  // then the workers (SIGTERM; they leave cleanly).
  if (mService) mService->stop();
  if (mSupervisor) mSupervisor->stop();
  mSupervisor.reset();
}

void AnalysisStage::onWorkerStarted(std::uint32_t pid) {
  if (mService) mService->workerStarted(pid);
}

void AnalysisStage::onWorkerExited(std::uint32_t pid) {
  if (mService) mService->workerExited(pid);
}

int AnalysisStage::liveWorkers() const {
  return mService ? mService->stats().liveWorkers : 0;
}

std::optional<std::string> AnalysisStage::degradedReason() const {
  if (!mEnabled) return std::nullopt;
  const ServiceStats s = mService->stats();
  if (s.liveWorkers == 0) {
    return std::string("analysis: no live worker (scores are the last ones known)");
  }
  if (s.staleFeeds > 0) {
    return fmt::format(
        "analysis: scoring is behind: {} of {} live feeds have no scores newer than {:.0f} s "
        "({} workers)",
        s.staleFeeds, s.liveFeeds, s.staleAfterSeconds, s.liveWorkers);
  }
  if (s.secondsWithoutCredit >= kNoCreditSeconds) {
    return fmt::format(
        "analysis: scoring is behind: no worker has taken a job for {:.0f} s ({} workers, "
        "{} feeds waiting)",
        s.secondsWithoutCredit, s.liveWorkers, s.backlog);
  }
  return std::nullopt;
}

core::LatestMailbox<core::ScoreTable>& AnalysisStage::scores() {
  return mService ? mService->scores() : mNoScores;
}

std::string AnalysisStage::metricsText() const {
  if (!mService) return {};
  const ServiceStats s = mService->stats();
  const auto& c = s.counters;
  std::string m;
  metric(m, "tessera_analysis_workers", "Live analysis workers (local and remote).", "gauge",
         s.liveWorkers);
  metric(m, "tessera_analysis_local_workers", "Local worker processes configured.", "gauge",
         mLocalWorkers);
  metric(m, "tessera_analysis_worker_restarts_total", "Local workers restarted after they ended.",
         "counter", mSupervisor ? static_cast<double>(mSupervisor->restarts()) : 0);
  metric(m, "tessera_analysis_workers_joined_total", "Workers that said hello.", "counter",
         static_cast<double>(c.workersJoined));
  metric(m, "tessera_analysis_workers_lost_total", "Workers that ended or fell silent.", "counter",
         static_cast<double>(c.workersLost));
  metric(m, "tessera_analysis_feeds_scored", "Feeds with scores.", "gauge", s.scoredFeeds);
  metric(m, "tessera_analysis_jobs_sent_total", "Analysis frames sent to workers.", "counter",
         static_cast<double>(c.jobsSent));
  metric(m, "tessera_analysis_results_total", "Results applied to a feed's scores.", "counter",
         static_cast<double>(c.results));
  metric(m, "tessera_analysis_in_flight", "Jobs sent and not answered yet.", "gauge", s.inFlight);
  metric(m, "tessera_analysis_backlog", "Feeds due for analysis that waited for a free worker.",
         "gauge", s.backlog);
  metric(m, "tessera_analysis_stale_feeds", "Live feeds whose scores are older than the bound.",
         "gauge", s.staleFeeds);
  metric(m, "tessera_analysis_seconds_without_credit",
         "How long feeds have waited with every worker's slots taken.", "gauge",
         s.secondsWithoutCredit);
  metric(m, "tessera_analysis_workers_refused_total",
         "Hellos refused because the most remote workers were registered.", "counter",
         static_cast<double>(c.workersFull));
  metric(m, "tessera_analysis_workers_unresponsive_total",
         "Remote workers dropped for leaving jobs unanswered.", "counter",
         static_cast<double>(c.unresponsive));
  m += "# HELP tessera_analysis_jobs_dropped_total Analysis frames dropped, by reason.\n"
       "# TYPE tessera_analysis_jobs_dropped_total counter\n";
  for (const auto& [reason, v] : {std::pair{"expired", c.expired}, std::pair{"timeout", c.timedOut},
                                  std::pair{"late", c.late}, std::pair{"bad_frame", c.badFrames},
                                  std::pair{"send_failed", c.sendFailures}}) {
    m += fmt::format("tessera_analysis_jobs_dropped_total{{reason=\"{}\"}} {}\n", reason, v);
  }
  m += "# HELP tessera_analysis_messages_dropped_total Worker messages dropped, by reason.\n"
       "# TYPE tessera_analysis_messages_dropped_total counter\n";
  for (const auto& [reason, v] :
       {std::pair{"malformed", c.malformed}, std::pair{"wrong_version", c.wrongVersion},
        std::pair{"unexpected", c.unexpected}, std::pair{"refused", c.refused}}) {
    m += fmt::format("tessera_analysis_messages_dropped_total{{reason=\"{}\"}} {}\n", reason, v);
  }
  metric(m, "tessera_analysis_score_seconds_total", "Worker time spent scoring, faces included.",
         "counter", s.scoreSeconds);
  metric(m, "tessera_analysis_face_seconds_total", "Worker time spent detecting faces.", "counter",
         s.faceSeconds);
  m += "# HELP tessera_analysis_latency_seconds From a frame's arrival to its scores.\n"
       "# TYPE tessera_analysis_latency_seconds histogram\n";
  for (std::size_t i = 0; i < LatencyHistogram::kBoundsSeconds.size(); ++i) {
    m += fmt::format("tessera_analysis_latency_seconds_bucket{{le=\"{}\"}} {}\n",
                     LatencyHistogram::kBoundsSeconds[i], s.latency.buckets[i]);
  }
  m += fmt::format("tessera_analysis_latency_seconds_bucket{{le=\"+Inf\"}} {}\n", s.latency.count);
  m += fmt::format("tessera_analysis_latency_seconds_sum {}\n", s.latency.sumSeconds);
  m += fmt::format("tessera_analysis_latency_seconds_count {}\n", s.latency.count);
  m += "# HELP tessera_analysis_worker_jobs_total Jobs scored, per live worker.\n"
       "# TYPE tessera_analysis_worker_jobs_total counter\n";
  for (const auto& w : s.workers) {
    m += fmt::format("tessera_analysis_worker_jobs_total{{worker=\"{}\",pid=\"{}\"}} {}\n",
                     labelValue(w.name), w.pid, w.jobs);
  }
  m += "# HELP tessera_analysis_worker_in_flight Jobs in flight, per live worker.\n"
       "# TYPE tessera_analysis_worker_in_flight gauge\n";
  for (const auto& w : s.workers) {
    m += fmt::format("tessera_analysis_worker_in_flight{{worker=\"{}\",pid=\"{}\"}} {}\n",
                     labelValue(w.name), w.pid, w.inFlight);
  }
  return m;
}

}  // namespace tessera::analysis
