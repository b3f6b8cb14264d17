// Dynacast (issue 13): a participant's phone sends what its tile needs. The join page, in
// headless Chromium with its fake camera at 640x480, publishes to a running tessera whose
// 160x120 canvas shows a 2x2 grid (three synthetic feeds and the phone); the admin API switches
// to a brush scene (any size: the tile size) and back, and hides and shows feeds, so the phone's
// tile grows to the whole canvas, disappears and comes back.
// Each time the test reads what the phone sends (the page's getStats: outbound-rtp frame size,
// frames per second, bytes) and what the server decodes (/api/v1/feeds width x height).
//
//   TESSERA_URL=http://127.0.0.1:18080 TESSERA_ADMIN_TOKEN=secret TESSERA_CANVAS_FPS=15 \
//   node --test tests/browser/dynacast.test.mjs
//
// The server must run tests/e2e/test_dynacast_browser.py's installation. Every wait is bounded.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from './support.mjs';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const baseUrl = (process.env.TESSERA_URL || '').replace(/\/+$/, '');
const adminToken = process.env.TESSERA_ADMIN_TOKEN || '';
const chromiumPath = process.env.TESSERA_CHROMIUM || '/usr/bin/chromium';
const canvasFps = Number(process.env.TESSERA_CANVAS_FPS || 15);
// The camera's rate (?fps= on the join page): unset, the page's own (15 at most).
const cameraFps = process.env.TESSERA_CAMERA_FPS ? `&fps=${process.env.TESSERA_CAMERA_FPS}` : '';

// Chromium's own fake camera (a moving pattern at any size asked for): a picture that changes,
// so the encoder uses the bitrate it is allowed.
const kArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
];
// The budget per participant at a 160x120 tile, and what a hidden one may use
// (its 30 kbit/s, plus RTP headers).
const kTileBudgetKbps = 150;
const kTrickleBudgetKbps = 45;

async function feeds() {
  const r = await fetch(`${baseUrl}/api/v1/feeds`);
  return r.json();
}

async function admin(feedId, action) {
  const r = await fetch(`${baseUrl}/api/v1/feeds/${feedId}/${action}`, {
    method: 'POST', headers: { Authorization: `Bearer ${adminToken}` },
  });
  assert.equal(r.status, 200, `${action} feed ${feedId}: HTTP ${r.status}`);
}

async function scene(name) {
  const r = await fetch(`${baseUrl}/api/v1/scene`, {
    method: 'POST', body: JSON.stringify({ name }),
    headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'application/json' },
  });
  assert.equal(r.status, 200, `scene ${name}: HTTP ${r.status}`);
}

// The video outbound-rtp stats now: frame size, rate, bytes with headers, at (ms).
async function outbound(page) {
  return page.evaluate(async () => {
    const stats = await window.tesseraJoin.pc.getStats();
    let out = null;
    stats.forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video') {
        out = {
          width: s.frameWidth || 0, height: s.frameHeight || 0, fps: s.framesPerSecond || 0,
          bytes: (s.bytesSent || 0) + (s.headerBytesSent || 0), frames: s.framesSent || 0,
          at: s.timestamp, limitation: s.qualityLimitationReason,
        };
      }
    });
    return out;
  });
}

// Upload over at least `seconds` (kbit/s, payload and RTP headers) and frames per second.
async function measureRate(page, seconds) {
  const a = await outbound(page);
  await waitFor(`${seconds} s of sending`, async () => {
    const now = await outbound(page);
    return now.at - a.at >= seconds * 1000;
  }, seconds * 1000 + 5000, 250);
  const b = await outbound(page);
  const dt = (b.at - a.at) / 1000;
  return { kbps: (b.bytes - a.bytes) * 8 / dt / 1000, fps: (b.frames - a.frames) / dt, dt,
           width: b.width, height: b.height };
}

describe('dynacast', { skip: (!baseUrl || !adminToken) && 'set TESSERA_URL and TESSERA_ADMIN_TOKEN' },
         () => {
  let browser;
  let userDataDir;

  before(async () => {
    userDataDir = await mkdtemp(path.join(tmpdir(), 'tessera-dynacast-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath, headless: true, args: kArgs,
    });
  });
  after(async () => {
    if (browser) await browser.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  test('the phone sends what its tile needs, and follows it', async () => {
    const synthetic = (await feeds()).filter((f) => f.source === 'synthetic').map((f) => f.id);
    assert.equal(synthetic.length, 3, 'the installation has 3 synthetic feeds');
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.log('page error:', e.message));
    await page.goto(`${baseUrl}/join?w=640&h=480${cameraFps}`, { timeout: 15000 });
    await page.waitForFunction(() => window.tesseraJoin && window.tesseraJoin.state === 'ready',
                               null, { timeout: 15000 });
    const camera = await page.evaluate(() => window.tesseraJoin.stream.getVideoTracks()[0]
      .getSettings());
    console.log(`camera ${camera.width}x${camera.height} at ${camera.frameRate} fps`);
    assert.equal(camera.width, 640, 'the fake camera films at 640x480');
    await page.click('#go');
    await page.waitForFunction(() => window.tesseraJoin.state === 'live', null, { timeout: 20000 });
    const feed = await waitFor('the phone\'s feed with a tile', async () =>
      (await feeds()).find((f) => f.source === 'whip' && f.state === 'live' && f.tile), 20000);
    const sessionUrl = await page.evaluate(() => window.tesseraJoin.sessionUrl);

    // What the page is asked to send, and what it sends, for a tile drawn at `box` or hidden.
    async function follows(what, box, timeoutMs) {
      const started = Date.now();
      const sent = await waitFor(`the page to apply ${what} (${box.width}x${box.height})`,
        () => page.evaluate(([w, h]) => {
          const s = window.tesseraJoin.sent;
          return s && s.width === w && s.height === h ? s : null;
        }, [box.width, box.height]), timeoutMs, 50);
      const appliedMs = Date.now() - started;
      const out = await waitFor(`getStats to show ${what}`, async () => {
        const o = await outbound(page);
        return o && o.width > 0 && o.width <= box.width && o.height <= box.height &&
               o.width >= box.width - 2 ? o : null;
      }, 15000, 100);
      const sendingMs = Date.now() - started;
      const decoded = await waitFor(`the server to decode ${what}`, async () => {
        const f = (await feeds()).find((x) => x.id === feed.id);
        return f && f.width > 0 && f.width <= box.width && f.height <= box.height &&
               f.width === out.width && f.height === out.height ? f : null;
      }, 15000, 100);
      console.log(`${what}: asked ${JSON.stringify(sent)}; applied after ${appliedMs} ms, ` +
                  `sent ${out.width}x${out.height} after ${sendingMs} ms; server decodes ` +
                  `${decoded.width}x${decoded.height}`);
      return { sent, appliedMs, sendingMs };
    }

    // 1. A 2x2 grid on a 160x120 canvas: an 80x60 tile, so the phone sends 80x60, not 640x480.
    const small = await follows('a quarter of the canvas', { width: 80, height: 60 }, 20000);
    assert.ok(small.sent.fps >= 1 && small.sent.kbps <= kTileBudgetKbps, JSON.stringify(small));
    const preference = await page.evaluate(() => window.tesseraJoin.pc.getSenders()
      .find((x) => x.track && x.track.kind === 'video').getParameters().degradationPreference);
    console.log(`degradationPreference: ${preference}`);
    const status = await (await fetch(`${sessionUrl}/status`)).json();
    const fps = Math.min(canvasFps, 30);
    assert.deepEqual(status.send, { width: 80, height: 60, fps, kbps: 40 });
    assert.equal(status.version, `live/80x60@${fps}/40`);

    // A scene switch: the brush scene paints every feed at any size (the tile size), and back.
    await scene('paint');
    const brush = await follows('the brush scene', { width: 160, height: 120 }, 20000);
    assert.ok(brush.appliedMs <= 3000, `the switch reached the page after ${brush.appliedMs} ms`);
    await scene('grid');
    const grid = await follows('the grid again', { width: 80, height: 60 }, 20000);
    assert.ok(grid.appliedMs <= 3000, `the switch reached the page after ${grid.appliedMs} ms`);

    // The long-poll: the current version is held (nothing changes), another is answered at once.
    const held = new AbortController();
    const heldAt = Date.now();
    const heldReply = fetch(`${sessionUrl}/status?since=${encodeURIComponent(status.version)}`,
                            { signal: held.signal }).then(() => 'answered', () => 'held');
    const quick = await fetch(`${sessionUrl}/status?since=old`);
    assert.equal((await quick.json()).next_ms, 0);
    const outcome = await Promise.race([
      heldReply, new Promise((r) => setTimeout(() => r('timer'), 1500))]);
    assert.equal(outcome, 'timer', `a request for the current version was ${outcome} within ` +
                 `${Date.now() - heldAt} ms`);
    held.abort();

    // 2. The synthetic feeds hidden: the phone's tile fills the canvas at the tile size.
    for (const id of synthetic) await admin(id, 'hide');
    const big = await follows('the whole canvas', { width: 160, height: 120 }, 20000);
    assert.ok(big.appliedMs <= 3000,
              `the new tile size reached the page ${big.appliedMs} ms after the hide`);
    const tileRate = await measureRate(page, 6);
    console.log(`upload at a 160x120 tile: ${tileRate.kbps.toFixed(1)} kbit/s, ` +
                `${tileRate.fps.toFixed(1)} fps over ${tileRate.dt.toFixed(1)} s`);
    assert.ok(tileRate.kbps <= kTileBudgetKbps, `upload ${tileRate.kbps.toFixed(1)} kbit/s`);
    assert.ok(tileRate.fps >= 5, `the phone still films: ${tileRate.fps.toFixed(1)} fps`);
    assert.ok(tileRate.width <= 160 && tileRate.height <= 120);

    // 3. The phone hidden: a trickle (half the tile, a frame a second).
    await admin(feed.id, 'hide');
    const hidden = await follows('hidden', { width: 80, height: 60 }, 20000);
    assert.equal(hidden.sent.fps, 1);
    const trickle = await measureRate(page, 6);
    console.log(`upload while hidden: ${trickle.kbps.toFixed(1)} kbit/s, ` +
                `${trickle.fps.toFixed(1)} fps over ${trickle.dt.toFixed(1)} s`);
    assert.ok(trickle.kbps <= kTrickleBudgetKbps, `trickle ${trickle.kbps.toFixed(1)} kbit/s`);
    assert.ok(trickle.fps <= 2.5, `trickle ${trickle.fps.toFixed(1)} fps`);
    assert.equal(await page.evaluate(() => window.tesseraJoin.state), 'live',
                 'a hidden participant is not told');

    // 4. Shown again: the whole canvas again, at the full rate.
    await admin(feed.id, 'show');
    const back = await follows('shown again', { width: 160, height: 120 }, 20000);
    assert.ok(back.appliedMs <= 3000, `shown again reached the page after ${back.appliedMs} ms`);
    await waitFor('the full frame rate again', async () => (await outbound(page)).fps >= 5, 10000);

    await page.click('#leave');
    await page.waitForFunction(() => window.tesseraJoin.state === 'ended', null, { timeout: 5000 });
    for (const id of synthetic) await admin(id, 'show');
  });
});
