// A worker process's own small HTTP face, when IMAGECYCLE_METRICS_PORT is set (Kubernetes):
// /healthz for the liveness probe, /readyz (Redis and Keystone answer; 503 naming the one
// that does not) for the readiness probe, and /metrics with this process's counters - job
// durations and failures, bytes moved, rejections - for Prometheus to scrape from every pod.
// No credentials: nothing here is secret, and the NetworkPolicy decides who may connect.
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { type Probe, registerReadiness } from './readiness.ts';

export function buildWorkerMetrics(
  registry: Registry,
  probes: readonly Probe[] = [],
): FastifyInstance {
  const server = Fastify({ logger: false });
  server.get('/healthz', () => ({ status: 'ok' }));
  registerReadiness(server, probes);
  server.get('/metrics', async (_request, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
  return server;
}
