import { Rejection } from '@imagecycle/contracts';

export type DownloadRejectReason =
  'checksum-mismatch' | 'uncompressed-checksum-mismatch' | 'signature-invalid' | 'not-a-disk-image';

/** A release whose bytes are not what the upstream promised: nothing of it is kept. */
export class DownloadRejected extends Rejection<DownloadRejectReason> {
  override name = 'DownloadRejected';
}
