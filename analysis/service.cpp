#include "analysis/service.hpp"

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <fmt/format.h>
#include <zmq.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "analysis/protocol.hpp"
#include "core/log.hpp"

namespace tessera::analysis {
namespace {

constexpr const char* kModule = "analysis";
using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kPublishInterval{100};
constexpr std::chrono::milliseconds kBusyPoll{5};
constexpr std::chrono::milliseconds kIdlePoll{100};
// A frame older than this when its feed is due is not analysed: the feed has stalled.
constexpr std::chrono::milliseconds kMaxFrameAge{1000};
// Worker messages are small (results carry a 32x24 thumbnail); a peer sending more is cut off.
constexpr std::int64_t kMaxWorkerMessageBytes = 64 * 1024;
const char* kZapEndpoint = "inproc://zeromq.zap.01";

bool shouldLog(std::uint64_t count) {
  return count <= 5 || count % 1000 == 0;
}

std::string hex(const std::string& bytes) {
  std::string out;
  for (const unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

std::chrono::nanoseconds periodOf(double hz) {
  return std::chrono::nanoseconds(static_cast<std::int64_t>(1e9 / hz));
}

// Spreads feeds' first due times over one period, so a crowd that joins at once does not
// arrive at the workers as one burst.
std::chrono::nanoseconds stagger(core::FeedId id, std::chrono::nanoseconds period) {
  const double phase = std::fmod(id.value * 0.6180339887, 1.0);
  return std::chrono::nanoseconds(static_cast<std::int64_t>(phase * period.count()));
}

}  // namespace

double LatencyHistogram::quantileSeconds(double q) const {
  if (count == 0) return 0;
  const double rank = q * static_cast<double>(count);
  double lower = 0;
  std::uint64_t below = 0;
  for (std::size_t i = 0; i < kBoundsSeconds.size(); ++i) {
    if (static_cast<double>(buckets[i]) >= rank) {
      const double inBucket = static_cast<double>(buckets[i] - below);
      const double share = inBucket > 0 ? (rank - static_cast<double>(below)) / inBucket : 1;
      return lower + share * (kBoundsSeconds[i] - lower);
    }
    lower = kBoundsSeconds[i];
    below = buckets[i];
  }
  return kBoundsSeconds.back();
}

void LatencyHistogram::add(double seconds) {
  ++count;
  sumSeconds += seconds;
  for (std::size_t i = 0; i < kBoundsSeconds.size(); ++i) {
    if (seconds <= kBoundsSeconds[i]) ++buckets[i];
  }
}

struct AnalysisService::Impl {
  struct Worker {
    std::string identity;
    std::string name;
    std::string address;
    std::uint32_t pid = 0;
    int maxInFlight = 1;
    int inFlight = 0;
    bool faces = false;
    Clock::time_point lastSeen;
    std::uint64_t assigned = 0;  // when it last got a job (a counter), to rotate among equals
    std::uint64_t jobs = 0;
    double scoreSeconds = 0;
  };
  struct Job {
    core::FeedId feed;
    std::string worker;
    Clock::time_point frameArrival;
    Clock::time_point sentAt;
    Clock::time_point deadline;
    bool faces = false;
    bool timedOut = false;
  };
  struct Feed {
    std::shared_ptr<core::FeedChannel> channel;
    Clock::time_point nextDue;
    Clock::time_point nextFacesDue;
    Clock::time_point lastSentArrival{};
    std::uint64_t busyJob = 0;  // the job in flight for this feed, 0 when none
    protocol::Thumbnail previous;
    Clock::time_point previousTime{};
    std::optional<Clock::time_point> stillSince;
    std::optional<core::Scores> scores;
  };

  Impl(MessagingContext& c, ServiceSettings s, core::LatestMailbox<core::FeedTable>& f)
      : context(c), settings(std::move(s)), feedTable(f) {}

  // Main thread.
  MessagingContext& context;
  const ServiceSettings settings;
  core::LatestMailbox<core::FeedTable>& feedTable;
  std::filesystem::path ipcDir;
  std::string local;
  std::optional<std::string> remote;
  std::optional<std::string> publicKey;
  std::thread thread;
  int wakeFd = -1;

  // Shared, under `mutex`.
  mutable std::mutex mutex;
  bool stopRequested = false;
  std::vector<std::uint32_t> exitedPids;
  ServiceStats published;

  core::LatestMailbox<core::ScoreTable> scores;

  // I/O thread only (the sockets are made on the main thread before it starts).
  zmq::socket_t router;
  zmq::socket_t zap;
  std::set<std::string> allowedKeys;  // raw 32-byte CURVE public keys
  std::map<std::string, Worker> workers;
  std::map<core::FeedId, Feed> feeds;
  std::unordered_map<std::uint64_t, Job> jobs;
  std::uint64_t tableVersion = ~0ull;
  std::uint64_t nextJobId = 1;
  std::uint64_t assignCounter = 0;
  std::uint64_t scoreVersion = 0;
  int backlog = 0;
  ServiceCounters counters;
  LatencyHistogram latency;
  LatencyHistogram roundTrip;
  double scoreSeconds = 0;
  double faceSeconds = 0;
  std::vector<std::uint8_t> buffer;
  std::vector<std::pair<Clock::time_point, core::FeedId>> due;
  const std::uint64_t domain = clockDomain();

  void run();
  bool takeCommands();
  void refreshFeeds(Clock::time_point now);
  void receive(Clock::time_point now);
  void handle(const std::string& identity, const std::string& address, const zmq::message_t& m,
              Clock::time_point now);
  void onHello(const std::string& identity, const std::string& address,
               const protocol::Hello& hello, Clock::time_point now);
  void onResult(const std::string& identity, protocol::Result& result, Clock::time_point now);
  void answerZap();
  void sweep(Clock::time_point now);
  void dispatch(Clock::time_point now);
  bool sendJob(Feed& feed, core::FeedId id, const core::FrameRef& frame, Worker& worker,
               Clock::time_point now);
  void removeWorker(const std::string& identity, const char* why);
  void publish(Clock::time_point now);
  std::string describe(const std::string& identity, const std::string& address) const;
};

AnalysisService::AnalysisService(MessagingContext& context, ServiceSettings settings,
                                 core::LatestMailbox<core::FeedTable>& feeds)
    : mImpl(std::make_unique<Impl>(context, std::move(settings), feeds)) {}

AnalysisService::~AnalysisService() {
  stop();
}

const std::string& AnalysisService::localEndpoint() const {
  return mImpl->local;
}

std::optional<std::string> AnalysisService::remoteEndpoint() const {
  return mImpl->remote;
}

std::optional<std::string> AnalysisService::publicKey() const {
  return mImpl->publicKey;
}

core::LatestMailbox<core::ScoreTable>& AnalysisService::scores() {
  return mImpl->scores;
}

ServiceStats AnalysisService::stats() const {
  std::lock_guard lock(mImpl->mutex);
  return mImpl->published;
}

void AnalysisService::workerExited(std::uint32_t pid) {
  {
    std::lock_guard lock(mImpl->mutex);
    mImpl->exitedPids.push_back(pid);
  }
  const std::uint64_t one = 1;
  if (mImpl->wakeFd >= 0) {
    [[maybe_unused]] const auto n = write(mImpl->wakeFd, &one, sizeof one);
  }
}

bool AnalysisService::start(std::string* error) {
  Impl& m = *mImpl;
  try {
    m.router = zmq::socket_t(m.context.get(), zmq::socket_type::router);
    m.router.set(zmq::sockopt::linger, 0);
    m.router.set(zmq::sockopt::router_mandatory, 1);  // a send to a gone worker fails, visibly
    m.router.set(zmq::sockopt::maxmsgsize, kMaxWorkerMessageBytes);
    m.router.set(zmq::sockopt::sndhwm, 1000);
    m.router.set(zmq::sockopt::rcvhwm, 10000);
    m.router.set(zmq::sockopt::heartbeat_ivl, 1000);
    m.router.set(zmq::sockopt::heartbeat_timeout, 3000);

    // Local workers: a socket file in a directory only this user can enter.
    std::string pattern = (std::filesystem::temp_directory_path() / "tessera-analysis-XXXXXX");
    if (pattern.size() > 80) pattern = "/tmp/tessera-analysis-XXXXXX";
    if (!mkdtemp(pattern.data())) {
      if (error)
        *error =
            fmt::format("cannot make a directory for the worker socket: {}", std::strerror(errno));
      return false;
    }
    m.ipcDir = pattern;
    m.local = "ipc://" + (m.ipcDir / "workers").string();
    m.router.bind(m.local);

    if (m.settings.endpoint) {
      if (m.settings.curveSecretKey) {
        m.publicKey = curvePublicKey(*m.settings.curveSecretKey);
        if (!m.publicKey) {
          if (error) *error = "curve_secret_key is not a Z85 CURVE secret key";
          return false;
        }
        for (const auto& key : m.settings.curveClientKeys) {
          std::uint8_t raw[32];
          if (key.size() != 40 || !zmq_z85_decode(raw, key.c_str())) {
            if (error) *error = "a curve_client_keys entry is not a Z85 CURVE public key";
            return false;
          }
          m.allowedKeys.emplace(reinterpret_cast<const char*>(raw), sizeof raw);
        }
        // ZAP decides which clients CURVE lets in; it must be bound before the endpoint is.
        m.zap = zmq::socket_t(m.context.get(), zmq::socket_type::rep);
        m.zap.set(zmq::sockopt::linger, 0);
        m.zap.bind(kZapEndpoint);
        // Options apply to the endpoints bound after them: the local one above stays plain.
        m.router.set(zmq::sockopt::curve_server, 1);
        m.router.set(zmq::sockopt::curve_secretkey, *m.settings.curveSecretKey);
        m.router.set(zmq::sockopt::zap_domain, "tessera-analysis");
      }
      m.router.bind(*m.settings.endpoint);
      m.remote = m.router.get(zmq::sockopt::last_endpoint);
    }
  } catch (const zmq::error_t& e) {
    if (error) {
      *error = fmt::format("cannot bind {}: {}", m.settings.endpoint.value_or(m.local), e.what());
    }
    m.router.close();
    m.zap.close();
    return false;
  }
  m.wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  m.thread = std::thread([&m] { m.run(); });
  core::logInfo(
      kModule, "workers connect to {}{}", m.local,
      m.remote ? fmt::format(" and {}{}", *m.remote,
                             m.publicKey ? fmt::format(" (CURVE, --server-key {})", *m.publicKey)
                                         : std::string())
               : std::string());
  return true;
}

void AnalysisService::stop() {
  Impl& m = *mImpl;
  if (m.thread.joinable()) {
    {
      std::lock_guard lock(m.mutex);
      m.stopRequested = true;
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = write(m.wakeFd, &one, sizeof one);
    m.thread.join();
  }
  m.router.close();
  m.zap.close();
  if (m.wakeFd >= 0) {
    close(m.wakeFd);
    m.wakeFd = -1;
  }
  if (!m.ipcDir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(m.ipcDir, ec);
    m.ipcDir.clear();
  }
}

void AnalysisService::Impl::run() {
  pthread_setname_np(pthread_self(), "tessera-analyse");  // at most 15 characters
  std::vector<zmq::pollitem_t> items = {{router.handle(), 0, ZMQ_POLLIN, 0},
                                        {nullptr, wakeFd, ZMQ_POLLIN, 0}};
  if (zap) items.push_back({zap.handle(), 0, ZMQ_POLLIN, 0});
  auto nextPublish = Clock::now();
  while (true) {
    const auto timeout = feeds.empty() || workers.empty() ? kIdlePoll : kBusyPoll;
    try {
      zmq::poll(items.data(), items.size(), timeout);
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      break;  // the context is gone
    }
    if (items[1].revents) {
      std::uint64_t value;
      [[maybe_unused]] const auto n = read(wakeFd, &value, sizeof value);
      if (takeCommands()) break;
    }
    auto now = Clock::now();
    if (items.size() > 2 && items[2].revents) answerZap();
    if (items[0].revents) receive(now);
    now = Clock::now();
    refreshFeeds(now);
    sweep(now);
    dispatch(now);
    if (now >= nextPublish) {
      publish(now);
      nextPublish = now + kPublishInterval;
    }
  }
  router.close();
  zap.close();
}

bool AnalysisService::Impl::takeCommands() {
  std::vector<std::uint32_t> pids;
  {
    std::lock_guard lock(mutex);
    if (stopRequested) return true;
    pids.swap(exitedPids);
  }
  for (const std::uint32_t pid : pids) {
    for (auto it = workers.begin(); it != workers.end();) {
      const auto next = std::next(it);
      // Local workers are the supervisor's "local-N" (a remote worker may share a pid).
      if (it->second.pid == pid && it->second.name.rfind("local-", 0) == 0) {
        removeWorker(it->first, "its process ended");
      }
      it = next;
    }
  }
  return false;
}

void AnalysisService::Impl::refreshFeeds(Clock::time_point now) {
  const auto table = feedTable.peek();
  const std::uint64_t version = table ? table->version : 0;
  if (version == tableVersion) return;
  tableVersion = version;
  const auto period = periodOf(settings.rateHz);
  const auto facesPeriod = settings.facesHz > 0 ? periodOf(settings.facesHz) : period;
  std::map<core::FeedId, Feed> next;
  if (table) {
    for (const auto& channel : table->feeds) {
      const core::FeedId id = channel->id();
      if (auto it = feeds.find(id); it != feeds.end()) {
        next.emplace(id, std::move(it->second));
        continue;
      }
      Feed f;
      f.channel = channel;
      f.nextDue = now + stagger(id, period);
      f.nextFacesDue = now + stagger(id, facesPeriod);
      next.emplace(id, std::move(f));
    }
  }
  feeds = std::move(next);
}

std::string AnalysisService::Impl::describe(const std::string& identity,
                                            const std::string& address) const {
  const auto it = workers.find(identity);
  std::string who = it != workers.end()
                        ? fmt::format("worker \"{}\" (pid {})", it->second.name, it->second.pid)
                        : "unknown peer " + hex(identity);
  if (!address.empty()) who += " at " + address;
  return who;
}

void AnalysisService::Impl::receive(Clock::time_point now) {
  // A bounded batch per wake-up, so results can never starve dispatch.
  for (int i = 0; i < 1000; ++i) {
    zmq::message_t identity;
    zmq::message_t payload;
    try {
      if (!router.recv(identity, zmq::recv_flags::dontwait)) return;
      const std::string id = identity.to_string();
      if (!identity.more()) {
        ++counters.malformed;
        continue;
      }
      // The rest of a message is already here (ZeroMQ delivers messages whole).
      if (!router.recv(payload, zmq::recv_flags::none)) return;
      std::string address;
      try {
        if (const char* a = payload.gets("Peer-Address")) address = a;
      } catch (const zmq::error_t&) {
      }
      if (payload.more()) {
        while (payload.more() && router.recv(payload, zmq::recv_flags::none)) {
        }
        const auto n = ++counters.malformed;
        if (shouldLog(n)) {
          core::logWarn(kModule, "dropped a multi-part message from {} (malformed: {} so far)",
                        describe(id, address), n);
        }
        continue;
      }
      handle(id, address, payload, now);
    } catch (const zmq::error_t& e) {
      if (e.num() == EAGAIN) return;
      core::logWarn(kModule, "receive failed: {}", e.what());
      return;
    }
  }
}

void AnalysisService::Impl::handle(const std::string& identity, const std::string& address,
                                   const zmq::message_t& m, Clock::time_point now) {
  auto decoded = protocol::decode({static_cast<const std::uint8_t*>(m.data()), m.size()});
  if (auto* err = std::get_if<protocol::DecodeError>(&decoded)) {
    const bool version = err->kind == protocol::DecodeErrorKind::kWrongVersion;
    const auto n = version ? ++counters.wrongVersion : ++counters.malformed;
    if (shouldLog(n)) {
      core::logWarn(kModule, "dropped a {} message from {}: {}: {} ({} so far)",
                    version ? "wrong-version" : "malformed", describe(identity, address),
                    protocol::toString(err->kind), err->detail, n);
    }
    return;
  }
  if (auto* hello = std::get_if<protocol::Hello>(&decoded)) {
    onHello(identity, address, *hello, now);
  } else if (auto* result = std::get_if<protocol::Result>(&decoded)) {
    onResult(identity, *result, now);
  } else {
    const auto n = ++counters.unexpected;
    if (shouldLog(n)) {
      core::logWarn(kModule, "dropped a job sent by {}: workers do not send jobs",
                    describe(identity, address));
    }
  }
}

void AnalysisService::Impl::onHello(const std::string& identity, const std::string& address,
                                    const protocol::Hello& hello, Clock::time_point now) {
  auto [it, added] = workers.try_emplace(identity);
  Worker& w = it->second;
  if (added) {
    w.identity = identity;
    w.assigned = assignCounter;
    ++counters.workersJoined;
    core::logInfo(kModule, "worker \"{}\" joined (pid {}, {} jobs at once, faces {}, from {})",
                  hello.name, hello.pid, hello.maxInFlight, hello.faces ? "on" : "off",
                  address.empty() ? "?" : address);
  }
  w.name = hello.name;
  w.address = address;
  w.pid = hello.pid;
  w.maxInFlight = hello.maxInFlight;
  w.faces = hello.faces;
  w.lastSeen = now;
}

void AnalysisService::Impl::onResult(const std::string& identity, protocol::Result& r,
                                     Clock::time_point now) {
  const auto jobIt = jobs.find(r.jobId);
  if (jobIt == jobs.end() || jobIt->second.worker != identity ||
      jobIt->second.feed.value != r.feedId) {
    // An answer to a job given up with its worker (a worker that was only stopped, then went
    // on) is late, not malformed; anything else makes no sense.
    if (r.jobId < nextJobId && jobIt == jobs.end()) {
      ++counters.late;
    } else {
      const auto n = ++counters.unexpected;
      if (shouldLog(n)) {
        core::logWarn(kModule, "dropped a result for job {} from {}: not its job", r.jobId,
                      describe(identity, {}));
      }
    }
    return;
  }
  const Job job = jobIt->second;
  jobs.erase(jobIt);
  auto workerIt = workers.find(identity);
  if (workerIt != workers.end()) {
    Worker& w = workerIt->second;
    --w.inFlight;
    w.lastSeen = now;
    w.scoreSeconds += r.scoreMicros * 1e-6;
  }
  scoreSeconds += r.scoreMicros * 1e-6;
  faceSeconds += r.faceMicros * 1e-6;
  auto feedIt = feeds.find(job.feed);
  Feed* feed = feedIt != feeds.end() ? &feedIt->second : nullptr;
  if (feed && feed->busyJob == r.jobId) feed->busyJob = 0;
  const bool late = job.timedOut || now > job.deadline;
  if (late || r.status != protocol::ResultStatus::kOk) {
    if (late) ++counters.late;
    if (r.status == protocol::ResultStatus::kExpired) ++counters.expired;
    if (r.status == protocol::ResultStatus::kBadFrame) ++counters.badFrames;
    if (feed && job.faces) feed->nextFacesDue = now;  // try faces again with the next frame
    return;
  }
  if (workerIt != workers.end()) ++workerIt->second.jobs;
  ++counters.results;
  latency.add(std::chrono::duration<double>(now - job.frameArrival).count());
  roundTrip.add(std::chrono::duration<double>(now - job.sentAt).count());
  if (!feed) return;

  core::Scores s = feed->scores.value_or(core::Scores{});
  s.meanRgb = r.meanRgb;
  s.brightness = r.brightness;
  s.sharpness = r.sharpness;
  s.black = r.black;
  s.motion = r.motionValid ? r.motion : 0;
  if (r.facesDetected) s.faces = r.faces;
  for (std::size_t i = 0; i < s.palette.size(); ++i) {
    s.palette[i].rgb = r.palette[i].rgb;
    s.palette[i].weight = r.palette[i].weight;
  }
  s.frameTime = job.frameArrival;
  if (r.motionValid && r.still) {
    if (!feed->stillSince) feed->stillSince = feed->previousTime;
  } else if (r.motionValid) {
    feed->stillSince.reset();
  }
  feed->scores = s;
  feed->previous = std::move(r.thumbnail);
  feed->previousTime = job.frameArrival;
}

void AnalysisService::Impl::answerZap() {
  // ZAP 1.0 (RFC 27): version, request id, domain, address, identity, mechanism, credentials.
  std::vector<zmq::message_t> parts;
  try {
    while (true) {
      zmq::message_t part;
      if (!zap.recv(part, zmq::recv_flags::dontwait)) break;
      const bool more = part.more();
      parts.push_back(std::move(part));
      if (!more) break;
    }
  } catch (const zmq::error_t&) {
    return;
  }
  if (parts.empty()) return;
  const bool wellFormed = parts.size() >= 6 && parts[0].to_string_view() == "1.0";
  bool allowed = false;
  std::string address;
  if (wellFormed) {
    address = parts[3].to_string();
    allowed = parts[5].to_string_view() == "CURVE" && parts.size() >= 7 &&
              allowedKeys.count(parts[6].to_string()) > 0;
  }
  if (!allowed) {
    const auto n = ++counters.refused;
    if (shouldLog(n)) {
      core::logWarn(kModule, "refused a worker from {}: its CURVE key is not in curve_client_keys",
                    address.empty() ? "an unknown address" : address);
    }
  }
  try {
    const std::string requestId = parts.size() > 1 ? parts[1].to_string() : std::string();
    zap.send(zmq::str_buffer("1.0"), zmq::send_flags::sndmore);
    zap.send(zmq::buffer(requestId), zmq::send_flags::sndmore);
    zap.send(zmq::buffer(std::string(allowed ? "200" : "400")), zmq::send_flags::sndmore);
    zap.send(zmq::buffer(std::string(allowed ? "OK" : "key not allowed")),
             zmq::send_flags::sndmore);
    zap.send(zmq::str_buffer(""), zmq::send_flags::sndmore);
    zap.send(zmq::str_buffer(""), zmq::send_flags::none);
  } catch (const zmq::error_t& e) {
    core::logWarn(kModule, "ZAP reply failed: {}", e.what());
  }
}

void AnalysisService::Impl::removeWorker(const std::string& identity, const char* why) {
  const auto it = workers.find(identity);
  if (it == workers.end()) return;
  int lost = 0;
  for (auto j = jobs.begin(); j != jobs.end();) {
    if (j->second.worker == identity) {
      if (auto f = feeds.find(j->second.feed); f != feeds.end() && f->second.busyJob == j->first) {
        f->second.busyJob = 0;
        if (j->second.faces) f->second.nextFacesDue = Clock::now();
      }
      if (!j->second.timedOut) ++lost;
      j = jobs.erase(j);
    } else {
      ++j;
    }
  }
  counters.timedOut += static_cast<std::uint64_t>(lost);
  ++counters.workersLost;
  core::logWarn(kModule, "worker \"{}\" (pid {}) is gone: {}; {} job(s) in flight lost",
                it->second.name, it->second.pid, why, lost);
  workers.erase(it);
}

void AnalysisService::Impl::sweep(Clock::time_point now) {
  for (auto it = jobs.begin(); it != jobs.end();) {
    const Job& job = it->second;
    // A job its (still live) worker never answered: its credit comes back after a grace period.
    if (job.timedOut && now > job.deadline + settings.workerTimeout) {
      if (auto w = workers.find(job.worker); w != workers.end()) --w->second.inFlight;
      it = jobs.erase(it);
      continue;
    }
    ++it;
  }
  for (auto& [id, job] : jobs) {
    if (job.timedOut || now <= job.deadline) continue;
    // Its feed may go to another worker; the job's credit stays taken until its worker answers
    // or is gone, so a slow worker is never sent more than it asked for.
    job.timedOut = true;
    ++counters.timedOut;
    if (auto f = feeds.find(job.feed); f != feeds.end() && f->second.busyJob == id) {
      f->second.busyJob = 0;
      if (job.faces) f->second.nextFacesDue = now;
    }
  }
  for (auto it = workers.begin(); it != workers.end();) {
    const auto next = std::next(it);
    if (now - it->second.lastSeen > settings.workerTimeout) {
      removeWorker(it->first, "silent for too long");
    }
    it = next;
  }
}

void AnalysisService::Impl::dispatch(Clock::time_point now) {
  due.clear();
  for (auto& [id, f] : feeds) {
    if (f.busyJob || now < f.nextDue) continue;
    due.emplace_back(f.nextDue, id);
  }
  std::sort(due.begin(), due.end());  // the most overdue first
  backlog = 0;
  for (std::size_t i = 0; i < due.size(); ++i) {
    Feed& f = feeds.at(due[i].second);
    const core::FrameRef frame = f.channel->newest();
    // Nothing new to see, or a feed that stopped delivering: checked again next round.
    if (!frame || frame->arrival == f.lastSentArrival || now - frame->arrival > kMaxFrameAge) {
      continue;
    }
    // The least loaded worker (share of its slots in use); among equals, the one that waited
    // longest for a job, so idle workers take turns.
    Worker* best = nullptr;
    for (auto& [identity, w] : workers) {
      if (w.inFlight >= w.maxInFlight) continue;
      if (!best) {
        best = &w;
        continue;
      }
      const long lhs = static_cast<long>(w.inFlight) * best->maxInFlight;
      const long rhs = static_cast<long>(best->inFlight) * w.maxInFlight;
      if (lhs < rhs || (lhs == rhs && w.assigned < best->assigned)) best = &w;
    }
    if (!best) {
      backlog = static_cast<int>(due.size() - i);
      return;
    }
    sendJob(f, due[i].second, frame, *best, now);
  }
}

bool AnalysisService::Impl::sendJob(Feed& f, core::FeedId id, const core::FrameRef& frame,
                                    Worker& w, Clock::time_point now) {
  const bool facesWanted =
      settings.facesHz > 0 && now >= f.nextFacesDue && w.faces &&
      (settings.facesOnSynthetic || f.channel->source() != core::FeedSource::kSynthetic);
  protocol::JobHeader h;
  h.jobId = nextJobId;
  h.feedId = id.value;
  h.sequence = frame->sequence;
  h.detectFaces = facesWanted;
  const auto deadline = now + settings.jobTimeout;
  h.deadlineNs =
      std::chrono::duration_cast<std::chrono::nanoseconds>(deadline.time_since_epoch()).count();
  h.clockDomain = domain;
  const auto period = periodOf(settings.rateHz);
  // The next frame is due one period after this one was, unless that already passed.
  f.nextDue = f.nextDue + period > now ? f.nextDue + period : now + period;
  f.lastSentArrival = frame->arrival;
  if (!protocol::encodeJob(h, *frame, f.previous, buffer)) {
    ++counters.badFrames;
    return false;
  }
  try {
    if (!router.send(zmq::buffer(w.identity),
                     zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      ++counters.sendFailures;
      return false;
    }
    router.send(zmq::buffer(buffer), zmq::send_flags::none);
  } catch (const zmq::error_t& e) {
    ++counters.sendFailures;
    if (e.num() == EHOSTUNREACH) removeWorker(w.identity, "its connection closed");
    return false;
  }
  ++nextJobId;
  ++counters.jobsSent;
  ++w.inFlight;
  w.assigned = ++assignCounter;
  jobs.emplace(h.jobId, Job{id, w.identity, frame->arrival, now, deadline, facesWanted, false});
  f.busyJob = h.jobId;
  if (facesWanted) f.nextFacesDue = now + periodOf(settings.facesHz);
  return true;
}

void AnalysisService::Impl::publish(Clock::time_point now) {
  auto table = std::make_shared<core::ScoreTable>();
  table->version = ++scoreVersion;
  int scored = 0;
  for (auto& [id, f] : feeds) {
    if (!f.scores) continue;
    ++scored;
    core::Scores s = *f.scores;
    const auto lastFrame = f.channel->lastFrameAt();
    const bool stillTooLong = f.stillSince && s.frameTime - *f.stillSince >= settings.frozenAfter;
    const bool silent = lastFrame && now - *lastFrame >= settings.frozenAfter;
    s.frozen = stillTooLong || silent;
    table->byFeed.emplace(id, s);
  }
  scores.put(std::move(table));

  ServiceStats st;
  st.liveWorkers = static_cast<int>(workers.size());
  for (const auto& [identity, w] : workers) {
    st.workers.push_back(
        {w.name, w.pid, w.address, w.inFlight, w.maxInFlight, w.faces, w.jobs, w.scoreSeconds});
  }
  st.counters = counters;
  st.feeds = static_cast<int>(feeds.size());
  st.scoredFeeds = scored;
  st.inFlight = static_cast<int>(jobs.size());
  st.backlog = backlog;
  st.latency = latency;
  st.roundTrip = roundTrip;
  st.scoreSeconds = scoreSeconds;
  st.faceSeconds = faceSeconds;
  std::lock_guard lock(mutex);
  published = std::move(st);
}

}  // namespace tessera::analysis
