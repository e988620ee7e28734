// Browser test driver: node ui/e2e/browser.mjs SPEC.json (normally through
// ui/e2e/run.sh, which installs the node modules and sets MNEMOS_UI_NODE_MODULES).
// Drives /usr/bin/chromium with playwright-core through the steps of the spec
// (phase "healthy" or "down", see ui/README.md); on a mismatch it prints
// `e2e step <name>: <what was seen>` on stderr and exits 1; on success it prints
// one JSON line of figures on stdout.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

if (!process.argv[2]) {
  console.error('usage: ui/e2e/run.sh SPEC.json (or MNEMOS_UI_NODE_MODULES=DIR node ui/e2e/browser.mjs SPEC.json)');
  process.exit(2);
}
const modules = process.env.MNEMOS_UI_NODE_MODULES || (process.env.NODE_PATH || '').split(path.delimiter)[0];
const require = createRequire(modules ? path.join(modules, 'noop.js') : import.meta.url);
const { chromium } = require('playwright-core');

const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const shots = spec.screenshots || '.';
mkdirSync(shots, { recursive: true });
const querier = (spec.querier || '').replace(/\/+$/, '');
const bucket = spec.bucket ? spec.bucket.replace(/\/+$/, '') : null;
const figures = { ok: true };
const pageErrors = [];
let step = 'start';

class StepError extends Error {}
const fail = (msg) => { throw new StepError(msg); };

// waitFor polls probe() (an async function returning {ok, seen}) until ok or timeout.
async function waitFor(probe, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last.ok) return last;
    if (Date.now() > deadline) fail(`timed out after ${timeoutMs / 1000}s waiting for ${what}; saw ${JSON.stringify(last.seen)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// panelState returns what panel 0 currently shows.
const panelState = (page) => page.evaluate(() => {
  const p = document.querySelector('[data-testid=panel]');
  if (!p) return { state: 'no panel' };
  const chart = p.querySelector('[data-testid=chart]');
  const err = p.querySelector('[data-testid=error]');
  return {
    state: p.dataset.state,
    rows: p.querySelectorAll('.table-result:not([hidden]) [data-testid=table-row]').length,
    series: chart && !chart.closest('[hidden]') && chart.dataset.seriesCount != null ? +chart.dataset.seriesCount : null,
    error: err ? err.textContent : null,
  };
});

async function expectPanel(page, key, want, what) {
  return waitFor(async () => {
    const s = await panelState(page);
    return { ok: s.state === 'done' && s[key] === want, seen: s };
  }, 30000, what);
}

const editorText = (page) => page.$$eval('[data-testid=panel] [data-testid=editor] .cm-line', (ls) => ls.map((l) => l.textContent).join('\n'));

// setEditor replaces the expression of panel 0; typed=true types it key by key.
async function setEditor(page, text, typed) {
  await page.click('[data-testid=panel] [data-testid=editor] .cm-content');
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Backspace');
  if (typed) await page.keyboard.type(text, { delay: 5 });
  else await page.keyboard.insertText(text);
  await page.keyboard.press('Escape'); // close the completion list
  let got = await editorText(page);
  if (got !== text) { // auto-closed brackets may have been kept: set it as pasted text
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText(text);
    await page.keyboard.press('Escape');
    got = await editorText(page);
  }
  if (got !== text) fail(`editor shows ${JSON.stringify(got)}, want ${JSON.stringify(text)}`);
}

// newPage opens a fresh context; errors in its pages fail the run unless `peer`
// (another product's UI, measured only).
async function newPage(browser, peer = false) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  if (!peer) page.on('pageerror', (e) => pageErrors.push(`${step}: ${e.message}`));
  return page;
}

async function healthy(browser) {
  const q = spec.query;
  // the graphs' range (g0.range_input): short enough that the test's fresh data shows
  const range = encodeURIComponent(spec.graphRange || '1h');
  const page = await newPage(browser);

  step = 'a: table';
  await page.goto(`${querier}/graph?g0.range_input=${range}`);
  await page.waitForSelector('[data-testid=editor] .cm-content');
  await page.click('[data-testid=tab-table]');
  await setEditor(page, q, true);
  await page.keyboard.press('Enter'); // executes, as in Prometheus
  await expectPanel(page, 'rows', spec.dedupSeries, `${spec.dedupSeries} table rows`);

  step = 'a: graph';
  await page.click('[data-testid=tab-graph]');
  await expectPanel(page, 'series', spec.dedupSeries, `${spec.dedupSeries} graph series`);
  await page.screenshot({ path: path.join(shots, 'graph.png'), fullPage: true });

  step = 'a: first graph timing';
  {
    // Fresh browser context per load (cold cache); the median of 5. The same
    // measure for mnemos and, when the spec names one, Prometheus' own UI on the
    // same query and range: navigation start to the first frame whose legend
    // shows every series, and the JS+CSS the page fetched.
    const measure = async (url, drawn, peer) => {
      const p = await newPage(browser, peer);
      await p.goto(url);
      const first = await p.waitForFunction(drawn, spec.dedupSeries, { polling: 'raf', timeout: 30000 })
        .then(() => p.evaluate(() => performance.now()));
      const m = await p.evaluate(() => {
        const res = performance.getEntriesByType('resource').filter((r) => /\.(js|css)(\?|$)/.test(r.name));
        const sum = (k) => res.reduce((s, r) => s + (r[k] || 0), 0);
        return { transfer: sum('encodedBodySize'), decoded: sum('decodedBodySize'), wire: sum('transferSize'), n: res.length };
      });
      await p.context().close();
      return { first, ...m };
    };
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const runs = async (url, drawn, peer = false) => {
      const all = [];
      for (let i = 0; i < 5; i++) all.push(await measure(url, drawn, peer));
      return { first: median(all.map((r) => r.first)), last: all[all.length - 1] };
    };
    const graphUrl = (base) => `${base}/graph?g0.expr=${encodeURIComponent(q)}&g0.tab=0&g0.range_input=${range}`;
    const ours = await runs(graphUrl(querier), (n) => document.querySelector(`[data-testid=chart][data-series-count="${n}"]`) !== null);
    if (ours.last.n < 2) fail(`expected the JS and CSS in the resource timings, saw ${ours.last.n} entries`);
    figures.timeToFirstGraphMs = Math.round(ours.first);
    figures.jsCssTransferBytes = ours.last.transfer;
    figures.jsCssBytes = ours.last.decoded;
    figures.jsCssWireBytes = ours.last.wire;
    if (spec.prometheus) {
      step = 'a: first graph timing, Prometheus UI';
      const prom = spec.prometheus.replace(/\/+$/, '');
      // Prometheus 2.42's classic UI (what Debian's build serves) lists one legend line per series.
      // (Debian's build logs a script error there, which is not ours to fail on.)
      const theirs = await runs(graphUrl(prom), (n) => document.querySelectorAll('.legend .line').length >= n, true);
      figures.prometheusTimeToFirstGraphMs = Math.round(theirs.first);
      figures.prometheusJsCssTransferBytes = theirs.last.transfer;
      figures.prometheusJsCssBytes = theirs.last.decoded;
    }
  }

  step = 'b: dedup off';
  await page.uncheck('[data-testid=panel] [data-testid=opt-dedup]');
  await page.click('[data-testid=panel] [data-testid=execute]');
  await expectPanel(page, 'series', spec.rawSeries, `${spec.rawSeries} graph series without deduplication`);
  await page.click('[data-testid=tab-table]');
  await expectPanel(page, 'rows', spec.rawSeries, `${spec.rawSeries} table rows without deduplication`);
  await page.context().close();

  step = 'c: URL compatibility';
  const page2 = await newPage(browser);
  await page2.goto(`${querier}/graph?g0.expr=${encodeURIComponent(q)}&g0.tab=1&g0.deduplicate=0`);
  await expectPanel(page2, 'rows', spec.rawSeries, `${spec.rawSeries} table rows from a g0.deduplicate=0 link`);

  step = 'd: bad query';
  await setEditor(page2, spec.badQuery, false);
  await page2.click('[data-testid=panel] [data-testid=execute]');
  await waitFor(async () => {
    const s = await panelState(page2);
    return { ok: s.state === 'error' && !!s.error && s.error.includes(spec.badQueryError) && s.error.startsWith('Error executing query:'), seen: s };
  }, 30000, `an error alert containing ${JSON.stringify(spec.badQueryError)}`);
  await page2.screenshot({ path: path.join(shots, 'error.png'), fullPage: true });

  if (spec.bigQuery) {
    step = 'big graph';
    await page2.goto(`${querier}/graph?g0.expr=${encodeURIComponent(spec.bigQuery)}&g0.tab=0&g0.range_input=${range}`);
    await waitFor(async () => {
      const s = await panelState(page2);
      return { ok: s.state === 'done' && s.series === spec.bigSeries, seen: s };
    }, 60000, `${spec.bigSeries} graph series`);
    figures.bigGraphMs = Math.round(await page2.evaluate(() => window.__mnemosFirstGraph));
    // the page must stay responsive: hover the chart and time a frame
    const box = await page2.locator('[data-testid=chart]').boundingBox();
    const t0 = Date.now();
    for (let i = 0; i < 10; i++) await page2.mouse.move(box.x + box.width * (0.2 + i * 0.06), box.y + box.height / 2);
    await page2.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
    figures.bigHoverMs = Date.now() - t0;
    const legendRows = await page2.locator('[data-testid=legend-row]').count();
    if (legendRows > 100) fail(`legend renders ${legendRows} rows for ${spec.bigSeries} series; it should be virtualised`);
    await page2.screenshot({ path: path.join(shots, 'big-graph.png') });
  }
  await page2.context().close();

  step = 'e: stores';
  const page3 = await newPage(browser);
  await page3.goto(`${querier}/stores`);
  await waitStores(page3, spec.endpoints || [], []);
  await page3.screenshot({ path: path.join(shots, 'stores.png'), fullPage: true });
  await page3.context().close();

  if (bucket && spec.blocks) {
    step = 'f: blocks';
    const page4 = await newPage(browser);
    await page4.goto(`${bucket}/blocks`);
    const b = spec.blocks;
    await waitFor(async () => {
      const seen = await page4.evaluate((b) => ({
        blocks: document.querySelectorAll('[data-testid=block]').length,
        deleted: document.querySelector(`[data-testid=block][data-ulid="${b.deleted}"]`)?.dataset.deleted ?? 'absent',
        partial: b.partial ? !!document.querySelector(`[data-testid=partial-list] [data-ulid="${b.partial}"]`) : true,
        error: document.querySelector('[data-testid=error]')?.textContent ?? null,
      }), b);
      return { ok: seen.blocks === b.count && (!b.deleted || seen.deleted === 'true') && seen.partial, seen };
    }, 30000, `${b.count} blocks, ${b.deleted} marked for deletion${b.partial ? `, partial upload ${b.partial}` : ''}`);
    const target = b.deleted || (await page4.getAttribute('[data-testid=block]', 'data-ulid'));
    const bar = page4.locator(`[data-testid=block][data-ulid="${target}"]`);
    // a block of a few minutes in a long time axis may be covered by its
    // neighbour's minimum width: then deliver the click to the bar itself
    await bar.click({ timeout: 5000 }).catch(() => bar.dispatchEvent('click'));
    await waitFor(async () => {
      const seen = await page4.evaluate(() => {
        const d = document.querySelector('[data-testid=block-detail]');
        return { visible: !!d && !d.hidden, ulid: d?.querySelector('[data-testid=detail-ulid]')?.textContent, meta: d?.querySelector('[data-testid=detail-meta]')?.textContent?.slice(0, 200) };
      });
      return { ok: seen.visible && seen.ulid === target && !!seen.meta && seen.meta.includes(target), seen };
    }, 10000, `the detail panel of ${target}`);
    await page4.screenshot({ path: path.join(shots, 'blocks.png'), fullPage: true });
    await page4.context().close();
  }
}

// waitStores waits until every endpoint is listed, `down` ones DOWN, others UP.
async function waitStores(page, endpoints, down) {
  await waitFor(async () => {
    const rows = await page.$$eval('[data-testid=store-row]', (rs) => Object.fromEntries(rs.map((r) => [r.dataset.endpoint, r.dataset.status])));
    const wrong = endpoints.filter((e) => rows[e] !== (down.includes(e) ? 'down' : 'up'));
    return { ok: wrong.length === 0, seen: { wrong, rows } };
  }, 30000, `endpoints ${JSON.stringify(endpoints)} listed with ${down.length ? `${JSON.stringify(down)} DOWN and the others` : 'all'} UP`);
}

async function downPhase(browser) {
  step = 'down: stores';
  const page = await newPage(browser);
  await page.goto(`${querier}/stores`);
  const endpoints = [...new Set([...(spec.endpoints || []), ...(spec.down || [])])];
  await waitStores(page, endpoints, spec.down || []);
  await page.screenshot({ path: path.join(shots, 'stores-down.png'), fullPage: true });
  await page.context().close();
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
let code = 0;
try {
  if (spec.phase === 'down') await downPhase(browser);
  else await healthy(browser);
  step = 'page errors';
  if (pageErrors.length) fail(`uncaught errors in the page: ${pageErrors.join(' | ')}`);
  console.log(JSON.stringify(figures));
} catch (e) {
  console.error(`e2e step ${step}: ${e instanceof StepError ? e.message : e.stack || e}`);
  code = 1;
} finally {
  await browser.close();
}
process.exit(code);
