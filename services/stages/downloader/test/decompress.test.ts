// Decompressing with one or two digests in a shell pipeline: the file and the digests as Node
// would compute them. Cancelling a decompression: the input is a named pipe nobody writes to
// (or writes nothing more to), so the tools wait for input until the signal ends them. Both
// ways decompress runs - the shell pipeline (digests with tools of their own) and Node's tap
// (any other) - must stop at once with the signal's reason and leave no process behind.
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decompress } from '../src/decompress.ts';

function fifo(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'decompress-'));
  const path = join(dir, 'image.xz');
  execFileSync('mkfifo', [path]);
  return { dir, path };
}

/** Pids of the processes whose command line mentions `text`. */
function processesNaming(text: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return pids;
}

async function noneLeft(text: string): Promise<number[]> {
  const deadline = Date.now() + 2000;
  let left = processesNaming(text);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = processesNaming(text);
  }
  return left;
}

describe('decompress', () => {
  const image = () => {
    const dir = mkdtempSync(join(tmpdir(), 'decompress-'));
    const bytes = Buffer.concat([randomBytes(3 * 1024 * 1024), Buffer.alloc(2 * 1024 * 1024)]);
    const raw = join(dir, 'disk.raw');
    writeFileSync(raw, bytes);
    execFileSync('xz', ['-0', '--', raw]); // leaves disk.raw.xz
    const digest = (algorithm: string) => createHash(algorithm).update(bytes).digest('hex');
    return { dir, bytes, packed: `${raw}.xz`, digest };
  };

  it('takes SHA-512 and the upstream SHA-256 of the decompressed image in one shell pipeline', async () => {
    const { dir, bytes, packed, digest } = image();
    const to = join(dir, 'disk.img');
    expect(await decompress('xz', packed, to, ['sha512', 'sha256'])).toEqual({
      size: bytes.length,
      digests: { sha512: digest('sha512'), sha256: digest('sha256') },
    });
    expect(readFileSync(to).equals(bytes)).toBe(true);
  });

  it('takes one digest in the shell, and any other set in Node, alike', async () => {
    const { dir, bytes, packed, digest } = image();
    expect(await decompress('xz', packed, join(dir, 'one.img'), ['sha512'])).toEqual({
      size: bytes.length,
      digests: { sha512: digest('sha512') },
    });
    expect(await decompress('xz', packed, join(dir, 'node.img'), ['sha512', 'sha384'])).toEqual({
      size: bytes.length,
      digests: { sha512: digest('sha512'), sha384: digest('sha384') },
    });
  });

  it('takes the digests with coreutils where there is no openssl command, alike', async () => {
    const { dir, bytes, packed, digest } = image();
    // a PATH of the pipeline's tools without openssl
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    for (const tool of ['bash', 'tee', 'xz', 'sha512sum', 'sha256sum'])
      symlinkSync(
        execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(),
        join(bin, tool),
      );
    const saved = process.env.PATH;
    process.env.PATH = bin;
    try {
      expect(await decompress('xz', packed, join(dir, 'core.img'), ['sha512', 'sha256'])).toEqual({
        size: bytes.length,
        digests: { sha512: digest('sha512'), sha256: digest('sha256') },
      });
    } finally {
      process.env.PATH = saved;
    }
  });

  it('takes the digests with openssl where the command exists', async () => {
    const { dir, packed } = image();
    // openssl that records being asked, then does the work
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    const asked = join(dir, 'asked');
    const real = execFileSync('bash', ['-c', 'command -v openssl'], { encoding: 'utf8' }).trim();
    writeFileSync(
      join(bin, 'openssl'),
      `#!/bin/bash\necho "$*" >> '${asked}'\nexec '${real}' "$@"\n`,
      {
        mode: 0o755,
      },
    );
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved}`;
    try {
      await decompress('xz', packed, join(dir, 'ossl.img'), ['sha512', 'sha256']);
    } finally {
      process.env.PATH = saved;
    }
    expect(readFileSync(asked, 'utf8').split('\n').filter(Boolean).sort()).toEqual([
      'dgst -sha256 -r',
      'dgst -sha512 -r',
    ]);
  });

  it('fails on a damaged stream, naming the tool', async () => {
    const { dir, packed } = image();
    const damaged = readFileSync(packed);
    damaged.fill(0x55, 64, 4096);
    writeFileSync(packed, damaged);
    await expect(
      decompress('xz', packed, join(dir, 'disk.img'), ['sha512', 'sha256']),
    ).rejects.toThrow(/^xz -dc failed \(exit \d+\)/);
  });
});

describe('decompress cancelled', () => {
  it('kills the whole shell pipeline and throws the signal reason', async () => {
    const input = fifo();
    const to = join(input.dir, 'disk-from-shell.img');
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(new Error('drain deadline passed')), 300);
    const started = Date.now();
    await expect(
      decompress('xz', input.path, to, ['sha512'], undefined, cancel.signal),
    ).rejects.toThrow('drain deadline passed');
    expect(Date.now() - started).toBeLessThan(2000);
    // tee names the output file: it, and every other part of the pipeline, is gone
    expect(await noneLeft(to)).toEqual([]);
  });

  it('kills the pipeline with two digests too, the process substitution included', async () => {
    const input = fifo();
    const to = join(input.dir, 'disk-from-shell-two.img');
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(new Error('drain deadline passed')), 300);
    const started = Date.now();
    await expect(
      decompress('xz', input.path, to, ['sha512', 'sha256'], undefined, cancel.signal),
    ).rejects.toThrow('drain deadline passed');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await noneLeft(to)).toEqual([]);
  });

  it("stops the tool Node feeds (a digest without a shell tool) and throws the signal's reason", async () => {
    const input = fifo();
    const to = join(input.dir, 'disk-from-node.img');
    const cancel = new AbortController();
    // a writer that sends the start of an xz stream, then nothing more
    const writer = open(input.path, 'w');
    try {
      void writer.then((handle) => handle.write(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])));
      setTimeout(() => cancel.abort(new Error('drain deadline passed')), 300);
      const started = Date.now();
      await expect(
        decompress('xz', input.path, to, ['sha512', 'sha384'], undefined, cancel.signal),
      ).rejects.toThrow('drain deadline passed');
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await (await writer).close();
    }
  });
});
