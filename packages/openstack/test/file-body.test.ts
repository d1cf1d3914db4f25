import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
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

  it('follows a growing file: never reads past the allowance, waits for more, ends on "end"', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 11);
    const path = fileOf(Buffer.alloc(0));
    // the file grows in three steps; the allowance always lags behind what is in the file
    const steps = [1024 * 1024 + 5, 2 * 1024 * 1024, data.length];
    let written = 0;
    const asked: number[] = [];
    let readPast = false;
    const received: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, callback) {
        received.push(Buffer.from(chunk));
        const total = received.reduce((n, b) => n + b.length, 0);
        if (total > (steps[asked.length - 1] ?? 0)) readPast = true;
        callback();
      },
    });
    const follow = async (position: number): Promise<number | 'end'> => {
      asked.push(position);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const step = steps[asked.length - 1];
      if (step === undefined) return 'end';
      // more is in the file than allowed: bytes past the allowance must not be sent
      const upTo = Math.min(data.length, step + 4096);
      appendFileSync(path, data.subarray(written, upTo));
      written = upTo;
      return step;
    };
    await pumpFile({ path, size: 0, follow }, sink, () => undefined);
    expect(sink.writableEnded).toBe(true);
    expect(asked).toEqual([0, ...steps]);
    expect(readPast).toBe(false);
    expect(Buffer.concat(received).equals(data)).toBe(true);
  });

  it('a follow that throws ends the sending with its error', async () => {
    const path = fileOf(randomBytes(300 * 1024));
    const sink = new Writable({ write: (_c, _e, cb) => cb() });
    let calls = 0;
    await expect(
      pumpFile(
        {
          path,
          size: 0,
          follow: (position) => {
            calls += 1;
            if (position > 0) return Promise.reject(new Error('the download started again'));
            return Promise.resolve(300 * 1024);
          },
        },
        sink,
        () => undefined,
      ),
    ).rejects.toThrow('the download started again');
    expect(calls).toBe(2);
  });
});
