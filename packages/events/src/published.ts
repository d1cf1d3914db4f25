// What each series has published - the version of its Latest and every version Glance holds
// for it - kept in one Redis hash (series -> record). The renamer writes it after every
// reconcile and the janitor on every pass, both from their own listing of the series'
// images; the feed-watcher reads it to skip a release already there and to refuse a
// rollback, so it needs no cloud account. A missing record (a new install, a lost Redis)
// costs at most a download: the uploader, which reads Glance itself, reuses an image that
// is already there and refuses a rollback on its own, and the next reconcile or janitor
// pass writes the record again.
import { z } from 'zod';
import { type HashStore, SeriesRecords } from './series-records.ts';

export const publishedRecordSchema = z.object({
  series: z.string().min(1),
  /** When the images were listed. */
  at: z.iso.datetime(),
  /** The version of the Latest (or of a verified image about to become it). */
  latest: z.string().min(1).optional(),
  /** Every version of the series' managed images, in any state. */
  versions: z.array(z.string().min(1)),
  /** Who listed them: `reconcile` or `janitor`. */
  by: z.enum(['reconcile', 'janitor']),
  /**
   * Since when `latest` has been what it is (kept across records that do not change it): how
   * long a target that fell behind has been behind.
   */
  since: z.iso.datetime().optional(),
});
export type PublishedRecord = z.infer<typeof publishedRecordSchema>;

/** What each series has published, as last listed. */
export class PublishedRecords extends SeriesRecords<typeof publishedRecordSchema> {
  /** `key`: the hash, e.g. `<queue prefix>:published`. */
  constructor(redis: HashStore, key: string) {
    super(redis, key, publishedRecordSchema);
  }

  /** Replaces the series' record; `since` carries over while the Latest stays the same. */
  override async record(record: z.input<typeof publishedRecordSchema>): Promise<void> {
    const before = await this.get(record.series);
    const since =
      before !== undefined && before.latest === record.latest
        ? (before.since ?? before.at)
        : record.at;
    await super.record({ ...record, since });
  }
}
