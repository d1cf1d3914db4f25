// The candidate's create request: whatever a feed or the catalogue supplies as properties,
// the fields imagecycle fixes itself always win, and reserved names never reach Glance.
import { describe, expect, it } from 'vitest';
import type { Artifact, Release } from '@imagecycle/contracts';
import type { Series } from '@imagecycle/series-catalogue';
import { candidateImage } from '../src/index.ts';

const hostile = {
  name: 'Evil - Latest',
  visibility: 'public',
  owner: 'someone-else',
  id: '00000000-0000-0000-0000-000000000000',
  status: 'active',
  protected: 'True',
  os_hidden: 'False',
  tags: 'other',
  container_format: 'ova',
  disk_format: 'iso',
  imagecycle_state: 'latest',
  imagecycle_series: 'other-series',
  imagecycle_version: '999',
  imagecycle_uploaded_at: '1999-01-01T00:00:00Z',
  imagecycle_catalogue_keys: 'imagecycle_state,upstream_checksum',
  upstream_checksum: 'sha256:00',
  image_source: 'https://evil.test/',
};
const series = {
  id: 'win-2019',
  title: 'Windows Server 2019',
  vendor: 'example',
  minDisk: 1,
  minRam: 128,
  properties: { os_distro: 'windows', ...hostile },
} as unknown as Series;
const release: Release = {
  series: 'win-2019',
  version: '20261101',
  buildDate: '2026-11-01',
  url: 'https://builds.test/win/20261101.qcow2',
  diskFormat: 'qcow2',
  compression: 'none',
  checksum: { algorithm: 'sha256', value: 'a'.repeat(64) },
  signature: { status: 'not-required' },
  properties: { os_type: 'windows', min_ram: '2048', ...hostile },
};
const artifact: Artifact = {
  path: '/staging/x/disk.img',
  size: 1024,
  diskFormat: 'qcow2',
  virtualSize: 2 * 1024 ** 3,
};

describe('candidateImage', () => {
  it("is tagged os:<os_distro> as published (SCS 0102): the feed's os_distro wins, none without one", () => {
    const at = new Date('2026-11-02T00:00:00Z');
    const fromFeed = { ...release, properties: { ...release.properties, os_distro: 'rhel' } };
    expect(candidateImage(series, fromFeed, artifact, at).tags).toEqual([
      'imagecycle',
      'managed_by_example',
      'os:rhel',
    ]);
    const none = { ...series, properties: { os_type: 'windows' } } as unknown as Series;
    expect(candidateImage(none, release, artifact, at).tags).toEqual([
      'imagecycle',
      'managed_by_example',
    ]);
  });

  it('fixed fields win over every property a feed or the catalogue supplies; reserved names are dropped', () => {
    const image = candidateImage(series, release, artifact, new Date('2026-11-02T00:00:00Z'));
    expect(image).toMatchObject({
      name: 'Windows Server 2019 - 20261101 (candidate)',
      visibility: 'private',
      os_hidden: true,
      disk_format: 'qcow2',
      container_format: 'bare',
      tags: ['imagecycle', 'managed_by_example', 'os:windows'],
      min_disk: 2,
      min_ram: 2048,
    });
    expect(image.properties).toEqual({
      os_distro: 'windows',
      os_type: 'windows',
      imagecycle_series: 'win-2019',
      imagecycle_version: '20261101',
      imagecycle_state: 'candidate',
      imagecycle_uploaded_at: '2026-11-02T00:00:00.000Z',
      imagecycle_catalogue_keys: 'os_distro',
      upstream_checksum: `sha256:${'a'.repeat(64)}`,
      image_source: 'https://builds.test/win/20261101.qcow2',
      image_build_date: '2026-11-01',
      image_description: 'Windows Server 2019, upstream version 20261101',
    });
  });

  it("lists the catalogue properties it applied - not the ones the feed's values replaced", () => {
    const image = candidateImage(
      {
        ...series,
        properties: {
          os_distro: 'windows',
          os_version: '2019',
          hw_disk_bus: 'scsi',
          image_description: 'the release writes this one',
        },
      } as unknown as Series,
      { ...release, properties: { os_version: '2019-datacenter', os_edition: 'core' } },
      artifact,
      new Date('2026-11-02T00:00:00Z'),
    );
    expect(image.properties).toMatchObject({
      os_distro: 'windows',
      hw_disk_bus: 'scsi',
      os_version: '2019-datacenter',
      os_edition: 'core',
      image_description: 'Windows Server 2019, upstream version 20261101',
      imagecycle_catalogue_keys: 'hw_disk_bus,os_distro',
    });
  });
});
