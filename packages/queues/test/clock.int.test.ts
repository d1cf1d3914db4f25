// The clock against a real Redis, every test with its own key prefix: with every worker of
// a queue stopped (scaled to zero), due retries and schedules reach `wait` and a job whose
// worker died comes back - moved by the clock alone, which runs no handler - and a worker
// started afterwards runs them.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineQueue, type HandlerMap, QueueRuntime, type WorkerTuning } from '../src/index.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const connection = { url, maxRetriesPerRequest: null };

const flaky = defineQueue({
  name: 'flaky',
  description: 'fails its first attempt, retried after a fixed backoff',
  payload: z.object({ n: z.number() }),
  defaultJobOptions: { attempts: 3, backoff: { type: 'fixed', delay: 1500 } },
  concurrency: 1,
});
const daily = defineQueue({
  name: 'daily',
  description: 'runs on a schedule',
  payload: z.object({ trigger: z.literal('schedule') }),
  defaultJobOptions: {},
  concurrency: 1,
});
const held = defineQueue({
  name: 'held',
  description: 'a job a dying worker holds',
  payload: z.object({ n: z.number() }),
  defaultJobOptions: { attempts: 1 },
  concurrency: 1,
});

type Handlers = HandlerMap<[typeof flaky, typeof daily, typeof held]>;
const idle: Handlers = {
  flaky: () => Promise.resolve(),
  daily: () => Promise.resolve(),
  held: () => Promise.resolve(),
};

const runtimes: QueueRuntime[] = [];
const children: ChildProcess[] = [];
function runtime(prefix: string, worker?: WorkerTuning): QueueRuntime {
  const r = new QueueRuntime({ connection, prefix, queues: [flaky, daily, held], worker });
  runtimes.push(r);
  return r;
}
afterEach(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  const all = runtimes.splice(0);
  for (const r of all.slice(0, 1))
    for (const d of r.definitions) await r.queue(d).obliterate({ force: true });
  for (const r of all) await r.close();
});

async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${String(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the clock', () => {
  it('moves a due retry and a due schedule to wait with every worker stopped; a worker started later runs them', async () => {
    const prefix = `test-${randomBytes(4).toString('hex')}`;
    const producer = runtime(prefix);
    const ran: string[] = [];

    // a worker fails the job's first attempt, then stops: the retry waits in `delayed`
    const first = runtime(prefix);
    const failing: Handlers = {
      ...idle,
      flaky: () => {
        ran.push('flaky attempt');
        return Promise.reject(new Error('upstream answered 503'));
      },
    };
    first.startWorkers(failing, [flaky]);
    const job = await producer.enqueue(flaky, { n: 1 });
    await until(
      'the first attempt to fail',
      () => producer.queue(flaky).getJobState(job.id ?? ''),
      (s) => s === 'delayed',
    );
    await first.close();
    expect(ran).toEqual(['flaky attempt']);
    // a schedule whose next occurrence is due within two seconds, nobody consuming its queue
    await producer.syncSchedules(daily, 'daily--', [
      {
        id: 'daily--every-2s',
        cron: '*/2 * * * * *',
        timezone: 'UTC',
        payload: { trigger: 'schedule' },
      },
    ]);
    expect(await producer.queue(daily).getDelayedCount()).toBe(1);

    // both fall due while no worker runs: BullMQ alone leaves them delayed
    await sleep(2500);
    expect(await producer.queue(flaky).getJobState(job.id ?? '')).toBe('delayed');
    expect(await producer.queue(daily).getWaitingCount()).toBe(0);

    // the clock (no handlers, no workers) moves both to wait
    const clock = runtime(prefix);
    clock.startClock({ intervalMs: 200 });
    await until(
      'the retry in wait',
      () => producer.queue(flaky).getJobState(job.id ?? ''),
      (s) => s === 'waiting',
    );
    const [scheduled] = await until(
      'the scheduled job in wait',
      () => producer.queue(daily).getWaiting(),
      (jobs) => jobs.length === 1,
    );
    expect(scheduled?.repeatJobKey).toBe('daily--every-2s');
    expect(ran).toEqual(['flaky attempt']);
    // what the autoscaler counts: the wait lists' lengths
    const client = await producer.queue(flaky).client;
    expect(await client.llen(`${prefix}:flaky:wait`)).toBe(1);
    expect(await client.llen(`${prefix}:daily:wait`)).toBe(1);

    // a worker started now runs both
    const second = runtime(prefix);
    const recording: Handlers = {
      ...idle,
      flaky: (_payload, context) => {
        ran.push(`flaky attempt ${context.attempt}`);
        return Promise.resolve();
      },
      daily: (payload) => {
        ran.push(`daily ${payload.trigger}`);
        return Promise.resolve();
      },
    };
    second.startWorkers(recording, [flaky, daily]);
    await until(
      'the retry to complete',
      () => producer.queue(flaky).getJobState(job.id ?? ''),
      (s) => s === 'completed',
    );
    await until(
      'the scheduled job to run',
      () => Promise.resolve(ran.includes('daily schedule')),
      Boolean,
    );
    expect(ran.slice(0, 2)).toEqual(['flaky attempt', 'flaky attempt 2']);
  });

  it('moves nothing before it is due', async () => {
    const prefix = `test-${randomBytes(4).toString('hex')}`;
    const producer = runtime(prefix);
    const later = await producer.enqueue(flaky, { n: 2 }, { delay: 60_000 });
    const now = await producer.enqueue(flaky, { n: 3 }, { delay: 1 });
    await sleep(50);
    expect(await producer.promoteDueJobs(flaky)).toBe(1);
    expect(await producer.queue(flaky).getJobState(now.id ?? '')).toBe('waiting');
    expect(await producer.queue(flaky).getJobState(later.id ?? '')).toBe('delayed');
    // the moment it is due, and not a millisecond before
    const due = later.timestamp + 60_000;
    expect(await producer.promoteDueJobs(flaky, due - 1)).toBe(0);
    expect(await producer.promoteDueJobs(flaky, due)).toBe(1);
    expect(await producer.queue(flaky).getJobState(later.id ?? '')).toBe('waiting');
  });

  it('brings back a job whose worker died while no worker runs; a worker started later completes it', async () => {
    const prefix = `test-${randomBytes(4).toString('hex')}`;
    const lock = { lockDurationMs: 1000, stalledIntervalMs: 1000 };
    const producer = runtime(prefix, lock);
    const child = spawn(
      process.execPath,
      // test/support/hold-job.ts (run, not imported: this package is below the test workspace)
      [
        fileURLToPath(new URL('../../../test/support/hold-job.ts', import.meta.url)),
        url,
        prefix,
        held.name,
        '1000',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(child);
    const running = new Promise<string>((resolve) =>
      child.stdout?.on('data', (chunk: Buffer) => {
        const match = /running (\S+)/.exec(chunk.toString());
        if (match?.[1]) resolve(match[1]);
      }),
    );
    const job = await producer.enqueue(held, { n: 4 });
    expect(await running).toBe(job.id);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    // nobody checks for stalled jobs: it stays active long after its lock expired
    await sleep(3000);
    expect(await producer.queue(held).getJobState(job.id ?? '')).toBe('active');

    const clock = runtime(prefix, lock);
    clock.startClock({ intervalMs: 200 });
    await until(
      "the dead worker's job in wait",
      () => producer.queue(held).getJobState(job.id ?? ''),
      (s) => s === 'waiting',
    );
    expect((await producer.queue(held).getJob(job.id ?? ''))?.stalledCounter).toBe(1);

    const worker = runtime(prefix, lock);
    const ran: number[] = [];
    const taking: Handlers = {
      ...idle,
      held: (payload) => {
        ran.push(payload.n);
        return Promise.resolve();
      },
    };
    worker.startWorkers(taking, [held]);
    await until(
      'the job to complete',
      () => producer.queue(held).getJobState(job.id ?? ''),
      (s) => s === 'completed',
    );
    expect(ran).toEqual([4]);
  });
});
