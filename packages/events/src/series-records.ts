// The last record of something per series (a feed check, a smoke test), kept in one Redis
// hash (series -> JSON record), validated by its schema on the way in and on the way out.
import type { z } from 'zod';

/** The two commands used: a standalone, Sentinel or Cluster connection of ioredis has both. */
export interface HashStore {
  hset(key: string, field: string, value: string): Promise<unknown>;
  hgetall(key: string): Promise<Record<string, string>>;
}

export class SeriesRecords<Schema extends z.ZodType<{ series: string }>> {
  readonly #redis: HashStore;
  readonly #key: string;
  readonly #schema: Schema;

  /** `key`: the hash, e.g. `<queue prefix>:checks`. */
  constructor(redis: HashStore, key: string, schema: Schema) {
    this.#redis = redis;
    this.#key = key;
    this.#schema = schema;
  }

  /** Replaces the series' record (refused, and nothing written, if it breaks the schema). */
  async record(record: z.input<Schema>): Promise<void> {
    const parsed = this.#schema.parse(record);
    await this.#redis.hset(this.#key, parsed.series, JSON.stringify(parsed));
  }

  /** The record of every series that has one; unreadable entries are skipped. */
  async all(): Promise<Map<string, z.output<Schema>>> {
    const raw = await this.#redis.hgetall(this.#key);
    const records = new Map<string, z.output<Schema>>();
    for (const [series, text] of Object.entries(raw)) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        continue;
      }
      const parsed = this.#schema.safeParse(value);
      if (parsed.success) records.set(series, parsed.data);
    }
    return records;
  }
}
