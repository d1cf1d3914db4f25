// Keyrings are re-read when they change: a rotated upstream key (here a new signing subkey,
// as Flatcar adds every year) is trusted by the next verification, without a new process.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readPrivateKey } from 'openpgp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KeyringFiles, SignatureError, TrustConfigError, verifyDetached } from '../src/index.ts';
import { generateTestKey, signDetached } from '../src/testing.ts';

const DATA = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 *image.img\n';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'keyring-files-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('KeyringFiles', () => {
  it('sees a keyring rotated on disk at the next load, and reuses an unchanged one', async () => {
    const date = new Date(Date.now() - 3600_000);
    const upstream = await generateTestKey({ name: 'Upstream', email: 'u@upstream.example', date });
    // the upstream's next signing subkey, published later in the same key
    const rotated = await (
      await readPrivateKey({ armoredKey: upstream.armoredPrivate })
    ).addSubkey({ sign: true });
    const path = join(dir, 'upstream.asc');
    await writeFile(path, upstream.armoredPublic);
    const files = new KeyringFiles();
    const pins = [upstream.fingerprint];

    const before = await files.load(path, pins);
    expect(await files.load(path, pins)).toBe(before); // unchanged file: not parsed again

    const signature = await signDetached(DATA, rotated.armor());
    const source = 'test SHA256SUMS.gpg';
    await expect(verifyDetached({ data: DATA, signature, trust: before, source })).rejects.toThrow(
      SignatureError,
    );

    await writeFile(path, rotated.toPublic().armor());
    const after = await files.load(path, pins);
    expect(after).not.toBe(before);
    const verified = await verifyDetached({ data: DATA, signature, trust: after, source });
    expect(verified.primaryFingerprint).toBe(upstream.fingerprint);
    expect(verified.signingKeyFingerprint).not.toBe(upstream.subkeyFingerprint);
  });

  it('names the file when it is missing, unreadable as keys, or lacks a pin, and retries', async () => {
    const key = await generateTestKey({ name: 'Upstream', email: 'u@upstream.example' });
    const other = await generateTestKey({ name: 'Other', email: 'o@other.example' });
    const path = join(dir, 'upstream.asc');
    const files = new KeyringFiles();
    await expect(files.load(path, [key.fingerprint])).rejects.toThrow(
      new RegExp(`keyring ${path} cannot be read: .*ENOENT`),
    );
    await writeFile(path, 'not a key');
    await expect(files.load(path, [key.fingerprint])).rejects.toThrow(TrustConfigError);
    await expect(files.load(path, [key.fingerprint])).rejects.toThrow(`keyring ${path}`);
    await writeFile(path, other.armoredPublic);
    await expect(files.load(path, [key.fingerprint])).rejects.toThrow(
      `pinned fingerprint(s) not found in keyring ${path}: ${key.fingerprint}`,
    );
    // fixed on disk: the next load succeeds (a failure is not kept)
    await writeFile(path, key.armoredPublic);
    const anchor = await files.load(path, [key.fingerprint]);
    expect(anchor.fingerprints.has(key.fingerprint)).toBe(true);
  });
});
