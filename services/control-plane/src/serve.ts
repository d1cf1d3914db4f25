// The control plane of an imagecycle process, from its settings: listening, with the
// process's queues, events, metrics and its Redis and Keystone as readiness probes.
import { type App, planFor, readSeriesStates, selectSeries } from '@imagecycle/app';
import { feedCheckQueue } from '@imagecycle/contracts';
import type { FastifyInstance } from 'fastify';
import { buildControlPlane } from './server.ts';

export async function serveControlPlane(app: App): Promise<FastifyInstance> {
  const { settings } = app;
  const server = await buildControlPlane({
    runtime: app.runtime,
    events: app.events,
    views: {
      series: (only) => readSeriesStates(app, only),
      plan: (only) => planFor(app, only),
      trigger: async (only) => {
        const series = selectSeries(app, only);
        for (const { id } of series)
          await app.runtime.enqueue(feedCheckQueue, { series: id, trigger: 'manual' });
        return series.map((s) => s.id);
      },
    },
    registry: app.metrics.registry,
    probes: [
      { name: 'redis', check: () => app.redis.ping() },
      { name: 'keystone', check: () => app.cloud.session.token() },
    ],
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
