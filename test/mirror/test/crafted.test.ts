// Crafted bad images: what qemu makes of them (they are the real thing, not look-alikes),
// and an upstream publishing one with checksums as genuine as ever.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CRAFTED_DISKS,
  craftedDisk,
  makeQcow2,
  makeRaw,
  makeVmdk,
  MiB,
  startMirror,
  type Mirror,
} from '../index.ts';
import { get, sha256 } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'mirror-crafted-test-'));
let mirror: Mirror;
beforeAll(async () => {
  mirror = await startMirror();
}, 30_000);
afterAll(async () => {
  await mirror.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Info {
  format: string;
  'virtual-size': number;
  'backing-filename'?: string;
  'format-specific'?: { type: string; data: Record<string, unknown> };
}
function info(name: string, bytes: Buffer): Info {
  const file = join(dir, name);
  writeFileSync(file, bytes);
  const out = spawnSync('qemu-img', ['info', '--output=json', file], {
    encoding: 'utf8',
    cwd: dir,
  });
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as Info;
}

describe('crafted disks, as qemu reads them', () => {
  it('a qcow2 with a backing file: qemu names the backing file', () => {
    const i = info('backing.qcow2', craftedDisk('qcow2-backing-file', 's'));
    expect(i.format).toBe('qcow2');
    expect(i['backing-filename']).toBe('/var/lib/nova/instances/_base/host-secrets');
  });

  it('a qcow2 with an external data file: qemu opens the data file the header names', () => {
    writeFileSync(join(dir, 'data.raw'), Buffer.alloc(64 * MiB));
    const i = info('external.qcow2', makeQcow2({ seed: 'd', dataFile: 'data.raw' }));
    expect(i['format-specific']?.data).toMatchObject({ 'data-file': 'data.raw' });
    // the mirror's crafted one names a host file by the same header extension
    const crafted = craftedDisk('qcow2-data-file', 's');
    expect(crafted.readBigUInt64BE(72)).toBe(4n);
    expect(crafted.readUInt32BE(104)).toBe(0x44415441);
    expect(crafted.toString('utf8', 112, 112 + crafted.readUInt32BE(108))).toBe('/etc/shadow');
  });

  it('a monolithicSparse vmdk: one file qemu reads as an all-zero disk of its capacity', () => {
    const i = info('sparse.vmdk', makeVmdk({ virtualSize: 64 * MiB }));
    expect(i.format).toBe('vmdk');
    expect(i['virtual-size']).toBe(64 * MiB);
    expect(i['format-specific']?.data).toMatchObject({ 'create-type': 'monolithicSparse' });
    writeFileSync(join(dir, 'zeros.raw'), Buffer.alloc(64 * MiB));
    const compare = spawnSync(
      'qemu-img',
      ['compare', '-f', 'vmdk', '-F', 'raw', 'sparse.vmdk', 'zeros.raw'],
      {
        cwd: dir,
        encoding: 'utf8',
      },
    );
    expect(compare.status, compare.stdout + compare.stderr).toBe(0);
  });

  it('vmdk descriptors of monolithicFlat and twoGbMaxExtentSparse: qemu follows them to other files', () => {
    writeFileSync(join(dir, 'disk-flat.vmdk'), Buffer.alloc(64 * MiB));
    const flat = info('disk.vmdk', craftedDisk('vmdk-monolithic-flat', 's'));
    expect(flat['virtual-size']).toBe(64 * MiB);
    expect(flat['format-specific']?.data).toMatchObject({ 'create-type': 'monolithicFlat' });
    writeFileSync(join(dir, 'disk-s001.vmdk'), makeVmdk({ virtualSize: 64 * MiB }));
    const split = info('split.vmdk', craftedDisk('vmdk-two-gb-max-extent-sparse', 's'));
    expect(split['virtual-size']).toBe(64 * MiB);
    expect(split['format-specific']?.data).toMatchObject({
      'create-type': 'twoGbMaxExtentSparse',
    });
  });

  it('the sound images of either format, and garbage qemu can only call raw', () => {
    expect(info('q.img', craftedDisk('sound-qcow2', 's')).format).toBe('qcow2');
    const raw = craftedDisk('sound-raw', 's');
    expect(raw).toEqual(makeRaw('s'));
    // a GPT protective MBR: one 0xEE entry from LBA 1 over the disk
    expect(raw[446 + 4]).toBe(0xee);
    expect(raw.readUInt32LE(446 + 8)).toBe(1);
    expect(raw.readUInt32LE(446 + 12)).toBe(MiB / 512 - 1);
    expect(info('r.img', raw).format).toBe('raw');
    const garbage = craftedDisk('garbage', 's');
    expect(info('g.img', garbage).format).toBe('raw');
    expect(garbage.length % 512).not.toBe(0);
  });
});

describe('an upstream publishing a crafted image', () => {
  it.each(CRAFTED_DISKS)('ubuntu %s: served at the pinned URL, checksum and all', async (kind) => {
    const release = await mirror.publish('ubuntu-24.04', { disk: kind });
    expect(release.image.crafted).toBe(kind);
    const res = await get(release.image.url);
    expect(res.status).toBe(200);
    expect(sha256(res.body)).toBe(release.checksum.hex);
    // the bytes are the crafted kind's (its seed is the release's own)
    const expected = craftedDisk(kind, `ubuntu server 24.04 ${release.version}`, {
      virtualSize: 64 * MiB,
      rawSize: MiB,
    });
    expect(sha256(res.body)).toBe(sha256(expected));
    // the look-alike beside it stays sound
    const kvm = release.artifacts.find((a) => a.name.endsWith('-disk-kvm.img'));
    expect(kvm?.crafted).toBeUndefined();
  });

  it('debian sound-qcow2: every format of the build carries a qcow2, the other arch does not', async () => {
    const release = await mirror.publish('debian-12', { disk: 'sound-qcow2' });
    const byName = (suffix: string) => release.artifacts.find((a) => a.name.endsWith(suffix));
    const raw = byName('amd64-' + release.version + '.raw');
    expect(raw?.crafted).toBe('sound-qcow2');
    const body = (await get(raw?.url ?? '')).body;
    expect(body.subarray(0, 4).toString('latin1')).toBe('QFI\xfb');
    expect(byName('.tar.xz')?.crafted).toBe('sound-qcow2');
    expect(byName(`arm64-${release.version}.qcow2`)?.crafted).toBeUndefined();
  });

  it('a compressed upstream (Fedora CoreOS) crafts the image inside the .xz', async () => {
    const release = await mirror.publish('fedora-coreos-stable', { disk: 'qcow2-backing-file' });
    expect(release.image.crafted).toBe('qcow2-backing-file');
    const inner = execFileSync('xz', ['-dc'], { input: (await get(release.image.url)).body });
    expect(sha256(inner)).toBe(release.image.uncompressed.sha256);
    expect(inner.readBigUInt64BE(8)).not.toBe(0n);
  });
});
