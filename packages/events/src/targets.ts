// Per-target state in Redis. A deployment that names no targets has the one target
// `default`, whose keys are those from before targets existed: upgrading changes nothing.
// Every other target's records live under the same key with `:<target>` appended.
import type { Cluster, Redis } from 'ioredis';

/** The name of the single target of a deployment that names none (as in its job ids). */
const DEFAULT_TARGET = 'default';

/** `base` for the default target, `base:<target>` for any other. */
export function targetKey(base: string, target: string): string {
  return target === DEFAULT_TARGET ? base : `${base}:${target}`;
}

/** How one target's upload of a release ended. */
export type DeliveryOutcome = 'published' | 'rejected' | 'gave-up';

/**
 * Which targets are done with a staged release, so that its staging directory is removed
 * once every target has it or has given up - not when the first target is done. One Redis
 * hash per release (target -> outcome), kept a month: a release re-staged later (a target
 * that gave up, downloaded again) counts the targets done before as done.
 */
export class StagingDeliveries {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;

  /** `prefix`: e.g. `<queue prefix>:deliveries`. */
  constructor(redis: Redis | Cluster, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  #key(series: string, version: string): string {
    return `${this.#prefix}:${series}:${version}`;
  }

  /** A release staged (again): every target has yet to take this copy. */
  async staged(series: string, version: string): Promise<void> {
    await this.#redis.del(this.#key(series, version));
  }

  /**
   * Records the target's outcome; returns the targets of `targets` that are not done yet
   * (none: the staged release may go).
   */
  async record(
    series: string,
    version: string,
    target: string,
    outcome: DeliveryOutcome,
    targets: readonly string[],
  ): Promise<string[]> {
    const key = this.#key(series, version);
    await this.#redis.hset(key, target, outcome);
    await this.#redis.expire(key, 31 * 24 * 3600);
    const done = await this.#redis.hgetall(key);
    return targets.filter((name) => !(name in done));
  }
}

/**
 * Since when each target has been unreachable, as its uploads found it (one Redis key per
 * target, the first failure's time; gone once an upload reaches it again). Every upload to
 * a target that is down waits for it until the outage is older than allowed, then gives up.
 */
export class TargetOutages {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;

  /** `prefix`: e.g. `<queue prefix>:target-down`. */
  constructor(redis: Redis | Cluster, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  /** The target was found unreachable at `at`: the outage's start (an earlier one stands). */
  async down(target: string, at: Date): Promise<Date> {
    const key = `${this.#prefix}:${target}`;
    await this.#redis.set(key, at.toISOString(), 'NX');
    const since = await this.#redis.get(key);
    const parsed = since === null ? Number.NaN : Date.parse(since);
    return Number.isFinite(parsed) ? new Date(parsed) : at;
  }

  /** The target answered: no outage. */
  async up(target: string): Promise<void> {
    await this.#redis.del(`${this.#prefix}:${target}`);
  }
}
