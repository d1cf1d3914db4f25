// The series' signature policy applied to one signed document: fetch the signature, verify
// it against the series' pinned keys, and hand back only the text that was signed.
import { decodeDocument } from '@imagecycle/feed-formats';
import type { Series } from '@imagecycle/series-catalogue';
import {
  SignatureError,
  type TrustAnchor,
  verifyClearsigned,
  verifyDetached,
} from '@imagecycle/trust';
import type { DocumentFetcher } from './document-fetcher.ts';
import { ReleaseRejected } from './rejection.ts';

export interface Authenticated {
  /** The document's text - for a clearsigned file, only the part inside the signature. */
  text: string;
  signature: { status: 'verified'; signedBy: string } | { status: 'not-required' };
}

export type SignedDocument =
  | { kind: 'detached'; signedUrl: string; signatureUrl: string }
  | { kind: 'clearsigned'; url: string; plainUrl: string };

export interface AuthenticateContext {
  series: Series;
  fetcher: DocumentFetcher;
  /** The series' trust anchor; undefined when its policy is none. */
  trust: TrustAnchor | undefined;
  /** The job's: cancels every fetch. */
  signal?: AbortSignal | undefined;
}

/** `version`, when the release is already known, goes into a rejection. */
export async function authenticate(
  ctx: AuthenticateContext,
  document: SignedDocument,
  version?: string,
): Promise<Authenticated> {
  const { series, fetcher, signal } = ctx;
  // Every document, signed or not, goes through the one decoding (strict UTF-8, one cap).
  const decode = (url: string, bytes: Uint8Array) => decodeDocument(series.feed.kind, url, bytes);
  const policy = series.signature.policy;
  const plainUrl = document.kind === 'detached' ? document.signedUrl : document.plainUrl;
  if (policy === 'none' || !ctx.trust) {
    const plain = await fetcher.fetch(series.id, plainUrl, signal);
    return { text: decode(plainUrl, plain.bytes), signature: { status: 'not-required' } };
  }
  const signatureUrl = document.kind === 'detached' ? document.signatureUrl : document.url;
  const signature = await fetcher.fetchOptional(series.id, signatureUrl, signal);
  if (!signature) {
    if (policy === 'required') {
      throw new ReleaseRejected(
        series.id,
        'signature-missing',
        `${signatureUrl} is not published (policy: required)`,
        version,
      );
    }
    const plain = await fetcher.fetch(series.id, plainUrl, signal);
    return { text: decode(plainUrl, plain.bytes), signature: { status: 'not-required' } };
  }
  try {
    if (document.kind === 'clearsigned') {
      const verified = await verifyClearsigned({
        message: decode(signatureUrl, signature.bytes),
        trust: ctx.trust,
        source: `${series.id} ${signatureUrl}`,
      });
      return {
        text: verified.signedText ?? '',
        signature: { status: 'verified', signedBy: verified.signingKeyFingerprint },
      };
    }
    const signed = await fetcher.fetch(series.id, document.signedUrl, signal);
    const text = decode(document.signedUrl, signed.bytes);
    const verified = await verifyDetached({
      data: signed.bytes,
      signature: signature.bytes,
      trust: ctx.trust,
      source: `${series.id} ${signatureUrl}`,
    });
    return {
      text,
      signature: { status: 'verified', signedBy: verified.signingKeyFingerprint },
    };
  } catch (error) {
    if (error instanceof SignatureError)
      throw new ReleaseRejected(series.id, 'signature-invalid', error.message, version);
    throw error;
  }
}
