// The last check of each series, in a real Redis.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckRecords } from '../src/index.ts';

const redis = new Redis(process.env.REDIS_URL ?? '');
const key = `test-${randomBytes(4).toString('hex')}:checks`;
afterAll(async () => {
  await redis.del(key);
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
