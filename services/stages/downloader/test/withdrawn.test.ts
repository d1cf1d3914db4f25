// A release the upstream withdraws while it is being downloaded (the chaos soak found it): its
// pinned URL answers 404 from then on. That is a verdict on the release - rejected as
// `withdrawn`, naming the URL, at once - not an outage retried until the job fails for good,
// and nothing of it stays in staging. Against the local mirror's real withdraw (Ubuntu takes
// the serial out of its products file and its directory 404s; Debian its dated directory), no
// HTTP mocked. The mirror's Ubuntu products files are large: generous timeouts.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Release } from '@imagecycle/contracts';
import {
  DocumentFetcher,
  loadSeriesTrust,
  MemoryDocumentCache,
  readNewestRelease,
} from '@imagecycle/feed-watcher';
import type { Catalogue, Series } from '@imagecycle/series-catalogue';
import { type Mirror, startMirror } from '@imagecycle/test/mirror';
import { loadMirrorCatalogue } from '@imagecycle/test/support/mirror-catalogue';
import { download, type DownloadDeps, DownloadRejected, stagingPaths } from '../src/index.ts';
import { seriesIn } from './mirror-releases.ts';

let mirror: Mirror;
let catalogue: Catalogue;

beforeAll(async () => {
  mirror = await startMirror({ seed: '2026-11-01' });
  catalogue = await loadMirrorCatalogue(mirror);
}, 60_000);
afterAll(() => mirror.stop());

const seriesOf = (id: string): Series => seriesIn(catalogue, id);

const deps = (): DownloadDeps => ({
  stagingDir: mkdtempSync(join(tmpdir(), 'staging-')),
  trustFor: (id) => loadSeriesTrust(seriesOf(id)),
  fetchAttempts: 4,
});

/** A new release of `seriesId` published on the mirror, as the real feed-watcher reads it. */
async function freshRelease(seriesId: 'ubuntu-24.04' | 'debian-12', date: string) {
  const published = await mirror.publish(seriesId, { date });
  const series = seriesOf(seriesId);
  const release: Release | undefined = await readNewestRelease({
    series,
    fetcher: new DocumentFetcher({ cache: new MemoryDocumentCache() }),
    trust: await loadSeriesTrust(series),
  });
  expect(release?.version).toBe(published.version);
  // the URL the feed pins (Ubuntu's goes through `server/releases/`), as the mirror logs it
  return { release: release as Release, path: new URL((release as Release).url).pathname };
}

/** What the mirror answered for `path`, once `count` requests are logged (a request is logged when its connection closes). */
async function statusesOf(path: string, count: number): Promise<number[]> {
  const statuses = () =>
    mirror.requests.log.filter((entry) => entry.path === path).map((entry) => entry.status);
  await vi.waitFor(() => expect(statuses().length).toBeGreaterThanOrEqual(count));
  return statuses();
}

describe('a release withdrawn upstream during its download', { timeout: 60_000 }, () => {
  it('cut halfway, withdrawn before the resume: rejected as withdrawn, staging emptied, no retry', async () => {
    const { release, path } = await freshRelease('debian-12', '2026-11-05');
    // the first response is cut halfway; every request waits a moment at the mirror, so the
    // withdraw (started once the bytes flow) is done before the resume is answered
    const cut = mirror.faults.truncate(path, { times: 1 });
    const slow = mirror.faults.delay(path, 1000);
    let withdrawing: Promise<unknown> | undefined;
    const ctx = {
      progress: (value: Record<string, number | string>) => {
        if (value.phase === 'download')
          withdrawing ??= mirror.withdraw('debian-12', release.version);
        return Promise.resolve();
      },
    };
    const d = deps();
    const error = await download({ release }, ctx, d).catch((e: unknown) => e);
    cut.remove();
    slow.remove();
    await withdrawing;

    expect(error).toBeInstanceOf(DownloadRejected);
    expect((error as DownloadRejected).reason).toBe('withdrawn');
    expect((error as DownloadRejected).message).toContain(release.url);
    expect((error as DownloadRejected).message).toContain('404');
    // one cut transfer, one resume answered 404, and no further attempt
    expect(await statusesOf(path, 2)).toEqual([200, 404]);
    expect(mirror.requests.log.find((e) => e.path === path && e.status === 404)?.range).toMatch(
      /^bytes=\d+-$/,
    );
    const paths = stagingPaths(d.stagingDir, release.series, release.version);
    expect(existsSync(paths.part)).toBe(false);
    expect(existsSync(paths.dir)).toBe(false);
  });

  it('a worker cancelled mid-download, the release withdrawn before the job runs again: rejected, the partial file removed', async () => {
    const { release, path } = await freshRelease('ubuntu-24.04', '2026-11-06');
    const trickle = mirror.faults.trickle(path, { chunkBytes: 4096, intervalMs: 5 });
    const cancel = new AbortController();
    const cancelling = {
      progress: (value: Record<string, number | string>) => {
        if (value.phase === 'download' && Number(value.bytes) > 0)
          cancel.abort(new Error('drain deadline passed'));
        return Promise.resolve();
      },
      signal: cancel.signal,
    };
    const d = deps();
    const paths = stagingPaths(d.stagingDir, release.series, release.version);
    const cancelled = await download({ release }, cancelling, d).catch((e: unknown) => e);
    trickle.remove();
    expect(cancelled).toEqual(new Error('drain deadline passed'));
    expect(existsSync(paths.part)).toBe(true); // kept for the resume

    await mirror.withdraw('ubuntu-24.04', release.version);
    const ctx = { progress: () => Promise.resolve() };
    const error = await download({ release }, ctx, d).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadRejected);
    expect((error as DownloadRejected).reason).toBe('withdrawn');
    expect((error as DownloadRejected).message).toContain(release.url);
    expect((await statusesOf(path, 2)).filter((status) => status === 404)).toEqual([404]);
    expect(existsSync(paths.dir)).toBe(false);
  });

  it('already withdrawn when the download starts: one request, rejected, nothing created', async () => {
    const { release, path } = await freshRelease('ubuntu-24.04', '2026-11-07');
    await mirror.withdraw('ubuntu-24.04', release.version);
    const d = deps();
    const error = await download({ release }, { progress: () => Promise.resolve() }, d).catch(
      (e: unknown) => e,
    );
    expect((error as DownloadRejected).reason).toBe('withdrawn');
    expect(await statusesOf(path, 1)).toEqual([404]);
    expect(existsSync(stagingPaths(d.stagingDir, release.series, release.version).dir)).toBe(false);
  });
});
