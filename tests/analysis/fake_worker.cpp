// tessera_fake_worker: an attacker's analysis worker, for the e2e tests. Opens N peers (one
// DEALER socket each, so N routing identities) to a server's analysis endpoint, says hello on
// each every second, and either keeps every job it is sent without answering (`--hold`) or
// answers every job with forged scores (`--forge`: pure green, motion 1). Prints one JSON line
// when done: what got in and what came out.
//
//   tessera_fake_worker --connect EP [--peers N] [--seconds S] [--hold | --forge]
//                       [--server-key KEY --secret-key KEY] [--pid PID]
#include <unistd.h>

#include <zmq.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "analysis/protocol.hpp"

namespace protocol = tessera::analysis::protocol;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  std::string endpoint;
  std::string serverKey;
  std::string secretKey;
  int peers = 1;
  double seconds = 5;
  bool forge = false;
  std::uint32_t pid = static_cast<std::uint32_t>(getpid());
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "--connect" && v)
      endpoint = argv[++i];
    else if (a == "--server-key" && v)
      serverKey = argv[++i];
    else if (a == "--secret-key" && v)
      secretKey = argv[++i];
    else if (a == "--peers" && v)
      peers = std::atoi(argv[++i]);
    else if (a == "--seconds" && v)
      seconds = std::atof(argv[++i]);
    else if (a == "--pid" && v)
      pid = static_cast<std::uint32_t>(std::atol(argv[++i]));
    else if (a == "--forge")
      forge = true;
    else if (a == "--hold")
      forge = false;
    else {
      std::fprintf(stderr, "fake_worker: bad argument %s\n", a.c_str());
      return 2;
    }
  }
  if (endpoint.empty() || peers < 1 || peers > 1000) return 2;

  zmq::context_t context(1);
  context.set(zmq::ctxopt::max_sockets, 2048);
  std::vector<zmq::socket_t> sockets;
  std::vector<zmq::pollitem_t> items;
  char publicKey[41] = {};
  if (!secretKey.empty() && zmq_curve_public(publicKey, secretKey.c_str()) != 0) return 2;
  for (int i = 0; i < peers; ++i) {
    zmq::socket_t s(context, zmq::socket_type::dealer);
    s.set(zmq::sockopt::linger, 0);
    s.set(zmq::sockopt::sndhwm, 16);
    if (!serverKey.empty()) {
      s.set(zmq::sockopt::curve_serverkey, serverKey);
      s.set(zmq::sockopt::curve_publickey, std::string(publicKey));
      s.set(zmq::sockopt::curve_secretkey, secretKey);
    }
    s.connect(endpoint);
    sockets.push_back(std::move(s));
  }
  for (auto& s : sockets) items.push_back({s.handle(), 0, ZMQ_POLLIN, 0});

  std::uint64_t hellos = 0, jobs = 0, results = 0;
  std::vector<std::uint8_t> out;
  zmq::message_t m;
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  auto helloDue = Clock::now();
  while (Clock::now() < end) {
    if (Clock::now() >= helloDue) {
      for (int i = 0; i < peers; ++i) {
        protocol::encodeHello({pid, protocol::kMaxInFlight, true, 0, "fake-" + std::to_string(i)},
                              out);
        if (sockets[static_cast<std::size_t>(i)].send(zmq::buffer(out), zmq::send_flags::dontwait))
          ++hellos;
      }
      helloDue = Clock::now() + std::chrono::seconds(1);
    }
    zmq::poll(items.data(), items.size(), std::chrono::milliseconds(20));
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!items[i].revents) continue;
      while (sockets[i].recv(m, zmq::recv_flags::dontwait)) {
        const auto decoded =
            protocol::decode({static_cast<const std::uint8_t*>(m.data()), m.size()});
        const auto* job = std::get_if<protocol::JobView>(&decoded);
        if (!job) continue;
        ++jobs;
        if (!forge) continue;
        protocol::Result r;
        r.jobId = job->header.jobId;
        r.feedId = job->header.feedId;
        r.sequence = job->header.sequence;
        r.meanRgb = {0, 255, 0};
        r.brightness = 0.587f;
        r.motion = 1;
        r.motionValid = true;
        r.palette[0] = {{0, 255, 0}, 1};
        protocol::encodeResult(r, out);
        if (sockets[i].send(zmq::buffer(out), zmq::send_flags::dontwait)) ++results;
      }
    }
  }
  std::printf(
      "{\"peers\": %d, \"hellos_sent\": %llu, \"jobs_received\": %llu, "
      "\"results_sent\": %llu}\n",
      peers, static_cast<unsigned long long>(hellos), static_cast<unsigned long long>(jobs),
      static_cast<unsigned long long>(results));
  return 0;
}
