// Browser test of the viewer page (web/index.html) against a running tessera server.
//
//   TESSERA_URL=http://127.0.0.1:18080 TESSERA_CANVAS=1280x720 node --test tests/browser/
//
// TESSERA_URL     base URL of the server (required; without it the tests are skipped)
// TESSERA_CANVAS  expected canvas size WxH (without it the size check is skipped)
// TESSERA_CHROMIUM  browser executable, default /usr/bin/chromium (Debian's package)
// TESSERA_VIEWER_TOKEN  the server's [http] viewer_token: then only the private channel's test
//                       runs (the page opened with ?t= plays; without it, 401)
//
// playwright-core comes from web/node_modules (one lockfile, in web/; run `npm ci` there) and
// drives the system Chromium; it never downloads a browser. Every wait is bounded.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { axeViolations } from './support.mjs';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const kPlaybackTimeoutMs = 30_000;
const kPageTimeoutMs = 15_000;
const kTestTimeoutMs = 90_000;
const kChromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];
// The profile hls.js declares for x264's output in the fixture; any avc1 answer is the same here.
const kH264Type = 'video/mp4; codecs="avc1.42E01F"';

const baseUrl = (process.env.TESSERA_URL || '').replace(/\/+$/, '');
const canvasSize = parseCanvasSize(process.env.TESSERA_CANVAS);
const chromiumPath = process.env.TESSERA_CHROMIUM || '/usr/bin/chromium';
const viewerToken = process.env.TESSERA_VIEWER_TOKEN || '';

function parseCanvasSize(value) {
  if (!value) return null;
  const match = /^(\d+)x(\d+)$/.exec(value);
  if (!match) throw new Error(`TESSERA_CANVAS must be WxH, got "${value}"`);
  return { width: Number(match[1]), height: Number(match[2]) };
}

// Promise.race with a deadline, for calls that take no timeout of their own.
function withDeadline(promise, ms, what) {
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

describe('viewer page', {
  // (A string, even an empty one, skips: so false when the suite runs.)
  skip: (!baseUrl && 'set TESSERA_URL to the server to test') ||
    (viewerToken ? 'a private server: only the private channel test runs' : false),
}, () => {
  let userDataDir;
  let context;
  let page;
  const pageErrors = [];
  const consoleLines = [];
  const failedAssets = [];
  let h264Decodable = false;

  // What the page knows about its player, attached to every failed wait.
  async function viewerSnapshot() {
    return page
      .evaluate(() => {
        const v = document.querySelector('video');
        const viewer = window.tesseraViewer;
        return {
          state: viewer && viewer.state,
          engine: viewer && viewer.engine,
          framesDecoded: viewer && viewer.framesDecoded(),
          stats: viewer && viewer.stats(),
          currentTime: v && v.currentTime,
          readyState: v && v.readyState,
          videoSize: v && `${v.videoWidth}x${v.videoHeight}`,
          mediaError: v && v.error && v.error.code,
        };
      })
      .catch((err) => ({ unavailable: String(err) }));
  }

  async function waitInPage(what, fn, arg, timeoutMs = kPlaybackTimeoutMs) {
    try {
      return await page.waitForFunction(fn, arg, { timeout: timeoutMs, polling: 250 });
    } catch (err) {
      const snapshot = JSON.stringify(await viewerSnapshot());
      const recent = consoleLines.slice(-15).join('\n  ');
      throw new Error(
        `${what} (waited ${timeoutMs} ms): ${err.message.split('\n')[0]}\n` +
          `viewer: ${snapshot}\npage errors: ${JSON.stringify(pageErrors)}\n` +
          `console (last lines):\n  ${recent}`,
      );
    }
  }

  before(async () => {
    userDataDir = await mkdtemp(path.join(tmpdir(), 'tessera-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: true,
      args: kChromiumArgs,
      timeout: kPageTimeoutMs,
    });
    context.setDefaultTimeout(kPageTimeoutMs);
    page = context.pages()[0] || (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('console', (msg) => consoleLines.push(`${msg.type()}: ${msg.text()}`));
    page.on('response', (response) => {
      const { pathname } = new URL(response.url());
      const isAsset = pathname === '/' || /^\/(static|vendor)\//.test(pathname);
      if (isAsset && response.status() >= 400) {
        failedAssets.push(`${response.status()} ${pathname}`);
      }
    });
  });

  after(async () => {
    if (context) await withDeadline(context.close(), 15_000, 'closing Chromium').catch(() => {});
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  test('the page, its style and its scripts load', { timeout: kTestTimeoutMs }, async () => {
    const response = await page.goto(`${baseUrl}/`, { waitUntil: 'load' });
    assert.equal(response.status(), 200, 'GET / answers 200');
    await waitInPage('window.tesseraViewer appears', () => Boolean(window.tesseraViewer), undefined,
      kPageTimeoutMs);
    const found = await page.evaluate(() => ({
      hasHls: typeof window.Hls === 'function',
      engine: window.tesseraViewer.engine,
      background: getComputedStyle(document.body).backgroundColor,
      joinHref: document.querySelector('a.join-link')?.getAttribute('href'),
      joinText: document.querySelector('a.join-link')?.textContent.trim(),
      video: (() => {
        const v = document.querySelector('video');
        return v && { muted: v.muted, autoplay: v.autoplay, playsInline: v.playsInline };
      })(),
    }));
    assert.ok(found.hasHls, '/vendor/hls.min.js defines window.Hls');
    assert.equal(found.engine, 'hlsjs', 'Chromium plays through hls.js (MSE)');
    assert.equal(found.background, 'rgb(0, 0, 0)', '/static/style.css applies (dark page)');
    assert.deepEqual(found.video, { muted: true, autoplay: true, playsInline: true });
    assert.equal(found.joinHref, '/join');
    assert.equal(found.joinText, 'Join the painting');
    assert.deepEqual(failedAssets, [], 'no page asset failed to load');
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });

  test('this Chromium decodes H.264 through MSE', { timeout: kTestTimeoutMs }, async (t) => {
    h264Decodable = await page.evaluate(
      (type) => window.MediaSource !== undefined && MediaSource.isTypeSupported(type), kH264Type);
    t.diagnostic(`MediaSource.isTypeSupported('${kH264Type}') = ${h264Decodable}`);
    t.diagnostic(`user agent: ${await page.evaluate(() => navigator.userAgent)}`);
    if (!h264Decodable) {
      // Not a failure of tessera: the playback test below then checks only what hls.js fetched.
      t.skip('no H.264 in MSE: playback cannot be verified in this browser');
    }
  });

  test('hls.js loads the playlist and fetches segments', { timeout: kTestTimeoutMs }, async () => {
    await waitInPage('MANIFEST_PARSED and at least two FRAG_LOADED',
      () => {
        const s = window.tesseraViewer.stats();
        return s.manifestsParsed >= 1 && s.fragmentsLoaded >= 2;
      });
  });

  test('the live canvas plays', { timeout: kTestTimeoutMs }, async (t) => {
    if (!h264Decodable) {
      t.skip('this Chromium cannot decode H.264 through MSE');
      return;
    }
    await waitInPage('more than 10 frames decoded',
      () => window.tesseraViewer.framesDecoded() > 10);
    const startS = await page.evaluate(() => document.querySelector('video').currentTime);
    await waitInPage('currentTime advances by 0.5 s',
      (fromS) => document.querySelector('video').currentTime > fromS + 0.5, startS);
    await waitInPage('viewer state becomes "live"', () => window.tesseraViewer.state === 'live');
    const label = await page.textContent('#state-label');
    assert.equal(label.trim(), 'live', 'the overlay says live');
    const snapshot = await viewerSnapshot();
    t.diagnostic(`playing: ${JSON.stringify(snapshot)}`);
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });

  test('the video has the canvas size', { timeout: kTestTimeoutMs }, async (t) => {
    if (!h264Decodable) {
      t.skip('this Chromium cannot decode H.264 through MSE');
      return;
    }
    if (!canvasSize) {
      t.skip('set TESSERA_CANVAS=WxH to check the size');
      return;
    }
    await waitInPage('video dimensions known',
      () => document.querySelector('video').videoWidth > 0);
    const size = await page.evaluate(() => {
      const v = document.querySelector('video');
      return { width: v.videoWidth, height: v.videoHeight };
    });
    assert.deepEqual(size, canvasSize);
  });

  test('the overlay shows /healthz', { timeout: kTestTimeoutMs }, async () => {
    const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
    assert.equal(response.status, 200, 'GET /healthz answers 200');
    const health = await response.json();
    assert.equal(typeof health.feeds, 'number', '/healthz has a numeric "feeds"');
    assert.equal(typeof health.fps, 'number', '/healthz has a numeric "fps"');
    // Feeds and fps change from poll to poll on a real server, so the overlay is compared by form.
    await waitInPage('overlay filled from /healthz',
      (status) => {
        const text = (id) => document.getElementById(id).textContent.trim();
        return text('stat-status') === status && /^\d+$/.test(text('stat-feeds')) &&
          /^\d+(\.\d)?$/.test(text('stat-fps')) && text('stat-scene') !== '–';
      },
      String(health.status), 5000);
  });

  test('no WCAG 2 A/AA violations while it plays (axe-core)', { timeout: kTestTimeoutMs },
       async () => {
    // Desktop and phone sizes: the chrome moves on narrow screens.
    for (const viewport of [{ width: 1280, height: 720 }, { width: 390, height: 844 }]) {
      await page.setViewportSize(viewport);
      assert.deepEqual(await axeViolations(page), [], `at ${viewport.width}x${viewport.height}`);
    }
    await page.setViewportSize({ width: 1280, height: 720 });
  });

  test('the replay plays from its start and returns to live', { timeout: kTestTimeoutMs },
    async (t) => {
      if (!h264Decodable) {
        t.skip('this Chromium cannot decode H.264 through MSE');
        return;
      }
      // The server keeps a replay ([output] replay_hours in test_viewer_browser.py): the button
      // shows once the page has found it.
      await waitInPage('the replay button shown', () => {
        const b = document.getElementById('replay-toggle');
        return b && !b.hidden;
      }, undefined, kPageTimeoutMs);
      await page.click('#replay-toggle');
      await waitInPage('the replay playing with controls',
        () => window.tesseraViewer.source === 'replay' &&
          document.querySelector('video').controls && window.tesseraViewer.state === 'live');
      // Scrub to its first second: it plays on from there.
      const startS = await page.evaluate(() => {
        const v = document.querySelector('video');
        v.currentTime = v.seekable.start(0);
        return v.seekable.start(0);
      });
      await waitInPage('replay advances from its start',
        (fromS) => {
          const now = document.querySelector('video').currentTime;
          return now > fromS + 0.5 && now < fromS + 6;
        }, startS);
      await page.click('#replay-toggle');
      await waitInPage('back to live',
        () => window.tesseraViewer.source === 'live' &&
          !document.querySelector('video').controls && window.tesseraViewer.state === 'live');
      assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
    });

  test('native HLS plays too (?engine=native)', { timeout: kTestTimeoutMs }, async (t) => {
    // Browsers without MSE (older iPhones) take this path; recent Chromium has native HLS as well,
    // which lets the fallback code run here.
    const response = await page.goto(`${baseUrl}/?engine=native`, { waitUntil: 'load' });
    assert.equal(response.status(), 200);
    await waitInPage('window.tesseraViewer appears', () => Boolean(window.tesseraViewer), undefined,
      kPageTimeoutMs);
    const engine = await page.evaluate(() => window.tesseraViewer.engine);
    if (engine !== 'native') {
      t.skip('this Chromium has no native HLS');
      return;
    }
    if (!h264Decodable) {
      t.skip('this Chromium cannot decode H.264');
      return;
    }
    await waitInPage('native: more than 10 frames decoded and live',
      () => window.tesseraViewer.framesDecoded() > 10 && window.tesseraViewer.state === 'live');
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });

  test('the join page answers in the same style', { timeout: kTestTimeoutMs }, async () => {
    const response = await page.goto(`${baseUrl}/join`, { waitUntil: 'load' });
    assert.equal(response.status(), 200, 'GET /join answers 200');
    const heading = await page.textContent('h1');
    assert.ok(heading && heading.trim().length > 0, 'the join page has a heading');
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(background, 'rgb(0, 0, 0)', '/static/style.css applies');
    assert.deepEqual(failedAssets, [], 'no page asset failed to load');
  });
});

// The private channel ([http] viewer_token): a fresh browser gets 401 without the token; the page
// opened with ?t= plays, its players carrying the token (hls.js a header and the cookie; native
// HLS only the cookie for its segments).
describe('private viewer page', {
  skip: (!baseUrl || !viewerToken) && 'set TESSERA_URL and TESSERA_VIEWER_TOKEN',
}, () => {
  let userDataDir;
  let context;
  let page;
  const pageErrors = [];
  const refused = [];

  before(async () => {
    userDataDir = await mkdtemp(path.join(tmpdir(), 'tessera-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: true,
      args: kChromiumArgs,
      timeout: kPageTimeoutMs,
    });
    context.setDefaultTimeout(kPageTimeoutMs);
    page = context.pages()[0] || (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(String(err)));
    page.on('response', (response) => {
      if (response.status() === 401) refused.push(new URL(response.url()).pathname);
    });
  });

  after(async () => {
    if (context) await withDeadline(context.close(), 15_000, 'closing Chromium').catch(() => {});
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  async function plays(query, what) {
    const response = await page.goto(`${baseUrl}/${query}`, { waitUntil: 'load' });
    assert.equal(response.status(), 200, `GET /${query} answers 200`);
    await page.waitForFunction(() => Boolean(window.tesseraViewer), undefined,
      { timeout: kPageTimeoutMs });
    const engine = await page.evaluate(() => window.tesseraViewer.engine);
    const startFrames = await page.evaluate(() => window.tesseraViewer.framesDecoded());
    await page.waitForFunction(
      (from) => window.tesseraViewer.framesDecoded() > from + 10 &&
        window.tesseraViewer.state === 'live',
      startFrames, { timeout: kPlaybackTimeoutMs, polling: 250 })
      .catch(async (err) => {
        const stats = await page.evaluate(() => window.tesseraViewer.stats()).catch(() => null);
        throw new Error(`${what}: frames do not advance (${engine}): ` +
          `${err.message.split('\n')[0]} stats ${JSON.stringify(stats)} ` +
          `refused ${JSON.stringify(refused)}`);
      });
    return engine;
  }

  test('without the token the page is refused', { timeout: kTestTimeoutMs }, async () => {
    const response = await page.goto(`${baseUrl}/`, { waitUntil: 'load' });
    assert.equal(response.status(), 401);
    const hls = await page.evaluate(
      async () => (await fetch('/hls/index.m3u8', { cache: 'no-store' })).status);
    assert.equal(hls, 401, 'a fresh browser has no cookie');
  });

  test('the page opened with ?t= plays', { timeout: kTestTimeoutMs }, async () => {
    refused.length = 0;
    const engine = await plays(`?t=${encodeURIComponent(viewerToken)}`, 'hls.js');
    assert.equal(engine, 'hlsjs');
    assert.deepEqual(refused, [], 'no request of the page was refused');
    // Without the cookie hls.js goes on with its Authorization header alone.
    await context.clearCookies();
    const loaded = await page.evaluate(() => window.tesseraViewer.stats().fragmentsLoaded);
    await page.waitForFunction(
      (from) => window.tesseraViewer.stats().fragmentsLoaded >= from + 2, loaded,
      { timeout: kPlaybackTimeoutMs, polling: 250 });
    assert.deepEqual(refused, [], 'no segment was refused without the cookie');
    assert.deepEqual(pageErrors, [], 'no uncaught errors in the page');
  });

  test('native HLS plays on the cookie', { timeout: kTestTimeoutMs }, async (t) => {
    refused.length = 0;
    const engine = await plays(`?t=${encodeURIComponent(viewerToken)}&engine=native`, 'native');
    if (engine !== 'native') {
      t.skip('this Chromium has no native HLS');
      return;
    }
    assert.deepEqual(refused, [], 'no request of the page was refused');
  });
});
