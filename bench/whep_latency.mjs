// Glass-to-glass latency of the viewer page, low latency (WHEP) against regular (HLS), driven by
// bench/bench_whep.py: TESSERA_URL, TESSERA_ADMIN (admin token, for POST /api/v1/scene) and
// TESSERA_FLASHES; the installation has scenes "dark" and "bright" (white), both without fade. Prints one JSON line: per transport the latencies (ms) and p50/p95/max.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const baseUrl = process.env.TESSERA_URL.replace(/\/+$/, '');
const admin = process.env.TESSERA_ADMIN;
const flashes = Number(process.env.TESSERA_FLASHES || '20');
const hlsFlashes = Number(process.env.TESSERA_HLS_FLASHES || '5'); // seconds each: a comparison
const kBrightMs = 1000; // how long each flash stays
const kGapMs = 1500; // dark between flashes

async function scene(name) {
  const r = await fetch(`${baseUrl}/api/v1/scene`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  if (r.status >= 300) throw new Error(`scene ${name}: ${r.status} ${await r.text()}`);
}

function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

// In the page: resolve with the presentation time (epoch ms) of the first bright frame after
// `sinceMs`.
function watchForFlash(sinceMs) {
  const video = document.querySelector('video');
  const canvas = document.createElement('canvas');
  canvas.width = 32;
  canvas.height = 18;
  const g = canvas.getContext('2d', { willReadFrequently: true });
  return new Promise((resolve) => {
    const deadline = Date.now() + 20000;
    const onFrame = (now, meta) => {
      g.drawImage(video, 0, 0, 32, 18);
      const d = g.getImageData(0, 0, 32, 18).data;
      let sum = 0;
      for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2];
      const mean = sum / (d.length / 4) / 3;
      const shownMs = performance.timeOrigin + (meta.presentationTime || now);
      if (mean > 200 && shownMs > sinceMs) resolve(shownMs);
      else if (Date.now() > deadline) resolve(null);
      else video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  });
}

async function measure(browser, query, label, count) {
  const page = await browser.newPage();
  await page.goto(`${baseUrl}/${query}`);
  await page.waitForFunction(() => window.tesseraViewer && window.tesseraViewer.state === 'live' &&
    window.tesseraViewer.framesDecoded() > 30, undefined, { timeout: 60000, polling: 250 });
  await new Promise((r) => setTimeout(r, 3000)); // HLS settles at its live edge
  const transport = await page.evaluate(() => window.tesseraViewer.transport);
  const latencies = [];
  for (let i = -1; i < count; i++) { // i = -1: a warm-up flash (the first switch), not counted
    const sentMs = Date.now();
    const watching = page.evaluate(watchForFlash, sentMs);
    await scene('bright');
    await new Promise((res) => setTimeout(res, kBrightMs));
    await scene('dark');
    const shownMs = await watching;
    if (shownMs !== null && i >= 0) latencies.push(Math.round(shownMs - sentMs));
    await new Promise((res) => setTimeout(res, kGapMs + (label === 'hls' ? 6000 : 0)));
  }
  await page.close();
  return {
    label, transport, n: latencies.length, latencies_ms: latencies,
    p50_ms: percentile(latencies, 50), p95_ms: percentile(latencies, 95),
    max_ms: Math.max(...latencies),
  };
}

const browser = await chromium.launch({
  executablePath: process.env.TESSERA_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--autoplay-policy=no-user-gesture-required',
    '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns'],
});
try {
  const whep = await measure(browser, '?mode=lowlatency', 'whep', flashes);
  const hls = await measure(browser, '', 'hls', hlsFlashes);
  console.log(JSON.stringify({ whep, hls }));
} finally {
  await browser.close();
}
