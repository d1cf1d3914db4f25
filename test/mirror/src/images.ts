// Disk images for the mirror: small but valid qcow2 v3 files (handcrafted, accepted by
// `qemu-img check`), raw disks with a GPT protective MBR, monolithicSparse vmdk files, tar
// archives, and xz/bz2/gz compression - and the crafted bad images an upstream can be made
// to publish (`craftedDisk`): what Glance's format inspector refuses.
import { spawn } from 'node:child_process';
import { createCipheriv, createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export const MiB = 1024 * 1024;
export const QCOW2_CLUSTER_BITS = 16;
const CLUSTER = 1 << QCOW2_CLUSTER_BITS;
const COPIED = 1n << 63n; // "refcount is exactly one" flag in L1/L2 entries

export type Compression = 'none' | 'xz' | 'bz2' | 'gz';

/** Deterministic pseudo-random bytes derived from `seed` (AES-256-CTR over zeros). */
export function prng(seed: string, length: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const iv = createHash('md5').update(seed).digest();
  return createCipheriv('aes-256-ctr', key, iv).update(Buffer.alloc(length));
}

export interface Qcow2Options {
  /** What makes this image's bytes its own (release, variant). */
  seed: string;
  /** Guest-visible size; 64 MiB by default. */
  virtualSize?: number;
  /** Allocated guest clusters (64 KiB each), mapped at guest offset 0, 64 KiB, ...; 1 by default. */
  dataClusters?: number;
  /** A backing file name: set in the header (backing_file_offset/size), as `qemu-img create -b` does. */
  backingFile?: string;
  /** An external data file: incompatible feature bit 2 and the data-file header extension. */
  dataFile?: string;
}

/**
 * A qcow2 v3 image: header (cluster 0), L1 table (1), refcount table (2), one refcount block
 * (3), one L2 table (4), then the data clusters. 16-bit refcounts, every cluster referenced
 * once, so `qemu-img check` finds no errors and no leaks.
 */
export function makeQcow2(options: Qcow2Options): Buffer {
  const virtualSize = options.virtualSize ?? 64 * MiB;
  const dataClusters = options.dataClusters ?? 1;
  const l2Entries = CLUSTER / 8;
  const guestClusters = Math.ceil(virtualSize / CLUSTER);
  const l1Size = Math.ceil(guestClusters / l2Entries);
  if (dataClusters < 1 || dataClusters > guestClusters || dataClusters > l2Entries) {
    throw new Error(`qcow2: ${dataClusters} data clusters do not fit a ${virtualSize}-byte disk`);
  }
  if (l1Size > CLUSTER / 8) throw new Error('qcow2: virtual size too large for a one-cluster L1');
  // cluster 0 is the header
  const L1 = 1,
    REFTABLE = 2,
    REFBLOCK = 3,
    L2 = 4,
    DATA = 5;
  const clusters = DATA + dataClusters;
  const buf = Buffer.alloc(clusters * CLUSTER);

  // header (all big-endian)
  buf.write('QFI\xfb', 0, 'latin1');
  buf.writeUInt32BE(3, 4); // version
  buf.writeBigUInt64BE(0n, 8); // backing_file_offset
  buf.writeUInt32BE(0, 16); // backing_file_size
  buf.writeUInt32BE(QCOW2_CLUSTER_BITS, 20);
  buf.writeBigUInt64BE(BigInt(virtualSize), 24);
  buf.writeUInt32BE(0, 32); // crypt_method
  buf.writeUInt32BE(l1Size, 36);
  buf.writeBigUInt64BE(BigInt(L1 * CLUSTER), 40);
  buf.writeBigUInt64BE(BigInt(REFTABLE * CLUSTER), 48);
  buf.writeUInt32BE(1, 56); // refcount_table_clusters
  buf.writeUInt32BE(0, 60); // nb_snapshots
  buf.writeBigUInt64BE(0n, 64); // snapshots_offset
  buf.writeBigUInt64BE(0n, 72); // incompatible_features
  buf.writeBigUInt64BE(0n, 80); // compatible_features
  buf.writeBigUInt64BE(0n, 88); // autoclear_features
  buf.writeUInt32BE(4, 96); // refcount_order: 2^4 = 16-bit refcounts
  buf.writeUInt32BE(104, 100); // header_length
  // header extension area at offset 104: the data file's name when there is one, then the
  // end marker (type 0, length 0)
  if (options.dataFile !== undefined) {
    const name = Buffer.from(options.dataFile, 'utf8');
    buf.writeBigUInt64BE(1n << 2n, 72); // incompatible feature: external data file
    buf.writeUInt32BE(0x44415441, 104); // "DATA"
    buf.writeUInt32BE(name.length, 108);
    name.copy(buf, 112);
  }
  if (options.backingFile !== undefined) {
    // the name lives in the header cluster, after the extensions
    const name = Buffer.from(options.backingFile, 'utf8');
    const at = 2048;
    if (name.length > 1023) throw new Error('qcow2: backing file name too long');
    name.copy(buf, at);
    buf.writeBigUInt64BE(BigInt(at), 8);
    buf.writeUInt32BE(name.length, 16);
  }

  buf.writeBigUInt64BE(BigInt(L2 * CLUSTER) | COPIED, L1 * CLUSTER);
  buf.writeBigUInt64BE(BigInt(REFBLOCK * CLUSTER), REFTABLE * CLUSTER);
  for (let c = 0; c < clusters; c++) buf.writeUInt16BE(1, REFBLOCK * CLUSTER + c * 2);
  for (let i = 0; i < dataClusters; i++) {
    const at = (DATA + i) * CLUSTER;
    buf.writeBigUInt64BE(BigInt(at) | COPIED, L2 * CLUSTER + i * 8);
    const label = Buffer.from(`imagecycle test disk\n${options.seed}\ncluster ${i}\n`);
    label.copy(buf, at);
    prng(`${options.seed}#${i}`, 4096).copy(buf, at + 512);
  }
  // an MBR signature in the guest's first sector, like a real disk
  buf[DATA * CLUSTER + 510] = 0x55;
  buf[DATA * CLUSTER + 511] = 0xaa;
  return buf;
}

/**
 * A raw disk of `size` bytes (1 MiB by default): a labelled boot sector whose partition table
 * is a GPT protective MBR (one 0xEE entry from LBA 1 over the whole disk, as cloud images
 * have), then seeded bytes.
 */
export function makeRaw(seed: string, size = MiB): Buffer {
  const buf = Buffer.alloc(size);
  Buffer.from(`imagecycle test raw disk\n${seed}\n`).copy(buf, 0);
  const entry = 446;
  buf.set([0x00, 0x00, 0x02, 0x00, 0xee, 0xff, 0xff, 0xff], entry); // boot, CHS, type, CHS
  buf.writeUInt32LE(1, entry + 8); // first LBA
  buf.writeUInt32LE(Math.min(size / 512 - 1, 0xffffffff), entry + 12); // sectors
  buf[510] = 0x55;
  buf[511] = 0xaa;
  prng(seed, Math.min(4096, size - 512)).copy(buf, 512);
  return buf;
}

export type VmdkCreateType =
  'monolithicSparse' | 'monolithicFlat' | 'twoGbMaxExtentSparse' | 'twoGbMaxExtentFlat';

const VMDK_GRAIN_SECTORS = 128; // 64 KiB grains
const VMDK_GTES = 512; // entries per grain table

/**
 * A vmdk of `virtualSize` bytes (64 MiB by default), as VMware and `qemu-img create -f vmdk`
 * lay it out. `monolithicSparse` is one self-contained file: the sparse extent header
 * ("KDMV"), the embedded descriptor at sector 1, a grain directory and zeroed grain tables
 * (every grain unallocated: the guest reads zeros). The other types are the descriptor
 * file alone - plain text naming extent files beside it (`<name>-flat.vmdk`,
 * `<name>-s001.vmdk`, ...) that qemu would open: what Glance refuses.
 */
export function makeVmdk(
  options: { name?: string; createType?: VmdkCreateType; virtualSize?: number } = {},
): Buffer {
  const name = options.name ?? 'disk';
  const createType = options.createType ?? 'monolithicSparse';
  const virtualSize = options.virtualSize ?? 64 * MiB;
  const sectors = Math.ceil(virtualSize / 512);
  const extents: string[] = [];
  if (createType === 'monolithicSparse') extents.push(`RW ${sectors} SPARSE "${name}.vmdk"`);
  else if (createType === 'monolithicFlat')
    extents.push(`RW ${sectors} FLAT "${name}-flat.vmdk" 0`);
  else {
    const max = 4194240; // sectors per 2 GB extent, as VMware splits
    const flat = createType === 'twoGbMaxExtentFlat';
    for (let at = 0, n = 1; at < sectors; at += max, n++) {
      const count = Math.min(max, sectors - at);
      const file = `${name}-${flat ? 'f' : 's'}${String(n).padStart(3, '0')}.vmdk`;
      extents.push(`RW ${count} ${flat ? 'FLAT' : 'SPARSE'} "${file}"${flat ? ' 0' : ''}`);
    }
  }
  const cylinders = Math.min(Math.floor(sectors / (16 * 63)), 16383);
  const descriptor = [
    '# Disk DescriptorFile',
    'version=1',
    'CID=52c8e3c5',
    'parentCID=ffffffff',
    `createType="${createType}"`,
    '',
    '# Extent description',
    ...extents,
    '',
    '# The Disk Data Base',
    '#DDB',
    '',
    'ddb.virtualHWVersion = "4"',
    `ddb.geometry.cylinders = "${cylinders}"`,
    'ddb.geometry.heads = "16"',
    'ddb.geometry.sectors = "63"',
    'ddb.adapterType = "ide"',
    '',
  ].join('\n');
  if (createType !== 'monolithicSparse') return Buffer.from(descriptor, 'latin1');

  const grains = Math.ceil(sectors / VMDK_GRAIN_SECTORS);
  const tables = Math.ceil(grains / VMDK_GTES);
  const descSectors = 20;
  const gdSector = 1 + descSectors;
  const gdSectors = Math.ceil((tables * 4) / 512);
  const gtSector = gdSector + gdSectors;
  const gtSectors = (VMDK_GTES * 4) / 512;
  const overhead =
    Math.ceil((gtSector + tables * gtSectors) / VMDK_GRAIN_SECTORS) * VMDK_GRAIN_SECTORS;
  const buf = Buffer.alloc(overhead * 512);
  buf.write('KDMV', 0, 'latin1');
  buf.writeUInt32LE(1, 4); // version
  buf.writeUInt32LE(1, 8); // flags: valid new-line detection test
  buf.writeBigUInt64LE(BigInt(sectors), 12); // capacity
  buf.writeBigUInt64LE(BigInt(VMDK_GRAIN_SECTORS), 20);
  buf.writeBigUInt64LE(1n, 28); // descriptor offset (sectors)
  buf.writeBigUInt64LE(BigInt(descSectors), 36);
  buf.writeUInt32LE(VMDK_GTES, 44);
  buf.writeBigUInt64LE(0n, 48); // no redundant grain directory
  buf.writeBigUInt64LE(BigInt(gdSector), 56);
  buf.writeBigUInt64LE(BigInt(overhead), 64);
  buf.write('\n \r\n', 73, 'latin1'); // the new-line detection characters
  buf.write(descriptor, 512, 'latin1');
  for (let t = 0; t < tables; t++)
    buf.writeUInt32LE(gtSector + t * gtSectors, gdSector * 512 + t * 4);
  return buf;
}

/** Bad images an upstream can be made to publish (`PublishOptions.disk`). */
export const CRAFTED_DISKS = [
  /** qcow2 with a backing file (`/etc/passwd`-style host file exposure). */
  'qcow2-backing-file',
  /** qcow2 with an external data file (incompatible feature bit 2). */
  'qcow2-data-file',
  /** A vmdk descriptor of createType monolithicFlat (extent in another file). */
  'vmdk-monolithic-flat',
  /** A vmdk descriptor of createType twoGbMaxExtentSparse (extents in other files). */
  'vmdk-two-gb-max-extent-sparse',
  /** A sound qcow2, whatever format the file is declared as (e.g. a `.raw` file). */
  'sound-qcow2',
  /** A sound raw disk, whatever format the file is declared as (e.g. a `.img` qcow2). */
  'sound-raw',
  /** Bytes of no disk format: text and noise, not a whole number of sectors. */
  'garbage',
] as const;
export type CraftedDisk = (typeof CRAFTED_DISKS)[number];

/** The bytes of a crafted image; `seed` makes them the release's own. */
export function craftedDisk(
  kind: CraftedDisk,
  seed: string,
  sizes: { virtualSize?: number; rawSize?: number } = {},
): Buffer {
  const qcow2 = (extra: Partial<Qcow2Options>) =>
    makeQcow2({
      seed,
      ...(sizes.virtualSize ? { virtualSize: sizes.virtualSize } : {}),
      ...extra,
    });
  const virtualSize = sizes.virtualSize ?? 64 * MiB;
  switch (kind) {
    case 'qcow2-backing-file':
      return qcow2({ backingFile: '/var/lib/nova/instances/_base/host-secrets' });
    case 'qcow2-data-file':
      return qcow2({ dataFile: '/etc/shadow' });
    case 'vmdk-monolithic-flat':
      return makeVmdk({ createType: 'monolithicFlat', virtualSize });
    case 'vmdk-two-gb-max-extent-sparse':
      return makeVmdk({ createType: 'twoGbMaxExtentSparse', virtualSize });
    case 'sound-qcow2':
      return qcow2({});
    case 'sound-raw':
      return makeRaw(seed, sizes.rawSize);
    case 'garbage':
      return Buffer.concat([
        Buffer.from(`imagecycle garbage, no disk image\n${seed}\n`),
        prng(`garbage ${seed}`, 8 * 1024 + 77),
      ]);
  }
}

/** A ustar archive of the given files (what Debian's `.tar.xz` and CentOS' `.raw.tar.gz` hold). */
export function makeTar(files: ReadonlyArray<{ name: string; data: Buffer; mtime: Date }>): Buffer {
  const parts: Buffer[] = [];
  for (const f of files) {
    const h = Buffer.alloc(512);
    const field = (text: string, offset: number, length: number) =>
      h.write(text, offset, length, 'latin1');
    const octal = (n: number, length: number) => n.toString(8).padStart(length - 1, '0') + '\0';
    field(f.name, 0, 100);
    field(octal(0o644, 8), 100, 8);
    field(octal(0, 8), 108, 8);
    field(octal(0, 8), 116, 8);
    field(octal(f.data.length, 12), 124, 12);
    field(octal(Math.floor(f.mtime.getTime() / 1000), 12), 136, 12);
    field('        ', 148, 8); // checksum placeholder: spaces
    field('0', 156, 1);
    field('ustar\0', 257, 6);
    field('00', 263, 2);
    field('root', 265, 32);
    field('root', 297, 32);
    let sum = 0;
    for (const byte of h) sum += byte;
    field(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8);
    parts.push(h, f.data, Buffer.alloc((512 - (f.data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  const body = Buffer.concat(parts);
  const RECORD = 10240;
  return Buffer.concat([body, Buffer.alloc((RECORD - (body.length % RECORD)) % RECORD)]);
}

function filter(command: string, args: string[], input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString()}`,
          ),
        );
    });
    child.stdin.on('error', reject);
    child.stdin.end(input);
  });
}

/** Compress with the system `xz` / `bzip2`, or zlib for gz. */
export async function compress(data: Buffer, kind: Compression): Promise<Buffer> {
  switch (kind) {
    case 'none':
      return data;
    case 'gz':
      return gzipSync(data);
    case 'xz':
      return filter('xz', ['-z', '-c', '-T1', '-3'], data);
    case 'bz2':
      return filter('bzip2', ['-z', '-c', '-9'], data);
  }
}

/** Decompress (for tests and checks): the inverse of `compress`. */
export async function decompress(data: Buffer, kind: Compression): Promise<Buffer> {
  switch (kind) {
    case 'none':
      return data;
    case 'gz': {
      const { gunzipSync } = await import('node:zlib');
      return gunzipSync(data);
    }
    case 'xz':
      return filter('xz', ['-d', '-c'], data);
    case 'bz2':
      return filter('bzip2', ['-d', '-c'], data);
  }
}
