import { readKeys, type PublicKey } from 'openpgp';
import { TrustConfigError } from './errors.ts';

/** Parsed, immutable trust configuration for one series; build once, reuse. */
export interface TrustAnchor {
  /** Public keys of the keyring (private keys are reduced to their public part). */
  readonly keys: readonly PublicKey[];
  /** Pinned fingerprints, normalised to lowercase hex (primary or subkey). */
  readonly fingerprints: ReadonlySet<string>;
}

export interface LoadTrustOptions {
  /** ASCII-armored keys or keyring files; each entry may hold several keys. */
  armoredKeys?: readonly string[];
  /** Names of the armoredKeys entries in error messages (e.g. their file paths). */
  armoredKeyLabels?: readonly string[];
  /** Binary keyring file contents (e.g. `ubuntu-archive-keyring.gpg`); armored bytes are accepted too. */
  keyrings?: readonly Uint8Array[];
  /** Expected fingerprints (40 or 64 hex digits; spaces, case and a `0x` prefix are normalised). */
  fingerprints: readonly string[];
}

/** Normalises `"ABCD 1234 ..."` / `"0xabcd..."` to 40 (v4) or 64 (v6) lowercase hex digits. */
export function normalizeFingerprint(input: string): string {
  const fp = input.replace(/\s+/gu, '').replace(/^0x/iu, '').toLowerCase();
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/u.test(fp)) {
    throw new TrustConfigError(
      `invalid fingerprint ${JSON.stringify(input)}: expected 40 (or 64) hex digits`,
    );
  }
  return fp;
}

const ARMOR_PREFIX = /^\s*-----BEGIN PGP /u;
const KEY_BLOCK =
  /-----BEGIN PGP (PUBLIC|PRIVATE) KEY BLOCK-----[\s\S]*?-----END PGP \1 KEY BLOCK-----/gu;

/** An exported keyring file often holds several armored blocks one after another. */
async function readArmoredKeyring(text: string): Promise<PublicKey[]> {
  const blocks = [...text.matchAll(KEY_BLOCK)].map((m) => m[0]);
  if (blocks.length === 0) return readKeys({ armoredKeys: text }); // let openpgp explain
  const keys: PublicKey[] = [];
  for (const block of blocks) keys.push(...(await readKeys({ armoredKeys: block })));
  return keys;
}

/**
 * The public keys of a keyring file's contents (armored, several blocks allowed, or binary);
 * private keys are reduced to their public part. A TrustConfigError names `label` when
 * nothing can be read.
 */
export async function readKeyring(text: string | Uint8Array, label: string): Promise<PublicKey[]> {
  const keys = await parseKeyring(text, label);
  return keys.map((key) => (key.isPrivate() ? key.toPublic() : key));
}

/** Every fingerprint (primary keys and subkeys, lowercase hex) of the given keys. */
export function keyringFingerprints(keys: readonly PublicKey[]): Set<string> {
  return new Set(keys.flatMap((k) => k.getKeys().map((c) => c.getFingerprint().toLowerCase())));
}

async function parseKeyring(text: string | Uint8Array, label: string): Promise<PublicKey[]> {
  try {
    if (typeof text === 'string') return await readArmoredKeyring(text);
    const head = new TextDecoder('latin1').decode(text.subarray(0, 64));
    if (ARMOR_PREFIX.test(head)) return await readArmoredKeyring(new TextDecoder().decode(text));
    return await readKeys({ binaryKeys: text });
  } catch (error) {
    throw new TrustConfigError(
      `${label}: cannot read OpenPGP keys: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

/**
 * Parses the operator's keyring and pins. Every pinned fingerprint must name a
 * primary key or subkey of the keyring (a typo would otherwise silently make
 * every signature untrusted).
 */
export async function loadTrust(options: LoadTrustOptions): Promise<TrustAnchor> {
  const sources: { data: string | Uint8Array; label: string }[] = [
    ...(options.armoredKeys ?? []).map((data, i) => ({
      data,
      label: options.armoredKeyLabels?.[i] ?? `armoredKeys[${i}]`,
    })),
    ...(options.keyrings ?? []).map((data, i) => ({ data, label: `keyrings[${i}]` })),
  ];
  if (sources.length === 0) throw new TrustConfigError('no keys given');
  if (options.fingerprints.length === 0) throw new TrustConfigError('no fingerprints pinned');

  const fingerprints = new Set(options.fingerprints.map(normalizeFingerprint));

  const byFingerprint = new Map<string, PublicKey>();
  for (const { data, label } of sources) {
    for (const key of await parseKeyring(data, label)) {
      const pub = key.isPrivate() ? key.toPublic() : key;
      const fp = pub.getFingerprint().toLowerCase();
      const existing = byFingerprint.get(fp);
      // Same key given twice (e.g. keyring + armored export): merge its packets.
      byFingerprint.set(fp, existing === undefined ? pub : await existing.update(pub));
    }
  }
  const keys = [...byFingerprint.values()];

  const known = keyringFingerprints(keys);
  const missing = [...fingerprints].filter((fp) => !known.has(fp));
  if (missing.length > 0) {
    // a labelled single source (a keyring file) is named; otherwise "the keyring"
    const where =
      sources.length === 1 && options.armoredKeyLabels?.[0] !== undefined
        ? options.armoredKeyLabels[0]
        : 'the keyring';
    throw new TrustConfigError(
      `pinned fingerprint(s) not found in ${where}: ${missing.join(', ')}`,
    );
  }

  return Object.freeze({ keys: Object.freeze(keys), fingerprints });
}
