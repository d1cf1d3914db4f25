import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  SignatureError,
  TrustConfigError,
  loadTrust,
  normalizeFingerprint,
  sniffSignature,
  verifyClearsigned,
  verifyDetached,
  type SignatureFailureReason,
  type TrustAnchor,
} from '../src/index.ts';
import {
  clearsign,
  generateTestKey,
  revokeTestKey,
  signDetached,
  type TestKey,
} from '../src/testing.ts';

const SOURCE = 'ubuntu-24.04 https://releases.example/24.04/SHA256SUMS.gpg';
const SUMS =
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 *ubuntu-24.04-server-cloudimg-amd64.img\n' +
  '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03 *ubuntu-24.04-server-cloudimg-arm64.img\n';

async function rejection(promise: Promise<unknown>): Promise<SignatureError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SignatureError);
    return error as SignatureError;
  }
  throw new Error('expected a SignatureError, but verification succeeded');
}

async function expectReason(
  promise: Promise<unknown>,
  reason: SignatureFailureReason,
): Promise<SignatureError> {
  const error = await rejection(promise);
  expect(error.reason).toBe(reason);
  expect(error.message).toContain(SOURCE);
  expect(error.message).toContain(reason);
  return error;
}

let upstream: TestKey;
let stranger: TestKey;
let trust: TrustAnchor;

beforeAll(async () => {
  const date = new Date(Date.now() - 24 * 3600_000);
  [upstream, stranger] = await Promise.all([
    generateTestKey({ name: 'Upstream Archive', email: 'archive@upstream.example', date }),
    generateTestKey({ name: 'Stranger', email: 'stranger@elsewhere.example', date }),
  ]);
  trust = await loadTrust({
    armoredKeys: [upstream.armoredPublic],
    fingerprints: [upstream.fingerprint],
  });
});

describe('sniffSignature', () => {
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
  it('recognises the three shapes', async () => {
    expect(sniffSignature(enc(await clearsign(SUMS, upstream)))).toBe('clearsigned');
    expect(sniffSignature(enc(await signDetached(SUMS, upstream)))).toBe('detached-armored');
    expect(sniffSignature(await signDetached(SUMS, upstream, { armor: false }))).toBe(
      'detached-binary',
    );
    expect(sniffSignature(enc('\n  -----BEGIN PGP SIGNATURE-----\n'))).toBe('detached-armored');
    expect(sniffSignature(new Uint8Array())).toBe('detached-binary');
  });
});

describe('generateTestKey', () => {
  it('returns lowercase 40-hex fingerprints for a primary key and a distinct signing subkey', () => {
    expect(upstream.fingerprint).toMatch(/^[0-9a-f]{40}$/u);
    expect(upstream.subkeyFingerprint).toMatch(/^[0-9a-f]{40}$/u);
    expect(upstream.subkeyFingerprint).not.toBe(upstream.fingerprint);
  });
});

describe('loadTrust', () => {
  it('normalises fingerprints (spaces, case, 0x)', () => {
    const spaced = upstream.fingerprint.toUpperCase().replace(/(.{4})/gu, '$1 ');
    expect(normalizeFingerprint(spaced)).toBe(upstream.fingerprint);
    expect(normalizeFingerprint(`0x${upstream.fingerprint}`)).toBe(upstream.fingerprint);
    expect(() => normalizeFingerprint('abcd')).toThrow(TrustConfigError);
  });

  it('rejects a pin that is not in the keyring, and unreadable keys', async () => {
    await expect(
      loadTrust({ armoredKeys: [upstream.armoredPublic], fingerprints: [stranger.fingerprint] }),
    ).rejects.toThrow(TrustConfigError);
    await expect(
      loadTrust({ armoredKeys: ['not a key'], fingerprints: [upstream.fingerprint] }),
    ).rejects.toThrow(TrustConfigError);
  });

  it('accepts a keyring file holding several keys, with a spaced uppercase pin', async () => {
    const anchor = await loadTrust({
      armoredKeys: [`${stranger.armoredPublic}\n${upstream.armoredPublic}`],
      fingerprints: [upstream.fingerprint.toUpperCase().replace(/(.{4})/gu, '$1 ')],
    });
    expect(anchor.keys).toHaveLength(2);
    const sig = await signDetached(SUMS, upstream);
    const result = await verifyDetached({
      data: SUMS,
      signature: sig,
      trust: anchor,
      source: SOURCE,
    });
    expect(result.primaryFingerprint).toBe(upstream.fingerprint);
  });
});

describe('verifyDetached', () => {
  it('accepts a good armored signature and reports the signing subkey and creation time', async () => {
    const created = new Date(Date.now() - 60_000);
    created.setMilliseconds(0);
    const signature = await signDetached(SUMS, upstream, { date: created });
    const result = await verifyDetached({ data: SUMS, signature, trust, source: SOURCE });
    expect(result.primaryFingerprint).toBe(upstream.fingerprint);
    expect(result.signingKeyFingerprint).toBe(upstream.subkeyFingerprint);
    expect(result.created.getTime()).toBe(created.getTime());
    expect(result.signedText).toBeUndefined();
  });

  it('accepts a good binary signature over bytes (and armored bytes)', async () => {
    const data = new TextEncoder().encode(SUMS);
    const binary = await signDetached(data, upstream, { armor: false });
    expect(binary).toBeInstanceOf(Uint8Array);
    const result = await verifyDetached({ data, signature: binary, trust, source: SOURCE });
    expect(result.signingKeyFingerprint).toBe(upstream.subkeyFingerprint);
    const armoredBytes = new TextEncoder().encode(await signDetached(data, upstream));
    await expect(
      verifyDetached({ data, signature: armoredBytes, trust, source: SOURCE }),
    ).resolves.toMatchObject({ primaryFingerprint: upstream.fingerprint });
  });

  it('accepts a file carrying several signatures if one is by a pinned key (Ubuntu style)', async () => {
    const theirs = await signDetached(SUMS, stranger, { armor: false });
    const ours = await signDetached(SUMS, upstream, { armor: false });
    const both = Uint8Array.from([...theirs, ...ours]);
    const result = await verifyDetached({ data: SUMS, signature: both, trust, source: SOURCE });
    expect(result.primaryFingerprint).toBe(upstream.fingerprint);
    await expectReason(
      verifyDetached({ data: SUMS, signature: theirs, trust, source: SOURCE }),
      'unknown-key',
    );
  });

  it('rejects data modified by one byte: bad-signature', async () => {
    const data = new TextEncoder().encode(SUMS);
    const signature = await signDetached(data, upstream, { armor: false });
    const tampered = data.slice();
    tampered[10] = (tampered[10] ?? 0) ^ 0x01;
    await expectReason(
      verifyDetached({ data: tampered, signature, trust, source: SOURCE }),
      'bad-signature',
    );
  });

  it('rejects a signature by a key that is not in the keyring: unknown-key', async () => {
    const signature = await signDetached(SUMS, stranger);
    await expectReason(
      verifyDetached({ data: SUMS, signature, trust, source: SOURCE }),
      'unknown-key',
    );
  });

  it('rejects a key that is in the keyring but not pinned: untrusted-key', async () => {
    const anchor = await loadTrust({
      armoredKeys: [upstream.armoredPublic, stranger.armoredPublic],
      fingerprints: [upstream.fingerprint],
    });
    const signature = await signDetached(SUMS, stranger);
    const error = await expectReason(
      verifyDetached({ data: SUMS, signature, trust: anchor, source: SOURCE }),
      'untrusted-key',
    );
    expect(error.message).toContain(stranger.fingerprint);
  });

  it('accepts a pin of only the signing subkey', async () => {
    const anchor = await loadTrust({
      armoredKeys: [upstream.armoredPublic],
      fingerprints: [upstream.subkeyFingerprint],
    });
    const signature = await signDetached(SUMS, upstream);
    const result = await verifyDetached({ data: SUMS, signature, trust: anchor, source: SOURCE });
    expect(result.signingKeyFingerprint).toBe(upstream.subkeyFingerprint);
    expect(result.primaryFingerprint).toBe(upstream.fingerprint);
  });

  it('rejects a key that expired before the verification date: expired-key', async () => {
    const born = new Date(Date.now() - 3 * 24 * 3600_000);
    const shortLived = await generateTestKey({
      name: 'Old Archive',
      email: 'old@upstream.example',
      date: born,
      expiresInSeconds: 3600,
    });
    const anchor = await loadTrust({
      armoredKeys: [shortLived.armoredPublic],
      fingerprints: [shortLived.fingerprint],
    });
    const signedAt = new Date(born.getTime() + 60_000);
    const signature = await signDetached(SUMS, shortLived, { date: signedAt });
    // Within the key's validity it verifies...
    await expect(
      verifyDetached({
        data: SUMS,
        signature,
        trust: anchor,
        source: SOURCE,
        date: new Date(signedAt.getTime() + 60_000),
      }),
    ).resolves.toMatchObject({ primaryFingerprint: shortLived.fingerprint });
    // ...but not now that it has expired.
    await expectReason(
      verifyDetached({ data: SUMS, signature, trust: anchor, source: SOURCE }),
      'expired-key',
    );
  });

  it('rejects a revoked key: revoked-key', async () => {
    const key = await generateTestKey({
      name: 'Compromised',
      email: 'c@upstream.example',
      date: new Date(Date.now() - 3600_000),
    });
    const signature = await signDetached(SUMS, key, { date: new Date(Date.now() - 60_000) });
    const anchor = await loadTrust({
      armoredKeys: [await revokeTestKey(key)],
      fingerprints: [key.fingerprint],
    });
    await expectReason(
      verifyDetached({ data: SUMS, signature, trust: anchor, source: SOURCE }),
      'revoked-key',
    );
  });

  it('rejects empty input: missing', async () => {
    const signature = await signDetached(SUMS, upstream);
    await expectReason(
      verifyDetached({ data: SUMS, signature: '', trust, source: SOURCE }),
      'missing',
    );
    await expectReason(
      verifyDetached({ data: SUMS, signature: new Uint8Array(), trust, source: SOURCE }),
      'missing',
    );
    await expectReason(
      verifyDetached({ data: new Uint8Array(), signature, trust, source: SOURCE }),
      'missing',
    );
  });

  it('rejects malformed armor: malformed', async () => {
    const signature = await signDetached(SUMS, upstream);
    const lines = signature.split('\n');
    const broken = lines.map((l, i) => (i === 3 ? `!!${l.slice(2)}` : l)).join('\n');
    await expectReason(
      verifyDetached({ data: SUMS, signature: broken, trust, source: SOURCE }),
      'malformed',
    );
    await expectReason(
      verifyDetached({
        data: SUMS,
        signature:
          '-----BEGIN PGP SIGNATURE-----\n\nnot base64 at all\n-----END PGP SIGNATURE-----\n',
        trust,
        source: SOURCE,
      }),
      'malformed',
    );
    await expectReason(
      verifyDetached({
        data: SUMS,
        signature: await clearsign(SUMS, upstream),
        trust,
        source: SOURCE,
      }),
      'malformed',
    );
  });
});

describe('verifyClearsigned', () => {
  it('returns only the signed text, never what surrounds the block', async () => {
    const signed = await clearsign(SUMS, upstream);
    const before = 'JUNK-BEFORE deadbeef *evil.img\n';
    const after = '\nJUNK-AFTER deadbeef *evil2.img\n';
    const result = await verifyClearsigned({
      message: before + signed + after,
      trust,
      source: SOURCE,
    });
    expect(result.signedText.trimEnd()).toBe(SUMS.trimEnd());
    expect(result.signedText).not.toContain('JUNK');
    expect(result.signedText).not.toContain('evil');
    expect(result.signingKeyFingerprint).toBe(upstream.subkeyFingerprint);
    expect(result.primaryFingerprint).toBe(upstream.fingerprint);
  });

  it('rejects modified signed text: bad-signature', async () => {
    const signed = await clearsign(SUMS, upstream);
    const tampered = signed.replace('e3b0c442', 'e3b0c443');
    expect(tampered).not.toBe(signed);
    await expectReason(
      verifyClearsigned({ message: tampered, trust, source: SOURCE }),
      'bad-signature',
    );
  });

  it('rejects unknown and unpinned signers', async () => {
    const signed = await clearsign(SUMS, stranger);
    await expectReason(
      verifyClearsigned({ message: signed, trust, source: SOURCE }),
      'unknown-key',
    );
    const anchor = await loadTrust({
      armoredKeys: [upstream.armoredPublic, stranger.armoredPublic],
      fingerprints: [upstream.fingerprint],
    });
    await expectReason(
      verifyClearsigned({ message: signed, trust: anchor, source: SOURCE }),
      'untrusted-key',
    );
  });

  it('rejects empty, detached-only and garbled input', async () => {
    await expectReason(verifyClearsigned({ message: '  \n', trust, source: SOURCE }), 'missing');
    await expectReason(
      verifyClearsigned({ message: await signDetached(SUMS, upstream), trust, source: SOURCE }),
      'malformed',
    );
    const signed = await clearsign(SUMS, upstream);
    const [head, armor] = signed.split('-----BEGIN PGP SIGNATURE-----');
    const garbled = `${head}-----BEGIN PGP SIGNATURE-----\n\n%%%% not base64 %%%%\n-----END PGP SIGNATURE-----\n`;
    expect(armor).toBeDefined();
    await expectReason(verifyClearsigned({ message: garbled, trust, source: SOURCE }), 'malformed');
    const noSignature = signed.slice(0, signed.indexOf('-----BEGIN PGP SIGNATURE-----'));
    await expectReason(
      verifyClearsigned({ message: noSignature, trust, source: SOURCE }),
      'malformed',
    );
  });
});

describe('robustness', () => {
  // Each attempt below is garbage, a truncation or a pairing of data with a signature over
  // other data, so each must be refused - with a SignatureError and never anything else.
  // A verification that succeeds is a failure of this property, not a pass: only the
  // truncate-then-append case may legitimately rebuild the intact message (see below).
  async function refused(attempt: Promise<unknown>, what: string): Promise<void> {
    let outcome: unknown;
    try {
      outcome = await attempt;
    } catch (error) {
      if (error instanceof SignatureError) return;
      throw error;
    }
    throw new Error(`${what}: verification succeeded (${JSON.stringify(outcome)})`);
  }

  it('random bytes as signature or message are always refused with SignatureError', async () => {
    const armoredSig = await signDetached(SUMS, upstream);
    const clear = await clearsign(SUMS, upstream);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          // random bytes behind a plausible binary signature header (packet tag 2)
          fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.of(0xc2, b.length & 0xff, ...b)),
        ),
        fc.string({ maxLength: 300 }),
        fc.nat({ max: 2000 }),
        async (bytes, text, cut) => {
          await refused(
            verifyDetached({ data: SUMS, signature: bytes, trust, source: SOURCE }),
            'random bytes as a detached signature',
          );
          await refused(
            verifyDetached({ data: bytes, signature: armoredSig, trust, source: SOURCE }),
            'random bytes as the data of a good signature over other data',
          );
          await refused(
            verifyClearsigned({ message: bytes, trust, source: SOURCE }),
            'random bytes as a clearsigned message',
          );
          await refused(
            verifyClearsigned({ message: text, trust, source: SOURCE }),
            'random text as a clearsigned message',
          );
          // structurally plausible input with a random payload
          await refused(
            verifyDetached({
              data: SUMS,
              signature: `-----BEGIN PGP SIGNATURE-----\n\n${text}\n-----END PGP SIGNATURE-----\n`,
              trust,
              source: SOURCE,
            }),
            'an armor block around random text',
          );
          // a truncated clearsigned message with random text appended: refused, unless the
          // appended text happens to restore the whole message (only trailing whitespace or
          // text after the END line may differ), and then only SUMS may come out
          const message = clear.slice(0, cut % clear.length) + text;
          const attempt = verifyClearsigned({ message, trust, source: SOURCE });
          if (message.startsWith(clear.trimEnd())) {
            await attempt.then(
              (result) => expect(result.signedText.trimEnd()).toBe(SUMS.trimEnd()),
              (error: unknown) => expect(error).toBeInstanceOf(SignatureError),
            );
          } else {
            await refused(attempt, `a clearsigned message cut at ${cut % clear.length}`);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
