// Benchmark: publishing a series as raw (catalogue `diskFormat: raw`) against the qcow2 path,
// in the same run. The qcow2 path's per-byte work in the downloader after decompression is
// nothing but reading the artifact once for its SHA-512 (the uploader's hash as it sends),
// so that is the baseline: read + SHA-512 of the qcow2. The raw path converts (read the
// clusters, write a sparse raw file, SHA-512 of the whole raw disk, zeros included); it is
// also timed against `qemu-img convert -O raw` (no hash) for reference. Every round is
// printed, then a noise probe (how much the baseline - the same work every round - varied),
// the ratio best conversion / best baseline, and a check that the raw disk is qemu-img's
// byte for byte. Exits 1 when the ratio exceeds the target or the bytes differ.
//   ./dev bench qcow2-to-raw      (a 1 GiB disk, 40% data; BENCH_SIZE_MIB, BENCH_ROUNDS)
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { qcow2ToRaw } from '@imagecycle/downloader';

const sizeMiB = Number(process.env.BENCH_SIZE_MIB ?? 1024);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const MiB = 1024 * 1024;
/** Best conversion / best baseline, at most: the conversion writes and hashes the whole virtual disk (measured 4.1 on a busy machine). */
const TARGET = 6;
const dir = mkdtempSync(join(tmpdir(), 'bench-qcow2-to-raw-'));
const source = join(dir, 'guest.raw');
const qcow2 = join(dir, 'disk.qcow2');

// a guest disk like a cloud image: 2 MiB of data, 3 MiB of never-written zeros, repeated
const fd = openSync(source, 'w');
const zeros = Buffer.alloc(3 * MiB);
for (let written = 0; written < sizeMiB * MiB; written += 5 * MiB) {
  writeSync(fd, randomBytes(2 * MiB));
  writeSync(fd, zeros);
}
closeSync(fd);
execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', source, qcow2]);
const reference = join(dir, 'reference.raw');

const timeAsync = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
};
const s = (seconds: number) => `${seconds.toFixed(2)} s`;
const sha512File = async (path: string) => {
  const hash = createHash('sha512');
  await pipeline(createReadStream(path, { highWaterMark: MiB }), hash);
  return hash.digest('hex');
};

let failed = false;
try {
  console.log(`qcow2 of a ${sizeMiB} MiB disk (40% data), ${rounds} round(s)`);
  const base: number[] = [];
  const ours: number[] = [];
  const qemu: number[] = [];
  let digest = '';
  for (let round = 1; round <= rounds; round++) {
    const b = await timeAsync(() => sha512File(qcow2));
    const out = join(dir, `ours-${round}.raw`);
    const o = await timeAsync(async () => (digest = (await qcow2ToRaw(qcow2, out)).sha512));
    const q = await timeAsync(() =>
      Promise.resolve(
        execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', qcow2, reference]),
      ),
    );
    base.push(b);
    ours.push(o);
    qemu.push(q);
    console.log(
      `  round ${round}: qcow2 path (read + SHA-512) ${s(b)}; convert to raw (+ SHA-512) ${s(o)}; qemu-img convert ${s(q)}`,
    );
    if (round < rounds) rmSync(out);
  }
  const best = (xs: number[]) => Math.min(...xs);
  const noise = (Math.max(...base) - best(base)) / best(base);
  console.log(`  noise probe: the baseline varied ${(noise * 100).toFixed(0)}% across rounds`);
  const ratio = best(ours) / best(base);
  console.log(
    `  best: qcow2 path ${s(best(base))}, convert ${s(best(ours))}, qemu-img ${s(best(qemu))}; convert / qcow2 path = ${ratio.toFixed(2)} (target <= ${TARGET}); convert / qemu-img = ${(best(ours) / best(qemu)).toFixed(2)}`,
  );
  const expected = await sha512File(reference);
  if (digest !== expected) {
    console.log('  MISS: the converted raw disk is not what qemu-img convert writes');
    failed = true;
  }
  if (ratio > TARGET) {
    console.log(`  MISS: conversion costs ${ratio.toFixed(2)}x the qcow2 path`);
    failed = true;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
