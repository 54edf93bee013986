// Drives the explorer in Debian's chromium (puppeteer-core, no bundled browser).
// Usage: node explorer_test.js BASE_URL VERIFIER_KEY OUT_DIR CHROMIUM
// Each check prints "ok - ..." or fails the run with "FAIL: ..." (exit 1).
'use strict';
const crypto = require('crypto');
const http = require('http');
const path = require('path');
const puppeteer = require('puppeteer-core');

const [base, verifierKey, outDir, chromium] = process.argv.slice(2);
// Generous: CI and developer machines run this beside other builds; a normal step takes < 1 s.
const STEP_MS = 60000;

function fail(msg) { throw new Error(msg); }
function ok(msg) { console.log(`ok - ${msg}`); }
function expect(cond, msg) { if (!cond) fail(msg); ok(msg); }

// A valid verifier key for the same origin but another Ed25519 key (docs/format.md §5).
function otherVerifierKey(name) {
  const { publicKey } = crypto.generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const key = Buffer.concat([Buffer.from([1]), raw]);
  const hash = crypto.createHash('sha256').update(Buffer.concat([Buffer.from(name + '\n'), key])).digest();
  return `${name}+${hash.subarray(0, 4).toString('hex')}+${key.toString('base64')}`;
}

function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    }).on('error', reject);
  });
}

async function waitReady(page, hash) {
  await page.waitForFunction((h) => document.body.dataset.ready === h, { timeout: STEP_MS }, hash);
}

async function go(page, hash) {
  await page.evaluate((h) => { location.hash = h; }, hash);
  await waitReady(page, hash);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: true });
}

// Every input, select and textarea has a label (label[for], a wrapping label or aria-label).
async function checkLabels(page, where) {
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
    .filter((el) => el.type !== 'hidden')
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
    .map((el) => el.outerHTML.slice(0, 80)));
  expect(unlabelled.length === 0, `${where}: every control is labelled ${unlabelled.length ? JSON.stringify(unlabelled) : ''}`);
}

// WCAG 2 contrast of every element with its own text against its effective background.
async function checkContrast(page, where) {
  const bad = await page.evaluate(() => {
    const parse = (c) => { const m = c.match(/rgba?\(([^)]+)\)/); if (!m) return null; const p = m[1].split(',').map(Number); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
    const lum = ({ r, g, b }) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
    const bgOf = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0) return c; } return { r: 255, g: 255, b: 255, a: 1 }; };
    const out = [];
    for (const el of document.querySelectorAll('body *')) {
      if (!el.offsetParent && getComputedStyle(el).position !== 'fixed') continue;
      const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
      if (!own) continue;
      const cs = getComputedStyle(el);
      const fg = parse(cs.color); const bg = bgOf(el);
      const L1 = lum(fg), L2 = lum(bg);
      const ratio = (Math.max(L1, L2) + 0.05) / (Math.min(L1, L2) + 0.05);
      const size = parseFloat(cs.fontSize); const bold = Number(cs.fontWeight) >= 700;
      const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
      if (ratio < need) out.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)} < ${need}`);
    }
    return out;
  });
  expect(bad.length === 0, `${where}: text contrast meets WCAG AA ${bad.length ? JSON.stringify(bad.slice(0, 5)) : ''}`);
}

// Pressing Tab from the top reaches each of `ids` (within 60 presses), in document order.
async function checkTabOrder(page, where, ids) {
  await page.evaluate(() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); });
  await page.focus('body');
  const seen = [];
  for (let i = 0; i < 60 && seen.length < ids.length; i++) {
    await page.keyboard.press('Tab');
    const id = await page.evaluate(() => document.activeElement && document.activeElement.id);
    if (id === ids[seen.length]) seen.push(id);
  }
  expect(seen.length === ids.length, `${where}: Tab reaches ${ids.join(', ')} in order (reached ${seen.join(', ') || 'none'})`);
}

async function verifyState(page) {
  await page.click('#verify-button');
  await page.waitForFunction(() => ['verified', 'failed'].includes(document.getElementById('verify-status').dataset.state), { timeout: STEP_MS });
  return page.evaluate(() => ({
    state: document.getElementById('verify-status').dataset.state,
    text: document.getElementById('verify-status').textContent,
    steps: document.getElementById('verify-steps').textContent,
  }));
}

(async () => {
  // The server side first: the static files' headers, and the redirect from "/".
  const root = await get(`${base}/`);
  expect(root.status === 302 && root.headers.location === '/explorer/', '/ redirects to /explorer/');
  const index = await get(`${base}/explorer/`);
  expect(index.status === 200 && /script-src 'self'/.test(index.headers['content-security-policy'] || ''), 'explorer served with a same-origin Content-Security-Policy');

  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
    timeout: 60000,
  });
  const external = [];
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(STEP_MS);
    await page.setViewport({ width: 1100, height: 900 });
    page.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) external.push(r.url()); });
    const consoleErrors = [];
    page.on('pageerror', (e) => consoleErrors.push(String(e)));

    // First visit: the server's key is shown and can be pinned.
    await page.goto(`${base}/explorer/`);
    await waitReady(page, '#/');
    await page.waitForSelector('#served-key');  // the banner renders once /api/v1/log answers
    const served = await page.$eval('#served-key', (e) => e.textContent);
    expect(served === verifierKey, 'first visit shows the server\'s checkpoint key for pinning');
    await shot(page, '01-first-visit');
    await page.click('#pin-served');
    await page.waitForFunction(() => localStorage.getItem('factledger.pinnedVerifierKey') !== null);
    const pinned = await page.evaluate(() => localStorage.getItem('factledger.pinnedVerifierKey'));
    expect(pinned === verifierKey, 'Pin this key stores the key');
    expect(await page.$eval('#key-banner', (e) => e.hidden), 'no banner once the served key is pinned');

    // Search by claimant.
    await checkLabels(page, 'search page');
    await checkTabOrder(page, 'search page', ['text', 'filter', 'value', 'said_from', 'said_to', 'search-button']);
    await page.select('#filter', 'claimant');
    await page.type('#value', 'Alexander Novak');
    await page.type('#said_from', '2015-08');
    await page.click('#search-button');
    await page.waitForFunction(() => document.body.dataset.ready.includes('value=Alexander'));
    const found = await page.$$eval('#results li a[href^="#/claim/"]', (as) => as.map((a) => a.getAttribute('href')));
    expect(found.includes('#/claim/seed-novak-pipeline-ready'), `search by claimant finds seed-novak-pipeline-ready (${found.length} results)`);
    await checkContrast(page, 'search results');
    await shot(page, '02-search-claimant');

    // Search by text (match).
    await go(page, '#/?text=Novak+said+the+pipeline+is+ready+to+be+signed');
    const first = await page.$eval('#results li a[href^="#/claim/"]', (a) => a.getAttribute('href'));
    expect(first === '#/claim/seed-novak-pipeline-ready', 'text search ranks the pipeline claim first');
    await shot(page, '03-search-text');

    // Open a claim from the results, then Verify.
    await Promise.all([page.waitForFunction(() => document.body.dataset.ready === '#/claim/seed-novak-pipeline-ready'),
      page.click('#results li a[href="#/claim/seed-novak-pipeline-ready"]')]);
    expect((await page.$eval('#statement', (e) => e.textContent)).includes('ready for signing'), 'claim page shows the statement');
    expect((await page.$eval('#clocks', (e) => e.textContent)).includes('Recorded in the log'), 'claim page shows the four clocks');
    await checkLabels(page, 'claim page');
    await checkTabOrder(page, 'claim page', ['verify-button', 'as-of']);
    let v = await verifyState(page);
    expect(v.state === 'verified' && /verified/i.test(v.text), `Verify on seed-novak-pipeline-ready reads "verified" (${v.steps.slice(0, 200)})`);
    expect(/Event signatures verified \(Ed25519, signed for explorer\.example\/log\) by Desk A/.test(v.steps), 'Verify checks the events\' signatures by the registered key');
    await checkContrast(page, 'claim page (verified)');
    await shot(page, '04-claim-verified');

    // A claim with a correction and a verdict, as of before the correction, verifies too.
    await go(page, '#/claim/seed-article-pipeline-cost');
    v = await verifyState(page);
    expect(v.state === 'verified', 'Verify on a claim with a verdict reads "verified"');
    await go(page, '#/claim/seed-article-loc-clashes?as_of=16');
    expect((await page.$eval('#statement', (e) => e.textContent)).includes('defector'), 'history as of sequence 16 shows the uncorrected statement');
    v = await verifyState(page);
    expect(v.state === 'verified', 'Verify on the as-of version reads "verified"');
    await go(page, '#/claim/seed-article-loc-clashes');
    expect((await page.$eval('#statement', (e) => e.textContent)).includes('de facto'), 'the latest version shows the correction');
    v = await verifyState(page);
    expect(v.state === 'verified', 'Verify on the corrected claim reads "verified"');
    await shot(page, '05-claim-corrected');

    // A tampered inclusion proof: one byte of one hash changed in flight.
    await page.setRequestInterception(true);
    let tampered = 0;
    const onRequest = async (req) => {
      if (!req.url().includes('/api/v1/proofs/inclusion')) { req.continue(); return; }
      const real = await get(req.url());
      const body = JSON.parse(real.body);
      if (body.hashes && body.hashes.length) {
        const h0 = Buffer.from(body.hashes[0], 'base64');
        h0[7] ^= 0x01;
        body.hashes[0] = h0.toString('base64');
        tampered++;
      }
      req.respond({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    };
    page.on('request', onRequest);
    v = await verifyState(page);
    expect(tampered > 0 && v.state === 'failed' && /inclusion proof does not lead to the checkpoint's root/.test(v.steps),
      `a tampered proof reads "failed" (${v.steps.slice(0, 200)})`);
    await shot(page, '06-claim-tampered-proof');
    page.off('request', onRequest);
    // A tampered entry: one byte of the event signature changed in flight (so its leaf hash, and
    // with it the inclusion check, fails too: the first failure is reported).
    const onEntry = async (req) => {
      if (!req.url().includes('/api/v1/entries/')) { req.continue(); return; }
      const real = await get(req.url());
      const body = JSON.parse(real.body);
      const leaf = Buffer.from(body.entry.leafData, 'base64');
      leaf[leaf.length - 1] ^= 0x01;
      body.entry.leafData = leaf.toString('base64');
      req.respond({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    };
    page.on('request', onEntry);
    v = await verifyState(page);
    expect(v.state === 'failed' && /entry \d+: (its inclusion proof does not lead|the event's Ed25519 signature does not verify)/.test(v.steps),
      `a tampered entry reads "failed" (${v.steps.slice(-160)})`);
    page.off('request', onEntry);
    // A substituted signer key: the server names another public key for the entries' key id.
    const onKey = async (req) => {
      if (!req.url().includes('/api/v1/keys/')) { req.continue(); return; }
      const body = JSON.parse((await get(req.url())).body);
      const pub = Buffer.from(body.publicKey, 'base64');
      pub[0] ^= 0x01;
      body.publicKey = pub.toString('base64');
      req.respond({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    };
    page.on('request', onKey);
    v = await verifyState(page);
    expect(v.state === 'failed' && /the served public key does not hash to this key id/.test(v.steps),
      `a substituted signer key reads "failed" (${v.steps.slice(-120)})`);
    page.off('request', onKey);
    await page.setRequestInterception(false);

    // A wrong pinned key: a warning on every page, and Verify fails.
    await page.evaluate((k) => localStorage.setItem('factledger.pinnedVerifierKey', k), otherVerifierKey('explorer.example/log'));
    await page.reload();
    await waitReady(page, '#/claim/seed-article-loc-clashes');
    await page.waitForSelector('#key-warning');
    expect(!(await page.$eval('#key-banner', (e) => e.hidden)) && (await page.$('#key-warning')) !== null,
      'a pinned key that differs from the served one shows a warning');
    v = await verifyState(page);
    expect(v.state === 'failed' && /no signature by the pinned key/.test(v.steps), `a wrong pinned key reads "failed" (${v.steps.slice(0, 160)})`);
    await checkContrast(page, 'claim page (key warning, failed)');
    await shot(page, '07-claim-wrong-key');

    // The log page: re-pin the right key by hand.
    await go(page, '#/log');
    await checkLabels(page, 'log page');
    expect((await page.$eval('#log-size', (e) => e.textContent)).match(/^\d+ entries$/), 'log page shows the log size');
    expect((await page.$eval('#checkpoint-note', (e) => e.textContent)).startsWith('explorer.example/log\n'), 'log page shows the checkpoint note');
    await page.$eval('#pin-input', (e) => { e.value = ''; });
    await page.type('#pin-input', verifierKey);
    await page.click('#pin-button');
    await page.waitForFunction(() => document.getElementById('pin-status').textContent === 'Pinned.');
    expect(await page.$eval('#key-banner', (e) => e.hidden), 'pinning the right key again clears the warning');
    await checkContrast(page, 'log page');
    await shot(page, '08-log');

    // The claimant page: timeline and verdict tally.
    await go(page, `#/claimant/${encodeURIComponent('Seed article (publisher not given)')}`);
    expect((await page.$$('.timeline li')).length >= 3, 'claimant page lists statements on a timeline');
    expect((await page.$eval('main', (e) => e.textContent)).includes('Unproven'), 'claimant page shows the verdict tally');
    await checkContrast(page, 'claimant page');
    await shot(page, '09-claimant');

    // A phone: no horizontal scrolling, the claim page still verifies.
    // (A new tab: switching an open one to a mobile viewport reloads it.)
    const phone = await browser.newPage();
    phone.setDefaultTimeout(STEP_MS);
    phone.on('request', (r) => { if (!r.url().startsWith(base) && !r.url().startsWith('data:')) external.push(r.url()); });
    phone.on('pageerror', (e) => consoleErrors.push(String(e)));
    await phone.setViewport({ width: 375, height: 740, isMobile: true, hasTouch: true });
    await phone.goto(`${base}/explorer/#/claim/seed-novak-pipeline-ready`);
    await waitReady(phone, '#/claim/seed-novak-pipeline-ready');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow <= 0, `claim page fits a 375 px wide screen (overflow ${overflow} px)`);
    v = await verifyState(phone);
    expect(v.state === 'verified', 'Verify works on the phone layout');
    await shot(phone, '10-claim-phone');

    expect(external.length === 0, `no request left the server's origin ${external.length ? JSON.stringify(external.slice(0, 3)) : ''}`);
    expect(consoleErrors.length === 0, `no script errors ${consoleErrors.length ? JSON.stringify(consoleErrors) : ''}`);
  } finally {
    await browser.close();
  }
  console.log('PASS');
})().catch((e) => {
  console.error(`FAIL: ${e.message}`);
  process.exit(1);
});
