// Test helpers (unit tests and the local upstream mirror): throwaway keys and
// signatures shaped like the ones distributions publish. Never use for real trust.
import {
  createCleartextMessage,
  createMessage,
  generateKey,
  readPrivateKey,
  revokeKey,
  sign,
  type PrivateKey,
} from 'openpgp';

export interface TestKey {
  armoredPublic: string;
  armoredPrivate: string;
  /** Primary key fingerprint, 40 lowercase hex digits. */
  fingerprint: string;
  /** Fingerprint of the signing subkey (the key that actually makes signatures). */
  subkeyFingerprint: string;
}

export interface GenerateTestKeyOptions {
  name: string;
  email: string;
  /** Key (and subkey) lifetime from `date`; default: never expires. */
  expiresInSeconds?: number;
  /** Key creation time (default: now). */
  date?: Date;
}

/**
 * An ed25519 primary key (certify) with an ed25519 signing subkey, like the
 * archive keys of most distributions: signatures are made by the subkey.
 */
export async function generateTestKey(options: GenerateTestKeyOptions): Promise<TestKey> {
  const { privateKey } = await generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name: options.name, email: options.email }],
    subkeys: [{ sign: true }],
    format: 'object',
    ...(options.expiresInSeconds === undefined
      ? {}
      : { keyExpirationTime: options.expiresInSeconds }),
    ...(options.date === undefined ? {} : { date: options.date }),
  });
  const subkey = privateKey.subkeys[0];
  if (subkey === undefined) throw new Error('generateTestKey: no subkey generated');
  return {
    armoredPublic: privateKey.toPublic().armor(),
    armoredPrivate: privateKey.armor(),
    fingerprint: privateKey.getFingerprint().toLowerCase(),
    subkeyFingerprint: subkey.getFingerprint().toLowerCase(),
  };
}

type KeyInput = TestKey | string;

async function privateKeyOf(key: KeyInput): Promise<PrivateKey> {
  return readPrivateKey({ armoredKey: typeof key === 'string' ? key : key.armoredPrivate });
}

export interface SignOptions {
  /** Signature creation time (default: now); must lie within the key's validity. */
  date?: Date;
}

/** Detached signature over `data`: armored by default (`.asc`/`.gpg`-style), binary with `armor: false`. */
export async function signDetached(
  data: Uint8Array | string,
  key: KeyInput,
  options?: SignOptions & { armor?: true },
): Promise<string>;
export async function signDetached(
  data: Uint8Array | string,
  key: KeyInput,
  options: SignOptions & { armor: false },
): Promise<Uint8Array>;
export async function signDetached(
  data: Uint8Array | string,
  key: KeyInput,
  options?: SignOptions & { armor?: boolean },
): Promise<string | Uint8Array>;
export async function signDetached(
  data: Uint8Array | string,
  key: KeyInput,
  options: SignOptions & { armor?: boolean } = {},
): Promise<string | Uint8Array> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const message = await createMessage({ binary: bytes });
  const signingKeys = await privateKeyOf(key);
  const date = options.date ?? new Date();
  // openpgp's return types degrade to `any` without the DOM lib (stream types); check instead.
  const signature: unknown =
    options.armor === false
      ? await sign({ message, signingKeys, detached: true, format: 'binary', date })
      : await sign({ message, signingKeys, detached: true, format: 'armored', date });
  if (typeof signature !== 'string' && !(signature instanceof Uint8Array)) {
    throw new TypeError('signDetached: unexpected signature type from openpgp');
  }
  return signature;
}

/** Clearsigned message (`-----BEGIN PGP SIGNED MESSAGE-----`), like CentOS `CHECKSUM` or Flatcar `DIGESTS.asc`. */
export async function clearsign(
  text: string,
  key: KeyInput,
  options: SignOptions = {},
): Promise<string> {
  const message = await createCleartextMessage({ text });
  const signingKeys = await privateKeyOf(key);
  return sign({ message, signingKeys, date: options.date ?? new Date() });
}

/** The key's public part with a (hard) revocation certificate applied. */
export async function revokeTestKey(key: KeyInput, options: SignOptions = {}): Promise<string> {
  const { publicKey } = await revokeKey({
    key: await privateKeyOf(key),
    format: 'armored',
    date: options.date ?? new Date(),
  });
  return publicKey;
}
