// createImage sends one request: the image's own fields and its custom properties in one
// JSON body - and a property never overrides a field the caller set.
import { describe, expect, it } from 'vitest';
import { GlanceClient } from '../src/glance.ts';
import type { Session } from '../src/session.ts';

describe('GlanceClient.createImage', () => {
  it('fixed fields win over properties of the same name', async () => {
    const sent: unknown[] = [];
    const session = {
      endpoint: () => Promise.resolve('https://glance.test/v2'),
      request: (spec: { json?: unknown }) => {
        sent.push(spec.json);
        return Promise.resolve({ status: 201, headers: {}, body: '{"id":"i"}' });
      },
    } as unknown as Session;
    await new GlanceClient(session).createImage({
      name: 'fixed name',
      disk_format: 'qcow2',
      visibility: 'private',
      os_hidden: true,
      tags: ['imagecycle'],
      properties: {
        name: 'from a feed',
        visibility: 'public',
        os_hidden: 'False',
        tags: 'x',
        disk_format: 'iso',
        container_format: 'ova',
        hw_disk_bus: 'scsi',
      },
    });
    expect(sent).toEqual([
      {
        name: 'fixed name',
        disk_format: 'qcow2',
        container_format: 'bare',
        visibility: 'private',
        os_hidden: true,
        tags: ['imagecycle'],
        hw_disk_bus: 'scsi',
      },
    ]);
  });
});
