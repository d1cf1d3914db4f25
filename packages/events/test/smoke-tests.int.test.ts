// The last smoke test of each series, in a real Redis.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { SmokeTestRecords } from '../src/index.ts';

const redis = new Redis(process.env.REDIS_URL ?? '');
const key = `test-${randomBytes(4).toString('hex')}:smoke-tests`;
afterAll(async () => {
  await redis.del(key);
  redis.disconnect();
});

describe('SmokeTestRecords', () => {
  it('keeps the last smoke test per series, skips an unreadable entry and refuses a malformed one', async () => {
    const tests = new SmokeTestRecords(redis, key);
    await tests.record({
      series: 'a',
      at: '2026-11-29T04:02:00.000Z',
      result: 'passed',
      durationSeconds: 11.2,
      version: '1',
      imageId: 'img-1',
    });
    await tests.record({
      series: 'a',
      at: '2026-11-30T04:12:00.000Z',
      result: 'failed',
      durationSeconds: 600.4,
      version: '2',
      imageId: 'img-2',
      message: 'A 2: the console log never matched /Cloud-init v\\. \\S+ finished at /',
    });
    await tests.record({
      series: 'b',
      at: '2026-11-30T04:01:00.000Z',
      result: 'passed',
      durationSeconds: 9,
    });
    await redis.hset(key, 'c', 'not json');
    await redis.hset(key, 'd', JSON.stringify({ series: 'd', result: 'maybe' }));
    const all = await tests.all();
    expect([...all.keys()].sort()).toEqual(['a', 'b']);
    expect(all.get('a')).toEqual({
      series: 'a',
      at: '2026-11-30T04:12:00.000Z',
      result: 'failed',
      durationSeconds: 600.4,
      version: '2',
      imageId: 'img-2',
      message: 'A 2: the console log never matched /Cloud-init v\\. \\S+ finished at /',
    });
    await expect(
      tests.record({
        series: 'e',
        at: '2026-11-30T04:01:00.000Z',
        result: 'passed',
        durationSeconds: -1,
      }),
    ).rejects.toThrow(/durationSeconds/);
  });
});
