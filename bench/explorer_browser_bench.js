// Used by bench/explorer_bench.py: loads claim pages in headless chromium and times them.
// Usage: node explorer_browser_bench.js BASE_URL CHROMIUM '["claim-id", ...]'
// Prints JSON {browser, render_ms, verify_ms, render_cached_ms, render_in_app_ms, floor_ms}: for
// each claim, a fresh page with the cache disabled, navigation start -> the page rendered with
// the claim's data (body[data-ready] set by app.js, read as performance.now()), then Verify
// clicked -> "Verified"; the same in a new tab with the browser's cache on (a reader's second
// claim); the next claim opened in the same tab (hash change -> rendered); and chromium's floor
// on this machine: a new tab, cache off, loading one small document (/api/v1/log) with no
// script, navigation start -> load event end.
'use strict';
const puppeteer = require('puppeteer-core');

(async () => {
  const [base, chromium, idsJson] = process.argv.slice(2);
  const ids = JSON.parse(idsJson);
  const browser = await puppeteer.launch({ executablePath: chromium, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const out = { browser: await browser.version(), render_ms: [], verify_ms: [], render_cached_ms: [],
                render_in_app_ms: [], floor_ms: [] };
  try {
    // Pin the served key once (localStorage persists for the origin within this browser).
    const setup = await browser.newPage();
    await setup.goto(`${base}/explorer/#/log`);
    await setup.waitForFunction(() => document.body.dataset.ready === '#/log');
    await setup.evaluate(async () => {
      const r = await fetch('/api/v1/log');
      localStorage.setItem('factledger.pinnedVerifierKey', (await r.json()).checkpointVerifierKey);
    });
    await setup.close();
    for (const id of ids) {
      const page = await browser.newPage();
      await page.setCacheEnabled(false);
      const hash = `#/claim/${encodeURIComponent(id)}`;
      await page.goto(`${base}/explorer/${hash}`);
      await page.waitForFunction((h) => document.body.dataset.ready === h, { timeout: 60000 }, hash);
      out.render_ms.push(await page.evaluate(() => window.__renderedAt));
      const t0 = Date.now();
      await page.click('#verify-button');
      await page.waitForFunction(() => ['verified', 'failed'].includes(document.getElementById('verify-status').dataset.state), { timeout: 60000 });
      const state = await page.$eval('#verify-status', (e) => e.dataset.state);
      if (state !== 'verified') throw new Error(`claim ${id} did not verify`);
      out.verify_ms.push(Date.now() - t0);
      await page.close();
    }
    for (let i = 0; i < ids.length; i++) {
      // Cache on: the static parts (the index) come back as 304s; the data is fetched again.
      const page = await browser.newPage();
      await page.setCacheEnabled(true);
      const hash = `#/claim/${encodeURIComponent(ids[i])}`;
      await page.goto(`${base}/explorer/${hash}`);
      await page.waitForFunction((h) => document.body.dataset.ready === h, { timeout: 60000 }, hash);
      out.render_cached_ms.push(await page.evaluate(() => window.__renderedAt));
      // The next claim in the same tab, as a reader following a link.
      const next = `#/claim/${encodeURIComponent(ids[(i + 1) % ids.length])}`;
      const ms = await page.evaluate((h) => new Promise((resolve, reject) => {
        const t0 = performance.now();
        const timer = setInterval(() => {
          if (document.body.dataset.ready === h) { clearInterval(timer); resolve(performance.now() - t0); }
          else if (performance.now() - t0 > 60000) { clearInterval(timer); reject(new Error('timeout')); }
        }, 1);
        location.hash = h;
      }), next);
      out.render_in_app_ms.push(ms);
      await page.close();
      const blank = await browser.newPage();
      await blank.setCacheEnabled(false);
      await blank.goto(`${base}/api/v1/log`, { waitUntil: 'load' });
      out.floor_ms.push(await blank.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd));
      await blank.close();
    }
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
