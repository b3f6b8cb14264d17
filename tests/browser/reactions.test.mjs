// Browser test of the viewer page's reaction buttons (web/static/reactions.js) against a running
// tessera server whose [reactions] per_address_per_minute is 3:
//
//   TESSERA_URL=http://127.0.0.1:18080 node --test tests/browser/reactions.test.mjs
//
// Each tap reaches POST /api/v1/reactions (the server counts it); the fourth within the minute
// gets 429, and the page rests the buttons with a gentle note instead of failing silently.
// playwright-core from web/node_modules drives the system Chromium; every wait is bounded.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const kTimeoutMs = 15_000;
const kTestTimeoutMs = 60_000;
const baseUrl = (process.env.TESSERA_URL || '').replace(/\/+$/, '');
const chromiumPath = process.env.TESSERA_CHROMIUM || '/usr/bin/chromium';

async function counts() {
  const r = await fetch(`${baseUrl}/api/v1/reactions`);
  assert.equal(r.status, 200);
  return (await r.json()).counts;
}

// Polls `fn` (async, truthy when done) every 100 ms for at most `ms`.
async function waitFor(what, fn, ms = kTimeoutMs) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what}: not within ${ms} ms (last: ${JSON.stringify(last)})`);
}

describe('reaction buttons', { skip: !baseUrl && 'set TESSERA_URL to the server to test' }, () => {
  let userDataDir;
  let context;
  let page;
  const pageErrors = [];

  before(async () => {
    userDataDir = await mkdtemp(path.join(tmpdir(), 'tessera-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
      timeout: kTimeoutMs,
    });
    context.setDefaultTimeout(kTimeoutMs);
    page = context.pages()[0] || (await context.newPage());
    page.on('pageerror', (err) => pageErrors.push(String(err)));
  });

  after(async () => {
    if (context) await context.close().catch(() => {});
    if (userDataDir) await rm(userDataDir, { recursive: true, force: true });
  });

  test('four buttons appear when the installation takes reactions', { timeout: kTestTimeoutMs },
    async () => {
      await page.goto(`${baseUrl}/`, { waitUntil: 'load' });
      await page.waitForSelector('#reactions:not([hidden])', { timeout: kTimeoutMs });
      const kinds = await page.$$eval('#reactions button', (bs) => bs.map((b) => b.dataset.kind));
      assert.deepEqual(kinds, ['heart', 'clap', 'wow', 'fire']);
      assert.deepEqual(pageErrors, []);
    });

  test('a tap is a reaction the server counts', { timeout: kTestTimeoutMs }, async () => {
    await page.click('button[data-kind="heart"]');
    await waitFor('heart counted', async () => (await counts()).heart === 1);
    await page.click('button[data-kind="clap"]');
    await page.click('button[data-kind="wow"]');
    const c = await waitFor('clap and wow counted', async () => {
      const now = await counts();
      return now.clap === 1 && now.wow === 1 ? now : null;
    });
    assert.deepEqual(c, { heart: 1, clap: 1, wow: 1, fire: 0 });
  });

  test('beyond the rate, the buttons rest and a note says so', { timeout: kTestTimeoutMs },
    async () => {
      await page.click('button[data-kind="fire"]');
      const note = await page.waitForSelector('#reactions-note:not([hidden])', { timeout: kTimeoutMs });
      assert.match(await note.textContent(), /rest for \d+ s/);
      const disabled = await page.$$eval('#reactions button', (bs) => bs.every((b) => b.disabled));
      assert.ok(disabled, 'every button is disabled while resting');
      assert.equal((await counts()).fire, 0, 'the refused reaction was not counted');
      assert.deepEqual(pageErrors, []);
    });
});
