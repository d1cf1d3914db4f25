// `imagecycle usage-check` as operators run it: real processes, the mirror's catalogue, Redis
// (a queue prefix of this file's own), Glance, Nova and Cinder. It enqueues one check; with
// --wait it waits for a usage-checker worker, prints what it found per series and exits 0,
// 1 when the check failed for good, 4 when nobody ran it in time. The check leaves a
// `usage-checked` event per series and the series' last usage check, which `imagecycle
// events` and `imagecycle status` show.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allQueues, MANAGED_TAG, PROPERTY, usageCheckQueue } from '@imagecycle/contracts';
import { QueueRuntime } from '@imagecycle/queues';
import { type Mirror, startMirror } from '@imagecycle/test/mirror';
import { connect } from '@imagecycle/test/support/clouds';
import { removeManagedImages } from '@imagecycle/test/support/managed-images';
import {
  imagecycleEnv,
  type RunningProcess,
  runImagecycle,
  startImagecycle,
} from '@imagecycle/test/support/processes';
import { testRuntime } from '@imagecycle/test/support/queue-runtime';

const SERIES = 'debian-12';
const service = connect('service');
const { prefix, runtime } = testRuntime('usage-cli');
let mirror: Mirror;
let env: NodeJS.ProcessEnv;
let worker: RunningProcess | undefined;
let community = '';

const cli = (args: readonly string[]) => runImagecycle(args, env);

beforeAll(async () => {
  await removeManagedImages(service, SERIES);
  mirror = await startMirror({ seed: '2026-11-01' });
  // retries 1 s apart, not a minute: a check that fails for good does so within seconds
  env = imagecycleEnv(mirror, {
    IMAGECYCLE_QUEUE_PREFIX: prefix,
    IMAGECYCLE_RETRY_DELAY_SECONDS: '1',
  });
  // one community image nobody uses: the check starts its unused clock and keeps it (the
  // catalogue's retention floor keeps the newest one)
  const image = await service.glance.createImage({
    name: 'Debian 12 Bookworm - 2026-10-01',
    disk_format: 'raw',
    container_format: 'bare',
    visibility: 'community',
    tags: [MANAGED_TAG],
    properties: {
      [PROPERTY.series]: SERIES,
      [PROPERTY.version]: '20261001-1',
      [PROPERTY.state]: 'community',
    },
  });
  community = image.id;
  await service.glance.uploadImageData(image.id, Readable.from([randomBytes(4096)]));
  await service.glance.waitForImageStatus(image.id, ['active'], { timeoutMs: 60_000 });
});
afterAll(async () => {
  await worker?.stop();
  const redis = await runtime.queue(usageCheckQueue).client;
  await redis.del(`${prefix}:events`, `${prefix}:checks`, `${prefix}:usage-checks`);
  for (const queue of allQueues) await runtime.queue(queue).obliterate({ force: true });
  await runtime.close();
  await mirror?.stop();
  await removeManagedImages(service, SERIES);
});

describe('imagecycle usage-check', () => {
  it('enqueues one check; an unknown series is a usage error; a wait no worker answers times out', async () => {
    const enqueued = await cli(['usage-check', '--series', SERIES, '--json']);
    expect(enqueued.status, enqueued.stderr).toBe(0);
    const { enqueued: jobId, series } = JSON.parse(enqueued.stdout) as {
      enqueued: string;
      series: string[];
    };
    expect(series).toEqual([SERIES]);
    const job = await runtime.queue(usageCheckQueue).getJob(jobId);
    expect(job?.data).toEqual({ trigger: 'manual', target: 'default', series: [SERIES] });
    expect(await job?.getState()).toBe('waiting');

    const all = await cli(['usage-check']);
    expect(all.status, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^enqueued a usage check of 17 series \(job \S+\)\n$/);

    const unknown = await cli(['usage-check', '--series', `${SERIES},no-such-os`]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('no-such-os');

    const alone = await cli(['usage-check', '--wait', '--timeout', '2']);
    expect(alone.status).toBe(4);
    expect(alone.stderr).toMatch(
      /the check \(job \S+\) is still waiting after 2 s; is a usage-checker worker running\?/,
    );
    expect(alone.ms).toBeGreaterThanOrEqual(2000);
    // the next tests wait for their own job only
    await runtime.queue(usageCheckQueue).obliterate({ force: true });
  });

  it('with --wait, a check that fails for good is exit 1, with its reason', async () => {
    // a worker of this test's own whose every attempt fails
    const failing = new QueueRuntime({
      connection: { url: process.env.REDIS_URL ?? '', maxRetriesPerRequest: null },
      prefix,
      queues: [usageCheckQueue],
    });
    failing.startWorkers(
      { [usageCheckQueue.name]: () => Promise.reject(new Error('Nova answered 503')) },
      [usageCheckQueue],
    );
    try {
      const failed = await cli(['usage-check', '--series', SERIES, '--wait']);
      expect(failed.status, failed.stderr).toBe(1);
      expect(failed.stderr).toMatch(
        /^imagecycle usage-check: the check \(job \S+\) failed: Nova answered 503\n$/,
      );
    } finally {
      await failing.close();
      await runtime.queue(usageCheckQueue).obliterate({ force: true });
    }
  });

  it('with --wait, a usage-checker worker runs it: what it found is printed, recorded as an event and shown by status', async () => {
    worker = startImagecycle(['worker', 'usage-checker'], env);
    const ran = await cli(['usage-check', '--series', SERIES, '--wait']);
    expect(ran.status, ran.stderr).toBe(0);
    const lines = ran.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `${SERIES}: 1 community image(s), 0 in use, 1 newly unused, 0 handed to the reaper, 1 kept; ${community}: retention floor: one of the newest 1`,
    );
    expect(lines.at(-1)).toMatch(
      /^usage checked in 1 series: \d+ server\(s\) \(\d+ soft-deleted\) and \d+ volume\(s\) scanned, 0 image\(s\) handed to the reaper$/,
    );

    // one summary event for the series, which `imagecycle events` shows
    const events = await cli(['events', '--series', SERIES, '-f', 'json']);
    const checked = (
      JSON.parse(events.stdout) as { events: { type: string; detail?: string }[] }
    ).events.filter((e) => e.type === 'usage-checked');
    expect(checked).toEqual([
      expect.objectContaining({ detail: lines[0]?.slice(`${SERIES}: `.length) }),
    ]);
    const table = await cli(['events', '--series', SERIES]);
    expect(table.stdout).toMatch(new RegExp(`usage-checked +${SERIES} .* 1 newly unused`));

    // the series' last usage check, like its last feed check
    const status = await cli(['status', '--series', SERIES, '--json']);
    const [state] = (
      JSON.parse(status.stdout) as { series: { id: string; lastUsageCheck?: object }[] }
    ).series;
    expect(state?.lastUsageCheck).toMatchObject({
      series: SERIES,
      outcome: 'checked',
      communityImages: 1,
      inUse: 0,
      newlyUnused: 1,
      handedToReaper: 0,
      kept: 1,
    });
    const rows = (await cli(['status', '--series', SERIES])).stdout.split('\n');
    expect(rows[0]).toMatch(/\s+LAST USAGE CHECK$/);
    expect(rows[1]).toMatch(/\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2} checked$/);
    expect(rows).toContain(
      `${SERIES}: usage: 1 community, 0 in use, 1 newly unused, 0 handed to the reaper, 1 kept`,
    );
    expect(worker.stderr()).toBe('');
  });
});
