// The Redis part of the settings: exactly one mode, Sentinel with its master's name, Cluster
// with a hash-tagged prefix, and messages that name the variable but never a password.
import { describe, expect, it } from 'vitest';
import { describeRedis, redisMode } from '../src/redis-connection.ts';
import { hashTagOf, loadSettings, SettingsError } from '../src/settings.ts';

/** The message of the SettingsError that loading `env` throws. */
function failure(env: NodeJS.ProcessEnv): string {
  try {
    loadSettings(env);
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return (error as Error).message;
  }
  throw new Error('the settings were accepted');
}

describe('Redis settings', () => {
  it('takes a standalone Redis from REDIS_URL', () => {
    const settings = loadSettings({ REDIS_URL: 'rediss://redis.example:6380/2' });
    expect(redisMode(settings)).toBe('standalone');
    expect(describeRedis(settings)).toBe('Redis rediss://redis.example:6380/2');
  });

  it('takes Sentinel from a host:port list and the master name', () => {
    const settings = loadSettings({
      IMAGECYCLE_REDIS_SENTINELS: '10.0.0.5:26379, sentinel-b:26380,[fd00::7]:26379',
      IMAGECYCLE_REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_PASSWORD: 'hunter2-master',
      REDIS_SENTINEL_PASSWORD: 'hunter2-sentinel',
    });
    expect(redisMode(settings)).toBe('sentinel');
    expect(settings.IMAGECYCLE_REDIS_SENTINELS).toEqual([
      { host: '10.0.0.5', port: 26379 },
      { host: 'sentinel-b', port: 26380 },
      { host: 'fd00::7', port: 26379 },
    ]);
    expect(describeRedis(settings)).toBe(
      'Redis master "mymaster" via Sentinel 10.0.0.5:26379,sentinel-b:26380,[fd00::7]:26379',
    );
  });

  it('takes a Cluster whose queue prefix has a hash tag', () => {
    const settings = loadSettings({
      IMAGECYCLE_REDIS_CLUSTER_NODES: 'node-1:7000,node-2:7000',
      IMAGECYCLE_QUEUE_PREFIX: '{imagecycle}',
      IMAGECYCLE_REDIS_TLS: '1',
    });
    expect(redisMode(settings)).toBe('cluster');
    expect(describeRedis(settings)).toBe('Redis Cluster node-1:7000,node-2:7000 (TLS)');
    expect(
      loadSettings({
        IMAGECYCLE_REDIS_CLUSTER_NODES: 'node-1:7000',
        IMAGECYCLE_QUEUE_PREFIX: 'prod:{imagecycle}:v2',
      }).IMAGECYCLE_QUEUE_PREFIX,
    ).toBe('prod:{imagecycle}:v2');
  });

  it('refuses Sentinel without the master name, and a master name without sentinels', () => {
    expect(failure({ IMAGECYCLE_REDIS_SENTINELS: '10.0.0.5:26379' })).toContain(
      'IMAGECYCLE_REDIS_SENTINEL_NAME: is not set: with IMAGECYCLE_REDIS_SENTINELS it names the master (e.g. mymaster)',
    );
    const stray = failure({
      REDIS_URL: 'redis://127.0.0.1:6379',
      IMAGECYCLE_REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_SENTINEL_PASSWORD: 'x',
    });
    expect(stray).toContain(
      'IMAGECYCLE_REDIS_SENTINEL_NAME: is only used with IMAGECYCLE_REDIS_SENTINELS, which is not set',
    );
    expect(stray).toContain(
      'REDIS_SENTINEL_PASSWORD: is only used with IMAGECYCLE_REDIS_SENTINELS, which is not set',
    );
  });

  it('refuses a Cluster whose queue prefix has no hash tag', () => {
    for (const prefix of [undefined, 'imagecycle', '{}imagecycle', 'imagecycle{', '{}{x}']) {
      const message = failure({
        IMAGECYCLE_REDIS_CLUSTER_NODES: '10.0.0.5:7000',
        ...(prefix === undefined ? {} : { IMAGECYCLE_QUEUE_PREFIX: prefix }),
      });
      expect(message).toContain(
        `IMAGECYCLE_QUEUE_PREFIX: "${prefix ?? 'imagecycle'}" has no hash tag: with Redis Cluster all keys of a queue must be in one slot, so the prefix needs a non-empty {...}, e.g. {imagecycle}`,
      );
    }
  });

  it('refuses two modes at once, and none', () => {
    const two = failure({
      REDIS_URL: 'redis://127.0.0.1:6379',
      IMAGECYCLE_REDIS_CLUSTER_NODES: '10.0.0.5:7000',
      IMAGECYCLE_QUEUE_PREFIX: '{imagecycle}',
    });
    expect(two).toContain(
      'IMAGECYCLE_REDIS_CLUSTER_NODES: conflicts with REDIS_URL: set exactly one of REDIS_URL, IMAGECYCLE_REDIS_SENTINELS, IMAGECYCLE_REDIS_CLUSTER_NODES',
    );
    const three = failure({
      REDIS_URL: 'redis://127.0.0.1:6379',
      IMAGECYCLE_REDIS_SENTINELS: '10.0.0.5:26379',
      IMAGECYCLE_REDIS_SENTINEL_NAME: 'mymaster',
      IMAGECYCLE_REDIS_CLUSTER_NODES: '10.0.0.5:7000',
      IMAGECYCLE_QUEUE_PREFIX: '{imagecycle}',
    });
    expect(three).toContain('IMAGECYCLE_REDIS_SENTINELS: conflicts with REDIS_URL');
    expect(three).toContain('IMAGECYCLE_REDIS_CLUSTER_NODES: conflicts with REDIS_URL');
    expect(failure({})).toContain(
      'REDIS_URL: is not set (e.g. redis://127.0.0.1:6379); or set IMAGECYCLE_REDIS_SENTINELS and IMAGECYCLE_REDIS_SENTINEL_NAME (Sentinel), or IMAGECYCLE_REDIS_CLUSTER_NODES (Redis Cluster)',
    );
  });

  it('names a malformed node, TLS given twice, and still every other wrong variable', () => {
    expect(failure({ IMAGECYCLE_REDIS_CLUSTER_NODES: 'node-1:7000,node-2' })).toContain(
      'IMAGECYCLE_REDIS_CLUSTER_NODES: "node-2" is not host:port (e.g. 10.0.0.5:26379)',
    );
    expect(
      failure({ IMAGECYCLE_REDIS_SENTINELS: 'a:0', IMAGECYCLE_REDIS_SENTINEL_NAME: 'm' }),
    ).toContain('IMAGECYCLE_REDIS_SENTINELS: "a:0" is not host:port');
    expect(failure({ REDIS_URL: 'redis://127.0.0.1:6379', IMAGECYCLE_REDIS_TLS: 'yes' })).toContain(
      'IMAGECYCLE_REDIS_TLS: is for Sentinel and Cluster; a standalone Redis takes a rediss:// REDIS_URL for TLS',
    );
    const both = failure({ IMAGECYCLE_CONCURRENCY: 'download=zero' });
    expect(both).toContain(
      'IMAGECYCLE_CONCURRENCY: "download=zero" is not <queue>=<positive integer>',
    );
    expect(both).toContain('REDIS_URL: is not set');
  });

  it('never puts a password into a message or a description', () => {
    const message = failure({
      REDIS_URL: 'redis://:url-secret-1@127.0.0.1:6379',
      REDIS_PASSWORD: 'env-secret-2',
      IMAGECYCLE_REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_SENTINEL_PASSWORD: 'env-secret-3',
    });
    expect(message).toContain(
      'REDIS_PASSWORD: is set, and REDIS_URL has credentials too: give them in one place',
    );
    expect(message).not.toMatch(/secret-\d/);
    expect(failure({ REDIS_URL: 'http://:url-secret-4@x' })).not.toContain('url-secret-4');
    const described = describeRedis(
      loadSettings({ REDIS_URL: 'redis://worker:url-secret-5@redis.example:6379' }),
    );
    expect(described).toBe('Redis redis://worker:***@redis.example:6379');
  });

  it('finds the hash tag the way Redis Cluster does', () => {
    expect(hashTagOf('{imagecycle}:download:wait')).toBe('imagecycle');
    expect(hashTagOf('a{b}c{d}')).toBe('b');
    expect(hashTagOf('{}{x}')).toBeUndefined();
    expect(hashTagOf('}{x')).toBeUndefined();
    expect(hashTagOf('x}{y}')).toBe('y');
    expect(hashTagOf('imagecycle')).toBeUndefined();
  });
});
