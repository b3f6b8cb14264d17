// Low-latency viewers: the viewer page plays the canvas over WebRTC (WHEP) in headless Chromium
// against a running tessera whose canvas is a still 4x2 grid of colours (data/color_cells.fs).
//
//   TESSERA_URL=http://127.0.0.1:18080 TESSERA_CANVAS=640x360 TESSERA_MAX_VIEWERS=2 \
//     node --test tests/browser/whep.test.mjs
//
// Checks: the WebRTC picture matches canvas.png cell by cell; a second viewer costs no second
// encode (/metrics); beyond max_viewers the page falls back to HLS and says why; closing a page
// ends its session (DELETE); the button switches back to HLS. Every wait is bounded.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const baseUrl = (process.env.TESSERA_URL || '').replace(/\/+$/, '');
const [canvasWidth, canvasHeight] = (process.env.TESSERA_CANVAS || '640x360').split('x').map(Number);
const maxViewers = Number(process.env.TESSERA_MAX_VIEWERS || '2');
const chromiumPath = process.env.TESSERA_CHROMIUM || '/usr/bin/chromium';
const kTestTimeoutMs = 90_000;
const kWaitMs = 30_000;
const kArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
  // Without this Chromium gathers no 127.0.0.1 candidate.
  '--allow-loopback-in-peer-connection',
  // A page without camera permission hides its host addresses behind mDNS names; in the test's
  // network namespace (lo only, no multicast) registering them never finishes, so gathering
  // would hang. The server learns the browser's address from its checks either way.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];
const kCellTolerance = 28; // per channel, mean over the inner half of a cell (H.264 at low rate)

async function waitFor(what, fn, timeoutMs = kWaitMs, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last && (last.message || JSON.stringify(last))})`);
}

async function metric(name) {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

// Mean RGB of the inner half of each of the 4x2 cells of an image source drawn at its own size.
function cellMeansInPage(source) {
  const w = source.videoWidth || source.naturalWidth;
  const h = source.videoHeight || source.naturalHeight;
  const c = document.createElement('canvas');
  c.width = w;
  c.height = h;
  const g = c.getContext('2d', { willReadFrequently: true });
  g.drawImage(source, 0, 0, w, h);
  const cells = [];
  for (let row = 0; row < 2; row++) {
    for (let col = 0; col < 4; col++) {
      const x0 = Math.round(((col + 0.25) * w) / 4);
      const y0 = Math.round(((row + 0.25) * h) / 2);
      const d = g.getImageData(x0, y0, Math.round(w / 8), Math.round(h / 4)).data;
      const sum = [0, 0, 0];
      for (let i = 0; i < d.length; i += 4) for (let k = 0; k < 3; k++) sum[k] += d[i + k];
      const n = d.length / 4;
      cells.push(sum.map((s) => Math.round(s / n)));
    }
  }
  return { width: w, height: h, cells };
}

async function openViewer(context, query) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  await page.goto(`${baseUrl}/${query}`, { waitUntil: 'load' });
  await page.waitForFunction(() => Boolean(window.tesseraViewer), undefined, { timeout: 15_000 });
  return { page, errors };
}

async function snapshot(page) {
  return page.evaluate(() => {
    const v = document.querySelector('video');
    const viewer = window.tesseraViewer;
    return {
      transport: viewer.transport,
      state: viewer.state,
      frames: viewer.framesDecoded(),
      size: `${v.videoWidth}x${v.videoHeight}`,
      webrtc: Boolean(v.srcObject),
      quality: document.getElementById('stat-quality').textContent,
      hint: document.getElementById('hint').textContent,
      stats: viewer.stats(),
    };
  });
}

async function playingOverWebrtc(page) {
  return waitFor('the page plays the canvas over WebRTC', async () => {
    const s = await snapshot(page);
    return s.transport === 'whep' && s.webrtc && s.frames > 5 && s.state === 'live' && s;
  });
}

describe('low-latency viewers (WHEP)', { skip: !baseUrl && 'set TESSERA_URL' }, () => {
  let userDataDir;
  let context;
  const viewers = [];

  before(async () => {
    userDataDir = await mkdtemp(path.join(tmpdir(), 'tessera-whep-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath, headless: true, args: kArgs, timeout: 15_000,
    });
  });

  after(async () => {
    if (context) await context.close().catch(() => {});
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  test('the page plays the canvas over WebRTC, and its pixels are the canvas', { timeout: kTestTimeoutMs }, async (t) => {
    const viewer = await openViewer(context, '?mode=lowlatency');
    viewers.push(viewer);
    const playing = await playingOverWebrtc(viewer.page);
    t.diagnostic(`playing: ${JSON.stringify(playing)}`);
    assert.equal(playing.size, `${canvasWidth}x${canvasHeight}`, 'the video has the canvas size');
    assert.equal(playing.quality, 'low latency');
    await viewer.page.evaluate(`window.cellMeans = ${cellMeansInPage.toString()}`);
    const shown = await viewer.page.evaluate(() => window.cellMeans(document.querySelector('video')));
    const still = await viewer.page.evaluate(async () => {
      const img = new Image();
      img.src = `/api/v1/canvas.png?n=${Date.now()}`;
      await img.decode();
      return window.cellMeans(img);
    });
    t.diagnostic(`video cells ${JSON.stringify(shown.cells)}; canvas.png cells ${JSON.stringify(still.cells)}`);
    for (let i = 0; i < 8; i++) {
      for (let k = 0; k < 3; k++) {
        assert.ok(Math.abs(shown.cells[i][k] - still.cells[i][k]) <= kCellTolerance,
          `cell ${i} channel ${k}: video ${shown.cells[i][k]} vs canvas.png ${still.cells[i][k]}`);
      }
    }
    // The cells differ from one another: a blank or single-colour picture would not pass.
    const distinct = new Set(still.cells.map((c) => c.map((v) => Math.round(v / 32)).join(',')));
    assert.equal(distinct.size, 8, 'the eight cells of canvas.png are distinct colours');
    assert.deepEqual(viewer.errors, []);
  });

  test('a second viewer costs no second encode', { timeout: kTestTimeoutMs }, async () => {
    const viewer = await openViewer(context, '?mode=lowlatency');
    viewers.push(viewer);
    await playingOverWebrtc(viewer.page);
    await waitFor('two connected WHEP viewers', async () => (await metric('tessera_whep_viewers_connected')) === 2);
    assert.equal(await metric('tessera_output_encoders'), 1, 'one encoder for HLS and both viewers');
    const outputs = await (await fetch(`${baseUrl}/api/v1/outputs`)).json();
    const whep = outputs.find((o) => o.kind === 'whep');
    assert.ok(whep && whep.viewers === 2 && whep.frames > 0, JSON.stringify(outputs));
  });

  test('beyond max_viewers the page falls back to HLS and says why', { timeout: kTestTimeoutMs }, async (t) => {
    assert.equal(maxViewers, 2, 'this test expects max_viewers = 2');
    const refusedBefore = await metric('tessera_whep_refused_total');
    const viewer = await openViewer(context, '?mode=lowlatency');
    viewers.push(viewer);
    const s = await waitFor('the third page plays HLS', async () => {
      const v = await snapshot(viewer.page);
      return v.transport === 'hls' && !v.webrtc && v.frames > 5 && v.state === 'live' && v;
    }, 60_000);
    t.diagnostic(`fell back: ${JSON.stringify(s)}`);
    assert.match(s.hint, /503/, 'the page says the low-latency stream was refused');
    assert.equal(s.stats.whepFallbacks, 1);
    assert.equal(await metric('tessera_whep_refused_total'), refusedBefore + 1);
  });

  test('closing a page ends its session; the freed place can be taken', { timeout: kTestTimeoutMs }, async () => {
    const first = viewers.shift();
    await first.page.close({ runBeforeUnload: true });
    await waitFor('the closed page\'s session is gone', async () => (await metric('tessera_whep_viewers')) === 1, 20_000);
    // The page that fell back asks again with its button: it now gets WebRTC.
    const third = viewers[viewers.length - 1];
    await third.page.click('#latency-toggle');
    await playingOverWebrtc(third.page);
    await waitFor('two viewers again', async () => (await metric('tessera_whep_viewers_connected')) === 2);
  });

  test('the button goes back to the regular stream', { timeout: kTestTimeoutMs }, async () => {
    const second = viewers[0];
    const label = await second.page.textContent('#latency-toggle');
    assert.equal(label.trim(), 'regular');
    await second.page.click('#latency-toggle');
    await waitFor('the page plays HLS again', async () => {
      const v = await snapshot(second.page);
      return v.transport === 'hls' && !v.webrtc && v.frames > 5 && v.state === 'live';
    }, 60_000);
    await waitFor('one WHEP viewer left', async () => (await metric('tessera_whep_viewers')) === 1, 20_000);
  });
});
