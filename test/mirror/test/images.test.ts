// The generated disk images: qcow2 v3 header and tables, raw disks, tar and compression.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compress, decompress, makeQcow2, makeRaw, MiB } from '../index.ts';
import { makeTar } from '../src/images.ts';
import { readQcow2Header, sha256 } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'mirror-images-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('makeQcow2', () => {
  it('writes a qcow2 v3 header with 64 KiB clusters and the requested virtual size', () => {
    const img = makeQcow2({ seed: 'a' });
    const h = readQcow2Header(img);
    expect(h.magic).toBe('QFI\xfb');
    expect(img.subarray(0, 4)).toEqual(Buffer.from([0x51, 0x46, 0x49, 0xfb]));
    expect(h.version).toBe(3);
    expect(h.clusterBits).toBe(16);
    expect(h.size).toBe(BigInt(64 * MiB));
    expect(h.cryptMethod).toBe(0);
    expect(h.backingFileOffset).toBe(0n);
    expect(h.nbSnapshots).toBe(0);
    expect(h.incompatibleFeatures).toBe(0n);
    expect(h.refcountOrder).toBe(4);
    expect(h.headerLength).toBe(104);
    expect(h.l1Size).toBe(1); // one L2 table maps 512 MiB
    expect(img.length % 65536).toBe(0);
  });

  it('has consistent tables: L1 -> L2 -> data, and a refcount of 1 for every cluster in the file', () => {
    const img = makeQcow2({ seed: 'b', dataClusters: 3 });
    const h = readQcow2Header(img);
    const clusters = img.length / 65536;
    const l2 = Number(img.readBigUInt64BE(Number(h.l1TableOffset)) & ((1n << 56n) - 512n));
    expect(l2 % 65536).toBe(0);
    const data = [0, 1, 2].map((i) =>
      Number(img.readBigUInt64BE(l2 + i * 8) & ((1n << 56n) - 512n)),
    );
    expect(data.every((o) => o > 0 && o % 65536 === 0 && o < img.length)).toBe(true);
    expect(img.readBigUInt64BE(l2 + 3 * 8)).toBe(0n);
    const block = Number(img.readBigUInt64BE(Number(h.refcountTableOffset)));
    for (let c = 0; c < clusters; c++) expect(img.readUInt16BE(block + c * 2)).toBe(1);
    expect(img.readUInt16BE(block + clusters * 2)).toBe(0);
    expect(img.subarray(data[0] as number, (data[0] as number) + 20).toString()).toBe(
      'imagecycle test disk',
    );
  });

  it('gives each seed its own bytes, and the same seed the same bytes', () => {
    expect(sha256(makeQcow2({ seed: 'x' }))).toBe(sha256(makeQcow2({ seed: 'x' })));
    expect(sha256(makeQcow2({ seed: 'x' }))).not.toBe(sha256(makeQcow2({ seed: 'y' })));
  });

  it('rejects more data clusters than the disk has', () => {
    expect(() => makeQcow2({ seed: 'z', virtualSize: 65536, dataClusters: 2 })).toThrow(
      /do not fit/,
    );
  });

  it('is accepted by qemu-img check and info', () => {
    const file = join(dir, 'a.qcow2');
    writeFileSync(file, makeQcow2({ seed: 'qemu', virtualSize: 256 * MiB, dataClusters: 4 }));
    const check = spawnSync('qemu-img', ['check', '--output=json', file], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    const report = JSON.parse(check.stdout) as {
      'check-errors': number;
      leaks?: number;
      corruptions?: number;
    };
    expect(report['check-errors']).toBe(0);
    expect(report.leaks ?? 0).toBe(0);
    expect(report.corruptions ?? 0).toBe(0);
    const info = JSON.parse(
      execFileSync('qemu-img', ['info', '--output=json', file], { encoding: 'utf8' }),
    ) as Record<string, unknown>;
    expect(info.format).toBe('qcow2');
    expect(info['virtual-size']).toBe(256 * MiB);
    expect(info['cluster-size']).toBe(65536);
    // the guest sees the labelled first sector
    const raw = join(dir, 'a.raw');
    execFileSync('qemu-img', ['convert', '-O', 'raw', file, raw]);
    const guest = execFileSync('head', ['-c', '512', raw]);
    expect(guest.subarray(0, 20).toString()).toBe('imagecycle test disk');
    expect(guest[510]).toBe(0x55);
    expect(guest[511]).toBe(0xaa);
  });
});

describe('raw, tar and compression', () => {
  it('makes a raw disk of the given size with an MBR signature', () => {
    const raw = makeRaw('r', 2 * MiB);
    expect(raw.length).toBe(2 * MiB);
    expect(raw[510]).toBe(0x55);
    expect(raw[511]).toBe(0xaa);
  });

  it('writes a tar that the system tar lists and extracts', () => {
    const data = makeRaw('t');
    const file = join(dir, 'a.tar');
    writeFileSync(
      file,
      makeTar([{ name: 'disk.raw', data, mtime: new Date('2026-11-01T00:00:00Z') }]),
    );
    expect(execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim()).toBe('disk.raw');
    expect(sha256(execFileSync('tar', ['-xOf', file, 'disk.raw'], { maxBuffer: 4 * MiB }))).toBe(
      sha256(data),
    );
  });

  it.each(['xz', 'bz2', 'gz'] as const)(
    'round-trips %s and writes the real container magic',
    async (kind) => {
      const data = makeQcow2({ seed: kind });
      const packed = await compress(data, kind);
      const magic = {
        xz: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00],
        bz2: [0x42, 0x5a, 0x68],
        gz: [0x1f, 0x8b],
      }[kind];
      expect([...packed.subarray(0, magic.length)]).toEqual(magic);
      expect(packed.length).toBeLessThan(data.length);
      expect(sha256(await decompress(packed, kind))).toBe(sha256(data));
    },
  );
});
