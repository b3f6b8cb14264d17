#include "analysis/service.hpp"

#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
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
// Messages read per wake-up: local workers first, then a bounded share for remote peers, so a
// flood on the TCP endpoint cannot starve local results or dispatch.
constexpr int kLocalBatch = 1000;
constexpr int kRemoteBatch = 256;
constexpr int kZapBatch = 64;
// Messages queued in ZeroMQ for the remote socket before it drops more.
constexpr int kRemoteReceiveQueue = 1000;
// A remote worker that leaves this many jobs in a row unanswered, and never answered one, is
// dropped, and its hellos are ignored for kBenchTime (a bounded list).
constexpr int kMaxStrikes = 3;
constexpr std::chrono::seconds kBenchTime{30};
constexpr std::size_t kMaxBenched = 4096;
// Jobs in flight at once, all together, on workers that never answered one: a crowd of workers
// that take jobs and never answer holds up at most this many feeds, for one deadline each.
constexpr int kMaxProbationJobs = 2;

// The pid and uid of a local (ipc://) peer from its "Peer-Address", which ZeroMQ builds from
// SO_PEERCRED as "HOST:UID:GID:PID".
struct PeerCredentials {
  std::uint32_t uid = 0;
  std::uint32_t pid = 0;
};
std::optional<PeerCredentials> ipcPeerCredentials(std::string_view address) {
  std::array<std::uint64_t, 3> fields{};
  for (int i = 2; i >= 0; --i) {
    const std::size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const std::string_view field = address.substr(colon + 1);
    if (field.empty() || field.size() > 10 ||
        field.find_first_not_of("0123456789") != std::string_view::npos) {
      return std::nullopt;
    }
    fields[static_cast<std::size_t>(i)] = std::stoull(std::string(field));
    address = address.substr(0, colon);
  }
  if (fields[0] > 0xffffffffu || fields[2] == 0 || fields[2] > 0xffffffffu) return std::nullopt;
  return PeerCredentials{static_cast<std::uint32_t>(fields[0]),
                         static_cast<std::uint32_t>(fields[2])};
}

// A directory for the local workers' socket that only this user can enter: made by mkdtemp
// (a new name, never an existing path) under a parent that others cannot rename it in.
std::optional<std::filesystem::path> makePrivateDirectory(std::string* error) {
  auto safeParent = [](const std::filesystem::path& dir) {
    struct stat st {};
    if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return false;
    const bool othersWrite = st.st_mode & (S_IWGRP | S_IWOTH);
    return (st.st_uid == geteuid() || st.st_uid == 0) && (!othersWrite || (st.st_mode & S_ISVTX));
  };
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::temp_directory_path(ec);
  // ipc:// paths are limited to ~100 bytes.
  if (ec || parent.string().size() > 60 || !safeParent(parent)) parent = "/tmp";
  std::string pattern = (parent / "tessera-analysis-XXXXXX").string();
  if (!mkdtemp(pattern.data())) {
    if (error) {
      *error = fmt::format("cannot make a directory for the worker socket in {}: {}",
                           parent.string(), std::strerror(errno));
    }
    return std::nullopt;
  }
  struct stat st {};
  if (lstat(pattern.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
      (st.st_mode & 0777) != 0700) {
    if (error) *error = fmt::format("{} is not a private directory", pattern);
    return std::nullopt;
  }
  return std::filesystem::path(pattern);
}

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
  // Workers are keyed by their socket ('L' local, 'R' remote) and routing id.
  struct Worker {
    std::string identity;  // the key
    std::string routingId;
    bool remote = false;
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
    // Slots are earned: one job at a time until it answers one (then all it asked for).
    // Dispatch prefers workers whose last job was answered in time, then those that answered
    // one ever; workers that never answered share kMaxProbationJobs between them.
    bool proven = false;    // its last job was answered in time
    bool answered = false;  // it ever answered a job
    int strikes = 0;        // jobs in a row it left unanswered
    int slots() const { return answered ? maxInFlight : 1; }
    int tier() const { return proven ? 0 : answered ? 1 : 2; }
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
    Clock::time_point addedAt;
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
  std::set<std::uint32_t> localPids;  // local worker processes this server started
  ServiceStats published;

  core::LatestMailbox<core::ScoreTable> scores;

  // I/O thread only (the sockets are made on the main thread before it starts).
  zmq::socket_t localSocket;
  zmq::socket_t remoteSocket;
  zmq::socket_t zap;
  std::set<std::string> allowedKeys;  // raw 32-byte CURVE public keys
  std::map<std::string, Worker> workers;
  int remoteWorkers = 0;
  std::map<std::string, Clock::time_point> benched;  // worker keys ignored until then
  std::optional<Clock::time_point> noCreditSince;
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
  void receive(bool remote, int batch, Clock::time_point now);
  void handle(bool remote, const std::string& routingId, const std::string& address,
              const zmq::message_t& m, Clock::time_point now);
  void onHello(bool remote, const std::string& routingId, const std::string& address,
               const protocol::Hello& hello, Clock::time_point now);
  bool admit(bool remote, const std::string& identity, const std::string& address,
             const protocol::Hello& hello, std::uint32_t* pid, Clock::time_point now);
  zmq::socket_t& socketOf(const Worker& w) { return w.remote ? remoteSocket : localSocket; }
  void onResult(const std::string& identity, protocol::Result& result, Clock::time_point now);
  void answerZap();
  void sweep(Clock::time_point now);
  void dispatch(Clock::time_point now);
  bool sendJob(Feed& feed, core::FeedId id, const core::FrameRef& frame, Worker& worker,
               Clock::time_point now);
  void removeWorker(const std::string& identity, const char* why);
  void strike(const std::string& identity, Clock::time_point now);
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

void AnalysisService::workerStarted(std::uint32_t pid) {
  std::lock_guard lock(mImpl->mutex);
  mImpl->localPids.insert(pid);
}

void AnalysisService::workerExited(std::uint32_t pid) {
  {
    std::lock_guard lock(mImpl->mutex);
    mImpl->exitedPids.push_back(pid);
    mImpl->localPids.erase(pid);
  }
  const std::uint64_t one = 1;
  if (mImpl->wakeFd >= 0) {
    [[maybe_unused]] const auto n = write(mImpl->wakeFd, &one, sizeof one);
  }
}

bool AnalysisService::start(std::string* error) {
  Impl& m = *mImpl;
  if (m.settings.endpoint && !m.settings.curveSecretKey) {
    // Any local process can reach even a loopback port: workers there must authenticate.
    if (error) *error = fmt::format("{} needs CURVE keys", *m.settings.endpoint);
    return false;
  }
  auto routerSocket = [&](int receiveQueue) {
    zmq::socket_t r(m.context.get(), zmq::socket_type::router);
    r.set(zmq::sockopt::linger, 0);
    r.set(zmq::sockopt::router_mandatory, 1);  // a send to a gone worker fails, visibly
    r.set(zmq::sockopt::maxmsgsize, kMaxWorkerMessageBytes);
    r.set(zmq::sockopt::sndhwm, 1000);
    r.set(zmq::sockopt::rcvhwm, receiveQueue);
    r.set(zmq::sockopt::heartbeat_ivl, 1000);
    r.set(zmq::sockopt::heartbeat_timeout, 3000);
    return r;
  };
  try {
    // Local workers: a socket file in a directory only this user can enter; the peer's pid
    // (SO_PEERCRED) must then be one this server started.
    const auto dir = makePrivateDirectory(error);
    if (!dir) return false;
    m.ipcDir = *dir;
    m.local = "ipc://" + (m.ipcDir / "workers").string();
    m.localSocket = routerSocket(10000);
    m.localSocket.bind(m.local);

    if (m.settings.endpoint) {
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
      m.remoteSocket = routerSocket(kRemoteReceiveQueue);
      m.remoteSocket.set(zmq::sockopt::curve_server, 1);
      m.remoteSocket.set(zmq::sockopt::curve_secretkey, *m.settings.curveSecretKey);
      m.remoteSocket.set(zmq::sockopt::zap_domain, "tessera-analysis");
      m.remoteSocket.bind(*m.settings.endpoint);
      m.remote = m.remoteSocket.get(zmq::sockopt::last_endpoint);
    }
  } catch (const zmq::error_t& e) {
    if (error) {
      *error = fmt::format("cannot bind {}: {}", m.settings.endpoint.value_or(m.local), e.what());
    }
    m.localSocket.close();
    m.remoteSocket.close();
    m.zap.close();
    return false;
  }
  m.wakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  m.thread = std::thread([&m] { m.run(); });
  core::logInfo(kModule, "workers connect to {}{}", m.local,
                m.remote ? fmt::format(" and {} (CURVE, --server-key {})", *m.remote, *m.publicKey)
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
  m.localSocket.close();
  m.remoteSocket.close();
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
  std::vector<zmq::pollitem_t> items = {{localSocket.handle(), 0, ZMQ_POLLIN, 0},
                                        {nullptr, wakeFd, ZMQ_POLLIN, 0}};
  if (remoteSocket) {
    items.push_back({remoteSocket.handle(), 0, ZMQ_POLLIN, 0});
    items.push_back({zap.handle(), 0, ZMQ_POLLIN, 0});
  }
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
    if (items[0].revents) receive(false, kLocalBatch, now);
    if (items.size() > 2) {
      if (items[3].revents) answerZap();
      if (items[2].revents) receive(true, kRemoteBatch, now);
    }
    now = Clock::now();
    refreshFeeds(now);
    sweep(now);
    dispatch(now);
    if (now >= nextPublish) {
      publish(now);
      nextPublish = now + kPublishInterval;
    }
  }
  localSocket.close();
  remoteSocket.close();
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
      // A remote worker may share a pid; a local one's pid is the kernel's word.
      if (it->second.pid == pid && !it->second.remote) {
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
      f.addedAt = now;
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
                        : "unknown peer " + hex(identity.substr(identity.empty() ? 0 : 1));
  if (!address.empty()) who += " at " + address;
  return who;
}

void AnalysisService::Impl::receive(bool remote, int batch, Clock::time_point now) {
  zmq::socket_t& socket = remote ? remoteSocket : localSocket;
  // A bounded batch per wake-up, so messages can never starve dispatch.
  for (int i = 0; i < batch; ++i) {
    zmq::message_t identity;
    zmq::message_t payload;
    try {
      if (!socket.recv(identity, zmq::recv_flags::dontwait)) return;
      const std::string id = identity.to_string();
      if (!identity.more()) {
        ++counters.malformed;
        continue;
      }
      // The rest of a message is already here (ZeroMQ delivers messages whole).
      if (!socket.recv(payload, zmq::recv_flags::none)) return;
      std::string address;
      try {
        if (const char* a = payload.gets("Peer-Address")) address = a;
      } catch (const zmq::error_t&) {
      }
      if (payload.more()) {
        while (payload.more() && socket.recv(payload, zmq::recv_flags::none)) {
        }
        const auto n = ++counters.malformed;
        if (shouldLog(n)) {
          core::logWarn(kModule, "dropped a multi-part message from {} (malformed: {} so far)",
                        describe((remote ? "R" : "L") + id, address), n);
        }
        continue;
      }
      handle(remote, id, address, payload, now);
    } catch (const zmq::error_t& e) {
      if (e.num() == EAGAIN) return;
      core::logWarn(kModule, "receive failed: {}", e.what());
      return;
    }
  }
}

void AnalysisService::Impl::handle(bool remote, const std::string& routingId,
                                   const std::string& address, const zmq::message_t& m,
                                   Clock::time_point now) {
  const std::string identity = (remote ? "R" : "L") + routingId;
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
    onHello(remote, routingId, address, *hello, now);
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

bool AnalysisService::Impl::admit(bool remote, const std::string& identity,
                                  const std::string& address, const protocol::Hello& hello,
                                  std::uint32_t* pid, Clock::time_point now) {
  if (const auto b = benched.find(identity); b != benched.end()) {
    if (now < b->second) return false;  // counted and logged when it was benched
    benched.erase(b);
  }
  if (remote) {
    // CURVE and ZAP let it in; the list of workers is bounded.
    if (remoteWorkers < settings.maxRemoteWorkers) return true;
    const auto n = ++counters.workersFull;
    if (shouldLog(n)) {
      core::logWarn(kModule,
                    "refused worker \"{}\" at {}: {} remote workers registered, the most "
                    "allowed ({} refused so far)",
                    hello.name, address, remoteWorkers, n);
    }
    return false;
  }
  // The local socket is in a private directory; beyond that, the kernel names the peer's
  // process, which must be a worker this server started.
  const auto peer = ipcPeerCredentials(address);
  bool started = false;
  if (peer) {
    std::lock_guard lock(mutex);
    started = localPids.count(peer->pid) > 0;
  }
  if (peer && peer->uid == geteuid() && started) {
    *pid = peer->pid;
    return true;
  }
  const auto n = ++counters.refused;
  if (shouldLog(n)) {
    core::logWarn(kModule, "refused worker \"{}\" on the local socket: {} ({} refused so far)",
                  hello.name,
                  peer ? fmt::format("pid {} (uid {}) is not a worker this server started",
                                     peer->pid, peer->uid)
                       : fmt::format("cannot tell its process from \"{}\"", address),
                  n);
  }
  return false;
}

void AnalysisService::Impl::onHello(bool remote, const std::string& routingId,
                                    const std::string& address, const protocol::Hello& hello,
                                    Clock::time_point now) {
  const std::string identity = (remote ? "R" : "L") + routingId;
  auto it = workers.find(identity);
  std::uint32_t pid = hello.pid;
  if (it == workers.end()) {
    if (!admit(remote, identity, address, hello, &pid, now)) return;
    it = workers.emplace(identity, Worker{}).first;
    Worker& w = it->second;
    w.identity = identity;
    w.routingId = routingId;
    w.remote = remote;
    w.pid = pid;
    w.assigned = assignCounter;
    if (remote) ++remoteWorkers;
    ++counters.workersJoined;
    core::logInfo(kModule, "worker \"{}\" joined (pid {}, {} jobs at once, faces {}, from {})",
                  hello.name, pid, hello.maxInFlight, hello.faces ? "on" : "off",
                  remote ? address : "the local socket");
  }
  Worker& w = it->second;
  w.name = hello.name;
  w.address = remote ? address : std::string();
  if (remote) w.pid = hello.pid;  // a local worker's pid is the kernel's, kept from its join
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
  const bool late = job.timedOut || now > job.deadline;
  auto workerIt = workers.find(identity);
  if (workerIt != workers.end()) {
    Worker& w = workerIt->second;
    --w.inFlight;
    w.lastSeen = now;
    w.scoreSeconds += r.scoreMicros * 1e-6;
    w.strikes = 0;
    w.answered = true;
    if (!late) w.proven = true;
  }
  scoreSeconds += r.scoreMicros * 1e-6;
  faceSeconds += r.faceMicros * 1e-6;
  auto feedIt = feeds.find(job.feed);
  Feed* feed = feedIt != feeds.end() ? &feedIt->second : nullptr;
  if (feed && feed->busyJob == r.jobId) feed->busyJob = 0;
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
  if (it->second.remote) --remoteWorkers;
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
  std::vector<std::string> struck;
  for (auto& [id, job] : jobs) {
    if (job.timedOut || now <= job.deadline) continue;
    // Its feed may go to another worker; the job's credit stays taken until its worker answers
    // or is gone, so a slow worker is never sent more than it asked for.
    job.timedOut = true;
    ++counters.timedOut;
    struck.push_back(job.worker);
    if (auto f = feeds.find(job.feed); f != feeds.end() && f->second.busyJob == id) {
      f->second.busyJob = 0;
      if (job.faces) f->second.nextFacesDue = now;
    }
  }
  for (const auto& identity : struck) strike(identity, now);
  for (auto it = benched.begin(); it != benched.end();) {
    it = now >= it->second ? benched.erase(it) : std::next(it);
  }
  for (auto it = workers.begin(); it != workers.end();) {
    const auto next = std::next(it);
    if (now - it->second.lastSeen > settings.workerTimeout) {
      removeWorker(it->first, "silent for too long");
    }
    it = next;
  }
}

void AnalysisService::Impl::strike(const std::string& identity, Clock::time_point now) {
  const auto it = workers.find(identity);
  if (it == workers.end()) return;
  Worker& w = it->second;
  w.proven = false;  // one job at a time until it answers again
  // A remote peer that never answered a job only holds feeds up: it goes, and stays out for a
  // while. A slow worker that did answer, or a local one, just keeps one slot.
  if (++w.strikes < kMaxStrikes || w.answered || !w.remote) return;
  ++counters.unresponsive;
  if (benched.size() < kMaxBenched) benched[identity] = now + kBenchTime;
  removeWorker(identity, fmt::format("{} jobs in a row unanswered", w.strikes).c_str());
}

void AnalysisService::Impl::dispatch(Clock::time_point now) {
  due.clear();
  for (auto& [id, f] : feeds) {
    if (f.busyJob || now < f.nextDue) continue;
    due.emplace_back(f.nextDue, id);
  }
  std::sort(due.begin(), due.end());  // the most overdue first
  backlog = 0;
  int probationJobs = 0;
  for (const auto& [identity, w] : workers) {
    if (!w.answered) probationJobs += w.inFlight;
  }
  for (std::size_t i = 0; i < due.size(); ++i) {
    Feed& f = feeds.at(due[i].second);
    // A feed whose streaming thread holds its channel (idle class, preempted) is skipped: the
    // analysis thread never waits for it.
    const std::optional<core::FrameRef> newest = f.channel->tryNewest();
    const core::FrameRef frame = newest ? *newest : nullptr;
    // Nothing new to see, or a feed that stopped delivering: checked again next round.
    if (!frame || frame->arrival == f.lastSentArrival || now - frame->arrival > kMaxFrameAge) {
      continue;
    }
    // While the probation budget lasts, a worker that never answered a job is tried first (one
    // job: a new worker proves itself at once). Then workers whose last job was answered in
    // time, then those that answered one ever; among those the least loaded (share of its
    // slots in use), and among equals the one that waited longest, so idle workers take turns.
    const bool tryNewcomer = probationJobs < kMaxProbationJobs;
    auto rank = [tryNewcomer](const Worker& w) {
      return w.tier() == 2 ? (tryNewcomer ? -1 : 99) : w.tier();
    };
    Worker* best = nullptr;
    for (auto& [identity, w] : workers) {
      if (w.inFlight >= w.slots() || rank(w) == 99) continue;
      if (!best || rank(w) != rank(*best)) {
        if (!best || rank(w) < rank(*best)) best = &w;
        continue;
      }
      const long lhs = static_cast<long>(w.inFlight) * best->slots();
      const long rhs = static_cast<long>(best->inFlight) * w.slots();
      if (lhs < rhs || (lhs == rhs && w.assigned < best->assigned)) best = &w;
    }
    if (!best) {
      backlog = static_cast<int>(due.size() - i);
      if (!noCreditSince) noCreditSince = now;
      return;
    }
    const bool probation = best->tier() == 2;
    if (sendJob(f, due[i].second, frame, *best, now)) {
      noCreditSince.reset();
      if (probation) ++probationJobs;
    }
  }
  if (jobs.empty()) noCreditSince.reset();
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
    zmq::socket_t& socket = socketOf(w);
    if (!socket.send(zmq::buffer(w.routingId),
                     zmq::send_flags::sndmore | zmq::send_flags::dontwait)) {
      ++counters.sendFailures;
      return false;
    }
    socket.send(zmq::buffer(buffer), zmq::send_flags::none);
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
  int live = 0;
  int stale = 0;
  const auto staleAfter =
      std::max<Clock::duration>(settings.staleAfter, 3 * periodOf(settings.rateHz));
  for (auto& [id, f] : feeds) {
    const auto lastFrame = f.channel->lastFrameAt();
    if (lastFrame && now - *lastFrame <= kMaxFrameAge) {
      ++live;
      const auto since = f.scores ? f.scores->frameTime : f.addedAt;
      if (now - since > staleAfter) ++stale;
    }
    if (!f.scores) continue;
    ++scored;
    core::Scores s = *f.scores;
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
  st.liveFeeds = live;
  st.staleFeeds = stale;
  st.staleAfterSeconds = std::chrono::duration<double>(staleAfter).count();
  st.secondsWithoutCredit =
      noCreditSince ? std::chrono::duration<double>(now - *noCreditSince).count() : 0;
  st.latency = latency;
  st.roundTrip = roundTrip;
  st.scoreSeconds = scoreSeconds;
  st.faceSeconds = faceSeconds;
  std::lock_guard lock(mutex);
  published = std::move(st);
}

}  // namespace tessera::analysis
