export type DownloadRejectReason =
  | 'checksum-mismatch'
  | 'uncompressed-checksum-mismatch'
  | 'signature-invalid'
  | 'not-a-disk-image'
  | 'format-mismatch';

/** A release whose bytes are not what the upstream promised: nothing of it is kept. */
export class DownloadRejected extends Error {
  override name = 'DownloadRejected';
  readonly reason: DownloadRejectReason;
  constructor(reason: DownloadRejectReason, message: string) {
    super(message);
    this.reason = reason;
  }
}
