// At most N holders per group at once, across every process: a counting semaphore in one
// Redis sorted set per group (member: the holder, score: when its lease runs out). A holder
// renews its lease while it works, so a process that dies frees its slot when the lease
// runs out, not never. Used to bound the uploads to one target, whichever workers run them,
// while uploads to other targets go on.
import type { Cluster, Redis } from 'ioredis';

// KEYS[1] the group's set; ARGV: now, holder, lease end, limit. 1 when the holder has a slot.
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZSCORE', KEYS[1], ARGV[2]) or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[2])
  redis.call('PEXPIRE', KEYS[1], math.max(1, tonumber(ARGV[3]) - tonumber(ARGV[1])))
  return 1
end
return 0
`;

/** A slot held: renewed in the background until released. */
export interface SlotLease {
  release(): Promise<void>;
}

export class Slots {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;
  readonly #limit: number;
  readonly #leaseMs: number;

  /** `prefix`: e.g. `<queue prefix>:upload-slots`; `limit` slots per group. */
  constructor(redis: Redis | Cluster, prefix: string, limit: number, leaseMs: number) {
    if (!Number.isInteger(limit) || limit < 1)
      throw new RangeError(`slots: limit must be a positive integer, not ${limit}`);
    this.#redis = redis;
    this.#prefix = prefix;
    this.#limit = limit;
    this.#leaseMs = leaseMs;
  }

  get limit(): number {
    return this.#limit;
  }

  /** A slot of `group` for `holder` (the same holder asking again keeps its slot), or none free. */
  async acquire(group: string, holder: string): Promise<SlotLease | undefined> {
    const key = `${this.#prefix}:${group}`;
    if (!(await this.#take(key, holder))) return undefined;
    const renew = setInterval(
      () => void this.#take(key, holder).catch(() => undefined),
      Math.max(250, Math.floor(this.#leaseMs / 3)),
    );
    renew.unref();
    return {
      release: async () => {
        clearInterval(renew);
        await this.#redis.zrem(key, holder);
      },
    };
  }

  /** The holders of `group`'s slots whose leases have not run out. */
  async holders(group: string): Promise<string[]> {
    return this.#redis.zrangebyscore(`${this.#prefix}:${group}`, Date.now(), '+inf');
  }

  async #take(key: string, holder: string): Promise<boolean> {
    const now = Date.now();
    const taken = await this.#redis.eval(
      ACQUIRE,
      1,
      key,
      String(now),
      holder,
      String(now + this.#leaseMs),
      String(this.#limit),
    );
    return taken === 1;
  }
}
