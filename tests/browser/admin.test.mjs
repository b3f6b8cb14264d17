// The operator's page (/admin) in headless Chromium, against a running tessera with
// [ingest.whip] approval = true: three phones join through the real join page (fake cameras,
// each in a browser context of its own, so each has its own participant id) and wait; the
// operator signs in, sees them with thumbnails, approves, hides, kicks and bans from the page,
// switches scene and moves a shader slider, and the canvas changes.
//
//   TESSERA_URL=http://127.0.0.1:18080 TESSERA_ADMIN=token TESSERA_Y4M=/tmp/known.y4m \
//   TESSERA_SHADER_SCENE=glass node --test tests/browser/admin.test.mjs
//
// Every wait is bounded.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, test } from 'node:test';
import { axeViolations, decodePng, visibleButtons, waitFor } from './support.mjs';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const baseUrl = (process.env.TESSERA_URL || '').replace(/\/+$/, '');
const adminToken = process.env.TESSERA_ADMIN || '';
const y4m = process.env.TESSERA_Y4M || '';
const shaderScene = process.env.TESSERA_SHADER_SCENE || 'glass';
const chromiumPath = process.env.TESSERA_CHROMIUM || '/usr/bin/chromium';

const kArgs = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
  `--use-file-for-fake-video-capture=${y4m}`,
  '--allow-loopback-in-peer-connection',
];

async function feeds() {
  const r = await fetch(`${baseUrl}/api/v1/feeds`);
  return r.json();
}
const feedById = async (id) => (await feeds()).find((f) => f.id === id);

async function canvas() {
  const r = await fetch(`${baseUrl}/api/v1/canvas.png`);
  return decodePng(Buffer.from(await r.arrayBuffer()));
}

// Mean absolute difference of two canvases' RGB, 0-255.
function difference(a, b) {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < a.pixels.length; i += a.channels * 7) {
    for (let k = 0; k < 3; k++) sum += Math.abs(a.pixels[i + k] - b.pixels[i + k]);
    n += 3;
  }
  return sum / n;
}

describe('operator page', { skip: (!baseUrl || !y4m || !adminToken) && 'set TESSERA_URL, TESSERA_ADMIN, TESSERA_Y4M' }, () => {
  let browser;
  const phones = [];  // {context, page, feed}
  let operator;

  before(async () => {
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: kArgs });
  });
  after(async () => {
    if (browser) await browser.close();
  });

  // A phone of its own (its own storage, so its own participant id) joining from /join.
  async function joinPhone() {
    const known = new Set((await feeds()).map((f) => f.id));
    const context = await browser.newContext();
    const page = await context.newPage();
    page.on('pageerror', (e) => console.log('join page error:', e.message));
    await page.goto(`${baseUrl}/join`, { timeout: 15000 });
    await page.waitForFunction(() => window.tesseraJoin && window.tesseraJoin.state === 'ready',
                               null, { timeout: 15000 });
    await page.click('#go');
    const feed = await waitFor('the phone\'s feed', async () =>
      (await feeds()).find((f) => !known.has(f.id) && f.source === 'whip'), 20000);
    return { context, page, feed: feed.id };
  }
  const joinState = (phone) => phone.page.evaluate(() => window.tesseraJoin.state);
  const card = (id) => operator.locator(`.feed[data-id="${id}"]`);

  test('phones wait for approval; the operator sees them with thumbnails', async () => {
    for (let i = 0; i < 3; i++) phones.push(await joinPhone());
    for (const p of phones) {
      await p.page.waitForFunction(() => window.tesseraJoin.state === 'waiting', null,
                                   { timeout: 20000 });
      assert.match(await p.page.textContent('#status'), /waiting/i);
      assert.deepEqual(await visibleButtons(p.page), ['Leave']);
      assert.equal((await feedById(p.feed)).tile, null, 'a waiting phone has no tile');
    }
    const ids = new Set(phones.map((p) => p.feed));
    assert.equal(ids.size, 3);

    const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
    operator = await context.newPage();
    operator.on('pageerror', (e) => console.log('admin page error:', e.message));
    const started = Date.now();
    await operator.goto(`${baseUrl}/admin`, { timeout: 15000 });
    assert.deepEqual(await axeViolations(operator), [], 'sign-in: WCAG 2 A/AA violations');
    // Signing in: a wrong token is refused with a message; the right one opens the console.
    await operator.getByLabel('Admin token').fill('wrong');
    await operator.getByRole('button', { name: 'Sign in' }).click();
    await operator.waitForFunction(() => document.getElementById('login-error').textContent !== '',
                                   null, { timeout: 5000 });
    await operator.getByLabel('Admin token').fill(adminToken);
    await operator.getByRole('button', { name: 'Sign in' }).click();
    await operator.waitForFunction(() => window.tesseraAdmin.link === 'live', null,
                                   { timeout: 10000 });
    for (const p of phones) {
      await card(p.feed).waitFor({ timeout: 10000 });
      assert.equal(await card(p.feed).getAttribute('data-state'), 'waiting');
    }
    console.log(`admin: 3 participants shown ${Date.now() - started} ms after opening the page`);
    // The token stays for the session: a reload does not ask again.
    await operator.reload();
    await operator.waitForFunction(() => window.tesseraAdmin.link === 'live', null,
                                   { timeout: 10000 });
    assert.equal(await operator.locator('#login').isHidden(), true);
    // Live thumbnails: each card's image is a decoded JPEG of its camera.
    for (const p of phones) {
      await operator.waitForFunction((id) => {
        const img = document.querySelector(`.feed[data-id="${id}"] .thumb`);
        return img && img.complete && img.naturalWidth > 0;
      }, p.feed, { timeout: 15000 });
    }
    const waitingAction = card(phones[0].feed).getByRole('button', { name: /^Approve/ });
    assert.equal(await waitingAction.isVisible(), true);
    assert.deepEqual(await axeViolations(operator), [], 'console: WCAG 2 A/AA violations');
    await operator.setViewportSize({ width: 390, height: 844 });  // the operator's phone
    assert.deepEqual(await axeViolations(operator), [], 'console at 390x844');
    await operator.setViewportSize({ width: 1100, height: 900 });
  });

  test('approve two: their tiles appear, their pages say live', async () => {
    for (const p of phones.slice(0, 2)) {
      await card(p.feed).getByRole('button', { name: /^Approve/ }).click();
    }
    for (const p of phones.slice(0, 2)) {
      await waitFor(`feed ${p.feed}'s tile`, async () => (await feedById(p.feed)).tile, 10000);
      await p.page.waitForFunction(() => window.tesseraJoin.state === 'live', null,
                                   { timeout: 15000 });
    }
    assert.equal((await feedById(phones[2].feed)).tile, null, 'the third still waits');
    assert.equal(await joinState(phones[2]), 'waiting');
  });

  test('hide: the tile leaves the canvas, the participant stays listed', async () => {
    const p = phones[1];
    await card(p.feed).getByRole('button', { name: /^Hide/ }).click();
    await waitFor('the hidden tile to leave', async () => {
      const f = await feedById(p.feed);
      return f && f.tile === null && f.hidden;
    }, 10000);
    await operator.waitForFunction((id) =>
      document.querySelector(`.feed[data-id="${id}"]`)?.dataset.hidden === 'true', p.feed,
    { timeout: 5000 });
    assert.equal(await card(p.feed).getByRole('button', { name: /^Show/ }).isVisible(), true);
    assert.equal(await joinState(p), 'live', 'a hidden phone is not told');
  });

  test('kick: the phone is told, the participant is gone', async () => {
    const p = phones[0];
    await card(p.feed).getByRole('button', { name: /^Kick/ }).click();
    await p.page.waitForFunction(() => window.tesseraJoin.state === 'ended', null,
                                 { timeout: 15000 });
    assert.match(await p.page.textContent('#status'), /artist ended your session/i);
    assert.deepEqual(await visibleButtons(p.page), ['Join again']);
    await card(p.feed).waitFor({ state: 'detached', timeout: 5000 });
    assert.equal(await feedById(p.feed), undefined);
  });

  test('ban: the phone is told, and its rejoin is refused', async () => {
    const p = phones[1];
    const ban = card(p.feed).getByRole('button', { name: /^Ban/ });
    await ban.click();
    assert.match(await ban.textContent(), /Confirm/);  // asks twice
    await ban.click();
    await p.page.waitForFunction(() => window.tesseraJoin.state === 'banned', null,
                                 { timeout: 15000 });
    assert.match(await p.page.textContent('#status'), /removed you/i);
    assert.deepEqual(await visibleButtons(p.page), [], 'a banned phone has nothing to press');
    await card(p.feed).waitFor({ state: 'detached', timeout: 5000 });
    // The same phone (same storage) comes back: refused, and told.
    const known = new Set((await feeds()).map((f) => f.id));
    await p.page.reload();
    await p.page.waitForFunction(() => window.tesseraJoin.state === 'ready', null,
                                 { timeout: 15000 });
    assert.match(await p.page.evaluate(() => window.tesseraJoin.participant), /^[0-9a-f]{32}$/);
    await p.page.click('#go');
    try {
      await p.page.waitForFunction(() => window.tesseraJoin.state === 'banned', null,
                                   { timeout: 15000 });
    } catch (e) {
      console.log('join state:', await joinState(p), await p.page.textContent('#status'));
      throw e;
    }
    assert.ok(!(await feeds()).some((f) => !known.has(f.id)), 'no feed for a banned phone');
    const log = await operator.textContent('#log');
    assert.match(log, /ban feed/);
    assert.match(log, /kick feed/);
  });

  test('approve the last one: its tile appears', async () => {
    const p = phones[2];
    await card(p.feed).getByRole('button', { name: /^Approve/ }).click();
    await waitFor('the approved tile', async () => (await feedById(p.feed)).tile, 10000);
    await p.page.waitForFunction(() => window.tesseraJoin.state === 'live', null,
                                 { timeout: 15000 });
  });

  test('switch scene and move a shader slider: the canvas changes', async () => {
    await operator.getByRole('button', { name: shaderScene, exact: true }).click();
    await waitFor('the scene switch', async () =>
      (await (await fetch(`${baseUrl}/healthz`)).json()).scene === shaderScene, 10000);
    const slider = operator.getByRole('slider', { name: /Panes across/ });
    await slider.waitFor({ timeout: 10000 });
    // The fade is over and the picture still (drift 0, a still camera): two canvases agree.
    // (Two canvases 300 ms apart: ten canvas frames, so a fade still running shows.)
    let a = null;
    const still = await waitFor('the canvas to hold still after the fade', async () => {
      a = await canvas();
      await new Promise((r) => setTimeout(r, 300));
      const d = difference(a, await canvas());
      return d < 1 ? { d } : null;
    }, 10000, 100).then((r) => r.d);
    await slider.focus();
    await operator.keyboard.press('End');  // the most panes
    await waitFor('the input to reach the server', async () => {
      const r = await (await fetch(`${baseUrl}/api/v1/params`)).json();
      const s = r.shaders.find((x) => x.scene === shaderScene);
      const cells = s.params.find((x) => x.name === 'cells');
      return cells.value === cells.max;
    }, 10000);
    const changed = await waitFor('the canvas to change', async () => {
      const d = difference(a, await canvas());
      return d > still + 8 ? d : null;
    }, 10000, 300);
    console.log(`canvas difference: still ${still.toFixed(2)}, after the slider ${changed.toFixed(2)}`);
    for (const p of phones) await p.context.close();
  });
});
