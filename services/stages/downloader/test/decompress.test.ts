// Cancelling a decompression: the input is a named pipe nobody writes to (or writes nothing
// more to), so the tools wait for input until the signal ends them. Both ways decompress
// runs - the shell pipeline (one digest) and Node's tap (several) - must stop at once with
// the signal's reason and leave no process behind.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
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

  it("stops the tool Node feeds and throws the signal's reason", async () => {
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
        decompress('xz', input.path, to, ['sha512', 'sha256'], undefined, cancel.signal),
      ).rejects.toThrow('drain deadline passed');
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await (await writer).close();
    }
  });
});
