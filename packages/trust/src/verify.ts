import { type FileHandle, open, stat } from 'node:fs/promises';
import { ReadableStream } from 'node:stream/web';
import {
  config as openpgpConfig,
  createMessage,
  enums,
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
  'key-status-unknown': 5,
  'expired-key': 6,
  'revoked-key': 7,
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

/** A verdict on the signing key, or what could not be established about it. */
interface KeyVerdict {
  reason: 'revoked-key' | 'expired-key' | 'key-status-unknown';
  detail: string;
}

function doubt(what: string, error?: unknown): KeyVerdict {
  return {
    reason: 'key-status-unknown',
    detail: `could not establish ${what}` + (error === undefined ? '' : `: ${messageOf(error)}`),
  };
}

/**
 * A revocation signature by the primary key that does not verify. openpgp ignores such a
 * signature when it answers isRevoked; here it is a doubt: the key may well be revoked.
 */
async function unverifiableRevocation(
  key: PublicKey,
  component: Component,
): Promise<KeyVerdict | undefined> {
  const primary = key.keyPacket;
  const sets: {
    who: string;
    type: enums.signature;
    data: object;
    signatures: readonly SignaturePacket[];
  }[] = [
    {
      who: `key ${key.getFingerprint().toLowerCase()}`,
      type: enums.signature.keyRevocation,
      data: { key: primary },
      signatures: key.revocationSignatures,
    },
  ];
  if (!isPrimary(key, component)) {
    const subkey = component as Subkey;
    sets.push({
      who: `subkey ${subkey.getFingerprint().toLowerCase()}`,
      type: enums.signature.subkeyRevocation,
      data: { key: primary, bind: subkey.keyPacket },
      signatures: subkey.revocationSignatures,
    });
  }
  for (const { who, type, data, signatures } of sets) {
    for (const signature of signatures) {
      // A third party's revocation is never counted (openpgp refuses keys that authorise
      // one); a wildcard issuer may be the primary, so it is checked.
      if (!signature.issuerKeyID.equals(primary.getKeyID(), true)) continue;
      try {
        // No date (null): whether the primary made it at all, whenever it takes effect - the
        // time it takes effect is isRevoked's business, answered above.
        await signature.verify(primary, type, data, null as unknown as Date, false, openpgpConfig);
      } catch (error) {
        return doubt(
          `whether ${who} is revoked: a revocation signature on it does not verify (${messageOf(error)})`,
        );
      }
    }
  }
  return undefined;
}

/** When a key or subkey expires; anything but a date or "never" is a doubt. */
async function expiry(
  who: string,
  read: () => Promise<Date | number | null>,
): Promise<Date | KeyVerdict | undefined> {
  let expires: Date | number | null;
  try {
    expires = await read();
  } catch (error) {
    return doubt(`when ${who} expires`, error);
  }
  if (expires instanceof Date && !Number.isNaN(expires.getTime())) return expires;
  if (expires === Infinity) return undefined;
  return doubt(
    `when ${who} expires: openpgp finds no valid self-signature or binding for it (${String(expires)})`,
  );
}

/**
 * What is known of the signing key at each of the given times: revoked, expired, or in doubt
 * (any check that throws or answers something unreadable); undefined only when every check
 * affirmatively passed - not revoked, not expired, and a valid signing key at each time.
 */
async function keyStatus(
  candidate: Candidate,
  dates: readonly Date[],
): Promise<KeyVerdict | undefined> {
  const { key, component } = candidate;
  const who = describe(candidate);
  const primaryWho = `key ${key.getFingerprint().toLowerCase()}`;
  const subkey = isPrimary(key, component) ? undefined : (component as Subkey);

  for (const date of dates) {
    let revoked: boolean;
    try {
      revoked = await isRevoked(key, component, date);
    } catch (error) {
      return doubt(`whether ${who} is revoked at ${date.toISOString()}`, error);
    }
    if (revoked) return { reason: 'revoked-key', detail: `${who} at ${date.toISOString()}` };
  }
  const unverifiable = await unverifiableRevocation(key, component);
  if (unverifiable) return unverifiable;

  for (const date of dates) {
    const checks = [() => expiry(primaryWho, () => key.getExpirationTime())];
    if (subkey) {
      const subkeyWho = `subkey ${subkey.getFingerprint().toLowerCase()}`;
      checks.push(() => expiry(subkeyWho, () => subkey.getExpirationTime(date)));
    }
    for (const check of checks) {
      const expires = await check();
      if (expires === undefined) continue;
      if (!(expires instanceof Date)) return expires;
      if (expires.getTime() <= date.getTime())
        return { reason: 'expired-key', detail: `${who} at ${date.toISOString()}` };
    }
  }

  // Bound as a signing key (valid binding, back-signature, flags) at each time, as openpgp
  // itself checks at the signature's creation time only.
  for (const date of dates) {
    try {
      const signing = await key.getSigningKey(component.getKeyID(), date);
      if (!signing.getKeyID().equals(component.getKeyID()))
        return doubt(`that ${who} may sign: openpgp offers another signing key`);
    } catch (error) {
      return doubt(`that ${who} may sign at ${date.toISOString()}`, error);
    }
  }
  return undefined;
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
 * require the signing key to be neither revoked nor expired at `date`, and still
 * bound as a signing key then. Any doubt rejects: a check that throws or gives an
 * unreadable answer is a `key-status-unknown` failure saying what could not be
 * established, never a pass.
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
    let verdict: unknown;
    try {
      verdict = await result.verified;
    } catch (error) {
      // Rejected: say why as precisely as the key's status allows.
      const status = await keyStatus(candidate, created ? [created, date] : [date]);
      note(
        fail(
          status?.reason ?? 'bad-signature',
          source,
          `${describe(candidate)}: ${messageOf(error)}` + (status ? `; ${status.detail}` : ''),
          error,
        ),
      );
      continue;
    }
    if (verdict !== true) {
      note(
        fail(
          'bad-signature',
          source,
          `${describe(candidate)}: could not establish that the signature is valid (openpgp's verification settled on ${String(verdict)})`,
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
      note(fail(status.reason, source, status.detail));
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
