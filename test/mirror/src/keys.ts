// Test OpenPGP keys and signing. Mirrors the planned `@imagecycle/signatures/testing` API
// (generateTestKey / signDetached / clearsign) on `openpgp` directly, so the mirror can
// switch to that package once it exists without changing its callers.
import * as openpgp from 'openpgp';

export interface TestKey {
  name: string;
  email: string;
  /** Primary key fingerprint, 40 upper-case hex digits. */
  fingerprint: string;
  /** Fingerprint of the signing subkey (the one that makes the signatures). */
  subkeyFingerprint: string;
  armoredPublic: string;
  armoredPrivate: string;
  privateKey: openpgp.PrivateKey;
}

export interface TestKeyOptions {
  name: string;
  email: string;
  expiresInSeconds?: number;
}

/** An ed25519 primary key (certify) with an ed25519 signing subkey, as v4 keys (gpg 2.2 reads them). */
export async function generateTestKey(options: TestKeyOptions): Promise<TestKey> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'ed25519Legacy',
    userIDs: [{ name: options.name, email: options.email }],
    subkeys: [{ sign: true }],
    keyExpirationTime: options.expiresInSeconds ?? 0,
    format: 'object',
  });
  const subkey = privateKey.subkeys[0];
  if (!subkey) throw new Error('openpgp generated no subkey');
  return {
    name: options.name,
    email: options.email,
    fingerprint: privateKey.getFingerprint().toUpperCase(),
    subkeyFingerprint: subkey.getFingerprint().toUpperCase(),
    armoredPublic: publicKey.armor(),
    armoredPrivate: privateKey.armor(),
    privateKey,
  };
}

export function signDetached(
  data: Uint8Array | string,
  key: TestKey,
  options: { armor: false },
): Promise<Uint8Array>;
export function signDetached(
  data: Uint8Array | string,
  key: TestKey,
  options?: { armor?: true },
): Promise<string>;
export async function signDetached(
  data: Uint8Array | string,
  key: TestKey,
  options: { armor?: boolean } = {},
): Promise<string | Uint8Array> {
  const binary = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const message = await openpgp.createMessage({ binary });
  // openpgp's stream-aware return types resolve to `any` here: check what came back
  const signingKeys = key.privateKey;
  const signature: unknown =
    options.armor === false
      ? await openpgp.sign({ message, signingKeys, detached: true, format: 'binary' })
      : await openpgp.sign({ message, signingKeys, detached: true, format: 'armored' });
  if (
    options.armor === false ? !(signature instanceof Uint8Array) : typeof signature !== 'string'
  ) {
    throw new Error('openpgp.sign returned an unexpected type');
  }
  return signature as string | Uint8Array;
}

/**
 * A clearsigned document over `text`. openpgp.js writes the signed text with CRLF line
 * ends; real upstream files use LF, and the signature is over the canonical (CRLF) form
 * either way, so the text is written back with LF.
 */
export async function clearsign(text: string, key: TestKey): Promise<string> {
  const message = await openpgp.createCleartextMessage({ text });
  const signed = await openpgp.sign({ message, signingKeys: key.privateKey, format: 'armored' });
  return signed.replace(/\r\n/g, '\n');
}

/** One armored block holding all the given public keys (a keyring file). */
export async function armoredKeyring(keys: readonly TestKey[]): Promise<string> {
  const parts = await Promise.all(
    keys.map((k) => openpgp.readKey({ armoredKey: k.armoredPublic })),
  );
  const bytes = parts.map((k) => k.write());
  const total = bytes.reduce((n, b) => n + b.length, 0);
  const all = new Uint8Array(total);
  let offset = 0;
  for (const b of bytes) {
    all.set(b, offset);
    offset += b.length;
  }
  // with the CRC24 line, as openpgp.js writes single v4 keys: GnuPG 2.2 misreads an
  // unpadded armor body without it
  return openpgp.armor(openpgp.enums.armor.publicKey, all, undefined, undefined, undefined, true);
}
