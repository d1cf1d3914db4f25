// The metrics lease: of several control-plane replicas sharing one Redis, exactly one
// exports the system-wide gauges; the lease passes on when its holder stops renewing it.
// The Redis side is a small in-memory model of GET/SET PX that runs the lease's decision
// the way the script states it (take when free or ours, never from another live holder).
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { type LeaseClient, redisMetricsLease, registerLeaderGauge } from '../src/metrics-lease.ts';

/** A Redis holding string keys with expiry, answering the lease's script. */
function fakeRedis(now: () => number) {
  const keys = new Map<string, { value: string; expires: number }>();
  const scripts: string[] = [];
  const client: LeaseClient = {
    eval(script, count, ...args) {
      scripts.push(script);
      expect(count).toBe(1);
      const [key, holder, ttl] = args.map(String) as [string, string, string];
      const entry = keys.get(key);
      const current = entry && entry.expires > now() ? entry.value : undefined;
      // the script's decision, as it is written in metrics-lease.ts
      if (current === undefined || current === holder) {
        keys.set(key, { value: holder, expires: now() + Number(ttl) });
        return Promise.resolve(1);
      }
      return Promise.resolve(0);
    },
  };
  return { client, keys, scripts };
}

describe('metrics lease', () => {
  it('lets one replica of several export, and passes on once the holder stops renewing', async () => {
    let clock = 1_000_000;
    const realNow = Date.now;
    Date.now = () => clock;
    try {
      const redis = fakeRedis(() => clock);
      const replica = (holder: string) =>
        redisMetricsLease({
          client: () => Promise.resolve(redis.client),
          key: 'imagecycle:control-plane:metrics-leader',
          holder,
          ttlMs: 90_000,
        });
      const a = replica('a');
      const b = replica('b');
      expect(await a.held()).toBe(true);
      expect(await b.held()).toBe(false);
      // scrapes keep renewing a's lease past its first ttl
      for (let i = 0; i < 5; i++) {
        clock += 30_000;
        expect(await a.held()).toBe(true);
        expect(await b.held()).toBe(false);
      }
      // a is gone: b takes over once a's lease has run out, not before
      clock += 60_000;
      expect(await b.held()).toBe(false);
      clock += 31_000;
      expect(await b.held()).toBe(true);
      clock += 2_000;
      expect(await a.held()).toBe(false);
      expect(redis.scripts[0]).toContain("redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])");
    } finally {
      Date.now = realNow;
    }
  });

  it('asks Redis once per scrape, and says 0 when Redis cannot answer', async () => {
    let calls = 0;
    const lease = redisMetricsLease({
      client: () =>
        Promise.resolve({
          eval: () => {
            calls += 1;
            return Promise.reject(new Error('connection refused'));
          },
        }),
      key: 'k',
      holder: 'a',
      ttlMs: 1000,
    });
    const registry = new Registry();
    registerLeaderGauge(registry, lease);
    const answers = await Promise.all([lease.held(), lease.held(), registry.metrics()]);
    expect(answers[0]).toBe(false);
    expect(answers[2]).toContain('imagecycle_metrics_leader 0');
    expect(calls).toBe(1);
  });

  it('refuses a lease without a positive ttl', () => {
    expect(() =>
      redisMetricsLease({
        client: () => Promise.reject(new Error()),
        key: 'k',
        holder: 'a',
        ttlMs: 0,
      }),
    ).toThrow('metrics lease: ttlMs must be positive, not 0');
  });
});
