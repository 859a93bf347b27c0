/**
 * The HTML report in a real headless Chromium (Debian's, installed by scripts/ci/install-browser.sh,
 * driven by playwright-core): it renders (the lanes of a screenshot hold drawn pixels, the
 * violation list its text), choosing a violation highlights its slice, and the seed's bug capture
 * (290 K events) opens and scrolls without freezing. Timings are printed, and only a generous
 * sanity bound is asserted. `npm run test:browser`; UPDATE_DOCS=1 also writes docs/report.png.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kinv } from '../helpers/kinv.js';
import { decodePng } from '../helpers/png.js';

const CHROMIUM = '/usr/bin/chromium';
const tmp = mkdtempSync(join(tmpdir(), 'kinv-browser-'));
let browser: Browser;

interface Stats { lastDrawMs: number; draws: number; spans: number; lanes: number }
/** The page's document, as the callbacks run in the browser use it (no DOM types in this Node project). */
declare const document: { body: { dataset: Record<string, string | undefined> } };

/** What the page exposes as `window.kinvReport` (viewer.ts). */
interface Report { select(i: number): void; panBy(f: number): void; zoomBy(f: number): void; scrollBy(px: number): void; draw(): void; stats(): Stats }

async function htmlOf(trace: string, name: string): Promise<string> {
  const out = join(tmp, name);
  const r = await kinv(['check', '--html', out, trace]);
  expect(r.code).toBe(1);
  return out;
}

async function open(file: string): Promise<{ page: Page; errors: string[]; readyMs: number }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => document.body.dataset.ready !== undefined, null, { timeout: 120_000 });
  // performance.now() at the end of the first draw: from navigation start, parsing and layout included.
  const readyMs = Number(await page.evaluate(() => document.body.dataset.ready));
  return { page, errors, readyMs };
}

/** Pixels of the lane area that differ from the page's white and the lanes' pale backgrounds. */
function drawnPixels(png: Buffer): number {
  const { rgba } = decodePng(png);
  let n = 0;
  for (let i = 0; i < rgba.length; i += 4) if (Math.min(rgba[i]!, rgba[i + 1]!, rgba[i + 2]!) < 235) n++;
  return n;
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/ci/install-browser.sh (Debian's chromium package)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
afterAll(async () => { await browser?.close(); });

describe('html report in Chromium', () => {
  it('renders the ABBA deadlock, and choosing no_deadlock highlights its slice', async () => {
    const { page, errors } = await open(await htmlOf('traces/ndjson/no_deadlock-abba.ndjson', 'abba.html'));
    const lanes = await page.locator('#lanes').screenshot();
    expect(drawnPixels(lanes)).toBeGreaterThan(5000);
    await expect.poll(() => page.locator('#violations li').allInnerTexts()).toHaveLength(6);
    const items = await page.locator('#violations li').allInnerTexts();
    expect(items[2]).toContain('violation[no_deadlock]');
    expect(items[2]).toContain('deadlock: 102 -> 101 -> 102 (task -> task it waits for)');
    await page.locator('#violations li').nth(2).click();
    expect(await page.locator('#violations li.selected').count()).toBe(1);
    expect(await page.locator('#violations li.selected').innerText()).toContain('no_deadlock');
    // Slice: acq of I1 (W) by 102, the in-lookup D2 of 101, 101's request of I1; and the violating il_wait_begin.
    expect(await page.locator('#lanes').getAttribute('data-highlighted')).toBe('6 spans, 3 slice events');
    expect(await page.locator('#detail .slice-event').allInnerTexts()).toEqual([
      expect.stringContaining('line 2, seq 1, pid 102: acq(lock: I1, mode: W)'),
      expect.stringContaining('line 4, seq 3, pid 101: ret d_alloc_parallel = D2 {outcome: N}'),
      expect.stringContaining('line 5, seq 4, pid 101: acq_req(lock: I1, mode: R, kind: blocking)'),
      expect.stringContaining('line 7, seq 6, pid 102: il_wait_begin(dentry: D2)'),
    ]);
    // (the invariant's place in the bundled spec, where its first line names it)
    const specLine = readFileSync('spec/vfs/order.kinv', 'utf8').split('\n').findIndex((l) => l.startsWith('invariant no_deadlock ')) + 1;
    expect(await page.locator('#detail .spec').innerText()).toBe(`spec: spec/vfs/order.kinv:${specLine}:11`);
    expect(errors).toEqual([]);
    await page.close();
  });

  it("opens the seed's bug capture (290 K events) and scrolls it without freezing", async () => {
    const file = await htmlOf('traces/kernel-buggy/trace.gz', 'kernel-buggy.html');
    const { page, errors, readyMs } = await open(file);
    const stats = await page.evaluate(() => (globalThis as unknown as { kinvReport: Report }).kinvReport.stats());
    expect(stats.spans).toBeGreaterThan(100_000);
    const lanes = await page.locator('#lanes').screenshot();
    expect(drawnPixels(lanes)).toBeGreaterThan(20_000);
    expect((await page.locator('#violations li').count())).toBe(195);
    // Frames: pans and vertical scrolls, each drawn synchronously, zoomed in and over the whole trace.
    const frames = await page.evaluate(() => {
      const r = (globalThis as unknown as { kinvReport: Report }).kinvReport;
      const times: { window: string; ms: number }[] = [];
      const frame = (window: string, move: () => void): void => { move(); const t = performance.now(); r.draw(); times.push({ window,
        ms: performance.now() - t }); };
      for (let i = 0; i < 30; i++) frame('whole trace', () => r.scrollBy(i % 2 ? -40 : 40));
      r.zoomBy(0.01);
      for (let i = 0; i < 60; i++) frame('1% of the trace', () => r.panBy(0.1));
      for (let i = 0; i < 30; i++) frame('1% of the trace', () => r.scrollBy(i % 2 ? -40 : 40));
      return times;
    });
    const summary = (w: string): { median: number; max: number } => {
      const ms = frames.filter((f) => f.window === w).map((f) => f.ms).sort((a, b) => a - b);
      return { median: ms[Math.floor(ms.length / 2)]!, max: ms[ms.length - 1]! };
    };
    const whole = summary('whole trace');
    const zoomed = summary('1% of the trace');
    console.log(`kernel-buggy report: ${stats.spans} spans, ${stats.lanes} lanes; first render ${readyMs.toFixed(0)} ms after navigation; `
      + `frame time whole trace median ${whole.median.toFixed(1)} ms (max ${whole.max.toFixed(1)}), `
      + `1% window median ${zoomed.median.toFixed(1)} ms (max ${zoomed.max.toFixed(1)})`);
    expect(readyMs).toBeLessThan(60_000);
    expect(zoomed.median).toBeLessThan(250);
    expect(whole.median).toBeLessThan(2_000);
    // The seed's bug: the draft d_add_ci returning without the parent lock, chosen and framed.
    const index = await page.locator('#violations li')
      .evaluateAll((lis) => lis.findIndex((li) => li.textContent!.includes('violation[d_add_ci_parent_lock_balanced]')));
    expect(index).toBeGreaterThanOrEqual(0);
    await page.locator('#violations li').nth(index).click();
    expect(await page.locator('#lanes').getAttribute('data-highlighted')).toMatch(/^[1-9]\d* spans, [1-9]\d* slice events$/);
    expect(await page.locator('#detail h2').innerText()).toBe('violation[d_add_ci_parent_lock_balanced]');
    const shot = await page.screenshot();
    writeFileSync(join(tmp, 'report.png'), shot);
    if (process.env.UPDATE_DOCS === '1') writeFileSync('docs/report.png', shot);
    expect(drawnPixels(await page.locator('#lanes').screenshot())).toBeGreaterThan(5000);
    expect(errors).toEqual([]);
    await page.close();
  });
});
