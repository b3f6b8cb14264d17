# tessera: the two commands are `make run` and `make test`. Both install what is missing first.
#
#   make deps   installs missing Debian packages (apt-get) and the web/test npm packages (npm ci)
#   make build  Release build, leaves build/tessera
#   make run    runs installations/demo.toml (synthetic participants), viewer on :8080
#   make test   builds and runs every test through ctest
#   make sanitize  clang ASan+UBSan and TSan builds, their tests, every fuzz target (.ci/sanitizers)

SHELL := /bin/bash
BUILD_DIR ?= build
INSTALLATION ?= installations/demo.toml
RUN_ARGS ?=
CTEST_ARGS ?=

DEB_PACKAGES := \
  g++ cmake ninja-build ccache pkg-config make git python3 curl ca-certificates \
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev \
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good \
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-nice \
  libsoup-3.0-dev libegl-dev libgl-dev libopengl-dev libgles-dev libegl1-mesa-dev \
  libgl1-mesa-dri libsdl2-dev libpng-dev libjpeg-dev libfmt-dev nlohmann-json3-dev libtomlplusplus-dev \
  glib-networking openssl libzmq3-dev cppzmq-dev libopencv-dev opencv-data opencv-doc libqrencode-dev libnice-dev catch2 \
  ffmpeg xvfb xauth xdotool x11-utils chromium iproute2 util-linux zbar-tools \
  python3-gi gir1.2-gstreamer-1.0 gir1.2-gst-plugins-base-1.0 gir1.2-gst-plugins-bad-1.0 \
  nginx-light libnginx-mod-rtmp libnginx-mod-stream srt-tools liblo-dev liblo-tools \
  gir1.2-gst-rtsp-server-1.0
# Only the sanitizer and fuzz job (make sanitize) needs Clang and its runtimes.
SANITIZE_PACKAGES := clang libclang-rt-14-dev llvm
# Node.js may come from elsewhere (a nodejs build that bundles npm conflicts with Debian's npm):
# the packages are only asked for when the commands are missing.
NODE_PACKAGES := $(if $(shell command -v node),,nodejs) $(if $(shell command -v npm),,npm)

.PHONY: all deps deps-apt deps-npm deps-sanitize configure build run test sanitize clean

all: build

deps: deps-apt deps-npm

deps-sanitize:
	@$(MAKE) --no-print-directory deps-apt PACKAGES="$(SANITIZE_PACKAGES)"

PACKAGES ?= $(DEB_PACKAGES) $(NODE_PACKAGES)
deps-apt:
	@missing=$$(for p in $(PACKAGES); do \
	    dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	  done); \
	if [ -n "$$missing" ]; then \
	  echo "deps: installing" $$missing; \
	  if [ "$$(id -u)" != 0 ]; then SUDO=sudo; fi; \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	else \
	  echo "deps: all Debian packages present"; \
	fi

# npm ci only when the lockfile changed since the last install.
deps-npm:
	@if [ ! -f web/node_modules/.package-lock.json ] || \
	    [ web/package-lock.json -nt web/node_modules/.package-lock.json ]; then \
	  echo "deps: npm ci in web/"; \
	  npm ci --prefix web --no-audit --no-fund; \
	else \
	  echo "deps: web/node_modules up to date"; \
	fi

configure: deps
	@cmake -S . -B $(BUILD_DIR) -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null

build: configure
	@cmake --build $(BUILD_DIR)

run: build
	./$(BUILD_DIR)/tessera run $(INSTALLATION) $(RUN_ARGS)

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure --timeout 300 $(CTEST_ARGS)

sanitize: deps deps-sanitize
	.ci/sanitizers

clean:
	rm -rf $(BUILD_DIR)
