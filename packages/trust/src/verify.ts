import { type FileHandle, open, stat } from 'node:fs/promises';
import { ReadableStream } from 'node:stream/web';
import {
  createMessage,
  readCleartextMessage,
  readSignature,
  verify,
  type AnyKeyPacket,
  type KeyID,
  type PublicKey,
  type Signature,
  type SignaturePacket,
  type Subkey,
} from 'openpgp';
import { SignatureError, type SignatureFailureReason } from './errors.ts';
import { ARMORED_SIGNATURE_HEADER, CLEARSIGN_HEADER, sniffSignature } from './sniff.ts';
import type { TrustAnchor } from './trust.ts';

export interface VerifiedSignature {
  /** Fingerprint (lowercase hex) of the key that made the signature: primary or subkey. */
  signingKeyFingerprint: string;
  /** Fingerprint (lowercase hex) of the primary key the signing key belongs to. */
  primaryFingerprint: string;
  /** Signature creation time. */
  created: Date;
  /** Clearsigned only: the signed text and nothing else. */
  signedText?: string;
}

export interface VerifyDetachedOptions {
  data: Uint8Array | string;
  signature: Uint8Array | string;
  trust: TrustAnchor;
  /** Label used in error messages, e.g. "ubuntu-24.04 https://.../SHA256SUMS.gpg". */
  source: string;
  /** Verification time (default: now). */
  date?: Date;
}

export interface VerifyClearsignedOptions {
  message: string | Uint8Array;
  trust: TrustAnchor;
  source: string;
  date?: Date;
}

type Component = PublicKey | Subkey;

interface Candidate {
  key: PublicKey;
  component: Component;
  trusted: boolean;
}

interface VerificationLike {
  keyID: KeyID;
  verified: Promise<true>;
  signature: Promise<Signature>;
}

const RANK: Record<SignatureFailureReason, number> = {
  missing: 0,
  malformed: 1,
  'unknown-key': 2,
  'untrusted-key': 3,
  'bad-signature': 4,
  'expired-key': 5,
  'revoked-key': 6,
};

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function fail(
  reason: SignatureFailureReason,
  source: string,
  detail?: string,
  cause?: unknown,
): SignatureError {
  return new SignatureError(reason, source, detail, cause === undefined ? undefined : { cause });
}

function isEmpty(value: Uint8Array | string): boolean {
  return typeof value === 'string' ? value.trim() === '' : value.length === 0;
}

function decodeUtf8(bytes: Uint8Array, source: string, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw fail('malformed', source, `${what} is not valid UTF-8`, error);
  }
}

function isPrimary(key: PublicKey, component: Component): boolean {
  return component.getFingerprint() === key.getFingerprint();
}

// Subkey#isRevoked declares its first two parameters as required, yet (like
// Key#isRevoked) treats absent ones as "any revocation signature by the primary".
interface LooselyRevocable {
  isRevoked(signature?: SignaturePacket, key?: AnyKeyPacket, date?: Date): Promise<boolean>;
}

async function isRevoked(key: PublicKey, component: Component, date: Date): Promise<boolean> {
  if (await key.isRevoked(undefined, undefined, date)) return true;
  if (isPrimary(key, component)) return false;
  return (component as unknown as LooselyRevocable).isRevoked(undefined, undefined, date);
}

async function expiredAt(key: PublicKey, component: Component, date: Date): Promise<boolean> {
  const expiries: (Date | number | null)[] = [await key.getExpirationTime()];
  if (!isPrimary(key, component))
    expiries.push(await (component as Subkey).getExpirationTime(date));
  return expiries.some((e) => e instanceof Date && e.getTime() <= date.getTime());
}

/** Revocation / expiry of the signing key, at any of the given times. */
async function keyStatus(
  candidate: Candidate,
  dates: readonly Date[],
): Promise<'revoked-key' | 'expired-key' | undefined> {
  try {
    for (const d of dates) {
      if (await isRevoked(candidate.key, candidate.component, d)) return 'revoked-key';
    }
    for (const d of dates) {
      if (await expiredAt(candidate.key, candidate.component, d)) return 'expired-key';
    }
    return undefined;
  } catch {
    return undefined;
  }
}

function findCandidates(trust: TrustAnchor, keyID: KeyID): Candidate[] {
  const found: Candidate[] = [];
  for (const key of trust.keys) {
    for (const component of key.getKeys(keyID)) {
      const trusted =
        trust.fingerprints.has(key.getFingerprint().toLowerCase()) ||
        trust.fingerprints.has(component.getFingerprint().toLowerCase());
      found.push({ key, component, trusted });
    }
  }
  return found;
}

function describe(candidate: Candidate): string {
  const primary = candidate.key.getFingerprint().toLowerCase();
  const signing = candidate.component.getFingerprint().toLowerCase();
  const uid = candidate.key.getUserIDs()[0];
  return (
    (signing === primary ? `key ${primary}` : `subkey ${signing} of key ${primary}`) +
    (uid === undefined ? '' : ` (${uid})`)
  );
}

/**
 * Shared policy: pick the signatures made by pinned keys, let openpgp check
 * them cryptographically (key validity at signing time included), then also
 * require the signing key to be neither revoked nor expired at `date`.
 * Succeeds if any signature passes; otherwise reports the most specific failure.
 */
async function verifyWith(
  keyIDs: readonly KeyID[],
  trust: TrustAnchor,
  source: string,
  date: Date,
  run: (keys: PublicKey[]) => Promise<VerificationLike[]>,
): Promise<Omit<VerifiedSignature, 'signedText'>> {
  if (keyIDs.length === 0) throw fail('malformed', source, 'no signature packets found');

  const candidates = keyIDs.flatMap((id) => findCandidates(trust, id));
  if (candidates.length === 0) {
    throw fail(
      'unknown-key',
      source,
      `issuer key ID(s) ${keyIDs.map((k) => k.toHex()).join(', ')}`,
    );
  }
  const trusted = candidates.filter((c) => c.trusted);
  if (trusted.length === 0) {
    throw fail('untrusted-key', source, candidates.map(describe).join('; '));
  }

  const keys = [...new Set(trusted.map((c) => c.key))];
  const results = await run(keys);

  let worst: SignatureError | undefined;
  const note = (error: SignatureError): void => {
    if (worst === undefined || RANK[error.reason] > RANK[worst.reason]) worst = error;
  };

  for (const result of results) {
    const candidate = trusted.find((c) => c.component.getKeyID().equals(result.keyID));
    if (candidate === undefined) continue;
    const packet = await result.signature.then(
      (s) => s.packets[0],
      () => undefined,
    );
    const created = packet?.created ?? undefined;
    try {
      await result.verified;
    } catch (error) {
      const status = await keyStatus(candidate, created ? [created, date] : [date]);
      note(
        fail(
          status ?? 'bad-signature',
          source,
          `${describe(candidate)}: ${messageOf(error)}`,
          error,
        ),
      );
      continue;
    }
    if (!created) {
      note(fail('malformed', source, `${describe(candidate)}: signature has no creation time`));
      continue;
    }
    const status = await keyStatus(candidate, [date]);
    if (status !== undefined) {
      note(fail(status, source, `${describe(candidate)} at ${date.toISOString()}`));
      continue;
    }
    return {
      signingKeyFingerprint: candidate.component.getFingerprint().toLowerCase(),
      primaryFingerprint: candidate.key.getFingerprint().toLowerCase(),
      created,
    };
  }
  throw worst ?? fail('bad-signature', source, 'no signature by a pinned key could be verified');
}

async function guard<T>(source: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof SignatureError) throw error;
    throw fail('malformed', source, messageOf(error), error);
  }
}

async function parseDetachedSignature(
  signature: Uint8Array | string,
  source: string,
): Promise<Signature> {
  let armored: string | undefined;
  if (typeof signature === 'string') {
    armored = signature;
  } else {
    const kind = sniffSignature(signature);
    if (kind === 'clearsigned') {
      throw fail('malformed', source, 'expected a detached signature, got a clearsigned message');
    }
    if (kind === 'detached-armored') armored = decodeUtf8(signature, source, 'armored signature');
  }
  if (armored !== undefined && !armored.includes(ARMORED_SIGNATURE_HEADER)) {
    throw fail('malformed', source, 'no "-----BEGIN PGP SIGNATURE-----" block');
  }
  try {
    return armored !== undefined
      ? await readSignature({ armoredSignature: armored })
      : await readSignature({ binarySignature: signature as Uint8Array });
  } catch (error) {
    throw fail('malformed', source, `cannot parse signature: ${messageOf(error)}`, error);
  }
}

/** Verifies a detached signature (armored or binary) over `data` against pinned keys. */
export async function verifyDetached(options: VerifyDetachedOptions): Promise<VerifiedSignature> {
  const { source, trust } = options;
  const date = options.date ?? new Date();
  return guard(source, async () => {
    if (isEmpty(options.signature)) throw fail('missing', source, 'empty signature');
    if (isEmpty(options.data)) throw fail('missing', source, 'empty signed data');

    const signature = await parseDetachedSignature(options.signature, source);
    const bytes =
      typeof options.data === 'string' ? new TextEncoder().encode(options.data) : options.data;
    const message = await createMessage({ binary: bytes });

    return verifyWith(signature.getSigningKeyIDs(), trust, source, date, async (keys) => {
      const { signatures } = await verify({
        message,
        signature,
        verificationKeys: keys,
        date,
        format: 'binary',
      });
      return signatures;
    });
  });
}

/**
 * Verifies a detached signature over a file of any size (an image the upstream signs
 * itself): the file is streamed through openpgp's hash, never held in memory.
 */
export async function verifyDetachedFile(
  options: Omit<VerifyDetachedOptions, 'data'> & { path: string },
): Promise<VerifiedSignature> {
  const { source, trust } = options;
  const date = options.date ?? new Date();
  return guard(source, async () => {
    if (isEmpty(options.signature)) throw fail('missing', source, 'empty signature');
    if ((await stat(options.path)).size === 0) throw fail('missing', source, 'empty signed file');
    const signature = await parseDetachedSignature(options.signature, source);
    return verifyWith(signature.getSigningKeyIDs(), trust, source, date, async (keys) => {
      const file = await open(options.path, 'r');
      try {
        const message = await createMessage({ binary: fileStream(file) });
        const result = await verify({
          message,
          signature,
          verificationKeys: keys,
          date,
          format: 'binary',
        });
        // Reading the data through is what feeds the hash; only then can `verified` settle.
        const reader = (result.data as ReadableStream<Uint8Array>).getReader();
        while (!(await reader.read()).done) {
          /* drain */
        }
        return result.signatures;
      } finally {
        await file.close();
      }
    });
  });
}

/** A web stream over a file, pulled 1 MiB at a time. */
function fileStream(file: FileHandle): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const buffer = new Uint8Array(1 << 20);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) controller.close();
      else controller.enqueue(buffer.subarray(0, bytesRead));
    },
  });
}

/**
 * Verifies a clearsigned message against pinned keys. Only the text inside the
 * signed block is returned; anything around the block is discarded.
 */
export async function verifyClearsigned(
  options: VerifyClearsignedOptions,
): Promise<VerifiedSignature & { signedText: string }> {
  const { source, trust } = options;
  const date = options.date ?? new Date();
  return guard(source, async () => {
    if (isEmpty(options.message)) throw fail('missing', source, 'empty message');
    const text =
      typeof options.message === 'string'
        ? options.message
        : decodeUtf8(options.message, source, 'clearsigned message');
    if (!text.includes(CLEARSIGN_HEADER)) {
      throw fail('malformed', source, `no "${CLEARSIGN_HEADER}" block`);
    }

    let message;
    try {
      message = await readCleartextMessage({ cleartextMessage: text });
    } catch (error) {
      throw fail(
        'malformed',
        source,
        `cannot parse clearsigned message: ${messageOf(error)}`,
        error,
      );
    }

    const result = await verifyWith(
      message.getSigningKeyIDs(),
      trust,
      source,
      date,
      async (keys) => {
        const { signatures } = await verify({ message, verificationKeys: keys, date });
        return signatures;
      },
    );
    return { ...result, signedText: message.getText() };
  });
}
