// What the bytes are, read from the bytes: qcow2 (magic QFI\xfb, virtual size at offset
// 24), vmdk (magic KDMV, capacity in 512-byte sectors at offset 12), or raw. Anything else -
// an HTML error page, a tarball, an ISO - is refused.
import { open } from 'node:fs/promises';
import { DownloadRejected } from './errors.ts';

export interface SniffedDisk {
  format: 'qcow2' | 'raw' | 'vmdk';
  virtualSize: number;
}

export function sniffHeader(
  header: Uint8Array,
  fileSize: number,
  expected: 'qcow2' | 'raw' | 'vmdk',
  what: string,
): SniffedDisk {
  const view = Buffer.from(header.buffer, header.byteOffset, header.byteLength);
  let sniffed: SniffedDisk | undefined;
  if (view.length >= 32 && view.readUInt32BE(0) === 0x514649fb) {
    sniffed = { format: 'qcow2', virtualSize: Number(view.readBigUInt64BE(24)) };
  } else if (view.length >= 20 && view.toString('latin1', 0, 4) === 'KDMV') {
    sniffed = { format: 'vmdk', virtualSize: Number(view.readBigUInt64LE(12)) * 512 };
  } else if (
    expected === 'raw' &&
    fileSize > 0 &&
    fileSize % 512 === 0 &&
    !looksLikeSomethingElse(view)
  ) {
    sniffed = { format: 'raw', virtualSize: fileSize };
  }
  if (!sniffed || sniffed.virtualSize <= 0) {
    throw new DownloadRejected(
      'not-a-disk-image',
      `${what}: the bytes are not a ${expected} disk image (${describe(view)})`,
    );
  }
  if (sniffed.format !== expected) {
    throw new DownloadRejected(
      'format-mismatch',
      `${what}: the feed says ${expected}, the bytes are ${sniffed.format}`,
    );
  }
  return sniffed;
}

function looksLikeSomethingElse(view: Buffer): boolean {
  const start = view.toString('latin1', 0, 512).trimStart().toLowerCase();
  return (
    start.startsWith('<!doctype') ||
    start.startsWith('<html') ||
    start.startsWith('{') ||
    view.toString('latin1', 257, 262) === 'ustar' || // tar
    (view.length >= 2 && view.readUInt16BE(0) === 0x1f8b) || // gzip
    view.toString('latin1', 0, 6) === '\xfd7zXZ\x00' || // xz
    view.toString('latin1', 0, 3) === 'BZh'
  );
}

function describe(view: Buffer): string {
  const text = view.toString('latin1', 0, 16).replace(/[^\x20-\x7e]/g, '.');
  return `starts with "${text}"`;
}

export async function sniffDisk(
  path: string,
  expected: 'qcow2' | 'raw' | 'vmdk',
  what: string,
): Promise<SniffedDisk> {
  const file = await open(path, 'r');
  try {
    const header = new Uint8Array(1024);
    const { bytesRead } = await file.read(header, 0, header.length, 0);
    const { size } = await file.stat();
    return sniffHeader(header.subarray(0, bytesRead), size, expected, what);
  } finally {
    await file.close();
  }
}
