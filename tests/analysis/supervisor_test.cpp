// Supervision with real `tessera worker` processes: kill -9 one, and the supervisor starts a
// replacement, the worker count returns and scores resume.
#include "analysis/supervisor.hpp"

#include <signal.h>

#include <catch2/catch.hpp>

#include <atomic>
#include <thread>

#include "analysis/messaging.hpp"
#include "analysis/service.hpp"
#include "tests/support/frames.hpp"
#include "tests/support/wait.hpp"

using namespace tessera;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

struct OneFeed {
  core::LatestMailbox<core::FeedTable> table;
  std::shared_ptr<core::FeedChannel> channel =
      std::make_shared<core::FeedChannel>(core::FeedId{1}, core::FeedSource::kPull, "test://");
  std::atomic<bool> stop{false};
  std::thread camera;

  OneFeed() {
    auto t = std::make_shared<core::FeedTable>();
    t->version = 1;
    t->feeds = {channel};
    table.put(t);
    camera = std::thread([this] {
      for (std::uint64_t n = 1; !stop; ++n) {
        auto frame = test::solidI420Frame(64, 48, test::toYuv(test::kGreen));
        frame->sequence = n;
        frame->arrival = Clock::now();
        channel->pushFrame(frame, 64, 48);
        std::this_thread::sleep_for(20ms);
      }
    });
  }
  ~OneFeed() {
    stop = true;
    camera.join();
  }
};

// Forwards exits to the service, as the analysis stage does, and remembers them.
struct Forward : analysis::WorkerSupervisorListener {
  analysis::AnalysisService* service = nullptr;
  std::vector<std::uint32_t> exited;
  void onWorkerStarted(std::uint32_t pid) override {
    if (service) service->workerStarted(pid);
  }
  void onWorkerExited(std::uint32_t pid) override {
    exited.push_back(pid);
    if (service) service->workerExited(pid);
  }
};

std::optional<Clock::time_point> scoredAt(analysis::AnalysisService& service, core::FeedId id) {
  const auto table = service.scores().peek();
  const core::Scores* s = table ? table->find(id) : nullptr;
  if (!s) return std::nullopt;
  return s->frameTime;
}

}  // namespace

TEST_CASE("kill -9 of a worker: a replacement starts, the count returns, scores resume",
          "[analysis][supervisor]") {
  analysis::MessagingContext context;
  OneFeed feed;
  analysis::ServiceSettings settings;
  settings.rateHz = 20;
  settings.facesHz = 0;
  // Long enough that only the exit report can explain a quick recovery.
  settings.workerTimeout = 5000ms;
  analysis::AnalysisService service(context, settings, feed.table);
  REQUIRE(service.start(nullptr));

  Forward forward;
  forward.service = &service;
  analysis::SupervisorSettings s;
  s.count = 1;
  s.executable = TESSERA_BINARY_DIR "/tessera";
  s.endpoint = service.localEndpoint();
  s.firstRetry = 100ms;
  analysis::WorkerSupervisor supervisor(s, &forward);
  supervisor.start();

  REQUIRE(test::waitUntil(
      [&] { return service.stats().liveWorkers == 1 && scoredAt(service, feed.channel->id()); },
      10s));
  REQUIRE(supervisor.pids().size() == 1);
  const pid_t first = supervisor.pids()[0];
  {
    const auto stats = service.stats();
    REQUIRE(stats.workers.size() == 1);
    CHECK(stats.workers[0].name == "local-1");
    CHECK(stats.workers[0].pid == static_cast<std::uint32_t>(first));
  }

  REQUIRE(kill(first, SIGKILL) == 0);
  const auto killedAt = Clock::now();
  REQUIRE(test::waitUntil([&] { return !forward.exited.empty(); }, 3s));
  CHECK(forward.exited == std::vector<std::uint32_t>{static_cast<std::uint32_t>(first)});
  // The service gives the worker up at once, not after its silence timeout.
  REQUIRE(test::waitUntil([&] { return service.stats().counters.workersLost == 1; }, 1s));

  // A replacement (another process) joins, and the feed is scored again.
  REQUIRE(test::waitUntil(
      [&] {
        const auto pids = supervisor.pids();
        const auto stats = service.stats();
        return pids.size() == 1 && pids[0] != first && stats.liveWorkers == 1 &&
               stats.workers[0].pid == static_cast<std::uint32_t>(pids[0]);
      },
      10s));
  CHECK(supervisor.restarts() == 1);
  REQUIRE(test::waitUntil(
      [&] {
        const auto at = scoredAt(service, feed.channel->id());
        return at && *at > killedAt;
      },
      5s));
  // Well inside the 2 s the installation promises.
  CHECK(Clock::now() - killedAt < 2s);

  supervisor.stop();
  CHECK(supervisor.pids().empty());
}

TEST_CASE("a worker that keeps failing is restarted with growing delays",
          "[analysis][supervisor]") {
  Forward forward;
  analysis::SupervisorSettings s;
  s.count = 1;
  s.executable = "/bin/false";  // exits at once, whatever its arguments
  s.endpoint = "ipc:///nonexistent";
  s.firstRetry = 50ms;
  analysis::WorkerSupervisor supervisor(s, &forward);
  const auto started = Clock::now();
  supervisor.start();
  REQUIRE(test::waitUntil([&] { return supervisor.restarts() >= 3; }, 5s));
  // 50 + 100 + 200 ms of backoff before the third restart.
  CHECK(Clock::now() - started >= 350ms);
  CHECK(forward.exited.size() >= 3);
  supervisor.stop();
}
