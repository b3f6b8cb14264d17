// Analysis figures (docs/performance.md):
//
//  1. scorer cost on one core: frames per second per worker core, faces off and on, at the tile
//     size and larger (why analysis runs on the tiles);
//  2. a crowd: N feeds at rate_hz through the real service and real `tessera worker` processes
//     over ipc: CPU of the workers and of the server's I/O thread, frame-to-score latency, drops.
//
//   tessera_bench_analysis [--scorer-only] [--feeds 256] [--rate 5] [--faces-hz 0.2]
//                          [--workers 1] [--seconds 20] [--tessera PATH]
//
// Content: close-ups from Debian's opencv-doc sample images (a face, a baboon, fruit), panning a
// few pixels a frame so there is motion to measure, decoded as ingest delivers them (I420).
#include <glib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <dirent.h>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "analysis/messaging.hpp"
#include "analysis/scorer.hpp"
#include "analysis/service.hpp"
#include "analysis/supervisor.hpp"
#include "core/log.hpp"

using namespace tessera;
using Clock = std::chrono::steady_clock;

namespace {

const char* kSamples = "/usr/share/doc/opencv-doc/examples/data";

// Frames of a slow pan over each sample picture, at `size`, as packed I420.
std::vector<core::FrameRef> panFrames(cv::Size size, int count) {
  std::vector<core::FrameRef> frames;
  const std::pair<const char*, cv::Rect> sources[] = {
      {"messi5.jpg", {200, 30, 140, 105}},  // one face, close up
      {"baboon.jpg", {100, 100, 320, 240}},
      {"fruits.jpg", {80, 80, 320, 240}},
  };
  for (const auto& [name, rect] : sources) {
    const cv::Mat image = cv::imread(std::string(kSamples) + "/" + name);
    if (image.empty()) {
      std::fprintf(stderr, "missing %s/%s (Debian package opencv-doc)\n", kSamples, name);
      std::exit(1);
    }
    for (int i = 0; i < count; ++i) {
      cv::Rect r = rect;
      r.x = std::min(image.cols - r.width, r.x + (i % 16) * 2);
      cv::Mat scaled, yuv;
      cv::resize(image(r), scaled, size, 0, 0, cv::INTER_AREA);
      cv::cvtColor(scaled, yuv, cv::COLOR_BGR2YUV_I420);
      frames.push_back(core::VideoFrame::fromI420(
          size.width, size.height, std::vector<std::uint8_t>(yuv.datastart, yuv.dataend)));
    }
  }
  return frames;
}

double cpuSecondsOfProcess(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(in, line);
  std::istringstream fields(line.substr(line.rfind(')') + 2));
  std::string f;
  long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && fields >> f; ++i) {
    if (i == 14) utime = std::stol(f);
    if (i == 15) stime = std::stol(f);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU seconds of this process's thread called `name` (the analysis I/O thread).
double cpuSecondsOfThread(const char* name) {
  DIR* dir = opendir("/proc/self/task");
  double total = 0;
  while (dirent* e = dir ? readdir(dir) : nullptr) {
    if (e->d_name[0] == '.') continue;
    const std::string base = std::string("/proc/self/task/") + e->d_name;
    std::ifstream comm(base + "/comm");
    std::string c;
    std::getline(comm, c);
    if (c != name) continue;
    std::ifstream in(base + "/stat");
    std::string line;
    std::getline(in, line);
    std::istringstream fields(line.substr(line.rfind(')') + 2));
    std::string f;
    long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> f; ++i) {
      if (i == 14) utime = std::stol(f);
      if (i == 15) stime = std::stol(f);
    }
    total += static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  if (dir) closedir(dir);
  return total;
}

void benchScorer() {
  std::printf("scorer on one core (cv::setNumThreads(1)), per frame:\n");
  std::printf("  %-9s %-6s %10s %10s %12s\n", "size", "faces", "mean us", "p99 us", "frames/s");
  cv::setNumThreads(1);
  analysis::Scorer scorer{std::filesystem::path(analysis::kDefaultFaceCascade)};
  for (const cv::Size size : {cv::Size{160, 120}, cv::Size{320, 240}}) {
    const auto frames = panFrames(size, 32);
    for (const bool faces : {false, true}) {
      std::vector<double> us;
      analysis::protocol::Thumbnail previous;
      analysis::protocol::Result r;
      const int n = faces ? 150 : 1500;
      for (int i = 0; i < n; ++i) {
        const auto& f = frames[static_cast<std::size_t>(i) % frames.size()];
        const auto t = Clock::now();
        scorer.score(analysis::FrameInput::fromFrame(*f), faces, previous, r);
        us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
        previous = r.thumbnail;
      }
      std::sort(us.begin(), us.end());
      double sum = 0;
      for (const double v : us) sum += v;
      const double mean = sum / static_cast<double>(us.size());
      std::printf("  %4dx%-4d %-6s %10.0f %10.0f %12.0f\n", size.width, size.height,
                  faces ? "on" : "off", mean, us[us.size() * 99 / 100], 1e6 / mean);
    }
  }
}

struct CrowdOptions {
  int feeds = 256;
  double rateHz = 5;
  double facesHz = 0.2;
  int workers = 1;
  int seconds = 20;
  std::string tessera = TESSERA_BINARY_DIR "/tessera";
};

void benchCrowd(const CrowdOptions& o) {
  std::printf(
      "\ncrowd: %d feeds at %.1f Hz, faces at %.2f Hz per feed, %d worker process(es), "
      "%d s\n",
      o.feeds, o.rateHz, o.facesHz, o.workers, o.seconds);
  const auto frames = panFrames({160, 120}, 16);
  core::LatestMailbox<core::FeedTable> table;
  auto t = std::make_shared<core::FeedTable>();
  t->version = 1;
  for (int i = 0; i < o.feeds; ++i) {
    t->feeds.push_back(std::make_shared<core::FeedChannel>(
        core::FeedId{static_cast<std::uint32_t>(i + 1)}, core::FeedSource::kPull, "bench://"));
  }
  table.put(t);

  // Cameras at 15 fps: each feed shows one of the pans from its own starting frame.
  std::atomic<bool> stop{false};
  std::thread cameras([&] {
    std::uint64_t n = 0;
    auto next = Clock::now();
    while (!stop) {
      ++n;
      for (std::size_t i = 0; i < t->feeds.size(); ++i) {
        const auto& src = frames[(i * 7 + n) % frames.size()];
        auto f = std::make_shared<core::VideoFrame>(*src);  // shares the pixels
        f->sequence = n;
        f->arrival = Clock::now();
        t->feeds[i]->pushFrame(std::move(f), 160, 120);
      }
      next += std::chrono::milliseconds(66);
      std::this_thread::sleep_until(next);
    }
  });

  analysis::MessagingContext context;
  analysis::ServiceSettings s;
  s.rateHz = o.rateHz;
  s.facesHz = o.facesHz;
  analysis::AnalysisService service(context, s, table);
  std::string error;
  if (!service.start(&error)) {
    std::fprintf(stderr, "cannot start: %s\n", error.c_str());
    std::exit(1);
  }
  struct Forward : analysis::WorkerSupervisorListener {
    analysis::AnalysisService* service;
    void onWorkerStarted(std::uint32_t pid) override { service->workerStarted(pid); }
    void onWorkerExited(std::uint32_t pid) override { service->workerExited(pid); }
  } forward;
  forward.service = &service;
  analysis::SupervisorSettings ss;
  ss.count = o.workers;
  ss.executable = o.tessera;
  ss.endpoint = service.localEndpoint();
  ss.nice = 0;
  analysis::WorkerSupervisor supervisor(ss, &forward);
  supervisor.start();

  const auto until = [](std::chrono::milliseconds d) { return Clock::now() + d; };
  auto run = [&](Clock::time_point end) {
    while (Clock::now() < end) {
      if (!g_main_context_iteration(nullptr, FALSE)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
  };
  run(until(std::chrono::milliseconds(3000)));  // warm up: workers start, feeds get staggered
  const auto before = service.stats();
  const auto pids = supervisor.pids();
  double workerCpu0 = 0;
  for (const pid_t p : pids) workerCpu0 += cpuSecondsOfProcess(p);
  const double ioCpu0 = cpuSecondsOfThread("tessera-analyse");
  const auto started = Clock::now();
  run(until(std::chrono::milliseconds(o.seconds * 1000)));
  const double wall = std::chrono::duration<double>(Clock::now() - started).count();
  double workerCpu1 = 0;
  for (const pid_t p : pids) workerCpu1 += cpuSecondsOfProcess(p);
  const double ioCpu1 = cpuSecondsOfThread("tessera-analyse");
  const auto after = service.stats();

  const auto& c0 = before.counters;
  const auto& c1 = after.counters;
  const double results = static_cast<double>(c1.results - c0.results);
  const double wanted = o.feeds * o.rateHz * wall;
  std::printf("  scored %.0f frames/s of %.0f wanted (%.0f%%)\n", results / wall, wanted / wall,
              100 * results / wanted);
  std::printf("  CPU: workers %.2f cores, server I/O thread %.3f cores; total %.2f cores\n",
              (workerCpu1 - workerCpu0) / wall, (ioCpu1 - ioCpu0) / wall,
              (workerCpu1 - workerCpu0 + ioCpu1 - ioCpu0) / wall);
  std::printf("  worker time (as reported): scoring %.3f cores, of which faces %.3f cores\n",
              (after.scoreSeconds - before.scoreSeconds) / wall,
              (after.faceSeconds - before.faceSeconds) / wall);
  std::printf(
      "  latency frame->score: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms "
      "(send->result p50 %.1f ms, p99 %.1f ms)\n",
      after.latency.quantileSeconds(0.5) * 1e3, after.latency.quantileSeconds(0.9) * 1e3,
      after.latency.quantileSeconds(0.99) * 1e3, after.roundTrip.quantileSeconds(0.5) * 1e3,
      after.roundTrip.quantileSeconds(0.99) * 1e3);
  std::printf("  dropped: %llu timed out, %llu expired, %llu late; backlog %d; live workers %d\n",
              static_cast<unsigned long long>(c1.timedOut - c0.timedOut),
              static_cast<unsigned long long>(c1.expired - c0.expired),
              static_cast<unsigned long long>(c1.late - c0.late), after.backlog, after.liveWorkers);
  supervisor.stop();
  service.stop();
  stop = true;
  cameras.join();
}

}  // namespace

int main(int argc, char** argv) {
  core::setLogLevel(core::LogLevel::kWarn);
  CrowdOptions o;
  bool scorerOnly = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--scorer-only")
      scorerOnly = true;
    else if (a == "--feeds")
      o.feeds = std::stoi(next());
    else if (a == "--rate")
      o.rateHz = std::stod(next());
    else if (a == "--faces-hz")
      o.facesHz = std::stod(next());
    else if (a == "--workers")
      o.workers = std::stoi(next());
    else if (a == "--seconds")
      o.seconds = std::stoi(next());
    else if (a == "--tessera")
      o.tessera = next();
    else {
      std::fprintf(stderr, "unknown option %s\n", a.c_str());
      return 2;
    }
  }
  benchScorer();
  if (!scorerOnly) benchCrowd(o);
  return 0;
}
