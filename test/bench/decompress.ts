// Benchmark: decompression through the downloader's pipeline (system tool -> hash -> file)
// vs the system tool alone (`xz -dc file > /dev/null`), in the same run, for xz and bz2.
//   ./dev bench decompress          (256 MiB of disk-like data; BENCH_SIZE_MIB to change)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decompress } from '@imagecycle/downloader';

const sizeMiB = Number(process.env.BENCH_SIZE_MIB ?? 256);
const MiB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'bench-decompress-'));
const raw = join(dir, 'disk.raw');

// Disk-like data: runs of zeros between incompressible blocks (about 3:1 for xz).
const fd = openSync(raw, 'w');
const noise = randomBytes(MiB);
const zeros = Buffer.alloc(2 * MiB);
for (let written = 0; written < sizeMiB * MiB; written += 3 * MiB) {
  writeSync(fd, noise);
  writeSync(fd, zeros);
}
closeSync(fd);

const time = (fn: () => unknown) => {
  const t0 = performance.now();
  fn();
  return (performance.now() - t0) / 1000;
};
const timeAsync = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
};

try {
  console.log(`decompressing ${sizeMiB} MiB of disk-like data (best of 2)`);
  for (const [kind, tool, compressArgs] of [
    ['xz', 'xz', ['-k', '-1', '-T0']],
    ['bz2', 'bzip2', ['-k', '-1']],
  ] as const) {
    execFileSync(tool, [...compressArgs, raw]);
    const packed = `${raw}.${kind}`;
    const system: number[] = [];
    const sameWork: number[] = [];
    const ours: number[] = [];
    const out = join(dir, 'out.img');
    for (let round = 0; round < 2; round += 1) {
      system.push(time(() => execFileSync('sh', ['-c', `${tool} -dc '${packed}' > /dev/null`])));
      // the same work as the pipeline, in shell: decompress, write the disk, SHA-512 it
      sameWork.push(
        time(() =>
          execFileSync('bash', [
            '-c',
            `${tool} -dc '${packed}' | tee '${out}' | sha512sum > /dev/null`,
          ]),
        ),
      );
      ours.push(await timeAsync(() => decompress(kind, packed, out, ['sha512'])));
    }
    const [s, w, o] = [system, sameWork, ours].map((runs) => Math.min(...runs)) as [
      number,
      number,
      number,
    ];
    const rate = (seconds: number) =>
      `${seconds.toFixed(2)} s (${(sizeMiB / seconds).toFixed(0)} MiB/s)`;
    console.log(
      `  ${kind}: ${tool} -dc > /dev/null ${rate(s)}; ${tool} -dc | tee disk | sha512sum ${rate(w)}; pipeline ${rate(o)}`,
    );
    console.log(
      `      ratio pipeline / same work in shell: ${(o / w).toFixed(2)}; pipeline / bare ${tool} -dc: ${(o / s).toFixed(2)}`,
    );
    rmSync(packed);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
