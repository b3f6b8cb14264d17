// The server's analysis service and real workers over loopback ZeroMQ: round trip, a different
// schema version, garbage, a slow worker, a lost worker, deadlines, and CURVE.
#include "analysis/service.hpp"

#include <catch2/catch.hpp>
#include <zmq.hpp>

#include <atomic>
#include <random>
#include <thread>

#include "analysis/messaging.hpp"
#include "analysis/protocol.hpp"
#include "analysis/worker.hpp"
#include "tests/support/frames.hpp"
#include "tests/support/wait.hpp"

using namespace tessera;
using namespace std::chrono_literals;
using analysis::AnalysisService;
using analysis::ServiceSettings;
namespace protocol = analysis::protocol;
using Clock = std::chrono::steady_clock;

namespace {

// Feeds of one colour each, published as a feed table.
struct Feeds {
  core::LatestMailbox<core::FeedTable> table;
  std::vector<std::shared_ptr<core::FeedChannel>> channels;
  std::vector<test::Rgba> colours;

  explicit Feeds(std::vector<test::Rgba> c) : colours(std::move(c)) {
    auto t = std::make_shared<core::FeedTable>();
    t->version = 1;
    for (std::size_t i = 0; i < colours.size(); ++i) {
      channels.push_back(std::make_shared<core::FeedChannel>(
          core::FeedId{static_cast<std::uint32_t>(i + 1)}, core::FeedSource::kPull, "test://"));
      t->feeds.push_back(channels.back());
    }
    table.put(t);
  }
};

// A camera per feed: a new frame every 20 ms until destroyed.
class Cameras {
 public:
  explicit Cameras(Feeds& feeds)
      : mThread([this, &feeds] {
          std::uint64_t n = 0;
          while (!mStop) {
            ++n;
            for (std::size_t i = 0; i < feeds.channels.size(); ++i) {
              auto frame = test::solidI420Frame(64, 48, test::toYuv(feeds.colours[i]));
              frame->sequence = n;
              frame->arrival = Clock::now();
              feeds.channels[i]->pushFrame(frame, 64, 48);
            }
            std::this_thread::sleep_for(20ms);
          }
        }) {}
  ~Cameras() {
    mStop = true;
    mThread.join();
  }

 private:
  std::atomic<bool> mStop{false};
  std::thread mThread;
};

// A real Worker on its own thread.
class WorkerThread {
 public:
  WorkerThread(analysis::MessagingContext& context, analysis::WorkerOptions options)
      : mWorker(context, std::move(options)), mThread([this] { mExit = mWorker.run(); }) {}
  ~WorkerThread() { stop(); }
  void stop() {
    mWorker.stop();
    if (mThread.joinable()) mThread.join();
  }
  analysis::Worker& worker() { return mWorker; }
  int exitCode() const { return mExit; }

 private:
  analysis::Worker mWorker;
  int mExit = -1;
  std::thread mThread;
};

analysis::WorkerOptions workerOptions(const std::string& endpoint, const std::string& name) {
  analysis::WorkerOptions o;
  o.endpoint = endpoint;
  o.name = name;
  o.faceCascade.reset();  // faces are the scorer tests' business; loading the cascade is slow
  return o;
}

ServiceSettings fastSettings() {
  ServiceSettings s;
  s.rateHz = 20;
  s.facesHz = 0;
  s.jobTimeout = 300ms;
  s.workerTimeout = 800ms;
  return s;
}

bool near(const std::array<float, 3>& rgb, test::Rgba c, float tolerance = 6) {
  return std::abs(rgb[0] - c.r) <= tolerance && std::abs(rgb[1] - c.g) <= tolerance &&
         std::abs(rgb[2] - c.b) <= tolerance;
}

// Every feed scored with its own colour, analysed less than `maxAge` ago.
bool allScored(AnalysisService& service, const Feeds& feeds,
               std::chrono::milliseconds maxAge = 1000ms) {
  const auto table = service.scores().peek();
  if (!table) return false;
  for (std::size_t i = 0; i < feeds.channels.size(); ++i) {
    const core::Scores* s = table->find(feeds.channels[i]->id());
    if (!s || !near(s->meanRgb, feeds.colours[i]) || Clock::now() - s->frameTime > maxAge) {
      return false;
    }
  }
  return true;
}

// A raw DEALER socket playing a worker that misbehaves.
struct RawPeer {
  zmq::socket_t socket;
  RawPeer(analysis::MessagingContext& context, const std::string& endpoint,
          const std::optional<std::string>& serverKey = std::nullopt,
          const analysis::CurveKeyPair& own = {})
      : socket(context.get(), zmq::socket_type::dealer) {
    socket.set(zmq::sockopt::linger, 0);
    if (serverKey) {
      socket.set(zmq::sockopt::curve_serverkey, *serverKey);
      socket.set(zmq::sockopt::curve_publickey, own.publicKey);
      socket.set(zmq::sockopt::curve_secretkey, own.secretKey);
    }
    socket.connect(endpoint);
  }
  void send(const std::vector<std::uint8_t>& bytes) {
    REQUIRE(socket.send(zmq::buffer(bytes), zmq::send_flags::none));
  }
  void hello(const std::string& name, int maxInFlight = 1) {
    std::vector<std::uint8_t> b;
    protocol::encodeHello({static_cast<std::uint32_t>(getpid()), maxInFlight, false, 0, name}, b);
    send(b);
  }
  // A job sent to this peer, if one arrives within `timeout`.
  std::optional<protocol::JobHeader> job(std::chrono::milliseconds timeout) {
    zmq::pollitem_t item{socket.handle(), 0, ZMQ_POLLIN, 0};
    if (zmq::poll(&item, 1, timeout) <= 0) return std::nullopt;
    zmq::message_t m;
    if (!socket.recv(m, zmq::recv_flags::dontwait)) return std::nullopt;
    const auto decoded = protocol::decode({static_cast<const std::uint8_t*>(m.data()), m.size()});
    const auto* j = std::get_if<protocol::JobView>(&decoded);
    if (!j) return std::nullopt;
    return j->header;
  }
};

}  // namespace

TEST_CASE("round trip: frames go out, scores come back", "[analysis][service]") {
  analysis::MessagingContext context;
  Feeds feeds({test::kRed, test::kGreen, test::kBlue});
  AnalysisService service(context, fastSettings(), feeds.table);
  std::string error;
  REQUIRE(service.start(&error));
  service.workerStarted(static_cast<std::uint32_t>(getpid()));  // its workers are threads
  CHECK(service.localEndpoint().rfind("ipc://", 0) == 0);
  CHECK_FALSE(service.remoteEndpoint());
  Cameras cameras(feeds);
  WorkerThread worker(context, workerOptions(service.localEndpoint(), "test-worker"));

  REQUIRE(test::waitUntil([&] { return allScored(service, feeds); }, 5s));
  REQUIRE(test::waitUntil([&] { return service.stats().liveWorkers == 1; }, 2s));
  const auto stats = service.stats();
  REQUIRE(stats.workers.size() == 1);
  CHECK(stats.workers[0].name == "test-worker");
  CHECK(stats.workers[0].pid == static_cast<std::uint32_t>(getpid()));
  CHECK(stats.counters.results >= 3);
  CHECK(stats.counters.malformed == 0);
  CHECK(stats.counters.wrongVersion == 0);
  CHECK(stats.latency.count == stats.counters.results);
  CHECK(stats.latency.sumSeconds / stats.latency.count < 0.5);
  CHECK(stats.scoredFeeds == 3);

  // Scores keep coming at about rate_hz per feed (20 Hz, three feeds).
  const auto before = service.stats().counters.results;
  REQUIRE(test::waitUntil([&] { return service.stats().counters.results >= before + 30; }, 3s));

  // A feed that leaves the table leaves the scores.
  auto smaller = std::make_shared<core::FeedTable>();
  smaller->version = 2;
  smaller->feeds = {feeds.channels[0], feeds.channels[1]};
  feeds.table.put(smaller);
  REQUIRE(test::waitUntil(
      [&] {
        auto t = service.scores().peek();
        return t && t->byFeed.size() == 2 && !t->find(feeds.channels[2]->id());
      },
      2s));
}

TEST_CASE("a different schema version and garbage are dropped, counted, and change nothing",
          "[analysis][service]") {
  analysis::MessagingContext context;
  Feeds feeds({test::kRed});
  AnalysisService service(context, fastSettings(), feeds.table);
  REQUIRE(service.start(nullptr));
  service.workerStarted(static_cast<std::uint32_t>(getpid()));  // its workers are threads
  Cameras cameras(feeds);
  WorkerThread good(context, workerOptions(service.localEndpoint(), "good"));
  REQUIRE(test::waitUntil([&] { return allScored(service, feeds); }, 5s));

  RawPeer peer(context, service.localEndpoint());
  // A hello from a worker that speaks schema version 2: not a worker of ours.
  std::vector<std::uint8_t> hello;
  protocol::encodeHello({1, 2, false, 0, "from the future"}, hello);
  hello[4] = 2;
  peer.send(hello);
  REQUIRE(test::waitUntil([&] { return service.stats().counters.wrongVersion == 1; }, 2s));

  // Random bytes, a message in three parts, a job (workers do not send jobs), a result for a job
  // never sent.
  std::mt19937 rng(99);
  std::vector<std::uint8_t> garbage(200);
  for (auto& b : garbage) b = static_cast<std::uint8_t>(rng());
  peer.send(garbage);
  REQUIRE(peer.socket.send(zmq::str_buffer("a"), zmq::send_flags::sndmore));
  REQUIRE(peer.socket.send(zmq::str_buffer("b"), zmq::send_flags::sndmore));
  REQUIRE(peer.socket.send(zmq::str_buffer("c"), zmq::send_flags::none));
  std::vector<std::uint8_t> job;
  REQUIRE(protocol::encodeJob({}, *test::solidI420Frame(8, 4, {}), {}, job));
  peer.send(job);
  protocol::Result bogus;
  bogus.jobId = 1ull << 60;
  bogus.feedId = 1;
  bogus.meanRgb = {1, 2, 3};
  std::vector<std::uint8_t> result;
  protocol::encodeResult(bogus, result);
  peer.send(result);

  REQUIRE(test::waitUntil(
      [&] {
        const auto c = service.stats().counters;
        return c.malformed >= 2 && c.unexpected >= 2;
      },
      2s));
  const auto after = service.stats();
  CHECK(after.counters.wrongVersion == 1);
  CHECK(after.liveWorkers == 1);  // the peer never became a worker
  REQUIRE(after.workers.size() == 1);
  CHECK(after.workers[0].name == "good");
  // Nothing it sent reached the scores, and the good worker goes on.
  const auto results = after.counters.results;
  REQUIRE(test::waitUntil([&] { return service.stats().counters.results >= results + 10; }, 3s));
  CHECK(allScored(service, feeds));
}

TEST_CASE("a slow worker gets no more than it asked for and delays nobody", "[analysis][service]") {
  analysis::MessagingContext context;
  Feeds feeds({test::kRed, test::kGreen, test::kBlue, test::kWhite});
  ServiceSettings settings = fastSettings();
  settings.jobTimeout = 200ms;
  settings.workerTimeout = 1000ms;
  AnalysisService service(context, settings, feeds.table);
  REQUIRE(service.start(nullptr));
  service.workerStarted(static_cast<std::uint32_t>(getpid()));  // its workers are threads
  Cameras cameras(feeds);

  // The slow worker says hello (one job at a time) and keeps saying it, but never answers.
  RawPeer slow(context, service.localEndpoint());
  slow.hello("slow", 1);
  WorkerThread good(context, workerOptions(service.localEndpoint(), "good"));
  REQUIRE(test::waitUntil([&] { return service.stats().liveWorkers == 2; }, 3s));

  std::vector<protocol::JobHeader> received;
  const auto start = Clock::now();
  auto lastHello = start;
  while (Clock::now() - start < 2500ms) {
    if (auto j = slow.job(50ms)) received.push_back(*j);
    if (Clock::now() - lastHello > 300ms) {
      slow.hello("slow", 1);
      lastHello = Clock::now();
    }
    // Meanwhile every feed stays fresh: the good worker takes what the slow one holds up.
    if (Clock::now() - start > 1000ms) {
      INFO("a feed's scores went stale while the slow worker held its job");
      REQUIRE(allScored(service, feeds, 800ms));
    }
  }
  // It got a job, and no second one until its credit came back (deadline + grace).
  REQUIRE_FALSE(received.empty());
  CHECK(received.size() <= 3);
  const auto stats = service.stats();
  CHECK(stats.liveWorkers == 2);
  CHECK(stats.counters.timedOut >= 1);

  // Its answer, after the deadline (every job it got has timed out), is dropped as late and
  // never shown.
  REQUIRE(
      test::waitUntil([&] { return service.stats().counters.timedOut >= received.size(); }, 2s));
  protocol::Result late;
  late.jobId = received.back().jobId;
  late.feedId = received.back().feedId;
  late.sequence = received.back().sequence;
  late.meanRgb = {1, 2, 3};
  std::vector<std::uint8_t> bytes;
  protocol::encodeResult(late, bytes);
  slow.send(bytes);
  REQUIRE(test::waitUntil([&] { return service.stats().counters.late >= 1; }, 2s));
  CHECK(allScored(service, feeds));
}

TEST_CASE("a worker that goes away is forgotten and the last scores stay", "[analysis][service]") {
  analysis::MessagingContext context;
  Feeds feeds({test::kGreen});
  ServiceSettings settings = fastSettings();
  settings.workerTimeout = 500ms;
  AnalysisService service(context, settings, feeds.table);
  REQUIRE(service.start(nullptr));
  service.workerStarted(static_cast<std::uint32_t>(getpid()));  // its workers are threads
  Cameras cameras(feeds);
  auto worker = std::make_unique<WorkerThread>(
      context, workerOptions(service.localEndpoint(), "short-lived"));
  REQUIRE(test::waitUntil([&] { return allScored(service, feeds); }, 5s));
  worker.reset();  // gone without a word

  REQUIRE(test::waitUntil([&] { return service.stats().liveWorkers == 0; }, 3s));
  CHECK(service.stats().counters.workersLost == 1);
  const auto table = service.scores().peek();
  REQUIRE(table);
  const core::Scores* last = table->find(feeds.channels[0]->id());
  REQUIRE(last);
  CHECK(near(last->meanRgb, test::kGreen));
  // No analysis without workers: the scores age, they do not vanish.
  const auto frameTime = last->frameTime;
  std::this_thread::sleep_for(300ms);  // (nothing to await: checking that nothing happens)
  const auto later = service.scores().peek();
  REQUIRE(later->find(feeds.channels[0]->id()));
  CHECK(later->find(feeds.channels[0]->id())->frameTime == frameTime);

  // A new worker picks up where the old one left off.
  WorkerThread next(context, workerOptions(service.localEndpoint(), "next"));
  REQUIRE(test::waitUntil(
      [&] {
        auto t = service.scores().peek();
        auto* s = t ? t->find(feeds.channels[0]->id()) : nullptr;
        return s && s->frameTime > frameTime;
      },
      3s));
  CHECK(service.stats().liveWorkers == 1);
}

TEST_CASE("a worker drops a job past its deadline and survives garbage", "[analysis][worker]") {
  analysis::MessagingContext context;
  zmq::socket_t server(context.get(), zmq::socket_type::router);
  server.set(zmq::sockopt::linger, 0);
  server.bind("inproc://worker-test");
  WorkerThread worker(context, workerOptions("inproc://worker-test", "w"));

  auto receive = [&](std::chrono::milliseconds timeout) -> std::optional<protocol::Message> {
    zmq::pollitem_t item{server.handle(), 0, ZMQ_POLLIN, 0};
    const auto until = Clock::now() + timeout;
    while (Clock::now() < until) {
      if (zmq::poll(&item, 1, 50ms) <= 0) continue;
      zmq::message_t id, payload;
      REQUIRE(server.recv(id));
      REQUIRE(server.recv(payload));
      // Results hold no pointers into the message, so they may outlive it.
      auto m = protocol::decode({static_cast<const std::uint8_t*>(payload.data()), payload.size()});
      if (std::holds_alternative<protocol::Result>(m)) return m;
      if (std::holds_alternative<protocol::Hello>(m)) {
        CHECK(std::get<protocol::Hello>(m).name == "w");
        CHECK_FALSE(std::get<protocol::Hello>(m).faces);
        continue;
      }
    }
    return std::nullopt;
  };
  // The worker introduces itself; its identity is where jobs go.
  zmq::message_t identity;
  {
    zmq::pollitem_t item{server.handle(), 0, ZMQ_POLLIN, 0};
    REQUIRE(zmq::poll(&item, 1, 3000ms) == 1);
    zmq::message_t payload;
    REQUIRE(server.recv(identity));
    REQUIRE(server.recv(payload));
  }
  auto send = [&](const std::vector<std::uint8_t>& bytes) {
    REQUIRE(server.send(zmq::buffer(identity.to_string()), zmq::send_flags::sndmore));
    REQUIRE(server.send(zmq::buffer(bytes), zmq::send_flags::none));
  };
  auto jobBytes = [&](std::uint64_t id, std::int64_t deadlineNs, std::uint64_t domain) {
    protocol::JobHeader h;
    h.jobId = id;
    h.feedId = 3;
    h.deadlineNs = deadlineNs;
    h.clockDomain = domain;
    std::vector<std::uint8_t> b;
    REQUIRE(protocol::encodeJob(h, *test::solidI420Frame(32, 24, test::toYuv(test::kBlue)), {}, b));
    return b;
  };
  const std::int64_t now = analysis::monotonicNowNs();
  const std::uint64_t domain = analysis::clockDomain();
  REQUIRE(domain != 0);

  // Past its deadline on this machine's clock: answered "expired", not scored.
  send(jobBytes(1, now - 1'000'000, domain));
  auto m = receive(3000ms);
  REQUIRE(m);
  CHECK(std::get<protocol::Result>(*m).jobId == 1);
  CHECK(std::get<protocol::Result>(*m).status == protocol::ResultStatus::kExpired);
  CHECK(worker.worker().counters().expired == 1);

  // Garbage: dropped and counted; the next job is scored as usual.
  send({1, 2, 3, 4, 5, 6, 7, 8, 9});
  send(jobBytes(2, now + 10'000'000'000, domain));
  m = receive(3000ms);
  REQUIRE(m);
  const auto& ok = std::get<protocol::Result>(*m);
  CHECK(ok.jobId == 2);
  CHECK(ok.status == protocol::ResultStatus::kOk);
  CHECK(near(ok.meanRgb, test::kBlue));
  CHECK(worker.worker().counters().malformed == 1);
  CHECK(worker.worker().counters().jobs == 1);

  // A deadline on another machine's clock cannot be judged here: the server judges the answer.
  send(jobBytes(3, now - 1'000'000, domain + 1));
  m = receive(3000ms);
  REQUIRE(m);
  CHECK(std::get<protocol::Result>(*m).status == protocol::ResultStatus::kOk);

  worker.stop();
  CHECK(worker.exitCode() == 0);
}

TEST_CASE("CURVE on a TCP endpoint lets in listed workers only", "[analysis][service]") {
  analysis::MessagingContext context;
  Feeds feeds({test::kRed});
  const auto serverKeys = analysis::generateCurveKeyPair();
  const auto allowed = analysis::generateCurveKeyPair();
  const auto stranger = analysis::generateCurveKeyPair();
  ServiceSettings settings = fastSettings();
  settings.endpoint = "tcp://127.0.0.1:*";
  settings.curveSecretKey = serverKeys.secretKey;
  settings.curveClientKeys = {allowed.publicKey};
  AnalysisService service(context, settings, feeds.table);
  std::string error;
  REQUIRE(service.start(&error));
  service.workerStarted(static_cast<std::uint32_t>(getpid()));  // its workers are threads
  REQUIRE(service.remoteEndpoint());
  CHECK(service.remoteEndpoint()->rfind("tcp://127.0.0.1:", 0) == 0);
  CHECK(service.publicKey() == serverKeys.publicKey);
  Cameras cameras(feeds);

  auto curveOptions = [&](const std::string& name, const std::string& secret) {
    auto o = workerOptions(*service.remoteEndpoint(), name);
    o.serverKey = serverKeys.publicKey;
    o.secretKey = secret;
    return o;
  };
  WorkerThread strangerWorker(context, curveOptions("stranger", stranger.secretKey));
  WorkerThread plainWorker(context, workerOptions(*service.remoteEndpoint(), "plain"));
  REQUIRE(test::waitUntil([&] { return service.stats().counters.refused >= 1; }, 3s));

  WorkerThread member(context, curveOptions("member", allowed.secretKey));
  REQUIRE(test::waitUntil([&] { return allScored(service, feeds); }, 5s));
  const auto stats = service.stats();
  REQUIRE(stats.workers.size() == 1);
  CHECK(stats.workers[0].name == "member");
  CHECK_THAT(stats.workers[0].address, Catch::Contains("127.0.0.1"));
}

TEST_CASE("a service that cannot bind says why", "[analysis][service]") {
  analysis::MessagingContext context;
  Feeds feeds({test::kRed});
  ServiceSettings settings = fastSettings();
  settings.endpoint = "tcp://192.0.2.1:5555";  // TEST-NET: not an address of this machine
  AnalysisService service(context, settings, feeds.table);
  std::string error;
  CHECK_FALSE(service.start(&error));
  CHECK_THAT(error, Catch::Contains("tcp://192.0.2.1:5555"));
}

TEST_CASE("the local socket lets in only processes this server started", "[analysis][service]") {
  analysis::MessagingContext context;
  Feeds feeds({test::kRed});
  AnalysisService service(context, fastSettings(), feeds.table);
  REQUIRE(service.start(nullptr));
  Cameras cameras(feeds);
  // This process was not announced: its worker is refused, gets no job, scores nothing.
  WorkerThread stranger(context, workerOptions(service.localEndpoint(), "stranger"));
  REQUIRE(test::waitUntil([&] { return service.stats().counters.refused >= 2; }, 5s));
  CHECK(service.stats().liveWorkers == 0);
  CHECK(service.stats().counters.jobsSent == 0);
  CHECK(stranger.worker().counters().jobs == 0);

  // Announced (as the supervisor does when it starts one): its next hello gets it in.
  service.workerStarted(static_cast<std::uint32_t>(getpid()));
  REQUIRE(test::waitUntil([&] { return allScored(service, feeds); }, 5s));
  // Its process ended: it is forgotten, and a new hello from that pid is refused again.
  service.workerExited(static_cast<std::uint32_t>(getpid()));
  REQUIRE(test::waitUntil([&] { return service.stats().liveWorkers == 0; }, 3s));
  const auto refused = service.stats().counters.refused;
  REQUIRE(test::waitUntil([&] { return service.stats().counters.refused > refused; }, 3s));
  CHECK(service.stats().liveWorkers == 0);
}

TEST_CASE("a hello flood registers a bounded number of workers and does not starve scoring",
          "[analysis][service]") {
  analysis::MessagingContext context;
  Feeds feeds({test::kRed, test::kGreen, test::kBlue, test::kWhite});
  const auto serverKeys = analysis::generateCurveKeyPair();
  const auto member = analysis::generateCurveKeyPair();
  ServiceSettings settings = fastSettings();
  settings.endpoint = "tcp://127.0.0.1:*";
  settings.curveSecretKey = serverKeys.secretKey;
  settings.curveClientKeys = {member.publicKey};
  settings.maxRemoteWorkers = 4;
  AnalysisService service(context, settings, feeds.table);
  REQUIRE(service.start(nullptr));
  service.workerStarted(static_cast<std::uint32_t>(getpid()));  // its workers are threads
  Cameras cameras(feeds);
  WorkerThread good(context, workerOptions(service.localEndpoint(), "good"));
  REQUIRE(test::waitUntil([&] { return allScored(service, feeds); }, 5s));

  // 40 peers with a listed key say hello (asking for 16 jobs each) and never answer a job.
  std::vector<std::unique_ptr<RawPeer>> flood;
  for (int i = 0; i < 40; ++i) {
    flood.push_back(std::make_unique<RawPeer>(context, *service.remoteEndpoint(),
                                              serverKeys.publicKey, member));
  }
  const auto start = Clock::now();
  auto lastHello = start - 1s;
  int most = 0;
  while (Clock::now() - start < 2000ms) {
    if (Clock::now() - lastHello > 300ms) {
      for (int i = 0; i < 40; ++i) flood[static_cast<std::size_t>(i)]->hello("flood", 16);
      lastHello = Clock::now();
    }
    most = std::max(most, service.stats().liveWorkers);
    if (Clock::now() - start > 500ms) {
      INFO("a feed's scores went stale during the flood");
      REQUIRE(allScored(service, feeds, 800ms));
    }
    std::this_thread::sleep_for(20ms);  // (paces the hellos; scores are checked every round)
  }
  CHECK(most <= 1 + settings.maxRemoteWorkers);
  CHECK(service.stats().counters.workersFull >= 36);
}

TEST_CASE("feeds left unscored are reported stale", "[analysis][service]") {
  analysis::MessagingContext context;
  Feeds feeds({test::kRed, test::kGreen});
  ServiceSettings settings = fastSettings();
  settings.staleAfter = 400ms;
  settings.rateHz = 20;  // 3 periods are 150 ms: the bound is staleAfter
  AnalysisService service(context, settings, feeds.table);
  REQUIRE(service.start(nullptr));
  service.workerStarted(static_cast<std::uint32_t>(getpid()));  // its workers are threads
  Cameras cameras(feeds);
  // A registered worker that never answers: it is live, and nothing gets scored.
  RawPeer holder(context, service.localEndpoint());
  holder.hello("holder", 1);
  REQUIRE(test::waitUntil(
      [&] {
        holder.hello("holder", 1);
        const auto s = service.stats();
        return s.liveWorkers == 1 && s.liveFeeds == 2 && s.staleFeeds == 2;
      },
      3s));
  CHECK(service.stats().staleAfterSeconds == Approx(0.4));
  // A real worker: scores are fresh again, nothing stale.
  WorkerThread good(context, workerOptions(service.localEndpoint(), "good"));
  REQUIRE(test::waitUntil([&] { return service.stats().staleFeeds == 0; }, 3s));
}
