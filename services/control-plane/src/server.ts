// The control plane, a fastify plugin that is handed everything it shows (queues, events,
// read models, metrics, readiness probes) and imports no application. Two scopes:
//   open           /healthz (the process answers), /readyz (Redis and Keystone reachable),
//                  /metrics (Prometheus) - for probes and scrapers, no credentials
//                  /openapi.json (the API's description)
//   authenticated  /queues (Bull Board; read-only unless actions are enabled), /api/* and
//                  /status (the catalogue at a glance)
// It refuses to start without credentials unless it is bound to loopback in development mode.
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Events } from '@imagecycle/events';
import type { QueueRuntime } from '@imagecycle/queues';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Registry } from 'prom-client';
import { api, type ControlPlaneViews } from './api.ts';
import { type Credentials, hasCredentials, requireAuth } from './auth.ts';
import { registerOpenApi } from './openapi.ts';
import { registerCatalogueMetrics } from './catalogue-metrics.ts';
import {
  type LeaseClient,
  type MetricsLease,
  redisMetricsLease,
  registerLeaderGauge,
  soleReplica,
} from './metrics-lease.ts';
import { registerQueueMetrics } from './queue-metrics.ts';
import { type Probe, registerReadiness } from './readiness.ts';
import { renderStatusPage } from './status-page.ts';

export type { Probe };

export interface ControlPlaneOptions {
  runtime: QueueRuntime;
  events: Events;
  /** The series, plans and triggers behind the API and the status page. */
  views: ControlPlaneViews;
  registry: Registry;
  /** What /readyz checks (Redis, Keystone). */
  probes: readonly Probe[];
  credentials: Credentials;
  host: string;
  /** Lets operators retry, promote and clean jobs in Bull Board. */
  actions: boolean;
  /** Development mode: allowed without credentials on loopback only. */
  development: boolean;
  /** Which replica exports the system-wide gauges; by default a lease in the queues' Redis. */
  metricsLease?: MetricsLease;
}

/** The lease under the queue prefix, renewed by each scrape, held for 90 s (three scrapes at 30 s). */
function leaseOf(runtime: QueueRuntime): MetricsLease {
  const [first] = runtime.definitions;
  if (!first) return soleReplica;
  return redisMetricsLease({
    // BullMQ types its client narrowly; it is ioredis (a Redis or a Cluster), which has eval
    client: async () => (await runtime.queue(first).client) as unknown as LeaseClient,
    key: `${runtime.prefix}:control-plane:metrics-leader`,
    holder: `${hostname()}:${process.pid}:${randomUUID()}`,
    ttlMs: 90_000,
  });
}

export class ControlPlaneConfigError extends Error {
  override name = 'ControlPlaneConfigError';
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Refuses to serve without credentials, except on loopback in development mode. */
function checkCredentials(options: ControlPlaneOptions): boolean {
  const secured = hasCredentials(options.credentials);
  if (!secured && !(options.development && LOOPBACK.has(options.host)))
    throw new ControlPlaneConfigError(
      `the control plane needs credentials (IMAGECYCLE_BOARD_USER + IMAGECYCLE_BOARD_PASSWORD, or IMAGECYCLE_BOARD_TOKEN) to listen on ${options.host}; without them it only starts on 127.0.0.1 with IMAGECYCLE_DEV=1`,
    );
  return secured;
}

/** A fastify server with nothing but the control plane in it. */
export async function buildControlPlane(options: ControlPlaneOptions): Promise<FastifyInstance> {
  checkCredentials(options);
  const server = Fastify({ logger: false });
  await server.register(controlPlane, options);
  return server;
}

export const controlPlane: FastifyPluginAsync<ControlPlaneOptions> = async (server, options) => {
  const secured = checkCredentials(options);
  const lease = options.metricsLease ?? leaseOf(options.runtime);
  registerLeaderGauge(options.registry, lease);
  registerQueueMetrics(options.registry, options.runtime, lease);
  registerCatalogueMetrics(options.registry, () => options.views.series([]), lease, {
    disagreements: () => options.views.disagreements?.() ?? Promise.resolve([]),
  });

  // first: the document generator sees every route registered after it
  await registerOpenApi(server);

  // open scope (and /openapi.json, above)
  server.get('/healthz', () => ({ status: 'ok' }));
  registerReadiness(server, options.probes);
  server.get('/metrics', async (_request, reply) => {
    const text = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(text);
  });

  // authenticated scope: Bull Board and the API
  await server.register(async (scope) => {
    scope.addHook('onRequest', requireAuth(secured ? options.credentials : undefined));
    const board = new FastifyAdapter();
    board.setBasePath('/queues');
    createBullBoard({
      queues: options.runtime.definitions.map(
        (definition) =>
          new BullMQAdapter(options.runtime.queue(definition), {
            readOnlyMode: !options.actions,
            description: definition.description,
          }),
      ),
      serverAdapter: board,
      options: { uiConfig: { boardTitle: 'imagecycle' } },
    });
    await scope.register(board.registerPlugin(), { prefix: '/queues' });
    await scope.register(api, { views: options.views, events: options.events });
    scope.get('/status', async (_request, reply) => {
      const series = await options.views.series([]);
      return reply.type('text/html; charset=utf-8').send(renderStatusPage(series, new Date()));
    });
  });
};
