// A release refused before anything is downloaded: its signature failed or is missing where
// required, or its checksum list contradicts the feed. The check ends with this outcome, a
// log line and a metric; nothing is enqueued and the Latest stays as it is.
export type RejectionReason =
  'signature-missing' | 'signature-invalid' | 'checksum-mismatch' | 'feed-invalid';

export class ReleaseRejected extends Error {
  override name = 'ReleaseRejected';
  readonly series: string;
  readonly reason: RejectionReason;
  readonly version: string | undefined;
  constructor(series: string, reason: RejectionReason, message: string, version?: string) {
    super(
      `series ${series}${version ? ` version ${version}` : ''}: rejected (${reason}): ${message}`,
    );
    this.series = series;
    this.reason = reason;
    this.version = version;
  }
}
