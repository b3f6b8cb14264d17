// Crowd-sync participants: headless Chromium pages join a running tessera through the REAL join
// page; each page's camera is a canvas that flashes white at one shared wall-clock instant, and
// each page holds its encoded frames back for its own extra delay before they are sent.
//
//   TESSERA_URL=http://127.0.0.1:18080 TESSERA_TOKEN=secret SYNC_DELAYS=0,250,500 \
//   node tests/browser/sync_participants.mjs
//
// Why the delay is injected with WebRTC Encoded Transform (insertable streams): the page's
// RTCPeerConnection is made with `encodedInsertableStreams: true` and the video sender's encoded
// frames pass through a TransformStream that holds each one for the participant's delay. The
// capture timestamps (RTP timestamps from the canvas's capture time) and the RTCP Sender Reports
// (libwebrtc maps them from each frame's capture time) stay true; only delivery is late, as on a
// slow network or behind a slow encoder. A netns/tc delay would also delay the Sender Reports and
// the clock exchange (and needs root inside the test's namespace); delaying the canvas drawing
// would change what was "filmed" when, which is not lateness at all.
//
// Environment: SYNC_DELAYS (ms, one participant each, joined in this order), SYNC_CLOCK (0: the
// page does no clock exchange, ?clock=0), SYNC_FPS (camera fps, default 15), SYNC_HOLD_MS (how
// long after the flash to stay live, default 3000), SYNC_LIVE_MS (extra time live before the
// flash, for the bytes/s figure, default 0), SYNC_TIMECODE=1 (each picture also carries its
// capture time: the top quarter holds 24 blocks, 20 bits of Unix ms mod 2^20 then a 4-bit
// checksum, read back by bench/bench_sync_browsers.py), SYNC_PHASE=free (cameras draw on their own
// timers, as phones do; the default `grid` draws every camera on one wall-clock frame grid with
// the flash on a grid line, so a flash test measures the server's alignment and not the cameras'
// phase, which alone moves a tile's switch to white by up to half a camera frame under the
// nearest-capture-time rule), SYNC_CUE=1 (with TESSERA_ADMIN_TOKEN: an operator's cue, a flash
// in the room, before the live time and the measured flash). Prints one JSON object on stdout.
// Every wait is bounded.
import { createRequire } from 'node:module';
import path from 'node:path';

import { waitFor } from './support.mjs';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const baseUrl = (process.env.TESSERA_URL || '').replace(/\/+$/, '');
const token = process.env.TESSERA_TOKEN || '';
const delays = (process.env.SYNC_DELAYS || '0,500').split(',').map(Number);
const clockOn = process.env.SYNC_CLOCK !== '0';
const fps = Number(process.env.SYNC_FPS || 15);
const holdMs = Number(process.env.SYNC_HOLD_MS || 3000);
const liveMs = Number(process.env.SYNC_LIVE_MS || 0);
const timecode = process.env.SYNC_TIMECODE === '1';
const phaseGrid = (process.env.SYNC_PHASE || 'grid') !== 'free';
const cueOn = process.env.SYNC_CUE === '1';
const adminToken = process.env.TESSERA_ADMIN_TOKEN || '';
const chromiumPath = process.env.TESSERA_CHROMIUM || '/usr/bin/chromium';
const kFlashMs = 1500;  // how long the cameras stay white
const kArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection',
];

const log = (...a) => console.error('[sync]', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function whipFeeds() {
  const r = await fetch(`${baseUrl}/api/v1/feeds`);
  return (await r.json()).filter((f) => f.source === 'whip');
}

// Runs in each page before its scripts: the fake camera and the delayed sender.
function initScript({ delayMs, fps, flashMs, timecode, phaseGrid }) {
  const now = () => performance.timeOrigin + performance.now();
  const period = 1000 / fps;
  let flashAt = Infinity;
  let track = null;
  let draw = null;
  navigator.mediaDevices.getUserMedia = async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 160;
    canvas.height = 120;
    const ctx = canvas.getContext('2d');
    const stream = canvas.captureStream(0);  // a frame exactly when requestFrame() is called
    track = stream.getVideoTracks()[0];
    let n = 0;
    draw = () => {
      const t = now();
      // On the grid a frame belongs to its grid line (a timer fires a little late, never early).
      const at = phaseGrid ? Math.round(t / period) * period : t;
      const white = at >= flashAt - 1 && at < flashAt + flashMs;
      ctx.fillStyle = white ? '#ffffff' : '#202020';
      ctx.fillRect(0, 0, 160, 120);
      // A small moving square keeps the encoder sending real frames.
      ctx.fillStyle = white ? '#ffffff' : '#505050';
      ctx.fillRect((n++ * 4) % 148, 54, 12, 12);
      if (timecode) drawTimecode(ctx, Math.round(t));
      track.requestFrame();
      window.__draws = n;
    };
    if (phaseGrid) {
      const onGrid = () => {
        draw();
        setTimeout(onGrid, period - (now() % period));
      };
      setTimeout(onGrid, period - (now() % period));
    } else {
      setInterval(draw, period);
    }
    return stream;
  };
  // Two rows of 12 blocks (13 x 12 px) over a black band: bit 23 first.
  function drawTimecode(ctx, ms) {
    const v = ms % (1 << 20);
    const check = (v ^ (v >> 4) ^ (v >> 8) ^ (v >> 12) ^ (v >> 16)) & 15;
    const word = v * 16 + check;
    ctx.fillStyle = '#000000';
    ctx.fillRect(0, 0, 160, 28);
    ctx.fillStyle = '#ffffff';
    for (let i = 0; i < 24; i++) {
      if ((word >> (23 - i)) & 1) ctx.fillRect(2 + 13 * (i % 12), 2 + 12 * Math.floor(i / 12), 13, 12);
    }
  }
  // Many pages on one machine: the preview (a <video> of the camera) is not drawn, which saves
  // the software compositor a video per page. What is sent is unchanged.
  document.addEventListener('DOMContentLoaded', () => {
    const preview = document.getElementById('preview');
    if (preview) preview.style.display = 'none';
  });
  // The flash at one wall-clock instant shared by every page: drawn exactly then (on the grid,
  // the instant is a grid line and the grid draws it).
  window.__scheduleFlash = (at) => {
    flashAt = at;
    if (phaseGrid) return;
    setTimeout(() => draw && draw(), Math.max(0, at - now()));
    setTimeout(() => draw && draw(), Math.max(0, at + flashMs - now()));
  };

  const Native = window.RTCPeerConnection;
  function Delayed(config, ...rest) {
    const pc = new Native({ ...(config || {}), encodedInsertableStreams: true }, ...rest);
    const addTransceiver = pc.addTransceiver.bind(pc);
    pc.addTransceiver = (trackOrKind, init) => {
      const transceiver = addTransceiver(trackOrKind, init);
      const { readable, writable } = transceiver.sender.createEncodedStreams();
      readable.pipeThrough(new TransformStream({
        transform(frame, controller) {
          if (delayMs > 0) setTimeout(() => controller.enqueue(frame), delayMs);
          else controller.enqueue(frame);
        },
      })).pipeTo(writable);
      return transceiver;
    };
    return pc;
  }
  Delayed.prototype = Native.prototype;
  Object.setPrototypeOf(Delayed, Native);
  window.RTCPeerConnection = Delayed;
}

// What one page's clock exchange cost on the wire (request line, headers and bodies).
function watchClockBytes(page, record) {
  page.on('requestfinished', async (request) => {
    if (!request.url().endsWith('/clock')) return;
    try {
      const s = await request.sizes();
      record.push({ at: Date.now(), bytes: s.requestHeadersSize + s.requestBodySize +
                    s.responseHeadersSize + s.responseBodySize });
    } catch (e) { /* the page closed */ }
  });
}

async function join(browser, delayMs, index) {
  // A context each, as each phone is its own browser: pages of one context share Chrome's six
  // connections per host, which 16 pages' held status polls (dynacast) would fill, queueing
  // their clock rounds behind them.
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('pageerror', (e) => log(`participant ${index}: page error: ${e.message}`));
  await page.addInitScript(initScript, { delayMs, fps, flashMs: kFlashMs, timecode, phaseGrid });
  const clockRequests = [];
  watchClockBytes(page, clockRequests);
  const query = `t=${encodeURIComponent(token)}&fps=${fps}${clockOn ? '' : '&clock=0'}`;
  await page.goto(`${baseUrl}/join?${query}`, { timeout: 20000 });
  await page.waitForFunction(() => window.tesseraJoin && window.tesseraJoin.state === 'ready',
                             null, { timeout: 20000 });
  const joinedAt = Date.now();
  await page.click('#go');
  await page.waitForFunction(() => window.tesseraJoin.state === 'live', null, { timeout: 30000 });
  log(`participant ${index} (delay ${delayMs} ms) is live`);
  return { page, delayMs, joinedAt, clockRequests };
}

function clockCost(p, endAt) {
  const total = p.clockRequests.reduce((s, r) => s + r.bytes, 0);
  // Steady state: after the first rounds (a second apart), per second.
  const steadyFrom = p.joinedAt + 7000;
  const steady = p.clockRequests.filter((r) => r.at >= steadyFrom);
  const steadyBytes = steady.reduce((s, r) => s + r.bytes, 0);
  return {
    requests: p.clockRequests.length,
    bytes: total,
    bytes_per_s: total / Math.max(1, (endAt - p.joinedAt) / 1000),
    steady_bytes_per_s: steadyBytes / Math.max(1, (endAt - steadyFrom) / 1000),
  };
}

// The operator's cue before the show (POST /api/v1/cue, `{"flash": false}`: a flash in the room):
// every camera flashes at one grid instant a second later; the server finds each feed's step and
// applies its residual error as the feed's cue offset. Returns when the cue is done, with the
// flash's instant and what GET /api/v1/cue reported.
async function runCue(participants, period) {
  const headers = { 'Content-Type': 'application/json', Authorization: `Bearer ${adminToken}` };
  const posted = await fetch(`${baseUrl}/api/v1/cue`, {
    method: 'POST', headers, body: JSON.stringify({ flash: false }),
  });
  if (posted.status !== 202) throw new Error(`POST /api/v1/cue: ${posted.status}`);
  const at = Math.ceil((Date.now() + 1000) / period) * period;
  await Promise.all(participants.map((p) => p.page.evaluate((t) => window.__scheduleFlash(t), at)));
  let report = null;
  await waitFor('the cue done', async () => {
    const r = await fetch(`${baseUrl}/api/v1/cue`, { headers });
    report = await r.json();
    return report.state === 'done';
  }, 15000);
  // The cameras stay white kFlashMs, then dark: the show starts after the cue's flash.
  await sleep(Math.max(0, at + kFlashMs + 1000 - Date.now()));
  log(`cue done: ${JSON.stringify(report.feeds)}`);
  return { flash_at_ms: at, feeds: report.feeds };
}

async function main() {
  if (!baseUrl) throw new Error('set TESSERA_URL');
  const browser = await chromium.launch({
    executablePath: chromiumPath, headless: true, args: kArgs,
  });
  try {
    const participants = [];
    for (const [i, d] of delays.entries()) participants.push(await join(browser, d, i));
    await waitFor('every participant live on the server with a tile', async () => {
      const f = await whipFeeds();
      return f.length === delays.length && f.every((x) => x.state === 'live' && x.tile);
    }, 30000);
    // Synced: each feed's capture times known (a Sender Report, the clock exchange), and the
    // ring holding more than the playout delay. With the API's sync object, wait for it.
    const allLiveAt = Date.now();
    // (The clock estimate, not the state: with [sync] off every feed is drawn newest.)
    await waitFor('every feed timed', async () => {
      const f = await whipFeeds();
      return f.every((x) => !x.sync || x.sync.clock !== 'none');
    }, 20000);
    if (clockOn) {
      await waitFor('every page through its first clock rounds', async () => {
        const rounds = await Promise.all(participants.map(
          (p) => p.page.evaluate(() => window.tesseraJoin.clock.rounds)));
        return rounds.every((r) => r >= 5);
      }, 20000);
    }
    // Without the API's sync object (older servers) nothing says when the first Sender Report
    // came (Chrome sends one a second) and the rings cover the playout delay: allow for both.
    await sleep(3000);
    const period = 1000 / fps;
    const cue = cueOn ? await runCue(participants, period) : null;
    await sleep(liveMs);
    const flashAt = phaseGrid ? Math.ceil((Date.now() + 1500) / period) * period : Date.now() + 1500;
    await Promise.all(participants.map((p) => p.page.evaluate((at) => window.__scheduleFlash(at),
                                                               flashAt)));
    log(`flash at ${new Date(flashAt).toISOString()}`);
    await sleep(flashAt + kFlashMs + holdMs - Date.now());
    const feeds = await whipFeeds();
    const endAt = Date.now();
    const pages = [];
    for (const p of participants) {
      const clock = await p.page.evaluate(() => window.tesseraJoin.clock);
      const state = await p.page.evaluate(() => window.tesseraJoin.state);
      // What the page's camera and encoder produced (diagnostics only: none when it left).
      const sender = await p.page.evaluate(async () => {
        const out = { draws: window.__draws };
        if (!window.tesseraJoin.pc) return out;
        const stats = await window.tesseraJoin.pc.getStats();
        stats.forEach((s) => {
          if (s.type !== 'outbound-rtp' || s.kind !== 'video') return;
          Object.assign(out, { framesEncoded: s.framesEncoded, framesSent: s.framesSent,
                               qualityLimitationReason: s.qualityLimitationReason,
                               qualityLimitationDurations: s.qualityLimitationDurations,
                               frameWidth: s.frameWidth, hugeFramesSent: s.hugeFramesSent });
        });
        stats.forEach((s) => {
          if (s.type === 'media-source' && s.kind === 'video') out.sourceFrames = s.frames;
        });
        return out;
      }).catch(() => ({}));
      pages.push({ delay_ms: p.delayMs, state, clock_rounds: clock.rounds,
                   clock_offset_ms: clock.offsetMs, clock_cost: clockCost(p, endAt), sender });
    }
    console.log(JSON.stringify({ all_live_at_ms: allLiveAt, flash_at_ms: flashAt, cue,
                                 participants: pages, feeds }));
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
