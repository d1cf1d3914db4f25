// download() against a small local HTTP server (Range and 416 answered like a real one):
// staging is tied to the release it verified, not only to its series and version name.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, truncateSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Release } from '@imagecycle/contracts';
import { makeQcow2 } from '@imagecycle/test/mirror';
import { download, type DownloadDeps } from '../src/index.ts';

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
