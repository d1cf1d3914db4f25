// Any doubt about the signing key rejects the signature: a good signature is accepted only
// when the key is known to be valid - not revoked, not expired, bound as a signing key - at
// the verification time. An error (or an unreadable answer) while establishing that is a
// rejection that says what could not be established, never a pass.
import type * as OpenPGP from 'openpgp';
import { config, enums, readKey, readPrivateKey, SignaturePacket, type PublicKey } from 'openpgp';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  SignatureError,
  type TrustAnchor,
  verifyClearsigned,
  verifyDetached,
} from '../src/index.ts';
import {
  clearsign,
  generateTestKey,
  revokeTestKey,
  signDetached,
  type TestKey,
} from '../src/testing.ts';

// openpgp as it is, except that a test may tamper with the `verified` promise of the
// signatures `verify` reports (openpgp itself only ever resolves it to true or rejects).
const tamper = vi.hoisted(() => ({
  verified: undefined as undefined | ((original: Promise<true>) => Promise<unknown>),
}));
vi.mock('openpgp', async (importOriginal) => {
  const openpgp = await importOriginal<typeof OpenPGP>();
  return {
    ...openpgp,
    verify: async (options: Parameters<typeof openpgp.verify>[0]) => {
      const result = await openpgp.verify(options);
      const change = tamper.verified;
      if (!change) return result;
      return {
        ...result,
        signatures: result.signatures.map((s) => ({ ...s, verified: change(s.verified) })),
      };
    },
  };
});
afterEach(() => {
  tamper.verified = undefined;
});

const SOURCE = 'testos https://releases.example/SHA256SUMS.gpg';
const SUMS = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 *disk.img\n';

let key: TestKey;
let signature: string;
/** The verification time: the signature was made a minute before it. */
const AT = new Date();

beforeAll(async () => {
  key = await generateTestKey({
    name: 'Upstream Archive',
    email: 'archive@upstream.example',
    date: new Date(AT.getTime() - 3600_000),
  });
  signature = await signDetached(SUMS, key, { date: new Date(AT.getTime() - 60_000) });
});

/** A trust anchor over freshly parsed keys, which a test may then alter. */
async function anchorOf(armored: string, pin = key.fingerprint): Promise<TrustAnchor> {
  const parsed = await readKey({ armoredKey: armored });
  return { keys: [parsed], fingerprints: new Set([pin]) };
}

function primaryOf(anchor: TrustAnchor): PublicKey {
  const found = anchor.keys[0];
  if (!found) throw new Error('no key');
  return found;
}

function subkeyOf(anchor: TrustAnchor) {
  const found = primaryOf(anchor).subkeys[0];
  if (!found) throw new Error('no subkey');
  return found;
}

/** Replaces one method of one object (a parsed key or subkey) for this test. */
function replace<T extends object, K extends keyof T>(object: T, method: K, value: T[K]): void {
  Object.defineProperty(object, method, { value, configurable: true, writable: true });
}

async function rejection(promise: Promise<unknown>): Promise<SignatureError> {
  const outcome = await promise.then(
    (value) => ({ accepted: value }),
    (error: unknown) => ({ error }),
  );
  if ('accepted' in outcome)
    throw new Error(
      `expected a rejection, but the signature was accepted: ${JSON.stringify(outcome.accepted)}`,
    );
  expect(outcome.error).toBeInstanceOf(SignatureError);
  const error = outcome.error as SignatureError;
  expect(error.message).toContain(SOURCE);
  return error;
}

const detached = (trust: TrustAnchor) =>
  verifyDetached({ data: SUMS, signature, trust, source: SOURCE, date: AT });

describe('a key whose status is in doubt rejects the signature', () => {
  it('accepts the same signature when nothing is in doubt (the rejections below are not vacuous)', async () => {
    await expect(detached(await anchorOf(key.armoredPublic))).resolves.toMatchObject({
      primaryFingerprint: key.fingerprint,
      signingKeyFingerprint: key.subkeyFingerprint,
    });
  });

  it('the revocation check of the key throws at the verification time', async () => {
    const anchor = await anchorOf(key.armoredPublic);
    const primary = primaryOf(anchor);
    const isRevoked = primary.isRevoked.bind(primary);
    // openpgp asks at the signature's creation time (and answers); only our check at AT fails
    replace(primary, 'isRevoked', async (sig, signer, date, config) => {
      if (date?.getTime() === AT.getTime()) throw new Error('revocation store unreadable');
      return isRevoked(sig, signer, date, config);
    });
    const error = await rejection(detached(anchor));
    expect(error.reason).toBe('key-status-unknown');
    expect(error.message).toMatch(/could not establish whether .* is revoked/);
    expect(error.message).toContain('revocation store unreadable');
  });

  it('the revocation check of the signing subkey throws', async () => {
    const anchor = await anchorOf(key.armoredPublic);
    const subkey = subkeyOf(anchor);
    replace(subkey, 'isRevoked', () => Promise.reject(new Error('binding unreadable')));
    const error = await rejection(detached(anchor));
    expect(error.reason).toBe('key-status-unknown');
    expect(error.message).toMatch(/could not establish whether subkey .* is revoked/);
  });

  it("the key's expiry cannot be read (throws, or openpgp answers null: revoked or invalid)", async () => {
    for (const answer of [
      () => Promise.reject(new Error('self-signature unreadable')),
      () => Promise.resolve(null),
    ]) {
      const anchor = await anchorOf(key.armoredPublic);
      replace(primaryOf(anchor), 'getExpirationTime', answer);
      const error = await rejection(detached(anchor));
      expect(error.reason).toBe('key-status-unknown');
      expect(error.message).toMatch(/could not establish when key .* expires/);
    }
  });

  it("the signing subkey's expiry cannot be read", async () => {
    for (const answer of [
      () => Promise.reject(new Error('binding unreadable')),
      () => Promise.resolve(null),
    ]) {
      const anchor = await anchorOf(key.armoredPublic);
      replace(subkeyOf(anchor), 'getExpirationTime', answer);
      const error = await rejection(detached(anchor));
      expect(error.reason).toBe('key-status-unknown');
      expect(error.message).toMatch(/could not establish when subkey .* expires/);
    }
  });

  it('a signature whose verified promise rejects, or settles on anything but true', async () => {
    for (const change of [
      () => Promise.reject(new Error('verification aborted')),
      () => Promise.resolve(false),
      () => Promise.resolve(undefined),
    ]) {
      tamper.verified = change;
      const anchor = await anchorOf(key.armoredPublic);
      const error = await rejection(detached(anchor));
      expect(error.message).toContain(key.subkeyFingerprint);
      const clear = await clearsign(SUMS, key, { date: new Date(AT.getTime() - 60_000) });
      await rejection(
        verifyClearsigned({ message: clear, trust: anchor, source: SOURCE, date: AT }),
      );
    }
  });

  it('an expired key, and a revoked key', async () => {
    const born = new Date(AT.getTime() - 3 * 24 * 3600_000);
    const shortLived = await generateTestKey({
      name: 'Old Archive',
      email: 'old@upstream.example',
      date: born,
      expiresInSeconds: 3600,
    });
    const old = await signDetached(SUMS, shortLived, { date: new Date(born.getTime() + 60_000) });
    const expired = await rejection(
      verifyDetached({
        data: SUMS,
        signature: old,
        trust: await anchorOf(shortLived.armoredPublic, shortLived.fingerprint),
        source: SOURCE,
        date: AT,
      }),
    );
    expect(expired.reason).toBe('expired-key');

    const revoked = await rejection(detached(await anchorOf(await revokeTestKey(key))));
    expect(revoked.reason).toBe('revoked-key');
  });

  it('a revocation signature on the key that cannot be verified (openpgp alone would ignore it)', async () => {
    const anchor = await anchorOf(await revokeTestKey(key));
    const [revocation] = primaryOf(anchor).revocationSignatures;
    if (!revocation) throw new Error('no revocation signature');
    // damage it: the digest prefix no longer matches what it signs
    revocation.signedHashValue = revocation.signedHashValue?.map((b) => b ^ 0xff) ?? null;
    const error = await rejection(detached(anchor));
    expect(error.reason).toBe('key-status-unknown');
    expect(error.message).toMatch(/could not establish whether key .* is revoked/);
    expect(error.message).toMatch(/revocation signature .* does not verify/);
  });

  it('a signing subkey without a valid binding', async () => {
    const anchor = await anchorOf(key.armoredPublic);
    subkeyOf(anchor).bindingSignatures = [];
    const error = await rejection(detached(anchor));
    expect(error.message).toContain(key.subkeyFingerprint);
  });

  it('a signing subkey re-bound without the right to sign after the signature was made', async () => {
    // The key's holder re-certified the subkey (same key material) for encryption only, after
    // the signature: openpgp checks the key as it was when it signed; the status now is ours.
    const holder = await readPrivateKey({ armoredKey: key.armoredPrivate });
    const subkeyPacket = holder.subkeys[0]?.keyPacket;
    if (!subkeyPacket) throw new Error('no subkey');
    const binding = new SignaturePacket();
    binding.signatureType = enums.signature.subkeyBinding;
    binding.publicKeyAlgorithm = holder.keyPacket.algorithm;
    binding.hashAlgorithm = enums.hash.sha256;
    binding.keyFlags = [
      enums.keyFlags.encryptCommunication | enums.keyFlags.encryptStorage,
    ] as never;
    const sign = binding.sign.bind(binding) as (
      ...args: [unknown, unknown, Date, boolean, typeof config]
    ) => Promise<void>;
    await sign(
      holder.keyPacket,
      { key: holder.keyPacket, bind: subkeyPacket },
      new Date(AT.getTime() - 30_000),
      false,
      config,
    );
    const anchor = await anchorOf(key.armoredPublic);
    subkeyOf(anchor).bindingSignatures.push(binding);
    const error = await rejection(detached(anchor));
    expect(error.reason).toBe('key-status-unknown');
    expect(error.message).toMatch(/could not establish that subkey .* may sign/);
  });
});
