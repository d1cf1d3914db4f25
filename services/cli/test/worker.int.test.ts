// `imagecycle worker` as operators run it: real processes, the mirror, Redis and Glance.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allQueues,
  downloadQueue,
  feedCheckQueue,
  MANAGED_TAG,
  PROPERTY,
  reconcileQueue,
  usageCheckQueue,
} from '@imagecycle/contracts';
import { QueueRuntime } from '@imagecycle/queues';
import { type Mirror, startMirror } from '@imagecycle/test/mirror';
import { mirrorCatalogueVars } from '@imagecycle/test/support/mirror-catalogue';
import { cloudNames, connect } from '@imagecycle/test/support/clouds';
import { removeManagedImages } from '@imagecycle/test/support/managed-images';
import { freePort, healthOf, startImagecycle } from '@imagecycle/test/support/processes';
import { until as waitUntil } from '@imagecycle/test/support/until';
import { testRuntime } from '@imagecycle/test/support/queue-runtime';

const main = join(import.meta.dirname, '..', 'src', 'main.ts');
const { prefix, runtime } = testRuntime('test');
let mirror: Mirror;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  await removeManagedImages(connect('service')); // a demo or an earlier run may have left some
  mirror = await startMirror({ seed: '2026-11-01' });
  env = {
    ...process.env,
    ...mirrorCatalogueVars(mirror),
    OS_CLOUD: cloudNames.service,
    IMAGECYCLE_QUEUE_PREFIX: prefix,
    LOG_LEVEL: 'warn',
  };
});
afterAll(async () => {
  for (const queue of allQueues) await runtime.queue(queue).obliterate({ force: true });
  await runtime.close();
  await mirror.stop();
});

/** The CLI as a child process, without blocking this process (the mirror runs here). */
function cli(
  args: readonly string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [main, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}

const until = <T>(probe: () => Promise<T | undefined>, ms: number) =>
  waitUntil(probe, { ms, what: 'the imagecycle process', intervalMs: 200 });

describe('imagecycle worker feed-watcher', () => {
  it('upserts the schedules at start-up, checks on demand, and stops cleanly on SIGTERM', async () => {
    const worker = spawn(process.execPath, [main, 'worker', 'feed-watcher'], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    worker.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => worker.on('exit', resolve));
    try {
      const schedulers = await until(async () => {
        const found = await runtime.queue(feedCheckQueue).getJobSchedulers(0, -1);
        return found.length === 17 ? found : undefined;
      }, 30_000);
      expect(schedulers.map((s) => s.key)).toContain('feed-check--ubuntu-24.04');
      // and the daily usage check, at IMAGECYCLE_USAGE_CHECK_CRON (default 06:00)
      const usage = await runtime.queue(usageCheckQueue).getJobSchedulers(0, -1);
      expect(usage.map((s) => [s.key, s.pattern, s.tz])).toEqual([
        ['usage-check--daily', '0 6 * * *', 'UTC'],
      ]);

      const trigger = spawnSync(
        process.execPath,
        [main, 'run', '--series', 'debian-12', '--series', 'flatcar-stable'],
        { env, encoding: 'utf8' },
      );
      expect(trigger.status).toBe(0);
      const jobs = await until(async () => {
        const waiting = await runtime.queue(downloadQueue).getJobs(['waiting']);
        return waiting.length === 2 ? waiting : undefined;
      }, 30_000);
      expect(jobs.map((j) => j.id).sort()).toEqual([
        `download--debian-12--${mirror.latest('debian-12')?.version}`,
        `download--flatcar-stable--${mirror.latest('flatcar-stable')?.version}`,
      ]);
    } finally {
      worker.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(stderr).toBe('');
  });

  it('status and events answer for people and, with --json, for scripts', () => {
    const status = spawnSync(process.execPath, [main, 'status', '--json'], {
      env,
      encoding: 'utf8',
    });
    expect(status.status, status.stderr).toBe(0);
    const { series } = JSON.parse(status.stdout) as {
      series: {
        id: string;
        title: string;
        community: unknown[];
        inFlight: unknown[];
        lastCheck?: { outcome: string; version: string };
        authenticated?: { bytes: string; version: string; summary: string };
      }[];
    };
    expect(series.map((s) => s.id)).toContain('debian-12');
    // the feed-watcher of the first test recorded its check
    expect(series.find((s) => s.id === 'debian-12')?.lastCheck).toMatchObject({
      outcome: 'new-release',
      version: mirror.latest('debian-12')?.version,
    });
    expect(series).toHaveLength(17);
    for (const row of series)
      expect(Array.isArray(row.community) && Array.isArray(row.inFlight)).toBe(true);
    const table = spawnSync(process.execPath, [main, 'status'], { env, encoding: 'utf8' });
    const [header, ...rows] = table.stdout.split('\n');
    expect(header).toMatch(
      /^SERIES\s+LATEST\s+UPSTREAM\s+LAST CHECK\s+SMOKE TEST\s+COMMUNITY\s+NEXT REAP\s+IN FLIGHT\s+LAST USAGE CHECK$/,
    );
    expect(rows.find((r) => r.startsWith('debian-12 '))).toMatch(
      /^debian-12\s+\(none\)\s+\S+( OVERDUE)?\s+\d{4}-\d{2}-\d{2} \d{2}:\d{2} new-release\s+-\s+0\s+-\s+-\s+never$/,
    );
    // what a signature vouches for, per series: Debian signs nothing, Ubuntu signs its streams
    expect(series.find((s) => s.id === 'debian-12')?.authenticated).toMatchObject({
      bytes: 'checksum only',
      version: 'unsigned',
    });
    const authenticated = rows.slice(rows.indexOf('What is authenticated, per series:') + 1);
    expect(rows).toContain('What is authenticated, per series:');
    expect(authenticated[0]).toMatch(/^SERIES\s+BYTES\s+VERSION\+URL\s+BY$/);
    expect(authenticated.find((r) => r.startsWith('debian-12 '))).toMatch(
      /^debian-12\s+checksum only\s+unsigned\s+nothing: Debian signs no cloud image/,
    );
    expect(authenticated.find((r) => r.startsWith('ubuntu-24.04 '))).toMatch(
      /^ubuntu-24\.04\s+signed\s+signed\s+version, URL and sha256 by the clearsigned streams \(\.sjson\)/,
    );

    // the feed-watcher of the first test recorded what it discovered
    const events = spawnSync(
      process.execPath,
      [main, 'events', '--series', 'debian-12', '--json'],
      { env, encoding: 'utf8' },
    );
    expect(events.status, events.stderr).toBe(0);
    expect((JSON.parse(events.stdout) as { events: unknown[] }).events).toContainEqual(
      expect.objectContaining({
        type: 'discovered',
        series: 'debian-12',
        version: mirror.latest('debian-12')?.version,
      }),
    );
    const bad = spawnSync(process.execPath, [main, 'events', '--limit', 'lots'], {
      env,
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--limit: "lots" is not a positive integer');
  });

  it('plan says what a run would do and changes nothing; images lists managed images', async () => {
    const plan = await cli(['plan', '--series', 'debian-12', '--json']);
    expect(plan.status, plan.stdout + plan.stderr).toBe(0);
    const body = JSON.parse(plan.stdout) as {
      downloads: { series: string; version: string; inFlight: boolean }[];
      reaps: unknown[];
      scanned: { servers: number };
    };
    // the download the first test enqueued is waiting: a run would not add another
    expect(body.downloads).toEqual([
      expect.objectContaining({
        series: 'debian-12',
        version: mirror.latest('debian-12')?.version,
        inFlight: true,
      }),
    ]);
    expect(body.reaps).toEqual([]);
    const human = await cli(['plan', '--series', 'debian-12']);
    expect(human.stdout).toContain(
      `download  debian-12 ${mirror.latest('debian-12')?.version} (already queued), then Latest`,
    );
    expect(human.stdout).toMatch(/nothing was changed\n$/);

    const images = await cli(['images', '--json', '--state', 'latest']);
    expect(images.status, images.stderr).toBe(0);
    expect(JSON.parse(images.stdout)).toEqual({ images: [] });
    const badState = await cli(['images', '--state', 'shiny']);
    expect(badState.status).toBe(2);
    expect(badState.stderr).toContain(
      '--state: "shiny" is not one of candidate, verified, latest, community, retiring',
    );
    const unknown = await cli(['plan', '--series', 'beos-5']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('beos-5');
  });

  it('plan judges what is published by Glance itself, not by the feed-watcher’s record (none on a first install)', async () => {
    const service = connect('service');
    const version = mirror.latest('ubuntu-22.04')?.version ?? '';
    const image = await service.glance.createImage({
      name: 'Ubuntu 22.04 Jammy Jellyfish - Latest',
      disk_format: 'qcow2',
      os_hidden: true,
      tags: [MANAGED_TAG],
      properties: {
        [PROPERTY.series]: 'ubuntu-22.04',
        [PROPERTY.version]: version,
        [PROPERTY.state]: 'latest',
      },
    });
    try {
      const plan = await cli(['plan', '--series', 'ubuntu-22.04', '--json']);
      expect(plan.status, plan.stdout + plan.stderr).toBe(0);
      // no record was ever written on this queue prefix: Glance's Latest alone says "published"
      expect((JSON.parse(plan.stdout) as { downloads: unknown[] }).downloads).toEqual([]);
    } finally {
      await service.glance.deleteImage(image.id);
    }
  });

  it('images lists a Latest and community images with why each one is still here', async () => {
    const series = 'almalinux-9'; // no other test here makes images of it
    const service = connect('service');
    const DAY = 24 * 3600 * 1000;
    const now = Date.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const day = (ms: number) => iso(ms).slice(0, 10);
    /** A managed image as the pipeline leaves one: tagged, labelled, active. */
    const image = async (
      version: string,
      state: string,
      extra: { protected?: boolean; properties?: Record<string, string> } = {},
    ) => {
      const created = await service.glance.createImage({
        name: `AlmaLinux 9 ${version}`,
        disk_format: 'raw',
        visibility: state === 'latest' ? 'public' : 'community',
        tags: [MANAGED_TAG],
        ...(extra.protected ? { protected: true } : {}),
        properties: {
          [PROPERTY.series]: series,
          [PROPERTY.version]: version,
          [PROPERTY.state]: state,
          ...extra.properties,
        },
      });
      await service.glance.uploadImageData(created.id, Readable.from([Buffer.alloc(4096, 1)]), {
        size: 4096,
      });
      // Glance dates uploads to the second: a second apart, newest-upload-first is certain
      await new Promise((resolve) => setTimeout(resolve, 1100));
      return created.id;
    };
    try {
      // oldest upload first
      const unused = await image('9.3-20240101', 'community', {
        properties: {
          [PROPERTY.lastUsedAt]: iso(now - 10 * DAY),
          [PROPERTY.unusedSince]: iso(now - 2 * DAY),
        },
      });
      const used = await image('9.4-20240601', 'community', {
        properties: {
          [PROPERTY.lastUsedAt]: iso(now - 1 * DAY),
          [PROPERTY.keptBecause]: 'in use by server 4f1c (ACTIVE)',
        },
      });
      const pinned = await image('9.5-20250101', 'community', { protected: true });
      const newest = await image('9.5-20250601', 'community');
      const latest = await image('9.6-20261101', 'latest');

      const json = await cli(['images', '--series', series, '--json']);
      expect(json.status, json.stderr).toBe(0);
      const { images } = JSON.parse(json.stdout) as {
        images: { id: string; series: string; version: string; state: string; outlook?: string }[];
      };
      expect(images.map((i) => [i.id, i.series, i.version, i.state, i.outlook])).toEqual([
        [latest, series, '9.6-20261101', 'latest', undefined],
        [newest, series, '9.5-20250601', 'community', 'held'],
        [pinned, series, '9.5-20250101', 'community', 'held'],
        [used, series, '9.4-20240601', 'community', 'in-use'],
        [unused, series, '9.3-20240101', 'community', 'reap-after'],
      ]);

      const table = await cli(['images', '--series', series]);
      expect(table.status, table.stderr).toBe(0);
      const [header, ...rows] = table.stdout.trimEnd().split('\n');
      expect(header).toMatch(/^ID\s+SERIES\s+VERSION\s+STATE\s+UPLOADED\s+NAME\s+OUTLOOK$/);
      const today = day(now);
      expect(rows.map((row) => row.split(/ {2,}/))).toEqual([
        [latest, series, '9.6-20261101', 'latest', today, 'AlmaLinux 9 9.6-20261101', 'Latest'],
        [
          newest,
          series,
          '9.5-20250601',
          'community',
          today,
          'AlmaLinux 9 9.5-20250601',
          'kept: retention floor: one of the newest 1',
        ],
        [
          pinned,
          series,
          '9.5-20250101',
          'community',
          today,
          'AlmaLinux 9 9.5-20250101',
          'kept: protected',
        ],
        [
          used,
          series,
          '9.4-20240601',
          'community',
          today,
          'AlmaLinux 9 9.4-20240601',
          `in use, last used ${day(now - DAY)} (in use by server 4f1c (ACTIVE))`,
        ],
        [
          unused,
          series,
          '9.3-20240101',
          'community',
          today,
          'AlmaLinux 9 9.3-20240101',
          // the catalogue's grace period is 7 days
          `last used ${day(now - 10 * DAY)}, unused since ${day(now - 2 * DAY)}, reap after ${day(now + 5 * DAY)}`,
        ],
      ]);

      // --state keeps the rows of one lifecycle state
      const community = await cli(['images', '--series', series, '--state', 'community', '--json']);
      expect(
        (JSON.parse(community.stdout) as { images: { id: string }[] }).images.map((i) => i.id),
      ).toEqual([newest, pinned, used, unused]);
    } finally {
      await removeManagedImages(service, series);
    }
  });

  it('a worker with IMAGECYCLE_METRICS_PORT serves /healthz and its own /metrics', async () => {
    const port = await freePort();
    const worker = startImagecycle(['worker', 'renamer'], {
      ...env,
      IMAGECYCLE_METRICS_PORT: String(port),
      IMAGECYCLE_HTTP_HOST: '127.0.0.1',
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      expect(await healthOf(base)).toEqual({ status: 'ok' });
      await runtime.enqueue(reconcileQueue, { series: 'debian-12', reason: 'metrics test' });
      const text = await until(async () => {
        const body = await (await fetch(`${base}/metrics`)).text();
        return body.includes('result="completed"') ? body : undefined;
      }, 30_000);
      expect(text).toContain(
        'imagecycle_job_duration_seconds_count{queue="reconcile",result="completed"} 1',
      );
      expect(text).toContain('# TYPE imagecycle_job_failures_total counter');
    } finally {
      await worker.stop();
    }
    expect((await worker.exited).code, worker.stderr()).toBe(0);
  });

  it('refuses to start on a broken catalogue, naming file and line', () => {
    const broken = join(tmpdir(), `catalogue-${prefix}.yaml`);
    writeFileSync(broken, 'series:\n  x:\n    title: 42\n');
    const run = spawnSync(process.execPath, [main, 'worker', 'feed-watcher'], {
      env: { ...env, IMAGECYCLE_CATALOGUE: broken },
      encoding: 'utf8',
    });
    expect(run.status).toBe(3);
    expect(run.stderr).toContain(`${broken}:3:12: series.x.title: must be a string, got number`);
  });

  it('refuses to run a series the catalogue does not have (usage, exit 2)', () => {
    const run = spawnSync(process.execPath, [main, 'run', '--series', 'nope-1'], {
      env,
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('nope-1');
  });

  it('names every wrong setting and exits 3 before connecting to anything', () => {
    const run = spawnSync(process.execPath, [main, 'worker', 'downloader'], {
      env: { ...env, REDIS_URL: 'localhost:6379', IMAGECYCLE_CONCURRENCY: 'download=zero' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(3);
    expect(run.stderr).toContain('REDIS_URL: must be a redis:// or rediss:// URL');
    expect(run.stderr).toContain(
      'IMAGECYCLE_CONCURRENCY: "download=zero" is not <queue>=<positive integer>',
    );
  });

  it('refuses an unknown worker name, listing the known ones (usage, exit 2)', () => {
    const run = spawnSync(process.execPath, [main, 'worker', 'uploadr'], { env, encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(
      'unknown worker uploadr; known: feed-watcher, downloader, uploader',
    );
  });

  it('all: every worker and the control plane in one process, behind credentials; SIGTERM stops it', async () => {
    const port = await freePort();
    const all = startImagecycle(['all'], {
      ...env,
      IMAGECYCLE_HTTP_HOST: '127.0.0.1',
      IMAGECYCLE_HTTP_PORT: String(port),
      // queues of its own: the earlier tests left download jobs waiting
      IMAGECYCLE_QUEUE_PREFIX: `${prefix}-all`,
      IMAGECYCLE_BOARD_USER: 'operator',
      IMAGECYCLE_BOARD_PASSWORD: 'correct horse',
      IMAGECYCLE_STAGING_DIR: join(tmpdir(), `staging-${prefix}`),
    });
    const base = `http://127.0.0.1:${port}`;
    try {
      expect(await healthOf(base)).toEqual({ status: 'ok' });
      expect((await fetch(`${base}/queues/api/queues`)).status).toBe(401);
      const auth = `Basic ${Buffer.from('operator:correct horse').toString('base64')}`;
      const board = await fetch(`${base}/queues/api/queues`, { headers: { authorization: auth } });
      expect(board.status).toBe(200);
      expect(((await board.json()) as { queues: unknown[] }).queues).toHaveLength(allQueues.length);
    } finally {
      await all.stop();
    }
    expect((await all.exited).code).toBe(0);
    expect(all.stderr()).toBe('');
    const own = new QueueRuntime({
      connection: { url: process.env.REDIS_URL ?? '', maxRetriesPerRequest: null },
      prefix: `${prefix}-all`,
      queues: allQueues,
    });
    for (const queue of allQueues) await own.queue(queue).obliterate({ force: true });
    await own.close();
  });

  it('all refuses to expose Bull Board without credentials (configuration, exit 3)', () => {
    const run = spawnSync(process.execPath, [main, 'all'], {
      env: { ...env, IMAGECYCLE_HTTP_HOST: '0.0.0.0', IMAGECYCLE_HTTP_PORT: '0' },
      encoding: 'utf8',
    });
    expect(run.status).toBe(3);
    expect(run.stderr).toContain('the control plane needs credentials');
  });
});
