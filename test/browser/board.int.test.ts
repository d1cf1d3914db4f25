// The control plane as an operator sees it, in a real browser (Playwright driving Debian's
// chromium; ./dev test installs it through scripts/browser.sh): Bull Board asks for
// credentials, lists every queue of the runtime and shows a running download's progress
// moving; the status page shows every series of the catalogue. Real processes - an
// `imagecycle control-plane` and an `imagecycle worker feed-watcher downloader` - against
// Redis, Keystone and the mirror, which trickles the download out slowly. No uploader runs:
// nothing reaches Glance.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  type Browser,
  type BrowserContext,
  chromium,
  type Locator,
  type Page,
} from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allQueues, downloadQueue, feedCheckQueue } from '@imagecycle/contracts';
import { Events } from '@imagecycle/events';
import type { Catalogue } from '@imagecycle/series-catalogue';
import { type Distro, type Mirror, startMirror } from '../mirror/index.ts';
import { loadMirrorCatalogue } from '../support/mirror-catalogue.ts';
import {
  freePort,
  imagecycleEnv,
  type RunningProcess,
  startImagecycle,
} from '../support/processes.ts';
import { until as waitUntil } from '../support/until.ts';
import { testRuntime } from '../support/queue-runtime.ts';

const CHROMIUM = '/usr/bin/chromium';
// without the background-networking flags chromium's own connections are refused by a closed network
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const USER = 'operator';
const PASSWORD = 'correct horse';
const SERIES: Distro = 'debian-12'; // a plain qcow2: the downloader's progress is the fetch itself
const STATES = ['latest', 'community', 'reaped'];
/** An image the reaper deleted earlier, as its event tells the status page (nothing in Glance). */
const REAPED = {
  imageId: randomUUID(),
  version: '20260920-1400',
  detail: 'Debian 12 (2026-09-20)',
};

const { prefix, runtime } = testRuntime('board');
/** Screenshots, kept after the run for a person to look at. */
const shots = mkdtempSync(join(tmpdir(), 'imagecycle-board-'));
const staging = mkdtempSync(join(tmpdir(), 'board-staging-'));
const running: RunningProcess[] = [];
const contexts: BrowserContext[] = [];
let mirror: Mirror;
let catalogue: Catalogue;
let browser: Browser | undefined;
let base: string;
let downloadJobId: string;

const until = (probe: () => Promise<boolean>, ms: number, what: string) =>
  waitUntil(probe, {
    ms,
    what,
    context: () => `stderr:\n${running.map((p) => `${p.label}: ${p.stderr()}`).join('\n')}`,
  });

async function newContext(credentials?: { username: string; password: string }) {
  if (!browser) throw new Error('no browser');
  const context = await browser.newContext({
    viewport: { width: 1400, height: 900 },
    ...(credentials ? { httpCredentials: credentials } : {}),
  });
  context.setDefaultTimeout(20_000);
  contexts.push(context);
  return context;
}

/** What the server answered to a navigation. Headless chromium cannot ask a person for
 * credentials: after a 401 its navigation fails (ERR_INVALID_AUTH_CREDENTIALS), so the
 * answer is taken from the response itself. */
async function answerTo(context: BrowserContext, path: string) {
  const page = await context.newPage();
  const url = `${base}${path}`;
  try {
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url() === url),
      page.goto(url).catch(() => undefined),
    ]);
    return { status: response.status(), challenge: response.headers()['www-authenticate'] };
  } finally {
    await page.close();
  }
}

/** The percentage the open job's Progress tab shows (the downloader reports
 * `{ phase, bytes, total, percent, progress }`; Bull Board renders it as a JSON tree). */
async function percentShown(page: Page): Promise<number> {
  const item = page
    .getByRole('tabpanel')
    .getByRole('treeitem')
    .filter({ hasText: /^percent:/ });
  const text = await item.innerText();
  const match = /^percent:\s*(\d+)/.exec(text.trim());
  if (!match) throw new Error(`no percentage in ${JSON.stringify(text)}`);
  return Number(match[1]);
}

/** One attribute of every element a locator finds. */
async function attributes(locator: Locator, name: string): Promise<(string | null)[]> {
  return Promise.all((await locator.all()).map((element) => element.getAttribute(name)));
}

beforeAll(async () => {
  // a seed date of its own: no managed image of these versions exists, so the check downloads
  mirror = await startMirror({ seed: '2026-10-04', images: { dataClusters: 64 } });
  catalogue = await loadMirrorCatalogue(mirror);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = imagecycleEnv(mirror, {
    IMAGECYCLE_QUEUE_PREFIX: prefix,
    IMAGECYCLE_STAGING_DIR: staging,
    IMAGECYCLE_HTTP_HOST: '127.0.0.1',
    IMAGECYCLE_HTTP_PORT: String(port),
    IMAGECYCLE_BOARD_USER: USER,
    IMAGECYCLE_BOARD_PASSWORD: PASSWORD,
    // afterAll stops the downloader in the middle of its download
    IMAGECYCLE_DRAIN_SECONDS: '1',
  });
  const redis = new Redis(process.env.REDIS_URL ?? '');
  const quiet = { info: () => undefined, warn: () => undefined };
  await new Events({ redis, logger: quiet, stream: `${prefix}:events` }).record({
    type: 'reaped',
    series: SERIES,
    ...REAPED,
  });
  redis.disconnect();
  running.push(startImagecycle(['control-plane'], env));
  running.push(startImagecycle(['worker', 'feed-watcher', 'downloader'], env));
  // about 70 s of download (4.5 MB at 64 KiB/s): long enough to watch, never waited for
  const release = mirror.latest(SERIES);
  mirror.faults.trickle(release?.image.path ?? '', { chunkBytes: 16 * 1024, intervalMs: 250 });
  await until(async () => (await fetch(`${base}/healthz`)).ok, 30_000, 'the control plane');
  await runtime.enqueue(feedCheckQueue, { series: SERIES, trigger: 'manual' });
  await until(
    async () => (await runtime.queue(downloadQueue).getActiveCount()) > 0,
    60_000,
    'the download',
  );
  const [job] = await runtime.queue(downloadQueue).getJobs(['active']);
  expect(downloadQueue.payload.parse(job?.data).release.version).toBe(release?.version);
  downloadJobId = job?.id ?? '';
  // launch() gives chromium a fresh temporary --user-data-dir of its own (and refuses one in args)
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close();
  await browser?.close();
  await Promise.all(running.map((proc) => proc.stop(10_000)));
  for (const queue of allQueues) await runtime.queue(queue).obliterate({ force: true });
  await runtime.close();
  // what else the processes kept under the prefix: the event stream, the feed cache
  const redis = new Redis(process.env.REDIS_URL ?? '');
  for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 500 }))
    if ((keys as string[]).length) await redis.del(...(keys as string[]));
  redis.disconnect();
  await mirror?.stop();
  rmSync(staging, { recursive: true, force: true });
}, 60_000);

describe('the control plane in a browser', () => {
  it('asks for credentials: 401 with a Basic challenge, and for a wrong password too', async () => {
    const anonymous = await newContext();
    for (const path of ['/queues', '/status']) {
      const answer = await answerTo(anonymous, path);
      expect(answer.status, path).toBe(401);
      expect(answer.challenge, path).toMatch(/^Basic realm="imagecycle"/);
    }
    const wrong = await newContext({ username: USER, password: 'wrong password' });
    expect((await answerTo(wrong, '/queues')).status).toBe(401);
    const right = await newContext({ username: USER, password: PASSWORD });
    expect((await answerTo(right, '/queues')).status).toBe(200);
  });

  it('lists every queue of the runtime in Bull Board', async () => {
    const page = await (await newContext({ username: USER, password: PASSWORD })).newPage();
    const response = await page.goto(`${base}/queues`);
    expect(response?.status()).toBe(200);
    const names = allQueues.map((queue) => queue.name);
    // the menu: one link per queue, nothing else
    const menu = page.locator('#bull-board-sidebar nav').getByRole('link');
    await menu.first().waitFor();
    expect((await menu.allInnerTexts()).map((text) => text.trim()).sort()).toEqual(
      [...names].sort(),
    );
    // the overview: a card per queue, titled with its name
    for (const name of names)
      await page.getByRole('main').getByRole('link', { name, exact: true }).waitFor();
    await page.screenshot({ path: join(shots, 'board-queues.png') });
  });

  it("shows the running download's progress, and it moves", async () => {
    const page = await (await newContext({ username: USER, password: PASSWORD })).newPage();
    await page.goto(`${base}/queues`);
    await page
      .locator('#bull-board-sidebar nav')
      .getByRole('link', { name: downloadQueue.name, exact: true })
      .click();
    await page
      .getByRole('main')
      .getByRole('link', { name: /^active/i })
      .click();
    await page.waitForURL(/\/queues\/queue\/download\?status=active$/);
    // the job card of the active download, with its Progress tab
    await page.getByRole('link', { name: downloadJobId, exact: true }).waitFor();
    await page.getByRole('tab', { name: 'Progress' }).click();
    const panel = page.getByRole('tabpanel');
    await panel
      .getByRole('treeitem')
      .filter({ hasText: /^phase:\s*"download"/ })
      .waitFor();
    const first = await percentShown(page);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(100);
    // Bull Board polls every 5 s: the page itself must show the download moving on
    await expect
      .poll(() => percentShown(page), { timeout: 30_000, interval: 500 })
      .toBeGreaterThan(first);
    const second = await percentShown(page);
    expect(second).toBeLessThan(100);
    // the job card's progress ring (Bull Board draws it from the reported `progress`)
    const ring = page.getByRole('progressbar').first();
    await ring.waitFor();
    await expect
      .poll(async () => Number(await ring.getAttribute('aria-valuenow')), { timeout: 15_000 })
      .toBeGreaterThan(0);
    const screenshot = join(shots, 'board-progress.png');
    await page.screenshot({ path: screenshot });
    console.info(`download progress ${first}% -> ${second}%; screenshot: ${screenshot}`);
    expect(await runtime.queue(downloadQueue).getActiveCount()).toBe(1);
  });

  it('serves the status page: every series of the catalogue with its images', async () => {
    const page = await (await newContext({ username: USER, password: PASSWORD })).newPage();
    const response = await page.goto(`${base}/status`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-type']).toMatch(/^text\/html/);
    // rendered on the server: the sections are in the HTML as sent, not built by a script
    expect(await response?.text()).toContain('<section data-series="');
    expect(await page.locator('h1').innerText()).toContain('imagecycle');
    const sections = page.locator('section[data-series]');
    const ids = await attributes(sections, 'data-series');
    expect(ids.sort()).toEqual(catalogue.series.map((s) => s.id).sort());
    // the image reaped before the test began, struck through in its series' timeline
    const reaped = page
      .locator(`section[data-series="${SERIES}"] li`)
      .filter({ hasText: REAPED.version });
    expect(await reaped.getAttribute('data-state')).toBe('reaped');
    for (const series of catalogue.series) {
      const section = page.locator(`section[data-series="${series.id}"]`);
      expect(await section.innerText(), series.id).toContain(series.title);
      const states = await attributes(section.locator('li'), 'data-state');
      for (const state of states) expect(STATES, `${series.id}: <li data-state>`).toContain(state);
    }
    await page.screenshot({ path: join(shots, 'status.png'), fullPage: true });
  });
});
