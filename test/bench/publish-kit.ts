// What the publish benchmarks (`publish`, `publish-targets`) share: the release they publish
// (a raw disk made on the spot), the file server, how each side starts from the same machine
// state, the noise probe and the median.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const MiB = 1024 * 1024;
export const run = promisify(execFile);

/**
 * A raw disk of `sizeMiB` in `dir`: a first sector with a GPT protective MBR (one 0xEE entry
 * from LBA 1: an MBR without partitions fails Glance's and the downloader's inspection), then
 * incompressible data - with `halfZeros`, each 4 MiB half data, half zeros (as a disk's unused
 * space), for an xz release.
 */
export function makeDisk(
  dir: string,
  sizeMiB: number,
  halfZeros = false,
): { file: string; sha256: string } {
  const file = join(dir, 'disk.raw');
  const hash = createHash('sha256');
  const block = randomBytes(4 * MiB);
  block.fill(0, 0, 512);
  block.set([0x00, 0x00, 0x02, 0x00, 0xee, 0xff, 0xff, 0xff], 446);
  block.writeUInt32LE(1, 446 + 8);
  block.writeUInt32LE(Math.min((sizeMiB * MiB) / 512 - 1, 0xffffffff), 446 + 12);
  block.writeUInt16LE(0xaa55, 510);
  if (halfZeros) block.fill(0, 2 * MiB);
  const fd = openSync(file, 'w');
  for (let written = 0; written < sizeMiB * MiB; written += block.length) {
    writeSync(fd, block);
    hash.update(block);
    block.writeUInt32LE(written, 1024); // not every block alike
  }
  closeSync(fd);
  return { file, sha256: hash.digest('hex') };
}

/**
 * Before each timed phase: write back the dirty pages of the phases before it (gigabytes of
 * staging files and Glance's store), so no phase pays for another's writeback.
 */
export const settle = () => run('sync', []);

/**
 * Before each side: `GiB` of memory written and given back by a process of its own, so the
 * side's page cache (its staged or downloaded copy, Glance's stored file) is written into
 * memory the machine has just used. This VM's balloon reports free memory to its host
 * (virtio-balloon free page reporting), and filling memory the host has taken back costs the
 * writer kernel time: one 2 GiB `curl -T` took Glance 5.7 s (1.2 CPU s in the kernel) right
 * after another image was deleted, and 8.5-9.9 s (3.8 CPU s in the kernel) with that image
 * kept (measured by hand, three times each). Without this, whichever side found less memory
 * freed before it paid for the difference.
 */
export const warmMemory = (GiB: number) =>
  run(process.execPath, [
    '-e',
    // every GiB held until the end: all of them distinct memory, not one GiB reused
    `const held = []; for (let i = 0; i < ${GiB}; i += 1) held.push(Buffer.allocUnsafeSlow(2 ** 30).fill(i + 1));`,
  ]);

/** Seconds to hash 256 MiB in memory: how busy the machine is right now. */
const probeBuffer = randomBytes(16 * MiB);
export function noiseProbe(): number {
  const t0 = performance.now();
  const hash = createHash('sha256');
  for (let i = 0; i < 16; i += 1) hash.update(probeBuffer);
  hash.digest();
  return (performance.now() - t0) / 1000;
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * `file` served by a plain HTTP server in a process of its own (`serve-file.ts`), as an
 * upstream mirror is on a machine of its own; resolves once it listens.
 */
export async function serveFile(file: string): Promise<{ server: ChildProcess; port: string }> {
  const server = spawn(process.execPath, [join(import.meta.dirname, 'serve-file.ts'), file], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<string>((resolve, reject) => {
    server.stdout?.once('data', (line: Buffer) => resolve(line.toString().trim()));
    server.once('exit', (code) => reject(new Error(`serve-file.ts exited with ${code}`)));
  });
  return { server, port };
}
