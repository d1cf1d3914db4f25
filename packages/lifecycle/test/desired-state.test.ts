import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { GlanceImage } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { compareVersions, desiredState, latestName } from '../src/index.ts';

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
  it('takes the Latest role from a deactivated image: the newest active one is Latest, the other is dated', () => {
    const entries = desiredState(series, [
      image('20240601', '2024-06-02T10:00:00Z', {
        imagecycle_state: 'latest',
        status: 'deactivated',
        name: 'Ubuntu 24.04 Noble Numbat - Latest',
      }),
      image('20240523', '2024-05-24T10:00:00Z'),
      image('20240701', '2024-07-02T10:00:00Z', {
        imagecycle_state: 'verified',
        status: 'deactivated',
      }),
    ]);
    expect(names(entries)).toEqual([
      ['20240523', 'Ubuntu 24.04 Noble Numbat - Latest'],
      ['20240601', 'Ubuntu 24.04 Noble Numbat - 2024-06-02'],
    ]);
    expect(entries[1]?.desired).toMatchObject({
      visibility: 'community',
      properties: { imagecycle_state: 'community' },
    });
  });

  it('makes the newest version the Latest (by version, not by upload time) and dates the others', () => {
    const entries = desiredState(series, [
      image('20240601', '2024-06-02T10:00:00Z'),
      image('20240523.1', '2024-06-03T10:00:00Z'), // uploaded later, but an older release
      image('20240523', '2024-05-24T10:00:00Z'),
      image('20240701', '2024-07-02T10:00:00Z', {
        imagecycle_state: 'verified',
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
      properties: {
        imagecycle_state: 'latest',
        os_purpose: 'generic',
        imagecycle_catalogue_keys: 'os_purpose',
      },
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

  it('keeps every given name: reaping the first image of a day renames none, and a demoted Latest is numbered after them all', () => {
    const day = '2026-11-01';
    const title = 'Ubuntu 24.04 Noble Numbat';
    // the first image of the day (plain name) was reaped; "#2" and "#3" are left
    const second = image('2', `${day}T10:00:00Z`, { name: `${title} - ${day} #2` });
    const third = image('3', `${day}T11:00:00Z`, { name: `${title} - ${day} #3` });
    const demoted = image('4', `${day}T12:00:00Z`, {
      name: `${title} - Latest`,
      imagecycle_state: 'latest',
    });
    const newest = image('5', `${day}T13:00:00Z`, { imagecycle_state: 'verified' });
    expect(names(desiredState(series, [second, third, demoted, newest]))).toEqual([
      ['5', `${title} - Latest`],
      ['2', `${title} - ${day} #2`],
      ['3', `${title} - ${day} #3`],
      ['4', `${title} - ${day} #4`],
    ]);
  });

  it('does not keep a dated name of another day, nor one two images claim', () => {
    const title = 'Ubuntu 24.04 Noble Numbat';
    const wrongDay = image('1', '2026-11-01T10:00:00Z', { name: `${title} - 2026-10-31` });
    const first = image('2', '2026-11-02T10:00:00Z', { name: `${title} - 2026-11-02` });
    const copy = image('3', '2026-11-02T11:00:00Z', { name: `${title} - 2026-11-02` });
    const latest = image('4', '2026-11-03T10:00:00Z', { imagecycle_state: 'latest' });
    expect(names(desiredState(series, [wrongDay, first, copy, latest]))).toEqual([
      ['4', `${title} - Latest`],
      ['1', `${title} - 2026-11-01`],
      ['2', `${title} - 2026-11-02`],
      ['3', `${title} - 2026-11-02 #2`],
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

  it('never promotes a candidate: an active one newer than the Latest is left alone until it is verified', () => {
    const latest = image('4', '2026-11-04T00:00:00Z', { imagecycle_state: 'latest' });
    const candidate = image('5', '2026-11-05T00:00:00Z', {
      imagecycle_state: 'candidate',
      visibility: 'private',
      os_hidden: true,
    });
    const entries = desiredState(series, [candidate, latest]);
    expect(entries.map((e) => [e.image.imagecycle_version, e.role])).toEqual([['4', 'latest']]);
    // nothing at all is arranged while the only image is a candidate
    expect(desiredState(series, [candidate])).toEqual([]);
    // once the uploader marked it verified, it is the Latest
    const verified = { ...candidate, imagecycle_state: 'verified' } as GlanceImage;
    expect(desiredState(series, [verified, latest]).map((e) => [e.image.id, e.role])).toEqual([
      [verified.id, 'latest'],
      [latest.id, 'community'],
    ]);
  });

  it('a verified release older than the Latest goes straight to community', () => {
    const latest = image('5', '2026-11-05T00:00:00Z', { imagecycle_state: 'latest' });
    const late = image('4', '2026-11-06T00:00:00Z', { imagecycle_state: 'verified' });
    expect(desiredState(series, [late, latest]).map((e) => [e.image.id, e.role])).toEqual([
      [latest.id, 'latest'],
      [late.id, 'community'],
    ]);
  });

  it('property: the Latest is always an active verified, latest or community image, the newest of them; no candidate is ever arranged, a deactivated image never is Latest', () => {
    const promotable = new Set(['verified', 'latest', 'community']);
    const anImage = fc.record({
      version: fc.integer({ min: 1, max: 30 }).map(String),
      day: fc.integer({ min: 1, max: 28 }),
      state: fc.constantFrom<string | undefined>(
        'candidate',
        'verified',
        'latest',
        'community',
        'retiring',
        'junk',
        undefined,
      ),
      status: fc.constantFrom('active', 'queued', 'saving', 'deactivated', 'killed'),
      series: fc.constantFrom('ubuntu-24.04', 'debian-12'),
      built: fc.integer({ min: 1, max: 28 }),
    });
    const naming = fc.constantFrom<'default' | 'scs'>('default', 'scs');
    fc.assert(
      fc.property(
        fc.array(anImage, { maxLength: 12 }),
        fc.boolean(),
        naming,
        (specs, retired, scheme) => {
          const images = specs.map((spec) =>
            image(spec.version, `2026-11-${String(spec.day).padStart(2, '0')}T00:00:00Z`, {
              imagecycle_state: spec.state,
              status: spec.status,
              imagecycle_series: spec.series,
              image_build_date: `2026-10-${String(spec.built).padStart(2, '0')}`,
            }),
          );
          const entries = desiredState({ ...series, retired, naming: scheme }, images);
          // names are unique, and only the Latest carries the Latest name
          const given = entries.map((e) => e.desired.name);
          expect(new Set(given).size).toBe(given.length);
          for (const entry of entries)
            expect(entry.desired.name === latestName(series.title, scheme)).toBe(
              entry.role === 'latest',
            );
          for (const entry of entries) {
            expect(promotable.has(String(entry.image.imagecycle_state))).toBe(true);
            // a deactivated Latest or community image is only ever named as community
            if (entry.image.status !== 'active') {
              expect(entry.image.status).toBe('deactivated');
              expect(entry.image.imagecycle_state).not.toBe('verified');
              expect(entry.role).toBe('community');
            }
          }
          const latest = entries.filter((e) => e.role === 'latest');
          expect(latest.length).toBeLessThanOrEqual(1);
          if (latest[0]) expect(latest[0].image.status).toBe('active');
          const eligible = images.filter(
            (i) =>
              i.status === 'active' &&
              i.imagecycle_series === series.id &&
              promotable.has(String(i.imagecycle_state)),
          );
          if (retired || eligible.length === 0) {
            expect(latest).toEqual([]);
          } else {
            const top = String(latest[0]?.image.imagecycle_version);
            for (const other of eligible)
              expect(compareVersions(String(other.imagecycle_version), top)).toBeLessThanOrEqual(0);
          }
          // every eligible image is arranged exactly once, and every deactivated Latest or
          // community image (named as community); nothing else
          const benched = images.filter(
            (i) =>
              i.status === 'deactivated' &&
              i.imagecycle_series === series.id &&
              ['latest', 'community'].includes(String(i.imagecycle_state)),
          );
          expect(entries.map((e) => e.image.id).sort()).toEqual(
            [...eligible, ...benched].map((i) => i.id).sort(),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('the scs scheme: the Latest is "<Title>", older images "<Title> <YYYYMMDD build date>", numbered on a shared day', () => {
    const scs = { ...series, title: 'Ubuntu 24.04', naming: 'scs' as const };
    const entries = desiredState(scs, [
      image('1', '2026-11-02T10:00:00Z', { image_build_date: '2026-11-01' }),
      image('2', '2026-11-03T10:00:00Z', { image_build_date: '2026-11-01 23:10' }),
      image('3', '2026-11-04T10:00:00Z', { image_build_date: 'unknown' }),
      image('4', '2026-11-05T10:00:00Z', { image_build_date: '2026-11-05' }),
    ]);
    expect(names(entries)).toEqual([
      ['4', 'Ubuntu 24.04'],
      ['1', 'Ubuntu 24.04 20261101'],
      ['2', 'Ubuntu 24.04 20261101 #2'],
      ['3', 'Ubuntu 24.04 20261104'], // no readable build date: its upload day
    ]);
    // a name once given is kept, here too: the first of the day reaped renames nothing
    const kept = desiredState(scs, [
      image('2', '2026-11-03T10:00:00Z', {
        image_build_date: '2026-11-01',
        name: 'Ubuntu 24.04 20261101 #2',
      }),
      image('5', '2026-11-06T10:00:00Z', { image_build_date: '2026-11-01', name: 'Ubuntu 24.04' }),
      image('6', '2026-11-07T10:00:00Z', { image_build_date: '2026-11-07' }),
    ]);
    expect(names(kept)).toEqual([
      ['6', 'Ubuntu 24.04'],
      ['2', 'Ubuntu 24.04 20261101 #2'],
      ['5', 'Ubuntu 24.04 20261101 #3'],
    ]);
  });

  it('a community image of a generic series is oldgeneric; the Latest generic; the vendor tag on both', () => {
    const entries = desiredState({ ...series, vendor: 'example' }, [
      image('1', '2026-11-01T10:00:00Z'),
      image('2', '2026-11-02T10:00:00Z'),
    ]);
    expect(entries.map((e) => [e.role, e.desired.properties?.os_purpose, e.desired.tags])).toEqual([
      ['latest', 'generic', ['managed_by_example']],
      ['community', 'oldgeneric', ['managed_by_example']],
    ]);
    const minimal = desiredState({ ...series, properties: { os_purpose: 'minimal' } }, [
      image('1', '2026-11-01T10:00:00Z'),
      image('2', '2026-11-02T10:00:00Z'),
    ]);
    expect(minimal.map((e) => e.desired.properties?.os_purpose)).toEqual(['minimal', 'minimal']);
  });

  it('every arranged image is tagged os:<os_distro> (SCS 0102), the os_distro it will carry', () => {
    // the catalogue's os_distro, on images published before the tag was written
    const tagged = desiredState(
      { ...series, vendor: 'example', properties: { os_purpose: 'generic', os_distro: 'ubuntu' } },
      [image('1', '2026-11-01T10:00:00Z'), image('2', '2026-11-02T10:00:00Z')],
    );
    expect(tagged.map((e) => e.desired.tags)).toEqual([
      ['managed_by_example', 'os:ubuntu'],
      ['managed_by_example', 'os:ubuntu'],
    ]);
    // the image's own (the feed's) when the catalogue gives none
    const own = desiredState(series, [
      image('1', '2026-11-01T10:00:00Z', { os_distro: 'windows' }),
      image('2', '2026-11-02T10:00:00Z'),
    ]);
    expect(own.map((e) => [e.image.imagecycle_version, e.desired.tags])).toEqual([
      ['2', undefined],
      ['1', ['os:windows']],
    ]);
  });
});
