import { Rejection } from '@imagecycle/contracts';

/**
 * A candidate refused after upload: Glance stored other bytes, or it is not what was verified,
 * or it did not boot; or a release refused before any image is created: not newer than the
 * series' Latest in Glance (a rollback).
 */
export class UploadRejected extends Rejection<
  'hash-mismatch' | 'incompatible' | 'smoke-test-failed' | 'rollback'
> {
  override name = 'UploadRejected';
}
