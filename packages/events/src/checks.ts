// The last feed check of each series and how it ended, kept in one Redis hash (series ->
// record) so the control plane and `imagecycle status` can say "checked at 04:00, nothing
// new" or "rejected: bad signature" without asking the upstream again.
import { z } from 'zod';
import { type HashStore, SeriesRecords } from './series-records.ts';

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

export type { HashStore } from './series-records.ts';

/** The last feed check of each series. */
export class CheckRecords extends SeriesRecords<typeof checkRecordSchema> {
  /** `key`: the hash, e.g. `<queue prefix>:checks`. */
  constructor(redis: HashStore, key: string) {
    super(redis, key, checkRecordSchema);
  }
}
