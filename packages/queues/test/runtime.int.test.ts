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
function runtime(): QueueRuntime {
  const r = new QueueRuntime({
    connection,
    prefix: `test-${randomBytes(4).toString('hex')}`,
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
