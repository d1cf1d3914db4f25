// The queue runtime against a real Redis; every test has its own key prefix.
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineQueue,
  type HandlerMap,
  jobIdFrom,
  PayloadError,
  QueueConfigurationError,
  QueueRuntime,
  RunLater,
} from '../src/index.ts';

const connection = {
  url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  maxRetriesPerRequest: null,
};

const check = defineQueue({
  name: 'check',
  description: 'test queue',
  payload: z.object({ series: z.string().min(1), version: z.string() }),
  defaultJobOptions: { attempts: 2, removeOnComplete: 100 },
  concurrency: 1,
  jobId: (p) => jobIdFrom(p.series, p.version),
});
const other = defineQueue({
  name: 'other',
  description: 'second test queue',
  payload: z.object({ n: z.number() }),
  defaultJobOptions: {},
  concurrency: 1,
});

const runtimes: QueueRuntime[] = [];
function runtime(
  prefix = `test-${randomBytes(4).toString('hex')}`,
  options: Partial<ConstructorParameters<typeof QueueRuntime>[0]> = {},
): QueueRuntime {
  const r = new QueueRuntime({
    connection,
    prefix,
    queues: [check, other],
    ...options,
  });
  runtimes.push(r);
  return r;
}
afterEach(async () => {
  for (const r of runtimes.splice(0)) {
    for (const d of r.definitions) await r.queue(d).obliterate({ force: true });
    await r.close();
  }
});

describe('QueueRuntime', () => {
  it('gives the same work one job, however often it is enqueued', async () => {
    const r = runtime();
    const a = await r.enqueue(check, { series: 'ubuntu-24.04', version: '20261128' });
    const b = await r.enqueue(check, { series: 'ubuntu-24.04', version: '20261128' });
    const c = await r.enqueue(check, { series: 'ubuntu-24.04', version: '20261129' });
    expect(a.id).toBe('ubuntu-24.04--20261128');
    expect(b.id).toBe(a.id);
    expect(c.id).not.toBe(a.id);
    expect((await r.queue(check).getJobCounts('waiting')).waiting).toBe(2);
  });

  it('refuses a payload that does not match the schema, naming queue and field', async () => {
    const r = runtime();
    await expect(r.enqueue(check, { series: '', version: 'x' })).rejects.toThrow(PayloadError);
    await expect(r.enqueue(check, { series: '', version: 'x' })).rejects.toThrow(
      /queue "check".*series/,
    );
    expect(await r.queue(check).count()).toBe(0);
  });

  it('fails loudly at start-up when a consumed queue has no handler, or a handler no queue', () => {
    const r = runtime();
    const noop = () => Promise.resolve();
    expect(() => r.startWorkers({ check: noop }, [check, other])).toThrow(
      new QueueConfigurationError('no handler for consumed queue(s): other'),
    );
    expect(() => r.startWorkers({ check: noop, chek: noop }, [check])).toThrow(
      'a handler is registered for undeclared queue(s): chek',
    );
  });

  it('makes a missing or an extra handler a compile error', () => {
    const noop = () => Promise.resolve();
    // @ts-expect-error: "other" has no handler
    const missing: HandlerMap<[typeof check, typeof other]> = { check: noop };
    // @ts-expect-error: "chek" is no queue of the map
    const extra: HandlerMap<[typeof check]> = { check: noop, chek: noop };
    const exact: HandlerMap<[typeof check, typeof other]> = { check: noop, other: noop };
    expect(Object.keys({ ...missing, ...extra, ...exact }).sort()).toEqual([
      'check',
      'chek',
      'other',
    ]);
  });

  it('runs the handler with the parsed payload, reports progress, and returns its result', async () => {
    const r = runtime();
    const seen: unknown[] = [];
    const handlers: HandlerMap<[typeof check]> = {
      check: async (payload, ctx) => {
        seen.push(payload);
        await ctx.progress({ done: 5, total: 10 });
        return { ok: `${payload.series}@${payload.version}`, attempt: ctx.attempt };
      },
    };
    r.startWorkers(handlers, [check]);
    const events = new QueueEvents('check', { connection, prefix: r.prefix });
    await events.waitUntilReady();
    const job = await r.enqueue(check, { series: 'debian-12', version: '20261101-1234' });
    const result: unknown = await job.waitUntilFinished(events, 20_000);
    await events.close();
    expect(result).toEqual({ ok: 'debian-12@20261101-1234', attempt: 1 });
    expect(seen).toEqual([{ series: 'debian-12', version: '20261101-1234' }]);
    expect((await r.queue(check).getJob(job.id ?? ''))?.progress).toEqual({ done: 5, total: 10 });
  });

  it('RunLater: the job waits and runs again with no attempt counted, however often', async () => {
    const r = runtime();
    const attempts: number[] = [];
    const handlers: HandlerMap<[typeof check]> = {
      check: (_payload, ctx) => {
        attempts.push(ctx.attempt);
        // more postponements than the queue has attempts (2): none of them may use one up
        if (attempts.length <= 3) throw new RunLater(200, 'the cloud is down');
        return Promise.resolve({ ran: attempts.length });
      },
    };
    r.startWorkers(handlers, [check]);
    const events = new QueueEvents('check', { connection, prefix: r.prefix });
    await events.waitUntilReady();
    const started = Date.now();
    const job = await r.enqueue(check, { series: 'debian-12', version: '1' });
    const result: unknown = await job.waitUntilFinished(events, 20_000);
    await events.close();
    expect(result).toEqual({ ran: 4 });
    expect(attempts).toEqual([1, 1, 1, 1]);
    // three waits of 200 ms each
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it('syncs repeating jobs idempotently: upserts wanted ones, removes dropped ones, keeps foreign ones', async () => {
    const r = runtime();
    const queue = r.queue(check);
    await queue.upsertJobScheduler('other-thing', { every: 60_000 }, { name: 'x', data: {} });
    const daily = (series: string, cron = '0 4 * * *') => ({
      id: `check--${series}`,
      cron,
      timezone: 'Europe/Berlin',
      payload: { series, version: 'any' },
    });
    await r.syncSchedules(check, 'check--', [daily('a'), daily('b')]);
    await r.syncSchedules(check, 'check--', [daily('a'), daily('b')]);
    await r.syncSchedules(check, 'check--', [daily('a', '30 5 * * *')]);
    const schedulers = await queue.getJobSchedulers(0, -1);
    expect(schedulers.map((s) => [s.key, s.pattern, s.tz]).sort()).toEqual([
      ['check--a', '30 5 * * *', 'Europe/Berlin'],
      ['other-thing', undefined, undefined],
    ]);
    await expect(
      r.syncSchedules(check, 'check--', [{ ...daily('c'), payload: { series: '', version: 'x' } }]),
    ).rejects.toThrow(PayloadError);
  });
});

/** Resolves after `ms`, or rejects with the signal's reason as soon as it is aborted. */
function waitOrAbort(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}

describe('QueueRuntime.close(deadline)', () => {
  it('aborts a job still running at the deadline and puts it back: a new worker completes it, nothing failed', async () => {
    const first = runtime();
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let abortedAfterMs: number | undefined;
    let closeCalledAt = 0;
    first.startWorkers(
      {
        check: async (_payload, ctx) => {
          started();
          try {
            await waitOrAbort(20_000, ctx.signal); // a long settle wait
          } catch (error) {
            abortedAfterMs = Date.now() - closeCalledAt;
            throw error;
          }
          return { finishedBy: 'first' };
        },
      },
      [check],
    );
    const job = await first.enqueue(check, { series: 'cancel', version: '1' });
    await running;
    closeCalledAt = Date.now();
    const result = await first.close(1000);
    const closedAfterMs = Date.now() - closeCalledAt;

    expect(abortedAfterMs, 'the handler saw its signal aborted').toBeDefined();
    expect(abortedAfterMs).toBeGreaterThanOrEqual(950); // not before the deadline
    expect(closedAfterMs).toBeLessThan(4000); // soon after it, not when the wait would end
    expect(result).toEqual({ cancelled: 1, abandoned: 0 });
    // back in the queue as if never taken: no failed attempt counted
    const waiting = await first.queue(check).getJob(job.id ?? '');
    expect(await waiting?.getState()).toBe('waiting');
    expect(waiting?.attemptsMade).toBe(0);
    expect(waiting?.failedReason).toBeFalsy();

    // another worker (a new process, as after a restart) takes it over and completes it
    const second = runtime(first.prefix);
    second.startWorkers(
      { check: (_payload, ctx) => Promise.resolve({ finishedBy: 'second', attempt: ctx.attempt }) },
      [check],
    );
    const events = new QueueEvents('check', { connection, prefix: second.prefix });
    await events.waitUntilReady();
    const done = await second.queue(check).getJob(job.id ?? '');
    const value: unknown = await done?.waitUntilFinished(events, 20_000);
    await events.close();
    expect(value).toEqual({ finishedBy: 'second', attempt: 1 });
    expect(await second.queue(check).getFailedCount()).toBe(0);
    expect((await second.queue(check).getJob(job.id ?? ''))?.attemptsMade).toBe(1);
  });

  it('counts a job whose handler ignores its signal as abandoned, and still returns after the unwind grace', async () => {
    const r = runtime();
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    r.startWorkers(
      {
        check: async () => {
          started();
          await new Promise((resolve) => setTimeout(resolve, 4000)); // deaf to the signal
          return 'late';
        },
      },
      [check],
    );
    await r.enqueue(check, { series: 'deaf', version: '1' });
    await running;
    const at = Date.now();
    const result = await r.close(500, { unwindMs: 500 });
    const took = Date.now() - at;
    expect(result).toEqual({ cancelled: 0, abandoned: 1 });
    expect(took).toBeGreaterThanOrEqual(950);
    expect(took).toBeLessThan(3000);
  });
});

/**
 * A TCP relay to the test Redis that can go silent: `freeze()` stops passing bytes both
 * ways (an unreachable Redis, from the client's side) without closing anything.
 */
async function freezableRedis(): Promise<{ url: string; freeze(): void; close(): void }> {
  const target = new URL(connection.url);
  const sockets: Socket[] = [];
  let frozen = false;
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 6379), target.hostname);
    sockets.push(client, upstream);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      from.on('data', (chunk) => {
        if (!frozen) to.write(chunk);
      });
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}${target.pathname}`,
    freeze: () => (frozen = true),
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe("QueueRuntime: a worker that loses a job's lock stops working on it", () => {
  const lockDurationMs = 3000;

  async function runningJob(r: QueueRuntime) {
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    const outcome: { reason?: unknown; abortedAt?: number } = {};
    r.startWorkers(
      {
        check: async (_payload, ctx) => {
          started();
          try {
            await waitOrAbort(30_000, ctx.signal); // a long download, say
          } catch (error) {
            outcome.abortedAt = Date.now();
            outcome.reason = ctx.signal.reason;
            throw error;
          }
          return 'finished';
        },
      },
      [check],
    );
    const job = await r.enqueue(check, { series: 'lease', version: '1' });
    await running;
    return { job, outcome };
  }

  it('stops the handler at once when the lock is gone from Redis (taken over, or lost in a restart)', async () => {
    const r = runtime(undefined, { worker: { lockDurationMs } });
    const { job, outcome } = await runningJob(r);
    const redis = new Redis(connection.url);
    // another worker's token in the lock: what a stalled check and a takeover leave
    await redis.set(`${r.prefix}:check:${job.id}:lock`, 'another-workers-token');
    const at = Date.now();
    await expect.poll(() => outcome.reason, { timeout: lockDurationMs * 2 }).toBeDefined();
    await redis.quit();
    expect(String(outcome.reason)).toMatch(/lost the lock of job lease--1 of queue check/);
    expect((outcome.abortedAt ?? 0) - at).toBeLessThan(lockDurationMs);
  });

  it('stops the handler before the lock can expire when Redis stops answering', async () => {
    const relay = await freezableRedis();
    const r = runtime(undefined, {
      connection: { url: relay.url, maxRetriesPerRequest: null },
      worker: { lockDurationMs },
    });
    // a frozen connection cannot clean up after the test: the direct one does, below
    runtimes.splice(runtimes.indexOf(r), 1);
    const redis = new Redis(connection.url);
    try {
      const { job, outcome } = await runningJob(r);
      relay.freeze();
      await expect.poll(() => outcome.reason, { timeout: lockDurationMs * 2 }).toBeDefined();
      // Redis itself (reached directly) still holds this worker's lock: it stopped first,
      // so no other worker can have taken the job over while it was still working.
      const ttl = await redis.pttl(`${r.prefix}:check:${job.id}:lock`);
      expect(String(outcome.reason)).toMatch(/no renewal for \d+ ms of a 3000 ms lock/);
      expect(ttl).toBeGreaterThan(0);
    } finally {
      relay.close();
      void r.close(100, { unwindMs: 100 }).catch(() => undefined);
      for (const key of await redis.keys(`${r.prefix}:*`)) await redis.del(key);
      await redis.quit();
    }
  });
});
