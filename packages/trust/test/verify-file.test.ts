import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrust, SignatureError, verifyDetachedFile } from '../src/index.ts';
import { generateTestKey, signDetached } from '../src/testing.ts';

describe('verifyDetachedFile', () => {
  it('verifies a signature over a large file by streaming it, and catches one changed byte', async () => {
    const key = await generateTestKey({ name: 'Images', email: 'images@upstream.example' });
    const trust = await loadTrust({
      armoredKeys: [key.armoredPublic],
      fingerprints: [key.fingerprint],
    });
    const data = randomBytes(24 * 1024 * 1024 + 5);
    const path = join(mkdtempSync(join(tmpdir(), 'sig-')), 'image.qcow2.xz');
    writeFileSync(path, data);
    const signature = await signDetached(data, key, { armor: false });

    const ok = await verifyDetachedFile({ path, signature, trust, source: 'fcos image' });
    expect(ok.signingKeyFingerprint).toBe(key.subkeyFingerprint);

    data[12 * 1024 * 1024] = (data[12 * 1024 * 1024] ?? 0) ^ 1;
    writeFileSync(path, data);
    const error = await verifyDetachedFile({ path, signature, trust, source: 'fcos image' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SignatureError);
    expect((error as SignatureError).reason).toBe('bad-signature');
  });
});
