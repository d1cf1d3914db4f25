// The resolved catalogue: defaults applied, properties and retention merged, fingerprints
// normalised, file patterns compiled. This is what the services consume.
import type { z } from 'zod';
import type { BOOT_FAMILIES } from './schema.ts';
import type {
  buildManifestFeedSchema,
  checksumListFeedSchema,
  debianFeedSchema,
  fedoraCoreosFeedSchema,
  flatcarFeedSchema,
  propertiesSchema,
  defaultSmokeTestSchema,
  ubuntuSimplestreamsFeedSchema,
} from './schema.ts';

export interface Schedule {
  /** cron expression (5 fields, or 6 with seconds) */
  readonly cron: string;
  /** IANA time zone the cron expression is read in */
  readonly timezone: string;
}

export interface Retention {
  /** community images kept regardless of usage, newest first */
  readonly keepLast: number;
  /** community images younger than this are never reaped */
  readonly minimumAgeDays: number;
}

/** Glance properties: every value a string (the SCS keys are typed, extras are free). */
export type GlanceProperties = Readonly<z.output<typeof propertiesSchema>>;

export type UbuntuSimplestreamsFeed = Readonly<z.output<typeof ubuntuSimplestreamsFeedSchema>>;
export type DebianFeed = Readonly<z.output<typeof debianFeedSchema>>;
export type ChecksumListFeed = Readonly<
  z.output<typeof checksumListFeedSchema> & {
    /** `filePattern` compiled and anchored (`^(?:...)$`); has the named group `version` */
    fileRegExp: RegExp;
  }
>;
export type FedoraCoreosFeed = Readonly<z.output<typeof fedoraCoreosFeedSchema>>;
export type FlatcarFeed = Readonly<z.output<typeof flatcarFeedSchema>>;
export type BuildManifestFeed = Readonly<
  z.output<typeof buildManifestFeedSchema> & {
    /** product of the manifest this series follows (defaults to the series id) */
    product: string;
  }
>;

export type FeedConfig =
  | UbuntuSimplestreamsFeed
  | DebianFeed
  | ChecksumListFeed
  | FedoraCoreosFeed
  | FlatcarFeed
  | BuildManifestFeed;

export type FeedKind = FeedConfig['kind'];

export type SignaturePolicyName = 'required' | 'optional' | 'none';

export interface SignatureConfig {
  readonly policy: SignaturePolicyName;
  /** armored OpenPGP keyring file */
  readonly keyring?: string | undefined;
  /** trusted fingerprints (primary or subkey), 40 lowercase hex digits, no spaces */
  readonly fingerprints: readonly string[];
}

/** A series' smoke test, resolved (defaults.smokeTest under the series' own). */
export interface SmokeTest {
  /** the clouds.yaml entry the server boots in; undefined: the publishing account's project */
  readonly project?: string | undefined;
  /** flavor name or id; undefined: the smallest flavor that fits the series' minDisk and minRam */
  readonly flavor?: string | undefined;
  readonly timeoutSeconds: number;
  /** how the guest says it booted (from os_distro, or smokeTest.family) */
  readonly family?: (typeof BOOT_FAMILIES)[number] | undefined;
  /** RegExp the console log must match; none: reaching ACTIVE is enough */
  readonly consoleLogPattern?: string | undefined;
}

/** `defaults.smokeTest` as written, its defaults applied. */
export type DefaultSmokeTest = Readonly<z.output<typeof defaultSmokeTestSchema>>;

export interface Series {
  /** catalogue key, e.g. `ubuntu-24.04` */
  readonly id: string;
  readonly title: string;
  /** the catalogue's naming scheme (the names themselves: packages/lifecycle image-names) */
  readonly naming: NamingScheme;
  /** the cloud in the tag managed_by_<vendor> every image of the series carries */
  readonly vendor: string;
  readonly feed: FeedConfig;
  readonly signature: SignatureConfig;
  /** defaults.properties merged under the series' own */
  readonly properties: GlanceProperties;
  /** GiB */
  readonly minDisk: number;
  /** MiB */
  readonly minRam: number;
  readonly retention: Retention;
  readonly schedule: Schedule;
  readonly gracePeriodDays: number;
  /** ISO date YYYY-MM-DD: the last day upstream supports the series */
  readonly endOfLife?: string | undefined;
  readonly retired: boolean;
  /** false: validated, never checked upstream nor published (`enabled` in the catalogue) */
  readonly enabled: boolean;
  readonly communityHidden: boolean;
  readonly smokeTest?: SmokeTest | undefined;
  /** `raw`: qcow2 releases are converted to raw and published as raw (Ceph-backed Glance). */
  readonly diskFormat?: 'raw' | undefined;
  /**
   * true (the default): the upload starts while the download is running, following the
   * staged file; false: only once the download is verified (`overlap` in the catalogue).
   */
  readonly overlap: boolean;
}

export interface CatalogueDefaults {
  readonly schedule: Schedule;
  readonly gracePeriodDays: number;
  readonly retention: Retention;
  readonly properties: GlanceProperties;
  /** where and how every series' candidates are smoke-tested, unless a series says otherwise */
  readonly smokeTest?: DefaultSmokeTest | undefined;
}

export interface Catalogue {
  /** the file it was read from (as given) */
  readonly file: string;
  readonly naming: NamingScheme;
  readonly vendor: string;
  readonly defaults: CatalogueDefaults;
  /**
   * Where every series is published, in file order; always at least one. Without a
   * `targets:` section, the one target `default` with the accounts' own entries and regions.
   */
  readonly targets: readonly Target[];
  /** in file order */
  readonly series: readonly Series[];
}

/** One Glance the series are published to, and the compute regions that use its images. */
export interface Target {
  readonly name: string;
  /** clouds.yaml entry of the publishing account (undefined: the deployment's setting) */
  readonly cloud?: string | undefined;
  /** clouds.yaml entry of the reading account (undefined: the deployment's setting) */
  readonly usageCloud?: string | undefined;
  /** region of the target's Glance (undefined: the entry's own) */
  readonly region?: string | undefined;
  /**
   * Compute regions whose servers and volumes count as users of this Glance's images
   * (undefined: the target's region alone).
   */
  readonly usageRegions?: readonly string[] | undefined;
  /**
   * false: its uploads start only once the download is verified, whatever a series says
   * (undefined: each series' `overlap`).
   */
  readonly overlap?: boolean | undefined;
}

/**
 * `default`: "<Title> - Latest", older images "<Title> - <YYYY-MM-DD of first upload>";
 * `scs`: "<Title>", older images "<Title> <YYYYMMDD of the build>" (SCS 0102 and 0104).
 */
export type NamingScheme = 'default' | 'scs';

export type SeriesStatus = 'supported' | 'end-of-life';
