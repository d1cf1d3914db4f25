// The series' signature policy applied to one signed document: fetch the signature, verify
// it against the series' pinned keys, and hand back only the text that was signed.
// `optional` is a policy for upstreams that may not sign, not a way out for one that did:
// once a series was seen signed, a signature that goes missing is a downgrade, refused.
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
import type { SignedSeries } from './signed-series.ts';

export interface Authenticated {
  /** The document's text - for a clearsigned file, only the part inside the signature. */
  text: string;
  signature: { status: 'verified'; signedBy: string } | { status: 'not-required' };
}

export type SignedDocument =
  | { kind: 'detached'; signedUrl: string; signatureUrl: string }
  | { kind: 'clearsigned'; url: string; plainUrl: string };

/** What a reader fetches with (the DocumentFetcher, or a guard around it). */
export type FeedFetcher = Pick<DocumentFetcher, 'fetch' | 'fetchOptional'>;

export interface AuthenticateContext {
  series: Series;
  fetcher: FeedFetcher;
  /** Which series were seen signed: an `optional` one that was is held to it (default: none). */
  signed?: SignedSeries | undefined;
  now?: (() => Date) | undefined;
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
  if (policy === 'none') {
    const plain = await fetcher.fetch(series.id, plainUrl, signal);
    return { text: decode(plainUrl, plain.bytes), signature: { status: 'not-required' } };
  }
  // The catalogue demands keys for required and optional alike: a policy without them would
  // be a policy silently ignored.
  if (!ctx.trust)
    throw new Error(
      `series ${series.id}: signature policy "${policy}" but no trusted keys (keyring and fingerprints)`,
    );
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
    await refuseDowngrade(ctx, `${signatureUrl} is not published`, version);
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
      await markSigned(ctx);
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
    await markSigned(ctx);
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

/**
 * An `optional` series without a signature this time: refused when it was seen signed before
 * (the signature file withdrawn, or stripped on the way), accepted unsigned otherwise.
 */
export async function refuseDowngrade(
  ctx: AuthenticateContext,
  what: string,
  version?: string,
): Promise<void> {
  const since = await ctx.signed?.seenSigned(ctx.series.id);
  if (since === undefined) return;
  throw new ReleaseRejected(
    ctx.series.id,
    'signature-downgrade',
    `${what}, but the series has been seen signed since ${since.slice(0, 10)}: policy optional does not let a signed series become unsigned`,
    version,
  );
}

/** Remembers that the series was seen signed (a verified signature, or one the downloader must verify). */
export async function markSigned(ctx: AuthenticateContext): Promise<void> {
  await ctx.signed?.markSigned(ctx.series.id, ctx.now?.() ?? new Date());
}
