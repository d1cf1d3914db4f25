// The naming scheme is the catalogue's: a small e2e run of two series (real BullMQ workers for
// every stage, the stack's Redis and OpenStack, the local upstream mirror), first with the
// default scheme, then the same cloud with the catalogue switched to `naming: scs`.
//   default, days 1 and 2: "<Title> - Latest" and "<Title> - <first-upload day>"
//   switched to scs, the janitor's pass: "<Title>" and "<Title> <YYYYMMDD build date>",
//     the images kept (same ids), nothing published anew
//   scs, day 3: a new release is "<Title>", the previous Latest "<Title> <its build date>"
// After each phase the images read back from Glance satisfy SCS 0102 (scs-conformance.ts),
// recency included, at the end of the run's day: the mirror's release day, the clock the
// images' build dates follow. Judged 8 days and half an hour after the last build (weekly:
// the conformance test's 1.1 x 7 x 25 hours), each series' newest image becomes outdated.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { isMap, parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allQueues,
  DEFAULT_TARGET,
  feedCheckQueue,
  janitorQueue,
  PROPERTY,
} from '@imagecycle/contracts';
import { Events, PublishedRecords, SmokeTestRecords } from '@imagecycle/events';
import { DocumentFetcher, FeedWatcher, RedisDocumentCache } from '@imagecycle/feed-watcher';
import { listManagedImages } from '@imagecycle/inventory';
import { createLogger, createMetrics } from '@imagecycle/observability';
import { type GlanceImage, OpenStackClient } from '@imagecycle/openstack';
import type { QueueRuntime } from '@imagecycle/queues';
import { stageHandlers, waitUntilIdle } from '@imagecycle/composition';
import { type Catalogue, loadCatalogue } from '@imagecycle/series-catalogue';
import { type Mirror, startMirror } from '../mirror/index.ts';
import { cinderAdminRoles, cloudNames, connect } from '../support/clouds.ts';
import { mirrorCatalogueText, mirrorCatalogueVars } from '../support/mirror-catalogue.ts';
import { testRuntime } from '../support/queue-runtime.ts';
import { scsConformance } from './scs-conformance.ts';

const SERIES = { 'ubuntu-24.04': 'Ubuntu 24.04', 'debian-12': 'Debian 12' } as const;
type SeriesId = keyof typeof SERIES;
const IDS = Object.keys(SERIES) as SeriesId[];

const service = connect('service');
const publish = connect('publish');
const usage = connect('usage');
const tenant = connect('tenant');
const redis = new Redis(process.env.REDIS_URL ?? '');
const quiet = createLogger({ name: 'e2e-scs', level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'e2e-scs-'));
let mirror: Mirror;
let vars: Record<string, string>;
let owner: string;
let catalogue: Catalogue;
let current: { prefix: string; runtime: QueueRuntime } | undefined;

/** The mirror's catalogue cut to two series titled "Distribution Version", in a scheme. */
async function catalogueIn(naming: 'default' | 'scs'): Promise<Catalogue> {
  const doc = parseDocument(mirrorCatalogueText());
  doc.set('naming', naming);
  doc.set('vendor', 'e2e-scs');
  const series = doc.get('series');
  if (!isMap(series)) throw new Error('no series');
  series.items = series.items.filter((pair) => String(pair.key) in SERIES);
  for (const id of IDS) doc.setIn(['series', id, 'title'], SERIES[id]);
  const file = join(dir, `catalogue-${naming}.yaml`);
  writeFileSync(file, doc.toString());
  return loadCatalogue(file, { vars });
}

/** Workers for every stage on a queue prefix of their own, reading `catalogue`. */
async function startWorkers(next: Catalogue): Promise<QueueRuntime> {
  if (current) await stopWorkers();
  catalogue = next;
  current = testRuntime('e2e-scs');
  const { prefix, runtime } = current;
  const metrics = createMetrics({ defaultMetrics: false });
  const published = new PublishedRecords(redis, `${prefix}:published`);
  const watcher = new FeedWatcher({
    catalogue,
    fetcher: new DocumentFetcher({
      cache: new RedisDocumentCache(redis, { prefix: `${prefix}:cache:` }),
    }),
    published: (series) => published.get(series),
    runtime,
    logger: quiet,
    metrics,
  });
  runtime.startWorkers(
    stageHandlers({
      catalogue,
      targets: [
        {
          name: DEFAULT_TARGET,
          clouds: { publish: () => publish, usage: () => usage },
          owner: () => Promise.resolve(owner),
          // every candidate is smoke-booted, as the packaged catalogue asks
          smokeTests: new SmokeTestRecords(redis, `${prefix}:smoke-tests`),
          smokeTesterFor: (project) => {
            const nova = OpenStackClient.connect({ cloud: project ?? cloudNames.publish }).nova;
            return {
              nova,
              flavorRef: (flavor, fit) =>
                flavor === undefined ? nova.smallestFlavor(fit) : nova.resolveFlavor(flavor),
            };
          },
        },
      ],
      runtime,
      watcher: () => watcher,
      events: new Events({ redis, logger: quiet, stream: `${prefix}:events` }),
      metrics,
      stagingDir: mkdtempSync(join(tmpdir(), 'e2e-scs-staging-')),
      now: () => new Date(),
      reapSettleMs: 0,
      cinderAdminRoles,
    }),
    allQueues,
  );
  return runtime;
}

async function stopWorkers(): Promise<void> {
  if (!current) return;
  const { prefix, runtime } = current;
  await runtime.close();
  for (const queue of allQueues) await runtime.queue(queue).obliterate({ force: true });
  await runtime.close();
  await redis.del(`${prefix}:events`, `${prefix}:smoke-tests`);
  current = undefined;
}

const managedOf = (series: string): Promise<GlanceImage[]> =>
  listManagedImages(service.glance, { owner, series });

async function removeManagedImages(): Promise<void> {
  for (const id of IDS)
    for (const image of await managedOf(id)) await service.glance.deleteImage(image.id);
}

async function runDay(runtime: QueueRuntime): Promise<void> {
  for (const id of IDS) await runtime.enqueue(feedCheckQueue, { series: id, trigger: 'manual' });
  await waitUntilIdle(runtime, allQueues, 480_000);
}

/** Each series' images as [state, name, build date], Latest first. */
async function namesOf(id: SeriesId): Promise<Array<[unknown, unknown, unknown]>> {
  const images = await managedOf(id);
  return images
    .sort(
      (a, b) =>
        String(b[PROPERTY.state]).localeCompare(String(a[PROPERTY.state])) ||
        String(a.name).localeCompare(String(b.name)),
    )
    .map((i) => [i[PROPERTY.state], i.name, i.image_build_date]);
}

/** The run's clock: the last instant of the mirror's release day. */
const endOf = (day: string): Date => new Date(`${day}T23:59:59.999Z`);

async function violationsAt(now: Date): Promise<string[]> {
  const { violations, judged } = await scsConformance({
    catalogue,
    service: service.glance,
    owner,
    tenant: tenant.glance,
    now,
  });
  expect([...judged.values()].flat().length).toBeGreaterThanOrEqual(IDS.length);
  return violations;
}

async function conforming(day: string): Promise<void> {
  expect(await violationsAt(endOf(day))).toEqual([]);
}

beforeAll(async () => {
  mirror = await startMirror({ seed: '2026-11-01' });
  vars = mirrorCatalogueVars(mirror);
  owner = await service.projectId();
  await removeManagedImages();
}, 120_000);

afterAll(async () => {
  await stopWorkers();
  await removeManagedImages();
  redis.disconnect();
  await mirror.stop();
}, 120_000);

const builds = new Map<SeriesId, string>();
const ids = new Map<SeriesId, string[]>();

describe('the naming scheme is the catalogue choice, and both schemes publish conforming images', () => {
  it('default: "<Title> - Latest" and "<Title> - <first-upload day>", conforming', async () => {
    const runtime = await startWorkers(await catalogueIn('default'));
    await runDay(runtime);
    for (const id of IDS) builds.set(id, String((await managedOf(id))[0]?.image_build_date));
    for (const id of IDS) await mirror.publish(id, { date: '2026-11-20' });
    await runDay(runtime);
    for (const id of IDS) {
      const images = await managedOf(id);
      ids.set(id, images.map((i) => i.id).sort());
      const older = images.find((i) => i[PROPERTY.state] === 'community');
      expect(await namesOf(id)).toEqual([
        ['latest', `${SERIES[id]} - Latest`, '2026-11-20'],
        ['community', `${SERIES[id]} - ${older?.created_at.slice(0, 10)}`, builds.get(id)],
      ]);
    }
    await conforming('2026-11-20');
  }, 600_000);

  it('switched to scs: the janitor renames the same images to "<Title>" and "<Title> <YYYYMMDD build>", conforming', async () => {
    const runtime = await startWorkers(await catalogueIn('scs'));
    await runtime.enqueue(janitorQueue, { trigger: 'manual' });
    await waitUntilIdle(runtime, allQueues, 120_000);
    for (const id of IDS) {
      expect((await managedOf(id)).map((i) => i.id).sort(), id).toEqual(ids.get(id));
      expect(await namesOf(id)).toEqual([
        ['latest', SERIES[id], '2026-11-20'],
        ['community', `${SERIES[id]} ${builds.get(id)?.replaceAll('-', '')}`, builds.get(id)],
      ]);
    }
    await conforming('2026-11-20');
  }, 300_000);

  it('scs, the next day: a new release is "<Title>", the previous Latest "<Title> 20261120" (its build date), conforming', async () => {
    for (const id of IDS) await mirror.publish(id, { date: '2026-11-25' });
    await runDay(current?.runtime as QueueRuntime);
    for (const id of IDS) {
      const names = (await namesOf(id)).map(([state, name]) => [state, name]);
      expect(names, id).toEqual([
        ['latest', SERIES[id]],
        ['community', `${SERIES[id]} ${builds.get(id)?.replaceAll('-', '')}`],
        ['community', `${SERIES[id]} 20261120`],
      ]);
    }
    await conforming('2026-11-25');
  }, 600_000);

  it('recency: the newest images, built 2026-11-25 weekly, are in time until 2026-12-03 00:30 UTC and outdated a millisecond later', async () => {
    expect(await violationsAt(new Date('2026-12-03T00:30:00.000Z'))).toEqual([]);
    const late = await violationsAt(new Date('2026-12-03T00:30:00.001Z'));
    const latest = new Map<string, string>();
    for (const id of IDS) {
      const image = (await managedOf(id)).find((i) => i[PROPERTY.state] === 'latest');
      latest.set(id, `${id} ${image?.id} "${SERIES[id]}"`);
    }
    expect(late.toSorted()).toEqual(
      IDS.map(
        (id) =>
          `${latest.get(id)}: replace_frequency: built 2026-11-25T00:00:00.000Z, replace_frequency weekly: outdated since 2026-12-03T00:30:00.001Z (now 2026-12-03T00:30:00.001Z); the image users find by this name was not replaced in time`,
      ).toSorted(),
    );
  }, 120_000);
});
