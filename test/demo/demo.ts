// The lifecycle demo on the local stack: the real pipeline (every worker in this process,
// as `imagecycle all` runs them), the real OpenStack and Redis, the local upstream mirror,
// and a clock moved over simulated days. It prints what happened, then leaves the control
// plane running (Bull Board, /metrics) until Ctrl-C.   Run: ./dev demo
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  App,
  describeRedis,
  loadSettings,
  readSeriesStates,
  serveControlPlane,
  waitUntilIdle,
} from '@imagecycle/composition';
import { outlookText } from '@imagecycle/overview';
import { allQueues, feedCheckQueue, PROPERTY, usageCheckQueue } from '@imagecycle/contracts';
import { listManagedImages } from '@imagecycle/inventory';
import { createLogger } from '@imagecycle/observability';
import { OpenStackClient } from '@imagecycle/openstack';
import { startMirror } from '../mirror/index.ts';
import { removeManagedImages } from '../support/managed-images.ts';
import { mirrorCatalogueVars } from '../support/mirror-catalogue.ts';

const DAY = 86_400_000;
const port = Number(process.env.IMAGECYCLE_HTTP_PORT ?? 8080);
const password = process.env.IMAGECYCLE_BOARD_PASSWORD ?? randomBytes(9).toString('base64url');
const start = Date.now();
let day = 1;
const now = () => new Date(start + (day - 1) * DAY);
const say = (line = '') => process.stdout.write(`${line}\n`);
const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

// The demo deletes every managed image it finds to start afresh: only ever on the local stack.
const stackDir = process.env.IMAGECYCLE_STACK_DIR;
if (!stackDir || !process.env.OS_CLIENT_CONFIG_FILE?.startsWith(stackDir)) {
  process.stderr.write(
    'demo: runs only on the local stack (it deletes the managed images it finds); start it with ./dev demo\n',
  );
  process.exit(3);
}

const mirror = await startMirror({ seed: new Date(start - 2 * DAY).toISOString().slice(0, 10) });
const env: NodeJS.ProcessEnv = {
  ...process.env,
  ...mirrorCatalogueVars(mirror),
  OS_CLOUD: 'imagecycle', // the local stack's service account
  IMAGECYCLE_QUEUE_PREFIX: 'imagecycle-demo',
  IMAGECYCLE_STAGING_DIR: mkdtempSync(join(tmpdir(), 'imagecycle-demo-staging-')),
  IMAGECYCLE_REAP_SETTLE_SECONDS: '2',
  IMAGECYCLE_HTTP_HOST: '127.0.0.1',
  IMAGECYCLE_HTTP_PORT: String(port),
  IMAGECYCLE_BOARD_USER: 'demo',
  IMAGECYCLE_BOARD_PASSWORD: password,
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
};
const settings = loadSettings(env);
const app = await App.create({
  settings,
  env,
  logger: createLogger({ name: 'demo', level: settings.LOG_LEVEL }),
  now,
});
const tenant = OpenStackClient.connect({ cloud: 'tenant' });

async function images(series: string) {
  return listManagedImages(app.cloud.glance, { owner: await app.owner(), series });
}

/** The demo starts from a clean slate: no managed image and no queued job of an earlier run. */
async function reset(): Promise<void> {
  await removeManagedImages(app.cloud);
  for (const queue of allQueues) await app.runtime.queue(queue).obliterate({ force: true });
  // every record of an earlier run too: the feed-watcher would read its published versions
  await app.redis.del(
    ...['events', 'smoke-tests', 'published', 'checks', 'usage-checks'].map(
      (key) => `${settings.IMAGECYCLE_QUEUE_PREFIX}:${key}`,
    ),
  );
}

async function checkAll(): Promise<void> {
  for (const series of app.catalogue.series)
    await app.runtime.enqueue(feedCheckQueue, { series: series.id, trigger: 'manual' });
  await waitUntilIdle(app.runtime, allQueues, 600_000);
}

async function usageCheck(): Promise<void> {
  await app.runtime.enqueue(usageCheckQueue, { trigger: 'manual' });
  await waitUntilIdle(app.runtime, allQueues, 120_000);
}

/** Each image of the series, with why a community image is still here (as `imagecycle images`). */
async function show(seriesIds: readonly string[]): Promise<void> {
  const line = (
    image: { name: string; version: string; id: string },
    visibility: string,
    note: string,
  ) =>
    say(
      `    ${image.name.padEnd(42)} ${visibility.padEnd(9)} ${image.version.padEnd(15)} ${image.id}  ${note}`,
    );
  for (const state of await readSeriesStates(app, seriesIds)) {
    if (state.latest) line(state.latest, 'public', '');
    for (const image of state.community) line(image, 'community', outlookText(image));
  }
}

/** Every candidate was booted before it was published: each series' last smoke test. */
async function smokeTests(): Promise<void> {
  const states = await readSeriesStates(app);
  const passed = states.filter((s) => s.lastSmokeTest?.result === 'passed').length;
  const failed = states.filter((s) => s.lastSmokeTest?.result === 'failed');
  say(`    smoke tests: ${passed} passed, ${failed.length} failed (imagecycle status: SMOKE TEST)`);
  for (const s of states) {
    const t = s.lastSmokeTest;
    if (t)
      say(
        `      ${s.id.padEnd(22)} ${t.result.padEnd(6)} ${t.durationSeconds.toFixed(1).padStart(6)} s  ${app.catalogue.series.find((c) => c.id === s.id)?.smokeTest?.family ?? ''}${t.message ? `  ${t.message}` : ''}`,
      );
  }
}

const printed = new Set<string>();
async function newEvents(): Promise<void> {
  const recent = (await app.events.recent(500))
    .reverse()
    .filter((e) => !printed.has(JSON.stringify(e)));
  for (const e of recent) printed.add(JSON.stringify(e));
  for (const e of recent)
    say(
      `    ${e.type.padEnd(11)} ${e.series.padEnd(22)} ${(e.version ?? '').padEnd(16)} ${e.imageId ?? ''} ${e.detail ?? ''}`,
    );
}

async function step(title: string, work: () => Promise<void>): Promise<void> {
  say(bold(`\nday ${day} (${now().toISOString().slice(0, 10)}): ${title}`));
  const t0 = Date.now();
  await work();
  await newEvents();
  say(`    (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

say(bold('imagecycle demo: the lifecycle on the local stack, over simulated days'));
say(`  mirror ${mirror.url('/')}  cloud imagecycle (local stack)  ${describeRedis(settings)}`);
await reset();
await app.start(allQueues);
const server = await serveControlPlane(app);

await step(`every series of the catalogue is checked upstream, verified and published`, checkAll);
await show(['ubuntu-24.04', 'debian-12']);
say(`    ... and ${app.catalogue.series.length - 2} more "<Title> - Latest" images`);
await smokeTests();

day = 2;
await step(
  'Ubuntu 24.04 and Debian 12 publish new releases: new Latest, the previous ones become dated community images',
  async () => {
    await mirror.publish('ubuntu-24.04', { date: now() });
    await mirror.publish('debian-12', { date: now() });
    await checkAll();
  },
);
await show(['ubuntu-24.04', 'debian-12']);
say("    (a community image is named with the day of its first upload: Glance's real created_at)");

const [oldUbuntu] = (await images('ubuntu-24.04')).filter((i) => i[PROPERTY.state] === 'community');
day = 3;
let serverId = '';
await step(
  'a tenant boots a server from the old Ubuntu (by UUID); another Ubuntu release arrives; the usage check keeps the old one',
  async () => {
    const booted = await tenant.nova.createServer({
      name: 'demo-vm',
      imageRef: oldUbuntu?.id ?? '',
      flavorRef: '3',
    });
    serverId = booted.id;
    await tenant.nova.waitForServerStatus(serverId, ['ACTIVE'], 120_000);
    await mirror.publish('ubuntu-24.04', { date: now() });
    await checkAll();
    await usageCheck();
  },
);
await show(['ubuntu-24.04']);

day = 4;
await step(
  'the tenant deletes the server; the usage check notes the old image unused since today',
  async () => {
    await tenant.nova.deleteServer(serverId);
    await tenant.nova.waitForServerGone(serverId, 120_000);
    await usageCheck();
  },
);

await show(['ubuntu-24.04']);

day = 12;
await step(
  'past the 7-day grace period: the old image is reaped (deactivated, checked again, deleted)',
  usageCheck,
);
await show(['ubuntu-24.04']);

say(bold('\nThe control plane is running:'));
say(`  Bull Board   http://127.0.0.1:${port}/queues   user demo   password ${password}`);
say(`  status page  http://127.0.0.1:${port}/status     (same credentials)`);
say(
  `  API          http://127.0.0.1:${port}/api/series  /api/images  /api/events  /api/plan   (OpenAPI: /openapi.json)`,
);
say(`  metrics      http://127.0.0.1:${port}/metrics   health /healthz /readyz`);
say("Ctrl-C stops the demo and removes the demo's images from the local cloud.");

if (process.env.IMAGECYCLE_DEMO_EXIT === '1') {
  await shutdown();
} else {
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
}

/** Stops everything and removes what the demo made, so the test suite starts from a clean cloud. */
async function shutdown(): Promise<void> {
  await server.close();
  await app.stop();
  await mirror.stop();
  say(`removed the demo's ${await removeManagedImages(app.cloud)} images`);
  process.exit(0);
}
