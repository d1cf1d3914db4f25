// The catalogue's part of the desired state: every catalogue property reaches every arranged
// image (not only at upload), a property dropped from the catalogue leaves the images that
// got it from the catalogue, and nothing the catalogue did not give is ever removed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffImage, type GlanceImage } from '@imagecycle/openstack';
import type { Series } from '@imagecycle/series-catalogue';
import { catalogueState, desiredState } from '../src/index.ts';

const DEFAULTS = {
  architecture: 'x86_64',
  hw_disk_bus: 'scsi',
  hw_scsi_model: 'virtio-scsi',
  hw_qemu_guest_agent: 'True',
  os_require_quiesce: 'True',
  os_purpose: 'generic',
  uuid_validity: 'last-2',
  provided_until: 'notice',
};
const series = (properties: Record<string, string>) =>
  ({
    id: 'ubuntu-24.04',
    title: 'Ubuntu 24.04 Noble Numbat',
    retired: false,
    communityHidden: false,
    properties,
  }) as unknown as Series;

/** An image as the uploader made it from `catalogue` (and the feed's `fromFeed`). */
function uploaded(
  version: string,
  catalogue: Record<string, string>,
  extra: Record<string, string> = {},
) {
  const distro = extra.os_distro ?? catalogue.os_distro;
  return {
    tags: ['imagecycle', ...(distro !== undefined ? [`os:${distro}`] : [])],
    id: `id-${version}`,
    name: `Ubuntu 24.04 Noble Numbat - ${version}`,
    status: 'active',
    visibility: 'community',
    os_hidden: false,
    created_at: `2026-11-${version}T10:00:00Z`,
    imagecycle_series: 'ubuntu-24.04',
    imagecycle_version: version,
    imagecycle_state: 'community',
    upstream_checksum: `sha256:${'a'.repeat(64)}`,
    image_source: `https://cloud-images.ubuntu.com/releases/noble/release-2026110${version}/disk1.img`,
    image_build_date: '2026-11-01',
    image_description: `Ubuntu 24.04 Noble Numbat, upstream version ${version}`,
    imagecycle_uploaded_at: `2026-11-${version}T10:00:00Z`,
    imagecycle_last_used_at: '2026-11-20T00:00:00Z',
    ...catalogue,
    imagecycle_catalogue_keys: Object.keys(catalogue).sort().join(','),
    ...extra,
  } as unknown as GlanceImage;
}

/** What Glance holds after the patch of `desired`. */
function applied(image: GlanceImage, desired: Record<string, string | null>): GlanceImage {
  const next: Record<string, unknown> = { ...image };
  for (const [name, value] of Object.entries(desired))
    if (value === null) delete next[name];
    else next[name] = value;
  return next as GlanceImage;
}

describe('catalogueState', () => {
  it('every catalogue property reaches the Latest and the community images, not only os_purpose', () => {
    const before = { ...DEFAULTS, os_distro: 'ubuntu' };
    const after = { ...before, hw_disk_bus: 'virtio', image_original_user: 'ubuntu' };
    const entries = desiredState(series(after), [
      uploaded('10', before, {
        imagecycle_state: 'latest',
        name: 'Ubuntu 24.04 Noble Numbat - Latest',
        visibility: 'public',
      }),
      uploaded('03', before, { name: 'Ubuntu 24.04 Noble Numbat - 2026-11-03' }),
    ]);
    expect(entries.map((e) => e.role)).toEqual(['latest', 'community']);
    for (const entry of entries) {
      expect(entry.desired.properties).toMatchObject({
        hw_disk_bus: 'virtio',
        image_original_user: 'ubuntu',
        os_distro: 'ubuntu',
        imagecycle_catalogue_keys: Object.keys(after).sort().join(','),
      });
      const ops = diffImage(entry.image, entry.desired);
      expect(ops).toEqual([
        { op: 'replace', path: '/hw_disk_bus', value: 'virtio' },
        // a replaced generic image stays visible as oldgeneric (SCS 0102)
        ...(entry.role === 'community'
          ? [{ op: 'replace', path: '/os_purpose', value: 'oldgeneric' }]
          : []),
        { op: 'add', path: '/image_original_user', value: 'ubuntu' },
        {
          op: 'replace',
          path: '/imagecycle_catalogue_keys',
          value: Object.keys(after).sort().join(','),
        },
      ]);
    }
  });

  it('removes a property the catalogue dropped from the images it gave it to, and nothing else', () => {
    const before = { ...DEFAULTS, os_distro: 'ubuntu', os_require_quiesce: 'True' };
    const { os_require_quiesce: _dropped, ...after } = before;
    // os_edition came from the feed, my_note from an operator: neither is the catalogue's
    const image = uploaded('03', before, { os_edition: 'server', my_note: 'keep me' });
    const desired = catalogueState(series(after), image);
    expect(desired).toMatchObject({ os_require_quiesce: null });
    expect(Object.entries(desired).filter(([, value]) => value === null)).toEqual([
      ['os_require_quiesce', null],
    ]);
    expect(desired.imagecycle_catalogue_keys).toBe(Object.keys(after).sort().join(','));
    const ops = diffImage(image, { properties: desired });
    expect(ops).toEqual([
      { op: 'remove', path: '/os_require_quiesce' },
      {
        op: 'replace',
        path: '/imagecycle_catalogue_keys',
        value: Object.keys(after).sort().join(','),
      },
    ]);
  });

  it("leaves a property the feed set alone (the feed's value won at upload), and sets new ones the image lacks", () => {
    // a Windows build manifest gave os_version; the catalogue had it too, the feed's won
    const image = uploaded(
      '03',
      { os_distro: 'windows' },
      { os_version: '2019-datacenter', os_type: 'windows' },
    );
    const desired = catalogueState(
      series({ os_distro: 'windows', os_version: '2019', replace_frequency: 'monthly' }),
      image,
    );
    expect(desired).toEqual({
      os_distro: 'windows',
      replace_frequency: 'monthly',
      imagecycle_catalogue_keys: 'os_distro,replace_frequency',
    });
  });

  it('never removes imagecycle state, the checksum or a release property, whatever the list says', () => {
    const image = uploaded(
      '03',
      { os_distro: 'ubuntu' },
      {
        imagecycle_catalogue_keys:
          'imagecycle_state,upstream_checksum,image_source,image_description,name,os_glance_x,os_distro,bad name',
      },
    );
    const desired = catalogueState(series({}), image);
    expect(desired).toEqual({ os_distro: null, imagecycle_catalogue_keys: '' });
  });

  it('an image uploaded before the list existed gets every catalogue property and the list', () => {
    const image = uploaded('03', {}, { os_purpose: 'generic', hw_disk_bus: 'virtio' });
    delete (image as Record<string, unknown>).imagecycle_catalogue_keys;
    expect(catalogueState(series({ os_purpose: 'generic', hw_disk_bus: 'scsi' }), image)).toEqual({
      os_purpose: 'generic',
      hw_disk_bus: 'scsi',
      imagecycle_catalogue_keys: 'hw_disk_bus,os_purpose',
    });
  });

  it('an image as the uploader made it from the current catalogue needs no write', () => {
    const catalogue = { ...DEFAULTS, os_distro: 'ubuntu', os_version: '24.04' };
    // image_description in the catalogue never reaches an image: the release writes its own
    const entries = desiredState(series({ ...catalogue, image_description: 'Ubuntu' }), [
      uploaded('10', catalogue, {
        imagecycle_state: 'latest',
        name: 'Ubuntu 24.04 Noble Numbat - Latest',
        visibility: 'public',
      }),
      uploaded('03', catalogue, {
        name: 'Ubuntu 24.04 Noble Numbat - 2026-11-03',
        os_purpose: 'oldgeneric', // as its demotion left it
      }),
    ]);
    for (const entry of entries) expect(diffImage(entry.image, entry.desired)).toEqual([]);
  });

  it('property: one patch converges; a removed property is always one the list named; no foreign property is ever touched', () => {
    const names = ['os_distro', 'os_version', 'hw_disk_bus', 'os_purpose', 'os_type', 'extra'];
    const props = fc.dictionary(fc.constantFrom(...names), fc.constantFrom('a', 'b'));
    fc.assert(
      fc.property(
        props,
        props,
        props,
        fc.boolean(),
        (catalogueBefore, fromFeed, catalogueAfter, legacy) => {
          // the uploader: the feed's values win and are not listed
          const listed = Object.fromEntries(
            Object.entries(catalogueBefore).filter(([name]) => !(name in fromFeed)),
          );
          const image = uploaded('03', listed, fromFeed);
          if (legacy) delete (image as Record<string, unknown>).imagecycle_catalogue_keys;
          const desired = catalogueState(series(catalogueAfter), image);
          for (const [name, value] of Object.entries(desired)) {
            if (value === null) expect(listed).toHaveProperty(name);
            if (!legacy && name in fromFeed && name !== 'imagecycle_catalogue_keys')
              expect(value).toBe(fromFeed[name]); // the feed's property is never rewritten
          }
          const after = applied(image, desired);
          expect(
            diffImage(after, { properties: catalogueState(series(catalogueAfter), after) }),
          ).toEqual([]);
          for (const [name, value] of Object.entries(catalogueAfter))
            if (legacy || !(name in fromFeed)) expect(after[name]).toBe(value);
        },
      ),
    );
  });
});
