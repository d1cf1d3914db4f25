// The API and the status page against a real App: Redis, Glance, Nova, Cinder and the local
// mirror. Every answer is validated against the served OpenAPI description (generated from
// the routes' schemas; test/api.test.ts checks how).
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { App, loadSettings } from '../src/index.ts';
import {
  allQueues,
  catalogueProperties,
  feedCheckQueue,
  formatCatalogueKeys,
  janitorQueue,
  MANAGED_TAG,
  managedByTag,
  osTag,
  PROPERTY,
  usageCheckQueue,
} from '@imagecycle/contracts';
import { createLogger } from '@imagecycle/observability';
import { type Mirror, startMirror } from '@imagecycle/test/mirror';
import { cloudNames, connect } from '@imagecycle/test/support/clouds';
import { mirrorCatalogueVars } from '@imagecycle/test/support/mirror-catalogue';
import { removeManagedImages } from '@imagecycle/test/support/managed-images';
import { serveControlPlane } from '../src/control-plane.ts';

const SERIES = 'debian-12';
const DAY = 24 * 3600 * 1000;
const service = connect('service');
const prefix = `api-${randomBytes(4).toString('hex')}`;
const auth = { authorization: `Basic ${Buffer.from('operator:correct horse').toString('base64')}` };
let mirror: Mirror;
let app: App;
let server: FastifyInstance;
const ids: Record<'v1' | 'v2' | 'v3', string> = { v1: '', v2: '', v3: '' };

// the served description, added in beforeAll
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
/** The response body, after checking it against the named OpenAPI component. */
function valid<T = Record<string, unknown>>(component: string, body: string): T {
  const value = JSON.parse(body) as T;
  const check = ajv.compile({ $ref: `openapi#/components/schemas/${component}` });
  if (!check(value)) throw new Error(`not a ${component}: ${ajv.errorsText(check.errors)}`);
  return value;
}
function validResponse(path: string, status: number, body: string) {
  const value = JSON.parse(body) as unknown;
  const check = ajv.compile({
    $ref: `openapi#/paths/${path.replaceAll('/', '~1')}/${['/api/checks', '/api/usage-checks', '/api/janitor-runs'].includes(path) ? 'post' : 'get'}/responses/${status}/content/application~1json/schema`,
  });
  if (!check(value)) throw new Error(`${path} ${status}: ${ajv.errorsText(check.errors)}`);
  return value;
}

/** The series' catalogue properties and their list, as the uploader writes them. */
function fromCatalogue() {
  const series = app.catalogue.series.find((s) => s.id === SERIES);
  const properties = catalogueProperties(series?.properties ?? {});
  return { ...properties, [PROPERTY.catalogueKeys]: formatCatalogueKeys(Object.keys(properties)) };
}

async function managedImage(version: string, state: string, name: string, extra = {}) {
  const image = await service.glance.createImage({
    name,
    disk_format: 'raw',
    container_format: 'bare',
    visibility: state === 'latest' ? 'public' : 'community',
    tags: [
      MANAGED_TAG,
      managedByTag(app.catalogue.series.find((s) => s.id === SERIES)?.vendor ?? ''),
      osTag(app.catalogue.series.find((s) => s.id === SERIES)?.properties.os_distro ?? ''),
    ],
    properties: {
      [PROPERTY.series]: SERIES,
      [PROPERTY.version]: version,
      [PROPERTY.state]: state,
      ...fromCatalogue(),
      ...extra,
    },
  });
  await service.glance.uploadImageData(image.id, Readable.from([randomBytes(4096)]));
  await service.glance.waitForImageStatus(image.id, ['active'], { timeoutMs: 60_000 });
  return image.id;
}

beforeAll(async () => {
  await removeManagedImages(service, SERIES);
  mirror = await startMirror({ seed: '2026-11-01' });
  const env = {
    ...process.env,
    ...mirrorCatalogueVars(mirror),
    OS_CLOUD: cloudNames.service,
    IMAGECYCLE_QUEUE_PREFIX: prefix,
    IMAGECYCLE_HTTP_HOST: '127.0.0.1',
    IMAGECYCLE_HTTP_PORT: '0',
    IMAGECYCLE_BOARD_USER: 'operator',
    IMAGECYCLE_BOARD_PASSWORD: 'correct horse',
  };
  const quiet = createLogger({ name: 'api', level: 'silent' });
  app = await App.create({ settings: loadSettings(env), logger: quiet, env });
  // v1: an old community image, unused for 30 days, with a name the renamer would fix
  ids.v1 = await managedImage('20260101-1', 'community', 'Debian 12 <old>', {
    [PROPERTY.unusedSince]: new Date(Date.now() - 30 * DAY).toISOString(),
  });
  ids.v2 = await managedImage('20260201-1', 'community', 'Debian 12 v2');
  ids.v3 = await managedImage('20260301-1', 'latest', 'Debian 12 Bookworm - Latest');
  await app.checks.record({
    series: SERIES,
    at: new Date().toISOString(),
    outcome: 'nothing-new',
    version: '20260301-1',
    buildDate: new Date(Date.now() - 40 * DAY).toISOString(),
  });
  await app.usageChecks.record({
    series: SERIES,
    at: '2026-12-05T06:00:00.000Z',
    outcome: 'checked',
    communityImages: 2,
    inUse: 0,
    newlyUnused: 1,
    handedToReaper: 1,
    kept: 1,
  });
  await app.events.record({
    type: 'reaped',
    series: SERIES,
    imageId: 'gone-image-id',
    version: '20251201-1',
    detail: 'Debian 12 Bookworm - 2025-12-01',
  });
  server = await serveControlPlane(app);
  ajv.addSchema((await server.inject({ url: '/openapi.json' })).json<object>(), 'openapi');
});

afterAll(async () => {
  await server?.close();
  for (const queue of allQueues) await app?.runtime.queue(queue).obliterate({ force: true });
  await app?.redis.del(`${prefix}:events`, `${prefix}:checks`, `${prefix}:usage-checks`);
  await app?.stop();
  await mirror?.stop();
  await removeManagedImages(service, SERIES);
});

describe('the API', () => {
  it('needs credentials; the OpenAPI description does not', async () => {
    expect((await server.inject({ url: '/api/series' })).statusCode).toBe(401);
    expect((await server.inject({ url: '/status' })).statusCode).toBe(401);
    const doc = await server.inject({ url: '/openapi.json' });
    expect(doc.statusCode).toBe(200);
    // every path the description names is served (as /api/series/:id for {id})
    const paths = doc.json<{ paths: Record<string, Record<string, unknown>> }>().paths;
    for (const [path, methods] of Object.entries(paths))
      for (const method of Object.keys(methods))
        expect(
          server.hasRoute({
            method: method.toUpperCase(),
            url: path.replace(/\{(\w+)\}/g, ':$1'),
          }),
          `${method} ${path}`,
        ).toBe(true);
    expect(Object.keys(doc.json<{ paths: object }>().paths)).toEqual(
      expect.arrayContaining([
        '/api/series',
        '/api/series/{id}',
        '/api/images',
        '/api/events',
        '/api/plan',
        '/api/checks',
      ]),
    );
  });

  it('a series: upstream, Latest, community images with their reap outlook, reaped ones, the last check', async () => {
    const reply = await server.inject({ url: `/api/series/${SERIES}`, headers: auth });
    expect(reply.statusCode).toBe(200);
    const state = valid<{
      latest: { id: string };
      community: { id: string; outlook: string; because?: string; reapAfter?: string }[];
      reaped: { imageId: string; version: string }[];
      lastCheck: { outcome: string };
      lastUsageCheck: { at: string; handedToReaper: number };
      upstream: { version: string; ageDays: number; overdue: boolean };
      replaceFrequency: string;
    }>('SeriesState', reply.body);
    expect(state.latest.id).toBe(ids.v3);
    expect(state.community.map((c) => [c.id, c.outlook])).toEqual([
      [ids.v2, 'held'],
      [ids.v1, 'reap-after'],
    ]);
    expect(state.community[0]?.because).toBe('retention floor: one of the newest 1');
    expect(Date.parse(state.community[1]?.reapAfter ?? '')).toBeLessThan(Date.now());
    expect(state.reaped).toEqual([
      expect.objectContaining({ imageId: 'gone-image-id', version: '20251201-1' }),
    ]);
    expect(state.lastCheck.outcome).toBe('nothing-new');
    expect(state.lastUsageCheck).toMatchObject({
      at: '2026-12-05T06:00:00.000Z',
      handedToReaper: 1,
    });
    expect(state.upstream).toMatchObject({ version: '20260301-1', ageDays: 40 });
    // Debian promises weekly releases: 40 days is overdue (past 7 days and 3.5 of grace)
    expect(state.replaceFrequency).toBe('weekly');
    expect(state.upstream.overdue).toBe(true);

    const all = await server.inject({ url: '/api/series', headers: auth });
    const body = validResponse('/api/series', 200, all.body) as { series: { id: string }[] };
    expect(body.series.map((s) => s.id)).toEqual(app.catalogue.series.map((s) => s.id));
  });

  it('/metrics, open to scrapers, shows the catalogue: images by state, bytes, the last check, upstream age', async () => {
    const text = (await server.inject({ url: '/metrics' })).body;
    expect(text).toContain(
      `imagecycle_images{series="${SERIES}",target="default",state="community"} 2`,
    );
    expect(text).toContain(
      `imagecycle_images{series="${SERIES}",target="default",state="latest"} 1`,
    );
    expect(text).toContain(
      `imagecycle_images{series="${SERIES}",target="default",state="in-flight"} 0`,
    );
    expect(text).toContain(
      `imagecycle_image_bytes{series="${SERIES}",target="default"} ${3 * 4096}`,
    );
    expect(text).toMatch(
      new RegExp(
        `imagecycle_last_check_timestamp_seconds\\{series="${SERIES}",outcome="nothing-new"\\} \\d+`,
      ),
    );
    expect(text).toContain(
      `imagecycle_upstream_age_days{series="${SERIES}",replace_frequency="weekly"} 40`,
    );
    expect(text).toContain(`imagecycle_upstream_overdue{series="${SERIES}"} 1`);
  });

  it('an unknown series is a 404 naming it; a bad query a 400 naming the parameter', async () => {
    const missing = await server.inject({ url: '/api/series/no-such-os', headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(valid<{ message: string }>('Error', missing.body).message).toContain('no-such-os');
    const bad = await server.inject({ url: '/api/images?state=shiny', headers: auth });
    expect(bad.statusCode).toBe(400);
    expect(valid<{ message: string }>('Error', bad.body).message).toMatch(/^query\.state: /);
    const limit = await server.inject({ url: '/api/events?limit=0', headers: auth });
    expect(limit.statusCode).toBe(400);
  });

  it('images, filtered by series and state, newest first', async () => {
    const reply = await server.inject({
      url: `/api/images?series=${SERIES}&state=community`,
      headers: auth,
    });
    const body = validResponse('/api/images', 200, reply.body) as {
      images: { id: string; series: string }[];
    };
    expect(body.images.map((i) => i.id)).toEqual([ids.v2, ids.v1]);
  });

  it('the plan says what a run would change, and changes nothing', async () => {
    const before = await Promise.all(Object.values(ids).map((id) => service.glance.getImage(id)));
    const reply = await server.inject({ url: `/api/plan?series=${SERIES}`, headers: auth });
    expect(reply.statusCode).toBe(200);
    const plan = valid<{
      downloads: { series: string; version: string; replaces?: { imageId: string } }[];
      renames: { imageId: string; ops: { path: string; value?: unknown }[] }[];
      reaps: { imageId: string }[];
      usage: { imageId: string }[];
    }>('Plan', reply.body);
    expect(plan.downloads).toHaveLength(1);
    expect(plan.downloads[0]).toMatchObject({
      series: SERIES,
      version: mirror.latest(SERIES)?.version,
      inFlight: false,
      replaces: { imageId: ids.v3 },
    });
    // v1 and v2 get their dated names; the Latest is already right
    expect(plan.renames.map((r) => r.imageId).sort()).toEqual([ids.v1, ids.v2].sort());
    const rename = plan.renames
      .find((r) => r.imageId === ids.v1)
      ?.ops.find((op) => op.path === '/name');
    expect(rename?.value).toMatch(/^Debian 12 Bookworm - \d{4}-\d{2}-\d{2}/);
    expect(plan.reaps.map((r) => r.imageId)).toEqual([ids.v1]);
    const after = await Promise.all(Object.values(ids).map((id) => service.glance.getImage(id)));
    expect(after).toEqual(before);
    for (const queue of allQueues) expect(await app.runtime.queue(queue).count()).toBe(0);
  });

  it('a check is triggered for the named series; a malformed body is a 400', async () => {
    const bad = await server.inject({
      method: 'POST',
      url: '/api/checks',
      headers: auth,
      payload: { series: 'debian-12' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string }>().message).toMatch(/^body\.series: /);
    const unknown = await server.inject({
      method: 'POST',
      url: '/api/checks',
      headers: auth,
      payload: { series: ['nope'] },
    });
    expect(unknown.statusCode).toBe(404);
    const reply = await server.inject({
      method: 'POST',
      url: '/api/checks',
      headers: auth,
      payload: { series: [SERIES] },
    });
    expect(reply.statusCode).toBe(202);
    expect(validResponse('/api/checks', 202, reply.body)).toEqual({ enqueued: [SERIES] });
    const jobs = await app.runtime.queue(feedCheckQueue).getJobs(['waiting']);
    expect(jobs.map((j) => j.data as unknown)).toEqual([{ series: SERIES, trigger: 'manual' }]);
  });

  it('a usage check and a janitor pass are started for the named series, or all; their job answers', async () => {
    for (const [path, queue] of [
      ['/api/usage-checks', usageCheckQueue],
      ['/api/janitor-runs', janitorQueue],
    ] as const) {
      const unknown = await server.inject({
        method: 'POST',
        url: path,
        headers: auth,
        payload: { series: [SERIES, 'nope'] },
      });
      expect(unknown.statusCode, path).toBe(404);
      expect(unknown.json<{ message: string }>().message).toContain('nope');
      expect(await app.runtime.queue(queue).count(), path).toBe(0);
      const noAuth = await server.inject({ method: 'POST', url: path, payload: {} });
      expect(noAuth.statusCode, path).toBe(401);

      const one = await server.inject({
        method: 'POST',
        url: path,
        headers: auth,
        payload: { series: [SERIES] },
      });
      expect(one.statusCode, path).toBe(202);
      const { job, series } = validResponse(path, 202, one.body) as {
        job: string;
        series: string[];
      };
      expect(series).toEqual([SERIES]);
      expect((await app.runtime.queue(queue).getJob(job))?.data, path).toEqual({
        trigger: 'manual',
        target: 'default',
        series: [SERIES],
      });
      // no body: every series (and, for the janitor, staging)
      const all = await server.inject({ method: 'POST', url: path, headers: auth });
      expect(all.statusCode, path).toBe(202);
      const every = validResponse(path, 202, all.body) as { job: string; series: string[] };
      expect(every.series).toEqual(app.catalogue.series.map((s) => s.id));
      expect((await app.runtime.queue(queue).getJob(every.job))?.data, path).toEqual({
        trigger: 'manual',
        target: 'default',
      });
    }
  });
});

describe('the status page', () => {
  it('shows each series as a timeline: reaped, community with outlook, Latest; names escaped', async () => {
    const reply = await server.inject({ url: '/status', headers: auth });
    expect(reply.statusCode).toBe(200);
    expect(reply.headers['content-type']).toMatch(/^text\/html/);
    const html = reply.body;
    expect(html.match(/<section data-series="/g)).toHaveLength(app.catalogue.series.length);
    const section = html.slice(html.indexOf(`<section data-series="${SERIES}">`));
    const ours = section.slice(0, section.indexOf('</section>'));
    const states = [...ours.matchAll(/<li data-state="(\w+)" data-image="([^"]+)"/g)].map((m) => [
      m[1],
      m[2],
    ]);
    expect(states).toEqual([
      ['reaped', 'gone-image-id'],
      ['community', ids.v1],
      ['community', ids.v2],
      ['latest', ids.v3],
    ]);
    expect(ours).toContain('Debian 12 &#60;old&#62;');
    expect(ours).not.toContain('<old>');
    expect(ours).toMatch(/reap after \d{4}-\d{2}-\d{2}/);
    expect(ours).toContain('kept: retention floor');
    // the last usage check, like the last feed check
    expect(ours).toContain(
      'usage checked 2026-12-05 06:00 UTC: 2 community, 0 in use, 1 newly unused, 1 handed to the reaper, 1 kept',
    );
    const other = html.slice(html.indexOf('<section data-series="ubuntu-24.04">'));
    expect(other.slice(0, other.indexOf('</section>'))).toContain('usage never checked');
  });
});
