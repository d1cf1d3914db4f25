import type { Release } from '@imagecycle/contracts';

/** Where the signature over a release's checksum is, for the caller to fetch and verify. */
export type SignatureRef =
  | { kind: 'detached'; signedUrl: string; signatureUrl: string }
  | { kind: 'clearsigned'; url: string }
  | { kind: 'none' };

/** A release as a feed describes it; the feed-watcher adds the series and the signature status. */
export type ParsedRelease = Omit<Release, 'series' | 'signature'> & { signatureRef: SignatureRef };
