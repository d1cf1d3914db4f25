// The last check of each series, in a real Redis.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckRecords, UsageCheckRecords } from '../src/index.ts';

const redis = new Redis(process.env.REDIS_URL ?? '');
const key = `test-${randomBytes(4).toString('hex')}:checks`;
const usageKey = key.replace(/:checks$/, ':usage-checks');
afterAll(async () => {
  await redis.del(key, usageKey);
  redis.disconnect();
});

describe('CheckRecords', () => {
  it('keeps the last check per series, skips an unreadable entry and refuses a malformed one', async () => {
    const checks = new CheckRecords(redis, key);
    await checks.record({
      series: 'a',
      at: '2026-11-29T04:00:00.000Z',
      outcome: 'new-release',
      version: '1',
    });
    await checks.record({
      series: 'a',
      at: '2026-11-30T04:00:00.000Z',
      outcome: 'rejected',
      version: '2',
      message: 'bad signature',
    });
    await checks.record({ series: 'b', at: '2026-11-30T04:00:00.000Z', outcome: 'nothing-new' });
    await redis.hset(key, 'c', 'not json');
    const all = await checks.all();
    expect([...all.keys()].sort()).toEqual(['a', 'b']);
    expect(all.get('a')).toEqual({
      series: 'a',
      at: '2026-11-30T04:00:00.000Z',
      outcome: 'rejected',
      version: '2',
      message: 'bad signature',
    });
    await expect(
      checks.record({ series: 'd', at: 'yesterday', outcome: 'nothing-new' }),
    ).rejects.toThrow(/at/);
  });
});

describe('UsageCheckRecords', () => {
  it('keeps the last usage check per series apart from the feed checks, and refuses a malformed one', async () => {
    const usage = new UsageCheckRecords(redis, usageKey);
    const found = {
      communityImages: 3,
      inUse: 1,
      newlyUnused: 1,
      handedToReaper: 1,
      kept: 1,
    };
    await usage.record({
      series: 'a',
      at: '2026-11-29T06:00:00.000Z',
      outcome: 'checked',
      ...found,
    });
    await usage.record({
      series: 'a',
      at: '2026-11-30T06:00:00.000Z',
      outcome: 'failed',
      ...found,
      message: 'Nova answered 503',
    });
    const all = await usage.all();
    expect([...all.entries()]).toEqual([
      [
        'a',
        {
          series: 'a',
          at: '2026-11-30T06:00:00.000Z',
          outcome: 'failed',
          ...found,
          message: 'Nova answered 503',
        },
      ],
    ]);
    // in a hash of its own: the feed checks' hash does not have it
    expect((await redis.hget(usageKey, 'a')) ?? '').toContain('communityImages');
    expect((await redis.hget(key, 'a')) ?? '').not.toContain('communityImages');
    await expect(
      usage.record({
        series: 'b',
        at: '2026-11-30T06:00:00.000Z',
        outcome: 'checked',
        ...found,
        inUse: -1,
      }),
    ).rejects.toThrow(/inUse/);
  });
});
