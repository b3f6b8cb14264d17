// tessera viewer: plays the canvas's live HLS and shows a small status overlay fed by /healthz.
// "low latency" plays the same encoded stream over WebRTC instead (WHEP, POST /whep), and falls
// back to HLS when the server refuses (full, off) or the connection does not come up.
//
// A plain script, no framework. It runs after /vendor/hls.min.js (both are deferred, so in order);
// if that file is missing the page still plays where the browser has native HLS.
//
// Everything here runs on the page's main thread. window.tesseraViewer exposes the player's state
// to browser tests (tests/browser/viewer.test.mjs).
(() => {
  'use strict';

  const kPlaylistUrl = '/hls/index.m3u8';
  const kReplayUrl = '/hls/replay.m3u8'; // [output] replay_hours: scrub back, then return to live
  const kHealthUrl = '/healthz';
  const kCanvasStillUrl = '/api/v1/canvas.png';
  const kHealthPollMs = 2000;
  const kHealthTimeoutMs = 1800; // Below the poll period, so polls never pile up.
  const kWatchdogMs = 1000;
  // Playback that stops advancing for this long is shown as reconnecting...
  const kStallShowMs = 3000;
  // ...and after this long (or this long without ever starting) the player is rebuilt from
  // scratch: the usual cause is a restarted server whose playlist began again.
  const kStallRestartMs = 10000;
  const kRetryMinMs = 500;
  const kRetryMaxMs = 5000; // Low, so a viewer opened before the server finds the stream quickly.
  const kIdleMs = 5000;
  const kWhepUrl = '/whep';
  const kWhepGatherMs = 2000; // Our ICE candidates go in the offer (the server does not trickle).
  const kWhepFirstFrameMs = 8000; // No picture this long after the offer: back to HLS.
  // A private channel's link carries ?t=TOKEN ([http] viewer_token): opening the page with it sets
  // a cookie for the players' own requests; the token also rides on those this page makes.
  const viewerToken = new URLSearchParams(location.search).get('t') || '';
  function withToken(url) {
    if (!viewerToken) return url;
    return `${url}${url.includes('?') ? '&' : '?'}t=${encodeURIComponent(viewerToken)}`;
  }

  const State = Object.freeze({
    Connecting: 'connecting',
    Live: 'live',
    Reconnecting: 'reconnecting',
    Unsupported: 'unsupported',
  });
  const kStateLabels = Object.freeze({
    [State.Connecting]: 'connecting…',
    [State.Live]: 'live',
    [State.Reconnecting]: 'reconnecting',
    [State.Unsupported]: 'cannot play video here',
  });

  const video = document.getElementById('canvas');
  const ui = {
    stateBox: document.querySelector('.overlay-state'),
    stateLabel: document.getElementById('state-label'),
    name: document.getElementById('installation-name'),
    status: document.getElementById('stat-status'),
    feeds: document.getElementById('stat-feeds'),
    fps: document.getElementById('stat-fps'),
    scene: document.getElementById('stat-scene'),
    quality: document.getElementById('stat-quality'),
    hint: document.getElementById('hint'),
  };

  let state = State.Connecting;
  let everLive = false;
  let engine = null; // 'hlsjs' | 'native' | null when the browser can play neither.
  let hls = null; // The current Hls instance (hlsjs engine only).
  let retryDelayMs = kRetryMinMs;
  let restartTimer = 0;
  let startedAtMs = 0;
  let lastProgressAtMs = 0;
  let lastCurrentTimeS = -1;
  let mediaRecoveredAtMs = -Infinity;
  let autoplayBlocked = false;
  let source = 'live'; // 'live' | 'replay'
  // 'hls' or 'whep' (low latency); ?mode=lowlatency starts with WHEP.
  let transport = new URLSearchParams(location.search).get('mode') === 'lowlatency' ? 'whep' : 'hls';
  let whep = null; // { pc, location } while a WHEP session is up.
  let whepFallbacks = 0;
  const playlistUrl = () => (source === 'replay' ? kReplayUrl : kPlaylistUrl);
  const counters = { starts: 0, manifestsParsed: 0, fragmentsLoaded: 0, lastError: '' };

  // ---- state and overlay ----------------------------------------------------------------------

  function setState(next) {
    if (state === next) return;
    console.info(`viewer: ${state} -> ${next}`);
    state = next;
    ui.stateBox.dataset.state = next;
    ui.stateLabel.textContent = kStateLabels[next];
    if (next === State.Live) armIdle();
    else setIdle(false);
  }

  function showHint(text) {
    ui.hint.textContent = text;
    ui.hint.hidden = !text;
  }

  // ---- playback -------------------------------------------------------------------------------

  function chooseEngine() {
    // hls.js first wherever MSE exists: recent Chromium also answers "maybe" for native HLS but
    // then ignores our low-latency and retry settings (hls.js's own README recommends this order).
    // Native HLS is the fallback for browsers without MSE, such as older iPhones.
    // ?engine=native or ?engine=hlsjs forces one, for trying things out on a device.
    const hlsjsOk = typeof window.Hls === 'function' && window.Hls.isSupported();
    const nativeOk = video.canPlayType('application/vnd.apple.mpegurl') !== '';
    const forced = new URLSearchParams(location.search).get('engine');
    if (forced === 'native' && nativeOk) return 'native';
    if (forced === 'hlsjs' && hlsjsOk) return 'hlsjs';
    if (hlsjsOk) return 'hlsjs';
    if (nativeOk) return 'native';
    return null;
  }

  function start() {
    restartTimer = 0;
    counters.starts += 1;
    startedAtMs = performance.now();
    lastCurrentTimeS = -1;
    if (state !== State.Live) video.poster = withToken(`${kCanvasStillUrl}?n=${Date.now()}`);
    if (transport === 'whep' && source === 'live') {
      startWhep();
      return;
    }
    showQuality(0, false);
    if (engine === 'hlsjs') startHlsJs();
    else startNative();
    play();
  }

  function stop() {
    stopWhep();
    if (hls) {
      hls.destroy();
      hls = null;
    }
    if (engine === 'native' && video.hasAttribute('src')) {
      video.removeAttribute('src');
      video.load();
    }
  }

  // Tears the player down and builds a new one after a backoff; repeated calls while one is
  // pending are ignored. A low-latency player that fails falls back to HLS.
  function restart(reason) {
    if (restartTimer) return;
    if (transport === 'whep') {
      fallBackToHls(reason);
      return;
    }
    counters.lastError = reason;
    console.warn(`viewer: restarting playback in ${retryDelayMs} ms: ${reason}`);
    setState(everLive ? State.Reconnecting : State.Connecting);
    stop();
    restartTimer = setTimeout(start, retryDelayMs);
    retryDelayMs = Math.min(retryDelayMs * 2, kRetryMaxMs);
  }

  function play() {
    const promise = video.play();
    if (!promise) return;
    promise.then(
      () => {
        if (autoplayBlocked) showHint(''); // Only the "tap" hint: a fallback's reason stays.
        autoplayBlocked = false;
      },
      (err) => {
        // AbortError only means a new load interrupted this play(); start() plays again.
        if (err && err.name === 'NotAllowedError') {
          autoplayBlocked = true;
          showHint('tap to start');
        }
      },
    );
  }

  function startHlsJs() {
    const Hls = window.Hls;
    // A missing playlist (server just started) fails fast, so restart()'s backoff takes over.
    const manifestRetry = {
      maxTimeToFirstByteMs: 5000,
      maxLoadTimeMs: 10000,
      timeoutRetry: { maxNumRetry: 1, retryDelayMs: 0, maxRetryDelayMs: 0 },
      errorRetry: { maxNumRetry: 1, retryDelayMs: 500, maxRetryDelayMs: 500 },
    };
    // The replay is an EVENT playlist, which hls.js treats as live: without this it would pull a
    // viewer who scrubbed back to the live edge (latency beyond liveMaxLatencyDurationCount).
    const replay = source === 'replay';
    const instance = new Hls({
      liveSyncDurationCount: 2,
      liveMaxLatencyDurationCount: replay ? Infinity : 6,
      maxLiveSyncPlaybackRate: replay ? 1 : 1.5, // Catch up by playing faster, not jumping.
      lowLatencyMode: true,
      maxBufferLength: 8,
      backBufferLength: 10,
      manifestLoadPolicy: { default: manifestRetry },
      ...(viewerToken && {
        xhrSetup: (xhr) => xhr.setRequestHeader('Authorization', `Bearer ${viewerToken}`),
      }),
    });
    hls = instance;
    instance.on(Hls.Events.MANIFEST_PARSED, () => {
      counters.manifestsParsed += 1;
      play();
    });
    instance.on(Hls.Events.FRAG_LOADED, () => {
      counters.fragmentsLoaded += 1;
    });
    // With renditions ([output] renditions) hls.js picks one by bandwidth; show which.
    instance.on(Hls.Events.LEVEL_SWITCHED, (_event, data) => {
      const level = instance.levels[data.level];
      showQuality(level ? level.height : 0, instance.levels.length > 1);
    });
    instance.on(Hls.Events.ERROR, (_event, data) => {
      if (instance !== hls || !data.fatal) return; // hls.js retries non-fatal errors itself.
      const what = `${data.type}/${data.details}`;
      const now = performance.now();
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && now - mediaRecoveredAtMs > kStallRestartMs) {
        // A decode or append error: hls.js rebuilds the MediaSource and keeps the playlist.
        mediaRecoveredAtMs = now;
        console.warn(`viewer: recovering from ${what}`);
        instance.recoverMediaError();
        return;
      }
      restart(what);
    });
    instance.attachMedia(video);
    instance.loadSource(playlistUrl());
  }

  function startNative() {
    video.src = withToken(playlistUrl());
  }

  // ---- low latency (WHEP) ---------------------------------------------------------------------

  function whepHeaders() {
    const headers = { 'Content-Type': 'application/sdp' };
    if (viewerToken) headers.Authorization = `Bearer ${viewerToken}`;
    return headers;
  }

  function gatheringDone(pc) {
    if (pc.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, kWhepGatherMs);
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  async function startWhep() {
    const pc = new RTCPeerConnection();
    const session = { pc, location: '' };
    whep = session;
    pc.addTransceiver('video', { direction: 'recvonly' });
    pc.addEventListener('track', (event) => {
      if (whep !== session) return;
      // As little buffering as the network allows: the canvas is live, not a film.
      if ('jitterBufferTarget' in event.receiver) event.receiver.jitterBufferTarget = 0;
      else if ('playoutDelayHint' in event.receiver) event.receiver.playoutDelayHint = 0;
      video.srcObject = event.streams[0] || new MediaStream([event.track]);
      play();
    });
    pc.addEventListener('connectionstatechange', () => {
      if (whep === session && pc.connectionState === 'failed') restart('WebRTC connection failed');
    });
    // No picture in time (UDP blocked on this network, say): HLS instead.
    setTimeout(() => {
      if (whep === session && !(framesDecoded() > 0 && video.currentTime > 0)) {
        restart('no low-latency picture within 8 s');
      }
    }, kWhepFirstFrameMs);
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await gatheringDone(pc);
      const response = await fetch(kWhepUrl, {
        method: 'POST',
        headers: whepHeaders(),
        body: pc.localDescription.sdp,
      });
      if (whep !== session) return;
      if (response.status !== 201) {
        const problem = await response.json().catch(() => ({}));
        restart(`low latency refused (${response.status}${problem.detail ? `: ${problem.detail}` : ''})`);
        return;
      }
      session.location = response.headers.get('Location') || '';
      await pc.setRemoteDescription({ type: 'answer', sdp: await response.text() });
      showQuality(0, false);
      ui.quality.textContent = 'low latency';
    } catch (err) {
      if (whep === session) restart(`low latency failed: ${err.message || err}`);
    }
  }

  function stopWhep() {
    if (!whep) return;
    const { pc, location: url } = whep;
    whep = null;
    pc.close();
    video.srcObject = null;
    // Ends the server's session now rather than when it notices the silence.
    if (url) fetch(url, { method: 'DELETE', headers: whepHeaders(), keepalive: true }).catch(() => {});
  }

  function fallBackToHls(reason) {
    whepFallbacks += 1;
    counters.lastError = reason;
    console.warn(`viewer: ${reason}; playing HLS`);
    showHint(`${reason}; playing the regular stream`);
    stop();
    transport = 'hls';
    updateLatencyButton();
    retryDelayMs = kRetryMinMs;
    start();
  }

  let latencyButton = null;

  function updateLatencyButton() {
    if (!latencyButton) return;
    latencyButton.textContent = transport === 'whep' ? 'regular' : 'low latency';
    latencyButton.setAttribute('aria-pressed', transport === 'whep' ? 'true' : 'false');
  }

  // Offered only when the server has WHEP (OPTIONS /whep answers 204).
  function setupLowLatency() {
    latencyButton = document.getElementById('latency-toggle');
    if (!latencyButton || typeof RTCPeerConnection !== 'function') return;
    fetch(kWhepUrl, { method: 'OPTIONS', cache: 'no-store' })
      .then((r) => {
        latencyButton.hidden = r.status !== 204;
      })
      .catch(() => {});
    updateLatencyButton();
    latencyButton.addEventListener('click', () => {
      transport = transport === 'whep' ? 'hls' : 'whep';
      showHint('');
      updateLatencyButton();
      stop();
      retryDelayMs = kRetryMinMs;
      start();
    });
    window.addEventListener('pagehide', stopWhep);
  }

  // The replay: the same player on the EVENT playlist, with the video's own controls to scrub;
  // the button offers it only when the server keeps one.
  function setupReplay() {
    const button = document.getElementById('replay-toggle');
    if (!button) return;
    fetch(kReplayUrl, { method: 'HEAD', cache: 'no-store' })
      .then((r) => {
        button.hidden = !r.ok;
      })
      .catch(() => {});
    button.addEventListener('click', () => {
      source = source === 'live' ? 'replay' : 'live';
      if (source === 'replay') transport = 'hls';
      updateLatencyButton();
      button.textContent = source === 'live' ? 'replay' : 'back to live';
      video.controls = source === 'replay';
      stop();
      retryDelayMs = kRetryMinMs;
      start();
    });
  }

  function showQuality(height, adaptive) {
    if (!ui.quality) return;
    ui.quality.textContent = height ? `${height}p${adaptive ? ' (auto)' : ''}` : '–';
  }

  // Native HLS chooses the rendition itself; the picture's height says which.
  video.addEventListener('resize', () => {
    if (engine === 'native') showQuality(video.videoHeight, false);
  });

  video.addEventListener('error', () => {
    // hls.js reports media errors through its own ERROR event; this is for native HLS only.
    if (engine !== 'native' || !video.hasAttribute('src')) return;
    restart(`media error ${video.error ? video.error.code : '?'}`);
  });

  // Once a second: is playback advancing? Drives the live/reconnecting state and rebuilds a
  // player that is stuck whatever the reason.
  function watch() {
    if (!engine || restartTimer) return;
    if (source === 'replay' && video.paused) return; // The viewer paused to look.
    const now = performance.now();
    const currentTimeS = video.currentTime;
    const advanced = lastCurrentTimeS >= 0 && currentTimeS > lastCurrentTimeS;
    lastCurrentTimeS = currentTimeS;
    if (advanced) {
      lastProgressAtMs = now;
      retryDelayMs = kRetryMinMs;
      everLive = true;
      setState(State.Live);
      return;
    }
    if (autoplayBlocked) return; // Waiting for a tap, not for the stream.
    if (state === State.Live && now - lastProgressAtMs > kStallShowMs) {
      setState(State.Reconnecting);
    }
    const stuckMs = now - Math.max(lastProgressAtMs, startedAtMs);
    if (stuckMs > kStallRestartMs) {
      restart(`no playback progress for ${Math.round(stuckMs / 1000)} s`);
    }
  }

  function framesDecoded() {
    if (typeof video.getVideoPlaybackQuality === 'function') {
      return video.getVideoPlaybackQuality().totalVideoFrames;
    }
    return video.webkitDecodedFrameCount || 0;
  }

  // ---- /healthz -------------------------------------------------------------------------------

  function text(value) {
    return value === undefined || value === null || value === '' ? '–' : String(value);
  }

  function showHealth(body) {
    ui.status.textContent = text(body.status);
    ui.feeds.textContent = Number.isFinite(body.feeds) ? String(body.feeds) : '–';
    ui.fps.textContent = Number.isFinite(body.fps) ? body.fps.toFixed(1) : '–';
    ui.scene.textContent = typeof body.scene === 'string' ? text(body.scene) : '–';
    const name = typeof body.installation === 'string' ? body.installation : '';
    ui.name.textContent = name;
    ui.name.hidden = !name;
  }

  function showHealthProblem(status) {
    ui.status.textContent = status;
    ui.feeds.textContent = '–';
    ui.fps.textContent = '–';
    ui.scene.textContent = '–';
  }

  async function pollHealth() {
    const begunAtMs = performance.now();
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), kHealthTimeoutMs);
    try {
      const response = await fetch(kHealthUrl, { cache: 'no-store', signal: abort.signal });
      const body = await response.json().catch(() => null);
      if (response.ok && body && typeof body === 'object') showHealth(body);
      else showHealthProblem(response.status === 503 ? 'starting' : `http ${response.status}`);
    } catch {
      showHealthProblem('unreachable');
    } finally {
      clearTimeout(timer);
      const elapsedMs = performance.now() - begunAtMs;
      setTimeout(pollHealth, Math.max(0, kHealthPollMs - elapsedMs));
    }
  }

  // ---- idle chrome ----------------------------------------------------------------------------

  let idleTimer = 0;

  function setIdle(idle) {
    document.body.classList.toggle('idle', idle);
  }

  function armIdle() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => setIdle(state === State.Live), kIdleMs);
  }

  function onActivity() {
    setIdle(false);
    armIdle();
  }

  for (const type of ['pointermove', 'pointerdown', 'keydown']) {
    document.addEventListener(type, onActivity, { passive: true });
  }
  document.addEventListener('pointerdown', () => {
    if (autoplayBlocked) play();
  });

  // ---- start ----------------------------------------------------------------------------------

  window.tesseraViewer = Object.freeze({
    get state() {
      return state;
    },
    get engine() {
      return engine;
    },
    get source() {
      return source;
    },
    get transport() {
      return transport;
    },
    framesDecoded,
    stats: () => ({ ...counters, whepFallbacks, latencyS: hls ? hls.latency : null }),
  });

  engine = chooseEngine();
  if (engine) {
    start();
  } else {
    setState(State.Unsupported);
    showHint('This browser cannot play HLS video.');
  }
  onActivity();
  pollHealth();
  setupReplay();
  setupLowLatency();
  setInterval(watch, kWatchdogMs);
})();
