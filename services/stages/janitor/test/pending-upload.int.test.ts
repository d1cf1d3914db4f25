// The janitor never deletes a candidate whose upload is still to come or under way, however
// old: its release's upload job waiting, delayed (a retry's backoff) or active may be working
// on that very candidate. Real Glance, real Redis (a queue prefix of this file's own); the
// janitor asks the queue as the composition wires it (`pendingJobState` by `uploadJobId`).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type Artifact,
  MANAGED_TAG,
  PROPERTY,
  type Release,
  uploadJobId,
  uploadQueue,
} from '@imagecycle/contracts';
import type { Series } from '@imagecycle/series-catalogue';
import { connect, runPrefix } from '@imagecycle/test/support/clouds';
import { testRuntime } from '@imagecycle/test/support/queue-runtime';
import { type JanitorDeps, tidy } from '../src/index.ts';

const service = connect('service');
const seriesId = runPrefix('janitor-pending');
const title = `Pending OS ${seriesId}`;
const series = {
  id: seriesId,
  title,
  retired: false,
  communityHidden: false,
  properties: {},
  retention: { keepLast: 0, minimumAgeDays: 0 },
  gracePeriodDays: 0,
} as unknown as Series;
const { runtime } = testRuntime('janitor-pending', { queues: [uploadQueue] });
const DAY = 24 * 3600 * 1000;
const made: string[] = [];
let deps: JanitorDeps;
/** Lets the held upload job finish (also when a test fails before it does). */
let release = () => {};

/** A candidate as an upload that never finished leaves it: created, no data (queued). */
async function candidate(version: string) {
  const created = await service.glance.createImage({
    name: `${title} - ${version} (candidate)`,
    disk_format: 'qcow2',
    container_format: 'bare',
    visibility: 'private',
    os_hidden: true,
    tags: [MANAGED_TAG],
    properties: {
      [PROPERTY.series]: seriesId,
      [PROPERTY.version]: version,
      [PROPERTY.state]: 'candidate',
      [PROPERTY.upstreamChecksum]: `sha256:${'1'.repeat(64)}`,
    },
  });
  made.push(created.id);
  return created;
}

/** The upload job's payload for `version`, as the downloader enqueues it. */
function upload(version: string): { release: Release; artifact: Artifact } {
  return {
    release: {
      series: seriesId,
      version,
      buildDate: '2026-11-20',
      url: `https://images.example.test/pending/${version}/disk.qcow2`,
      diskFormat: 'qcow2',
      compression: 'none',
      checksum: { algorithm: 'sha256', value: '1'.repeat(64) },
      signature: { status: 'not-required' },
      size: 196_624,
      properties: {},
    },
    artifact: {
      path: `/staging/${seriesId}/${version}/disk.img`,
      size: 196_624,
      upstreamChecksum: { algorithm: 'sha256', value: '1'.repeat(64) },
      diskFormat: 'qcow2',
      virtualSize: 64 * 1024 * 1024,
    },
  };
}

const stateOf = (version: string) =>
  runtime.queue(uploadQueue).getJobState(uploadJobId(seriesId, version));
const byImage = <T extends { imageId: string }>(list: T[]) =>
  [...list].sort((a, b) => a.imageId.localeCompare(b.imageId));
const exists = async (id: string) => (await service.glance.findImage(id)) !== undefined;

beforeAll(async () => {
  deps = {
    glance: service.glance,
    owner: await service.projectId(),
    series: [series],
    enqueueReconcile: () => Promise.resolve(),
    resumeReap: () => Promise.resolve(),
    uploadPending: (id, version) => runtime.pendingJobState(uploadQueue, uploadJobId(id, version)),
  };
});
afterAll(async () => {
  release();
  await runtime.queue(uploadQueue).obliterate({ force: true });
  await runtime.close();
  for (const id of made) await service.glance.deleteImage(id);
});

describe('the janitor and a dead-looking candidate whose upload is pending', () => {
  it('keeps it while its upload job waits, is delayed or runs; deletes it once the job is over, and at once without a job', async () => {
    const delayed = await candidate('20261101');
    const waiting = await candidate('20261102');
    const orphan = await candidate('20261103');
    await runtime.enqueue(uploadQueue, upload('20261101'), { delay: 3600_000 });
    await runtime.enqueue(uploadQueue, upload('20261102'));
    expect([await stateOf('20261101'), await stateOf('20261102')]).toEqual(['delayed', 'waiting']);
    // two days on: every one of them is older than any upload takes
    deps.now = () => new Date(Date.parse(orphan.created_at) + 2 * DAY);

    let report = await tidy({}, deps);
    expect(report.removedCandidates.map((c) => c.imageId)).toEqual([orphan.id]);
    expect(byImage(report.keptCandidates)).toEqual(
      byImage([
        { series: seriesId, imageId: delayed.id, because: 'its upload job is delayed' },
        { series: seriesId, imageId: waiting.id, because: 'its upload job is waiting' },
      ]),
    );
    expect([await exists(delayed.id), await exists(waiting.id), await exists(orphan.id)]).toEqual([
      true,
      true,
      false,
    ]);

    // a worker takes the waiting job and holds it (an upload in progress)
    const held = new Promise<void>((resolve) => (release = resolve));
    runtime.startWorkers(
      {
        [uploadQueue.name]: async ({ release: r }: { release: Release }) => {
          await held;
          return { imageId: 'none', version: r.version };
        },
      },
      [uploadQueue],
    );
    await vi.waitFor(async () => expect(await stateOf('20261102')).toBe('active'), {
      timeout: 10_000,
    });
    report = await tidy({}, deps);
    expect(report.removedCandidates).toEqual([]);
    expect(byImage(report.keptCandidates).map((c) => [c.imageId, c.because])).toEqual(
      byImage([
        { imageId: delayed.id, because: 'its upload job is delayed' },
        { imageId: waiting.id, because: 'its upload job is active' },
      ]).map((c) => [c.imageId, c.because]),
    );

    // the job is over (here: completed without touching the candidate): now it is dead
    release();
    await vi.waitFor(async () => expect(await stateOf('20261102')).toBe('completed'), {
      timeout: 10_000,
    });
    report = await tidy({}, deps);
    expect(report.removedCandidates.map((c) => c.imageId)).toEqual([waiting.id]);
    expect(report.keptCandidates.map((c) => c.imageId)).toEqual([delayed.id]);
    expect([await exists(delayed.id), await exists(waiting.id)]).toEqual([true, false]);
  });
});
