// Disk images for the mirror: small but valid qcow2 v3 files (handcrafted, accepted by
// `qemu-img check`), raw disks, tar archives, and xz/bz2/gz compression.
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
  // header extension area: just the end marker (type 0, length 0) at offset 104

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

/** A raw disk of `size` bytes (1 MiB by default) with a labelled first sector. */
export function makeRaw(seed: string, size = MiB): Buffer {
  const buf = Buffer.alloc(size);
  Buffer.from(`imagecycle test raw disk\n${seed}\n`).copy(buf, 0);
  buf[510] = 0x55;
  buf[511] = 0xaa;
  prng(seed, Math.min(4096, size - 512)).copy(buf, 512);
  return buf;
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
