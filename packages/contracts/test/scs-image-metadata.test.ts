// Every SCS 0102 v2 rule, each once satisfied and once broken.
import { describe, expect, it } from 'vitest';
import {
  genericUniquenessViolations,
  type PublishedImage,
  scsImageFindings,
  scsPropertyFindings,
} from '../src/index.ts';

/** What the packaged catalogue publishes for Ubuntu 24.04 (plus the release's own). */
const CATALOGUE = {
  architecture: 'x86_64',
  hw_disk_bus: 'scsi',
  hw_scsi_model: 'virtio-scsi',
  os_purpose: 'generic',
  uuid_validity: 'last-2',
  provided_until: 'notice',
  hypervisor_type: 'qemu',
  hw_rng_model: 'virtio',
  hw_watchdog_action: 'reset',
  os_distro: 'ubuntu',
  os_version: '24.04',
  image_original_user: 'ubuntu',
  replace_frequency: 'weekly',
};

const IMAGE: PublishedImage = {
  id: 'i-1',
  name: 'Ubuntu 24.04 Noble Numbat - Latest',
  visibility: 'public',
  os_hidden: false,
  tags: ['imagecycle', 'managed_by_example'],
  min_disk: 8,
  min_ram: 512,
  size: 600 * 1024 ** 2,
  created_at: '2026-11-02T08:00:00Z',
  os_hash_algo: 'sha512',
  ...CATALOGUE,
  image_source: 'https://cloud-images.ubuntu.com/releases/noble/release-20261101/disk1.img',
  image_build_date: '2026-11-01',
  image_description: 'Ubuntu 24.04 Noble Numbat, upstream version 20261101',
};

const findings = (props: Record<string, unknown>, scope: 'catalogue' | 'image' = 'catalogue') =>
  scsPropertyFindings(props, scope).map((f) => `${f.property}: ${f.message}`);

describe('SCS 0102 property rules', () => {
  it('the packaged catalogue properties and a published image conform', () => {
    expect(findings(CATALOGUE)).toEqual([]);
    expect(scsImageFindings(IMAGE, 'example')).toEqual([]);
  });

  it.each([
    'architecture',
    'os_distro',
    'os_version',
    'os_purpose',
    'hw_disk_bus',
    'hypervisor_type',
    'hw_rng_model',
    'hw_watchdog_action',
    'replace_frequency',
    'uuid_validity',
    'provided_until',
    'image_original_user',
  ])('%s is required', (key) => {
    const { [key as keyof typeof CATALOGUE]: _gone, ...rest } = CATALOGUE;
    expect(findings(rest)).toEqual([expect.stringMatching(new RegExp(`^${key}: required`))]);
  });

  it.each([
    ['architecture', 'amd64', /not one of .*x86_64/],
    ['os_distro', 'Ubuntu', /not an os_distro of Glance's list/],
    ['os_distro', 'redhat', /not an os_distro of Glance's list/],
    ['os_version', 'noble', /not numeric: ubuntu numbers its releases/],
    ['os_purpose', 'server', /not one of generic, oldgeneric/],
    ['hw_disk_bus', 'nvme', /not one of/],
    ['hypervisor_type', 'kvm', /not one of hyperv, ironic, lxc, qemu/],
    ['hw_rng_model', 'random', /not one of virtio/],
    ['hw_watchdog_action', 'reboot', /not one of disabled, reset/],
    ['replace_frequency', 'sometimes', /not one of yearly/],
    ['uuid_validity', 'last-0', /not none, last-N/],
    ['uuid_validity', '2026-02-30', /not none, last-N/],
    ['provided_until', 'forever', /not a date YYYY-MM-DD, none or notice/],
    ['provided_until', '2026-13-01', /not a date/],
    ['hotfix_hours', '2 days', /not a whole number of hours/],
    ['image_original_user', ' ', /required/],
    ['license_included', 'yes', /not a boolean/],
  ])('%s "%s" is refused', (key, value, rule) => {
    expect(findings({ ...CATALOGUE, [key]: value })).toEqual([
      expect.stringMatching(new RegExp(`^${key}: .*${rule.source}`)),
    ]);
  });

  it.each([
    ['uuid_validity', 'forever'],
    ['uuid_validity', '2027-12-31'],
    ['provided_until', '2029-04-30'],
    ['hotfix_hours', '48'],
    ['os_distro', 'rocky'],
    ['os_distro', 'almalinux'],
  ])('%s "%s" is accepted', (key, value) => {
    expect(findings({ ...CATALOGUE, [key]: value, os_version: '9' })).toEqual([]);
  });

  it('a rolling channel distribution may name its channel; a numbered one may not', () => {
    expect(findings({ ...CATALOGUE, os_distro: 'flatcar', os_version: 'stable' })).toEqual([]);
    expect(findings({ ...CATALOGUE, os_distro: 'fedora-coreos', os_version: 'stable' })).toEqual(
      [],
    );
    expect(findings({ ...CATALOGUE, os_distro: 'fedora', os_version: 'stable' })).toEqual([
      expect.stringMatching(/^os_version: "stable" is not numeric/),
    ]);
  });

  it('a Windows image says how it is licensed, and not both ways at once', () => {
    const windows = { ...CATALOGUE, os_distro: 'windows', os_version: '2019' };
    expect(findings(windows)).toEqual([
      expect.stringMatching(/^license_included: required for windows images/),
    ]);
    expect(findings({ ...windows, license_included: 'True' })).toEqual([]);
    expect(findings({ ...windows, license_required: 'True' })).toEqual([]);
    expect(findings({ ...windows, license_included: 'True', license_required: 'true' })).toEqual([
      'license_required: cannot be True together with license_included',
    ]);
  });

  it('the release properties: checked in a catalogue only when it gives them, always on an image', () => {
    expect(findings({ ...CATALOGUE, image_source: 'cloud-images.ubuntu.com' })).toEqual([
      expect.stringMatching(/^image_source: "cloud-images.ubuntu.com" is not a URL/),
    ]);
    expect(findings({ ...CATALOGUE, image_source: 'private' })).toEqual([]);
    expect(findings(CATALOGUE, 'image')).toEqual([
      expect.stringMatching(/^image_source: required/),
      expect.stringMatching(/^image_description: required/),
      expect.stringMatching(/^image_build_date: required/),
    ]);
    for (const date of ['2026-11-01 12:30', '2026-11-01 12:30:59'])
      expect(findings({ ...CATALOGUE, image_build_date: date })).toEqual([]);
    for (const date of ['20261101', '2026-11-01T12:30:00Z', '2026-02-30'])
      expect(findings({ ...CATALOGUE, image_build_date: date })).toEqual([
        expect.stringMatching(/^image_build_date: ".*" is not YYYY-MM-DD/),
      ]);
  });
});

describe('SCS 0102 image rules', () => {
  const imageFindings = (change: Partial<PublishedImage>) =>
    scsImageFindings({ ...IMAGE, ...change }, 'example').map((f) => f.property);

  it('min_disk and min_ram are set, and min_disk holds the image', () => {
    expect(imageFindings({ min_disk: 0 })).toEqual(['min_disk']);
    expect(imageFindings({ min_ram: 0 })).toEqual(['min_ram']);
    expect(imageFindings({ size: 9 * 1024 ** 3 })).toEqual(['min_disk']);
  });

  it('the hash is sha256 or sha512', () => {
    expect(imageFindings({ os_hash_algo: 'sha256' })).toEqual([]);
    expect(imageFindings({ os_hash_algo: 'md5' })).toEqual(['os_hash_algo']);
  });

  it('the build date is not after the registration', () => {
    expect(imageFindings({ image_build_date: '2026-11-03' })).toEqual(['image_build_date']);
    expect(imageFindings({ image_build_date: '2026-11-02 07:59' })).toEqual([]);
  });

  it('the image carries managed_by_<vendor>', () => {
    expect(imageFindings({ tags: ['imagecycle'] })).toEqual(['tags']);
    expect(scsImageFindings(IMAGE, 'other').map((f) => f.message)).toEqual([
      'the tag managed_by_other is missing (SCS 0102 recommends managed_by_<vendor>)',
    ]);
  });
});

describe('SCS 0102 uniqueness of os_purpose=generic', () => {
  const image = (id: string, change: Partial<PublishedImage> = {}): PublishedImage => ({
    ...IMAGE,
    id,
    ...change,
  });

  it('two public, visible generic images of one architecture, distribution and version break it', () => {
    const violations = genericUniquenessViolations([image('a'), image('b')]);
    expect(violations.map((v) => [v.key, v.images.map((i) => i.id)])).toEqual([
      ['x86_64/ubuntu/24.04', ['a', 'b']],
    ]);
  });

  it('hidden, community, other-purpose and other-version images do not count', () => {
    expect(
      genericUniquenessViolations([
        image('a'),
        image('b', { os_hidden: true }),
        image('c', { visibility: 'community' }),
        image('d', { os_purpose: 'oldgeneric' }),
        image('e', { os_purpose: 'minimal' }),
        image('f', { os_version: '22.04' }),
        image('g', { architecture: 'aarch64' }),
      ]),
    ).toEqual([]);
  });
});
