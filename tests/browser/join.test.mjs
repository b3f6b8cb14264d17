// Participants join from the real join page in headless Chromium, with a fake camera playing a
// y4m file of a known picture, and publish over WebRTC/WHIP to a running tessera.
//
//   TESSERA_URL=http://127.0.0.1:18080 TESSERA_TOKEN=secret TESSERA_Y4M=/tmp/known.y4m \
//   TESSERA_LEFT=255,0,0 TESSERA_RIGHT=0,0,255 node --test tests/browser/join.test.mjs
//
// The picture's left half is TESSERA_LEFT and its right half TESSERA_RIGHT (RGB), so the test
// also sees that the tile is neither mirrored nor swapped. TESSERA_NETNS=1 says the test runs in
// its own network namespace and may take `lo` down to drop the network. The URL may be https with
// a self-signed certificate (tls = "auto"; run node with NODE_TLS_REJECT_UNAUTHORIZED=0 then).
// The page is also checked as a phone shows it (390x844): one action at a time, and no WCAG 2
// A/AA violations (axe-core) idle, live and without its code. Every wait is bounded.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { axeViolations, decodePng, visibleButtons, waitFor } from './support.mjs';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const baseUrl = (process.env.TESSERA_URL || '').replace(/\/+$/, '');
const token = process.env.TESSERA_TOKEN || '';
const y4m = process.env.TESSERA_Y4M || '';
const left = (process.env.TESSERA_LEFT || '255,0,0').split(',').map(Number);
const right = (process.env.TESSERA_RIGHT || '0,0,255').split(',').map(Number);
const inOwnNetns = process.env.TESSERA_NETNS === '1';
const chromiumPath = process.env.TESSERA_CHROMIUM || '/usr/bin/chromium';

const kArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  `--use-file-for-fake-video-capture=${y4m}`,
  // Without this Chromium gathers no 127.0.0.1 candidate.
  '--allow-loopback-in-peer-connection',
];

async function feeds() {
  const r = await fetch(`${baseUrl}/api/v1/feeds`);
  return r.json();
}

function meanColour(img, x0, y0, x1, y1) {
  const sum = [0, 0, 0];
  let n = 0;
  for (let y = Math.round(y0); y < Math.round(y1); y++) {
    for (let x = Math.round(x0); x < Math.round(x1); x++) {
      const o = (y * img.width + x) * img.channels;
      for (let k = 0; k < 3; k++) sum[k] += img.pixels[o + k];
      n++;
    }
  }
  return sum.map((s) => s / n);
}

function near(actual, expected, tolerance) {
  return actual.every((v, i) => Math.abs(v - expected[i]) <= tolerance);
}

// The tile of `feed` shows the known picture: its left and right halves have their colours.
async function tileShowsPicture(feed) {
  // Where the tile is now: other feeds joining or leaving move it.
  const current = (await feeds()).find((f) => f.id === feed.id);
  if (!current || !current.tile) return null;
  const r = await fetch(`${baseUrl}/api/v1/canvas.png`);
  const img = decodePng(Buffer.from(await r.arrayBuffer()));
  const t = current.tile;
  const l = meanColour(img, t.x + t.w * 0.1, t.y + t.h * 0.25, t.x + t.w * 0.35, t.y + t.h * 0.75);
  const rr = meanColour(img, t.x + t.w * 0.65, t.y + t.h * 0.25, t.x + t.w * 0.9, t.y + t.h * 0.75);
  return near(l, left, 40) && near(rr, right, 40) ? { left: l, right: rr } : null;
}

describe('join page', { skip: (!baseUrl || !y4m) && 'set TESSERA_URL and TESSERA_Y4M' }, () => {
  let browser;
  let userDataDir;

  before(async () => {
    userDataDir = await mkdtemp(path.join(tmpdir(), 'tessera-join-'));
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath, headless: true, args: kArgs, ignoreHTTPSErrors: true,
    });
  });
  after(async () => {
    if (browser) await browser.close();
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  async function openJoin() {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.log('page error:', e.message));
    await page.goto(`${baseUrl}/join?t=${encodeURIComponent(token)}`, { timeout: 15000 });
    await page.waitForFunction(() => window.tesseraJoin && window.tesseraJoin.state === 'ready',
                               null, { timeout: 15000 });
    return page;
  }
  const pageState = (page) => page.evaluate(() => window.tesseraJoin.state);

  test('a phone goes live, its tile shows its camera, leaving removes it', async () => {
    const before = new Set((await feeds()).map((f) => f.id));
    const page = await openJoin();
    assert.match(await page.textContent('#consent'), /\w+/);
    const started = Date.now();
    await page.click('#go');
    await page.waitForFunction(() => window.tesseraJoin.state === 'live', null, { timeout: 20000 });
    const feed = await waitFor('a live WHIP feed with a tile', async () =>
      (await feeds()).find((f) => !before.has(f.id) && f.source === 'whip' &&
                                  f.state === 'live' && f.tile), 20000);
    const colours = await waitFor('the tile to show the known picture',
                                  () => tileShowsPicture(feed), 15000);
    console.log(`joined in ${Date.now() - started} ms; tile ${JSON.stringify(feed.tile)};` +
                ` colours ${JSON.stringify(colours)}; source ${feed.width}x${feed.height}`);
    assert.ok(feed.width > 0 && feed.height > 0, 'the source size is known');
    // The server asked for keyframes (on connecting and when the tile appeared): RTCP PLIs.
    const plis = await waitFor('a keyframe request (PLI) from the server', () => page.evaluate(
      async () => {
        const stats = await window.tesseraJoin.pc.getStats();
        let n = 0;
        stats.forEach((s) => {
          if (s.type === 'outbound-rtp') n += (s.pliCount || 0) + (s.firCount || 0);
        });
        return n;
      }), 5000);
    assert.ok(plis >= 1, `PLIs received: ${plis}`);

    await page.click('#leave');
    await page.waitForFunction(() => window.tesseraJoin.state === 'ended', null, { timeout: 5000 });
    assert.match(await page.textContent('#status'), /left/);
    await waitFor('the feed to be gone', async () =>
      !(await feeds()).some((f) => f.id === feed.id), 10000);
    await page.close();
  });

  test('on a phone (390x844): one action at a time, accessible idle and live', async () => {
    const page = await openJoin();
    await page.setViewportSize({ width: 390, height: 844 });
    assert.deepEqual(await visibleButtons(page), ['Go live']);
    assert.deepEqual(await axeViolations(page), [], 'idle: WCAG 2 A/AA violations');
    const go = await page.locator('#go').boundingBox();
    assert.ok(go.x >= 0 && go.x + go.width <= 390, `Go live fits the width: ${JSON.stringify(go)}`);
    await page.click('#go');
    await page.waitForFunction(() => window.tesseraJoin.state === 'live', null, { timeout: 20000 });
    assert.deepEqual(await visibleButtons(page), ['Leave']);
    assert.match(await page.getByRole('status').textContent(), /live/i);
    assert.deepEqual(await axeViolations(page), [], 'live: WCAG 2 A/AA violations');
    // Keyboard: Leave takes focus with a visible outline.
    await page.locator('#leave').focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => {
      const el = document.activeElement;
      return el.id + ' ' + getComputedStyle(el).outlineStyle;
    });
    assert.equal(outline, 'leave solid');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => window.tesseraJoin.state === 'ended', null, { timeout: 5000 });
    assert.deepEqual(await visibleButtons(page), ['Join again']);
    await page.close();
  });

  test('a link without its code says so, and offers nothing to press',
       { skip: !token && 'the server has no join token (set TESSERA_TOKEN)' }, async () => {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${baseUrl}/join`, { timeout: 15000 });
    await page.waitForFunction(
      () => window.tesseraJoin && window.tesseraJoin.state === 'needs-code', null,
      { timeout: 15000 });
    const status = await page.textContent('#status');
    assert.match(status, /needs its code/);
    assert.doesNotMatch(status, /expired/);
    assert.deepEqual(await visibleButtons(page), []);
    assert.deepEqual(await axeViolations(page), [], 'needs-code: WCAG 2 A/AA violations');
    await page.close();
  });

  test('a participant sending H.264 is decoded too', async () => {
    const before = new Set((await feeds()).map((f) => f.id));
    const page = await browser.newPage();
    await page.goto(`${baseUrl}/join?t=${encodeURIComponent(token)}&codec=h264`, { timeout: 15000 });
    await page.waitForFunction(() => window.tesseraJoin && window.tesseraJoin.state === 'ready',
                               null, { timeout: 15000 });
    await page.click('#go');
    await page.waitForFunction(() => window.tesseraJoin.state === 'live', null, { timeout: 20000 });
    const sdp = await page.evaluate(() => window.tesseraJoin.pc.remoteDescription.sdp);
    assert.match(sdp, /a=rtpmap:\d+ H264\/90000/, 'the server answered H.264');
    assert.doesNotMatch(sdp, /VP8\/90000/);
    const feed = await waitFor('a live H.264 feed with a tile', async () =>
      (await feeds()).find((f) => !before.has(f.id) && f.state === 'live' && f.tile), 20000);
    await waitFor('the H.264 tile to show the picture', () => tileShowsPicture(feed), 15000);
    await page.click('#leave');
    await page.close();
  });

  test('eight participants at once', async () => {
    const before = new Set((await feeds()).map((f) => f.id));
    const pages = [];
    for (let i = 0; i < 8; i++) pages.push(await openJoin());
    await Promise.all(pages.map((p) => p.click('#go')));
    const live = await waitFor('8 live WHIP feeds with tiles', async () => {
      const mine = (await feeds()).filter((f) => !before.has(f.id) && f.source === 'whip' &&
                                                 f.state === 'live' && f.tile);
      return mine.length === 8 ? mine : null;
    }, 40000, 500);
    for (const f of live) await waitFor(`feed ${f.id} to show the picture`, () => tileShowsPicture(f), 15000);
    for (const p of pages) assert.equal(await pageState(p), 'live');
    await Promise.all(pages.map((p) => p.click('#leave')));
    await waitFor('all 8 to be gone', async () =>
      !(await feeds()).some((f) => live.some((l) => l.id === f.id)), 15000);
    await Promise.all(pages.map((p) => p.close()));
  });

  test('a participant whose network drops comes back by itself',
       { skip: !inOwnNetns && 'needs its own network namespace (TESSERA_NETNS=1)' }, async () => {
    const before = new Set((await feeds()).map((f) => f.id));
    const page = await openJoin();
    await page.click('#go');
    await page.waitForFunction(() => window.tesseraJoin.state === 'live', null, { timeout: 20000 });
    const first = await waitFor('the live feed', async () =>
      (await feeds()).find((f) => !before.has(f.id) && f.source === 'whip' && f.state === 'live'),
      20000);
    // The network goes away for a while: media and HTTP alike.
    execFileSync('ip', ['link', 'set', 'lo', 'down']);
    try {
      await page.waitForFunction(() => window.tesseraJoin.state !== 'live', null,
                                 { timeout: 30000 });
    } finally {
      execFileSync('ip', ['link', 'set', 'lo', 'up']);
    }
    // The page recovers with a new session; the server has dropped the silent one.
    await page.waitForFunction(() => window.tesseraJoin.state === 'live', null, { timeout: 60000 });
    const back = await waitFor('a new live feed, and the old one gone', async () => {
      const all = await feeds();
      const fresh = all.find((f) => !before.has(f.id) && f.source === 'whip' &&
                                    f.state === 'live' && f.id !== first.id);
      return fresh && !all.some((f) => f.id === first.id) ? fresh : null;
    }, 30000, 500);
    await waitFor('the new tile to show the picture', () => tileShowsPicture(back), 15000);
    assert.ok(await page.evaluate(() => window.tesseraJoin.joins) >= 2);
    await page.click('#leave');
    await page.close();
  });
});
