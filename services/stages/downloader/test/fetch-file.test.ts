// fetchFile against a plain local HTTP server that cuts its answers: every byte that reached
// the client before the cut is on disk, so the resume asks for exactly the rest. The server
// closes the socket the moment the last byte is written, so the cut arrives with the bytes;
// the mirror's truncate fault closes later, and against it the lost-bytes bug did not show.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchFile } from '../src/fetch-file.ts';

const body = randomBytes(3 * 1024 * 1024 + 123);
let cutAt = 0; // the next full answer stops after this many bytes (0: no cut)
let trickle = false; // the next full answer comes 64 KiB at a time, every 50 ms
const ranges: (string | undefined)[] = [];
let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    ranges.push(req.headers.range);
    const from = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    if (from >= body.length) {
      // as real servers answer a range past the end: 416, with the whole length
      res.writeHead(416, { 'content-range': `bytes */${body.length}`, 'content-length': 0 });
      res.end();
      return;
    }
    const rest = body.subarray(from);
    res.writeHead(from > 0 ? 206 : 200, { 'content-length': rest.length });
    if (from === 0 && cutAt > 0) {
      // promise the whole body, deliver a part, and close the connection
      res.write(rest.subarray(0, cutAt), () => res.socket?.destroy());
      return;
    }
    if (from === 0 && trickle) {
      let sent = 0;
      const timer = setInterval(() => {
        if (res.destroyed || sent >= rest.length) return clearInterval(timer);
        res.write(rest.subarray(sent, sent + 64 * 1024));
        sent += 64 * 1024;
      }, 50);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.end(rest);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/image.qcow2`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('fetchFile', () => {
  it('keeps every byte it took before a cut and resumes right after them', async () => {
    const sha256 = createHash('sha256').update(body).digest('hex');
    // Small cuts arrive before the file is even open, and all of them are kept: the resume
    // starts exactly at the cut. A large cut arrives while the sink has paused the response
    // for a write; what still sat in the HTTP client's buffers then is dropped with the
    // connection and fetched again, so the resume starts a little before the cut - never at
    // zero, never past it.
    for (const cut of [1, 4096, 64 * 1024 + 7, 1024 * 1024, 3 * 1024 * 1024]) {
      cutAt = cut;
      ranges.length = 0;
      const path = join(mkdtempSync(join(tmpdir(), 'fetch-')), 'artifact');
      const fetched = await fetchFile(url, path, { algorithms: ['sha256'], attempts: 3 });
      const what = `cut after ${cut} bytes: ${JSON.stringify(ranges)}`;
      expect(ranges, what).toHaveLength(2);
      expect(ranges[0], what).toBeUndefined();
      const from = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1]);
      if (cut < 256 * 1024) expect(from, what).toBe(cut);
      else expect(from > cut - 256 * 1024 && from <= cut, what).toBe(true);
      expect(fetched.resumes).toBe(1);
      expect(fetched.size).toBe(body.length);
      expect(fetched.digests.sha256).toBe(sha256);
      expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(sha256);
    }
  });
});

// Defect: a worker killed after the last byte (while decompressing or checking the signature)
// asked for `bytes=<size>-` on every retry, got 416 every time, and never finished.
describe('fetchFile with a file already whole on disk', () => {
  const sha256 = createHash('sha256').update(body).digest('hex');
  const staged = (bytes: Buffer) => {
    const path = join(mkdtempSync(join(tmpdir(), 'fetch-')), 'artifact');
    writeFileSync(path, bytes);
    return path;
  };

  it('takes the 416 that names its own length as "complete" and hashes what is there', async () => {
    cutAt = 0;
    ranges.length = 0;
    const path = staged(body);
    const fetched = await fetchFile(url, path, { algorithms: ['sha256'], attempts: 3 });
    expect(ranges).toEqual([`bytes=${body.length}-`]);
    expect(fetched).toMatchObject({ size: body.length, reused: body.length });
    expect(fetched.digests.sha256).toBe(sha256);
  });

  it('makes no request at all when the feed gave the size and the file has it', async () => {
    cutAt = 0;
    ranges.length = 0;
    const path = staged(body);
    const fetched = await fetchFile(url, path, {
      algorithms: ['sha256'],
      attempts: 3,
      size: body.length,
    });
    expect(ranges).toEqual([]);
    expect(fetched).toMatchObject({ size: body.length, reused: body.length });
    expect(fetched.digests.sha256).toBe(sha256);
  });

  it('fetches from zero a file longer than the upstream says, with or without the size', async () => {
    cutAt = 0;
    for (const size of [undefined, body.length]) {
      ranges.length = 0;
      const path = staged(Buffer.concat([body, Buffer.from('left over from something else')]));
      const fetched = await fetchFile(url, path, {
        algorithms: ['sha256'],
        attempts: 3,
        ...(size ? { size } : {}),
      });
      expect(ranges, `size ${size}`).toEqual(
        size ? [undefined] : [`bytes=${body.length + 29}-`, undefined],
      );
      expect(fetched).toMatchObject({ size: body.length, reused: 0 });
      expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(sha256);
    }
  });
});

describe('fetchFile cancelled', () => {
  it("stops at once with the signal's reason, keeps what arrived, and the next call resumes after it", async () => {
    cutAt = 0;
    trickle = true;
    ranges.length = 0;
    const path = join(mkdtempSync(join(tmpdir(), 'fetch-')), 'artifact');
    const cancel = new AbortController();
    let cancelledAt = 0;
    const error = await fetchFile(url, path, {
      algorithms: ['sha256'],
      attempts: 3,
      signal: cancel.signal,
      onProgress: (bytes) => {
        if (bytes >= 256 * 1024 && !cancel.signal.aborted) {
          cancelledAt = Date.now();
          cancel.abort(new Error('drain deadline passed'));
        }
      },
    }).catch((e: unknown) => e as Error);
    trickle = false;
    expect(error).toEqual(new Error('drain deadline passed'));
    expect(Date.now() - cancelledAt).toBeLessThan(1000);
    expect(ranges).toEqual([undefined]); // no retry after a cancel
    const kept = statSync(path).size;
    expect(kept).toBeGreaterThanOrEqual(256 * 1024);
    expect(kept).toBeLessThan(body.length);

    const fetched = await fetchFile(url, path, { algorithms: ['sha256'], attempts: 1 });
    expect(ranges).toEqual([undefined, `bytes=${kept}-`]);
    expect(fetched.digests.sha256).toBe(createHash('sha256').update(body).digest('hex'));
  });
});

describe('fetchFile when the disk refuses', () => {
  it('names the file, gives up after its attempts, and leaves the request closed', async () => {
    cutAt = 0;
    ranges.length = 0;
    const missing = join(mkdtempSync(join(tmpdir(), 'fetch-')), 'no-such-dir', 'artifact');
    const error = await fetchFile(url, missing, { algorithms: ['sha256'], attempts: 2 }).catch(
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).toContain('after 2 attempts');
    expect(ranges).toEqual([undefined, undefined]);
  });

  it('passes a failing write on with its cause (a full disk)', async () => {
    cutAt = 0;
    const error = await fetchFile(url, '/dev/full', { algorithms: ['sha256'], attempts: 1 }).catch(
      (e: unknown) => e as Error,
    );
    expect((error as Error).message).toMatch(/ENOSPC/);
  });
});
