// Helpers the browser tests share: bounded waiting, decoding tessera's canvas.png, the
// accessibility check (axe-core from web/node_modules) and what a page shows.
import { createRequire } from 'node:module';
import { inflateSync } from 'node:zlib';

const require = createRequire(new URL('../../web/package.json', import.meta.url));
const kAxePath = require.resolve('axe-core/axe.min.js');

// The WCAG 2 A and AA violations axe-core finds on `page` (its current state), one line each:
// "rule (impact): help: the elements". An empty array is a pass.
export async function axeViolations(page) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) {
    await page.addScriptTag({ path: kAxePath });
  }
  const violations = await page.evaluate(async () => (await window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] },
    resultTypes: ['violations'],
  })).violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map((n) => `${n.target.join(' ')} ${n.failureSummary || ''}`.trim()),
  })));
  return violations.map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.join('; ')}`);
}

// The texts of the buttons a person can see on `page` now.
export async function visibleButtons(page) {
  const names = [];
  for (const b of await page.getByRole('button').all()) {
    if (await b.isVisible()) names.push((await b.textContent()).trim());
  }
  return names;
}

// Polls `fn` until it returns something truthy, at most `timeoutMs`; the last error is reported.
export async function waitFor(what, fn, timeoutMs, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}` +
                  (last ? ` (last error: ${last.message})` : ''));
}


// tessera's canvas.png: 8-bit RGB(A), filters 0-4.
export function decodePng(buf) {
  let pos = 8;
  let width = 0, height = 0, channels = 4;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      channels = data[9] === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i];
      const a = i >= channels ? out[y * stride + i - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + i] : 0;
      const c = i >= channels && y > 0 ? out[(y - 1) * stride + i - channels] : 0;
      let v = x;
      if (f === 1) v = x + a;
      else if (f === 2) v = x + b;
      else if (f === 3) v = x + ((a + b) >> 1);
      else if (f === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      out[y * stride + i] = v & 255;
    }
  }
  return { width, height, channels, pixels: out };
}
