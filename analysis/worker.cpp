#include "analysis/worker.hpp"

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <opencv2/core/utility.hpp>
#include <zmq.hpp>

#include <chrono>
#include <vector>

#include "core/log.hpp"

namespace tessera::analysis {
namespace {

constexpr const char* kModule = "analysis-worker";
using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kHelloInterval{1000};
constexpr std::chrono::milliseconds kHelloRetry{20};
// Jobs carry frames of up to 4096x4096 RGBA; anything larger is not ours.
constexpr std::int64_t kMaxMessageBytes = 80LL * 1024 * 1024;

std::string hostName() {
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) return "localhost";
  return host;
}

// Logs the first few of a kind of problem, then every 1000th, so a flood does not flood the log.
bool shouldLog(std::uint64_t count) {
  return count <= 5 || count % 1000 == 0;
}

}  // namespace

Worker::Worker(MessagingContext& context, WorkerOptions options)
    : mContext(context), mOptions(std::move(options)) {
  mWakeFd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (mOptions.name.empty()) mOptions.name = hostName() + " pid " + std::to_string(getpid());
  if (mOptions.name.size() > protocol::kMaxNameBytes) {
    mOptions.name.resize(protocol::kMaxNameBytes);
  }
}

Worker::~Worker() {
  if (mWakeFd >= 0) close(mWakeFd);
}

void Worker::stop() {
  const std::uint64_t one = 1;
  if (mWakeFd >= 0) {
    [[maybe_unused]] const auto n = write(mWakeFd, &one, sizeof one);
  }
}

WorkerCounters Worker::counters() const {
  std::lock_guard lock(mMutex);
  return mCounters;
}

int Worker::run(int stopFd) {
  const std::string& name = mOptions.name;
  Scorer scorer(mOptions.faceCascade);
  if (!scorer.canDetectFaces()) {
    core::logWarn(kModule, "{}: faces off: {}", name, scorer.faceError());
  }
  const std::uint64_t domain = clockDomain();

  zmq::socket_t socket;
  try {
    socket = zmq::socket_t(mContext.get(), zmq::socket_type::dealer);
    socket.set(zmq::sockopt::linger, 0);
    socket.set(zmq::sockopt::immediate, 1);  // nothing queues for a server not yet connected
    socket.set(zmq::sockopt::rcvhwm, mOptions.maxInFlight * 4);
    socket.set(zmq::sockopt::sndhwm, 256);
    socket.set(zmq::sockopt::maxmsgsize, kMaxMessageBytes);
    socket.set(zmq::sockopt::reconnect_ivl, 100);
    socket.set(zmq::sockopt::reconnect_ivl_max, 2000);
    socket.set(zmq::sockopt::heartbeat_ivl, 1000);
    socket.set(zmq::sockopt::heartbeat_timeout, 3000);
    if (mOptions.serverKey) {
      const CurveKeyPair own =
          mOptions.secretKey
              ? CurveKeyPair{curvePublicKey(*mOptions.secretKey).value_or(""), *mOptions.secretKey}
              : generateCurveKeyPair();
      if (own.publicKey.empty()) {
        core::logError(kModule, "{}: the worker's secret key is not a Z85 CURVE key", name);
        return 1;
      }
      socket.set(zmq::sockopt::curve_serverkey, *mOptions.serverKey);
      socket.set(zmq::sockopt::curve_publickey, own.publicKey);
      socket.set(zmq::sockopt::curve_secretkey, own.secretKey);
    }
    socket.connect(mOptions.endpoint);
  } catch (const zmq::error_t& e) {
    core::logError(kModule, "{}: cannot connect to {}: {}", name, mOptions.endpoint, e.what());
    return 1;
  }
  core::logInfo(kModule, "{}: connecting to {}{} (faces {})", name, mOptions.endpoint,
                mOptions.serverKey ? " with CURVE" : "", scorer.canDetectFaces() ? "on" : "off");

  std::vector<std::uint8_t> out;
  protocol::Hello hello;
  hello.pid = static_cast<std::uint32_t>(getpid());
  hello.maxInFlight = mOptions.maxInFlight;
  hello.faces = scorer.canDetectFaces();
  hello.name = name;
  auto helloDue = Clock::now();

  auto sendBytes = [&](const std::vector<std::uint8_t>& bytes) {
    try {
      return socket.send(zmq::buffer(bytes), zmq::send_flags::dontwait).has_value();
    } catch (const zmq::error_t&) {
      return false;
    }
  };
  auto sayHello = [&] {
    {
      std::lock_guard lock(mMutex);
      hello.jobsDone = mCounters.jobs;
    }
    protocol::encodeHello(hello, out);
    helloDue = Clock::now() + (sendBytes(out) ? kHelloInterval : kHelloRetry);
  };
  auto count = [&](std::uint64_t WorkerCounters::*field) {
    std::lock_guard lock(mMutex);
    return ++(mCounters.*field);
  };

  protocol::Result result;
  protocol::Thumbnail previous;
  zmq::message_t message;
  std::vector<zmq::pollitem_t> items = {{socket.handle(), 0, ZMQ_POLLIN, 0},
                                        {nullptr, mWakeFd, ZMQ_POLLIN, 0}};
  if (stopFd >= 0) items.push_back({nullptr, stopFd, ZMQ_POLLIN, 0});

  while (true) {
    if (Clock::now() >= helloDue) sayHello();
    const auto wait =
        std::chrono::duration_cast<std::chrono::milliseconds>(helloDue - Clock::now());
    try {
      zmq::poll(items.data(), items.size(), std::max(wait, std::chrono::milliseconds(1)));
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;
      if (e.num() == ETERM) break;
      throw;
    }
    if (items[1].revents || (items.size() > 2 && items[2].revents)) break;
    if (!items[0].revents) continue;

    // Everything that arrived, one message at a time; the hello keeps its schedule in between.
    while (Clock::now() < helloDue) {
      zmq::recv_result_t got;
      try {
        got = socket.recv(message, zmq::recv_flags::dontwait);
      } catch (const zmq::error_t& e) {
        if (e.num() == ETERM) return 0;
        break;
      }
      if (!got) break;
      if (message.more()) {
        // One frame per message: drain the rest and drop the lot.
        while (message.more() && socket.recv(message, zmq::recv_flags::dontwait)) {
        }
        if (shouldLog(count(&WorkerCounters::malformed))) {
          core::logWarn(kModule, "{}: dropped a multi-part message from the server", name);
        }
        continue;
      }
      const auto decoded =
          protocol::decode({static_cast<const std::uint8_t*>(message.data()), message.size()});
      const auto* job = std::get_if<protocol::JobView>(&decoded);
      if (!job) {
        const auto n = count(&WorkerCounters::malformed);
        if (shouldLog(n)) {
          const auto* err = std::get_if<protocol::DecodeError>(&decoded);
          core::logWarn(kModule, "{}: dropped a message from the server that is not a job: {} ({})",
                        name, err ? protocol::toString(err->kind) : "unexpected type",
                        err ? err->detail : std::string("not a job"));
        }
        continue;
      }
      const auto& h = job->header;
      result = protocol::Result{};
      result.jobId = h.jobId;
      result.feedId = h.feedId;
      result.sequence = h.sequence;
      if (domain != 0 && h.clockDomain == domain && monotonicNowNs() > h.deadlineNs) {
        result.status = protocol::ResultStatus::kExpired;
        count(&WorkerCounters::expired);
      } else {
        previous.width = job->previousWidth;
        previous.height = job->previousHeight;
        previous.pixels.assign(job->previous.begin(), job->previous.end());
        const auto input = FrameInput::fromPacked(h.format, h.width, h.height, job->pixels.data());
        if (scorer.score(input, h.detectFaces, previous, result)) {
          count(&WorkerCounters::jobs);
        } else {
          result.status = protocol::ResultStatus::kBadFrame;
          if (shouldLog(count(&WorkerCounters::badFrames))) {
            core::logWarn(kModule, "{}: feed {}: cannot read a {}x{} frame", name, h.feedId,
                          h.width, h.height);
          }
        }
      }
      protocol::encodeResult(result, out);
      sendBytes(out);
    }
  }
  core::logInfo(kModule, "{}: stopping ({} jobs scored, {} expired)", name, counters().jobs,
                counters().expired);
  return 0;
}

int runWorkerProcess(WorkerOptions options) {
  // One core per worker: the server runs as many workers as it wants cores used.
  cv::setNumThreads(1);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  // Blocked before any thread exists (ZeroMQ's I/O threads inherit the mask), then read from a
  // signalfd by the worker loop: a clean stop without a signal handler.
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  const int signalFd = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
  int code = 1;
  {
    MessagingContext context;
    Worker worker(context, std::move(options));
    code = worker.run(signalFd);
  }
  if (signalFd >= 0) close(signalFd);
  return code;
}

}  // namespace tessera::analysis
