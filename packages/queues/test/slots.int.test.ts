// The per-group slots against a real Redis: a bound shared by every process, freed on release
// or when a holder's lease runs out (a process that died), and kept while a holder works.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { Slots } from '../src/index.ts';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = `slots-${randomBytes(4).toString('hex')}`;
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
});

describe('Slots', () => {
  it('gives at most the limit per group, across two processes’ instances; other groups are free', async () => {
    const a = new Slots(redis, prefix, 2, 10_000);
    const b = new Slots(redis, prefix, 2, 10_000);
    const first = await a.acquire('region-one', 'job-1');
    const second = await b.acquire('region-one', 'job-2');
    expect(first && second).toBeTruthy();
    expect(await a.acquire('region-one', 'job-3')).toBeUndefined();
    expect(await b.acquire('region-two', 'job-3')).toBeDefined();
    // the same holder asking again keeps its slot
    expect(await a.acquire('region-one', 'job-1')).toBeDefined();
    await second?.release();
    expect(await a.holders('region-one')).toEqual(['job-1']);
    expect(await a.acquire('region-one', 'job-3')).toBeDefined();
    expect((await a.holders('region-one')).sort()).toEqual(['job-1', 'job-3']);
  });

  it('frees the slot of a holder that stopped renewing once its lease runs out, and keeps a working one', async () => {
    const slots = new Slots(redis, `${prefix}:lease`, 1, 600);
    const working = await slots.acquire('g', 'alive');
    expect(working).toBeDefined();
    // renewed every 250 ms: still held well past its 600 ms lease
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await slots.acquire('g', 'other')).toBeUndefined();
    await working?.release();
    // a holder whose process died: a lease written once and never renewed
    await redis.zadd(`${prefix}:lease:g`, Date.now() + 300, 'dead');
    expect(await slots.acquire('g', 'next')).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 400));
    const next = await slots.acquire('g', 'next');
    expect(next).toBeDefined();
    await next?.release();
  });
});
