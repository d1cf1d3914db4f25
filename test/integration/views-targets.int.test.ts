// The read models of a deployment with two targets, against the local stack's two regions
// (IMAGECYCLE_STACK_REGIONS=2): region-one is RegionOne's Glance, which RegionTwo's Nova and
// Cinder boot from too (its usageRegions name both); region-two is RegionTwo's own Glance.
// Each target's state is read from its own Glance with its own usage account and records;
// the plan is per target, the feed checked once: a release region one holds already is a
// download in region two only; a server in RegionTwo keeps region one's image from a reap.
// The API, /metrics and the status page show both. Region one's usage account names both
// compute regions in its clouds.yaml entry (`regions:`), as a deployment's must.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allQueues,
  catalogueProperties,
  formatCatalogueKeys,
  MANAGED_TAG,
  managedByTag,
  osTag,
  PROPERTY,
} from '@imagecycle/contracts';
import { createLogger } from '@imagecycle/observability';
import { OpenStackClient } from '@imagecycle/openstack';
import { UnknownTargetError } from '@imagecycle/series-catalogue';
import {
  App,
  loadSettings,
  planFor,
  readSeriesStates,
  serveControlPlane,
} from '@imagecycle/composition';
import { type Mirror, startMirror } from '../mirror/index.ts';
import { cinderAdminRoles, cloudNames } from '../support/clouds.ts';
import { mirrorCatalogueText, mirrorCatalogueVars } from '../support/mirror-catalogue.ts';
import { removeManagedImages } from '../support/managed-images.ts';
import {
  type CloudEntries,
  inBothRegions,
  twoRegionClouds,
  writeClouds,
} from '../support/two-regions.ts';

const SERIES = 'debian-12';
const DAY = 24 * 3600 * 1000;
const prefix = `views-${randomBytes(4).toString('hex')}`;
const auth = { authorization: `Basic ${Buffer.from('operator:correct horse').toString('base64')}` };
const regionOne = OpenStackClient.connect({ cloud: cloudNames.service });
const regionTwo = OpenStackClient.connect({ cloud: `${cloudNames.service}-r2` });
const tenantTwo = OpenStackClient.connect({ cloud: `${cloudNames.tenant}-r2` });
let mirror: Mirror;
let app: App;
/** The deployment's settings and clouds.yaml, for a second App that sees region two down. */
let baseEnv: NodeJS.ProcessEnv;
let cloudsDoc: CloudEntries;
let workDir = '';
let server: Awaited<ReturnType<typeof serveControlPlane>>;
let vm = '';
/** Each region's images: the old community one, the newer community one, the Latest. */
const one = { old: '', newer: '', latest: '' };
const two = { old: '', newer: '', latest: '' };

async function managedImage(
  client: OpenStackClient,
  version: string,
  state: string,
  name: string,
  extra = {},
): Promise<string> {
  const series = app.catalogue.series.find((s) => s.id === SERIES);
  const properties = catalogueProperties(series?.properties ?? {});
  const image = await client.glance.createImage({
    name,
    disk_format: 'raw',
    container_format: 'bare',
    visibility: state === 'latest' ? 'public' : 'community',
    tags: [
      MANAGED_TAG,
      managedByTag(series?.vendor ?? ''),
      osTag(series?.properties.os_distro ?? ''),
    ],
    properties: {
      [PROPERTY.series]: SERIES,
      [PROPERTY.version]: version,
      [PROPERTY.state]: state,
      ...properties,
      [PROPERTY.catalogueKeys]: formatCatalogueKeys(Object.keys(properties)),
      ...extra,
    },
  });
  await client.glance.uploadImageData(image.id, Readable.from([randomBytes(4096)]));
  await client.glance.waitForImageStatus(image.id, ['active'], { timeoutMs: 60_000 });
  return image.id;
}

beforeAll(async () => {
  await removeManagedImages(regionOne, SERIES);
  await removeManagedImages(regionTwo, SERIES);
  mirror = await startMirror({ seed: '2026-11-01' });
  // the packaged catalogue (the mirror's feeds) with a targets: section
  const targets = [
    'targets:',
    '  region-one:',
    `    cloud: ${cloudNames.publish}`,
    '    usageCloud: views-usage-both',
    '    region: RegionOne',
    '    usageRegions: [RegionOne, RegionTwo]',
    '  region-two:',
    `    cloud: ${cloudNames.publish}-r2`,
    `    usageCloud: ${cloudNames.usage}-r2`,
    '    region: RegionTwo',
  ];
  const dir = mkdtempSync(join(tmpdir(), 'views-targets-'));
  workDir = dir;
  // the stack's usage entry names RegionOne alone: a copy of it that names both regions
  const clouds = twoRegionClouds();
  clouds['views-usage-both'] = inBothRegions(clouds, cloudNames.usage);
  const cloudsFile = writeClouds(dir, clouds);
  cloudsDoc = clouds;
  const catalogue = join(dir, 'catalogue.yaml');
  writeFileSync(catalogue, `${mirrorCatalogueText().trimEnd()}\n${targets.join('\n')}\n`);
  const env = {
    ...process.env,
    ...mirrorCatalogueVars(mirror),
    IMAGECYCLE_CATALOGUE: catalogue,
    OS_CLIENT_CONFIG_FILE: cloudsFile,
    OS_CLOUD: cloudNames.service,
    IMAGECYCLE_QUEUE_PREFIX: prefix,
    IMAGECYCLE_HTTP_HOST: '127.0.0.1',
    IMAGECYCLE_HTTP_PORT: '0',
    IMAGECYCLE_BOARD_USER: 'operator',
    IMAGECYCLE_BOARD_PASSWORD: 'correct horse',
    IMAGECYCLE_CINDER_ADMIN_ROLES: cinderAdminRoles.join(','),
  };
  baseEnv = env;
  const quiet = createLogger({ name: 'views-targets', level: 'silent' });
  app = await App.create({ settings: loadSettings(env), logger: quiet, env });
  expect(app.targets.map((t) => t.name)).toEqual(['region-one', 'region-two']);

  const unused = { [PROPERTY.unusedSince]: new Date(Date.now() - 30 * DAY).toISOString() };
  const newest = mirror.latest(SERIES)?.version ?? '';
  // region one has the newest upstream release as its Latest; region two is behind
  one.old = await managedImage(regionOne, '20260101-1', 'community', 'Debian 12 one-old', unused);
  one.newer = await managedImage(regionOne, '20260201-1', 'community', 'Debian 12 one-newer');
  one.latest = await managedImage(regionOne, newest, 'latest', 'Debian 12 Bookworm - Latest');
  two.old = await managedImage(regionTwo, '20260101-1', 'community', 'Debian 12 two-old', unused);
  two.newer = await managedImage(regionTwo, '20260201-1', 'community', 'Debian 12 two-newer');
  two.latest = await managedImage(regionTwo, '20260301-1', 'latest', 'Debian 12 Bookworm - Latest');
  // RegionTwo's Nova boots from RegionOne's Glance: this server uses region one's old image
  const booted = await tenantTwo.nova.createServer({
    name: `${prefix}-vm`,
    imageRef: one.old,
    flavorRef: '1',
  });
  vm = booted.id;
  await tenantTwo.nova.waitForServerStatus(vm, ['ACTIVE'], 120_000);

  // region two's own records and events; region one has none
  await app.recordsOf('region-two').usageChecks.record({
    series: SERIES,
    at: '2026-12-05T06:00:00.000Z',
    outcome: 'checked',
    communityImages: 2,
    inUse: 0,
    newlyUnused: 0,
    handedToReaper: 1,
    kept: 1,
  });
  await app.events.record({
    type: 'reaped',
    series: SERIES,
    imageId: 'gone-in-two',
    version: '20251201-1',
    target: 'region-two',
    detail: 'Debian 12 Bookworm - 2025-12-01',
  });
  server = await serveControlPlane(app);
}, 300_000);

afterAll(async () => {
  await server?.close();
  if (vm) {
    await tenantTwo.nova.deleteServer(vm);
    await tenantTwo.nova.waitForServerGone(vm, 90_000);
  }
  for (const queue of allQueues) await app?.runtime.queue(queue).obliterate({ force: true });
  const keys = await app?.redis.keys(`${prefix}:*`);
  if (keys?.length) await app?.redis.del(...keys);
  await app?.stop();
  await mirror?.stop();
  await removeManagedImages(regionOne, SERIES);
  await removeManagedImages(regionTwo, SERIES);
}, 300_000);

describe('two targets', () => {
  it("each target's state from its own Glance, records and events; one target when named", async () => {
    const states = await readSeriesStates(app, [SERIES]);
    expect(states.map((s) => [s.id, s.target, s.latest?.id])).toEqual([
      [SERIES, 'region-one', one.latest],
      [SERIES, 'region-two', two.latest],
    ]);
    const [inOne, inTwo] = states;
    expect(inOne?.community.map((c) => c.id)).toEqual([one.newer, one.old]);
    expect(inTwo?.community.map((c) => c.id)).toEqual([two.newer, two.old]);
    expect(inOne).not.toHaveProperty('lastUsageCheck');
    expect(inTwo?.lastUsageCheck).toMatchObject({ handedToReaper: 1 });
    expect(inOne?.reaped).toEqual([]);
    expect(inTwo?.reaped.map((r) => r.imageId)).toEqual(['gone-in-two']);

    const named = await readSeriesStates(app, [SERIES], 'region-two');
    expect(named.map((s) => [s.target, s.latest?.id])).toEqual([['region-two', two.latest]]);
    await expect(readSeriesStates(app, [SERIES], 'region-nine')).rejects.toThrow(
      UnknownTargetError,
    );
  });

  it("a plan per target: the release is a download where it is missing only, and a server in RegionTwo keeps region one's image", async () => {
    const [planOne, planTwo] = await planFor(app, [SERIES]);
    expect(planOne?.target).toBe('region-one');
    expect(planTwo?.target).toBe('region-two');
    // region one holds the newest release; region two would get it and demote its Latest
    expect(planOne?.downloads).toEqual([]);
    expect(planTwo?.downloads).toEqual([
      expect.objectContaining({
        series: SERIES,
        version: mirror.latest(SERIES)?.version,
        replaces: expect.objectContaining({ imageId: two.latest }) as unknown,
      }),
    ]);
    // region one's scan covers RegionTwo's servers: its old image is in use, not reaped
    expect(planOne?.scanned.incomplete).toEqual([]);
    expect(planOne?.reaps).toEqual([]);
    expect(planOne?.usage.find((u) => u.imageId === one.old)?.ops.map((op) => op.path)).toContain(
      '/imagecycle_last_used_at',
    );
    // region two's scan is RegionTwo's alone, and nothing there uses its own copy
    expect(planTwo?.scanned.incomplete).toEqual([]);
    expect(planTwo?.reaps.map((r) => r.imageId)).toEqual([two.old]);
  }, 120_000);

  it('the API, /metrics and the status page show both targets', async () => {
    const get = (url: string) => server.inject({ url, headers: auth });
    const plans = (await get(`/api/plan?series=${SERIES}`)).json<{
      plans: { target: string }[];
    }>();
    expect(plans.plans.map((p) => p.target)).toEqual(['region-one', 'region-two']);
    const plan = (await get(`/api/plan?series=${SERIES}&target=region-two`)).json<{
      target: string;
    }>();
    expect(plan.target).toBe('region-two');
    const images = (await get(`/api/images?series=${SERIES}&state=latest`)).json<{
      images: { id: string; target: string }[];
    }>();
    expect(images.images.map((i) => [i.target, i.id]).sort()).toEqual(
      [
        ['region-one', one.latest],
        ['region-two', two.latest],
      ].sort(),
    );
    const unknown = await get('/api/series?target=region-nine');
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json<{ error: string }>().error).toBe('unknown-target');

    const metrics = (await server.inject({ url: '/metrics' })).body;
    expect(metrics).toContain(
      `imagecycle_images{series="${SERIES}",target="region-one",state="community"} 2`,
    );
    expect(metrics).toContain(
      `imagecycle_images{series="${SERIES}",target="region-two",state="latest"} 1`,
    );
    expect(metrics).toContain(
      `imagecycle_image_bytes{series="${SERIES}",target="region-two"} ${3 * 4096}`,
    );

    const page = (await get('/status')).body;
    expect(page).toContain('<h2 class="target">Target region-one</h2>');
    expect(page).toContain('<h2 class="target">Target region-two</h2>');
    expect(page).toContain(`<section data-series="${SERIES}" data-target="region-two">`);
  });

  it('region two down: status, the status page and /metrics still show region one, and say region two is unreadable', async () => {
    // the same deployment, region two's Glance answering nothing (a closed port)
    const clouds = structuredClone(cloudsDoc);
    for (const name of [`${cloudNames.publish}-r2`, `${cloudNames.usage}-r2`])
      clouds[name] = { ...clouds[name], image_endpoint_override: 'http://127.0.0.1:9' };
    const down = writeClouds(workDir, clouds, 'clouds-down.yaml');
    // a prefix of its own: the first control plane holds the metrics lease of the shared one
    const env = {
      ...baseEnv,
      OS_CLIENT_CONFIG_FILE: down,
      IMAGECYCLE_QUEUE_PREFIX: `${prefix}-down`,
    };
    const quiet = createLogger({ name: 'views-targets-down', level: 'silent' });
    const degraded = await App.create({ settings: loadSettings(env), logger: quiet, env });
    const control = await serveControlPlane(degraded);
    try {
      const states = await readSeriesStates(degraded, [SERIES]);
      expect(states.map((st) => [st.target, st.latest?.id, st.unreadable === undefined])).toEqual([
        ['region-one', one.latest, true],
        ['region-two', undefined, false],
      ]);
      expect(states[1]?.unreadable).toMatch(/ECONNREFUSED|connect/);
      const metrics = (await control.inject({ url: '/metrics' })).body;
      expect(metrics).toContain(
        `imagecycle_images{series="${SERIES}",target="region-one",state="latest"} 1`,
      );
      // region two's are absent, not 0: no "not published" alert for a region that is down
      expect(metrics).not.toContain('target="region-two"');
      expect(metrics).toContain('imagecycle_catalogue_read_error 1');
      const page = (await control.inject({ url: '/status', headers: auth })).body;
      expect(page).toContain("this target's Glance could not be read");
    } finally {
      await control.close();
      const keys = await degraded.redis.keys(`${prefix}-down:*`);
      if (keys.length) await degraded.redis.del(...keys);
      await degraded.stop();
    }
  });
});
