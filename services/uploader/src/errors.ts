/** A candidate refused after upload: Glance stored other bytes, or it is not what was verified, or it did not boot. */
export class UploadRejected extends Error {
  override name = 'UploadRejected';
  readonly reason: 'hash-mismatch' | 'incompatible' | 'smoke-test-failed';
  constructor(reason: UploadRejected['reason'], message: string) {
    super(message);
    this.reason = reason;
  }
}
