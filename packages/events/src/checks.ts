// The last feed check of each series and how it ended, kept in one Redis hash (series ->
// record) so the control plane and `imagecycle status` can say "checked at 04:00, nothing
// new" or "rejected: bad signature" without asking the upstream again.
import { z } from 'zod';

export const CHECK_OUTCOMES = [
  'new-release',
  'in-flight',
  'nothing-new',
  'retired',
  'disabled',
  'no-releases',
  'rejected',
  'failed',
] as const;

export const checkRecordSchema = z.object({
  series: z.string().min(1),
  at: z.iso.datetime(),
  outcome: z.enum(CHECK_OUTCOMES),
  /** The newest upstream version the check saw. */
  version: z.string().optional(),
  /** Its upstream build date. */
  buildDate: z.string().optional(),
  /** Why it was rejected or failed. */
  message: z.string().optional(),
});
export type CheckRecord = z.infer<typeof checkRecordSchema>;

/** The two commands used: a standalone, Sentinel or Cluster connection of ioredis has both. */
export interface HashStore {
  hset(key: string, field: string, value: string): Promise<unknown>;
  hgetall(key: string): Promise<Record<string, string>>;
}

export class CheckRecords {
  readonly #redis: HashStore;
  readonly #key: string;

  /** `key`: the hash, e.g. `<queue prefix>:checks`. */
  constructor(redis: HashStore, key: string) {
    this.#redis = redis;
    this.#key = key;
  }

  async record(record: CheckRecord): Promise<void> {
    await this.#redis.hset(
      this.#key,
      record.series,
      JSON.stringify(checkRecordSchema.parse(record)),
    );
  }

  /** The last check of every series that has one; unreadable entries are skipped. */
  async all(): Promise<Map<string, CheckRecord>> {
    const raw = await this.#redis.hgetall(this.#key);
    const records = new Map<string, CheckRecord>();
    for (const [series, text] of Object.entries(raw)) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        continue;
      }
      const parsed = checkRecordSchema.safeParse(value);
      if (parsed.success) records.set(series, parsed.data);
    }
    return records;
  }
}
