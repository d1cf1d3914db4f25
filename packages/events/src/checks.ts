// The last feed check and the last usage check of each series and how they ended, each kind
// kept in one Redis hash (series -> record) so the control plane and `imagecycle status` can
// say "checked at 04:00, nothing new", "rejected: bad signature" or "usage checked at 06:00:
// 1 in use, 1 handed to the reaper" without asking the upstream or the cloud again.
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

export const USAGE_CHECK_OUTCOMES = ['checked', 'failed'] as const;

/** What the last usage check found among a series' community images. */
export const usageCheckRecordSchema = z.object({
  series: z.string().min(1),
  at: z.iso.datetime(),
  outcome: z.enum(USAGE_CHECK_OUTCOMES),
  /** Community images of the series the check looked at. */
  communityImages: z.number().int().min(0),
  /** Seen in use by a server or a volume. */
  inUse: z.number().int().min(0),
  /** Not in use, and not recorded unused before this check. */
  newlyUnused: z.number().int().min(0),
  /** Handed to the reaper. */
  handedToReaper: z.number().int().min(0),
  /** Kept for another reason than use (retention, grace period, an incomplete scan). */
  kept: z.number().int().min(0),
  /** Why the check failed, or why the scan could not prove itself complete. */
  message: z.string().optional(),
});
export type UsageCheckRecord = z.infer<typeof usageCheckRecordSchema>;

/** The last usage check of each series. */
export class UsageCheckRecords extends SeriesRecords<typeof usageCheckRecordSchema> {
  /** `key`: the hash, e.g. `<queue prefix>:usage-checks`. */
  constructor(redis: HashStore, key: string) {
    super(redis, key, usageCheckRecordSchema);
  }
}
