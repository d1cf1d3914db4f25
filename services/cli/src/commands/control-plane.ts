// The control plane in this process: Bull Board, the API, /healthz, /readyz, /metrics.
import type { App } from '@imagecycle/app';
import { buildControlPlane } from '@imagecycle/control-plane';
import type { FastifyInstance } from 'fastify';

export async function startControlPlane(app: App): Promise<FastifyInstance> {
  const { settings } = app;
  const server = await buildControlPlane({
    runtime: app.runtime,
    events: app.events,
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
