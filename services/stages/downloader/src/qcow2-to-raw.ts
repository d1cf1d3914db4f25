// qcow2 -> raw in TypeScript, for series published as raw (Ceph-backed Glance wants raw to
// clone from): no qemu-img in the worker image. Reads the L1 and L2 tables and writes every
// guest cluster in order into a sparse raw file of the virtual size: unallocated and zero
// clusters (and data clusters that happen to be all zeros) stay holes; data clusters are
// copied, coalescing runs that are contiguous on both sides; compressed clusters are
// inflated (raw deflate, the qcow2 default compression type). SHA-512 of the raw disk is
// computed on the way, zeros included - the digest Glance will report for the upload.
// Only what the inspection has already passed reaches this: no backing file, no external
// data file, no extended L2 entries; zstd compression (compression type 1) is refused.
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import { inflateRawSync, constants as zlib } from 'node:zlib';

export interface Converted {
  /** Bytes of the raw disk (the qcow2's virtual size). */
  size: number;
  sha512: string;
}

const OFFSET_MASK = 0x00fffffffffffe00n; // bits 9-55: host offset of a table or cluster
const COMPRESSED = 1n << 62n;
const ZERO = 1n; // bit 0 of a standard L2 entry (qcow2 v3): the cluster reads as zeros
/** Biggest run of contiguous clusters read in one go. */
const MAX_RUN_BYTES = 8 << 20;

export class ConversionError extends Error {
  override name = 'ConversionError';
}

export async function qcow2ToRaw(
  from: string,
  to: string,
  options: { signal?: AbortSignal; onProgress?: (bytes: number) => void } = {},
): Promise<Converted> {
  const source = await open(from, 'r');
  try {
    const read = async (position: number, length: number): Promise<Buffer> => {
      const buf = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await source.read(buf, done, length - done, position + done);
        if (bytesRead === 0)
          throw new ConversionError(`${from}: ends before offset ${position + length}`);
        done += bytesRead;
      }
      return buf;
    };
    const header = await read(0, 112);
    if (header.readUInt32BE(0) !== 0x514649fb)
      throw new ConversionError(`${from}: not a qcow2 image`);
    const version = header.readUInt32BE(4);
    const clusterBits = header.readUInt32BE(20);
    const size = Number(header.readBigUInt64BE(24));
    const l1Size = header.readUInt32BE(36);
    const l1Offset = Number(header.readBigUInt64BE(40));
    if (clusterBits < 9 || clusterBits > 21)
      throw new ConversionError(`${from}: cluster_bits ${clusterBits} out of range`);
    if (header.readBigUInt64BE(8) !== 0n) throw new ConversionError(`${from}: has a backing file`);
    if (version >= 3) {
      const incompatible = header.readBigUInt64BE(72);
      if (incompatible & ~0x9n)
        // dirty (0) and compression type (3) are all a reader may meet
        throw new ConversionError(
          `${from}: incompatible features 0x${incompatible.toString(16)} cannot be converted`,
        );
      const headerLength = header.readUInt32BE(100);
      if (incompatible & 0x8n && headerLength > 104 && header[104] !== 0)
        throw new ConversionError(
          `${from}: compression type ${header[104]} (zstd) is not supported, only deflate`,
        );
    }
    const cluster = 1 << clusterBits;
    const l2Entries = cluster / 8;
    const clusters = Math.ceil(size / cluster);
    if (l1Size < Math.ceil(clusters / l2Entries))
      throw new ConversionError(
        `${from}: an L1 table of ${l1Size} entries cannot map ${size} bytes`,
      );
    const l1 = await read(l1Offset, l1Size * 8);
    // bits x..61 of a compressed descriptor count extra 512-byte sectors; bits 0..x-1 are the offset
    const x = BigInt(62 - (clusterBits - 8));
    const compressedOffsetMask = (1n << x) - 1n;
    const sectorsMask = (1n << (62n - x)) - 1n;

    const target = await open(to, 'w');
    try {
      await target.truncate(size);
      const hash = createHash('sha512');
      const zeros = Buffer.alloc(cluster);
      const fileSize = (await source.stat()).size;
      let l2: Buffer | undefined;
      let l2At = -1;
      let pending: { guest: number; host: number; count: number } | undefined;
      let done = 0;
      const emit = async (data: Buffer, guest: number) => {
        hash.update(data);
        // only the non-zero 64 KiB pieces are written: the rest stays a hole
        let from = -1;
        const write = async (end: number) => {
          if (from >= 0) await target.write(data, from, end - from, guest + from);
          from = -1;
        };
        for (let at = 0; at < data.length; at += HOLE) {
          if (isZero(data.subarray(at, at + HOLE))) await write(at);
          else if (from < 0) from = at;
        }
        await write(data.length);
        done = guest + data.length;
        options.onProgress?.(done);
      };
      const flush = async () => {
        if (!pending) return;
        const { guest, host, count } = pending;
        pending = undefined;
        const length = Math.min(count * cluster, size - guest);
        await emit(await read(host, length), guest);
      };
      for (let c = 0; c < clusters; c++) {
        options.signal?.throwIfAborted();
        const guest = c * cluster;
        const length = Math.min(cluster, size - guest);
        const l1Entry = l1.readBigUInt64BE(Math.floor(c / l2Entries) * 8);
        const l2Offset = Number(l1Entry & OFFSET_MASK);
        let entry = 0n;
        if (l2Offset !== 0) {
          if (l2 === undefined || l2At !== l2Offset) {
            l2 = await read(l2Offset, cluster);
            l2At = l2Offset;
          }
          entry = l2.readBigUInt64BE((c % l2Entries) * 8);
        }
        if (entry & COMPRESSED) {
          await flush();
          const descriptor = entry & ~(3n << 62n);
          const host = Number(descriptor & compressedOffsetMask);
          const sectors = Number((descriptor >> x) & sectorsMask);
          const end = Math.floor(host / 512) * 512 + (sectors + 1) * 512;
          const compressed = await read(host, Math.min(end, fileSize) - host);
          const data = inflateRawSync(compressed, { finishFlush: zlib.Z_SYNC_FLUSH });
          if (data.length < length)
            throw new ConversionError(
              `${from}: compressed cluster ${c} inflates to ${data.length} bytes, not ${length}`,
            );
          await emit(data.subarray(0, length), guest);
          continue;
        }
        const host = Number(entry & OFFSET_MASK);
        if (host === 0 || (version >= 3 && entry & ZERO)) {
          await flush();
          hash.update(length === cluster ? zeros : zeros.subarray(0, length));
          done = guest + length;
          options.onProgress?.(done);
          continue;
        }
        if (
          pending &&
          pending.host + pending.count * cluster === host &&
          (pending.count + 1) * cluster <= MAX_RUN_BYTES
        ) {
          pending.count++;
        } else {
          await flush();
          pending = { guest, host, count: 1 };
        }
      }
      await flush();
      return { size, sha512: hash.digest('hex') };
    } finally {
      await target.close();
    }
  } finally {
    await source.close();
  }
}

/** The granularity of holes in the raw file. */
const HOLE = 65536;
const ZEROS = Buffer.alloc(HOLE);
const isZero = (piece: Buffer) => piece.equals(ZEROS.subarray(0, piece.length));
