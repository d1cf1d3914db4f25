// The uploader against the real Glance (and Nova for the smoke test). Artifacts are staged
// as the downloader leaves them: the disk image and its marker in the release's directory.
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Artifact,
  MANAGED_TAG,
  PROPERTY,
  type Release,
  stagingMarker,
  stagingPaths,
} from '@imagecycle/contracts';
import { listManagedImages } from '@imagecycle/inventory';
import { desiredState } from '@imagecycle/lifecycle';
import { OpenStackClient, type Server } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { connect, runPrefix } from '@imagecycle/test/support/clouds';
import { listAllServers } from '@imagecycle/test/support/openstack-test-calls';
import { until } from '@imagecycle/test/support/until';
import { startFaultProxy } from '@imagecycle/test/support/fault-proxy';
import { makeQcow2 } from '@imagecycle/test/mirror';
import {
  type SmokeVerdict,
  StagingDamaged,
  upload,
  type UploadDeps,
  UploadRejected,
} from '../src/index.ts';

const service = connect('service');
const seriesId = runPrefix('upload');
let owner: string;
const reconciles: string[] = [];
const progress: Record<string, number | string>[] = [];
const ctx = {
  progress: (value: Record<string, number | string>) => Promise.resolve(void progress.push(value)),
};

const series = (extra: Partial<Series> = {}): Series =>
  ({
    id: seriesId,
    title: `Test OS ${seriesId}`,
    naming: 'default',
    vendor: 'itest',
    properties: {
      os_distro: 'testos',
      os_version: '1',
      hw_disk_bus: 'scsi',
      image_original_user: 'test',
    },
    minDisk: 1,
    minRam: 128,
    retired: false,
    communityHidden: false,
    ...extra,
  }) as unknown as Series;

let currentSeries = series();
let deps: UploadDeps;
const stagingDir = mkdtempSync(join(tmpdir(), 'upload-staging-'));
const sha = (algorithm: string, bytes: Buffer) => createHash(algorithm).update(bytes).digest('hex');

/** A release of `bytes`, staged as the downloader leaves it: disk image, then marker. */
function artifactFor(
  version: string,
  bytes = makeQcow2({ seed: `${seriesId}-${version}`, virtualSize: 64 * 1024 * 1024 }),
  options: { series?: string; marked?: (artifact: Artifact) => Artifact } = {},
) {
  const { series: forSeries = seriesId, marked = (artifact) => artifact } = options;
  const release = releaseOf(version, bytes, forSeries);
  const paths = stagingPaths(stagingDir, forSeries, version);
  mkdirSync(paths.dir, { recursive: true });
  writeFileSync(paths.disk, bytes);
  const artifact = marked({
    path: paths.disk,
    size: bytes.length,
    sha512: sha('sha512', bytes),
    diskFormat: 'qcow2',
    virtualSize: 64 * 1024 * 1024,
  });
  writeFileSync(paths.marker, JSON.stringify(stagingMarker(release, artifact)));
  return { artifact, release, paths };
}

function releaseOf(version: string, bytes: Buffer, forSeries = seriesId): Release {
  return {
    series: forSeries,
    version,
    buildDate: '2026-11-20',
    url: `https://example.test/${version}/disk.qcow2`,
    diskFormat: 'qcow2',
    compression: 'none',
    checksum: { algorithm: 'sha256', value: sha('sha256', bytes) },
    signature: { status: 'not-required' },
    properties: {},
  };
}

/**
 * Nova's records of the smoke-test servers changed since `since`, deleted ones included
 * (`changes-since` lists deleted servers too; every project, as admin): what really ran,
 * whatever the uploader's code says it did.
 */
async function serverRecordsSince(since: Date): Promise<Server[]> {
  const reply = await service.session.request({
    service: 'compute',
    method: 'GET',
    url: `${await service.session.endpoint('compute')}/servers/detail`,
    query: { all_tenants: 1, 'changes-since': since.toISOString() },
    expect: [200],
  });
  return (JSON.parse(reply.body) as { servers: Server[] }).servers.filter((server) =>
    server.name?.startsWith('imagecycle-smoke-'),
  );
}

/** What a server record says about the smoke test: booted from what, launched, deleted. */
const record = (server: Server) => ({
  name: server.name,
  image: server.image ? server.image.id : server.image,
  status: server.status,
  launched: typeof server['OS-SRV-USG:launched_at'] === 'string',
  terminated: typeof server['OS-SRV-USG:terminated_at'] === 'string',
});

beforeAll(async () => {
  owner = await service.projectId();
  deps = {
    glance: service.glance,
    owner,
    findSeries: (id) => (id === seriesId ? currentSeries : undefined),
    enqueueReconcile: (s) => Promise.resolve(void reconciles.push(s)),
    stagingDir,
  };
});

afterAll(async () => {
  for (const image of await listManagedImages(service.glance, { owner, series: seriesId }))
    await service.glance.deleteImage(image.id);
});

describe('upload', () => {
  it('creates a hidden private candidate with every property, streams the bytes, checks Glance hash, marks it verified, hands over to the renamer', async () => {
    const { artifact, release } = artifactFor('20261120');
    const result = await upload({ release, artifact }, ctx, deps);
    const image = await service.glance.getImage(result.imageId);
    // Glance keeps tags as a set, in no particular order
    expect(image.tags.toSorted()).toEqual(
      [MANAGED_TAG, 'managed_by_itest', 'os:testos'].toSorted(),
    );
    expect(image).toMatchObject({
      status: 'active',
      visibility: 'private',
      os_hidden: true,
      owner,
      disk_format: 'qcow2',
      min_disk: 1,
      min_ram: 128,
      os_hash_value: artifact.sha512,
      virtual_size: artifact.virtualSize,
      [PROPERTY.series]: seriesId,
      [PROPERTY.version]: '20261120',
      // every check passed: promotable, but still hidden and private until the renamer acts
      [PROPERTY.state]: 'verified',
      [PROPERTY.upstreamChecksum]: `sha256:${release.checksum.value}`,
      os_distro: 'testos',
      image_source: release.url,
      image_build_date: '2026-11-20',
    });
    expect(reconciles).toEqual([seriesId]);
    expect(existsSync(artifact.path)).toBe(false);
    expect(progress.at(-1)).toMatchObject({ bytes: artifact.size, total: artifact.size });
  });

  it('a rerun for the same version reuses the candidate instead of making another', async () => {
    const { artifact, release } = artifactFor('20261121');
    const first = await upload({ release, artifact }, ctx, deps);
    expect(existsSync(artifact.path)).toBe(false); // published: its staging is gone
    const recovered: unknown[] = [];
    const second = await upload({ release, artifact }, ctx, {
      ...deps,
      onRecovered: (what) => Promise.resolve(void recovered.push(what)),
    });
    expect(second).toEqual({ imageId: first.imageId, reused: true });
    // an active candidate is checked again, not replaced: nothing to recover from
    expect(recovered).toEqual([]);
    expect(
      await listManagedImages(service.glance, { owner, series: seriesId, version: '20261121' }),
    ).toHaveLength(1);
  });

  it('replaces a candidate a crash left queued, and leaves nothing when Glance stored other bytes', async () => {
    const { artifact, release } = artifactFor('20261122');
    const left = await service.glance.createImage({
      name: 'left by a crash',
      disk_format: 'qcow2',
      os_hidden: true,
      tags: [MANAGED_TAG],
      properties: {
        [PROPERTY.series]: seriesId,
        [PROPERTY.version]: '20261122',
        [PROPERTY.state]: 'candidate',
      },
    });
    const recovered: { imageId: string; detail: string }[] = [];
    const result = await upload({ release, artifact }, ctx, {
      ...deps,
      onRecovered: (what) => Promise.resolve(void recovered.push(what)),
    });
    expect(result.imageId).not.toBe(left.id);
    expect(await service.glance.findImage(left.id)).toBeUndefined();
    // the crash's leftover is not replaced silently
    expect(recovered).toEqual([
      {
        imageId: left.id,
        detail: 'leftover candidate of an earlier attempt (queued) deleted; uploading again',
      },
    ]);

    // the downloader verified other bytes than those staged now: staging is damaged, and
    // goes (marker included), so the next download of the release fetches it anew
    const bad = artifactFor('20261123', undefined, {
      marked: (a) => ({ ...a, sha512: 'f'.repeat(128) }),
    });
    await expect(
      upload({ release: bad.release, artifact: bad.artifact }, ctx, deps),
    ).rejects.toThrow(StagingDamaged);
    expect(
      await listManagedImages(service.glance, { owner, series: seriesId, version: '20261123' }),
    ).toEqual([]);
    expect(existsSync(bad.paths.dir)).toBe(false);
  });

  it("an uncompressed artifact is hashed as it is sent: published when the bytes are the upstream's, rejected when staging changed", async () => {
    // as the downloader marks an uncompressed release: the upstream's checksum, no SHA-512
    const uncompressed = (version: string) =>
      artifactFor(version, undefined, {
        marked: ({ sha512: _sha512, ...a }) => ({
          ...a,
          upstreamChecksum: releaseOf(version, readFileSync(a.path)).checksum,
        }),
      });
    const good = uncompressed('20261124');
    const published = await upload(good, ctx, deps);
    expect((await service.glance.getImage(published.imageId)).os_hash_value).toBe(
      sha('sha512', makeQcow2({ seed: `${seriesId}-20261124`, virtualSize: 64 * 1024 * 1024 })),
    );

    const changed = uncompressed('20261125');
    const other = makeQcow2({ seed: 'not what upstream signed', virtualSize: 64 * 1024 * 1024 });
    writeFileSync(changed.artifact.path, other); // same size, other bytes
    await expect(upload(changed, ctx, deps)).rejects.toThrow(
      /the staged file changed since it was verified: the bytes sent hash to sha256:.*the upstream says/,
    );
    expect(
      await listManagedImages(service.glance, { owner, series: seriesId, version: '20261125' }),
    ).toEqual([]);
    expect(existsSync(changed.paths.dir)).toBe(false);
  });

  it('several targets: nothing hashed as sent, Glance’s hash checked against the downloader’s SHA-512; a staged file changed since is damaged staging', async () => {
    // as the downloader marks an uncompressed release for several targets: both digests
    const both = (version: string) =>
      artifactFor(version, undefined, {
        marked: (a) => ({
          ...a,
          upstreamChecksum: releaseOf(version, readFileSync(a.path)).checksum,
        }),
      });
    const once = { ...deps, hashWhileSending: false };
    const good = both('20270126');
    const published = await upload(good, ctx, once);
    expect((await service.glance.getImage(published.imageId)).os_hash_value).toBe(
      good.artifact.sha512,
    );
    // a verified 2027 image would make every later test's release a rollback
    await service.glance.deleteImage(published.imageId);

    // other bytes of the same size staged after the download verified them: Glance stores
    // them, its hash differs, the staged file hashed once more is found changed
    const changed = both('20270127');
    writeFileSync(
      changed.artifact.path,
      makeQcow2({ seed: 'changed after verification', virtualSize: 64 * 1024 * 1024 }),
    );
    await expect(upload(changed, ctx, once)).rejects.toThrow(StagingDamaged);
    expect(
      await listManagedImages(service.glance, { owner, series: seriesId, version: '20270127' }),
    ).toEqual([]);
    expect(existsSync(changed.paths.dir)).toBe(false);
  });

  it('a staged file that grew or went after it was verified is damaged staging: removed, nothing created', async () => {
    // A second writer on the same release (a worker that lost its job's lock) appended a
    // chunk after the marker was written: the size no longer matches it.
    const grown = artifactFor('20261126');
    appendFileSync(grown.paths.disk, Buffer.alloc(64 * 1024));
    await expect(upload(grown, ctx, deps)).rejects.toThrow(
      new StagingDamaged(
        `series ${seriesId} version 20261126: ${grown.paths.disk} has ${grown.artifact.size + 65536} bytes, the downloader verified ${grown.artifact.size}`,
      ),
    );
    expect(existsSync(grown.paths.dir)).toBe(false);
    const gone = artifactFor('20261127');
    rmSync(gone.paths.disk);
    await expect(upload(gone, ctx, deps)).rejects.toThrow(StagingDamaged);
    expect(existsSync(gone.paths.dir)).toBe(false);
    for (const version of ['20261126', '20261127'])
      expect(await listManagedImages(service.glance, { owner, series: seriesId, version })).toEqual(
        [],
      );
  });

  it('smoke-boots the candidate when the series asks, and always deletes the server', async () => {
    // the local stack's compute driver prints cloud-init's final message for this image
    // (infra/local/lib/py/imagecycle_fake_compute.py); the catalogue's cloud-init pattern
    const cloudInitFinished =
      'Cloud-init v\\. \\S+ finished at .+\\. Datasource \\S+.*\\.  Up [\\d.]+ seconds';
    currentSeries = series({
      smokeTest: {
        project: 'imagecycle',
        flavor: 'm1.small',
        timeoutSeconds: 60,
        family: 'cloud-init',
        consoleLogPattern: cloudInitFinished,
      },
    });
    const flavors: string[] = [];
    const tester = { nova: service.nova, flavorRef: (f: string) => (flavors.push(f), '2') };
    const verdicts: SmokeVerdict[] = [];
    const onSmokeTest = (verdict: SmokeVerdict) => Promise.resolve(void verdicts.push(verdict));
    const { artifact, release } = artifactFor('20261124');
    const since = new Date();
    const booted = await upload({ release, artifact }, ctx, {
      ...deps,
      smokeTester: tester,
      onSmokeTest,
    });
    expect(flavors).toEqual(['m1.small']);
    expect(verdicts.map((v) => [v.result, v.imageId, v.message])).toEqual([
      ['passed', booted.imageId, undefined],
    ]);
    expect(verdicts[0]?.durationSeconds).toBeGreaterThan(0);
    // Nova's own records: one smoke server was booted from this candidate - it reached
    // ACTIVE (launched) - and was deleted afterwards
    expect((await serverRecordsSince(since)).map(record)).toEqual([
      {
        name: `imagecycle-smoke-${booted.imageId.slice(0, 8)}`,
        image: booted.imageId,
        status: 'DELETED',
        launched: true,
        terminated: true,
      },
    ]);
    // no server left that was booted from this candidate
    expect(await listAllServers(service, { allTenants: true, image: booted.imageId })).toEqual([]);
    const smokeServers = async () =>
      new Set(
        (await listAllServers(service, { allTenants: true }))
          .filter((s) => s.name?.startsWith('imagecycle-smoke-'))
          .map((s) => s.id),
      );
    const before = await smokeServers();

    // the same series, but a guest that never boots: its console ends in a kernel panic
    currentSeries = series({
      properties: { ...series().properties, test_guest_boot: 'fail' },
      smokeTest: {
        project: 'imagecycle',
        flavor: 'm1.small',
        timeoutSeconds: 5,
        family: 'cloud-init',
        consoleLogPattern: cloudInitFinished,
      },
    });
    const other = artifactFor('20261125');
    const failedSince = new Date();
    await expect(
      upload({ release: other.release, artifact: other.artifact }, ctx, {
        ...deps,
        smokeTester: tester,
        onSmokeTest,
      }),
    ).rejects.toMatchObject({
      reason: 'smoke-test-failed',
    });
    expect(verdicts.slice(1).map((v) => v.result)).toEqual(['failed']);
    expect(verdicts[1]?.message).toContain('the console log never matched /Cloud-init v');
    expect(verdicts[1]?.durationSeconds).toBeGreaterThanOrEqual(5);
    expect(
      await listManagedImages(service.glance, { owner, series: seriesId, version: '20261125' }),
    ).toEqual([]);
    // these bytes are never published: their staging directory goes (upstream's next build is
    // a new download), not three days later
    expect(existsSync(other.paths.dir)).toBe(false);
    // the failed smoke test left no new server behind either: it booted one, and deleted it
    expect([...(await smokeServers())].filter((id) => !before.has(id))).toEqual([]);
    const [failed, ...more] = (await serverRecordsSince(failedSince)).map(record);
    expect(more).toEqual([]);
    expect(failed).toEqual({
      name: `imagecycle-smoke-${String(failed?.image).slice(0, 8)}`,
      image: failed?.image,
      status: 'DELETED',
      launched: true,
      terminated: true,
    });
    // booted from the new candidate (deleted with the failure), not from the earlier one
    expect(failed?.image).not.toBe(booted.imageId);
    currentSeries = series();
  });

  it('a cancel mid-transfer ends the PUT at once and leaves no candidate; the next attempt publishes', async () => {
    // 64 MiB of data: far more than has left when the first progress report cancels
    const bytes = makeQcow2({
      seed: `${seriesId}-cancelled`,
      virtualSize: 64 * 1024 * 1024,
      dataClusters: 1024,
    });
    const { artifact, release } = artifactFor('20261126', bytes);
    const cancel = new AbortController();
    const reports: Record<string, number | string>[] = [];
    const cancelling = {
      progress: (value: Record<string, number | string>) => {
        reports.push(value);
        if (!cancel.signal.aborted) cancel.abort(new Error('drain deadline passed'));
        return Promise.resolve();
      },
    };
    await expect(
      upload({ release, artifact }, cancelling, { ...deps, signal: cancel.signal }),
    ).rejects.toThrow('drain deadline passed');
    // it stopped right there (a few chunks already handed to the socket may still report),
    // nowhere near the end
    expect(Math.max(...reports.map((r) => Number(r.bytes)))).toBeLessThan(artifact.size / 2);
    // the half-sent candidate was deleted, as after any failed transfer
    expect(
      await listManagedImages(service.glance, { owner, series: seriesId, version: '20261126' }),
    ).toEqual([]);
    expect(existsSync(artifact.path)).toBe(true); // staging kept for the next attempt

    const again = await upload({ release, artifact }, ctx, deps);
    expect(again.reused).toBe(false);
    expect((await service.glance.getImage(again.imageId)).os_hash_value).toBe(artifact.sha512);
  });

  it('Nova failing during the smoke test is no verdict on the image: the job fails to be retried, nothing is rejected', async () => {
    currentSeries = series({
      smokeTest: { project: 'imagecycle', flavor: 'm1.small', timeoutSeconds: 60 },
    });
    const proxy = await startFaultProxy(await service.session.endpoint('compute'));
    const config = service.session.config;
    const proxied = OpenStackClient.connect({
      config: { ...config, endpointOverrides: { ...config.endpointOverrides, compute: proxy.url } },
      retry: { maxAttempts: 2, baseDelayMs: 100, maxDelayMs: 200, maxRetryAfterMs: 1000 },
    });
    // Nova answers 500 to the smoke test's waits from the moment the server is asked for;
    // asking for it and deleting it go to Nova directly, so what fails the job is the wait
    const direct = new Set(['createServer', 'deleteServer', 'waitForServerGone']);
    const waitsProxied = new Proxy(proxied.nova, {
      get(target, name) {
        const from = direct.has(String(name)) ? service.nova : target;
        const value: unknown = Reflect.get(from, name);
        return typeof value === 'function' ? (value.bind(from) as unknown) : value;
      },
    });
    const tester = {
      nova: waitsProxied,
      flavorRef: () => {
        proxy.outage(60_000, '500');
        return '2';
      },
    };
    const { artifact, release } = artifactFor('20261128');
    const since = new Date();
    try {
      const error = await upload({ release, artifact }, ctx, { ...deps, smokeTester: tester }).then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error, 'the upload failed').toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(UploadRejected);
      expect(error?.message).toMatch(/500/);
      expect(proxy.counts.unavailable).toBeGreaterThan(0);
    } finally {
      await proxy.close();
      // the server the smoke test could not delete through the outage
      for (const server of await serverRecordsSince(since))
        if (server.status !== 'DELETED') await service.nova.deleteServer(server.id);
    }
    // the candidate went (the retry uploads it again); staging stays for that retry
    expect(
      await listManagedImages(service.glance, { owner, series: seriesId, version: '20261128' }),
    ).toEqual([]);
    expect(existsSync(artifact.path)).toBe(true);
  });

  it('a cancel during the smoke test deletes the server and keeps the active candidate for the next attempt', async () => {
    currentSeries = series({
      smokeTest: {
        project: 'imagecycle',
        flavor: 'm1.small',
        timeoutSeconds: 60,
        consoleLogPattern: 'never printed', // the test waits until cancelled
      },
    });
    const tester = { nova: service.nova, flavorRef: () => '2' };
    const { artifact, release } = artifactFor('20261127');
    const cancel = new AbortController();
    const uploading = upload({ release, artifact }, ctx, {
      ...deps,
      smokeTester: tester,
      signal: cancel.signal,
    });
    uploading.catch(() => undefined); // awaited below
    const candidate = await until(
      async () => {
        const [image] = await listManagedImages(service.glance, {
          owner,
          series: seriesId,
          version: '20261127',
        });
        const [server] = image
          ? await listAllServers(service, { allTenants: true, image: image.id })
          : [];
        return image?.status === 'active' && server ? { image, server } : undefined;
      },
      { what: 'the smoke-test server of the candidate', ms: 60_000 },
    );
    const cancelledAt = Date.now();
    cancel.abort(new Error('drain deadline passed'));
    await expect(uploading).rejects.toThrow('drain deadline passed');
    expect(Date.now() - cancelledAt).toBeLessThan(5000);
    // the server is on its way out; the candidate is still there, active
    await until(
      async () =>
        (await listAllServers(service, { allTenants: true, image: candidate.image.id })).length ===
        0,
      { what: 'the smoke-test server to be deleted', ms: 60_000 },
    );
    expect(await service.glance.getImage(candidate.image.id)).toMatchObject({
      status: 'active',
      [PROPERTY.state]: 'candidate',
    });

    currentSeries = series();
    const again = await upload({ release, artifact }, ctx, deps);
    expect(again).toEqual({ imageId: candidate.image.id, reused: true });
  });
});

// Invariant 1: a candidate is never promoted. A reconcile may run at any moment of an upload
// (another version's upload finishing, a retried reconcile); only what the uploader marked
// verified may become the Latest, and a failed check deletes only a still-unpromoted candidate.
describe('verification before promotion', () => {
  const heldId = runPrefix('verify');
  const heldTitle = `Held OS ${heldId}`;
  const held = {
    ...series(),
    id: heldId,
    title: heldTitle,
    naming: 'default',
    vendor: 'itest',
    // fails: the fake console never prints this
    smokeTest: {
      project: 'imagecycle',
      flavor: 'm1.small',
      timeoutSeconds: 5,
      consoleLogPattern: 'never printed',
    },
  } as Series;
  let heldDeps: UploadDeps;
  const artifactOf = (version: string) =>
    artifactFor(
      version,
      makeQcow2({ seed: `${heldId}-${version}`, virtualSize: 64 * 1024 * 1024 }),
      { series: heldId },
    );

  /** One reconcile as the renamer runs it: the lifecycle's desired state, Latest first. */
  async function reconcileNow(): Promise<void> {
    const images = await listManagedImages(service.glance, { owner, series: heldId });
    const entries = desiredState(held, images);
    for (const entry of [
      ...entries.filter((e) => e.role === 'latest'),
      ...entries.filter((e) => e.role === 'community'),
    ])
      await service.glance.applyImage(entry.image, entry.desired);
  }
  const latestIds = async () =>
    (await service.glance.listAllImages({ name: `${heldTitle} - Latest`, visibility: 'all' }))
      .filter((image) => image.owner === owner)
      .map((image) => image.id);
  const ofVersion = (version: string) =>
    listManagedImages(service.glance, { owner, series: heldId, version });

  beforeAll(() => {
    heldDeps = { ...deps, findSeries: (id) => (id === heldId ? held : undefined) };
  });
  afterAll(async () => {
    for (const image of await listManagedImages(service.glance, { owner, series: heldId }))
      await service.glance.deleteImage(image.id);
  });

  it('a reconcile during the smoke test leaves the Latest on the previous image, and the failed candidate goes without taking the Latest with it', async () => {
    // the previous release: published without a smoke test (no tester given), then promoted
    const previous = await upload(artifactOf('20261201'), ctx, heldDeps);
    await reconcileNow();
    expect(await latestIds()).toEqual([previous.imageId]);

    let during: unknown;
    const tester = {
      nova: service.nova,
      flavorRef: async () => {
        // the candidate is active and its hash checked, the smoke test is under way
        await reconcileNow();
        const [candidate] = await ofVersion('20261202');
        during = {
          latest: await latestIds(),
          candidate: {
            state: candidate?.[PROPERTY.state],
            visibility: candidate?.visibility,
            hidden: candidate?.os_hidden,
          },
        };
        return '2';
      },
    };
    await expect(
      upload(artifactOf('20261202'), ctx, { ...heldDeps, smokeTester: tester }),
    ).rejects.toMatchObject({ reason: 'smoke-test-failed' });
    expect({ during, after: await latestIds(), failed: await ofVersion('20261202') }).toEqual({
      during: {
        latest: [previous.imageId],
        candidate: { state: 'candidate', visibility: 'private', hidden: true },
      },
      after: [previous.imageId],
      failed: [],
    });
  });

  it('a failed smoke test does not delete the image that a concurrent run of the same version verified and the renamer promoted', async () => {
    const release = artifactOf('20261203');
    const tester = {
      nova: service.nova,
      flavorRef: async () => {
        // meanwhile a retry of the same upload passes every check, and the renamer promotes it
        await upload(release, ctx, heldDeps);
        await reconcileNow();
        return '2';
      },
    };
    await expect(upload(release, ctx, { ...heldDeps, smokeTester: tester })).rejects.toMatchObject({
      reason: 'smoke-test-failed',
    });
    const kept = await ofVersion('20261203');
    expect(kept.map((image) => [image.name, image.visibility, image[PROPERTY.state]])).toEqual([
      [`${heldTitle} - Latest`, 'public', 'latest'],
    ]);
    expect(await latestIds()).toEqual(kept.map((image) => image.id));
  });
});

// Defect: the uploader took the job's word for where the bytes are and what they hash to.
// With write access to Redis (or Bull Board's actions), any file the worker can read was
// published. Now only what the downloader's marker proves is published.
describe('upload publishes only what staging proves', () => {
  /** A file of the worker that must never become an image. */
  const secretDir = mkdtempSync(join(tmpdir(), 'worker-secrets-'));
  const secret = join(secretDir, 'clouds.yaml');
  const secretBytes = Buffer.from(
    'clouds:\n  admin:\n    auth:\n      password: not-for-glance\n'.padEnd(4096, '#'),
  );
  writeFileSync(secret, secretBytes);
  /** What a forged job says about a file it names: no digest at all. */
  const claimOf = (path: string, size: number): Artifact => ({
    path,
    size,
    diskFormat: 'raw',
    virtualSize: size,
  });

  async function expectRefused(
    payload: { release: Release; artifact: Artifact },
    message: RegExp,
  ): Promise<void> {
    const before = reconciles.length;
    const error = await upload(payload, ctx, deps).then(
      (result) => result,
      (e: unknown) => e as Error,
    );
    expect(error, 'the upload was refused').toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'StagingRefused' });
    expect((error as Error).message).toContain(payload.release.version);
    expect((error as Error).message).toMatch(message);
    expect(
      await listManagedImages(service.glance, {
        owner,
        series: seriesId,
        version: payload.release.version,
      }),
      'no image of it in Glance',
    ).toEqual([]);
    expect(reconciles).toHaveLength(before);
    expect(existsSync(secret), 'the named file is left alone').toBe(true);
  }

  it('refuses a path outside the release’s own staging directory, however it gets there', async () => {
    const own = artifactFor('20261201'); // a verified release: only the path is wrong
    const other = artifactFor('20261202');
    const link = join(own.paths.dir, 'elsewhere.img');
    symlinkSync(secret, link);
    const cases: [string, Artifact][] = [
      ['a file of the worker', claimOf(secret, secretBytes.length)],
      [
        'a path that climbs out',
        claimOf(`${own.paths.dir}/${relative(own.paths.dir, secret)}`, secretBytes.length),
      ],
      ['another release’s verified image', claimOf(other.paths.disk, other.artifact.size)],
      ['the release’s own marker', claimOf(own.paths.marker, 64)],
      ['a symlink in the release’s directory', claimOf(link, secretBytes.length)],
    ];
    for (const [label, artifact] of cases) {
      await expectRefused(
        { release: own.release, artifact },
        new RegExp(`${escapeRegExp(artifact.path)}.*(not in|is not) `),
      ).catch((error: unknown) => {
        throw new Error(`${label}: ${(error as Error).message}`);
      });
    }
  });

  it('refuses when the release’s disk image is a symlink out of staging', async () => {
    const staged = artifactFor('20261203');
    rmSync(staged.paths.disk);
    symlinkSync(secret, staged.paths.disk);
    await expectRefused(
      { release: staged.release, artifact: claimOf(staged.paths.disk, secretBytes.length) },
      /is not in .*staging/,
    );
  });

  it('refuses bytes the downloader never marked verified, whatever the job claims', async () => {
    const bytes = makeQcow2({ seed: 'never verified', virtualSize: 64 * 1024 * 1024 });
    const release = releaseOf('20261204', bytes);
    const paths = stagingPaths(stagingDir, seriesId, release.version);
    mkdirSync(paths.dir, { recursive: true });
    writeFileSync(paths.disk, bytes); // the right place, the right digests - but no marker
    await expectRefused(
      {
        release,
        artifact: {
          path: paths.disk,
          size: bytes.length,
          sha512: sha('sha512', bytes),
          upstreamChecksum: release.checksum,
          diskFormat: 'qcow2',
          virtualSize: 64 * 1024 * 1024,
        },
      },
      /no staging marker/,
    );
  });

  it('refuses a marker verified against another checksum (a respin of the version)', async () => {
    const respin1 = artifactFor('20261205'); // staged and marked: the first respin
    const respin2 = releaseOf(
      '20261205',
      makeQcow2({ seed: 'respin 2', virtualSize: 64 * 1024 * 1024 }),
    );
    await expectRefused(
      { release: respin2, artifact: respin1.artifact },
      new RegExp(`verified against sha256:${respin1.release.checksum.value}`),
    );
  });

  it('refuses a digest the job claims but the marker does not record', async () => {
    const staged = artifactFor('20261206');
    const swapped = makeQcow2({ seed: 'swapped in', virtualSize: 64 * 1024 * 1024 });
    writeFileSync(staged.paths.disk, swapped); // same size, other bytes, and a job to match
    await expectRefused(
      { release: staged.release, artifact: { ...staged.artifact, sha512: sha('sha512', swapped) } },
      /does not match what the downloader verified/,
    );
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
