// The HTTP faces of an imagecycle process, fed from its App: the control plane (with the
// process's queues, events, read models and metrics, and its Redis and Keystone as readiness
// probes), and a worker's own /healthz and /metrics.
import { buildControlPlane, buildWorkerMetrics, type Probe } from '@imagecycle/control-plane';
import type { FastifyInstance } from 'fastify';
import type { App } from './app.ts';
import type { CloudRole } from './clouds.ts';
import { enqueueFeedChecks, enqueueJanitorRun, enqueueUsageCheck } from './triggers.ts';
import { planFor, readSeriesStates } from './views.ts';

/**
 * What /readyz asks: Redis and, when the process uses a cloud account, Keystone (a token for
 * each account it uses; the control plane's is the read-only one), each answering in time.
 */
export function probesOf(app: App, roles: readonly CloudRole[] = ['usage']): Probe[] {
  const probes: Probe[] = [{ name: 'redis', check: () => app.redis.ping() }];
  if (roles.length > 0)
    probes.push({
      name: 'keystone',
      check: () => Promise.all(roles.map((role) => app.clouds.get(role).session.token())),
    });
  return probes;
}

export async function serveControlPlane(app: App): Promise<FastifyInstance> {
  const { settings } = app;
  const server = await buildControlPlane({
    runtime: app.runtime,
    events: app.events,
    views: {
      series: (only, target) => readSeriesStates(app, only, target),
      disagreements: async () =>
        [...(await app.disagreements())].map(([series, d]) => ({ series, overdue: d.overdue })),
      plan: (only, target) => planFor(app, only, target),
      trigger: (only) => enqueueFeedChecks(app, only),
      usageCheck: (only, target) => enqueueUsageCheck(app, only, target),
      janitorRun: (only, target) => enqueueJanitorRun(app, only, target),
    },
    registry: app.metrics.registry,
    probes: probesOf(app),
    credentials: {
      user: settings.IMAGECYCLE_BOARD_USER,
      password: settings.IMAGECYCLE_BOARD_PASSWORD,
      token: settings.IMAGECYCLE_BOARD_TOKEN,
    },
    host: settings.IMAGECYCLE_HTTP_HOST,
    actions: settings.IMAGECYCLE_BOARD_ACTIONS,
    development: settings.IMAGECYCLE_DEV,
  });
  const address = await server.listen({
    host: settings.IMAGECYCLE_HTTP_HOST,
    port: settings.IMAGECYCLE_HTTP_PORT,
  });
  app.logger.info({ address, board: `${address}/queues` }, 'control plane listening');
  return server;
}

/**
 * A worker's /healthz, /readyz and /metrics on IMAGECYCLE_METRICS_PORT; /readyz asks Keystone
 * for the accounts its stages use (`roles`, none for the downloader).
 */
export async function serveWorkerMetrics(
  app: App,
  port: number,
  roles: readonly CloudRole[],
): Promise<FastifyInstance> {
  const server = buildWorkerMetrics(app.metrics.registry, probesOf(app, roles));
  const address = await server.listen({ host: app.settings.IMAGECYCLE_HTTP_HOST, port });
  app.logger.info({ address }, 'worker metrics listening');
  return server;
}
