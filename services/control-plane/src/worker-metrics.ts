// A worker process's own small HTTP face, when IMAGECYCLE_METRICS_PORT is set (Kubernetes):
// /healthz for the liveness probe and /metrics with this process's counters - job durations
// and failures, bytes moved, rejections - for Prometheus to scrape from every pod. No
// credentials: nothing here is secret, and the NetworkPolicy decides who may connect.
import type { App } from '@imagecycle/app';
import Fastify, { type FastifyInstance } from 'fastify';

export async function serveWorkerMetrics(app: App, port: number): Promise<FastifyInstance> {
  const server = Fastify({ logger: false });
  server.get('/healthz', () => ({ status: 'ok' }));
  server.get('/metrics', async (_request, reply) => {
    const { registry } = app.metrics;
    return reply.type(registry.contentType).send(await registry.metrics());
  });
  const address = await server.listen({ host: app.settings.IMAGECYCLE_HTTP_HOST, port });
  app.logger.info({ address }, 'worker metrics listening');
  return server;
}
