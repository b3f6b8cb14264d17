// The operator's page under load (driven by bench/bench_admin.py): opens /admin in headless
// Chromium with the admin token already in sessionStorage, reports when it painted and when
// every participant was on screen, prints "ready", then after WINDOW_S seconds prints what the
// page received: events, event-stream bytes, thumbnails (and their bytes).
//
//   TESSERA_URL=http://127.0.0.1:8080 TESSERA_ADMIN=token FEEDS=256 WINDOW_S=30 \
//   node bench/admin_bench.mjs
import { createRequire } from 'node:module';

const require = createRequire(new URL('../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const url = process.env.TESSERA_URL;
const token = process.env.TESSERA_ADMIN;
const feeds = Number(process.env.FEEDS || 256);
const windowS = Number(process.env.WINDOW_S || 30);

const browser = await chromium.launch({
  executablePath: process.env.TESSERA_CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
});
try {
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  await context.addInitScript((t) => sessionStorage.setItem('tessera-admin-token', t), token);
  const page = await context.newPage();
  let thumbBytes = 0;
  let thumbs = 0;
  page.on('response', async (r) => {
    if (r.url().endsWith('thumbnail.jpg') && r.status() === 200) {
      thumbs += 1;
      thumbBytes += Number(r.headers()['content-length'] || 0);
    }
  });
  const start = Date.now();
  await page.goto(`${url}/admin`);
  await page.waitForFunction((n) => document.querySelectorAll('.feed').length >= n, feeds,
                             { timeout: 60000, polling: 50 });
  const allCardsMs = Date.now() - start;
  const paint = await page.evaluate(() => {
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return { fcp: fcp ? fcp.startTime : null, firstState: window.tesseraAdmin.firstStateMs };
  });
  const before = await page.evaluate(() => ({ events: window.tesseraAdmin.events,
                                              bytes: window.tesseraAdmin.bytes }));
  const thumbsBefore = thumbs;
  const thumbBytesBefore = thumbBytes;
  console.log(JSON.stringify({ ready: true, all_cards_ms: allCardsMs, fcp_ms: paint.fcp,
                               first_state_ms: paint.firstState }));
  await page.waitForTimeout(windowS * 1000);
  const after = await page.evaluate(() => ({ events: window.tesseraAdmin.events,
                                             bytes: window.tesseraAdmin.bytes }));
  console.log(JSON.stringify({
    done: true,
    events_per_s: (after.events - before.events) / windowS,
    event_bytes_per_s: (after.bytes - before.bytes) / windowS,
    thumbs_per_s: (thumbs - thumbsBefore) / windowS,
    thumb_bytes_per_s: (thumbBytes - thumbBytesBefore) / windowS,
  }));
} finally {
  await browser.close();
}
