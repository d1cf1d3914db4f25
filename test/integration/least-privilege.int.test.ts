// Least privilege (README, "Least privilege"), against the local stack: each cloud account
// can do what its stages need and is refused what it does not need, and the feed-watcher and
// the downloader run with no clouds.yaml at all.
//   the policy files   infra/local/templates/*-policy.yaml, decided offline by the installed
//                      Glance, Nova and Cinder policy engines (what the APIs would decide)
//   the accounts       imagecycle-publish (member + image-manager) and imagecycle-usage
//                      (reader + usage-auditor) of the imagecycle project, on the running APIs
//   no account         `imagecycle worker feed-watcher downloader` as a process without any
//                      OS_* variable or clouds.yaml: it starts, is ready, checks the feeds
//                      (what is published is the record the renamer and janitor keep in
//                      Redis) and downloads
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allQueues,
  downloadQueue,
  feedCheckQueue,
  stagingPaths,
  uploadQueue,
} from '@imagecycle/contracts';
import { PublishedRecords } from '@imagecycle/events';
import { scanUsage } from '@imagecycle/inventory';
import { OpenStackHttpError } from '@imagecycle/openstack';
import { type Mirror, startMirror } from '../mirror/index.ts';
import { cinderAdminRoles, connect, runPrefix } from '../support/clouds.ts';
import { mirrorCatalogueVars } from '../support/mirror-catalogue.ts';
import { createVolume, deleteVolume, waitForVolumeGone } from '../support/openstack-test-calls.ts';
import { freePort, IMAGECYCLE_MAIN } from '../support/processes.ts';
import { testRuntime } from '../support/queue-runtime.ts';
import { until } from '../support/until.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const POLICY_CHECK = join(ROOT, 'infra/local/lib/py/policy_check.py');
const TEMPLATES = join(ROOT, 'infra/local/templates');
/** The roles each account's token carries (Keystone adds the implied reader to member). */
const ROLES = {
  publish: 'member,reader,image-manager',
  usage: 'reader,usage-auditor',
  tenant: 'member,reader',
};

type Decisions = Record<string, { own: boolean; other: boolean }>;

/** The installed service's decision on each rule, with the policy file or (`-`) without. */
function decide(
  service: 'glance' | 'nova' | 'cinder',
  file: string,
  roles: string,
  rules: string[],
): Decisions {
  const run = spawnSync(
    '/usr/bin/python3',
    [POLICY_CHECK, service, file === '-' ? '-' : join(TEMPLATES, file), roles, ...rules],
    { encoding: 'utf8' },
  );
  expect(run.status, run.stderr).toBe(0);
  return JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as Decisions;
}

const allowed = (decisions: Decisions, where: 'own' | 'other') =>
  Object.keys(decisions).filter((rule) => decisions[rule]?.[where]);

describe('the local stack policy files, as the installed services decide them', () => {
  const WRITES = [
    'add_image',
    'modify_image',
    'delete_image',
    'upload_image',
    'deactivate',
    'reactivate',
    'communitize_image',
    'publicize_image',
  ];

  it('Glance: the usage account writes no image; the publishing one writes and publicizes only its own project’s', () => {
    // why the file exists: Zed's defaults still OR each rule with its deprecated "anyone"
    const defaults = decide('glance', '-', ROLES.usage, WRITES);
    expect(allowed(defaults, 'own')).toEqual(WRITES.filter((r) => r !== 'publicize_image'));
    const usage = decide('glance', 'glance-policy.yaml', ROLES.usage, [
      ...WRITES,
      'get_images',
      'get_image',
    ]);
    expect(allowed(usage, 'own')).toEqual(['get_images', 'get_image']);
    const publish = decide('glance', 'glance-policy.yaml', ROLES.publish, WRITES);
    expect(allowed(publish, 'own')).toEqual(WRITES);
    expect(allowed(publish, 'other')).toEqual([]);
    // a tenant still writes its own images, and still may not make them public
    const tenant = decide('glance', 'glance-policy.yaml', ROLES.tenant, WRITES);
    expect(allowed(tenant, 'own')).toEqual(WRITES.filter((r) => r !== 'publicize_image'));
  });

  it('Nova: usage-auditor lists every project’s servers with every filter; nothing more', () => {
    const rules = [
      'os_compute_api:servers:detail:get_all_tenants',
      'os_compute_api:servers:index:get_all_tenants',
      'os_compute_api:servers:allow_all_filters',
      'os_compute_api:servers:delete',
      'os_compute_api:servers:create',
    ];
    expect(allowed(decide('nova', '-', ROLES.usage, rules), 'other')).toEqual([]);
    expect(allowed(decide('nova', 'nova-policy.yaml', ROLES.usage, rules), 'other')).toEqual(
      rules.slice(0, 3),
    );
    expect(allowed(decide('nova', 'nova-policy.yaml', ROLES.publish, rules), 'other')).toEqual([]);
  });

  it('Cinder: usage-auditor is admin to Cinder (its all_tenants needs it); member is not', () => {
    expect(decide('cinder', '-', ROLES.usage, ['context_is_admin']).context_is_admin?.own).toBe(
      false,
    );
    expect(
      decide('cinder', 'cinder-policy.yaml', ROLES.usage, ['context_is_admin']).context_is_admin,
    ).toEqual({ own: true, other: true });
    expect(
      decide('cinder', 'cinder-policy.yaml', ROLES.publish, ['context_is_admin']).context_is_admin,
    ).toEqual({ own: false, other: false });
  });
});

describe('the least-privilege accounts on the running stack', () => {
  const service = connect('service');
  const publish = connect('publish');
  const usage = connect('usage');
  const tenant = connect('tenant');
  const prefix = runPrefix('lp');
  const created: string[] = [];

  afterAll(async () => {
    for (const id of created) {
      await service.glance.patchImage(id, [{ op: 'replace', path: '/protected', value: false }]);
      await service.glance.deleteImage(id);
    }
  });

  const status = (work: Promise<unknown>) =>
    work.then(
      () => 'allowed',
      (error: unknown) => {
        if (error instanceof OpenStackHttpError) return error.status;
        throw error;
      },
    );

  it('both are scoped to the project that owns the images', async () => {
    const owner = await service.projectId();
    expect(await publish.projectId()).toBe(owner);
    expect(await usage.projectId()).toBe(owner);
  });

  it('the usage account reads the project’s images and may change none (403)', async () => {
    const image = await service.glance.createImage({
      name: `${prefix}-owned`,
      disk_format: 'raw',
      container_format: 'bare',
      visibility: 'private',
    });
    created.push(image.id);
    expect((await usage.glance.getImage(image.id)).id).toBe(image.id);
    expect(
      await status(
        usage.glance.patchImage(image.id, [
          { op: 'add', path: '/imagecycle_test', value: 'usage' },
        ]),
      ),
    ).toBe(403);
    expect(await status(usage.glance.deleteImage(image.id))).toBe(403);
    expect(
      await status(
        usage.glance.createImage({
          name: `${prefix}-by-usage`,
          disk_format: 'raw',
          container_format: 'bare',
        }),
      ),
    ).toBe(403);
    expect(await service.glance.findImage(image.id)).toBeDefined();
  });

  it('the publishing account creates, publicizes and deletes its project’s images, and no other project’s', async () => {
    const image = await publish.glance.createImage({
      name: `${prefix}-published`,
      disk_format: 'raw',
      container_format: 'bare',
      visibility: 'private',
    });
    created.push(image.id);
    const made = await publish.glance.patchImage(image.id, [
      { op: 'replace', path: '/visibility', value: 'public' },
    ]);
    expect(made?.visibility).toBe('public');
    const theirs = await tenant.glance.createImage({
      name: `${prefix}-tenant`,
      disk_format: 'raw',
      container_format: 'bare',
      visibility: 'community',
    });
    created.push(theirs.id);
    expect(
      await status(
        publish.glance.patchImage(theirs.id, [
          { op: 'replace', path: '/name', value: `${prefix}-renamed` },
        ]),
      ),
    ).toBe(403);
    expect(await publish.glance.deleteImage(image.id)).toBe(true);
    created.splice(created.indexOf(image.id), 1);
  });

  it('the usage account sees every project’s servers and volumes: a complete scan', async () => {
    const volume = await createVolume(tenant, { size: 1, name: `${prefix}-vol` });
    try {
      const scan = await scanUsage(usage.nova, usage.cinder, { adminRoles: cinderAdminRoles });
      expect(scan.incomplete).toEqual([]);
      const ids: string[] = [];
      for await (const v of usage.cinder.listVolumes({ allTenants: true })) ids.push(v.id);
      expect(ids).toContain(volume.id);
      // the publishing account cannot: its scan says so and would reap nothing
      const refused = await scanUsage(publish.nova, publish.cinder, {
        adminRoles: cinderAdminRoles,
      });
      expect(refused.incomplete).toEqual(
        expect.arrayContaining([
          expect.stringContaining('compute: listing every project’s servers refused (403'),
          expect.stringContaining('block-storage: the account has no admin role'),
        ]),
      );
    } finally {
      await deleteVolume(tenant, volume.id);
      await waitForVolumeGone(tenant, volume.id, 60_000);
    }
  });
});

describe('the feed-watcher and the downloader without any cloud configuration', () => {
  const { prefix, runtime } = testRuntime('lp-dl');
  const redis = new Redis(process.env.REDIS_URL ?? '');
  const published = new PublishedRecords(redis, `${prefix}:published`);
  let mirror: Mirror;
  let home: string;
  let staging: string;

  beforeAll(async () => {
    mirror = await startMirror({ seed: '2026-11-01' });
    home = mkdtempSync(join(tmpdir(), 'lp-home-'));
    staging = mkdtempSync(join(tmpdir(), 'lp-staging-'));
  });
  afterAll(async () => {
    for (const queue of allQueues) await runtime.queue(queue).obliterate({ force: true });
    await runtime.close();
    await redis.del(`${prefix}:published`);
    redis.disconnect();
    await mirror.stop();
    rmSync(staging, { recursive: true, force: true });
  });

  it('start, are ready without Keystone, check the feeds and download a new release for the uploader', async () => {
    // no clouds.yaml where openstacksdk (and imagecycle) would look, and no OS_* variable
    for (const dir of ['/etc/openstack', '/etc/xdg/openstack'])
      for (const name of ['clouds.yaml', 'clouds.yml', 'clouds.json'])
        expect(existsSync(join(dir, name)), `${dir}/${name} exists on this machine`).toBe(false);
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: join(home, '.config'),
      XDG_CONFIG_DIRS: join(home, 'xdg'),
      ...mirrorCatalogueVars(mirror),
      REDIS_URL: process.env.REDIS_URL,
      IMAGECYCLE_QUEUE_PREFIX: prefix,
      IMAGECYCLE_STAGING_DIR: staging,
      IMAGECYCLE_HTTP_HOST: '127.0.0.1',
      IMAGECYCLE_METRICS_PORT: String(port),
      LOG_LEVEL: 'warn',
    };
    expect(Object.keys(env).filter((name) => name.startsWith('OS_'))).toEqual([]);
    const worker = spawn(
      process.execPath,
      [IMAGECYCLE_MAIN, 'worker', 'feed-watcher', 'downloader'],
      {
        env,
        cwd: home,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    worker.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => worker.on('exit', resolve));
    try {
      const ready = await until(
        () =>
          fetch(`http://127.0.0.1:${port}/readyz`).then(async (r) => ({
            code: r.status,
            body: (await r.json()) as { checks: Record<string, string> },
          })),
        { ms: 30_000, what: 'the workers /readyz', context: () => stderr },
      );
      // ready on Redis alone: it asks Keystone nothing
      expect(ready.code).toBe(200);
      expect(ready.body.checks).toEqual({ redis: 'ok' });

      // Ubuntu 22.04's newest release is already published (as the renamer records it);
      // Debian 12's is not
      const ubuntu = mirror.latest('ubuntu-22.04')?.version ?? '';
      const debian = mirror.latest('debian-12')?.version ?? '';
      await published.record({
        series: 'ubuntu-22.04',
        at: new Date().toISOString(),
        latest: ubuntu,
        versions: [ubuntu],
        by: 'reconcile',
      });
      const checks = await Promise.all(
        ['ubuntu-22.04', 'debian-12'].map((series) =>
          runtime.enqueue(feedCheckQueue, { series, trigger: 'manual' }),
        ),
      );
      const results = await Promise.all(
        checks.map((check) =>
          until(
            async () => {
              const job = await runtime.queue(feedCheckQueue).getJob(check.id ?? '');
              return (await job?.isCompleted()) ? (job?.returnvalue as unknown) : undefined;
            },
            { ms: 60_000, what: 'the feed checks', context: () => stderr },
          ),
        ),
      );
      expect(results).toEqual([
        expect.objectContaining({
          series: 'ubuntu-22.04',
          outcome: 'nothing-new',
          version: ubuntu,
        }),
        expect.objectContaining({ series: 'debian-12', outcome: 'new-release', version: debian }),
      ]);
      // the upload job is enqueued while the download runs (overlapped): wait for the download
      await until(
        async () => (await runtime.queue(downloadQueue).getJobCounts('completed')).completed === 1,
        { ms: 120_000, what: 'the download to complete', context: () => stderr },
      );
      const uploads = (await runtime.queue(uploadQueue).getJobs(['waiting', 'prioritized'])).map(
        (u) => uploadQueue.payload.parse(u.data),
      );
      expect(uploads.map((u) => u.release)).toEqual([
        expect.objectContaining({ series: 'debian-12', version: debian }),
      ]);
      // enqueued while the download ran, the job names no artifact: the verified one is in
      // staging, under its marker
      const paths = stagingPaths(staging, 'debian-12', debian);
      expect(existsSync(uploads[0]?.artifact?.path ?? paths.disk)).toBe(true);
      expect(existsSync(paths.marker)).toBe(true);
    } finally {
      worker.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
    expect(stderr).not.toMatch(/clouds\.yaml|Keystone|no cloud/i);
  });
});
