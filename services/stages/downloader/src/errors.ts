import { Rejection } from '@imagecycle/contracts';

export type DownloadRejectReason =
  | 'checksum-mismatch'
  | 'uncompressed-checksum-mismatch'
  | 'signature-invalid'
  | 'not-a-disk-image'
  | 'withdrawn';

/**
 * A release whose bytes are not what the upstream promised, or that the upstream no longer
 * serves at all (`withdrawn`): nothing of it is kept.
 */
export class DownloadRejected extends Rejection<DownloadRejectReason> {
  override name = 'DownloadRejected';
}
