#include "render/window_presenter.hpp"

#include <pthread.h>

#include "core/log.hpp"
#include "platform/gl.hpp"
#include "platform/gl_surface.hpp"
#include "platform/system.hpp"

namespace tessera::render {
namespace {

constexpr const char* kModule = "window";
// Without new frames the windows are still served this often: events (displays coming and
// going) are handled, and a window put back on its display is drawn again.
constexpr auto kIdlePeriod = std::chrono::milliseconds(100);
constexpr auto kRedrawPeriod = std::chrono::seconds(1);
constexpr int kNice = 5;

}  // namespace

// The presenter thread's state: the windows, their context's texture and the statistics.
class WindowPresenter::Thread {
 public:
  Thread(WindowPresenter& owner, std::unique_ptr<platform::GlSurface> surface)
      : mOwner(owner), mSurface(std::move(surface)), mTexture(platform::makeTexture()) {
    glBindTexture(GL_TEXTURE_2D, mTexture.id());
    glTexStorage2D(GL_TEXTURE_2D, 1, GL_RGBA8, owner.mCanvas.width, owner.mCanvas.height);
    mStatsStart = core::Clock::now();
  }

  void loop() {
    while (auto frame = next()) {
      if (frame->get()) upload(**frame);
      mSurface->pollEvents();
      const auto now = core::Clock::now();
      if (frame->get() || (mShownAny && now - mLastPresent >= kRedrawPeriod)) present(now);
      updateStatistics(now);
    }
  }

 private:
  // The next frame to show (null inside: none new), or nullopt once stopping.
  std::optional<core::FrameRef> next() {
    std::unique_lock lock(mOwner.mMutex);
    mOwner.mWake.wait_for(lock, kIdlePeriod,
                          [&] { return mOwner.mStop || mOwner.mPending != nullptr; });
    if (mOwner.mStop) return std::nullopt;
    return std::move(mOwner.mPending);
  }

  void upload(const core::VideoFrame& f) {
    if (f.format != core::PixelFormat::kRgba || f.width != mOwner.mCanvas.width ||
        f.height != mOwner.mCanvas.height || f.strideBytes % 4 != 0) {
      return;  // not a canvas frame: the render thread hands over nothing else
    }
    glBindTexture(GL_TEXTURE_2D, mTexture.id());
    glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, static_cast<GLint>(f.strideBytes / 4));
    // Row 0 (the canvas's top) at t = 0, as WarpPass expects.
    glTexSubImage2D(GL_TEXTURE_2D, 0, 0, 0, f.width, f.height, GL_RGBA, GL_UNSIGNED_BYTE, f.data);
    glPixelStorei(GL_UNPACK_ROW_LENGTH, 0);
    mShownAny = true;
  }

  void present(core::Clock::time_point start) {
    mSurface->present(mTexture.id(), mOwner.mCanvas);
    mLastPresent = core::Clock::now();
    mWindowMs += core::toMs(mLastPresent - start);
    ++mWindowPresents;
    ++mPresents;
  }

  void updateStatistics(core::Clock::time_point now) {
    if (now - mStatsStart < std::chrono::seconds(1)) return;
    const double secs = std::chrono::duration<double>(now - mStatsStart).count();
    WindowStats s;
    s.windows = mSurface->visibleWindows();
    s.presents = mPresents;
    {
      std::lock_guard lock(mOwner.mMutex);
      s.replaced = mOwner.mReplaced;
    }
    s.presentMsAvg = mWindowPresents ? mWindowMs / static_cast<double>(mWindowPresents) : 0;
    s.presentsPerS = static_cast<double>(mWindowPresents) / secs;
    {
      std::lock_guard lock(mOwner.mStatsMutex);
      mOwner.mStats = s;
    }
    mStatsStart = now;
    mWindowMs = 0;
    mWindowPresents = 0;
  }

  WindowPresenter& mOwner;
  std::unique_ptr<platform::GlSurface> mSurface;
  platform::GlTexture mTexture;
  bool mShownAny = false;
  core::Clock::time_point mLastPresent{};
  core::Clock::time_point mStatsStart{};
  double mWindowMs = 0;
  std::uint64_t mWindowPresents = 0;
  std::uint64_t mPresents = 0;
};

WindowPresenter::WindowPresenter(std::string title, std::vector<core::WindowConfig> windows,
                                 core::SizePx canvas)
    : mTitle(std::move(title)), mWindows(std::move(windows)), mCanvas(canvas) {}

WindowPresenter::~WindowPresenter() {
  stop();
}

bool WindowPresenter::start(std::string* error) {
  std::promise<std::string> ready;
  auto result = ready.get_future();
  mThread = std::thread([this, &ready] { run(&ready); });
  const std::string failure = result.get();
  if (!failure.empty()) {
    mThread.join();
    if (error) *error = failure;
    return false;
  }
  return true;
}

void WindowPresenter::stop() {
  {
    std::lock_guard lock(mMutex);
    mStop = true;
  }
  mWake.notify_one();
  if (mThread.joinable()) mThread.join();
}

void WindowPresenter::show(core::FrameRef frame) {
  if (!frame) return;
  {
    std::lock_guard lock(mMutex);
    if (frame->sequence == mPendingSequence) return;  // the canvas did not change
    if (mPending) ++mReplaced;
    mPendingSequence = frame->sequence;
    mPending = std::move(frame);
  }
  mWake.notify_one();
}

WindowStats WindowPresenter::stats() const {
  std::lock_guard lock(mStatsMutex);
  return mStats;
}

void WindowPresenter::run(std::promise<std::string>* ready) {
  pthread_setname_np(pthread_self(), "tessera-windows");
  // Below the render thread and the encoder: when the CPU is short (a software rasteriser
  // drawing the windows), the windows show fewer frames, the canvas keeps its rate. The GL
  // driver's threads, made with the context below, inherit this.
  if (!platform::setCurrentThreadNice(kNice)) {
    core::logDebug(kModule, "could not lower the window thread's priority");
  }
  std::string error;
  auto surface = platform::createWindowSurface(mTitle, mWindows, mCanvas, &error);
  if (!surface) {
    ready->set_value(error.empty() ? "the windows could not be opened" : error);
    return;
  }
  core::logInfo(kModule, "{} for a {}x{} canvas", surface->description(), mCanvas.width,
                mCanvas.height);
  auto thread = std::make_unique<Thread>(*this, std::move(surface));
  ready->set_value({});  // `ready` dies with start(); do not touch it again
  thread->loop();
}

}  // namespace tessera::render
