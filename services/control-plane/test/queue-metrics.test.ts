// Queue depths: read at scrape time by the replica holding the metrics lease, absent on
// the others (so a sum over replicas counts each job once).
import type { QueueRuntime } from '@imagecycle/queues';
import { Registry } from 'prom-client';
import { expect, it } from 'vitest';
import type { MetricsLease } from '../src/metrics-lease.ts';
import { registerQueueMetrics } from '../src/queue-metrics.ts';

it('exports the queue depths on the lease holder only, reading Redis only there', async () => {
  let reads = 0;
  const runtime = {
    definitions: [{ name: 'download' }],
    queue: () => ({
      getJobCounts: () => {
        reads += 1;
        return Promise.resolve({ waiting: 3, active: 1, delayed: 0, failed: 2 });
      },
    }),
  } as unknown as QueueRuntime;
  let leader = true;
  const lease: MetricsLease = { held: () => Promise.resolve(leader) };
  const registry = new Registry();
  registerQueueMetrics(registry, runtime, lease);
  const text = await registry.metrics();
  expect(text).toContain('imagecycle_queue_jobs{queue="download",state="waiting"} 3');
  expect(text).toContain('imagecycle_queue_jobs{queue="download",state="failed"} 2');
  expect(text).toContain('imagecycle_queue_jobs{queue="download",state="prioritized"} 0');
  leader = false;
  const follower = await registry.metrics();
  expect(follower).not.toContain('imagecycle_queue_jobs{');
  expect(reads).toBe(1);
});
