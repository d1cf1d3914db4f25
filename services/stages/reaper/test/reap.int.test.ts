// The reaper's guarded protocol against the real Glance, Nova and Cinder.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANAGED_TAG, PROPERTY } from '@imagecycle/contracts';
import type { OpenStackClient } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { connect, runPrefix } from '@imagecycle/test/support/clouds';
import { until } from '@imagecycle/test/support/until';
import { reap, type ReapDeps } from '../src/index.ts';

const service = connect('service');
const tenant = connect('tenant');
const seriesId = runPrefix('reap');
let keepLast = 0;
const series = () =>
  ({ id: seriesId, retention: { keepLast, minimumAgeDays: 0 } }) as unknown as Series;
const made: { client: OpenStackClient; id: string }[] = [];
const servers: string[] = [];
let deps: ReapDeps;

async function image(
  label: string,
  options: { state?: string; protect?: boolean; client?: OpenStackClient; tag?: boolean } = {},
) {
  const client = options.client ?? service;
  const created = await client.glance.createImage({
    name: `Reap OS - ${label}`,
    disk_format: 'raw',
    visibility: 'community',
    protected: options.protect ?? false,
    tags: options.tag === false ? [] : [MANAGED_TAG],
    properties: {
      [PROPERTY.series]: seriesId,
      [PROPERTY.version]: label,
      [PROPERTY.state]: options.state ?? 'community',
    },
  });
  made.push({ client, id: created.id });
  await client.glance.uploadImageData(created.id, Readable.from([randomBytes(1 << 20)]), {
    size: 1 << 20,
  });
  await client.glance.waitForImageStatus(created.id, ['active'], { timeoutMs: 60_000 });
  return created.id;
}

async function boot(imageId: string) {
  const server = await tenant.nova.createServer({
    name: `${seriesId}-vm`,
    imageRef: imageId,
    flavorRef: '1',
  });
  servers.push(server.id);
  await tenant.nova.waitForServerStatus(server.id, ['ACTIVE'], 90_000);
  return server.id;
}

beforeAll(async () => {
  deps = {
    glance: service.glance,
    nova: service.nova,
    cinder: service.cinder,
    owner: await service.projectId(),
    findSeries: (id) => (id === seriesId ? series() : undefined),
    wait: () => Promise.resolve(),
  };
});

afterAll(async () => {
  for (const id of servers) {
    await tenant.nova.deleteServer(id);
    await tenant.nova.waitForServerGone(id, 60_000);
  }
  for (const { client, id } of made) {
    const found = await client.glance.findImage(id);
    if (!found) continue;
    if (found.protected)
      await client.glance.patchImage(id, [{ op: 'replace', path: '/protected', value: false }]);
    await client.glance.deleteImage(id);
  }
});

describe('reap', () => {
  it('deletes an unused community image after deactivating it and checking again', async () => {
    const recovered: unknown[] = [];
    const id = await image('unused');
    const states: string[] = [];
    const result = await reap(
      { series: seriesId, imageId: id },
      {
        ...deps,
        wait: async () => void states.push((await service.glance.getImage(id)).status),
        onRecovered: (what) => Promise.resolve(void recovered.push(what)),
      },
    );
    expect(result).toEqual({
      imageId: id,
      outcome: 'deleted',
      name: 'Reap OS - unused',
      version: 'unused',
    });
    expect(states).toEqual(['deactivated']);
    // a first attempt recovers nothing
    expect(recovered).toEqual([]);
    expect(await service.glance.findImage(id)).toBeUndefined();
  });

  it('keeps an image a server runs from, saying so on the image without naming the server', async () => {
    const id = await image('in-use');
    const server = await boot(id);
    const result = await reap({ series: seriesId, imageId: id }, deps);
    expect(result).toMatchObject({
      outcome: 'kept',
      because: expect.stringContaining('in use by server') as unknown,
    });
    const after = await service.glance.getImage(id);
    expect(after.status).toBe('active');
    // every project that sees the image sees this property: no other project's server id
    expect(after[PROPERTY.keptBecause]).toMatch(/^in use, last seen \d{4}-\d{2}-\d{2}$/);
    expect(JSON.stringify(after)).not.toContain(server);
    expect((result as { because: string }).because).toContain(server); // the event's detail
  });

  it('keeps an image an operator deactivated as it found it: deactivated', async () => {
    const id = await image('operator-deactivated');
    await boot(id);
    await service.glance.deactivateImage(id);
    const result = await reap({ series: seriesId, imageId: id }, deps);
    expect(result).toMatchObject({ outcome: 'kept' });
    const after = await service.glance.getImage(id);
    expect(after.status).toBe('deactivated');
    expect(after[PROPERTY.state]).toBe('community');
  });

  it('reactivates and keeps an image that gained a user around its deactivation', async () => {
    const id = await image('race');
    const result = await reap(
      { series: seriesId, imageId: id },
      {
        ...deps,
        wait: async () => {
          // a boot that slipped in just before deactivation took effect
          await service.glance.reactivateImage(id);
          await boot(id);
          await service.glance.deactivateImage(id);
        },
      },
    );
    expect(result).toMatchObject({
      outcome: 'kept',
      because: expect.stringContaining('found after deactivation') as unknown,
    });
    const after = await service.glance.getImage(id);
    expect(after.status).toBe('active');
    expect(after[PROPERTY.state]).toBe('community');
  });

  it('resumes a reap that died after deactivation', async () => {
    const id = await image('resumed', { state: 'retiring' });
    await service.glance.deactivateImage(id);
    const told: { what: { imageId: string; detail: string }; status: string }[] = [];
    const resumed = await reap(
      { series: seriesId, imageId: id },
      {
        ...deps,
        // told before anything changes: the image is still as the earlier attempt left it
        onRecovered: async (what) =>
          void told.push({ what, status: (await service.glance.getImage(id)).status }),
      },
    );
    expect(told).toEqual([
      {
        what: {
          imageId: id,
          detail:
            'resuming a reap an earlier attempt left at its settle step (retiring, deactivated): usage check, settle, usage check',
        },
        status: 'deactivated',
      },
    ]);
    expect(resumed).toEqual({
      imageId: id,
      outcome: 'deleted',
      name: 'Reap OS - resumed',
      version: 'resumed',
    });
  });

  it('ends its settle wait when the job is cancelled, leaving an image the next attempt resumes', async () => {
    const id = await image('cancelled');
    const cancel = new AbortController();
    // the real settle wait (no `wait` given), long enough to outlast the test
    const { wait: _instant, ...realWait } = deps;
    const reaping = reap(
      { series: seriesId, imageId: id },
      { ...realWait, settleMs: 60_000, signal: cancel.signal },
    );
    reaping.catch(() => undefined); // awaited below; keeps an early rejection handled
    // Glance shows the image deactivated: the reaper is in its settle wait
    await until(async () => (await service.glance.getImage(id)).status === 'deactivated', {
      what: 'the reaper to deactivate the image',
      ms: 30_000,
    });
    const cancelledAt = Date.now();
    cancel.abort(new Error('drain deadline passed'));
    await expect(reaping).rejects.toThrow('drain deadline passed');
    expect(Date.now() - cancelledAt).toBeLessThan(2000);
    expect(await service.glance.getImage(id)).toMatchObject({
      status: 'deactivated',
      [PROPERTY.state]: 'retiring',
    });

    // the next attempt finds it retiring and deactivated, and resumes at the settle step
    const seen: string[] = [];
    const resumed = await reap(
      { series: seriesId, imageId: id },
      { ...deps, wait: async () => void seen.push((await service.glance.getImage(id)).status) },
    );
    expect(resumed).toEqual({
      imageId: id,
      outcome: 'deleted',
      name: 'Reap OS - cancelled',
      version: 'cancelled',
    });
    expect(seen).toEqual(['deactivated']);
  });

  it("refuses a Latest, a protected image, an untagged one, another owner's, one in the retention floor", async () => {
    const cases = [
      [await image('latest', { state: 'latest' }), 'is latest, not community'],
      [await image('protected', { protect: true }), 'protected'],
      [await image('untagged', { tag: false }), 'has no "imagecycle" tag'],
      [await image('tenant', { client: tenant }), 'owned by project'],
    ] as const;
    for (const [id, because] of cases) {
      const result = await reap({ series: seriesId, imageId: id }, deps);
      expect(result).toMatchObject({
        outcome: 'refused',
        because: expect.stringContaining(because) as unknown,
      });
      expect((await service.glance.getImage(id)).status).toBe('active');
    }
    keepLast = 1;
    try {
      await new Promise((resolve) => setTimeout(resolve, 1100)); // a later second than every other image
      const newest = await image('newest');
      expect(await reap({ series: seriesId, imageId: newest }, deps)).toMatchObject({
        outcome: 'refused',
        because: 'retention floor: one of the newest 1',
      });
    } finally {
      keepLast = 0;
    }
  });

  it('in dry-run mode says what it would delete and changes nothing', async () => {
    const id = await image('dry');
    const before = await service.glance.getImage(id);
    expect(await reap({ series: seriesId, imageId: id }, { ...deps, dryRun: true })).toEqual({
      imageId: id,
      outcome: 'would-delete',
      name: 'Reap OS - dry',
      version: 'dry',
    });
    expect(await service.glance.getImage(id)).toEqual(before);
  });
});
