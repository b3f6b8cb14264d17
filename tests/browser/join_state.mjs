// What a participant sees on the join page at URL, as one line of JSON: the page's state, its
// status line and the buttons shown. Headless Chromium with a fake camera; a self-signed
// certificate is accepted (as a phone's "Proceed" does). Every wait is bounded.
//
//   node tests/browser/join_state.mjs https://192.0.2.10:8080/join
import { createRequire } from 'node:module';
import { visibleButtons } from './support.mjs';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const url = process.argv[2];
const browser = await chromium.launch({
  executablePath: process.env.TESSERA_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
});
try {
  const context = await browser.newContext({ ignoreHTTPSErrors: true,
                                             viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  await page.goto(url, { timeout: 15000 });
  await page.waitForFunction(() => window.tesseraJoin && window.tesseraJoin.state !== 'idle',
                             null, { timeout: 15000 });
  console.log(JSON.stringify({
    state: await page.evaluate(() => window.tesseraJoin.state),
    secure: await page.evaluate(() => window.isSecureContext),
    status: await page.textContent('#status'),
    buttons: await visibleButtons(page),
  }));
} finally {
  await browser.close();
}
