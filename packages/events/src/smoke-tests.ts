// The last smoke test of each series - passed or failed, how long it took, and why it
// failed - kept in one Redis hash (series -> record) beside the check records, so
// `imagecycle status` and the API can show it without asking Nova.
import { z } from 'zod';
import type { HashStore } from './checks.ts';

export const SMOKE_TEST_RESULTS = ['passed', 'failed'] as const;

export const smokeTestRecordSchema = z.object({
  series: z.string().min(1),
  /** When it ended. */
  at: z.iso.datetime(),
  result: z.enum(SMOKE_TEST_RESULTS),
  /** From asking for the server to the verdict (the server's deletion not included). */
  durationSeconds: z.number().nonnegative(),
  version: z.string().optional(),
  /** The candidate image booted. */
  imageId: z.string().optional(),
  /** Why it failed. */
  message: z.string().optional(),
});
export type SmokeTestRecord = z.infer<typeof smokeTestRecordSchema>;

export class SmokeTestRecords {
  readonly #redis: HashStore;
  readonly #key: string;

  /** `key`: the hash, e.g. `<queue prefix>:smoke-tests`. */
  constructor(redis: HashStore, key: string) {
    this.#redis = redis;
    this.#key = key;
  }

  async record(record: SmokeTestRecord): Promise<void> {
    await this.#redis.hset(
      this.#key,
      record.series,
      JSON.stringify(smokeTestRecordSchema.parse(record)),
    );
  }

  /** The last smoke test of every series that had one; unreadable entries are skipped. */
  async all(): Promise<Map<string, SmokeTestRecord>> {
    const raw = await this.#redis.hgetall(this.#key);
    const records = new Map<string, SmokeTestRecord>();
    for (const [series, text] of Object.entries(raw)) {
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        continue;
      }
      const parsed = smokeTestRecordSchema.safeParse(value);
      if (parsed.success) records.set(series, parsed.data);
    }
    return records;
  }
}
