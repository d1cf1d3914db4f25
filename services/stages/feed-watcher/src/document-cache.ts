// Validators and bodies of feed documents, kept in Redis so that the next check sends a
// conditional request and a 304 costs no bytes. Losing this cache loses nothing but bytes.
import type { Cluster, Redis } from 'ioredis';

export interface CachedDocument {
  etag?: string | undefined;
  lastModified?: string | undefined;
  body: string;
}

export interface DocumentCache {
  get(url: string): Promise<CachedDocument | undefined>;
  set(url: string, document: CachedDocument): Promise<void>;
}

export class RedisDocumentCache implements DocumentCache {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;
  readonly #ttlSeconds: number;

  constructor(redis: Redis | Cluster, options: { prefix?: string; ttlSeconds?: number } = {}) {
    this.#redis = redis;
    this.#prefix = options.prefix ?? 'imagecycle:feed-cache:';
    this.#ttlSeconds = options.ttlSeconds ?? 14 * 24 * 3600;
  }

  async get(url: string): Promise<CachedDocument | undefined> {
    const raw = await this.#redis.get(this.#prefix + url);
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as CachedDocument;
    } catch {
      return undefined; // a damaged entry only costs a full fetch
    }
  }

  async set(url: string, document: CachedDocument): Promise<void> {
    await this.#redis.set(this.#prefix + url, JSON.stringify(document), 'EX', this.#ttlSeconds);
  }
}

/** For unit tests and one-off CLI runs. */
export class MemoryDocumentCache implements DocumentCache {
  readonly #entries = new Map<string, CachedDocument>();
  get(url: string): Promise<CachedDocument | undefined> {
    return Promise.resolve(this.#entries.get(url));
  }
  set(url: string, document: CachedDocument): Promise<void> {
    this.#entries.set(url, document);
    return Promise.resolve();
  }
}
