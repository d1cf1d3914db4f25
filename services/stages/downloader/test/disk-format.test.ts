// The disk inspection on crafted bytes: the mirror's handcrafted images, and images made by
// qemu-img itself (the reference for what these formats look like in the wild).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { craftedDisk, makeQcow2, makeRaw, makeVmdk, MiB } from '@imagecycle/test/mirror';
import {
  diskBytes,
  type DiskFormat,
  DownloadRejected,
  inspectDisk,
  inspectDiskFile,
  stagingPaths,
} from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'disk-format-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const QEMU_IMG = '/usr/bin/qemu-img';
const qemuImg = (...args: string[]) => execFileSync(QEMU_IMG, args, { cwd: dir, stdio: 'pipe' });
/** A file qemu-img made (`create` or `convert` arguments, the output named `name`). */
function qemuMade(name: string, ...args: string[]): string {
  qemuImg(...args);
  return join(dir, name);
}

const inspect = (bytes: Buffer, declared: DiskFormat) =>
  inspectDisk(diskBytes(bytes), declared, 'testos 1: https://example.test/disk.img');

/** The rejection's message, or 'accepted'. */
function refusal(bytes: Buffer, declared: DiskFormat): string {
  try {
    inspect(bytes, declared);
  } catch (error) {
    expect(error).toBeInstanceOf(DownloadRejected);
    expect((error as DownloadRejected).reason).toBe('not-a-disk-image');
    const { message } = error as Error;
    expect(message.startsWith('testos 1: https://example.test/disk.img: '), message).toBe(true);
    return message;
  }
  return 'accepted';
}

/** Random guest data, so that qemu-img writes real clusters and grains. */
function guestRaw(name: string, size = 4 * MiB): string {
  const path = join(dir, name);
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i += 64 * 1024) data.write(`guest data at ${i}`, i);
  writeFileSync(path, data);
  return path;
}

describe('inspectDisk accepts', () => {
  it('the mirror qcow2, and qcow2 v3 and v2 made by qemu-img, with their virtual size', async () => {
    expect(inspect(makeQcow2({ seed: 'x', virtualSize: 64 * MiB }), 'qcow2')).toEqual({
      format: 'qcow2',
      virtualSize: 64 * MiB,
    });
    for (const compat of ['1.1', '0.10']) {
      const file = qemuMade(
        `v${compat}.qcow2`,
        'create',
        '-q',
        '-f',
        'qcow2',
        '-o',
        `compat=${compat}`,
        `v${compat}.qcow2`,
        '100M',
      );
      expect(await inspectDiskFile(file, 'qcow2', 't')).toEqual({
        format: 'qcow2',
        virtualSize: 100 * MiB,
      });
    }
  });

  it('a raw disk with a GPT protective MBR or none, declared raw', () => {
    expect(inspect(makeRaw('r', 2 * MiB), 'raw')).toEqual({ format: 'raw', virtualSize: 2 * MiB });
    expect(inspect(Buffer.alloc(MiB), 'raw')).toEqual({ format: 'raw', virtualSize: MiB });
  });

  it('monolithicSparse vmdk (the mirror and qemu-img) and streamOptimized vmdk (qemu-img, footer at the end)', async () => {
    expect(inspect(makeVmdk({ virtualSize: 64 * MiB }), 'vmdk')).toEqual({
      format: 'vmdk',
      virtualSize: 64 * MiB,
    });
    const raw = guestRaw('guest.raw');
    for (const subformat of ['monolithicSparse', 'streamOptimized']) {
      const name = `${subformat}.vmdk`;
      const file = qemuMade(
        name,
        'convert',
        '-q',
        '-f',
        'raw',
        '-O',
        'vmdk',
        '-o',
        `subformat=${subformat}`,
        raw,
        name,
      );
      expect(await inspectDiskFile(file, 'vmdk', 't')).toEqual({
        format: 'vmdk',
        virtualSize: 4 * MiB,
      });
    }
  });
});

describe('inspectDisk refuses (not-a-disk-image)', () => {
  it('a qcow2 with a backing file: the mirror crafted one, and one made by qemu-img create -b', () => {
    expect(refusal(craftedDisk('qcow2-backing-file', 's'), 'qcow2')).toMatch(
      /a qcow2 image Glance would refuse: it has a backing file "\/var\/lib\/nova\/instances\/_base\/host-secrets"/,
    );
    qemuImg('create', '-q', '-f', 'raw', 'base.raw', '64M');
    qemuImg('create', '-q', '-f', 'qcow2', '-b', 'base.raw', '-F', 'raw', 'child.qcow2');
    expect(refusal(readFileSync(join(dir, 'child.qcow2')), 'qcow2')).toMatch(
      /it has a backing file "base\.raw"/,
    );
  });

  it('a qcow2 with an external data file: crafted, and made by qemu-img -o data_file', () => {
    expect(refusal(craftedDisk('qcow2-data-file', 's'), 'qcow2')).toMatch(
      /it has an external data file "\/etc\/shadow" \(incompatible feature bit 2\)/,
    );
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'data_file=data.raw', 'external.qcow2', '64M');
    expect(refusal(readFileSync(join(dir, 'external.qcow2')), 'qcow2')).toMatch(
      /external data file "data\.raw"/,
    );
  });

  it('a qcow2 with unknown incompatible features (extended L2), marked corrupt, encrypted, or of version 4', () => {
    qemuImg('create', '-q', '-f', 'qcow2', '-o', 'extended_l2=on', 'l2.qcow2', '64M');
    expect(refusal(readFileSync(join(dir, 'l2.qcow2')), 'qcow2')).toMatch(
      /unknown incompatible features 0x10/,
    );
    const corrupt = makeQcow2({ seed: 'c' });
    corrupt.writeBigUInt64BE(2n, 72);
    expect(refusal(corrupt, 'qcow2')).toMatch(/marked corrupt/);
    const encrypted = makeQcow2({ seed: 'e' });
    encrypted.writeUInt32BE(1, 32);
    expect(refusal(encrypted, 'qcow2')).toMatch(/it is encrypted \(crypt_method 1\)/);
    const v4 = makeQcow2({ seed: 'v' });
    v4.writeUInt32BE(4, 4);
    expect(refusal(v4, 'qcow2')).toMatch(/unsupported qcow2 version 4/);
  });

  it('every problem at once, not only the first', () => {
    const both = makeQcow2({ seed: 'b', backingFile: 'base.img', dataFile: 'data.img' });
    const message = refusal(both, 'qcow2');
    expect(message).toMatch(/backing file "base\.img"/);
    expect(message).toMatch(/external data file "data\.img"/);
  });

  it('vmdk descriptors of monolithicFlat and twoGbMaxExtentSparse: crafted, and made by qemu-img', () => {
    expect(refusal(craftedDisk('vmdk-monolithic-flat', 's'), 'vmdk')).toMatch(
      /a vmdk image Glance would refuse: its createType is "monolithicFlat"/,
    );
    expect(refusal(craftedDisk('vmdk-two-gb-max-extent-sparse', 's'), 'vmdk')).toMatch(
      /its createType is "twoGbMaxExtentSparse"/,
    );
    for (const subformat of ['monolithicFlat', 'twoGbMaxExtentSparse', 'twoGbMaxExtentFlat']) {
      qemuImg(
        'create',
        '-q',
        '-f',
        'vmdk',
        '-o',
        `subformat=${subformat}`,
        `${subformat}.vmdk`,
        '64M',
      );
      expect(refusal(readFileSync(join(dir, `${subformat}.vmdk`)), 'vmdk')).toContain(
        `its createType is "${subformat}"`,
      );
    }
  });

  it('a sparse vmdk whose descriptor names an extent by path, or carries lines Glance does not parse', () => {
    const vmdk = makeVmdk();
    const at = vmdk.indexOf('"disk.vmdk"');
    vmdk.write('"/dev/sda1"', at, 'latin1');
    expect(refusal(vmdk, 'vmdk')).toMatch(
      /an extent names a path: "RW 131072 SPARSE "\/dev\/sda1""/,
    );
    const odd = makeVmdk();
    odd.write('what is this\n', odd.indexOf('# Extent description'), 'latin1');
    expect(refusal(odd, 'vmdk')).toMatch(/a line Glance does not accept: "what is this"/);
  });

  it('a streamOptimized vmdk with its grain directory at the end: refused when its footer disagrees with its header', () => {
    // qemu-img writes the grain directory up front; VMware's streams put it at the end and
    // say so with gdOffset = -1, then end with footer marker, footer, end-of-stream marker.
    const file = qemuMade(
      'stream.vmdk',
      'convert',
      '-q',
      '-f',
      'raw',
      '-O',
      'vmdk',
      '-o',
      'subformat=streamOptimized',
      guestRaw('guest2.raw'),
      'stream.vmdk',
    );
    const stream = readFileSync(file);
    const footerHeader = Buffer.from(stream.subarray(0, 512));
    stream.writeBigUInt64LE(0xffffffffffffffffn, 56);
    const marker = (type: number) => {
      const m = Buffer.alloc(512);
      m.writeBigUInt64LE(type === 3 ? 1n : 0n, 0);
      m.writeUInt32LE(type, 12);
      return m;
    };
    const withFooter = (footer: Buffer, eos = marker(0)) =>
      Buffer.concat([stream, marker(3), footer, eos]);
    expect(inspect(withFooter(footerHeader), 'vmdk')).toEqual({
      format: 'vmdk',
      virtualSize: 4 * MiB,
    });
    const otherVersion = Buffer.from(footerHeader);
    otherVersion.writeUInt32LE(2, 4);
    const badEos = marker(1);
    const message = refusal(withFooter(otherVersion, badEos), 'vmdk');
    expect(message).toMatch(/its footer and header versions differ/);
    expect(message).toMatch(/its end-of-stream marker is invalid/);
    const loop = Buffer.from(footerHeader);
    loop.writeBigUInt64LE(0xffffffffffffffffn, 56);
    expect(refusal(withFooter(loop), 'vmdk')).toMatch(/its footer points to yet another footer/);
    expect(refusal(stream, 'vmdk')).toMatch(/its footer has no KDMV signature/);
  });

  it('a format that is not the declared one', () => {
    expect(refusal(craftedDisk('sound-qcow2', 's'), 'raw')).toMatch(
      /the feed says raw, the bytes are a qcow2 image$/,
    );
    expect(refusal(craftedDisk('sound-raw', 's'), 'qcow2')).toMatch(
      /the feed says qcow2, the bytes are a raw disk \(it begins with an MBR\/GPT partition table\)/,
    );
    expect(refusal(makeVmdk(), 'qcow2')).toMatch(/the feed says qcow2, the bytes are a vmdk image/);
    expect(refusal(makeQcow2({ seed: 'q' }), 'vmdk')).toMatch(/the bytes are a qcow2 image/);
    // a mismatch still names what else is wrong
    expect(refusal(craftedDisk('qcow2-backing-file', 's'), 'raw')).toMatch(
      /the feed says raw, the bytes are a qcow2 image; also, it has a backing file/,
    );
  });

  it('what is no disk image at all: garbage, a web page, a compressed file, a tarball, odd sizes', () => {
    expect(refusal(craftedDisk('garbage', 's'), 'qcow2')).toMatch(
      /the feed says qcow2, the bytes are no disk image format Glance knows \(the file starts with "imagecycle garba"\)/,
    );
    const garbage = craftedDisk('garbage', 's');
    expect(garbage.length % 512).not.toBe(0);
    expect(refusal(garbage, 'raw')).toContain(
      `the feed says raw, but ${garbage.length} bytes are not a whole number of 512-byte sectors`,
    );
    const html = Buffer.from('<!DOCTYPE html><html><body>404</body></html>'.padEnd(1024, ' '));
    expect(refusal(html, 'raw')).toMatch(/the feed says raw, the bytes are an HTML or XML page/);
    expect(refusal(html, 'qcow2')).toMatch(
      /no disk image format Glance knows .*: an HTML or XML page/,
    );
    const xz = Buffer.concat([Buffer.from('fd377a585a00', 'hex'), Buffer.alloc(1018)]);
    expect(refusal(xz, 'raw')).toMatch(/the bytes are xz-compressed/);
    const tar = Buffer.alloc(1024);
    tar.write('ustar\0', 257, 'latin1');
    expect(refusal(tar, 'raw')).toMatch(/a tar archive/);
    expect(refusal(Buffer.alloc(0), 'raw')).toMatch(/0 bytes are not a whole number/);
    expect(refusal(Buffer.alloc(1000), 'raw')).toMatch(/1000 bytes are not a whole number/);
  });

  it('other formats Glance knows: iso, vhd, vhdx, vdi, qed, luks - by name', () => {
    const iso = Buffer.alloc(64 * 1024);
    iso[32768] = 1;
    iso.write('CD001', 32769, 'latin1');
    iso.writeUInt32LE(32, 32768 + 80);
    iso.writeUInt16LE(2048, 32768 + 128);
    expect(refusal(iso, 'raw')).toMatch(/the feed says raw, the bytes are an iso image$/);
    // a bootable ISO with a partition table in front is still an ISO, not two formats
    const hybrid = Buffer.from(iso);
    hybrid.set(makeRaw('h', 1024).subarray(0, 512));
    expect(refusal(hybrid, 'raw')).toMatch(/the bytes are an iso image$/);
    const at0 = (magic: string) => {
      const b = Buffer.alloc(4096);
      b.write(magic, 0, 'latin1');
      return b;
    };
    expect(refusal(at0('conectix'), 'raw')).toMatch(/the bytes are a vhd image/);
    expect(refusal(at0('vhdxfile'), 'raw')).toMatch(/the bytes are a vhdx image/);
    const vdi = Buffer.alloc(4096);
    vdi.writeUInt32LE(0xbeda107f, 0x40);
    expect(refusal(vdi, 'raw')).toMatch(/the bytes are a vdi image/);
    expect(refusal(at0('QED\0'), 'raw')).toMatch(
      /a qed image; also, qed images are never accepted/,
    );
    expect(refusal(at0('LUKS\xba\xbe'), 'raw')).toMatch(/a luks image; also, it is LUKS-encrypted/);
  });

  it('one header hidden behind another: a qcow2 that is also an MBR disk', () => {
    const polyglot = makeQcow2({ seed: 'p' });
    polyglot.set(makeRaw('p', 1024).subarray(446, 512), 446);
    expect(refusal(polyglot, 'qcow2')).toMatch(
      /the bytes carry the headers of several formats \(gpt, qcow2\): one may hide another/,
    );
  });

  it('a raw disk whose MBR Glance would refuse: bad boot flag, no partition, a GPT MBR with more entries', () => {
    const badBoot = makeRaw('b');
    badBoot[446] = 0x7f;
    expect(refusal(badBoot, 'raw')).toMatch(
      /a raw image Glance would refuse: MBR partition 0 has an invalid boot flag 0x7f/,
    );
    const empty = makeRaw('e');
    empty.fill(0, 446, 510);
    expect(refusal(empty, 'raw')).toMatch(/its MBR defines no partition/);
    const extra = makeRaw('x');
    extra[446 + 16 + 4] = 0x83;
    expect(refusal(extra, 'raw')).toMatch(/the GPT protective MBR defines other partitions/);
    const lba = makeRaw('l');
    lba.writeUInt32LE(2048, 446 + 8);
    expect(refusal(lba, 'raw')).toMatch(/does not start at LBA 1/);
    // a FAT volume boot record has the signature too, and is no partition table
    const fat = Buffer.alloc(MiB);
    fat[0x10] = 2;
    fat[0x15] = 0xf8;
    fat.writeUInt16LE(0xaa55, 510);
    expect(inspect(fat, 'raw')).toEqual({ format: 'raw', virtualSize: MiB });
  });
});

describe('stagingPaths', () => {
  it('derives names from series and version only, never letting them leave the staging dir', () => {
    expect(stagingPaths('/staging', 'ubuntu-24.04', '20261101.1').disk).toBe(
      '/staging/ubuntu-24.04/20261101.1/disk.img',
    );
    for (const [series, version] of [
      ['../../etc', '../passwd'],
      ['..', '..'],
      ['.', '.'],
      ['/', '/etc'],
    ] as const) {
      const hostile = stagingPaths('/staging', series, version).dir;
      expect(hostile.startsWith('/staging/'), hostile).toBe(true);
      expect(hostile.split('/').slice(2), hostile).toHaveLength(2);
      expect(
        hostile.split('/').filter((part) => part === '..' || part === '.'),
        hostile,
      ).toEqual([]);
    }
  });

  it('gives two releases one directory only when they are the same release', () => {
    const dirs = [
      ['s', '1.0+1'],
      ['s', '1.0_1'],
      ['s', '1.0 1'],
      ['s', '1.0:1'],
      ['s', '1.0/1'],
      ['s/1', '0'],
      ['s_1', '0'],
    ].map(([series, version]) => stagingPaths('/staging', series ?? '', version ?? '').dir);
    expect(new Set(dirs).size, dirs.join(' ')).toBe(dirs.length);
  });
});
