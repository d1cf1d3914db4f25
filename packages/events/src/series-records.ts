// The last record of something per series (a feed check, a smoke test), kept in one Redis
// hash (series -> JSON record), validated by its schema on the way in and on the way out.
import type { z } from 'zod';

/** The commands used: a standalone, Sentinel or Cluster connection of ioredis has them all. */
export interface HashStore {
  hset(key: string, field: string, value: string): Promise<unknown>;
  hget(key: string, field: string): Promise<string | null>;
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

  /** The series' record; undefined when it has none or it is unreadable. */
  async get(series: string): Promise<z.output<Schema> | undefined> {
    const text = await this.#redis.hget(this.#key, series);
    return text === null ? undefined : this.#read(text);
  }

  /** The record of every series that has one; unreadable entries are skipped. */
  async all(): Promise<Map<string, z.output<Schema>>> {
    const raw = await this.#redis.hgetall(this.#key);
    const records = new Map<string, z.output<Schema>>();
    for (const [series, text] of Object.entries(raw)) {
      const record = this.#read(text);
      if (record !== undefined) records.set(series, record);
    }
    return records;
  }

  #read(text: string): z.output<Schema> | undefined {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return undefined;
    }
    const parsed = this.#schema.safeParse(value);
    return parsed.success ? parsed.data : undefined;
  }
}
