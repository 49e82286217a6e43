// Drives the service's Swagger UI (/docs/) in Debian's headless Chromium through playwright-core,
// as a person would: every operation of /openapi.json is listed; "Try it out" on
// GET /readings/current answers 200 with a reading; a token-protected account answers 401 until
// "Authorize" is given its bearer token, then 200. Saves a screenshot. Run by
// scripts/swagger-ui-check.sh, which starts the service; by hand:
//
//   SWAGGER_UI_TOKEN=<the protected account's token> node swagger-ui.mjs \
//     --url http://127.0.0.1:8080 --open-account demo --protected-account alice \
//     --screenshot out.png
//
// Exits 1 with a message naming the failed step (and a "-failure.png" screenshot beside the
// requested one), or when the whole run exceeds --timeout-seconds.

import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';

const { values: opt } = parseArgs({
  options: {
    url: { type: 'string' },
    'open-account': { type: 'string' },
    'protected-account': { type: 'string' },
    screenshot: { type: 'string' },
    'timeout-seconds': { type: 'string', default: '120' },
    chromium: { type: 'string', default: '/usr/bin/chromium' },
  },
});
const token = process.env.SWAGGER_UI_TOKEN;
for (const name of ['url', 'open-account', 'protected-account', 'screenshot']) {
  if (!opt[name]) usage(`--${name} is required`);
}
if (!token) usage('SWAGGER_UI_TOKEN (the protected account\'s token) is required');
const base = opt.url.replace(/\/+$/, '');
const failureShot = opt.screenshot.replace(/(\.png)?$/, '-failure.png');

let browser;
let page;
let current = 'start';
let failed = false;
const pageProblems = []; // filled by watchPage

// One bound on the whole run, so a UI that never renders cannot hang CI.
const deadline = setTimeout(
  () => fail(new Error(`the whole check took longer than ${opt['timeout-seconds']} s`)),
  Number(opt['timeout-seconds']) * 1000,
);

try {
  const operations = await step('read /openapi.json', readOperations);

  await step('open /docs/ in Chromium', async () => {
    browser = await chromium.launch({
      executablePath: opt.chromium,
      // playwright-core adds --headless and a fresh temporary --user-data-dir itself. The rest
      // keeps Chromium from calling Google's services, which a closed network refuses, and
      // --no-sandbox lets it run as root in CI.
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(15_000);
    watchPage(page);
    await page.goto(`${base}/docs/`);
    await page.locator('.opblock').first().waitFor();
  });

  await step('every operation of /openapi.json is listed', async () => {
    // Tags start open in the default configuration; open any that a setting collapsed.
    for (const tag of await page.locator('.opblock-tag-section:not(.is-open) .opblock-tag').all()) {
      await tag.click();
    }
    const listed = await page.locator('.opblock').evaluateAll((blocks) =>
      blocks.map((b) => {
        const method = b.querySelector('.opblock-summary-method')?.textContent.trim().toLowerCase();
        const path = b.querySelector('.opblock-summary-path')?.getAttribute('data-path');
        return `${method} ${path}`;
      }));
    const missing = operations.filter((op) => !listed.includes(op));
    const extra = listed.filter((op) => !operations.includes(op));
    if (missing.length || extra.length) {
      throw new Error(`the UI differs from /openapi.json; missing: [${missing.join(', ')}], `
        + `not in the document: [${extra.join(', ')}]`);
    }
    console.log(`swagger-ui.mjs: all ${operations.length} operations are listed`);
  });

  await step(`"Try it out" on GET /readings/current?account=${opt['open-account']}`, async () => {
    const { status, body } = await tryCurrent(opt['open-account']);
    expectReading(status, body);
  });

  await step(`account ${opt['protected-account']} without a token answers 401`, async () => {
    const { status, body } = await tryCurrent(opt['protected-account']);
    if (status !== 401) throw new Error(`expected 401, the UI shows ${status}: ${body}`);
  });

  await step('"Authorize" with the bearer token', async () => {
    await page.locator('.auth-wrapper .btn.authorize').click();
    const modal = page.locator('.dialog-ux .modal-ux');
    // One section per scheme, headed by its name: "bearer" is declared in src/openapi.rs.
    const bearer = modal.locator('.auth-container')
      .filter({ has: page.locator('h4 code', { hasText: /^bearer$/ }) });
    await bearer.locator('input').fill(token);
    await bearer.locator('.btn.authorize').click();
    // Once authorized, the section says so (and offers "Logout" in place of "Authorize").
    await bearer.locator('h6', { hasText: 'Authorized' }).waitFor();
    await bearer.locator('.btn-done').click();
    await modal.waitFor({ state: 'detached' });
  });

  await step(`account ${opt['protected-account']} with the token answers 200`, async () => {
    const { status, body } = await tryCurrent(opt['protected-account']);
    expectReading(status, body);
  });

  await step(`save the screenshot to ${opt.screenshot}`, async () => {
    // From the "Authorize" bar (its padlock now closed) down to the response just shown, in
    // page coordinates. The curl command is blurred: it holds the token (a random one of this
    // run, but a picture of a readable token teaches the wrong thing).
    const pageY = (locator) => locator.evaluate((el) => {
      const r = el.getBoundingClientRect();
      return { top: r.top + window.scrollY, bottom: r.bottom + window.scrollY };
    });
    const top = (await pageY(page.locator('.scheme-container'))).top;
    const bottom = (await pageY(currentBlock().locator('.live-responses-table'))).bottom + 8;
    await page.screenshot({
      path: opt.screenshot,
      fullPage: true,
      clip: { x: 0, y: top, width: 1280, height: bottom - top },
      style: '.curl-command pre { filter: blur(5px); }',
    });
  });

  await step('close Chromium', async () => {
    clearTimeout(deadline);
    await browser.close();
  });
  console.log('swagger-ui.mjs: all checks passed');
} catch (err) {
  await fail(err);
}

// The "method path" pairs of the document, e.g. "get /readings/current".
async function readOperations() {
  const res = await fetch(`${base}/openapi.json`);
  if (!res.ok) throw new Error(`GET /openapi.json answered ${res.status}`);
  const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
  const ops = Object.entries((await res.json()).paths ?? {}).flatMap(([path, item]) =>
    Object.keys(item).filter((m) => methods.includes(m)).map((m) => `${m} ${path}`));
  if (ops.length === 0) throw new Error('the document has no operations');
  return ops;
}

function currentBlock() {
  return page.locator('.opblock-get')
    .filter({ has: page.locator('.opblock-summary-path[data-path="/readings/current"]') });
}

// Sends GET /readings/current?account=ACCOUNT from the operation's "Try it out" form and returns
// the status and body the UI shows.
async function tryCurrent(account) {
  const block = currentBlock();
  if (!(await block.evaluate((b) => b.classList.contains('is-open')))) {
    await block.locator('.opblock-summary-control').click();
  }
  const tryOut = block.locator('.try-out__btn');
  if ((await tryOut.textContent()).trim() === 'Try it out') await tryOut.click();
  // "Clear" drops the previous answer, so that the one read below is this request's.
  const live = block.locator('.live-responses-table .response');
  const clear = block.locator('.btn-clear');
  if (await clear.isVisible()) {
    await clear.click();
    await live.first().waitFor({ state: 'detached' });
  }
  await block.locator('tr[data-param-name="account"] input').fill(account);
  await block.locator('.btn.execute').click();
  const status = Number((await live.locator('.response-col_status').first().textContent()).trim());
  const body = (await live.locator('.response-col_description pre').first().textContent()).trim();
  const oneLine = body.replace(/\s+/g, ' ').slice(0, 90);
  console.log(`swagger-ui.mjs: account=${account}: ${status} ${oneLine}`);
  return { status, body };
}

function expectReading(status, body) {
  if (status !== 200) {
    throw new Error(`expected 200 with a reading, the UI shows ${status}: ${body}`);
  }
  let reading;
  try {
    reading = JSON.parse(body);
  } catch {
    throw new Error(`the 200 body shown is not JSON: ${body}`);
  }
  if (!Number.isInteger(reading.mg_dl)) throw new Error(`the 200 body shown has no mg_dl: ${body}`);
}

// A script error in the page, or a request that leaves the service (the UI must work offline),
// fails the check at the end of the step.
function watchPage(p) {
  p.on('pageerror', (err) => pageProblems.push(`script error in the page: ${err.message}`));
  p.on('request', (req) => {
    if (!req.url().startsWith(`${base}/`) && !req.url().startsWith('data:')) {
      pageProblems.push(`the page requested ${req.url()}, which is not the service`);
    }
  });
}

async function step(name, fn) {
  if (failed) await new Promise(() => {}); // the deadline struck: fail() is ending the process
  current = name;
  const started = Date.now();
  const result = await fn();
  if (pageProblems.length) throw new Error(pageProblems.join('; '));
  console.log(`swagger-ui.mjs: ok: ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return result;
}

async function fail(err) {
  if (failed) return; // the deadline and the failing step may both get here
  failed = true;
  clearTimeout(deadline);
  // fetch() says only "fetch failed"; the reason is in its cause.
  const cause = err.cause ? ` (${err.cause.message ?? err.cause})` : '';
  console.error(`swagger-ui.mjs: FAILED at step: ${current}: ${err.message}${cause}`);
  if (page) {
    await page.screenshot({ path: failureShot, fullPage: true, timeout: 5_000 })
      .then(() => console.error(`swagger-ui.mjs: the page as it was: ${failureShot}`), () => {});
  }
  await browser?.close().catch(() => {});
  process.exit(1);
}

function usage(message) {
  console.error(`swagger-ui.mjs: ${message}\n`
    + 'usage: SWAGGER_UI_TOKEN=... node swagger-ui.mjs --url URL --open-account NAME '
    + '--protected-account NAME --screenshot FILE.png [--timeout-seconds N] [--chromium PATH]');
  process.exit(2);
}
