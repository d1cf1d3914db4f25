// Which series have been seen signed. A series whose policy is `optional` may publish without
// a signature - but once the feed-watcher has verified one of its signatures, a signature file
// that disappears is a downgrade, not a choice, and the release is refused.
// The fact is the feed-watcher's own (written only after it verified a signature itself, or -
// for an upstream that signs the image file - after the feed named the signature the
// downloader must verify); no queue payload sets it. It lives in Redis without an expiry:
// BullMQ already requires `maxmemory-policy noeviction`, so it survives restarts and memory
// pressure. Losing Redis altogether loses it (the README says so): the series is then
// `optional` again until its next signed release.
import type { Cluster, Redis } from 'ioredis';

export interface SignedSeries {
  /** When the series was first seen signed (ISO), or undefined. */
  seenSigned(series: string): Promise<string | undefined>;
  /** Remember that the series was seen signed (keeps the first date). */
  markSigned(series: string, at: Date): Promise<void>;
}

export class RedisSignedSeries implements SignedSeries {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;

  constructor(redis: Redis | Cluster, options: { prefix?: string } = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? 'imagecycle:seen-signed:';
  }

  async seenSigned(series: string): Promise<string | undefined> {
    return (await this.#redis.get(this.#prefix + series)) ?? undefined;
  }

  async markSigned(series: string, at: Date): Promise<void> {
    await this.#redis.set(this.#prefix + series, at.toISOString(), 'NX');
  }
}

/** For unit tests and one-off CLI runs. */
export class MemorySignedSeries implements SignedSeries {
  readonly #seen = new Map<string, string>();
  seenSigned(series: string): Promise<string | undefined> {
    return Promise.resolve(this.#seen.get(series));
  }
  markSigned(series: string, at: Date): Promise<void> {
    if (!this.#seen.has(series)) this.#seen.set(series, at.toISOString());
    return Promise.resolve();
  }
}

/** A view that reads but never writes: a preview learns nothing it would keep. */
export function readOnly(memory: SignedSeries): SignedSeries {
  return { seenSigned: (s) => memory.seenSigned(s), markSigned: () => Promise.resolve() };
}
