// The SCS image metadata standard (scs-0102 v2) as pure rules, one place for both users:
// `imagecycle validate` checks the properties a catalogue would publish, and the conformance
// test checks the images Glance holds after a run. Each rule returns findings naming the
// property and what is wrong; none means conforming.
//
// Mandatory (v2): architecture, min_disk, min_ram, os_distro, os_version, os_purpose,
// hw_disk_bus, replace_frequency, uuid_validity, provided_until, image_source,
// image_description, image_build_date, image_original_user; os_purpose=generic unique per
// (architecture, os_distro, os_version) among public non-hidden images. This cloud also
// publishes what v2 recommends: hypervisor_type, hw_rng_model, hw_watchdog_action, the tag
// managed_by_<vendor>, a numeric os_version where the distribution numbers its releases, and
// the licence properties of Windows images.
// Where the standard defers to Glance's list of values and the official conformance test
// (SovereignCloudStack/standards, Tests/iaas/scs_0102_image_metadata) accepts fewer, only the
// values both accept pass (architecture, hw_disk_bus, hypervisor_type): a cloud that publishes
// them passes the certification as well as the text. The optional properties the standard
// names (os_secure_boot, hw_firmware_type, hw_* features, maintained_until,
// l1_support_contact) are checked when given.

/** `os_distro` values of Glance's "useful image properties" (lowercase, libosinfo's vocabulary). */
export const GLANCE_OS_DISTROS = [
  'arch',
  'centos',
  'debian',
  'fedora',
  'freebsd',
  'gentoo',
  'mandrake',
  'mandriva',
  'mes',
  'msdos',
  'netbsd',
  'netware',
  'openbsd',
  'opensolaris',
  'opensuse',
  'rhel',
  'rocky',
  'sled',
  'ubuntu',
  'windows',
] as const;

/**
 * Distributions this cloud publishes that Glance's list does not name, with the value used:
 * libosinfo's distro id where it has one (Glance defers to libosinfo's vocabulary). Channels
 * (`stable`) are their versions: these distributions publish rolling channels, not numbered
 * releases, in the series a cloud follows.
 */
export const EXTRA_OS_DISTROS = {
  almalinux: { numbered: true, why: "libosinfo's distro id; Glance's list has no AlmaLinux" },
  'fedora-coreos': { numbered: false, why: 'a rolling stream; Glance lists plain Fedora only' },
  flatcar: { numbered: false, why: 'a rolling channel; neither Glance nor libosinfo lists it' },
} as const;

/** `architecture` values of Glance's list. */
export const GLANCE_ARCHITECTURES = [
  'alpha',
  'armv7l',
  'cris',
  'i686',
  'ia64',
  'lm32',
  'm68k',
  'microblaze',
  'microblazeel',
  'mips',
  'mipsel',
  'mips64',
  'mips64el',
  'openrisc',
  'parisc',
  'parisc64',
  'ppc',
  'ppc64',
  'ppcemb',
  's390',
  's390x',
  'sh4',
  'sh4eb',
  'sparc',
  'sparc64',
  'unicore32',
  'x86_64',
  'xtensa',
  'xtensaeb',
  'aarch64',
] as const;

/** The architectures the conformance test accepts that Glance names too. */
export const SCS_TEST_ARCHITECTURES = ['x86_64', 'aarch64'] as const;

export const HYPERVISOR_TYPES = [
  'hyperv',
  'ironic',
  'lxc',
  'qemu',
  'uml',
  'vmware',
  'xen',
] as const;
export const HW_RNG_MODELS = ['virtio'] as const;
export const HW_WATCHDOG_ACTIONS = ['disabled', 'reset', 'poweroff', 'pause', 'none'] as const;
export const HW_DISK_BUSES = ['virtio', 'scsi', 'ide', 'sata', 'usb', 'uml', 'xen', 'lxc'] as const;
/** The disk buses the conformance test accepts (the standard recommends scsi). */
export const SCS_TEST_DISK_BUSES = ['virtio', 'scsi'] as const;
/** The hypervisor types the conformance test accepts that Glance names too. */
export const SCS_TEST_HYPERVISOR_TYPES = ['qemu', 'xen'] as const;
/** hw_scsi_model with hw_disk_bus scsi (libvirt's only value in Glance's list). */
export const HW_SCSI_MODELS = ['virtio-scsi'] as const;
export const OS_SECURE_BOOT_VALUES = ['required', 'disabled', 'optional'] as const;
export const HW_FIRMWARE_TYPES = ['bios', 'uefi'] as const;
/** The boolean hardware features the standard recommends where supported. */
export const HW_BOOLEAN_FEATURES = [
  'hw_mem_encryption',
  'hw_pmu',
  'hw_vif_multiqueue_enabled',
] as const;
export const OS_PURPOSES = [
  'generic',
  'oldgeneric',
  'minimal',
  'k8snode',
  'gpu',
  'network',
  'custom',
] as const;
export const REPLACE_FREQUENCIES = [
  'yearly',
  'quarterly',
  'monthly',
  'weekly',
  'daily',
  'critical_bug',
  'never',
] as const;
/** Windows and the like: images of software that needs a commercial licence. */
export const LICENSED_OS_DISTROS: ReadonlySet<string> = new Set(['windows']);
export const LICENCE_PROPERTIES = [
  'license_included',
  'license_required',
  'subscription_included',
  'subscription_required',
] as const;

/** The tag SCS recommends on provider-managed images. */
export const managedByTag = (vendor: string): string => `managed_by_${vendor}`;
export const VENDOR_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** The tag SCS recommends naming the operating system: `os:<os_distro>` (e.g. os:ubuntu). */
export const osTag = (distro: string): string => `os:${distro}`;

export interface ScsFinding {
  /** the property (or `tags`, `name`) at fault */
  readonly property: string;
  readonly message: string;
}

type Props = Readonly<Record<string, unknown>>;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const BUILD_DATE = /^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$/;
const NUMERIC_VERSION = /^\d+(\.\d+)*$/;

/** A real calendar day YYYY-MM-DD (2026-02-30 is not). */
export function isCalendarDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

function text(props: Props, key: string): string | undefined {
  const value = props[key];
  return typeof value === 'string' ? value : undefined;
}

function oneOf(
  props: Props,
  key: string,
  allowed: readonly string[],
  findings: ScsFinding[],
  required = true,
): void {
  const value = text(props, key);
  if (value === undefined || value === '') {
    if (required)
      findings.push({ property: key, message: `required: one of ${allowed.join(', ')}` });
  } else if (!allowed.includes(value)) {
    findings.push({ property: key, message: `"${value}" is not one of ${allowed.join(', ')}` });
  }
}

/** `oneOf` Glance's list, then the conformance test's narrower one. */
function testedOneOf(
  props: Props,
  key: string,
  glance: readonly string[],
  tested: readonly string[],
  test: string,
  findings: ScsFinding[],
): void {
  const before = findings.length;
  oneOf(props, key, glance, findings);
  const value = text(props, key);
  if (findings.length === before && value !== undefined && !tested.includes(value))
    findings.push({
      property: key,
      message: `"${value}" is in Glance's list, but the SCS conformance test (${test}) accepts only ${tested.join(', ')}`,
    });
}

function present(props: Props, key: string, findings: ScsFinding[], what: string): void {
  const value = text(props, key);
  if (value === undefined || value.trim() === '')
    findings.push({ property: key, message: `required: ${what}` });
}

/** `os_distro`: Glance's list, or one of the documented extras. */
export function osDistroFinding(value: string | undefined): string | undefined {
  if (value === undefined || value === '')
    return "required: the distribution, lowercase, from Glance's list";
  if ((GLANCE_OS_DISTROS as readonly string[]).includes(value) || value in EXTRA_OS_DISTROS)
    return undefined;
  return `"${value}" is not an os_distro of Glance's list (${GLANCE_OS_DISTROS.join(', ')}) nor one of ${Object.keys(EXTRA_OS_DISTROS).join(', ')}`;
}

/** `os_version`: numeric (`24.04`, `12`, `2019`) where the distribution numbers its releases. */
export function osVersionFinding(
  distro: string | undefined,
  value: string | undefined,
): string | undefined {
  if (value === undefined || value === '') return "required: the distribution's version";
  const extra =
    distro !== undefined
      ? (EXTRA_OS_DISTROS as Record<string, { numbered: boolean }>)[distro]
      : undefined;
  if (extra !== undefined && !extra.numbered) return undefined;
  return NUMERIC_VERSION.test(value)
    ? undefined
    : `"${value}" is not numeric: ${distro ?? 'the distribution'} numbers its releases (e.g. 24.04, 12, 2019)`;
}

/**
 * The per-image property rules. `scope: 'catalogue'` checks what a catalogue gives (the
 * release supplies image_source, image_build_date and image_description itself at upload,
 * so they are checked only when given); `'image'` checks a published image's properties.
 */
export function scsPropertyFindings(props: Props, scope: 'catalogue' | 'image'): ScsFinding[] {
  const findings: ScsFinding[] = [];
  testedOneOf(
    props,
    'architecture',
    GLANCE_ARCHITECTURES,
    SCS_TEST_ARCHITECTURES,
    'scs-0102-prop-architecture',
    findings,
  );
  const distro = text(props, 'os_distro');
  const distroFinding = osDistroFinding(distro);
  if (distroFinding) findings.push({ property: 'os_distro', message: distroFinding });
  const versionFinding = osVersionFinding(distro, text(props, 'os_version'));
  if (versionFinding) findings.push({ property: 'os_version', message: versionFinding });
  oneOf(props, 'os_purpose', OS_PURPOSES, findings);
  testedOneOf(
    props,
    'hw_disk_bus',
    HW_DISK_BUSES,
    SCS_TEST_DISK_BUSES,
    'scs-0102-prop-hw_disk_bus',
    findings,
  );
  if (text(props, 'hw_disk_bus') === 'scsi')
    oneOf(props, 'hw_scsi_model', HW_SCSI_MODELS, findings);
  testedOneOf(
    props,
    'hypervisor_type',
    HYPERVISOR_TYPES,
    SCS_TEST_HYPERVISOR_TYPES,
    'scs-0102-prop-hypervisor_type',
    findings,
  );
  oneOf(props, 'os_secure_boot', OS_SECURE_BOOT_VALUES, findings, false);
  oneOf(props, 'hw_firmware_type', HW_FIRMWARE_TYPES, findings, false);
  for (const key of HW_BOOLEAN_FEATURES) {
    const value = text(props, key);
    if (value !== undefined && !/^(true|false)$/i.test(value))
      findings.push({ property: key, message: `"${value}" is not a boolean (True or False)` });
  }
  const videoRam = text(props, 'hw_video_ram');
  if (videoRam !== undefined && !/^[1-9]\d*$/.test(videoRam))
    findings.push({
      property: 'hw_video_ram',
      message: `"${videoRam}" is not a whole number of MiB`,
    });
  oneOf(props, 'hw_rng_model', HW_RNG_MODELS, findings);
  oneOf(props, 'hw_watchdog_action', HW_WATCHDOG_ACTIONS, findings);
  oneOf(props, 'replace_frequency', REPLACE_FREQUENCIES, findings);

  const uuid = text(props, 'uuid_validity');
  if (uuid === undefined || uuid === '') {
    findings.push({
      property: 'uuid_validity',
      message: 'required: none, last-N, YYYY-MM-DD, notice or forever',
    });
  } else if (!/^(none|notice|forever|last-[1-9]\d*)$/.test(uuid) && !isCalendarDate(uuid)) {
    findings.push({
      property: 'uuid_validity',
      message: `"${uuid}" is not none, last-N, a date YYYY-MM-DD, notice or forever`,
    });
  }
  const until = text(props, 'provided_until');
  if (until === undefined || until === '') {
    findings.push({
      property: 'provided_until',
      message: 'required: a date YYYY-MM-DD, none or notice',
    });
  } else if (!/^(none|notice)$/.test(until) && !isCalendarDate(until)) {
    findings.push({
      property: 'provided_until',
      message: `"${until}" is not a date YYYY-MM-DD, none or notice`,
    });
  }
  const hotfix = text(props, 'hotfix_hours');
  if (hotfix !== undefined && !/^\d+$/.test(hotfix))
    findings.push({
      property: 'hotfix_hours',
      message: `"${hotfix}" is not a whole number of hours`,
    });
  present(props, 'image_original_user', findings, 'the default login user (or none)');

  const source = text(props, 'image_source');
  if (source !== undefined || scope === 'image') {
    if (source !== 'private' && !/^(https?|ftps?):\/\/\S+$/.test(source ?? ''))
      findings.push({
        property: 'image_source',
        message: `${source === undefined ? 'required: ' : `"${source}" is not `}a URL the image can be downloaded from, or "private"`,
      });
  }
  if (text(props, 'image_description') !== undefined || scope === 'image')
    present(props, 'image_description', findings, 'a URL or text describing the image');
  const built = text(props, 'image_build_date');
  if (built !== undefined || scope === 'image') {
    if (built === undefined || !BUILD_DATE.test(built) || !isCalendarDate(built.slice(0, 10)))
      findings.push({
        property: 'image_build_date',
        message: `${built === undefined ? 'required: ' : `"${built}" is not `}YYYY-MM-DD or YYYY-MM-DD hh:mm[:ss] (UTC)`,
      });
  }

  for (const key of LICENCE_PROPERTIES) {
    const value = text(props, key);
    if (value !== undefined && !/^(true|false)$/i.test(value))
      findings.push({ property: key, message: `"${value}" is not a boolean (True or False)` });
  }
  const maintained = text(props, 'maintained_until');
  if (maintained !== undefined && !isCalendarDate(maintained))
    findings.push({
      property: 'maintained_until',
      message: `"${maintained}" is not a date YYYY-MM-DD`,
    });
  const contact = text(props, 'l1_support_contact');
  if (contact !== undefined && !/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(contact))
    findings.push({
      property: 'l1_support_contact',
      message: `"${contact}" is not a URI (https://..., mailto:..., tel:...)`,
    });
  const isTrue = (key: string) => /^true$/i.test(text(props, key) ?? '');
  if (isTrue('license_included') && isTrue('license_required'))
    findings.push({
      property: 'license_required',
      message: 'cannot be True together with license_included',
    });
  if (
    distro !== undefined &&
    LICENSED_OS_DISTROS.has(distro) &&
    text(props, 'license_included') === undefined &&
    text(props, 'license_required') === undefined
  )
    findings.push({
      property: 'license_included',
      message: `required for ${distro} images (commercially licensed): license_included or license_required`,
    });
  return findings;
}

/** What a published image carries besides its properties. */
export interface PublishedImage {
  readonly id: string;
  readonly name?: string | null | undefined;
  readonly visibility: string;
  readonly os_hidden?: boolean | undefined;
  readonly tags: readonly string[];
  readonly min_disk?: number | undefined;
  readonly min_ram?: number | undefined;
  readonly size?: number | null | undefined;
  readonly created_at: string;
  readonly os_hash_algo?: string | null | undefined;
  readonly os_hash_value?: string | null | undefined;
  readonly [property: string]: unknown;
}

const GiB = 1024 ** 3;

/** Every SCS 0102 rule about one published image (the properties and Glance's own fields). */
export function scsImageFindings(image: PublishedImage, vendor: string): ScsFinding[] {
  const findings = scsPropertyFindings(image, 'image');
  if (!image.min_disk || image.min_disk <= 0)
    findings.push({ property: 'min_disk', message: 'required: the disk the image needs (GiB)' });
  else if (typeof image.size === 'number' && image.min_disk * GiB < image.size)
    findings.push({
      property: 'min_disk',
      message: `${image.min_disk} GiB is smaller than the image (${image.size} bytes)`,
    });
  if (!image.min_ram || image.min_ram <= 0)
    findings.push({
      property: 'min_ram',
      message: 'required: the RAM the image needs to boot (MiB)',
    });
  if (image.os_hash_algo !== 'sha256' && image.os_hash_algo !== 'sha512')
    findings.push({
      property: 'os_hash_algo',
      message: `"${String(image.os_hash_algo)}": SCS 0102 recommends sha256 or sha512`,
    });
  else if (
    typeof image.os_hash_value !== 'string' ||
    !new RegExp(`^[0-9a-f]{${image.os_hash_algo === 'sha256' ? 64 : 128}}$`).test(
      image.os_hash_value,
    )
  )
    findings.push({
      property: 'os_hash_value',
      message: `${JSON.stringify(image.os_hash_value ?? null)} is not the image's ${image.os_hash_algo} (hex)`,
    });
  const built = text(image, 'image_build_date');
  if (built !== undefined && BUILD_DATE.test(built)) {
    const day = built.length === 10 ? `${built}T00:00:00Z` : `${built.replace(' ', 'T')}Z`;
    if (Date.parse(day) > Date.parse(image.created_at))
      findings.push({
        property: 'image_build_date',
        message: `${built} is after the image's registration (${image.created_at})`,
      });
  }
  const distro = text(image, 'os_distro');
  if (distro !== undefined && distro !== '' && !image.tags.includes(osTag(distro)))
    findings.push({
      property: 'tags',
      message: `the tag ${osTag(distro)} is missing (SCS 0102 recommends os:<operating system>)`,
    });
  if (!image.tags.includes(managedByTag(vendor)))
    findings.push({
      property: 'tags',
      message: `the tag ${managedByTag(vendor)} is missing (SCS 0102 recommends managed_by_<vendor>)`,
    });
  return findings;
}

/**
 * The uniqueness rule: per (architecture, os_distro, os_version), at most one public,
 * non-hidden image with os_purpose=generic. Returns each group that breaks it.
 */
export function genericUniquenessViolations<T extends PublishedImage>(
  images: readonly T[],
): Array<{ key: string; images: T[] }> {
  const groups = new Map<string, T[]>();
  for (const image of images) {
    if (image.visibility !== 'public' || image.os_hidden === true) continue;
    if (text(image, 'os_purpose') !== 'generic') continue;
    const key = uniquenessKey(image);
    groups.set(key, [...(groups.get(key) ?? []), image]);
  }
  return [...groups]
    .filter(([, group]) => group.length > 1)
    .map(([key, group]) => ({ key, images: group }));
}

/** `architecture/os_distro/os_version`, the key the uniqueness rule groups by. */
export function uniquenessKey(props: Props): string {
  return `${text(props, 'architecture') ?? ''}/${text(props, 'os_distro') ?? ''}/${text(props, 'os_version') ?? ''}`;
}

// ---------------------------------------------------------------------------------------
// Recency (scs-0102 v2, "Image updating"): an image referenced by its name is replaced at
// least as often as its replace_frequency says, counted from its build; up to 3 days later
// is not a violation. The official conformance test (scs-0102-image-recency) allows 1.1
// times a rounded-up period instead (365, 92 and 31 days, 7 x 25 and 25 hours). An image is
// outdated here once either of them would say so, so that a conforming image passes both.

/** The standard's grace after the period: "up to 3 days later is not considered a violation". */
export const RECENCY_GRACE_DAYS = 3;

type Periodic = Exclude<(typeof REPLACE_FREQUENCIES)[number], 'never' | 'critical_bug'>;

/** The calendar period of each frequency (the standard's "once per year, quarter, ..."). */
const CALENDAR_PERIOD: Record<Periodic, { months?: number; days?: number }> = {
  yearly: { months: 12 },
  quarterly: { months: 3 },
  monthly: { months: 1 },
  weekly: { days: 7 },
  daily: { days: 1 },
};
/** The official conformance test's period per frequency, in hours, and its slack factor. */
const CONFORMANCE_TEST_HOURS: Record<Periodic, number> = {
  yearly: 365 * 24,
  quarterly: 92 * 24,
  monthly: 31 * 24,
  weekly: 7 * 25,
  daily: 25,
};
const CONFORMANCE_TEST_SLACK = 1.1;
const HOUR = 3600 * 1000;
const DAY_MS = 24 * HOUR;

/** The UTC instant of an image_build_date (a bare day: its midnight); undefined if unreadable. */
export function buildInstant(value: string): Date | undefined {
  if (!BUILD_DATE.test(value) || !isCalendarDate(value.slice(0, 10))) return undefined;
  const iso = value.length === 10 ? `${value}T00:00:00Z` : `${value.replace(' ', 'T')}Z`;
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? undefined : at;
}

/** What a recency verdict is counted from: image_build_date, else Glance's registration. */
export function builtAt(image: PublishedImage): Date | undefined {
  const built = text(image, 'image_build_date');
  const at = built !== undefined ? buildInstant(built) : undefined;
  if (at !== undefined) return at;
  const created = new Date(image.created_at);
  return Number.isNaN(created.getTime()) ? undefined : created;
}

/** The day `months` calendar months after `day` (clamped to the month's end: Jan 31 -> Feb 28). */
function addMonths(day: Date, months: number): Date {
  const target = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + months, 1));
  const lastDay = new Date(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0),
  ).getUTCDate();
  target.setUTCDate(Math.min(day.getUTCDate(), lastDay));
  return target;
}

/**
 * The first instant an image built at `built` counts as outdated under `frequency`, or
 * undefined when the frequency promises no regular replacement (never, critical_bug, or not
 * a frequency at all). The standard counts in days: built on 2021-04-14, monthly, the
 * replacement is due by 2021-05-14 and still in time on 2021-05-17, so the image is outdated
 * from 2021-05-18 00:00 UTC; the conformance test from 1.1 x its period after the build.
 */
export function outdatedFrom(built: Date, frequency: string): Date | undefined {
  if (!(frequency in CALENDAR_PERIOD)) return undefined;
  const periodic = frequency as Periodic;
  const { months = 0, days = 0 } = CALENDAR_PERIOD[periodic];
  const day = new Date(Date.UTC(built.getUTCFullYear(), built.getUTCMonth(), built.getUTCDate()));
  const due = addMonths(day, months);
  const byStandard = new Date(due.getTime() + (days + RECENCY_GRACE_DAYS + 1) * DAY_MS);
  // the test flags an image only once "now" is past its allowance: outdated 1 ms later
  const byTest = new Date(
    built.getTime() + CONFORMANCE_TEST_SLACK * CONFORMANCE_TEST_HOURS[periodic] * HOUR + 1,
  );
  return byStandard < byTest ? byStandard : byTest;
}

/**
 * Whether the replacement promise still stands at `now`: provided_until `notice` (updates
 * until a deprecation notice) or a day not yet past; `none` promises nothing, and past its
 * day an image may stay unreplaced. (The conformance test also skips `notice`; the standard
 * promises updates under it, so it is judged here.)
 */
export function replacementPromised(providedUntil: string | undefined, now: Date): boolean {
  if (providedUntil === 'notice') return true;
  if (providedUntil === undefined || !isCalendarDate(providedUntil)) return false;
  return now.getTime() < Date.parse(`${providedUntil}T00:00:00Z`) + DAY_MS;
}

/** The words the conformance test reads as "an older image" at the end of a name. */
const OLDER_MARKERS = new Set(['old', 'prev']);

/**
 * Whether the image is a replaced one rather than the newest under its name: hidden, or its
 * name ends in " YYYYMMDD", " YYYY-MM-DD", " old" or " prev" (as the standard recommends and
 * the conformance test reads names).
 */
export function isReplacedImage(image: PublishedImage): boolean {
  if (image.os_hidden === true) return true;
  const name = image.name ?? '';
  const cut = name.lastIndexOf(' ');
  if (cut < 0) return false;
  const last = name.slice(cut + 1);
  if (OLDER_MARKERS.has(last)) return true;
  const day = /^\d{8}$/.test(last)
    ? `${last.slice(0, 4)}-${last.slice(4, 6)}-${last.slice(6)}`
    : last;
  return isCalendarDate(day);
}

/**
 * Whether an outdated older image of these properties needs a successor under its name
 * without the last word, as the conformance test checks: while its replace_frequency is a
 * period and its provided_until a day not yet past at `now`.
 */
export function successorByNameChecked(props: Props, now: Date): boolean {
  const until = text(props, 'provided_until');
  return (
    (text(props, 'replace_frequency') ?? '') in CALENDAR_PERIOD &&
    until !== undefined &&
    isCalendarDate(until) &&
    replacementPromised(until, now)
  );
}

export interface RecencyFinding<T> extends ScsFinding {
  readonly image: T;
}

/**
 * The recency rules over the public and community images (those the conformance test lists,
 * hidden or not), at `now`:
 *  - an image newest under its name (not hidden, name not dated) must not be outdated while
 *    its provided_until promises replacements;
 *  - a replaced image that is outdated, while its provided_until is a day still ahead, needs
 *    a current image named as it is without its last word (how the conformance test finds
 *    the replacement; "Ubuntu 24.04 20261101" -> "Ubuntu 24.04");
 *  - no image_build_date lies after `now`.
 */
export function scsRecencyFindings<T extends PublishedImage>(
  images: readonly T[],
  now: Date,
): RecencyFinding<T>[] {
  const judged = images.filter((i) => i.visibility === 'public' || i.visibility === 'community');
  const outdated = (image: T): Date | undefined => {
    const built = builtAt(image);
    const from = built && outdatedFrom(built, text(image, 'replace_frequency') ?? 'never');
    return from !== undefined &&
      now >= from &&
      replacementPromised(text(image, 'provided_until'), now)
      ? from
      : undefined;
  };
  const byName = new Map<string, T[]>();
  for (const image of judged)
    byName.set(image.name ?? '', [...(byName.get(image.name ?? '') ?? []), image]);
  const findings: RecencyFinding<T>[] = [];
  for (const image of judged) {
    const built = text(image, 'image_build_date');
    const builtInstant = built !== undefined ? buildInstant(built) : undefined;
    if (builtInstant !== undefined && builtInstant > now)
      findings.push({
        image,
        property: 'image_build_date',
        message: `${built} is in the future (now ${now.toISOString()})`,
      });
    const from = outdated(image);
    if (from === undefined) continue;
    const frequency = text(image, 'replace_frequency') ?? '';
    const age = `built ${builtAt(image)?.toISOString()}, replace_frequency ${frequency}: outdated since ${from.toISOString()} (now ${now.toISOString()})`;
    if (!isReplacedImage(image)) {
      findings.push({
        image,
        property: 'replace_frequency',
        message: `${age}; the image users find by this name was not replaced in time`,
      });
      continue;
    }
    if (!successorByNameChecked(image, now)) continue;
    const until = text(image, 'provided_until') ?? '';
    const name = image.name ?? '';
    const successor = name.slice(0, Math.max(0, name.lastIndexOf(' '))).trimEnd();
    const current = (byName.get(successor) ?? []).filter((i) => outdated(i) === undefined);
    if (current.length === 0)
      findings.push({
        image,
        property: 'name',
        message: `${age}; an outdated older image needs a current image named "${successor}" (its name without the last word) while provided_until ${until} is ahead`,
      });
  }
  return findings;
}
