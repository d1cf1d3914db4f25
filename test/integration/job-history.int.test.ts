// Failed jobs stay: on the stack's Redis (a unique queue prefix per runtime), a job of the
// real queue declarations that failed for good is still on its queue, with its reason, after
// later jobs complete; the number kept is bounded; and a failed job with a deterministic id
// does not block the same work: enqueueing it again retries that job.
import { randomBytes } from 'node:crypto';
import { downloadQueue, JOB_HISTORY, reconcileQueue, type Release } from '@imagecycle/contracts';
import { defineQueue, QueueRuntime, type QueueDefinition } from '@imagecycle/queues';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from '../support/until.ts';

const runtimes: QueueRuntime[] = [];
function runtimeOver(queues: readonly QueueDefinition[]): QueueRuntime {
  const runtime = new QueueRuntime({
    connection: { url: process.env.REDIS_URL ?? '', maxRetriesPerRequest: null },
    prefix: `job-history-${randomBytes(4).toString('hex')}`,
    queues,
    // the declarations' backoff (10 s, 60 s) shortened so that every attempt fails at once
    retryDelayMs: 1,
  });
  runtimes.push(runtime);
  return runtime;
}
afterEach(async () => {
  for (const runtime of runtimes.splice(0)) {
    for (const definition of runtime.definitions)
      await runtime.queue(definition).obliterate({ force: true });
    await runtime.close();
  }
});

const DAY = 24 * 3600;

describe('job history', () => {
  it('keeps a failed job 30 days, bounded in number, and completed jobs a day', () => {
    expect(JOB_HISTORY.failed.age).toBeGreaterThanOrEqual(30 * DAY);
    expect(Number.isInteger(JOB_HISTORY.failed.count)).toBe(true);
    expect(JOB_HISTORY.completed).toEqual({ age: DAY, count: 1000 });
  });

  it('a job of a real queue that failed for good is still there after later jobs complete', async () => {
    const runtime = runtimeOver([reconcileQueue]);
    runtime.startWorkers(
      {
        [reconcileQueue.name]: ({ reason }) => {
          if (reason === 'doomed') throw new Error('Glance answered 500 on every attempt');
          return Promise.resolve({ reason });
        },
      },
      [reconcileQueue],
    );
    const queue = runtime.queue(reconcileQueue);
    const doomed = await runtime.enqueue(reconcileQueue, { series: 'debian-12', reason: 'doomed' });
    await until(async () => (await queue.getJobCounts('failed')).failed === 1, {
      what: 'the doomed job to fail for good',
    });
    for (let i = 0; i < 3; i += 1)
      await runtime.enqueue(reconcileQueue, { series: 'debian-12', reason: `later ${i}` });
    await until(async () => (await queue.getJobCounts('completed')).completed === 3, {
      what: 'three later jobs to complete',
    });

    const kept = await queue.getJob(doomed.id ?? '');
    expect(await kept?.getState()).toBe('failed');
    expect(kept?.failedReason).toBe('Glance answered 500 on every attempt');
    expect(kept?.attemptsMade).toBe(reconcileQueue.defaultJobOptions.attempts);
    expect(kept?.opts.removeOnFail).toEqual(JOB_HISTORY.failed);
  });

  it('keeps at most removeOnFail.count failed jobs, the newest', async () => {
    const bounded = defineQueue({
      name: 'bounded',
      description: 'the failed-job bound, small enough to reach',
      payload: reconcileQueue.payload,
      defaultJobOptions: {
        attempts: 1,
        removeOnComplete: JOB_HISTORY.completed,
        removeOnFail: { ...JOB_HISTORY.failed, count: 2 },
      },
      concurrency: 1,
    });
    const runtime = runtimeOver([bounded]);
    runtime.startWorkers(
      {
        [bounded.name]: ({ reason }: { reason: string }) =>
          Promise.reject(new Error(`failure ${reason}`)),
      },
      [bounded],
    );
    const queue = runtime.queue(bounded);
    for (let n = 1; n <= 5; n += 1) {
      await runtime.enqueue(bounded, { series: 'debian-12', reason: String(n) });
      await until(async () => (await queue.getJobCounts('failed')).failed === Math.min(n, 2), {
        what: `job ${n} to fail`,
      });
    }
    // wait for job 5's failure itself, then see which two are kept
    await until(
      async () => (await queue.getJobs(['failed'])).some((job) => job.failedReason === 'failure 5'),
      {
        what: 'job 5 among the failed',
      },
    );
    const failed = await queue.getJobs(['failed']);
    expect(failed.map((job) => job.failedReason).sort()).toEqual(['failure 4', 'failure 5']);
  });

  it('retries a failed download when the same release is enqueued again, under the same id', async () => {
    const release: Release = {
      series: 'ubuntu-24.04',
      version: '20261120.1',
      buildDate: '2026-11-20',
      url: 'https://cloud-images.ubuntu.com/releases/noble/release-20261120.1/ubuntu-24.04-server-cloudimg-amd64.img',
      diskFormat: 'qcow2',
      compression: 'none',
      checksum: { algorithm: 'sha256', value: 'a'.repeat(64) },
      signature: { status: 'verified', signedBy: 'd2eb44626fddc30b513d5bb71a5d6c4c7db87c81' },
      properties: {},
    };
    let upstreamDown = true;
    const runtime = runtimeOver([downloadQueue]);
    runtime.startWorkers(
      {
        [downloadQueue.name]: () =>
          upstreamDown
            ? Promise.reject(new Error('cloud-images.ubuntu.com: 503'))
            : Promise.resolve({ status: 'downloaded' }),
      },
      [downloadQueue],
    );
    const queue = runtime.queue(downloadQueue);
    const first = await runtime.enqueue(downloadQueue, { release });
    await until(async () => (await queue.getJob(first.id ?? ''))?.isFailed(), {
      what: 'the download to fail for good',
    });
    upstreamDown = false;
    const again = await runtime.enqueue(downloadQueue, { release });
    expect(again.id).toBe(first.id);
    await until(async () => (await queue.getJob(first.id ?? ''))?.isCompleted(), {
      what: 'the retried download to complete',
    });
    const done = await queue.getJob(first.id ?? '');
    // its attempts counted afresh: one, not the declaration's five plus one
    expect(done?.attemptsMade).toBe(1);
    expect(await queue.getJobCounts('failed', 'completed')).toEqual({ failed: 0, completed: 1 });
  });
});
