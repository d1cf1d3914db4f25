import { describe, expect, it } from 'vitest';
import type { GlanceImage } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { desiredState } from '../src/index.ts';

const series = {
  id: 'ubuntu-24.04',
  title: 'Ubuntu 24.04 Noble Numbat',
  retired: false,
  communityHidden: false,
  properties: { os_purpose: 'generic' },
} as unknown as Series;
let n = 0;
const image = (version: string, createdAt: string, extra: Partial<Record<string, unknown>> = {}) =>
  ({
    id: `id-${String(++n).padStart(3, '0')}`,
    status: 'active',
    created_at: createdAt,
    imagecycle_series: 'ubuntu-24.04',
    imagecycle_version: version,
    imagecycle_state: 'community',
    ...extra,
  }) as unknown as GlanceImage;

const names = (entries: ReturnType<typeof desiredState>) =>
  entries.map((e) => [e.image.imagecycle_version, e.desired.name]);

describe('desiredState', () => {
  it('makes the newest version the Latest (by version, not by upload time) and dates the others', () => {
    const entries = desiredState(series, [
      image('20240601', '2024-06-02T10:00:00Z'),
      image('20240523.1', '2024-06-03T10:00:00Z'), // uploaded later, but an older release
      image('20240523', '2024-05-24T10:00:00Z'),
      image('20240701', '2024-07-02T10:00:00Z', {
        imagecycle_state: 'candidate',
        visibility: 'private',
        os_hidden: true,
      }),
    ]);
    expect(names(entries)).toEqual([
      ['20240701', 'Ubuntu 24.04 Noble Numbat - Latest'],
      ['20240523', 'Ubuntu 24.04 Noble Numbat - 2024-05-24'],
      ['20240601', 'Ubuntu 24.04 Noble Numbat - 2024-06-02'],
      ['20240523.1', 'Ubuntu 24.04 Noble Numbat - 2024-06-03'],
    ]);
    expect(entries[0]?.desired).toEqual({
      name: 'Ubuntu 24.04 Noble Numbat - Latest',
      visibility: 'public',
      os_hidden: false,
      properties: { imagecycle_state: 'latest', os_purpose: 'generic' },
    });
    expect(entries[1]?.desired).toMatchObject({
      visibility: 'community',
      os_hidden: false,
      properties: { imagecycle_state: 'community' },
    });
  });

  it('numbers same-day uploads in upload order, and an earlier image keeps its name when a later one joins', () => {
    const a = image('1', '2026-11-01T08:00:00Z');
    const b = image('2', '2026-11-01T09:00:00Z');
    const c = image('3', '2026-11-01T10:00:00Z');
    const latest = image('4', '2026-11-02T10:00:00Z');
    const before = desiredState(series, [a, b, latest]);
    const after = desiredState(series, [c, b, a, latest]);
    expect(names(before).slice(1)).toEqual([
      ['1', 'Ubuntu 24.04 Noble Numbat - 2026-11-01'],
      ['2', 'Ubuntu 24.04 Noble Numbat - 2026-11-01 #2'],
    ]);
    expect(names(after).slice(1)).toEqual([
      ['1', 'Ubuntu 24.04 Noble Numbat - 2026-11-01'],
      ['2', 'Ubuntu 24.04 Noble Numbat - 2026-11-01 #2'],
      ['3', 'Ubuntu 24.04 Noble Numbat - 2026-11-01 #3'],
    ]);
  });

  it('leaves out images that are not active, retiring, or of another series; hides community images when asked', () => {
    const entries = desiredState({ ...series, communityHidden: true }, [
      image('5', '2026-11-05T00:00:00Z', { status: 'queued', imagecycle_state: 'candidate' }),
      image('4', '2026-11-04T00:00:00Z', { imagecycle_state: 'retiring', status: 'deactivated' }),
      image('3', '2026-11-03T00:00:00Z', { imagecycle_series: 'debian-12' }),
      image('2', '2026-11-02T00:00:00Z'),
      image('1', '2026-11-01T00:00:00Z'),
    ]);
    expect(names(entries)).toEqual([
      ['2', 'Ubuntu 24.04 Noble Numbat - Latest'],
      ['1', 'Ubuntu 24.04 Noble Numbat - 2026-11-01'],
    ]);
    expect(entries[1]?.desired.os_hidden).toBe(true);
  });

  it('a retired series has no Latest: every image is community', () => {
    const entries = desiredState({ ...series, retired: true }, [
      image('2', '2026-11-02T00:00:00Z', { imagecycle_state: 'latest' }),
      image('1', '2026-11-01T00:00:00Z'),
    ]);
    expect(entries.map((e) => e.role)).toEqual(['community', 'community']);
  });
});
