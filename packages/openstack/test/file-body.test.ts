import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pumpFile } from '../src/file-body.ts';

function fileOf(bytes: Buffer): string {
  const path = join(mkdtempSync(join(tmpdir(), 'pump-')), 'f');
  writeFileSync(path, bytes);
  return path;
}

describe('pumpFile', () => {
  it('sends every byte in order through a bounded pool, and reports progress', async () => {
    const data = randomBytes(5 * 1024 * 1024 + 123);
    const received: Buffer[] = [];
    const inFlight = new Set<ArrayBufferLike>();
    let maxInFlight = 0;
    const sink = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _enc, callback) {
        received.push(Buffer.from(chunk)); // copy: the pump will reuse the buffer
        inFlight.add(chunk.buffer);
        maxInFlight = Math.max(maxInFlight, inFlight.size);
        setTimeout(() => {
          inFlight.delete(chunk.buffer);
          callback();
        }, 1);
      },
    });
    const progress: number[] = [];
    await pumpFile({ path: fileOf(data), size: data.length }, sink, (n) => progress.push(n));
    await new Promise((resolve) => sink.on('finish', resolve));
    expect(Buffer.concat(received).equals(data)).toBe(true);
    expect(progress.at(-1)).toBe(data.length);
    expect(maxInFlight).toBeLessThanOrEqual(8);
  });

  it('starts a new watcher each time the file is opened: a second sending is never seen on top of the first', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 7);
    const watchers: Buffer[][] = [];
    const body = {
      path: fileOf(data),
      size: data.length,
      onOpen: () => {
        const seen: Buffer[] = [];
        watchers.push(seen);
        return (chunk: Buffer) => void seen.push(Buffer.from(chunk));
      },
    };
    for (let sending = 0; sending < 2; sending += 1) {
      const sink = new Writable({ write: (_c, _e, cb) => cb() });
      await pumpFile(body, sink, () => undefined);
    }
    expect(watchers).toHaveLength(2);
    for (const seen of watchers) expect(Buffer.concat(seen).equals(data)).toBe(true);
  });

  it('stops with the error when the sink fails, and when the file is shorter than promised', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const failing = new Writable({
      write(_chunk, _enc, callback) {
        callback(new Error('socket hang up'));
      },
    });
    failing.on('error', () => undefined);
    await expect(
      pumpFile({ path: fileOf(data), size: data.length }, failing, () => undefined),
    ).rejects.toThrow('socket hang up');

    const short = fileOf(randomBytes(1000));
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    await expect(pumpFile({ path: short, size: 5000 }, sink, () => undefined)).rejects.toThrow(
      'ended at 1000 of 5000 bytes',
    );
  });
});
