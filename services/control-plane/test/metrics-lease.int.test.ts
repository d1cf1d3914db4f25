// The metrics lease's script against a real Redis: one holder at a time, renewed by its
// holder, taken over only once it has run out.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, expect, it } from 'vitest';
import { redisMetricsLease } from '../src/metrics-lease.ts';

const redis = new Redis(process.env.REDIS_URL ?? '');
const key = `test-lease-${randomUUID()}:control-plane:metrics-leader`;

afterAll(async () => {
  await redis.del(key);
  redis.disconnect();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('gives the lease to one replica, renews it for its holder, and passes it on when it runs out', async () => {
  const replica = (holder: string) =>
    redisMetricsLease({ client: () => Promise.resolve(redis), key, holder, ttlMs: 1500 });
  const a = replica('a');
  const b = replica('b');
  expect(await a.held()).toBe(true);
  expect(await b.held()).toBe(false);
  expect(await redis.get(key)).toBe('a');
  // renewals by a keep it past its first ttl (answers are reused for 1 s, so pause past that)
  for (let i = 0; i < 2; i++) {
    await pause(1100);
    expect(await a.held()).toBe(true);
  }
  expect(await redis.pttl(key)).toBeGreaterThan(1000);
  await pause(1100);
  expect(await b.held()).toBe(false);
  // a stops renewing: once its lease has expired, b takes it
  await pause(1600);
  expect(await b.held()).toBe(true);
  expect(await redis.get(key)).toBe('b');
});
