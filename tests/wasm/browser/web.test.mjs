// samples/web in Debian's chromium, driven by playwright-core: the page loads the
// module, stores documents through the vsa_json plugin, a search shows ranked hits,
// the classify, match and recommend/forget panels run their plugins, the index panel's
// pickers build an exact or hnsw collection and report recall@10 against exact: true,
// the SQL console maps the documents as an `embedkit` table and runs a filtered KNN
// (and shows the extension's error for a bad statement), and the store survives a page reload and a browser restart (IndexedDB). Saves a
// screenshot to $EK_SCREENSHOT_DIR (default: the system temp folder).
//   node --test tests/wasm/browser/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const require = createRequire(join(ROOT, 'wasm/js/package.json'));
const { chromium } = require('playwright-core');
const CHROMIUM = process.env.EK_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

async function startServer() {
  const child = spawn(process.execPath, [join(ROOT, 'samples/web/serve.mjs'), '--port', '0'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(String(d).trim().split('\n')[0]));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url, stop: () => child.kill() };
}

async function openPage(profile, url, errors) {
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: ARGS, viewport: { width: 1280, height: 800 },
  });
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 60000 });
  assert.equal(await page.evaluate(() => document.body.dataset.ready), '1',
    await page.locator('#error').textContent());
  return { browser, page };
}

test('web sample in chromium: load, add, search, reload, restart', { skip: !existsSync(CHROMIUM) && 'no chromium' }, async (t) => {
  const profile = mkdtempSync(join(tmpdir(), 'embedkit-chromium-'));
  const server = await startServer();
  t.after(() => {
    server.stop();
    rmSync(profile, { recursive: true, force: true });
  });
  const errors = [];

  let { browser, page } = await openPage(profile, server.url, errors);
  assert.equal(await page.evaluate(() => document.body.dataset.count), '0');
  assert.match(await page.locator('#status').textContent(), /WASM SIMD/);
  assert.ok((await page.locator('#plugins tbody tr').count()) >= 1);

  await page.click('#sample');
  await page.waitForFunction(() => document.body.dataset.count === '12');
  await page.fill('#query', '{"field": "computer science", "born": 1910}');
  await page.click('#search');
  await page.waitForFunction(() => Number(document.body.dataset.hits) === 5);
  const rows = await page.locator('#results tbody tr.hit').allTextContents();
  assert.equal(rows.length, 5);
  // The three computer scientists rank above everything else.
  for (const name of ['Turing', 'Hopper', 'Dijkstra']) {
    assert.ok(rows.slice(0, 3).some((r) => r.includes(name)), `${name} in the top 3:\n${rows.join('\n')}`);
  }
  const scores = await page.evaluate(() => window.embedkitDemo.lastHits.map((h) => h.score));
  for (let i = 1; i < scores.length; ++i) assert.ok(scores[i] <= scores[i - 1]);

  // Every other plugin through its panel.
  await page.click('#cls-run');
  await page.waitForFunction(() => document.body.dataset.classified);
  assert.equal(await page.evaluate(() => document.body.dataset.classified), 'space,sport,food',
    await page.locator('#cls-error').textContent());
  assert.equal(await page.locator('#cls-results tbody tr.cls-row').count(), 3);

  await page.click('#match-run');
  await page.waitForFunction(() => document.body.dataset.matched);
  const matched = await page.evaluate(() => document.body.dataset.matched);
  for (const pair of ['birth_dt=birth_date', 'gender_cd=gender', 'loinc_cd=measurement_code']) {
    assert.ok(matched.split(',').includes(pair), `${pair} in ${matched}`);
  }

  await page.click('#rec-train');
  await page.waitForFunction(() => document.body.dataset.trained === '24');
  await page.selectOption('#rec-user', 's1');
  await page.click('#rec-recommend');
  await page.waitForFunction(() => document.body.dataset.recommended);
  const books = await page.evaluate(() => document.body.dataset.recommended.split('|'));
  assert.ok(books.length >= 1);
  // s1 read 4 of the 6 sci-fi books: its 2 unseen ones come first.
  for (const b of books.slice(0, 2)) {
    assert.ok(['Dune', 'Foundation', 'Neuromancer', 'Hyperion', 'Solaris', 'Ubik'].includes(b), books.join('|'));
  }
  await page.click('#rec-forget');
  await page.waitForFunction(() => document.body.dataset.forgotten === 's1');
  assert.match(await page.locator('#rec-report').textContent(), /forgot s1: \d+ interactions removed/);
  assert.equal(await page.locator('#rec-user option[value="s1"]').count(), 0);

  // The index panel's pickers reach the collection: exact scans answer themselves
  // (recall 1); an hnsw graph over f16 codes is measured against exact: true.
  await page.selectOption('#ix-kind', 'exact');
  await page.click('#ix-run');
  await page.waitForFunction(() => document.body.dataset.indexKind === 'exact/f32');
  assert.equal(await page.evaluate(() => document.body.dataset.indexRecall), '1.000',
    await page.locator('#ix-error').textContent());
  await page.selectOption('#ix-kind', 'hnsw');
  await page.selectOption('#ix-element', 'f16');
  await page.fill('#ix-ef', '100');
  await page.click('#ix-run');
  await page.waitForFunction(() => document.body.dataset.indexKind === 'hnsw/f16', null, { timeout: 60000 });
  const recall = Number(await page.evaluate(() => document.body.dataset.indexRecall));
  assert.ok(recall >= 0.9, `hnsw/f16 recall@10 at ef 100: ${recall}`);
  assert.match(await page.locator('#ix-report').textContent(), /ms\/query/);

  // The SQL console's starting text: the documents as a virtual table, a filtered KNN
  // around Alan Turing; then a failing statement shows the extension's message.
  await page.click('#sql-run');
  await page.waitForFunction(() => document.body.dataset.sqlRows);
  assert.equal(await page.evaluate(() => document.body.dataset.sqlRows), '3',
    await page.locator('#sql-error').textContent());
  const sqlRows = await page.locator('#sql-results tbody tr.sql-row').allTextContents();
  assert.match(sqlRows[0], /^Alan Turing1912/);
  for (const name of ['Grace Hopper', 'Edsger Dijkstra']) {
    assert.ok(sqlRows.some((r) => r.startsWith(name)), `${name} in ${sqlRows.join(' | ')}`);
  }
  await page.fill('#sql-text', "SELECT vec_length('[1, oops]')");
  await page.click('#sql-run');
  await page.waitForFunction(() => document.body.dataset.sqlRows === 'error');
  assert.match(await page.locator('#sql-error').textContent(), /embedkit: vec_length\(\)/);

  const dir = process.env.EK_SCREENSHOT_DIR ?? tmpdir();
  const shot = join(dir, 'embedkit-web-sample.png');
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(statSync(shot).size > 10000);
  t.diagnostic(`screenshot: ${shot}`);

  // Reload: the documents come back from IndexedDB.
  await page.reload();
  await page.waitForFunction(() => document.body.dataset.ready === '1');
  assert.equal(await page.evaluate(() => document.body.dataset.count), '12');
  await browser.close();

  // Browser restart with the same profile.
  ({ browser, page } = await openPage(profile, server.url, errors));
  assert.equal(await page.evaluate(() => document.body.dataset.count), '12');
  await page.click('#search');
  await page.waitForFunction(() => Number(document.body.dataset.hits) === 5);
  await page.click('#clear');
  await page.waitForFunction(() => document.body.dataset.count === '0');
  await browser.close();
  assert.deepEqual(errors, []);
});
