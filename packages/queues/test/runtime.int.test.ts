// The queue runtime against a real Redis; every test has its own key prefix.
import { randomBytes } from 'node:crypto';
import { QueueEvents } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineQueue,
  type HandlerMap,
  jobIdFrom,
  PayloadError,
  QueueConfigurationError,
  QueueRuntime,
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
function runtime(prefix = `test-${randomBytes(4).toString('hex')}`): QueueRuntime {
  const r = new QueueRuntime({
    connection,
    prefix,
    queues: [check, other],
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
