// The TypeScript qcow2 -> raw conversion against `qemu-img convert -O raw`, byte for byte:
// plain, compressed (deflate), small and large clusters, qcow2 v2, zero clusters, a virtual
// size that ends inside a cluster, and the mirror's handcrafted images.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeQcow2, MiB, prngBytes } from '@imagecycle/test/mirror';
import { ConversionError, qcow2ToRaw } from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'qcow2-to-raw-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);
const qemu = (tool: string, ...args: string[]) =>
  execFileSync(tool, args, { cwd: dir, stdio: 'pipe' });

/** A guest disk: noise, a run of zeros, text, then a tail that ends inside a 64 KiB cluster. */
function guest(): string {
  const size = 10 * MiB + 3 * 512;
  const data = Buffer.alloc(size);
  prngBytes('guest', 3 * MiB).copy(data, 0);
  data.write('a sector of text in the middle of nothing\n', 6 * MiB + 4096);
  prngBytes('tail', 8 * 512).copy(data, size - 8 * 512);
  writeFileSync(at('guest.raw'), data);
  return at('guest.raw');
}

/** Converts `name` both ways; the outputs must be the same bytes and the digest theirs. */
async function matchesQemu(name: string) {
  qemu('qemu-img', 'convert', '-f', 'qcow2', '-O', 'raw', name, `${name}.qemu.raw`);
  const out = await qcow2ToRaw(at(name), at(`${name}.ours.raw`));
  const ours = readFileSync(at(`${name}.ours.raw`));
  const theirs = readFileSync(at(`${name}.qemu.raw`));
  expect(ours.length).toBe(theirs.length);
  expect(ours.equals(theirs), `${name}: the raw disks differ`).toBe(true);
  expect(out).toEqual({
    size: theirs.length,
    sha512: createHash('sha512').update(theirs).digest('hex'),
  });
  return { out, allocated: statSync(at(`${name}.ours.raw`)).blocks * 512 };
}

describe('qcow2ToRaw gives what qemu-img convert gives', () => {
  const source = guest();
  it.each([
    ['plain.qcow2', []],
    ['compressed.qcow2', ['-c']],
    ['small-clusters.qcow2', ['-o', 'cluster_size=4096']],
    ['large-clusters.qcow2', ['-o', 'cluster_size=2M']],
    ['v2.qcow2', ['-o', 'compat=0.10']],
    ['v2-compressed.qcow2', ['-c', '-o', 'compat=0.10,cluster_size=16384']],
  ] as const)('%s', async (name, options) => {
    qemu('qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', ...options, source, name);
    const { allocated } = await matchesQemu(name);
    // the zeros stay holes: far less is allocated than the 10 MiB disk
    expect(allocated).toBeLessThan(5 * MiB);
  });

  it('zero clusters (qcow2 v3 flag) over written data read as zeros', async () => {
    qemu('qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', source, 'zeroed.qcow2');
    qemu('qemu-io', '-f', 'qcow2', '-c', 'write -z 65536 1M', 'zeroed.qcow2');
    const l2 = readFileSync(at('zeroed.qcow2'));
    expect(l2.includes(Buffer.from('0000000000000001', 'hex'))).toBe(true);
    await matchesQemu('zeroed.qcow2');
  });

  it("the mirror's handcrafted qcow2", async () => {
    writeFileSync(
      at('mirror.qcow2'),
      makeQcow2({ seed: 'm', virtualSize: 64 * MiB, dataClusters: 5 }),
    );
    await matchesQemu('mirror.qcow2');
  });

  it('refuses what it cannot convert, and says why', async () => {
    qemu(
      'qemu-img',
      'create',
      '-q',
      '-f',
      'qcow2',
      '-o',
      'compression_type=zstd',
      'zstd.qcow2',
      '1M',
    );
    await expect(qcow2ToRaw(at('zstd.qcow2'), at('zstd.raw'))).rejects.toThrow(
      /zstd.qcow2: compression type 1 \(zstd\) is not supported/,
    );
    writeFileSync(at('backing.qcow2'), makeQcow2({ seed: 'b', backingFile: 'base.img' }));
    await expect(qcow2ToRaw(at('backing.qcow2'), at('b.raw'))).rejects.toThrow(ConversionError);
    writeFileSync(at('notqcow.img'), Buffer.alloc(4096));
    await expect(qcow2ToRaw(at('notqcow.img'), at('n.raw'))).rejects.toThrow(/not a qcow2 image/);
  });
});
