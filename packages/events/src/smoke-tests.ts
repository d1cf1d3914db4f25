// The last smoke test of each series - passed or failed, how long it took, and why it
// failed - kept in one Redis hash (series -> record) beside the check records, so
// `imagecycle status` and the API can show it without asking Nova.
import { z } from 'zod';
import { type HashStore, SeriesRecords } from './series-records.ts';

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

/** The last smoke test of each series. */
export class SmokeTestRecords extends SeriesRecords<typeof smokeTestRecordSchema> {
  /** `key`: the hash, e.g. `<queue prefix>:smoke-tests`. */
  constructor(redis: HashStore, key: string) {
    super(redis, key, smokeTestRecordSchema);
  }
}
