import { Rejection } from '@imagecycle/contracts';

/** A candidate refused after upload: Glance stored other bytes, or it is not what was verified, or it did not boot. */
export class UploadRejected extends Rejection<
  'hash-mismatch' | 'incompatible' | 'smoke-test-failed'
> {
  override name = 'UploadRejected';
}
