// A release refused before anything is downloaded: its signature failed or is missing where
// required (or where the series was seen signed before), its checksum list contradicts the
// feed, its version is not what the signed file names, it would roll the series back or
// freeze it with a version from the future, or a URL of it is not https. The check ends with
// this outcome, a log line and a metric; nothing is enqueued and the Latest stays as it is.
import { Rejection } from '@imagecycle/contracts';

export type FeedRejectReason =
  | 'signature-missing'
  | 'signature-invalid'
  | 'signature-downgrade'
  | 'checksum-mismatch'
  | 'version-mismatch'
  | 'feed-invalid'
  | 'rollback'
  | 'future-version'
  | 'insecure-url';

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
