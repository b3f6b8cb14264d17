// The participant's page: the phone's camera published to tessera over WHIP (RFC 9725).
// States (body[data-state], window.tesseraJoin.state): idle, ready, connecting, waiting (for the
// artist's approval), live, reconnecting, ended (left, or the artist ended the session), banned,
// needs-code (the link lacks the join token), insecure (opened over plain HTTP from another
// machine: no camera), unsupported (no WebRTC), error. One action shows at a time: "Go live" (or
// "Join again") while not publishing, "Leave" while publishing or trying to.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const token = params.get("t") || params.get("token") || "";

  const join = {
    state: "idle",
    moderation: null,  // the server's word on this session: "waiting", "live", or why it ended
    sessionUrl: null,
    pc: null,
    stream: null,
    info: null,
    attempts: 0,
    joins: 0,
    // Dynacast: what the server asks this phone to send ({width, height, fps, kbps}: a box the
    // picture fits in, keeping its aspect), and the sender parameters last set from it.
    send: null,
    sent: null,
  };
  window.tesseraJoin = join;

  const kDisconnectedGraceMs = 4000;
  // ?dynacast=0 keeps the camera's full picture (benchmarks of larger pictures): the server's
  // "send" is then ignored.
  const dynacast = params.get("dynacast") !== "0";
  // The clock exchange (POST <session>/clock): the server ties this page's clock to its own, so
  // frames are placed by when they were filmed, however late they arrive. ?clock=0 turns it off
  // (the server then uses the RTCP Sender Reports' arrival, as for other WHIP clients).
  const clockExchange = params.get("clock") !== "0";
  join.clock = { rounds: 0, offsetMs: null };
  // This browser's participant id, kept across visits: a ban by the artist names it
  // (docs/http-api.md, "Moderation").
  join.participant = (() => {
    const key = "tessera-participant";
    try {
      let id = localStorage.getItem(key);
      if (!/^[A-Za-z0-9_-]{8,64}$/.test(id || "")) {
        const bytes = new Uint8Array(16);
        crypto.getRandomValues(bytes);
        id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
        localStorage.setItem(key, id);
      }
      return id;
    } catch (e) {
      return "";  // storage off: the server knows the address only
    }
  })();
  let wakeLock = null;
  let retryTimer = null;
  let wantLive = false;

  function setState(state, message) {
    join.state = state;
    document.body.dataset.state = state;
    $("status").textContent = message;
    $("badge").hidden = state !== "live";
    $("go").hidden = !kGoStates.includes(state);
    $("leave").hidden = !kLeaveStates.includes(state);
  }
  const kGoStates = ["idle", "ready", "ended", "error"];
  const kLeaveStates = ["connecting", "waiting", "live", "reconnecting"];

  // A join link without its token (cut off when copied, typed by hand): nothing to retry here.
  const kNeedsCode = "This link needs its code: scan the QR code in the gallery again, or open " +
                     "the whole link you were given.";

  function authHeaders(extra) {
    const h = Object.assign({}, extra || {});
    if (token) h.Authorization = "Bearer " + token;
    return h;
  }

  async function loadInfo() {
    const r = await fetch("/api/v1/join", { cache: "no-store", headers: authHeaders() });
    join.info = await r.json();
    // The watch link: a private channel's comes with its ?t= only for the join token's holders.
    if (join.info.viewer === null) $("watch-line").hidden = true;
    else if (join.info.viewer) $("watch").href = join.info.viewer;
    $("title").textContent = "Join " + (join.info.name || "the painting");
    $("consent").textContent = join.info.consent || "";
    document.title = "Join " + (join.info.name || "the painting") + " · tessera";
  }

  async function startCamera() {
    const facingMode = document.querySelector("input[name=camera]:checked").value;
    document.body.dataset.camera = facingMode;
    if (join.stream) join.stream.getTracks().forEach((t) => t.stop());
    const info = join.info || { width: 160, height: 120, fps: 15 };
    // A small picture at the tile's size: saves the phone's data and the server's CPU.
    // ?w=, ?h= and ?fps= override it (tests and benchmarks of larger pictures).
    const want = (name, fallback) => Number(params.get(name)) || fallback;
    const fps = want("fps", Math.min(info.fps || 15, 15));
    join.stream = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: {
        facingMode,
        width: { ideal: want("w", Math.max(info.width, 160)) },
        height: { ideal: want("h", Math.max(info.height, 120)) },
        frameRate: { ideal: fps, max: Math.max(fps, 30) },
      },
    });
    $("preview").srcObject = join.stream;
    if (join.pc) {
      // Switching cameras while live: replace the track, no renegotiation.
      const sender = join.pc.getSenders().find((s) => s.track && s.track.kind === "video");
      if (sender) await sender.replaceTrack(join.stream.getVideoTracks()[0]);
      // Another camera may film at another size: scale it to the same box.
      if (join.send) applySend(join.send);
    }
  }

  // ICE servers announced by the WHIP endpoint (Link: <url>; rel="ice-server").
  async function iceServers() {
    try {
      const r = await fetch("/whip", { method: "OPTIONS", headers: authHeaders() });
      const links = (r.headers.get("Link") || "").split(/,(?=\s*<)/);
      return links.filter((l) => /rel="ice-server"/.test(l)).map((l) => {
        const server = { urls: l.match(/<([^>]+)>/)[1] };
        const user = l.match(/username="([^"]*)"/);
        const cred = l.match(/credential="([^"]*)"/);
        if (user) server.username = user[1];
        if (cred) server.credential = cred[1];
        return server;
      });
    } catch (e) {
      return [];
    }
  }

  function gatheringDone(pc, timeoutMs) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      pc.addEventListener("icegatheringstatechange", () => {
        if (pc.iceGatheringState === "complete") {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  async function publish() {
    const pc = new RTCPeerConnection({ iceServers: await iceServers() });
    join.pc = pc;
    const track = join.stream.getVideoTracks()[0];
    const transceiver = pc.addTransceiver(track, { direction: "sendonly", streams: [join.stream] });
    // ?codec=h264 or ?codec=vp8 puts that codec first in the offer (the server takes both).
    const preferred = (params.get("codec") || "").toLowerCase();
    if (preferred && transceiver.setCodecPreferences && RTCRtpSender.getCapabilities) {
      const codecs = RTCRtpSender.getCapabilities("video").codecs;
      const first = codecs.filter((c) => c.mimeType.toLowerCase() === "video/" + preferred);
      if (first.length) {
        transceiver.setCodecPreferences(first.concat(codecs.filter((c) => !first.includes(c))));
      }
    }
    try {
      // Until the server says what the tile needs (its first status answer), the tile's size.
      const sendParams = transceiver.sender.getParameters();
      const fps = Number(params.get("fps")) || 15;
      if (dynacast && join.info) {
        sendParams.encodings = [encodingFor(track, {
          width: join.info.width, height: join.info.height, fps,
          kbps: Math.ceil(join.info.width * join.info.height * fps * 0.15 / 1000),
        })];
      } else {
        const pixels = (Number(params.get("w")) || 160) * (Number(params.get("h")) || 120);
        sendParams.encodings = [{ maxBitrate: Math.max(400000, pixels * fps * 0.15),
                                  maxFramerate: fps }];
      }
      await transceiver.sender.setParameters(sendParams);
    } catch (e) { /* older browsers: defaults */ }
    pc.addEventListener("connectionstatechange", () => onConnectionState(pc));
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringDone(pc, 2000);  // the offer carries our candidates
    const postAt = Date.now();
    const query = join.participant ? "?participant=" + join.participant : "";
    const r = await fetch("/whip" + query, {
      method: "POST",
      headers: authHeaders({ "Content-Type": "application/sdp" }),
      body: pc.localDescription.sdp,
    });
    if (r.status !== 201) {
      let detail = r.statusText;
      try { detail = (await r.json()).detail || detail; } catch (e) { /* not JSON */ }
      const err = new Error(detail);
      err.status = r.status;
      err.retryAfter = Number(r.headers.get("Retry-After") || 0);
      throw err;
    }
    join.sessionUrl = new URL(r.headers.get("Location"), location.href).href;
    join.postAt = postAt;
    join.joins += 1;
    await pc.setRemoteDescription({ type: "answer", sdp: await r.text() });
    if (clockExchange) clockRound(join.sessionUrl, null);
    join.moderation = null;
    join.send = null;
    join.sent = null;
    watchStatus(join.sessionUrl);
  }

  // What the artist decided about this session, and what its tile needs: GET <session>/status.
  // With ?since=VERSION (the version the page has) the server holds the request until either
  // changes (at most 20 s), so a new tile size arrives at once; it says when to ask again
  // (next_ms: 0 then, or 2 s / 5 s when it could not hold the request). Without it: at once
  // (when the connection drops).
  async function checkStatus(sessionUrl, since) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 40000);  // the server answers within 20 s
    try {
      const query = since === undefined ? "" : "?since=" + encodeURIComponent(since);
      const r = await fetch(sessionUrl + "/status" + query, {
        cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer",
        signal: abort.signal,
      });
      if (r.status !== 200) return null;
      return await r.json();
    } catch (e) {
      return null;  // a network blip: asked again later
    } finally {
      clearTimeout(timer);
    }
  }

  async function watchStatus(sessionUrl, since) {
    if (join.sessionUrl !== sessionUrl) return;
    const st = await checkStatus(sessionUrl, since || "");
    if (join.sessionUrl !== sessionUrl) return;
    if (st && st.state === "ended") {
      endedByArtist(st.reason);
      return;
    }
    if (st) {
      join.moderation = st.state;
      if (st.state === "waiting" && wantLive) {
        setState("waiting", "Waiting for the artist to let you in…");
      } else if (st.state === "live" && join.state === "waiting" && join.pc &&
                 join.pc.connectionState === "connected") {
        setState("live", "You are live: look at the big screen!");
      }
      if (st.send) applySend(st.send);
    }
    // A failed request waits 5 s; a quick answer is never followed by a busy loop.
    const wait = st ? Number(st.next_ms) : 5000;
    const next = Math.min(30000, Math.max(200, Number.isFinite(wait) ? wait : 5000));
    setTimeout(() => watchStatus(sessionUrl, st ? st.version : since), next);
  }

  // Dynacast: the camera's picture scaled down to fit the server's box (never up), at its
  // frame rate and bitrate. A tile the scene does not draw gets a small box at a frame a
  // second: a trickle that keeps the thumbnail and the scores current.
  function encodingFor(track, send) {
    const s = (track && track.getSettings && track.getSettings()) || {};
    const width = s.width || send.width;
    const height = s.height || send.height;
    return {
      scaleResolutionDownBy: Math.max(1, width / send.width, height / send.height),
      maxFramerate: send.fps,
      maxBitrate: send.kbps * 1000,
    };
  }

  let sendQueue = Promise.resolve();
  function applySend(send) {
    join.send = send;
    if (!dynacast) return;
    // One setParameters at a time (each needs the parameters read just before it).
    sendQueue = sendQueue.then(async () => {
      const pc = join.pc;
      const sender = pc && pc.getSenders().find((x) => x.track && x.track.kind === "video");
      if (!sender || join.send !== send) return;  // gone, or a newer target is queued
      const set = async (preference) => {
        const p = sender.getParameters();
        if (!p.encodings || !p.encodings.length) return null;
        Object.assign(p.encodings[0], encodingFor(sender.track, send));
        if (preference) p.degradationPreference = preference;
        await sender.setParameters(p);
        return p;
      };
      // The box is already what the tile needs: when short of CPU or bandwidth, drop frames
      // rather than shrink the picture further. A browser that refuses the preference still
      // gets the size, rate and bitrate.
      let p;
      try {
        p = await set("maintain-resolution");
      } catch (e) {
        p = await set(null);
      }
      if (!p) return;
      join.sent = Object.assign({ at: Date.now() }, send, {
        scaleResolutionDownBy: p.encodings[0].scaleResolutionDownBy,
      });
    }).catch(() => { /* a browser without setParameters: it sends what it sends */ });
  }

  // The artist kicked or banned this session: stop, say so, never reconnect on our own.
  function endedByArtist(reason) {
    if (reason !== "kicked" && reason !== "banned") return false;
    wantLive = false;
    clearTimeout(retryTimer);
    join.moderation = reason;
    join.sessionUrl = null;
    if (join.pc) join.pc.close();
    join.pc = null;
    if (reason === "banned") {
      setState("banned", "The artist has removed you from this painting.");
    } else {
      setState("ended", "The artist ended your session. You can join again later.");
      $("go").textContent = "Join again";
    }
    return true;
  }

  // The browser stamps its RTCP Sender Reports with its wall clock at start plus a monotonic
  // clock; so does this. One round: t0 sent, t1/t2 the server's receive/send, t3 received; each
  // request carries the previous round. The server says when to come back (a burst, then every
  // few seconds: under 1 kB/s, headers included).
  const clockNow = () => performance.timeOrigin + performance.now();
  async function clockRound(sessionUrl, prev) {
    if (join.sessionUrl !== sessionUrl) return;  // left, or a new session took over
    const t0 = clockNow();
    let next = 3000;
    let round = null;
    try {
      const r = await fetch(sessionUrl + "/clock", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(prev ? { t0, prev } : { t0 }),
        cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer",
      });
      const t3 = clockNow();
      if (r.status === 404) return;  // the session is gone
      if (r.status === 200) {
        const b = await r.json();
        round = [t0, b.t1, b.t2, t3];
        next = b.next_ms;
        join.clock.rounds += 1;
        join.clock.offsetMs = b.offset_ms;
      } else if (r.status === 429) {
        next = 1000 * (Number(r.headers.get("Retry-After")) || 5);
      }
    } catch (e) { /* a network blip: the next round retries */ }
    next = Math.min(60000, Math.max(50, Number(next) || 3000));
    setTimeout(() => clockRound(sessionUrl, round), next);
  }

  function onConnectionState(pc) {
    if (pc !== join.pc || !wantLive) return;
    if (pc.connectionState === "connected") {
      join.attempts = 0;
      if (join.moderation === "waiting") {
        setState("waiting", "Waiting for the artist to let you in…");
      } else {
        setState("live", "You are live: look at the big screen!");
      }
      keepAwake();
    } else if (pc.connectionState === "disconnected") {
      // Often a blip that heals by itself; if not within a few seconds, start afresh (the
      // browser would take half a minute to call it failed).
      setState("reconnecting", "Connection lost, reconnecting…");
      setTimeout(() => {
        if (pc === join.pc && pc.connectionState === "disconnected") reconnect();
      }, kDisconnectedGraceMs);
    } else if (pc.connectionState === "failed") {
      reconnect();
    }
  }

  async function goLive() {
    wantLive = true;
    clearTimeout(retryTimer);
    setState(join.attempts ? "reconnecting" : "connecting",
             join.attempts ? "Reconnecting…" : "Connecting…");
    try {
      if (!join.stream) await startCamera();
      await publish();
    } catch (e) {
      if (e.status === 403) {
        wantLive = false;
        setState("banned", "The artist has removed you from this painting.");
        return;
      }
      if (e.status === 401) {
        wantLive = false;
        if (!token) setState("needs-code", kNeedsCode);
        else setState("error", "This link's code is no longer valid: scan the QR code in the " +
                               "gallery again.");
        return;
      }
      if (e.status === 406 || e.status === 415 || e.status === 400) {
        wantLive = false;
        setState("error", "This browser cannot join: " + e.message);
        return;
      }
      scheduleRetry(e.retryAfter, e.status === 503 ? "The painting is full. " : "");
    }
  }

  function scheduleRetry(retryAfterS, prefix) {
    join.attempts += 1;
    const delay = retryAfterS ? retryAfterS * 1000 : Math.min(30000, 1000 * 2 ** join.attempts);
    setState("reconnecting", `${prefix || ""}Trying again in ${Math.round(delay / 1000)} s…`);
    retryTimer = setTimeout(goLive, delay);
  }

  // A failed connection (network loss): end the old session and start a new one, unless the
  // artist ended it.
  async function reconnect() {
    if (!wantLive) return;
    const old = join.pc;
    const oldUrl = join.sessionUrl;
    if (oldUrl) {
      const st = await checkStatus(oldUrl);
      if (join.sessionUrl !== oldUrl) return;  // handled meanwhile
      if (st && st.state === "ended" && endedByArtist(st.reason)) return;
    }
    join.pc = null;
    join.sessionUrl = null;
    if (old) old.close();
    if (oldUrl) fetch(oldUrl, { method: "DELETE", headers: authHeaders() }).catch(() => {});
    scheduleRetry(0, "Connection lost. ");
  }

  async function leave() {
    wantLive = false;
    clearTimeout(retryTimer);
    const url = join.sessionUrl;
    join.sessionUrl = null;
    if (join.pc) join.pc.close();
    join.pc = null;
    if (url) {
      try { await fetch(url, { method: "DELETE", headers: authHeaders() }); } catch (e) { /* gone */ }
    }
    if (wakeLock) { wakeLock.release().catch(() => {}); wakeLock = null; }
    setState("ended", "You have left the painting. Thank you!");
    $("go").textContent = "Join again";
  }

  async function keepAwake() {
    try {
      if ("wakeLock" in navigator && !wakeLock) {
        wakeLock = await navigator.wakeLock.request("screen");
        wakeLock.addEventListener("release", () => { wakeLock = null; });
      }
    } catch (e) { /* not allowed here: the screen may dim */ }
  }

  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && join.state === "live") keepAwake();
  });
  window.addEventListener("online", () => {
    if (wantLive && join.state !== "live") { clearTimeout(retryTimer); goLive(); }
  });
  window.addEventListener("pagehide", () => {
    // Best effort: free the tile at once when the page goes away.
    if (join.sessionUrl) {
      fetch(join.sessionUrl, { method: "DELETE", headers: authHeaders(), keepalive: true });
    }
  });
  document.querySelectorAll("input[name=camera]").forEach((r) =>
    r.addEventListener("change", () => startCamera().catch((e) =>
      setState("error", "Camera: " + e.message))));
  $("go").addEventListener("click", goLive);
  $("leave").addEventListener("click", leave);

  (async () => {
    try {
      await loadInfo();
    } catch (e) { /* the page still works with defaults */ }
    if (!window.isSecureContext) {
      // Plain HTTP from another machine: the browser hides the camera (the server warned the
      // technician at start-up). Nothing here can fix it.
      setState("insecure", "This page was opened without HTTPS, so phones cannot share " +
               "their camera here. Please tell the gallery staff.");
      return;
    }
    if (join.info && join.info.token_required && !token) {
      setState("needs-code", kNeedsCode);
      return;
    }
    if (!navigator.mediaDevices || !window.RTCPeerConnection) {
      setState("unsupported", "This browser cannot share its camera: try another browser.");
      return;
    }
    try {
      await startCamera();
      $("go").disabled = false;
      setState("ready", "Ready when you are.");
    } catch (e) {
      $("go").disabled = false;  // the button retries the camera
      setState("error", "Camera unavailable: " + e.message);
    }
  })();
})();
