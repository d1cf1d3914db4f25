// Which control-plane replica exports the gauges that describe the whole system (queue
// depths, the catalogue's health). Every replica computes them from the same shared state,
// so if each exported them, Prometheus would hold one copy per replica and a `sum` over
// them would count every job and image twice. Instead the replicas share a lease in Redis:
// the replica holding it exports the system gauges, the others export none of them (only
// their own process and request metrics, and imagecycle_metrics_leader 0).
//
// The lease is taken or renewed at each scrape: a replica takes it when nobody holds it (or
// it already does), for `ttlMs`. When the holder stops being scraped (it died, or its
// scrapes fail), its lease runs out and the next replica scraped takes it over, so the
// system gauges are missing for at most `ttlMs` plus a scrape interval.
import { Gauge, type Registry } from 'prom-client';

/** The part of a Redis client the lease uses (ioredis' eval). */
export interface LeaseClient {
  eval(script: string, keys: number, ...args: (string | number)[]): Promise<unknown>;
}

export interface MetricsLease {
  /** Whether this replica holds the lease now (taking or renewing it). */
  held(): Promise<boolean>;
}

// Take the lease when free, renew it when ours; never take it from another live holder.
const TAKE_OR_RENEW = `
local holder = redis.call('GET', KEYS[1])
if holder == false or holder == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

export function redisMetricsLease(options: {
  client: () => Promise<LeaseClient>;
  /** The lease's key, under the queue prefix (one slot with Redis Cluster's hash tag). */
  key: string;
  /** This replica's identity (unique per process). */
  holder: string;
  ttlMs: number;
}): MetricsLease {
  if (!(options.ttlMs > 0))
    throw new Error(`metrics lease: ttlMs must be positive, not ${options.ttlMs}`);
  // One answer per scrape: every system gauge asks, concurrently, within one /metrics call.
  let last: { at: number; answer: Promise<boolean> } | undefined;
  const ask = async () => {
    const client = await options.client();
    const result = await client.eval(TAKE_OR_RENEW, 1, options.key, options.holder, options.ttlMs);
    return result === 1;
  };
  return {
    held() {
      if (!last || Date.now() - last.at > ANSWER_REUSE_MS)
        // Redis unreachable: this replica cannot know, so it exports no system gauge
        // (nor can it read the queues); imagecycle_metrics_leader says 0.
        last = { at: Date.now(), answer: ask().catch(() => false) };
      return last.answer;
    },
  };
}

/** How long one answer of the lease serves (the gauges of one scrape). */
const ANSWER_REUSE_MS = 1000;

/** The process's gauge saying whether it holds the lease (1) or not (0), for alerts. */
export function registerLeaderGauge(registry: Registry, lease: MetricsLease): void {
  new Gauge({
    name: 'imagecycle_metrics_leader',
    help: '1 on the control-plane replica that exports the system-wide gauges (queue depths, catalogue health), 0 on the others',
    registers: [registry],
    async collect() {
      this.set((await lease.held()) ? 1 : 0);
    },
  });
}

/** A lease always held: a single process (tests, development) exports everything. */
export const soleReplica: MetricsLease = { held: () => Promise.resolve(true) };
