// download() against a small local HTTP server (Range and 416 answered like a real one):
// staging is tied to the release it verified, not only to its series and version name.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Release } from '@imagecycle/contracts';
import { makeQcow2 } from '@imagecycle/test/mirror';
import { download, type DownloadDeps, stagingPaths } from '../src/index.ts';

/** What the server serves, by URL path; tests change it to play an upstream's respin. */
const files = new Map<string, Buffer>();
const requests: { path: string; range: string | undefined; status: number }[] = [];
let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '';
    const range = req.headers.range;
    const answer = (status: number, headers: Record<string, string | number>, body?: Buffer) => {
      requests.push({ path, range, status });
      res.writeHead(status, headers);
      res.end(body);
    };
    const body = files.get(path);
    if (!body) return answer(404, {});
    const from = /^bytes=(\d+)-$/.exec(range ?? '')?.[1];
    if (from === undefined) return answer(200, { 'content-length': body.length }, body);
    const start = Number(from);
    if (start >= body.length)
      return answer(416, { 'content-range': `bytes */${body.length}`, 'content-length': 0 });
    return answer(
      206,
      {
        'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
        'content-length': body.length - start,
      },
      body.subarray(start),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));
beforeEach(() => {
  files.clear();
  requests.length = 0;
});

const ctx = { progress: () => Promise.resolve() };
const deps = (): DownloadDeps => ({
  stagingDir: mkdtempSync(join(tmpdir(), 'staging-')),
  trustFor: () => Promise.resolve(undefined),
  fetchAttempts: 3,
});
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const image = (seed: string) => makeQcow2({ seed, virtualSize: 64 * 1024 * 1024 });

/** An uncompressed qcow2 release of `bytes`, served by the local server. */
function serve(version: string, bytes: Buffer, series = 'testos-1'): Release {
  const path = `/${encodeURIComponent(series)}/${encodeURIComponent(version)}/disk.qcow2`;
  files.set(path, bytes);
  return {
    series,
    version,
    buildDate: '2026-11-20',
    url: `${base}${path}`,
    diskFormat: 'qcow2',
    compression: 'none',
    checksum: { algorithm: 'sha256', value: sha256(bytes) },
    signature: { status: 'not-required' },
    properties: {},
  };
}

describe('download: staging belongs to one release', () => {
  it('a respin of the same version with a new checksum is downloaded again, not taken from the old marker', async () => {
    const d = deps();
    const first = await download({ release: serve('20261120', image('first')) }, ctx, d);
    const respun = image('respun');
    const release = serve('20261120', respun);
    requests.length = 0;
    const second = await download({ release }, ctx, d);
    expect(second.upstreamChecksum).toEqual(release.checksum);
    expect(sha256(readFileSync(second.path))).toBe(release.checksum.value);
    expect(second.path).toBe(first.path); // the same directory, its content replaced
    expect(requests.map((r) => [r.range, r.status])).toEqual([[undefined, 200]]);
  });

  it('a marker whose disk image is gone or cut short is discarded and the release downloaded again', async () => {
    const d = deps();
    const release = serve('20261121', image('cut short'));
    const first = await download({ release }, ctx, d);
    truncateSync(first.path, 4096);
    requests.length = 0;
    expect(await download({ release }, ctx, d)).toEqual(first);
    expect(sha256(readFileSync(first.path))).toBe(release.checksum.value);
    expect(requests.map((r) => [r.range, r.status])).toEqual([[undefined, 200]]);
  });

  it('versions that differ only in characters outside [A-Za-z0-9._-] are staged apart', async () => {
    const d = deps();
    const plus = serve('1.0+1', image('plus'));
    const underscore = serve('1.0_1', image('underscore'));
    const colon = serve('1.0:1', image('colon'));
    const artifacts = [];
    for (const release of [plus, underscore, colon]) {
      const artifact = await download({ release }, ctx, d);
      expect(sha256(readFileSync(artifact.path)), release.version).toBe(release.checksum.value);
      expect(artifact.upstreamChecksum, release.version).toEqual(release.checksum);
      artifacts.push(artifact);
    }
    expect(new Set(artifacts.map((a) => a.path)).size).toBe(3);
    // each is still there and still its own: a rerun returns it without the network
    requests.length = 0;
    for (const [i, release] of [plus, underscore, colon].entries())
      expect(await download({ release }, ctx, d)).toEqual(artifacts[i]);
    expect(requests).toEqual([]);
  });
});

// Defect: a worker killed after the last byte - while decompressing or checking the
// signature - left a complete download.part; every retry asked for the bytes after its end,
// got 416, and the release was never published.
describe('download: a complete download.part is verified, not fetched again', () => {
  /** The state a worker killed after the last byte leaves: the whole file as download.part. */
  function killedAfterLastByte(d: DownloadDeps, release: Release, bytes: Buffer) {
    const paths = stagingPaths(d.stagingDir, release.series, release.version);
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.part, bytes);
    return paths;
  }

  it('without the size from the feed: one 416 tells it is whole, and it is verified', async () => {
    const d = deps();
    const bytes = image('whole');
    const release = serve('20261130', bytes);
    killedAfterLastByte(d, release, bytes);
    const artifact = await download({ release }, ctx, d);
    expect(sha256(readFileSync(artifact.path))).toBe(release.checksum.value);
    expect(requests.map((r) => [r.range, r.status])).toEqual([[`bytes=${bytes.length}-`, 416]]);
  });

  it('with the size from the feed: verified without a request', async () => {
    const d = deps();
    const bytes = image('whole, sized');
    const release = { ...serve('20261201', bytes), size: bytes.length };
    killedAfterLastByte(d, release, bytes);
    const artifact = await download({ release }, ctx, d);
    expect(sha256(readFileSync(artifact.path))).toBe(release.checksum.value);
    expect(requests).toEqual([]);
  });

  it('a complete download.part of other bytes is fetched again from zero, not rejected', async () => {
    for (const size of [undefined, true]) {
      requests.length = 0;
      const d = deps();
      const bytes = image(`right ${size}`);
      const served = serve(`20261202-${size}`, bytes);
      const release = size ? { ...served, size: bytes.length } : served;
      killedAfterLastByte(d, release, image('wrong, same length'));
      const artifact = await download({ release }, ctx, d);
      expect(sha256(readFileSync(artifact.path)), `size ${size}`).toBe(release.checksum.value);
      expect(
        requests.map((r) => [r.range, r.status]),
        `size ${size}`,
      ).toEqual(
        size
          ? [[undefined, 200]]
          : [
              [`bytes=${bytes.length}-`, 416],
              [undefined, 200],
            ],
      );
    }
  });

  it('a partial download.part of other bytes (an earlier respin) is fetched again from zero', async () => {
    const d = deps();
    const bytes = image('the respin');
    const release = serve('20261203', bytes);
    killedAfterLastByte(d, release, Buffer.alloc(100_000, 'the first spin'));
    const artifact = await download({ release }, ctx, d);
    expect(sha256(readFileSync(artifact.path))).toBe(release.checksum.value);
    expect(requests.map((r) => [r.range, r.status])).toEqual([
      ['bytes=100000-', 206],
      [undefined, 200],
    ]);
  });
});
