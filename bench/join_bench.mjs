// Browser side of bench/bench_join.py (see there). Modes:
//   latency N        N joins one after another: POST -> first decoded frame, POST -> tile
//   hold N SECONDS   N participants at once, kept live for SECONDS; prints how many were live
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire(new URL('../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');
const [mode, countArg, secondsArg, query = ''] = process.argv.slice(2);
const count = Number(countArg);
const base = process.env.TESSERA_URL;
const token = process.env.TESSERA_TOKEN;

const dir = await mkdtemp(path.join(tmpdir(), 'join-bench-'));
const browser = await chromium.launchPersistentContext(dir, {
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync',
         '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
         `--use-file-for-fake-video-capture=${process.env.TESSERA_Y4M}`,
         '--allow-loopback-in-peer-connection'],
});
const feeds = async () => (await fetch(`${base}/api/v1/feeds`)).json();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function openReady() {
  const page = await browser.newPage();
  await page.goto(`${base}/join?t=${token}${query}`, { timeout: 20000 });
  await page.waitForFunction(() => window.tesseraJoin && window.tesseraJoin.state === 'ready',
                             null, { timeout: 20000 });
  return page;
}

try {
  if (mode === 'latency') {
    const results = [];
    for (let i = 0; i < count; i++) {
      const known = new Set((await feeds()).map((f) => f.id));
      const page = await openReady();
      await page.click('#go');
      let firstFrame = null, onCanvas = null, id = null;
      const deadline = Date.now() + 15000;
      while ((!firstFrame || !onCanvas) && Date.now() < deadline) {
        const now = Date.now();
        const f = (await feeds()).find((x) => !known.has(x.id) && x.source === 'whip');
        if (f) {
          id = f.id;
          if (!firstFrame && f.frames > 0) firstFrame = now;
          if (!onCanvas && f.tile) onCanvas = now;
        }
        await sleep(10);
      }
      const postAt = await page.evaluate(() => window.tesseraJoin.postAt);
      results.push({ firstFrameMs: firstFrame - postAt, onCanvasMs: onCanvas - postAt, id });
      await page.click('#leave');
      await page.waitForFunction(() => window.tesseraJoin.state === 'ended', null,
                                 { timeout: 10000 });
      await page.close();
      const left = Date.now() + 10000;
      while ((await feeds()).some((f) => f.id === id) && Date.now() < left) await sleep(50);
    }
    console.log(JSON.stringify({ mode, results }));
  } else if (mode === 'hold') {
    const pages = [];
    for (let i = 0; i < count; i++) pages.push(await openReady());
    await Promise.all(pages.map((p) => p.click('#go')));
    const deadline = Date.now() + 60000;
    let live = 0;
    while (Date.now() < deadline) {
      live = (await feeds()).filter((f) => f.source === 'whip' && f.state === 'live').length;
      if (live === count) break;
      await sleep(250);
    }
    console.log(JSON.stringify({ mode, event: 'ready', live }));  // the driver measures now
    await sleep(Number(secondsArg) * 1000);
    const end = await feeds();
    const whip = end.filter((f) => f.source === 'whip');
    console.log(JSON.stringify({ mode, event: 'done', requested: count,
                                 live: whip.filter((f) => f.state === 'live').length,
                                 fps: whip.map((f) => f.fps) }));
    await Promise.all(pages.map((p) => p.click('#leave').catch(() => {})));
  }
} finally {
  await browser.close();
  await rm(dir, { recursive: true, force: true });
}
