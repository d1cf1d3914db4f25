// HTTP behaviour: validators and 304s, byte ranges, HEAD, directory indexes, errors, counters.
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMirror, type Mirror, type PublishedRelease } from '../index.ts';
import { get, sha256 } from './helpers.ts';

let mirror: Mirror;
let release: PublishedRelease;

beforeAll(async () => {
  mirror = await startMirror({ seed: '2026-11-01' });
  release = mirror.latest('debian-12') as PublishedRelease;
}, 30_000);
afterAll(() => mirror.stop());

describe('validators and conditional requests', () => {
  it('sends ETag, Last-Modified, Content-Length and Accept-Ranges', async () => {
    const r = await get(release.image.url);
    expect(r.status).toBe(200);
    expect(r.headers.etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect(new Date(r.headers['last-modified'] ?? '').toISOString()).toBe(release.publishedAt); // the simulated publish time
    expect(Number(r.headers['content-length'])).toBe(release.image.size);
    expect(r.headers['accept-ranges']).toBe('bytes');
    expect(r.headers['content-type']).toBe('application/octet-stream');
  });

  it('answers 304 to a matching If-None-Match and 200 to a stale one', async () => {
    const feed = mirror.feedUrl('ubuntu-24.04');
    const first = await get(feed);
    const etag = first.headers.etag ?? '';
    const again = await get(feed, { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    expect((await get(feed, { 'If-None-Match': `"nope", ${etag}` })).status).toBe(304);
    expect((await get(feed, { 'If-None-Match': '"nope"' })).status).toBe(200);
    // If-None-Match wins over If-Modified-Since
    expect(
      (
        await get(feed, {
          'If-None-Match': '"nope"',
          'If-Modified-Since': first.headers['last-modified'] ?? '',
        })
      ).status,
    ).toBe(200);
  });

  it('answers 304 to If-Modified-Since at or after Last-Modified, 200 before it', async () => {
    const url = mirror.feedUrl('centos-stream-9');
    const lm = (await get(url)).headers['last-modified'] ?? '';
    expect((await get(url, { 'If-Modified-Since': lm })).status).toBe(304);
    expect(
      (await get(url, { 'If-Modified-Since': new Date(Date.parse(lm) - 1000).toUTCString() }))
        .status,
    ).toBe(200);
  });

  it('changes ETag and Last-Modified of a feed when a release is published', async () => {
    const url = mirror.feedUrl('centos-stream-9');
    const before = await get(url);
    await mirror.publish('centos-stream-9', { respin: true }); // same day: Last-Modified still has to move
    const after = await get(url, {
      'If-None-Match': before.headers.etag ?? '',
      'If-Modified-Since': before.headers['last-modified'] ?? '',
    });
    expect(after.status).toBe(200);
    expect(after.headers.etag).not.toBe(before.headers.etag);
    expect(
      (await get(url, { 'If-Modified-Since': before.headers['last-modified'] ?? '' })).status,
    ).toBe(200);
    expect(Date.parse(after.headers['last-modified'] ?? '')).toBeGreaterThan(
      Date.parse(before.headers['last-modified'] ?? ''),
    );
    // a dated file does not change
    expect(
      (
        await get(release.image.url, {
          'If-Modified-Since': (await get(release.image.url)).headers['last-modified'] ?? '',
        })
      ).status,
    ).toBe(304);
  });
});

describe('ranges', () => {
  it('serves 206 with the requested bytes', async () => {
    const full = (await get(release.image.url)).body;
    const r = await get(release.image.url, { Range: 'bytes=100-199' });
    expect(r.status).toBe(206);
    expect(r.headers['content-range']).toBe(`bytes 100-199/${full.length}`);
    expect(Number(r.headers['content-length'])).toBe(100);
    expect(r.body).toEqual(full.subarray(100, 200));
    const open = await get(release.image.url, { Range: `bytes=${full.length - 5000}-` });
    expect(open.status).toBe(206);
    expect(open.body).toEqual(full.subarray(full.length - 5000));
    const suffix = await get(release.image.url, { Range: 'bytes=-10' });
    expect(suffix.body).toEqual(full.subarray(full.length - 10));
    expect(suffix.headers['content-range']).toBe(
      `bytes ${full.length - 10}-${full.length - 1}/${full.length}`,
    );
  });

  it('resumes: two ranges add up to the file and its checksum', async () => {
    const a = await get(release.image.url, { Range: 'bytes=0-65535' });
    const b = await get(release.image.url, {
      Range: 'bytes=65536-',
      'If-Range': a.headers.etag ?? '',
    });
    expect(b.status).toBe(206);
    expect(sha256(Buffer.concat([a.body, b.body]))).toBe(release.image.sha256);
  });

  it('serves the whole body when If-Range does not match, 416 past the end, and ignores multi-ranges', async () => {
    const stale = await get(release.image.url, { Range: 'bytes=10-20', 'If-Range': '"stale"' });
    expect(stale.status).toBe(200);
    expect(stale.body.length).toBe(release.image.size);
    const byDate = await get(release.image.url, {
      Range: 'bytes=10-20',
      'If-Range': (await get(release.image.url)).headers['last-modified'] ?? '',
    });
    expect(byDate.status).toBe(206);
    const past = await get(release.image.url, { Range: `bytes=${release.image.size}-` });
    expect(past.status).toBe(416);
    expect(past.headers['content-range']).toBe(`bytes */${release.image.size}`);
    expect((await get(release.image.url, { Range: 'bytes=0-1,5-6' })).status).toBe(200);
  });
});

describe('HEAD, directories and errors', () => {
  it('HEAD gives the headers without a body', async () => {
    const r = await get(release.image.url, {}, 'HEAD');
    expect(r.status).toBe(200);
    expect(Number(r.headers['content-length'])).toBe(release.image.size);
    expect(r.body.length).toBe(0);
    expect(
      (await get(mirror.feedUrl('debian-12'), { 'If-None-Match': r.headers.etag ?? '' }, 'HEAD'))
        .status,
    ).toBe(200);
  });

  it('redirects a directory without its slash and serves an HTML index of it', async () => {
    const dir = mirror.url('/cloud.debian.org/images/cloud/bookworm');
    const r = await get(dir);
    expect(r.status).toBe(301);
    expect(r.headers.location).toBe('/cloud.debian.org/images/cloud/bookworm/');
    const index = await get(`${dir}/${release.version}/`);
    expect(index.headers['content-type']).toContain('text/html');
    const hrefs = [...index.body.toString().matchAll(/href="([^"?]+)"/g)].map((m) => m[1]);
    expect(hrefs).toContain(release.image.name);
    expect(hrefs).toContain('SHA512SUMS');
    expect(hrefs).toContain('../');
  });

  it('prefixes names with a colon with ./ in indexes so they stay relative', async () => {
    const html = (
      await get(mirror.url('/cloud-images.ubuntu.com/releases/streams/v1/'))
    ).body.toString();
    expect(html).toContain('href="./com.ubuntu.cloud:released:download.json"');
  });

  it('follows the mutable aliases (latest/, release/, current/)', async () => {
    const viaLatest = await get(
      mirror.url(`/cloud.debian.org/images/cloud/bookworm/latest/${release.image.name}`),
    );
    expect(sha256(viaLatest.body)).toBe(release.image.sha256);
    const flatcar = await get(
      mirror.url(
        '/stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_openstack_image.img.bz2',
      ),
    );
    expect(sha256(flatcar.body)).toBe(mirror.latest('flatcar-stable')?.image.sha256);
  });

  it('answers 404 for unknown paths, never leaves the root, and 405 for other methods', async () => {
    expect((await get(mirror.url('/cloud.debian.org/nope'))).status).toBe(404);
    const status = await new Promise<number>((resolve, reject) => {
      const u = new URL(mirror.baseUrl);
      const req = request(
        { host: u.hostname, port: u.port, path: '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', agent: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(404);
    expect((await get(release.image.url, {}, 'POST')).status).toBe(405);
  });
});

describe('counters', () => {
  it('counts requests and body bytes, total and per path, and logs validators', async () => {
    const url = mirror.latest('rocky-9')?.image.url ?? '';
    const before = {
      total: mirror.requests.total,
      bytes: mirror.requests.bytes,
      path: mirror.requests.for(url),
    };
    const r1 = await get(url);
    const r2 = await get(url, { Range: 'bytes=0-9' });
    await get(url, { 'If-None-Match': r1.headers.etag ?? '' });
    await get(url, {}, 'HEAD');
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = mirror.requests.for(url);
    expect(now.requests - before.path.requests).toBe(4);
    expect(now.bytes - before.path.bytes).toBe(r1.body.length + r2.body.length);
    expect(now.statuses).toMatchObject({ 200: 2, 206: 1, 304: 1 });
    expect(mirror.requests.total - before.total).toBe(4);
    expect(mirror.requests.bytes - before.bytes).toBe(r1.body.length + 10);
    const logged = mirror.requests.log.filter((e) => url.endsWith(e.path));
    expect(logged.map((e) => e.status)).toEqual([200, 206, 304, 200]);
    expect(logged[2]?.ifNoneMatch).toBe(r1.headers.etag);
    expect(logged[1]?.range).toBe('bytes=0-9');
    expect(mirror.requests.under('/dl.rockylinux.org/').requests).toBeGreaterThanOrEqual(4);
    expect(mirror.requests.table()).toContain(new URL(url).pathname);
    mirror.requests.reset();
    expect(mirror.requests.for(url).requests).toBe(0);
    expect(mirror.requests.total).toBe(0);
  });
});
