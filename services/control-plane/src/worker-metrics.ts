// A worker process's own small HTTP face, when IMAGECYCLE_METRICS_PORT is set (Kubernetes):
// /healthz for the liveness probe and /metrics with this process's counters - job durations
// and failures, bytes moved, rejections - for Prometheus to scrape from every pod. No
// credentials: nothing here is secret, and the NetworkPolicy decides who may connect.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export function buildWorkerMetrics(registry: Registry): FastifyInstance {
  const server = Fastify({ logger: false });
  server.get('/healthz', () => ({ status: 'ok' }));
  server.get('/metrics', async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  return server;
}
