// The document fetcher against the local upstream mirror and a real Redis cache.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mirror, startMirror } from '@imagecycle/test/mirror';
import { RedisDocumentCache } from '../src/document-cache.ts';
import { DocumentFetcher, FetchError } from '../src/document-fetcher.ts';

let mirror: Mirror;
let redis: Redis;
let redirector: Server;
let redirectorUrl: string;

beforeAll(async () => {
  mirror = await startMirror({ seed: '2026-11-01' });
  redis = new Redis(process.env.REDIS_URL ?? '');
  // Answers every request with a redirect to itself: a loop.
  redirector = createServer((req, res) => {
    res.writeHead(302, { location: `${redirectorUrl}${req.url ?? '/'}x` });
    res.end();
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  redirectorUrl = `http://127.0.0.1:${(redirector.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await mirror.stop();
  redis.disconnect();
  redirector.close();
});

function fetcher(options: { maxBytes?: number; timeoutMs?: number } = {}) {
  const cache = new RedisDocumentCache(redis, {
    prefix: `test-${randomBytes(4).toString('hex')}:`,
  });
  return new DocumentFetcher({ cache, ...options });
}

describe('DocumentFetcher', () => {
  it('asks conditionally the second time and serves the cached body on 304', async () => {
    const f = fetcher();
    const url = mirror.feedUrl('ubuntu-24.04');
    const first = await f.fetch('ubuntu-24.04', url);
    const second = await f.fetch('ubuntu-24.04', url);
    expect(first.fromCache).toBe(false);
    expect(second.fromCache).toBe(true);
    expect(second.bytes.equals(first.bytes)).toBe(true);
    expect(f.stats).toEqual({ requests: 2, notModified: 1, bytes: first.bytes.length });
  });

  it('fetches again once the upstream publishes something new', async () => {
    const f = fetcher();
    const url = mirror.feedUrl('debian-12');
    const before = await f.fetch('debian-12', url);
    await mirror.publish('debian-12', { date: '2026-11-20' });
    const after = await f.fetch('debian-12', url);
    expect(after.fromCache).toBe(false);
    expect(after.bytes.equals(before.bytes)).toBe(false);
  });

  it('names series, URL and cause: 404, 5xx after retries, truncation, size cap, redirect loop, timeout', async () => {
    const f = fetcher({ timeoutMs: 1500 });
    const missing = mirror.url('/cloud-images.ubuntu.com/releases/nothing-here.json');
    await expect(f.fetch('ubuntu-24.04', missing)).rejects.toThrow(
      `series ubuntu-24.04: ${missing}: not found (404)`,
    );
    expect(await f.fetchOptional('ubuntu-24.04', missing)).toBeUndefined();

    const flat = mirror.feedUrl('flatcar-stable');
    const fault = mirror.faults.fail(flat, { status: 503, times: 10 });
    await expect(f.fetch('flatcar', flat)).rejects.toThrow(
      /series flatcar: .*answered HTTP 503|HTTP 503/,
    );
    fault.remove();

    const big = mirror.feedUrl('ubuntu-24.04');
    await expect(fetcher({ maxBytes: 100 }).fetch('ubuntu-24.04', big)).rejects.toThrow(
      /larger than the 100-byte cap/,
    );

    const cut = mirror.feedUrl('centos-7');
    mirror.faults.truncate(cut, { times: 5 });
    await expect(fetcher().fetch('centos-7', cut)).rejects.toBeInstanceOf(FetchError);

    await expect(f.fetch('x', `${redirectorUrl}/loop`)).rejects.toThrow(/more than 5 redirects/);

    const slow = mirror.feedUrl('fedora-coreos-stable');
    mirror.faults.delay(slow, 4000, { times: 5 });
    await expect(f.fetch('fcos', slow)).rejects.toThrow(
      /series fcos: .*(ETIMEDOUT|timed out|Timeout)/i,
    );
  });

  it("stops a fetch its caller's signal cancels, with the signal's reason - no FetchError, no retry", async () => {
    const f = fetcher({ timeoutMs: 30_000 });
    const slow = mirror.feedUrl('almalinux-9');
    const fault = mirror.faults.delay(slow, 10_000, { times: 5 });
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(new Error('drain deadline passed')), 200);
    const started = Date.now();
    const error = await f.fetch('almalinux-9', slow, cancel.signal).catch((e: unknown) => e);
    fault.remove();
    expect(error).toEqual(new Error('drain deadline passed'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(f.stats.requests).toBe(1);
  });
});
