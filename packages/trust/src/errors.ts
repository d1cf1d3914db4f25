/** Why an upstream signature was not accepted. */
export type SignatureFailureReason =
  | 'missing'
  | 'malformed'
  | 'bad-signature'
  | 'unknown-key'
  | 'untrusted-key'
  | 'key-status-unknown'
  | 'expired-key'
  | 'revoked-key';

export const SIGNATURE_FAILURE_REASONS: readonly SignatureFailureReason[] = [
  'missing',
  'malformed',
  'bad-signature',
  'unknown-key',
  'untrusted-key',
  'key-status-unknown',
  'expired-key',
  'revoked-key',
];

const REASON_TEXT: Record<SignatureFailureReason, string> = {
  missing: 'signature or signed data is missing (empty input)',
  malformed: 'signature or signed message is malformed',
  'bad-signature': 'signature does not match the data (modified or forged)',
  'unknown-key': 'signed by a key that is not in the keyring',
  'untrusted-key': 'signed by a key in the keyring whose fingerprint is not pinned',
  'key-status-unknown':
    "the signing key's validity (revocation, expiry, binding) could not be established",
  'expired-key': 'signing key is expired',
  'revoked-key': 'signing key is revoked',
};

/** The only error type thrown by `verifyDetached` / `verifyClearsigned`. */
export class SignatureError extends Error {
  override readonly name = 'SignatureError';
  readonly reason: SignatureFailureReason;
  readonly source: string;
  readonly detail: string | undefined;

  constructor(
    reason: SignatureFailureReason,
    source: string,
    detail?: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${source}: signature rejected (${reason}): ${REASON_TEXT[reason]}` +
        (detail !== undefined && detail !== '' ? `: ${detail}` : ''),
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
    this.reason = reason;
    this.source = source;
    this.detail = detail;
  }
}

/** Thrown by `loadTrust` when the operator-provided keyring or pins are unusable. */
export class TrustConfigError extends Error {
  override readonly name = 'TrustConfigError';
}

export function isSignatureError(value: unknown): value is SignatureError {
  return value instanceof SignatureError;
}
