#include "render/render_loop.hpp"

#include <pthread.h>

#include <future>
#include <vector>

#include "core/log.hpp"
#include "platform/system.hpp"
#include "render/render_thread.hpp"

namespace tessera::render {
namespace {

constexpr const char* kModule = "render";
using Clock = std::chrono::steady_clock;

std::vector<compositor::SceneSpec> scenesOrDefault(std::vector<compositor::SceneSpec> scenes) {
  if (scenes.empty()) scenes.emplace_back();  // a grid
  return scenes;
}

}  // namespace

RenderLoop::RenderLoop(RenderSettings settings, core::LatestMailbox<core::FeedTable>& feeds,
                       CanvasListener* listener, core::LatestMailbox<core::ScoreTable>* scores)
    : mSettings(std::move(settings)),
      mFeeds(feeds),
      mListener(listener),
      mPool(core::BufferPool::create(static_cast<std::size_t>(mSettings.canvas.width) *
                                     mSettings.canvas.height * 4)),
      mScores(scores ? scores : &mOwnScores) {
  mSettings.scenes = scenesOrDefault(std::move(mSettings.scenes));
  for (const core::SizePx size : mSettings.i420Sizes) {
    mI420Pools.push_back(core::BufferPool::create(core::i420Layout(size.width, size.height).bytes));
  }
}

void RenderLoop::requestRgba(std::chrono::milliseconds duration) {
  const std::int64_t until = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 (core::Clock::now() + duration).time_since_epoch())
                                 .count();
  std::int64_t seen = mRgbaUntilNs.load();
  while (seen < until && !mRgbaUntilNs.compare_exchange_weak(seen, until)) {
  }
}

void RenderLoop::setScene(std::size_t index) {
  if (index < mSettings.scenes.size()) mSceneRequests.put(std::make_shared<std::size_t>(index));
}

void RenderLoop::requestFlash(std::chrono::milliseconds duration) {
  mFlashRequests.put(std::make_shared<std::chrono::milliseconds>(duration));
}

RenderLoop::~RenderLoop() {
  stop();
}

bool RenderLoop::start(std::string* error) {
  std::promise<std::string> ready;
  auto result = ready.get_future();
  mStop = false;
  mThread = std::thread([this, &ready] { run(&ready); });
  std::string failure = result.get();
  if (!failure.empty()) {
    mThread.join();
    if (error) *error = failure;
    return false;
  }
  return true;
}

void RenderLoop::stop() {
  mStop = true;
  if (mThread.joinable()) mThread.join();
}

bool RenderLoop::changeParams(std::vector<ParamChange> changes) {
  std::lock_guard lock(mParamMutex);
  if (mPendingParams.size() + changes.size() > kMaxPendingParams) return false;
  for (auto& c : changes) mPendingParams.push_back(std::move(c));
  return true;
}

double RenderLoop::secondsSinceTick() const {
  const std::int64_t at = mTickStartNs.load(std::memory_order_relaxed);
  if (at == 0) return 0;
  const std::int64_t now = Clock::now().time_since_epoch() / std::chrono::nanoseconds(1);
  return static_cast<double>(now - at) / 1e9;
}

RenderStats RenderLoop::stats() const {
  std::lock_guard lock(mStatsMutex);
  return mStats;
}

void RenderLoop::run(std::promise<std::string>* ready) {
  pthread_setname_np(pthread_self(), "tessera-render");
  // The render thread and the GL driver's worker threads (llvmpipe's rasterizers, created with
  // the context below, inherit this) come before the feeds' streaming threads.
  if (!platform::setCurrentThreadNice(-5)) {
    core::logDebug(kModule, "could not raise the render thread's priority (needs CAP_SYS_NICE)");
  }
  std::string error;
  auto thread = std::make_unique<RenderThread>(*this);
  if (!thread->setUp(&error)) {
    thread.reset();
    ready->set_value(error.empty() ? "render set-up failed" : error);
    return;
  }
  core::logInfo(kModule, "canvas {}x{} at {} fps on {}", mSettings.canvas.width,
                mSettings.canvas.height, mSettings.fps, thread->description());
  {
    std::lock_guard lock(mStatsMutex);
    mStats.renderer = thread->description();
  }
  ready->set_value({});  // `ready` dies with start(); do not touch it again
  thread->run();
  mTickStartNs.store(0, std::memory_order_relaxed);
}

}  // namespace tessera::render
