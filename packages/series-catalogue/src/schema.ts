// The catalogue's zod 4 schemas. The *input* side (what a person writes in YAML) is what
// the JSON Schema export describes; the *output* side (after defaults and normalisation)
// is refined into the resolved types of types.ts by resolve.ts.
import {
  HW_RNG_MODELS,
  HW_WATCHDOG_ACTIONS,
  HYPERVISOR_TYPES,
  REPLACE_FREQUENCIES,
  reservedPropertyRule,
  VENDOR_PATTERN,
} from '@imagecycle/contracts';
import cronParser from 'cron-parser';
import { z } from 'zod';

export const SERIES_ID_PATTERN = /^[a-z0-9][a-z0-9.-]*$/;

/** A zod error map: `message`, or "required: message" when the value is missing. */
function rule(message: string) {
  return (iss: { input?: unknown }) =>
    iss.input === undefined ? `required: ${message.replace(/^must be /, '')}` : message;
}

const httpUrl = z.url({
  protocol: /^https?$/,
  error: rule('must be an absolute http(s) URL'),
});

const isoDate = z.iso.date({ error: rule('must be an ISO date YYYY-MM-DD') });

const nonEmpty = z.string().min(1, 'must not be empty');
/** A string where empty (a `${VAR:-}` left unset) means the same as absent. */
const unsetWhenEmpty = z.string().transform((value) => (value === '' ? undefined : value));

const nonNegativeInt = z
  .number({ error: rule('must be a number') })
  .int('must be a whole number')
  .min(0, 'must be >= 0');

/** Compiles as a JavaScript RegExp; returns the error text, or undefined when it does. */
function regexError(source: string): string | undefined {
  try {
    new RegExp(source);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

const regexString = z.string().superRefine((s, ctx) => {
  const err = regexError(s);
  if (err !== undefined)
    ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${err}` });
});

// ---------------------------------------------------------------------------------------
// schedule, retention

const CRON_FIELDS = /^\S+(\s+\S+){4,5}$/;

/**
 * A cron expression as BullMQ's job schedulers read it: the same parser (cron-parser, which
 * BullMQ uses), so a value it would refuse at start-up is refused here, with its reason.
 */
const cronExpression = z
  .string()
  .regex(CRON_FIELDS, 'must be a cron expression of 5 (or 6, with seconds) fields')
  .superRefine((cron, ctx) => {
    if (!CRON_FIELDS.test(cron)) return; // the rule above said why
    try {
      cronParser.parseExpression(cron);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `not a valid cron expression: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  });

export const scheduleSchema = z.strictObject({
  cron: cronExpression.default('0 4 * * *'),
  timezone: z
    .string()
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone (e.g. UTC, Europe/Berlin)')
    .default('UTC'),
});

export const retentionSchema = z.strictObject({
  keepLast: nonNegativeInt
    .default(1)
    .describe('community images of the series kept regardless of usage (newest first)'),
  minimumAgeDays: nonNegativeInt
    .default(0)
    .describe('community images younger than this are never reaped'),
});

/** Per-series override: every field optional, merged over defaults.retention. */
export const retentionOverrideSchema = z.strictObject({
  keepLast: nonNegativeInt.optional(),
  minimumAgeDays: nonNegativeInt.optional(),
});

// ---------------------------------------------------------------------------------------
// Glance properties

const PROPERTY_STRING_RULE =
  'Glance properties must be strings: quote the value (e.g. "True" or "20")';

const propertyValue = z.string({
  error: (iss) => (iss.input === undefined ? undefined : PROPERTY_STRING_RULE),
});

function enumProperty<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, {
    error: (iss) =>
      typeof iss.input === 'string'
        ? `must be one of: ${values.join(', ')}`
        : `${PROPERTY_STRING_RULE}; one of: ${values.join(', ')}`,
  });
}

function patternProperty(pattern: RegExp, rule: string) {
  return z
    .string({ error: (iss) => (iss.input === undefined ? undefined : PROPERTY_STRING_RULE) })
    .regex(pattern, rule);
}

const trueFalse = enumProperty(['True', 'False']);

/** Run a refinement even when other fields already failed, as long as the value is an object. */
const evenWithOtherIssues = {
  when: (payload: { value: unknown }) =>
    typeof payload.value === 'object' && payload.value !== null,
};

/** The SCS image metadata (scs-0102) plus the recommended hardware properties; free extras allowed. */
export const propertiesSchema = z
  .object({
    image_source: propertyValue.optional().describe('URL of the upstream source'),
    image_original_user: propertyValue.optional().describe('default login user'),
    image_description: propertyValue.optional(),
    replace_frequency: enumProperty(REPLACE_FREQUENCIES).optional(),
    uuid_validity: patternProperty(
      /^(none|forever|last-[1-9][0-9]*|\d{4}-\d{2}-\d{2})$/,
      'must be none, last-N, forever or a date YYYY-MM-DD',
    ).optional(),
    provided_until: patternProperty(
      /^(none|notice|\d{4}-\d{2}-\d{2})$/,
      'must be none, notice or a date YYYY-MM-DD',
    ).optional(),
    os_distro: propertyValue.optional(),
    os_version: propertyValue.optional(),
    os_purpose: enumProperty([
      'generic',
      'minimal',
      'k8snode',
      'gpu',
      'network',
      'custom',
    ]).optional(),
    architecture: propertyValue.optional(),
    hw_disk_bus: enumProperty(['virtio', 'scsi', 'ide', 'sata', 'usb']).optional(),
    hw_scsi_model: propertyValue.optional(),
    hw_qemu_guest_agent: trueFalse.optional(),
    os_require_quiesce: trueFalse.optional(),
    hypervisor_type: enumProperty(HYPERVISOR_TYPES).optional(),
    hw_rng_model: enumProperty(HW_RNG_MODELS).optional(),
    hw_watchdog_action: enumProperty(HW_WATCHDOG_ACTIONS).optional(),
  })
  .catchall(propertyValue)
  .superRefine((props, ctx) => {
    for (const key of Object.keys(props)) {
      // the same rule as the build manifests' (packages/contracts): one list of reserved names
      const reserved = reservedPropertyRule(key);
      if (reserved) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `"${key}" is reserved: ${reserved}${key === 'min_disk' || key === 'min_ram' ? " (use the series' minDisk / minRam)" : ''}`,
        });
      } else if (!/^[A-Za-z0-9_:.-]{1,255}$/.test(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'property names may hold only letters, digits, "_", ":", "." and "-"',
        });
      }
    }
  }, evenWithOtherIssues);

// ---------------------------------------------------------------------------------------
// feeds

const arch = z.enum(['amd64', 'arm64', 'x86_64', 'aarch64'], {
  error: rule('must be one of: amd64, arm64, x86_64, aarch64'),
});

const compression = z.enum(['xz', 'bz2', 'gz', 'none'], {
  error: rule('must be one of: xz, bz2, gz, none'),
});

/**
 * The one way a feed may use plain http: a mirror that serves nothing else (the local test
 * mirror on 127.0.0.1), opted into per feed with the reason it is acceptable. Only the
 * origins of the feed's own URLs are allowed then; anything a document points at elsewhere
 * must still be https.
 */
export const insecureHttpSchema = z
  .strictObject({
    reason: z
      .string({ error: rule('must be a text: why plain http is acceptable for this mirror') })
      .trim()
      .min(1, 'must not be empty: say why plain http is acceptable for this mirror'),
  })
  .describe("allow plain http for the origins of this feed's own URLs (a named mirror)");

export const ubuntuSimplestreamsFeedSchema = z.strictObject({
  kind: z.literal('ubuntu-simplestreams'),
  insecureHttp: insecureHttpSchema.optional(),
  indexUrl: httpUrl.describe('streams/v1/index.json'),
  productId: z
    .string()
    .regex(
      /^com\.ubuntu\.cloud:[a-z0-9.:-]+$/,
      'must be a simplestreams product id (com.ubuntu.cloud:...)',
    ),
  releasesUrl: httpUrl.describe('root that item paths are relative to'),
});

export const debianFeedSchema = z.strictObject({
  kind: z.literal('debian'),
  insecureHttp: insecureHttpSchema.optional(),
  imagesUrl: httpUrl.describe('the .../images/cloud/<codename>/ directory listing'),
  major: z
    .number({ error: rule('must be a number') })
    .int('must be a whole number')
    .positive(),
  arch,
});

export const checksumListFeedSchema = z.strictObject({
  kind: z.literal('checksum-list'),
  insecureHttp: insecureHttpSchema.optional(),
  url: httpUrl,
  style: z.enum(['gnu', 'bsd'], { error: rule('must be gnu or bsd') }),
  filePattern: z
    .string()
    .min(1, 'must not be empty')
    .superRefine((s, ctx) => {
      const err = regexError(s);
      if (err !== undefined) {
        ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${err}` });
      } else if (!/\(\?<version>/.test(s)) {
        ctx.addIssue({
          code: 'custom',
          message: 'must contain a named group (?<version>...) capturing the release version',
        });
      }
    })
    .describe('RegExp over file names, anchored automatically, with a named group `version`'),
  algorithm: z.enum(['sha256', 'sha512'], { error: rule('must be sha256 or sha512') }),
  compression: compression.optional(),
});

export const fedoraCoreosFeedSchema = z.strictObject({
  kind: z.literal('fedora-coreos'),
  insecureHttp: insecureHttpSchema.optional(),
  streamUrl: httpUrl,
  arch,
});

export const flatcarFeedSchema = z.strictObject({
  kind: z.literal('flatcar'),
  insecureHttp: insecureHttpSchema.optional(),
  baseUrl: httpUrl.describe('.../amd64-usr/ (holding current/version.txt)'),
  compression: z.enum(['bz2', 'gz', 'none'], { error: rule('must be bz2, gz or none') }),
  releasesUrl: httpUrl.optional().describe('releases-stable.json, for release dates'),
});

export const buildManifestFeedSchema = z.strictObject({
  kind: z.literal('build-manifest'),
  insecureHttp: insecureHttpSchema.optional(),
  url: httpUrl,
  product: nonEmpty
    .optional()
    .describe('product of the manifest to follow; default: the series id'),
});

export const FEED_KINDS = [
  'ubuntu-simplestreams',
  'debian',
  'checksum-list',
  'fedora-coreos',
  'flatcar',
  'build-manifest',
] as const;

export const feedSchema = z.discriminatedUnion(
  'kind',
  [
    ubuntuSimplestreamsFeedSchema,
    debianFeedSchema,
    checksumListFeedSchema,
    fedoraCoreosFeedSchema,
    flatcarFeedSchema,
    buildManifestFeedSchema,
  ],
  {
    error: (iss) => {
      if (iss.code !== 'invalid_union') return undefined;
      const kind: unknown =
        typeof iss.input === 'object' && iss.input !== null
          ? (iss.input as { kind?: unknown }).kind
          : undefined;
      return kind === undefined
        ? `required: the feed kind, one of ${FEED_KINDS.join(', ')}`
        : `unknown feed kind: must be one of ${FEED_KINDS.join(', ')}`;
    },
  },
);

// ---------------------------------------------------------------------------------------
// signature

export const fingerprintSchema = z
  .string()
  .regex(
    // empty: an unset variable of a switched-off series (an enabled one is refused in parse.ts)
    /^\s*(?:(?:[0-9A-Fa-f]\s*){40})?$/,
    'must be an OpenPGP v4 fingerprint: 40 hex digits (spaces allowed)',
  )
  .transform((s) => s.replace(/\s+/g, '').toLowerCase());

export const signatureSchema = z
  .strictObject({
    policy: z.enum(['required', 'optional', 'none'], {
      error: rule('must be required, optional or none'),
    }),
    keyring: nonEmpty.optional().describe('armored OpenPGP keyring file'),
    fingerprints: z
      .array(fingerprintSchema)
      .optional()
      .describe(
        'primary or subkey fingerprints to trust; an empty one (a variable left unset, e.g. ${FPR:-}) is allowed only while the series is switched off',
      ),
  })
  .superRefine((sig, ctx) => {
    // `optional` verifies every signature that is published: without keys it could verify
    // none, and would silently accept everything
    if (sig.policy !== 'required' && sig.policy !== 'optional') return;
    if (sig.keyring === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['keyring'],
        message: `policy "${sig.policy}" needs a keyring`,
      });
    }
    if (!Array.isArray(sig.fingerprints) || sig.fingerprints.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['fingerprints'],
        message: `policy "${sig.policy}" needs at least one fingerprint`,
      });
    }
  }, evenWithOtherIssues);

// ---------------------------------------------------------------------------------------
// series, catalogue

/** How a guest says it booted, each family with its own console line. */
export const BOOT_FAMILIES = ['cloud-init', 'ignition', 'cloudbase-init'] as const;

const timeoutSeconds = z
  .number({ error: rule('must be a number') })
  .int('must be a whole number')
  .positive('must be > 0');

/** `defaults.smokeTest`: where every series' candidates boot, and what proves a boot. */
export const defaultSmokeTestSchema = z.strictObject({
  project: unsetWhenEmpty
    .optional()
    .describe(
      "the clouds.yaml entry the smoke-test servers boot in (unset or empty: the publishing account's own project)",
    ),
  flavor: unsetWhenEmpty
    .optional()
    .describe(
      "flavor name or id (unset or empty: the smallest flavor that fits the series' minDisk and minRam)",
    ),
  timeoutSeconds: timeoutSeconds
    .default(600)
    .describe('how long a server may take to become ACTIVE, and then to print its boot line'),
  consoleLogPatterns: z
    .strictObject(
      Object.fromEntries(BOOT_FAMILIES.map((family) => [family, regexString.optional()])) as Record<
        (typeof BOOT_FAMILIES)[number],
        z.ZodOptional<typeof regexString>
      >,
    )
    .default({})
    .describe(
      "RegExp per boot family the console log must match: a series' family comes from its os_distro (or smokeTest.family)",
    ),
});

/**
 * A series' own smoke test: `false` turns the default one off; an object overrides parts of
 * `defaults.smokeTest` (or, without defaults, is the whole smoke test: project and flavor).
 */
export const smokeTestSchema = z.union(
  [
    z.literal(false),
    z.strictObject({
      project: nonEmpty.optional(),
      flavor: nonEmpty.optional(),
      timeoutSeconds: timeoutSeconds.optional(),
      family: z
        .enum(BOOT_FAMILIES, { error: rule(`must be one of ${BOOT_FAMILIES.join(', ')}`) })
        .optional()
        .describe('the boot family when os_distro does not tell it'),
      consoleLogPattern: regexString
        .optional()
        .describe("RegExp the console log must match (instead of the family's)"),
    }),
  ],
  { error: rule('must be false (no smoke test) or a mapping') },
);

/**
 * A switch: true or false, or the text "true"/"false" that a `${NAME:-false}` reference
 * becomes (so a deployment can turn a series on with a variable, without editing the file).
 */
const onOff = z
  .union([z.boolean(), z.enum(['true', 'false'])], { error: rule('must be true or false') })
  .transform((v) => v === true || v === 'true');

export const seriesSchema = z
  .strictObject({
    enabled: onOff
      .default(true)
      .describe(
        'false: the series is validated but never checked upstream nor published; imagecycle status shows it disabled',
      ),
    title: z
      .string()
      .min(1, 'must not be empty')
      .max(240, 'must be at most 240 characters (Glance names are limited to 255)')
      .refine((t) => t.trim() === t, 'must not start or end with white space')
      .refine((t) => !/ - Latest$/.test(t), 'must not end with " - Latest" (added by imagecycle)')
      .describe('the public image is named "<title> - Latest"'),
    feed: feedSchema,
    signature: signatureSchema,
    properties: propertiesSchema.default({}),
    minDisk: z
      .number({ error: rule('must be a number (GiB)') })
      .int('must be a whole number')
      .min(0)
      .default(0),
    minRam: z
      .number({ error: rule('must be a number (MiB)') })
      .int('must be a whole number')
      .min(0)
      .default(0),
    retention: retentionOverrideSchema.optional(),
    schedule: scheduleSchema.partial().optional().describe('overrides defaults.schedule'),
    gracePeriodDays: nonNegativeInt.optional().describe('overrides defaults.gracePeriodDays'),
    endOfLife: isoDate.optional(),
    retired: z.boolean({ error: rule('must be true or false') }).default(false),
    communityHidden: z.boolean({ error: rule('must be true or false') }).default(false),
    smokeTest: smokeTestSchema.optional(),
    diskFormat: z
      .enum(['raw'], {
        error: rule('must be raw (or left out: published as the upstream ships it)'),
      })
      .optional()
      .describe(
        'raw: a qcow2 release is converted to raw before upload and published with disk_format raw (Ceph-backed Glance)',
      ),
    overlap: z
      .boolean({ error: rule('must be true or false') })
      .default(true)
      .describe(
        'false: the upload starts only once the download is verified (else it follows the staged file as it is written)',
      ),
  })
  .superRefine((series, ctx) => {
    for (const issue of seriesTransportIssues(series)) ctx.addIssue({ code: 'custom', ...issue });
  }, evenWithOtherIssues);

/** The feed's own URL fields (the ones a catalogue writes), by name. */
export const FEED_URL_KEYS = [
  'indexUrl',
  'releasesUrl',
  'imagesUrl',
  'url',
  'streamUrl',
  'baseUrl',
] as const;

/**
 * What a series promises that its feed cannot keep, or that would weaken it: a signature
 * policy the upstream can never satisfy (Debian signs nothing), and plain-http feed URLs
 * without the feed's insecureHttp opt-in.
 */
function seriesTransportIssues(series: unknown): Array<{ path: PropertyKey[]; message: string }> {
  const issues: Array<{ path: PropertyKey[]; message: string }> = [];
  if (typeof series !== 'object' || series === null) return issues;
  const { feed, signature } = series as { feed?: unknown; signature?: unknown };
  const f = typeof feed === 'object' && feed !== null ? (feed as Record<string, unknown>) : {};
  const policy: unknown =
    typeof signature === 'object' && signature !== null
      ? (signature as { policy?: unknown }).policy
      : undefined;
  if (f.kind === 'debian' && (policy === 'required' || policy === 'optional')) {
    issues.push({
      path: ['signature', 'policy'],
      message: `Debian publishes no signature over its cloud images (only SHA512SUMS): policy "${policy}" could never be satisfied; use policy "none"`,
    });
  }
  for (const key of FEED_URL_KEYS) {
    const value = f[key];
    if (typeof value !== 'string' || !/^http:/i.test(value) || f.insecureHttp !== undefined)
      continue;
    issues.push({
      path: ['feed', key],
      message:
        'plain http: feed URLs must be https; a mirror that serves only http needs the feed\'s opt-in insecureHttp: { reason: "..." }',
    });
  }
  return issues;
}

export const defaultsSchema = z.strictObject({
  schedule: scheduleSchema.prefault({}),
  gracePeriodDays: nonNegativeInt
    .default(7)
    .describe('days a community image must stay unused before it is reaped'),
  retention: retentionSchema.prefault({}),
  properties: propertiesSchema.default({}).describe("merged under each series' own properties"),
  smokeTest: defaultSmokeTestSchema
    .optional()
    .describe("every series' candidate boots in this project and flavor before it is published"),
});

/** A target's name: a label value in metrics, part of job ids and Redis keys. */
export const TARGET_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A region name as Keystone's catalogue spells it. */
const regionName = z
  .string({ error: rule('must be a region name, e.g. RegionOne') })
  .min(1, 'must not be empty');

/**
 * One place the series are published to: a Glance, reached with a clouds.yaml entry in a
 * region, and the compute regions whose servers and volumes use its images.
 */
export const targetSchema = z
  .strictObject({
    cloud: nonEmpty
      .optional()
      .describe(
        'the clouds.yaml entry of the publishing account (default: IMAGECYCLE_CLOUD_PUBLISH, else OS_CLOUD)',
      ),
    usageCloud: nonEmpty
      .optional()
      .describe(
        "the clouds.yaml entry of the reading account that lists every project's servers and volumes (default: IMAGECYCLE_CLOUD_USAGE, else OS_CLOUD)",
      ),
    region: regionName
      .optional()
      .describe(
        "the region of this target's Glance (default: the entry's region_name / OS_REGION_NAME)",
      ),
    usageRegions: z
      .array(regionName, { error: rule('must be a list of region names') })
      .min(1, "must name at least one region (leave it out for the target's own region)")
      .optional()
      .describe(
        "the compute regions whose servers and volumes boot from this target's Glance: all of them when one Glance serves several regions (default: the target's region)",
      ),
    overlap: z
      .boolean({ error: rule('must be true or false') })
      .optional()
      .describe(
        "false: uploads to this target start only once the download is verified, for every series - for a Glance behind a proxy that buffers or refuses chunked request bodies (default: each series' own overlap)",
      ),
  })
  .superRefine((target, ctx) => {
    const regions = target.usageRegions ?? [];
    const repeated = regions.filter((region, index) => regions.indexOf(region) !== index);
    if (repeated.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['usageRegions'],
        message: `names ${[...new Set(repeated)].join(', ')} more than once`,
      });
  });

export const catalogueSchema = z
  .strictObject({
    $schema: z.string().optional(),
    naming: z
      .enum(['default', 'scs'], { error: rule('must be default or scs') })
      .default('default')
      .describe(
        'default: "<Title> - Latest" and "<Title> - <first-upload date>"; scs: "<Title>" and "<Title> <YYYYMMDD build date>" (SCS 0102/0104)',
      ),
    vendor: z
      .string({ error: rule('must be a text: the cloud in the managed_by_<vendor> tag') })
      .regex(VENDOR_PATTERN, 'may hold only letters, digits, "_" and "-" (1-64)')
      .default('imagecycle')
      .describe('every managed image carries the tag managed_by_<vendor> (SCS 0102)'),
    defaults: defaultsSchema.prefault({}),
    targets: z
      .record(
        z
          .string()
          .regex(
            TARGET_NAME_PATTERN,
            'target names must match ^[a-z0-9][a-z0-9-]*$ (at most 63 characters)',
          ),
        targetSchema,
      )
      .optional()
      .describe(
        'where every series is published: one Glance each (absent: one target, "default", with the accounts of IMAGECYCLE_CLOUD_PUBLISH / IMAGECYCLE_CLOUD_USAGE, else OS_CLOUD)',
      ),
    series: z.record(
      z.string().regex(SERIES_ID_PATTERN, 'series ids must match ^[a-z0-9][a-z0-9.-]*$'),
      seriesSchema,
    ),
  })
  .superRefine((catalogue, ctx) => {
    if (catalogue.targets === undefined) return;
    const names = Object.keys(catalogue.targets);
    if (names.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['targets'],
        message: 'names no target: leave targets out for the single target of the accounts',
      });
    // Two targets on one Glance would each take the other's images for their own.
    const seen = new Map<string, string>();
    for (const [name, target] of Object.entries(catalogue.targets)) {
      const where = `${target.cloud ?? '(the publish account)'} in ${target.region ?? '(its default region)'}`;
      const other = seen.get(where);
      if (other !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['targets', name],
          message: `publishes to the same cloud and region as target "${other}" (${where})`,
        });
      else seen.set(where, name);
    }
  })
  .describe('imagecycle series catalogue');

export type CatalogueInput = z.input<typeof catalogueSchema>;
export type CatalogueOutput = z.output<typeof catalogueSchema>;
