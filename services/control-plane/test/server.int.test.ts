// The control plane against a real Redis and the real Keystone: open probes and metrics,
// Bull Board and the API behind basic auth or a bearer token, and the start-up refusal.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allQueues, feedCheckQueue } from '@imagecycle/contracts';
import { Events } from '@imagecycle/events';
import { createLogger, createMetrics } from '@imagecycle/observability';
import { connect } from '@imagecycle/test/support/clouds';
import type { FastifyInstance } from 'fastify';
import { buildControlPlane, type ControlPlaneOptions } from '../src/index.ts';
import { testRuntime } from '@imagecycle/test/support/queue-runtime';

const redis = new Redis(process.env.REDIS_URL ?? '');
const { prefix, runtime } = testRuntime('cp');
const quiet = createLogger({ name: 'cp', level: 'silent' });
const events = new Events({ redis, logger: quiet, stream: `${prefix}:events` });
const cloud = connect('service');
const credentials = {
  user: 'operator',
  password: 'correct horse',
  token: 'a-bearer-token-of-32-characters!',
};
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

function options(overrides: Partial<ControlPlaneOptions> = {}): ControlPlaneOptions {
  return {
    runtime,
    events,
    // The API's own data is tested in api.int.test.ts against a real App; here: no series.
    views: {
      series: () => Promise.resolve([]),
      plan: () => Promise.reject(new Error('not here')),
      trigger: () => Promise.resolve([]),
      usageCheck: () => Promise.reject(new Error('not here')),
      janitorRun: () => Promise.reject(new Error('not here')),
    },
    registry: createMetrics({ defaultMetrics: false }).registry,
    probes: [
      { name: 'redis', check: () => redis.ping() },
      { name: 'keystone', check: () => cloud.session.token() },
    ],
    credentials,
    host: '0.0.0.0',
    actions: false,
    development: false,
    ...overrides,
  };
}

let server: FastifyInstance;

beforeAll(async () => {
  server = await buildControlPlane(options());
  await runtime.enqueue(feedCheckQueue, { series: 'debian-12', trigger: 'manual' });
  await events.record({ type: 'discovered', series: 'debian-12', version: '20261120-1798' });
});

afterAll(async () => {
  await server.close();
  for (const queue of allQueues) await runtime.queue(queue).obliterate({ force: true });
  await runtime.close();
  await redis.del(`${prefix}:events`);
  redis.disconnect();
});

describe('control plane', () => {
  it('answers /healthz, /readyz (Redis and Keystone) and /metrics without credentials', async () => {
    expect((await server.inject('/healthz')).json()).toEqual({ status: 'ok' });
    const ready = await server.inject('/readyz');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { redis: 'ok', keystone: 'ok' } });
    const metrics = await server.inject('/metrics');
    expect(metrics.statusCode).toBe(200);
    expect(metrics.body).toContain('imagecycle_queue_jobs{queue="feed-check",state="waiting"} 1');
    expect(metrics.body).toContain('imagecycle_queue_jobs{queue="download",state="active"} 0');
  });

  it('says which dependency is down: /readyz is 503 naming it', async () => {
    // a Redis that is not there: nothing listens on port 1
    const down = new Redis({ port: 1, lazyConnect: true, retryStrategy: () => null });
    down.on('error', () => undefined);
    const broken = await buildControlPlane(
      options({
        probes: [
          { name: 'redis', check: () => down.connect() },
          { name: 'keystone', check: () => cloud.session.token() },
        ],
      }),
    );
    const ready = await broken.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    const { status, checks } = ready.json<{ status: string; checks: Record<string, string> }>();
    expect(status).toBe('not ready');
    expect(checks.keystone).toBe('ok');
    expect(checks.redis).not.toBe('ok');
    expect(checks.redis).toMatch(/closed|ECONNREFUSED/);
    await broken.close();
    down.disconnect();
  });

  it('keeps Bull Board and the API behind basic auth or a bearer token', async () => {
    for (const headers of [
      {},
      { authorization: basic('operator', 'wrong password') },
      { authorization: 'Bearer nope' },
    ]) {
      const denied = await server.inject({ url: '/queues/api/queues', headers });
      expect(denied.statusCode).toBe(401);
      expect(denied.headers['www-authenticate']).toContain('Basic');
      expect((await server.inject({ url: '/api/events', headers })).statusCode).toBe(401);
    }
    const page = await server.inject({
      url: '/queues/',
      headers: { authorization: basic('operator', 'correct horse') },
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html');
    const listed = await server.inject({
      url: '/queues/api/queues',
      headers: { authorization: `Bearer ${credentials.token}` },
    });
    expect(listed.statusCode).toBe(200);
    const { queues } = listed.json<{
      queues: { name: string; readOnlyMode: boolean; counts: Record<string, number> }[];
    }>();
    expect(queues.map((q) => q.name).sort()).toEqual(allQueues.map((q) => q.name).sort());
    expect(queues.every((q) => q.readOnlyMode)).toBe(true);
    expect(queues.find((q) => q.name === 'feed-check')?.counts.waiting).toBe(1);
    const recent = await server.inject({
      url: '/api/events?series=debian-12',
      headers: { authorization: basic('operator', 'correct horse') },
    });
    expect(recent.json<{ events: unknown[] }>().events).toMatchObject([
      { type: 'discovered', series: 'debian-12', version: '20261120-1798' },
    ]);
  });

  it('refuses to start without credentials unless on loopback in development mode', async () => {
    const none = { user: undefined, password: undefined, token: undefined };
    await expect(buildControlPlane(options({ credentials: none }))).rejects.toThrow(
      /needs credentials .*IMAGECYCLE_BOARD_USER.*to listen on 0\.0\.0\.0/,
    );
    await expect(
      buildControlPlane(options({ credentials: none, host: '127.0.0.1' })),
    ).rejects.toThrow(/IMAGECYCLE_DEV=1/);
    const dev = await buildControlPlane(
      options({ credentials: none, host: '127.0.0.1', development: true }),
    );
    expect((await dev.inject('/queues/api/queues')).statusCode).toBe(200);
    await dev.close();
  });
});
