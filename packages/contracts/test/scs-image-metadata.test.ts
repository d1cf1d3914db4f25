// Every SCS 0102 v2 rule, each once satisfied and once broken.
import { describe, expect, it } from 'vitest';
import {
  genericUniquenessViolations,
  isReplacedImage,
  outdatedFrom,
  type PublishedImage,
  replacementPromised,
  scsImageFindings,
  scsPropertyFindings,
  scsRecencyFindings,
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
  tags: ['imagecycle', 'managed_by_example', 'os:ubuntu'],
  min_disk: 8,
  min_ram: 512,
  size: 600 * 1024 ** 2,
  created_at: '2026-11-02T08:00:00Z',
  os_hash_algo: 'sha512',
  os_hash_value: 'c0ffee'.repeat(21) + 'c0',
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
    'hw_scsi_model',
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
    // Glance's values the official conformance test refuses
    [
      'architecture',
      'i686',
      /in Glance's list, but the SCS conformance test \(scs-0102-prop-architecture\) accepts only x86_64, aarch64/,
    ],
    ['architecture', 'ppc64', /accepts only x86_64, aarch64/],
    [
      'hw_disk_bus',
      'ide',
      /in Glance's list, but the SCS conformance test \(scs-0102-prop-hw_disk_bus\) accepts only virtio, scsi/,
    ],
    ['hw_disk_bus', 'sata', /accepts only virtio, scsi/],
    [
      'hypervisor_type',
      'vmware',
      /in Glance's list, but the SCS conformance test \(scs-0102-prop-hypervisor_type\) accepts only qemu, xen/,
    ],
    ['hypervisor_type', 'hyperv', /accepts only qemu, xen/],
    ['hw_scsi_model', 'lsilogic', /not one of virtio-scsi/],
    // the optional properties the standard names, when given
    ['os_secure_boot', 'yes', /not one of required, disabled, optional/],
    ['hw_firmware_type', 'efi', /not one of bios, uefi/],
    ['hw_mem_encryption', 'yes', /not a boolean/],
    ['hw_pmu', 'off', /not a boolean/],
    ['hw_vif_multiqueue_enabled', '1', /not a boolean/],
    ['hw_video_ram', '64MB', /not a whole number of MiB/],
    ['maintained_until', '2029-02-30', /not a date YYYY-MM-DD/],
    ['l1_support_contact', 'the service desk', /not a URI/],
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
    ['architecture', 'aarch64'],
    ['hw_disk_bus', 'virtio'],
    ['hypervisor_type', 'xen'],
    ['os_secure_boot', 'required'],
    ['hw_firmware_type', 'uefi'],
    ['hw_mem_encryption', 'True'],
    ['hw_pmu', 'false'],
    ['hw_vif_multiqueue_enabled', 'true'],
    ['hw_video_ram', '64'],
    ['maintained_until', '2029-04-30'],
    ['l1_support_contact', 'mailto:support@example.com'],
    ['l1_support_contact', 'https://support.example.com/images'],
    ['patchlevel', 'anything: optional and free'],
  ])('%s "%s" is accepted', (key, value) => {
    expect(findings({ ...CATALOGUE, [key]: value, os_version: '9' })).toEqual([]);
  });

  it('hw_scsi_model is asked for only with hw_disk_bus scsi', () => {
    const { hw_scsi_model: _model, ...virtio } = { ...CATALOGUE, hw_disk_bus: 'virtio' };
    expect(findings(virtio)).toEqual([]);
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

  it('the hash is sha256 or sha512, and its value is there', () => {
    expect(imageFindings({ os_hash_algo: 'sha256', os_hash_value: 'ab'.repeat(32) })).toEqual([]);
    expect(imageFindings({ os_hash_algo: 'md5' })).toEqual(['os_hash_algo']);
    expect(imageFindings({ os_hash_value: null })).toEqual(['os_hash_value']);
    // a sha256's length under sha512
    expect(imageFindings({ os_hash_value: 'ab'.repeat(32) })).toEqual(['os_hash_value']);
    expect(
      scsImageFindings({ ...IMAGE, os_hash_algo: 'sha256', os_hash_value: 'XY' }, 'example').map(
        (f) => f.message,
      ),
    ).toEqual(['"XY" is not the image\'s sha256 (hex)']);
  });

  it('the build date is not after the registration', () => {
    expect(imageFindings({ image_build_date: '2026-11-03' })).toEqual(['image_build_date']);
    expect(imageFindings({ image_build_date: '2026-11-02 07:59' })).toEqual([]);
  });

  it('the image carries managed_by_<vendor> and os:<os_distro>', () => {
    expect(imageFindings({ tags: ['imagecycle', 'os:ubuntu'] })).toEqual(['tags']);
    expect(imageFindings({ tags: ['imagecycle', 'managed_by_example'] })).toEqual(['tags']);
    expect(
      scsImageFindings({ ...IMAGE, tags: ['managed_by_example', 'os:debian'] }, 'example').map(
        (f) => f.message,
      ),
    ).toEqual(['the tag os:ubuntu is missing (SCS 0102 recommends os:<operating system>)']);
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

describe('SCS 0102 recency: replace_frequency, counted from the build, plus 3 days of grace', () => {
  const at = (iso: string) => new Date(iso);
  const midnight = '2026-11-01T00:00:00Z';
  /** [frequency, build, last instant still in time, first instant outdated] */
  it.each([
    // the conformance test's allowance (1.1 x 25 h) is shorter than a day plus 3 days
    ['daily', midnight, '2026-11-02T03:30:00.000Z', '2026-11-02T03:30:00.001Z'],
    // 1.1 x 7 x 25 h = 192.5 h, shorter than 7 + 3 days
    ['weekly', midnight, '2026-11-09T00:30:00.000Z', '2026-11-09T00:30:00.001Z'],
    ['weekly', '2026-11-01T12:00:00Z', '2026-11-09T12:30:00.000Z', '2026-11-09T12:30:00.001Z'],
    // November: due 2026-12-01, in time through 2026-12-04 (the test would allow 34.1 days)
    ['monthly', midnight, '2026-12-04T23:59:59.999Z', '2026-12-05T00:00:00.000Z'],
    // the standard's own example: published 2021-04-14, due 2021-05-14, 2021-05-17 still fine
    ['monthly', '2021-04-14T00:00:00Z', '2021-05-17T23:59:59.999Z', '2021-05-18T00:00:00.000Z'],
    // January's 31 days: the test's 34.1 days end first
    ['monthly', '2026-01-01T00:00:00Z', '2026-02-04T02:24:00.000Z', '2026-02-04T02:24:00.001Z'],
    // a month from Jan 31 is Feb 28
    ['monthly', '2027-01-31T00:00:00Z', '2027-03-03T23:59:59.999Z', '2027-03-04T00:00:00.000Z'],
    ['quarterly', midnight, '2027-02-04T23:59:59.999Z', '2027-02-05T00:00:00.000Z'],
    ['yearly', midnight, '2027-11-04T23:59:59.999Z', '2027-11-05T00:00:00.000Z'],
  ])('%s, built %s: in time until %s, outdated from %s', (frequency, built, inTime, late) => {
    const from = outdatedFrom(at(built), frequency);
    expect(from?.toISOString()).toBe(late);
    expect(from !== undefined && at(inTime) < from).toBe(true);
  });

  it.each(['never', 'critical_bug', 'sometimes'])('%s promises no regular replacement', (f) => {
    expect(outdatedFrom(at(midnight), f)).toBeUndefined();
  });

  it('provided_until: notice and a day not yet past promise replacements; none and a past day do not', () => {
    const now = at('2026-11-30T23:59:59.999Z');
    expect(replacementPromised('notice', now)).toBe(true);
    expect(replacementPromised('2026-11-30', now)).toBe(true);
    expect(replacementPromised('2026-11-30', at('2026-12-01T00:00:00Z'))).toBe(false);
    expect(replacementPromised('none', now)).toBe(false);
    expect(replacementPromised(undefined, now)).toBe(false);
  });

  it('a replaced image is hidden or named with a trailing date, "old" or "prev"', () => {
    const named = (name: string, os_hidden = false) =>
      isReplacedImage({ ...IMAGE, name, os_hidden });
    expect(named('Ubuntu 24.04 20261101')).toBe(true);
    expect(named('Ubuntu 24.04 - 2026-11-02')).toBe(true);
    expect(named('Ubuntu 24.04 old')).toBe(true);
    expect(named('Ubuntu 24.04 prev')).toBe(true);
    expect(named('Ubuntu 24.04', true)).toBe(true);
    expect(named('Ubuntu 24.04')).toBe(false);
    expect(named('Ubuntu 24.04 - Latest')).toBe(false);
    expect(named('Ubuntu 24.04 20261301')).toBe(false);
    expect(named('Ubuntu 24.04 20261101 #2')).toBe(false);
  });
});

describe('SCS 0102 recency of published images', () => {
  // weekly, built 2026-11-01: in time until 2026-11-09T00:30Z
  const INSIDE = new Date('2026-11-09T00:30:00.000Z');
  const OUTSIDE = new Date('2026-11-09T00:30:00.001Z');
  const latest: PublishedImage = {
    ...IMAGE,
    name: 'Ubuntu 24.04',
    image_build_date: '2026-11-01',
    created_at: '2026-11-01T06:00:00Z',
  };
  const recency = (images: PublishedImage[], now: Date) =>
    scsRecencyFindings(images, now).map((f) => `${f.image.id} ${f.property}: ${f.message}`);

  it('the image users find by name is outdated one millisecond past its allowance, not before', () => {
    expect(recency([latest], INSIDE)).toEqual([]);
    expect(recency([latest], OUTSIDE)).toEqual([
      'i-1 replace_frequency: built 2026-11-01T00:00:00.000Z, replace_frequency weekly: outdated since 2026-11-09T00:30:00.001Z (now 2026-11-09T00:30:00.001Z); the image users find by this name was not replaced in time',
    ]);
    // Glance's registration counts when the image has no readable build date
    const { image_build_date: _gone, ...unbuilt } = latest;
    expect(recency([unbuilt], new Date('2026-11-09T06:30:00.000Z'))).toEqual([]);
    expect(recency([unbuilt], new Date('2026-11-09T06:30:00.001Z'))).toHaveLength(1);
  });

  it('never and critical_bug are never outdated; none and a past provided_until promise nothing', () => {
    const years = new Date('2036-11-01T00:00:00Z');
    expect(recency([{ ...latest, replace_frequency: 'never' }], years)).toEqual([]);
    expect(recency([{ ...latest, replace_frequency: 'critical_bug' }], years)).toEqual([]);
    expect(recency([{ ...latest, provided_until: 'none' }], OUTSIDE)).toEqual([]);
    expect(recency([{ ...latest, provided_until: '2026-11-08' }], OUTSIDE)).toEqual([]);
    expect(recency([{ ...latest, provided_until: '2026-11-09' }], OUTSIDE)).toHaveLength(1);
  });

  it('a private or shared image is not judged; a hidden or dated one is not the newest', () => {
    expect(recency([{ ...latest, visibility: 'private' }], OUTSIDE)).toEqual([]);
    expect(recency([{ ...latest, visibility: 'shared' }], OUTSIDE)).toEqual([]);
    expect(recency([{ ...latest, os_hidden: true }], OUTSIDE)).toEqual([]);
    expect(recency([{ ...latest, name: 'Ubuntu 24.04 20261101' }], OUTSIDE)).toEqual([]);
    // a second image of a day ("#2") no longer ends in its date: it reads as a current name
    expect(recency([{ ...latest, name: 'Ubuntu 24.04 20261101 #2' }], OUTSIDE)).toHaveLength(1);
  });

  it('an outdated older image, provided_until a day ahead, needs a current image under its name without the last word', () => {
    const until = { provided_until: '2027-12-31' };
    const older = { ...latest, ...until, id: 'old', visibility: 'community' };
    const fresh = {
      ...latest,
      ...until,
      id: 'new',
      image_build_date: '2026-11-08',
      created_at: '2026-11-08T06:00:00Z',
    };
    const scs = { ...older, name: 'Ubuntu 24.04 20261101' };
    expect(recency([scs, fresh], OUTSIDE)).toEqual([]);
    // the default scheme's names: "... - 2026-11-01" without its last word is "... -"
    const dflt = { ...older, name: 'Ubuntu 24.04 - 2026-11-01' };
    expect(recency([dflt, { ...fresh, name: 'Ubuntu 24.04 - Latest' }], OUTSIDE)).toEqual([
      expect.stringMatching(
        /^old name: .*; an outdated older image needs a current image named "Ubuntu 24.04 -" \(its name without the last word\) while provided_until 2027-12-31 is ahead$/,
      ),
    ]);
    // no successor at all, or an outdated one
    expect(recency([scs], OUTSIDE).map((f) => f.split(':')[0])).toEqual(['old name']);
    const late = new Date('2026-11-17T00:00:00Z');
    expect(recency([scs, fresh], late).map((f) => f.split(':')[0])).toEqual([
      'old name',
      'new replace_frequency',
    ]);
    // under notice the conformance test asks nothing of older images; neither does this rule
    expect(recency([{ ...dflt, provided_until: 'notice' }], OUTSIDE)).toEqual([]);
  });

  it('no image was built after now', () => {
    expect(recency([latest], new Date('2026-11-01T00:00:00.000Z'))).toEqual([]);
    expect(recency([latest], new Date('2026-10-31T23:59:59.999Z'))).toEqual([
      'i-1 image_build_date: 2026-11-01 is in the future (now 2026-10-31T23:59:59.999Z)',
    ]);
  });
});
