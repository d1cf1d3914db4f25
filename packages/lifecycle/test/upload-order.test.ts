import { describe, expect, it } from 'vitest';
import type { GlanceImage } from '@imagecycle/openstack';
import { newestUploadFirst } from '../src/index.ts';

const image = (id: string, created_at: string, version: string) =>
  ({ id, created_at, imagecycle_version: version }) as unknown as GlanceImage;

describe('newestUploadFirst', () => {
  it('orders by upload, then by version (numeric) within the same second, then by id', () => {
    const sorted = [
      image('a', '2026-11-01T10:00:00Z', '20261101'),
      image('b', '2026-11-02T10:00:00Z', '9'),
      image('c', '2026-11-02T10:00:00Z', '10'),
      image('d', '2026-11-02T10:00:00Z', '10'),
    ].sort(newestUploadFirst);
    expect(sorted.map((i) => i.id)).toEqual(['d', 'c', 'b', 'a']);
  });
});
