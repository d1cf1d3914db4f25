// The Glance half of the client against the real Glance of the test cloud.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GlanceImage, OpenStackHttpError, type OpenStackClient } from '@imagecycle/openstack';
import { connect, runPrefix } from '../../support/clouds.ts';
import {
  addImageTag,
  importImage,
  importMethods,
  removeImageTag,
  stageImageData,
} from '../../support/openstack-test-calls.ts';
import { countRequests } from '../../support/request-count.ts';

const prefix = runPrefix('glance');
const created: string[] = [];
let service: OpenStackClient;
let file: string;
let data: Buffer;

beforeAll(() => {
  service = connect('service');
  data = randomBytes(3 * 1024 * 1024 + 17);
  file = join(mkdtempSync(join(tmpdir(), 'glance-it-')), 'disk.raw');
  writeFileSync(file, data);
});

afterAll(async () => {
  for (const id of created) {
    await service.glance.findImage(id).then(async (image) => {
      if (!image) return;
      if (image.protected)
        await service.glance.patchImage(id, [{ op: 'replace', path: '/protected', value: false }]);
      await service.glance.deleteImage(id);
    });
  }
});

async function newImage(
  suffix: string,
  extra: Partial<Parameters<OpenStackClient['glance']['createImage']>[0]> = {},
) {
  const image = await service.glance.createImage({
    name: `${prefix}-${suffix}`,
    disk_format: 'raw',
    ...extra,
  });
  created.push(image.id);
  return image;
}

describe('Glance through the client', () => {
  it('creates with every property in one request, streams the bytes, and Glance hashes what was sent', async () => {
    const image = await newImage('upload', {
      visibility: 'private',
      os_hidden: true,
      min_disk: 1,
      tags: ['imagecycle'],
      properties: {
        imagecycle_series: 'itest',
        imagecycle_version: '20261128',
        os_distro: 'ubuntu',
      },
    });
    expect(image).toMatchObject({
      status: 'queued',
      os_hidden: true,
      imagecycle_series: 'itest',
      tags: ['imagecycle'],
    });

    const progress: number[] = [];
    await service.glance.uploadImageData(
      image.id,
      { path: file },
      { onProgress: (p) => progress.push(p.transferred) },
    );
    const active = await service.glance.waitForImageStatus(image.id, ['active'], {
      timeoutMs: 60_000,
      failOn: ['killed'],
    });

    expect(active.size).toBe(data.length);
    expect(active.os_hash_algo).toBe('sha512');
    expect(active.os_hash_value).toBe(createHash('sha512').update(data).digest('hex'));
    expect(progress.at(-1)).toBe(data.length);
  });

  it('patches name, visibility, os_hidden and properties with one PATCH, and a second apply sends none', async () => {
    const image = await newImage('patch', {
      properties: { imagecycle_state: 'candidate', drop_me: 'x' },
    });
    await service.glance.uploadImageData(image.id, { path: file });
    const active = await service.glance.waitForImageStatus(image.id, ['active'], {
      timeoutMs: 60_000,
    });
    const desired = {
      name: `${prefix}-patch - 2026-11-28`,
      visibility: 'community' as const,
      os_hidden: true,
      properties: {
        imagecycle_state: 'community',
        imagecycle_unused_since: '2026-11-28',
        drop_me: null,
      },
    };
    const requests = countRequests(service);
    const first = await service.glance.applyImage(active, desired);
    expect(requests.of({ service: 'image' })).toBe(1);
    expect(requests.of({ service: 'image', method: 'PATCH', status: 200 })).toBe(1);
    expect(first.ops).toHaveLength(6);
    expect(first.image).toMatchObject({
      name: desired.name,
      visibility: 'community',
      os_hidden: true,
      imagecycle_state: 'community',
    });
    expect(first.image.drop_me).toBeUndefined();

    const again = await service.glance.applyImage(await service.glance.getImage(image.id), desired);
    expect(again.ops).toEqual([]);
    requests.stop();
    expect(requests.of({ service: 'image' })).toBe(2); // the GET only
    expect(requests.of({ service: 'image', method: 'PATCH' })).toBe(1);
  });

  it('lists community and hidden images only when asked, and filters by tag and property', async () => {
    const series = `${prefix}-series`;
    const visible = await newImage('community-visible', {
      tags: ['imagecycle'],
      properties: { imagecycle_series: series },
    });
    const hidden = await newImage('community-hidden', {
      tags: ['imagecycle'],
      os_hidden: true,
      properties: { imagecycle_series: series },
    });
    const untagged = await newImage('untagged', { properties: { imagecycle_series: series } });
    for (const image of [visible, hidden]) {
      await service.glance.patchImage(image.id, [
        { op: 'replace', path: '/visibility', value: 'community' },
      ]);
    }
    const ids = (images: GlanceImage[]) => images.map((image) => image.id).sort();
    const byProperty = { properties: { imagecycle_series: series } };

    // Glance's default listing leaves out hidden images, and community images of other
    // owners - but includes community images the caller owns.
    expect(ids(await service.glance.listAllImages(byProperty))).toEqual(ids([visible, untagged]));
    const tenantView = await connect('tenant').glance.listAllImages(byProperty);
    expect(tenantView).toEqual([]);
    expect(
      ids(await connect('tenant').glance.listAllImages({ ...byProperty, visibility: 'community' })),
    ).toEqual([visible.id]);
    expect(
      ids(await service.glance.listAllImages({ ...byProperty, visibility: 'community' })),
    ).toEqual([visible.id]);
    expect(
      ids(
        await service.glance.listAllImages({
          ...byProperty,
          visibility: 'community',
          os_hidden: true,
        }),
      ),
    ).toEqual([hidden.id]);
    expect(
      ids(
        await service.glance.listAllImages({
          ...byProperty,
          visibility: 'all',
          tags: ['imagecycle'],
        }),
      ),
    ).toEqual([visible.id]);
    expect(ids(await service.glance.listAllImages({ ...byProperty, visibility: 'all' }))).toEqual(
      ids([visible, untagged]),
    );
  });

  it('follows every page of a listing', async () => {
    const series = `${prefix}-paged`;
    const images = [];
    for (let i = 0; i < 5; i += 1)
      images.push(await newImage(`page-${i}`, { properties: { imagecycle_series: series } }));
    const requests = countRequests(service);
    const listed = await service.glance.listAllImages({
      properties: { imagecycle_series: series },
      limit: 2,
    });
    expect(listed.map((image) => image.id).sort()).toEqual(images.map((image) => image.id).sort());
    requests.stop();
    expect(requests.of({ service: 'image', method: 'GET' })).toBe(3);
    const paths = requests.seen.filter((r) => r.service === 'image').map((r) => r.path);
    expect(paths).toEqual(['/v2/images', '/v2/images', '/v2/images']); // no query string
  });

  it('adds and removes tags, deactivates and reactivates, refuses to delete a protected image', async () => {
    const image = await newImage('states');
    await service.glance.uploadImageData(image.id, { path: file });
    await service.glance.waitForImageStatus(image.id, ['active'], { timeoutMs: 60_000 });

    await addImageTag(service, image.id, 'imagecycle');
    expect((await service.glance.getImage(image.id)).tags).toEqual(['imagecycle']);
    await removeImageTag(service, image.id, 'imagecycle');
    expect((await service.glance.getImage(image.id)).tags).toEqual([]);

    await service.glance.deactivateImage(image.id);
    expect((await service.glance.getImage(image.id)).status).toBe('deactivated');
    await service.glance.reactivateImage(image.id);
    expect((await service.glance.getImage(image.id)).status).toBe('active');

    await service.glance.patchImage(image.id, [{ op: 'replace', path: '/protected', value: true }]);
    await expect(service.glance.deleteImage(image.id)).rejects.toMatchObject({ status: 403 });
    await service.glance.patchImage(image.id, [
      { op: 'replace', path: '/protected', value: false },
    ]);
    expect(await service.glance.deleteImage(image.id)).toBe(true);
    expect(await service.glance.deleteImage(image.id)).toBe(false);
    expect(await service.glance.findImage(image.id)).toBeUndefined();
  });

  it('stages and imports with glance-direct, and imports by web-download', async () => {
    expect(await importMethods(service)).toEqual(
      expect.arrayContaining(['glance-direct', 'web-download']),
    );

    const direct = await newImage('glance-direct');
    await stageImageData(service, direct.id, file);
    await importImage(service, direct.id, { name: 'glance-direct' });
    const imported = await service.glance.waitForImageStatus(direct.id, ['active'], {
      timeoutMs: 60_000,
      failOn: ['killed'],
    });
    expect(imported.os_hash_value).toBe(createHash('sha512').update(data).digest('hex'));

    const server: Server = createServer((_req, res) => res.end(data));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const web = await newImage('web-download');
      const port = (server.address() as AddressInfo).port;
      await importImage(service, web.id, {
        name: 'web-download',
        uri: `http://127.0.0.1:${port}/disk.raw`,
      });
      const done = await service.glance.waitForImageStatus(web.id, ['active'], {
        timeoutMs: 60_000,
        failOn: ['killed'],
      });
      expect(done.size).toBe(data.length);
    } finally {
      server.close();
    }
  });

  it('surfaces a Glance error as a typed error carrying the request id', async () => {
    const error = await service.glance
      .getImage('00000000-0000-4000-8000-000000000000')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenStackHttpError);
    const http = error as OpenStackHttpError;
    expect(http.status).toBe(404);
    expect(http.requestId).toMatch(/^req-[0-9a-f-]{36}$/);
    expect(http.message).toContain('image: GET');
    expect(http.message).toContain(http.requestId);

    const bad = await service.glance
      .createImage({
        name: `${prefix}-bad`,
        disk_format: 'raw',
        properties: { os_glance_forbidden: 'x' },
      })
      .catch((e: unknown) => e);
    expect(bad).toMatchObject({ status: 403 });
    expect((bad as OpenStackHttpError).serviceMessage).toBeTruthy();
  });
});
