// A release refused by a stage: its signature, its bytes or its behaviour are not what the
// upstream promised. A rejection is a verdict, not a fault: it is recorded (an event, a
// metric, the check's outcome) and not retried, and the series' Latest stays as it is. Every
// stage's refusal is one of these, so one place handles them all.
export const REJECTION_REASONS = [
  // before anything is downloaded (feed-watcher)
  'signature-missing',
  'signature-invalid',
  'checksum-mismatch',
  'feed-invalid',
  'rollback',
  'future-version',
  'signature-downgrade',
  'version-mismatch',
  'insecure-url',
  // the bytes (downloader)
  'uncompressed-checksum-mismatch',
  'not-a-disk-image',
  'format-mismatch',
  // the upstream took the release back while it was being fetched (its URL answers 404/410)
  'withdrawn',
  // the image in Glance (uploader)
  'hash-mismatch',
  'incompatible',
  'smoke-test-failed',
] as const;

export type RejectionReason = (typeof REJECTION_REASONS)[number];

export class Rejection<Reason extends RejectionReason = RejectionReason> extends Error {
  override name = 'Rejection';
  readonly reason: Reason;
  constructor(reason: Reason, message: string) {
    super(message);
    this.reason = reason;
  }
}
