// The API plugin and its generated OpenAPI description, without Redis or OpenStack: fake views
// and events behind the same pieces server.ts puts together (the document generator first,
// then the API inside a scope that requires credentials). The document must name every route
// with the parameters its zod schema declares, and every answer must match the document.
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UnknownSeriesError, UnknownTargetError } from '@imagecycle/series-catalogue';
import type { LifecycleEvent } from '@imagecycle/events';
import type { Plan, SeriesState } from '@imagecycle/overview';
import { api, type ControlPlaneViews } from '../src/api.ts';
import { requireAuth } from '../src/auth.ts';
import { registerOpenApi } from '../src/openapi.ts';

const credentials = { token: 'a-bearer-token-of-32-characters!' };
const auth = { authorization: `Bearer ${credentials.token}` };
const image = {
  id: 'img-latest',
  name: 'Debian 12 Bookworm - Latest',
  version: '20261101-1',
  state: 'latest',
  status: 'active',
  visibility: 'public',
  hidden: false,
  protected: false,
  createdAt: '2026-11-01T06:00:00Z',
  size: 4096,
};
// every optional field present, so an answer that drops one shows
const state: SeriesState = {
  id: 'debian-12',
  target: 'region-one',
  title: 'Debian 12',
  retired: false,
  enabled: true,
  replaceFrequency: 'weekly',
  upstream: { version: '20261101-1', buildDate: '2026-11-01', ageDays: 3, overdue: false },
  lastCheck: {
    series: 'debian-12',
    at: '2026-11-04T04:00:00.000Z',
    outcome: 'nothing-new',
    version: '20261101-1',
    buildDate: '2026-11-01',
    message: 'seen before',
  },
  lastSmokeTest: {
    series: 'debian-12',
    at: '2026-11-29T04:02:31.000Z',
    result: 'passed',
    durationSeconds: 12.4,
    version: '20261129-1950',
    imageId: 'img-new',
  },
  lastUsageCheck: {
    series: 'debian-12',
    at: '2026-11-04T06:00:00.000Z',
    outcome: 'checked',
    communityImages: 2,
    inUse: 1,
    newlyUnused: 0,
    handedToReaper: 0,
    kept: 1,
    message: 'usage scan incomplete: a cell is down',
  },
  latest: image,
  community: [
    {
      ...image,
      id: 'img-old',
      name: 'Debian 12 Bookworm - 2026-10-01',
      version: '20261001-1',
      state: 'community',
      visibility: 'community',
      createdAt: '2026-10-01T06:00:00Z',
      lastUsedAt: '2026-10-20T00:00:00.000Z',
      unusedSince: '2026-10-21T00:00:00.000Z',
      keptBecause: 'in use by a server',
      outlook: 'reap-after',
      because: 'in use by a server',
      reapAfter: '2026-11-20T00:00:00.000Z',
    },
    {
      ...image,
      id: 'img-held',
      state: 'community',
      createdAt: '2026-09-01T06:00:00Z',
      outlook: 'held',
      because: 'protected',
    },
  ],
  inFlight: [{ ...image, id: 'img-new', state: 'candidate', status: 'saving' }],
  reaped: [
    { imageId: 'gone', at: '2026-09-01T00:00:00.000Z', version: '1', name: 'Debian 12 - old' },
  ],
};
const plan: Plan = {
  target: 'region-one',
  at: '2026-11-04T08:00:00.000Z',
  downloads: [
    {
      series: 'debian-12',
      version: '20261108-1',
      buildDate: '2026-11-08',
      inFlight: false,
      replaces: { imageId: 'img-latest', name: image.name, version: image.version },
    },
  ],
  rejected: [{ series: 'debian-12', version: '20261109-1', message: 'bad signature' }],
  unchecked: [{ series: 'ubuntu-24.04', message: 'timed out' }],
  renames: [
    {
      series: 'debian-12',
      imageId: 'img-old',
      name: 'Debian 12 <old>',
      ops: [
        { op: 'replace', path: '/name', value: 'Debian 12 Bookworm - 2026-10-01' },
        { op: 'remove', path: '/os_hidden' },
      ],
    },
  ],
  usage: [
    {
      series: 'debian-12',
      imageId: 'img-old',
      name: 'Debian 12 Bookworm - 2026-10-01',
      ops: [{ op: 'add', path: '/imagecycle_unused_since', value: '2026-11-04' }],
    },
  ],
  reaps: [{ series: 'debian-12', imageId: 'img-old', name: 'x', version: '20261001-1' }],
  repairs: [
    {
      series: 'debian-12',
      imageId: 'img-dead',
      name: 'Debian 12 - 20261001-1 (candidate)',
      action: 'remove-dead-candidate',
      because: 'a candidate (queued) for 30.0 h: its upload is long over',
    },
  ],
  scanned: { servers: 3, volumes: 2, incomplete: [] },
};
// the second target: its own Latest, nothing else yet
const stateTwo: SeriesState = {
  ...state,
  target: 'region-two',
  latest: { ...image, id: 'img-latest-two' },
  community: [],
  inFlight: [],
  reaped: [],
};
const planTwo: Plan = {
  ...plan,
  target: 'region-two',
  downloads: [
    {
      ...plan.downloads[0]!,
      replaces: { ...plan.downloads[0]!.replaces!, imageId: 'img-latest-two' },
    },
  ],
  renames: [],
  usage: [],
  reaps: [],
  repairs: [],
  scanned: { servers: 1, volumes: 0, incomplete: ['RegionTwo: compute: a cell is down'] },
};
const recent: LifecycleEvent[] = [
  { type: 'reaped', series: 'debian-12', imageId: 'gone', detail: 'unused', at: plan.at },
];

const asked: { view: string; only: readonly string[]; target?: string }[] = [];
/** The targets the fake catalogue names; a job trigger answers one job per target. */
const targets = ['region-one', 'region-two'];
/** The targets named (all when none), as the composition's selectTargets answers. */
const targetsOf = (target: string | undefined) => {
  if (target !== undefined && !targets.includes(target))
    throw new UnknownTargetError(
      `target "${target}" is not in the catalogue; its targets: ${targets.join(', ')}`,
    );
  return target === undefined ? targets : [target];
};
const jobsFor = (first: number, target: string | undefined) => {
  return targetsOf(target).map((name, i) => ({
    target: name,
    job: String(first + i),
  }));
};
const known = (only: readonly string[]) => {
  const unknown = only.filter((id) => id !== state.id);
  if (unknown.length > 0) throw new UnknownSeriesError(`not in the catalogue: ${unknown.join()}`);
};
const views: ControlPlaneViews = {
  series: (only, target) => {
    asked.push({ view: 'series', only, ...(target ? { target } : {}) });
    known(only);
    return Promise.resolve([state, stateTwo].filter((s) => targetsOf(target).includes(s.target)));
  },
  plan: (only, target) => {
    asked.push({ view: 'plan', only, ...(target ? { target } : {}) });
    known(only);
    return Promise.resolve([plan, planTwo].filter((p) => targetsOf(target).includes(p.target)));
  },
  trigger: (only) => {
    asked.push({ view: 'trigger', only });
    known(only);
    return Promise.resolve(only.length > 0 ? [...only] : [state.id]);
  },
  usageCheck: (only, target) => {
    asked.push({ view: 'usageCheck', only, ...(target ? { target } : {}) });
    known(only);
    const jobs = jobsFor(41, target);
    return Promise.resolve({
      job: jobs[0]?.job ?? '',
      jobs,
      series: only.length > 0 ? [...only] : [state.id],
    });
  },
  janitorRun: (only, target) => {
    asked.push({ view: 'janitorRun', only, ...(target ? { target } : {}) });
    known(only);
    const jobs = jobsFor(51, target);
    return Promise.resolve({
      job: jobs[0]?.job ?? '',
      jobs,
      series: only.length > 0 ? [...only] : [state.id],
    });
  },
};
const eventsAsked: [number | undefined, string | undefined][] = [];
const events = {
  recent: (count?: number, series?: string) => {
    eventsAsked.push([count, series]);
    return Promise.resolve(recent);
  },
};

interface Operation {
  parameters?: { name: string; in: string; required: boolean }[];
  requestBody?: { required: boolean };
  responses: Record<string, { content: { 'application/json': { schema: object } } }>;
  security?: object[];
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object>; securitySchemes: Record<string, object> };
}

let server: FastifyInstance;
let document: Document;
const routes: RouteOptions[] = [];
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);

beforeAll(async () => {
  server = Fastify({ logger: false });
  server.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/') && route.method !== 'HEAD') routes.push(route);
  });
  await registerOpenApi(server);
  await server.register(async (scope) => {
    scope.addHook('onRequest', requireAuth(credentials));
    await scope.register(api, { views, events });
  });
  await server.ready();
  const served = await server.inject({ url: '/openapi.json' });
  expect(served.statusCode).toBe(200);
  document = served.json<Document>();
  ajv.addSchema(document, 'openapi');
});

afterAll(() => server.close());

const openapiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');
const names = (schema: unknown) =>
  schema instanceof z.ZodObject ? Object.keys(schema.shape).sort() : [];

/** The documented path an URL falls under ("/api/series/{id}" for "/api/series/debian-12"). */
const documentedPath = (url: string) =>
  Object.keys(document.paths).find((path) =>
    new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}$`).test(url.split('?')[0] ?? ''),
  ) ?? url;

/** Checks a body against what the document says of this answer. */
function describedBy(method: string, path: string, status: number, body: unknown) {
  const check = ajv.compile({
    $ref: `openapi#/paths/${path.replaceAll('/', '~1')}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema`,
  });
  if (!check(body)) throw new Error(`${method} ${path} ${status}: ${ajv.errorsText(check.errors)}`);
}

/** The answer's status and body, after checking the body against the document. */
async function answer(method: 'GET' | 'POST', url: string, options: object = {}) {
  const reply = await server.inject({ method, url, headers: auth, ...options });
  const body = reply.json<unknown>();
  describedBy(method, documentedPath(url), reply.statusCode, body);
  return { status: reply.statusCode, body };
}

describe('the OpenAPI description', () => {
  it('is OpenAPI 3.1 with basic and bearer auth on every API operation', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(document.components.securitySchemes).toEqual({
      basic: { type: 'http', scheme: 'basic' },
      bearer: { type: 'http', scheme: 'bearer' },
    });
    for (const methods of Object.values(document.paths))
      for (const operation of Object.values(methods))
        expect(operation.security).toEqual([{ basic: [] }, { bearer: [] }]);
  });

  it('names every API route with the parameters, body and answers its schema declares', () => {
    expect(routes.map((r) => `${String(r.method)} ${r.url}`).sort()).toEqual([
      'GET /api/events',
      'GET /api/images',
      'GET /api/plan',
      'GET /api/series',
      'GET /api/series/:id',
      'POST /api/checks',
      'POST /api/janitor-runs',
      'POST /api/usage-checks',
    ]);
    // nothing else: not /healthz, /openapi.json or Bull Board
    expect(Object.keys(document.paths).sort()).toEqual(
      [...new Set(routes.map((r) => openapiPath(r.url)))].sort(),
    );
    for (const route of routes) {
      const where = `${String(route.method)} ${route.url}`;
      const operation =
        document.paths[openapiPath(route.url)]?.[String(route.method).toLowerCase()];
      expect(operation, where).toBeDefined();
      const parameters = (place: string) =>
        (operation?.parameters ?? [])
          .filter((p) => p.in === place)
          .map((p) => p.name)
          .sort();
      expect(parameters('query'), where).toEqual(names(route.schema?.querystring));
      expect(parameters('path'), where).toEqual(names(route.schema?.params));
      expect(operation?.requestBody !== undefined, where).toBe(route.schema?.body !== undefined);
      expect(Object.keys(operation?.responses ?? {}).sort(), where).toEqual(
        Object.keys(route.schema?.response ?? {}).sort(),
      );
    }
    const events = document.paths['/api/events']?.get?.parameters;
    expect(events).toEqual([
      expect.objectContaining({ name: 'series', in: 'query', required: false }),
      expect.objectContaining({
        name: 'limit',
        in: 'query',
        required: false,
        schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
      }),
    ]);
    // the body of a check may be left out: all series are checked then
    for (const path of ['/api/checks', '/api/usage-checks', '/api/janitor-runs'])
      expect(document.paths[path]?.post?.requestBody?.required, path).toBe(false);
  });

  it('holds the read models as components, and only those the API refers to', () => {
    expect(Object.keys(document.components.schemas).sort()).toEqual([
      'CheckRecord',
      'CommunityImage',
      'Error',
      'Event',
      'Image',
      'JobEnqueued',
      'Plan',
      'Plans',
      'SeriesState',
      'SmokeTestRecord',
      'UsageCheckRecord',
    ]);
  });
});

describe('the API', () => {
  it('answers with the read models, whole, as the document describes them', async () => {
    expect((await answer('GET', '/api/series')).body).toEqual({ series: [state, stateTwo] });
    expect((await answer('GET', '/api/series/debian-12')).body).toEqual(state);
    const images = await answer('GET', '/api/images?state=community');
    // newest upload first
    expect(images.body).toEqual({
      images: state.community.map((c) => ({ series: state.id, target: 'region-one', ...c })),
    });
    expect(state.community.map((c) => c.id)).toEqual(['img-old', 'img-held']);
    // several targets planned: a Plan per target
    expect((await answer('GET', '/api/plan?series=debian-12')).body).toEqual({
      plans: [plan, planTwo],
    });
    expect((await answer('GET', '/api/events?series=debian-12&limit=7')).body).toEqual({
      events: recent,
    });
    expect(eventsAsked.at(-1)).toEqual([7, 'debian-12']);
    expect(await answer('POST', '/api/checks', { payload: { series: ['debian-12'] } })).toEqual({
      status: 202,
      body: { enqueued: ['debian-12'] },
    });
    // no body at all: every series
    expect(await answer('POST', '/api/checks')).toEqual({
      status: 202,
      body: { enqueued: ['debian-12'] },
    });
    expect(asked.at(-1)).toEqual({ view: 'trigger', only: [] });
  });

  it("answers each target's state, images and plan, or the named target's; an unknown target is a 404 naming the known ones", async () => {
    expect((await answer('GET', '/api/series?target=region-two')).body).toEqual({
      series: [stateTwo],
    });
    expect(asked.at(-1)).toEqual({ view: 'series', only: [], target: 'region-two' });
    expect((await answer('GET', '/api/series/debian-12?target=region-two')).body).toEqual(stateTwo);
    expect((await answer('GET', '/api/images?state=latest')).body).toEqual({
      images: [
        { series: 'debian-12', target: 'region-one', ...state.latest },
        { series: 'debian-12', target: 'region-two', ...stateTwo.latest },
      ],
    });
    expect((await answer('GET', '/api/images?target=region-two')).body).toEqual({
      images: [{ series: 'debian-12', target: 'region-two', ...stateTwo.latest }],
    });
    // one target named: its Plan, as a deployment of one target answers
    expect((await answer('GET', '/api/plan?target=region-two')).body).toEqual(planTwo);
    expect(asked.at(-1)).toEqual({ view: 'plan', only: [], target: 'region-two' });
    for (const url of [
      '/api/series?target=region-nine',
      '/api/series/debian-12?target=region-nine',
      '/api/images?target=region-nine',
      '/api/plan?target=region-nine',
    ]) {
      const unknown = await answer('GET', url);
      expect([unknown.status, (unknown.body as { error: string }).error], url).toEqual([
        404,
        'unknown-target',
      ]);
      expect((unknown.body as { message: string }).message).toContain('region-one, region-two');
    }
  });

  it('starts a usage check or a janitor pass of the named series, or of all, in every target or the named one, and answers with its jobs', async () => {
    for (const [path, view, first] of [
      ['/api/usage-checks', 'usageCheck', 41],
      ['/api/janitor-runs', 'janitorRun', 51],
    ] as const) {
      const everyTarget = {
        job: String(first),
        jobs: [
          { target: 'region-one', job: String(first) },
          { target: 'region-two', job: String(first + 1) },
        ],
        series: ['debian-12'],
      };
      expect(await answer('POST', path, { payload: { series: ['debian-12'] } })).toEqual({
        status: 202,
        body: everyTarget,
      });
      expect(asked.at(-1)).toEqual({ view, only: ['debian-12'] });
      // no body at all: every series
      expect(await answer('POST', path)).toEqual({ status: 202, body: everyTarget });
      expect(asked.at(-1)).toEqual({ view, only: [] });
      // one target named: that target's job only
      expect(await answer('POST', path, { payload: { target: 'region-two' } })).toEqual({
        status: 202,
        body: {
          job: String(first),
          jobs: [{ target: 'region-two', job: String(first) }],
          series: ['debian-12'],
        },
      });
      expect(asked.at(-1)).toEqual({ view, only: [], target: 'region-two' });
      // a target the catalogue does not name: 404, naming it and the ones it names
      const unknown = await answer('POST', path, { payload: { target: 'region-nine' } });
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ error: 'unknown-target' });
      expect((unknown.body as { message: string }).message).toContain('region-nine');
      expect((unknown.body as { message: string }).message).toContain('region-one, region-two');
    }
  });

  it('refuses what the schema refuses with a 400 naming the parameter, before any view is asked', async () => {
    const before = asked.length + eventsAsked.length;
    for (const [method, url, payload, named] of [
      ['GET', '/api/events?limit=0', undefined, /^query\.limit: /],
      ['GET', '/api/events?limit=many', undefined, /^query\.limit: /],
      ['GET', '/api/images?state=shiny', undefined, /^query\.state: /],
      ['GET', '/api/plan?series=a&series=b', undefined, /^query\.series: /],
      ['POST', '/api/checks', { series: 'debian-12' }, /^body\.series: /],
      ['POST', '/api/checks', { series: [''] }, /^body\.series\.0: /],
      ['POST', '/api/checks', { series: [], extra: 1 }, /^body: .*extra/],
      ['POST', '/api/usage-checks', { series: 'debian-12' }, /^body\.series: /],
      ['POST', '/api/usage-checks', { series: [], extra: 1 }, /^body: .*extra/],
      ['POST', '/api/janitor-runs', { series: [''] }, /^body\.series\.0: /],
      ['POST', '/api/janitor-runs', { series: [], extra: 1 }, /^body: .*extra/],
    ] as const) {
      const reply = await answer(method, url, payload ? { payload } : {});
      // the body is an Error (answer() checked it against the document)
      const { error, message } = reply.body as { error: string; message: string };
      expect([reply.status, error], url).toEqual([400, 'bad-request']);
      expect(message).toMatch(named);
    }
    expect(asked.length + eventsAsked.length).toBe(before);
  });

  it('an unknown series is a 404 naming it; no credentials a 401', async () => {
    for (const [method, url, payload] of [
      ['GET', '/api/series/no-such-os', undefined],
      ['GET', '/api/series?series=debian-12,no-such-os', undefined],
      ['GET', '/api/images?series=no-such-os', undefined],
      ['GET', '/api/plan?series=no-such-os', undefined],
      ['POST', '/api/checks', { series: ['no-such-os'] }],
      ['POST', '/api/usage-checks', { series: ['debian-12', 'no-such-os'] }],
      ['POST', '/api/janitor-runs', { series: ['no-such-os'] }],
    ] as const) {
      const reply = await answer(method, url, payload ? { payload } : {});
      const { error, message } = reply.body as { error: string; message: string };
      expect([reply.status, error], url).toEqual([404, 'unknown-series']);
      expect(message).toContain('no-such-os');
    }
    for (const route of routes) {
      const url = route.url.replace(':id', 'debian-12');
      const method = String(route.method);
      const reply = await server.inject({ method: method as 'GET', url });
      expect(reply.statusCode, url).toBe(401);
      describedBy(method, openapiPath(route.url), 401, reply.json());
    }
  });
});
