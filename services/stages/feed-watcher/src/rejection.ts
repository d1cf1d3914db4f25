// A release refused before anything is downloaded: its signature failed or is missing where
// required, or its checksum list contradicts the feed. The check ends with this outcome, a
// log line and a metric; nothing is enqueued and the Latest stays as it is.
import { Rejection } from '@imagecycle/contracts';

export type FeedRejectReason =
  'signature-missing' | 'signature-invalid' | 'checksum-mismatch' | 'feed-invalid';

export class ReleaseRejected extends Rejection<FeedRejectReason> {
  override name = 'ReleaseRejected';
  readonly series: string;
  readonly version: string | undefined;
  constructor(series: string, reason: FeedRejectReason, message: string, version?: string) {
    super(
      reason,
      `series ${series}${version ? ` version ${version}` : ''}: rejected (${reason}): ${message}`,
    );
    this.series = series;
    this.version = version;
  }
}
