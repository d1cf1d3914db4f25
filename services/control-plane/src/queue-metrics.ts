// Queue depth as Prometheus gauges, read from Redis when /metrics is scraped - by the
// replica holding the metrics lease only (metrics-lease.ts): one copy for the whole system.
import type { QueueRuntime } from '@imagecycle/queues';
import { Gauge, type Registry } from 'prom-client';
import type { MetricsLease } from './metrics-lease.ts';

const STATES = ['waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized'] as const;

export function registerQueueMetrics(
  registry: Registry,
  runtime: QueueRuntime,
  lease: MetricsLease,
): void {
  new Gauge({
    name: 'imagecycle_queue_jobs',
    help: 'Jobs in each queue by state (read from Redis at scrape time)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (!(await lease.held())) return;
      for (const definition of runtime.definitions) {
        const counts = await runtime.queue(definition).getJobCounts(...STATES);
        for (const state of STATES) this.set({ queue: definition.name, state }, counts[state] ?? 0);
      }
    },
  });
}
