// Resolves how to reach a cloud the way openstacksdk (and so the `openstack` CLI) does:
//   - the first of OS_CLIENT_CONFIG_FILE and clouds.yaml / clouds.yml / clouds.json in the
//     standard folders (see standardConfigDirs) holds the clouds; the first secure.yaml /
//     secure.yml / secure.json of OS_CLIENT_SECURE_FILE and the same folders is deep-merged
//     over it;
//   - OS_CLIENT_CONFIG_FILE (or an explicit name) picks a cloud; without one, the OS_* variables
//     describe the cloud, and without those a file holding exactly one cloud names it;
//   - `regions:` (names or `{name, values}`) or `region_name` list the cloud's regions; the
//     requested one (the option, else OS_REGION_NAME) must be among them, else the first is used;
//   - only the selected cloud is validated, so a broken entry of another cloud is harmless.
// Vendor profiles (`profile:`) are refused rather than ignored: their settings would be missing.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { CloudConfigError } from './errors.ts';

export type Interface = 'public' | 'internal' | 'admin';

export type Auth =
  | {
      type: 'password';
      authUrl: string;
      username?: string | undefined;
      userId?: string | undefined;
      password: string;
      userDomainName?: string | undefined;
      userDomainId?: string | undefined;
      projectName?: string | undefined;
      projectId?: string | undefined;
      projectDomainName?: string | undefined;
      projectDomainId?: string | undefined;
    }
  | {
      type: 'application-credential';
      authUrl: string;
      id?: string | undefined;
      name?: string | undefined;
      secret: string;
      username?: string | undefined;
      userId?: string | undefined;
      userDomainName?: string | undefined;
      userDomainId?: string | undefined;
    };

export interface CloudConfig {
  /** Where it came from, for messages: `/path/clouds.yaml:mycloud` or `OS_* variables`. */
  source: string;
  auth: Auth;
  regionName: string | undefined;
  interface: Interface;
  /** Verify TLS certificates (on unless the operator turns it off). */
  verify: boolean;
  /** PEM file of extra certificate authorities (`~` expanded). */
  cacert: string | undefined;
  /** PEM client certificate for TLS (`cert`, `~` expanded); may hold the key too. */
  clientCert?: string | undefined;
  /** PEM private key of the client certificate (`key`, `~` expanded). */
  clientKey?: string | undefined;
  /** Endpoints used instead of the catalogue's (`image_endpoint_override`, ...). */
  endpointOverrides: Partial<Record<'image' | 'compute' | 'block-storage', string>>;
}

const str = z.union([z.string(), z.number()]).transform(String);
const bool = z
  .union([z.boolean(), z.string().regex(/^(true|false|1|0|yes|no)$/i)])
  .transform((v) => (typeof v === 'boolean' ? v : ['true', '1', 'yes'].includes(v.toLowerCase())));

const authSection = z.looseObject({
  auth_url: str.optional(),
  username: str.optional(),
  user_id: str.optional(),
  password: str.optional(),
  user_domain_name: str.optional(),
  user_domain_id: str.optional(),
  project_name: str.optional(),
  project_id: str.optional(),
  project_domain_name: str.optional(),
  project_domain_id: str.optional(),
  domain_name: str.optional(),
  domain_id: str.optional(),
  default_domain_id: str.optional(),
  default_domain_name: str.optional(),
  application_credential_id: str.optional(),
  application_credential_name: str.optional(),
  application_credential_secret: str.optional(),
});

const cloudEntry = z.looseObject({
  auth_type: z.string().optional(),
  auth: authSection.optional(),
  interface: z.enum(['public', 'internal', 'admin']).optional(),
  verify: bool.optional(),
  insecure: bool.optional(),
  cacert: z.string().optional(),
  cert: z.string().optional(),
  key: z.string().optional(),
  default_domain: str.optional(),
  identity_api_version: str.optional(),
  image_endpoint_override: z.url().optional(),
  compute_endpoint_override: z.url().optional(),
  block_storage_endpoint_override: z.url().optional(),
});

type Entry = z.infer<typeof cloudEntry>;
type Raw = Record<string, unknown>;

export interface ResolveOptions {
  /** The cloud name; defaults to OS_CLOUD. */
  cloud?: string | undefined;
  /** The region; defaults to OS_REGION_NAME, then the cloud's first region. */
  region?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Replaces the clouds-file search (tests). */
  configFiles?: string[];
  /** Replaces the secure-file search (tests). */
  secureFiles?: string[];
  cwd?: string;
}

// ---------------------------------------------------------------------------------------------
// Where the files are

/**
 * The folders searched for clouds.* and secure.*, in openstacksdk's order: the working
 * directory, the user's config folder ($XDG_CONFIG_HOME/openstack, then ~/.config/openstack),
 * the site's ($XDG_CONFIG_DIRS or /etc/xdg, then /etc/openstack).
 */
export function standardConfigDirs(env: NodeJS.ProcessEnv, cwd: string): string[] {
  const home = env.HOME || homedir();
  const xdgHome = env.XDG_CONFIG_HOME?.trim() || join(home, '.config');
  const unixHome = env.SNAP_REAL_HOME ? join(env.SNAP_REAL_HOME, '.config') : join(home, '.config');
  const xdgDirs = (env.XDG_CONFIG_DIRS?.trim() || '/etc/xdg').split(':').filter(Boolean);
  const dirs = [
    cwd,
    join(xdgHome, 'openstack'),
    join(unixHome, 'openstack'),
    ...xdgDirs.map((dir) => join(dir, 'openstack')),
    '/etc/openstack',
  ];
  return [...new Set(dirs)];
}

const SUFFIXES = ['.yaml', '.yml', '.json'] as const;

function searchList(
  stem: 'clouds' | 'secure',
  override: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
): string[] {
  const files = standardConfigDirs(env, cwd).flatMap((dir) =>
    SUFFIXES.map((suffix) => join(dir, `${stem}${suffix}`)),
  );
  return override ? [override, ...files] : files;
}

/** The first file of `files` that exists and can be read, parsed; undefined when none. */
function loadFirst(files: readonly string[]): { file: string; data: Raw } | undefined {
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Missing or not ours to read: openstacksdk goes on to the next candidate.
      if (code === 'ENOENT' || code === 'EACCES' || code === 'ENOTDIR' || code === 'EISDIR')
        continue;
      throw new CloudConfigError(`${file}: cannot be read (${code ?? 'error'})`);
    }
    const data = parseText(file, text);
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new CloudConfigError(`${file}: is empty or not a mapping (it needs a "clouds:" key)`);
    }
    return { file, data: data as Raw };
  }
  return undefined;
}

// The parsers' own messages quote the offending text, which may be a password: only the
// position is reported.
function parseText(file: string, text: string): unknown {
  if (file.endsWith('json')) {
    try {
      return JSON.parse(text);
    } catch (error) {
      const at = /position (\d+)/.exec((error as Error).message)?.[1];
      throw new CloudConfigError(
        `${file}: not valid JSON${at === undefined ? '' : ` (at character ${at})`}`,
      );
    }
  }
  try {
    return parseYaml(text);
  } catch (error) {
    const where =
      error instanceof YAMLParseError && error.linePos
        ? ` (${error.code} at line ${error.linePos[0].line}, column ${error.linePos[0].col})`
        : '';
    throw new CloudConfigError(`${file}: not valid YAML${where}`);
  }
}

/** openstacksdk's merge: mappings merge key by key, at any depth; anything else replaces. */
function deepMerge(base: Raw, over: Raw): Raw {
  const out: Raw = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const old = out[key];
    out[key] = isMapping(value) && isMapping(old) ? deepMerge(old, value) : value;
  }
  return out;
}

function isMapping(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `~` and `~/...` as the user's home, as os.path.expanduser does. */
function expandHome(path: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (path === undefined || path === '') return undefined;
  if (path === '~' || path.startsWith('~/')) return join(env.HOME || homedir(), path.slice(1));
  return path;
}

// ---------------------------------------------------------------------------------------------
// Choosing the cloud

const ENV_SELECTORS = new Set([
  'OS_CLOUD',
  'OS_REGION_NAME',
  'OS_CLIENT_CONFIG_FILE',
  'OS_CLIENT_SECURE_FILE',
  'OS_CLOUD_NAME',
]);

/** The cloud the OS_* variables describe (as openstacksdk reads them), or undefined. */
function envCloud(env: NodeJS.ProcessEnv): Raw | undefined {
  const keys = Object.keys(env).filter(
    (key) =>
      key.startsWith('OS_') &&
      !key.startsWith('OS_TEST') &&
      !key.startsWith('OS_STD') &&
      !key.startsWith('OS_LOG') &&
      env[key] !== undefined,
  );
  if (!keys.some((key) => !ENV_SELECTORS.has(key))) return undefined;
  const entry: Raw = {};
  for (const key of keys) {
    // The selectors choose a cloud; only the region is also a setting of it.
    if (ENV_SELECTORS.has(key) && key !== 'OS_REGION_NAME') continue;
    entry[key.slice(3).toLowerCase()] = env[key];
  }
  return entry;
}

export function resolveCloudConfig(options: ResolveOptions = {}): CloudConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const configFiles =
    options.configFiles ?? searchList('clouds', env.OS_CLIENT_CONFIG_FILE || undefined, env, cwd);
  const secureFiles =
    options.secureFiles ?? searchList('secure', env.OS_CLIENT_SECURE_FILE || undefined, env, cwd);

  const main = loadFirst(configFiles);
  const secure = loadFirst(secureFiles);
  const doc = secure ? deepMerge(main?.data ?? {}, secure.data) : (main?.data ?? {});
  const where = main?.file ?? secure?.file ?? 'clouds.yaml';
  const clouds = doc.clouds ?? {};
  if (!isMapping(clouds)) throw new CloudConfigError(`${where}: "clouds" is not a mapping`);

  const envKey = env.OS_CLOUD_NAME || 'envvars';
  const fromEnv = envCloud(env);
  const requested = options.cloud ?? (env.OS_CLOUD || undefined);
  const region = options.region ?? (env.OS_REGION_NAME || undefined);

  if (
    requested === undefined ||
    (requested === envKey && fromEnv && !Object.hasOwn(clouds, envKey))
  ) {
    if (fromEnv) return toConfig(fromEnv, 'OS_* variables', 'OS_* variables', region, env);
    const names = Object.keys(clouds);
    const only = names.length === 1 ? names[0] : undefined;
    if (only !== undefined) return toConfig(clouds[only], `${where}:${only}`, only, region, env);
    throw new CloudConfigError(
      'no cloud configured: set OS_CLOUD to an entry of clouds.yaml' +
        (names.length ? ` (${where} has ${names.join(', ')})` : '') +
        ', or the OS_* variables (OS_AUTH_URL, ...)',
    );
  }
  if (!main && !secure) {
    throw new CloudConfigError(
      `cloud "${requested}": no clouds.yaml found (looked at ${configFiles.join(', ')})`,
    );
  }
  if (!Object.hasOwn(clouds, requested)) {
    const names = Object.keys(clouds);
    throw new CloudConfigError(
      `${where}: has no cloud named "${requested}"` +
        (names.length ? ` (it has ${names.join(', ')})` : ''),
    );
  }
  return toConfig(clouds[requested], `${where}:${requested}`, requested, region, env);
}

// ---------------------------------------------------------------------------------------------
// Turning the selected entry into a CloudConfig

interface Region {
  name: string;
  values: Raw;
}

function knownRegions(entry: Raw, source: string): Region[] {
  if (entry.regions !== undefined) {
    if (!Array.isArray(entry.regions))
      throw new CloudConfigError(`${source}: regions must be a list`);
    return entry.regions.map((region, index): Region => {
      if (typeof region === 'string' || typeof region === 'number')
        return { name: String(region), values: {} };
      const keys = isMapping(region) ? Object.keys(region) : [];
      if (
        !isMapping(region) ||
        typeof region.name !== 'string' ||
        keys.some((key) => key !== 'name' && key !== 'values') ||
        (region.values !== undefined && !isMapping(region.values))
      ) {
        throw new CloudConfigError(
          `${source}: regions[${index}] must be a name or {name, values} (with only those keys)`,
        );
      }
      return { name: region.name, values: isMapping(region.values) ? region.values : {} };
    });
  }
  const named = entry.region_name;
  if (named === undefined || named === null || named === '') return [];
  const scalar = (value: unknown, where: string): string => {
    if (typeof value === 'string' || typeof value === 'number') return String(value);
    throw new CloudConfigError(`${source}: ${where} must be a region name`);
  };
  // A list, or (deprecated in openstacksdk, still read) names separated by commas.
  const names = Array.isArray(named)
    ? named.map((name, index) => scalar(name, `region_name[${index}]`))
    : scalar(named, 'region_name').split(',');
  return names.map((name) => ({ name: name.trim(), values: {} }));
}

function selectRegion(
  entry: Raw,
  source: string,
  cloudName: string,
  requested: string | undefined,
): Region | undefined {
  const regions = knownRegions(entry, source);
  if (requested === undefined) return regions[0];
  if (regions.length === 0) return { name: requested, values: {} };
  const found = regions.find((region) => region.name === requested);
  if (found) return found;
  throw new CloudConfigError(
    `${source}: region "${requested}" is not a region of cloud "${cloudName}" ` +
      `(its regions: ${regions.map((r) => r.name).join(', ')}; names are case sensitive)`,
  );
}

// Keys that belong in `auth:` but may be written beside it. For the first group a value
// outside `auth:` wins (openstacksdk: it may be an environment override); for the rest the
// value inside `auth:` wins.
const OUTSIDE_WINS = [
  ['domain_id'],
  ['domain_name'],
  ['user_domain_id'],
  ['user_domain_name'],
  ['project_domain_id'],
  ['project_domain_name'],
  ['project_id', 'tenant_id'],
  ['project_name', 'tenant_name'],
] as const;
const INSIDE_WINS = [
  'auth_url',
  'username',
  'user_id',
  'password',
  'default_domain_id',
  'default_domain_name',
  'application_credential_id',
  'application_credential_name',
  'application_credential_secret',
] as const;

/** openstacksdk's fix-ups: `-` as `_`, auth keys into `auth:`, old names to new ones. */
function normalize(input: Raw): Raw {
  const entry: Raw = {};
  for (const [key, value] of Object.entries(input)) {
    entry[key.replaceAll('-', '_')] = value;
  }
  const auth: Raw = {};
  if (isMapping(entry.auth)) {
    for (const [key, value] of Object.entries(entry.auth)) auth[key.replaceAll('-', '_')] = value;
  }
  for (const [target, ...aliases] of OUTSIDE_WINS) {
    let value: unknown;
    for (const key of [...aliases, target]) {
      if (auth[key] !== undefined) value = auth[key];
      if (key !== target) delete auth[key];
    }
    for (const key of [...aliases, target]) {
      if (entry[key] !== undefined) value = entry[key];
      delete entry[key];
    }
    if (value !== undefined && value !== '') auth[target] = value;
  }
  for (const key of INSIDE_WINS) {
    if (auth[key] === undefined && entry[key] !== undefined) auth[key] = entry[key];
    delete entry[key];
  }
  entry.auth = auth;
  // auth_plugin is the old name of auth_type; auth_type wins.
  if (entry.auth_type === undefined && entry.auth_plugin !== undefined)
    entry.auth_type = entry.auth_plugin;
  if (entry.interface === undefined && typeof entry.endpoint_type === 'string')
    entry.interface = entry.endpoint_type.replace(/URL$/, '');
  return entry;
}

/**
 * Domains the way openstacksdk and the CLI fill them in: `domain_id`/`domain_name` stand for
 * both the user's and the project's domain when the cloud is project-scoped; `default_domain`
 * (OS_DEFAULT_DOMAIN, an id) and keystoneauth's `default_domain_id`/`default_domain_name` fill
 * whichever of them is still unset.
 */
function fillDomains(auth: NonNullable<Entry['auth']>, defaultDomain: string | undefined): void {
  const unset = (kind: 'user' | 'project') =>
    !auth[`${kind}_domain_id`] && !auth[`${kind}_domain_name`];
  const scoped = Boolean(auth.project_id || auth.project_name);
  const fills: [string | undefined, 'id' | 'name'][] = [
    [scoped ? auth.domain_id : undefined, 'id'],
    [scoped ? auth.domain_name : undefined, 'name'],
    [defaultDomain, 'id'],
    [auth.default_domain_id, 'id'],
    [auth.default_domain_name, 'name'],
  ];
  for (const kind of ['user', 'project'] as const) {
    for (const [value, as] of fills) {
      if (value && unset(kind)) auth[`${kind}_domain_${as}`] = value;
    }
  }
}

function toConfig(
  raw: unknown,
  source: string,
  cloudName: string,
  requestedRegion: string | undefined,
  env: NodeJS.ProcessEnv,
): CloudConfig {
  const fail = (what: string): never => {
    throw new CloudConfigError(`${source}: ${what}`);
  };
  if (!isMapping(raw)) return fail('the cloud entry is not a mapping');
  const profile = raw.profile ?? raw.cloud;
  if (profile !== undefined) {
    fail(
      `${raw.profile !== undefined ? 'profile' : 'cloud'} ${JSON.stringify(profile)} names a vendor ` +
        'profile, which imagecycle does not load: write its auth_url, region_name and ' +
        `interface into the entry of cloud "${cloudName}" instead`,
    );
  }
  const region = selectRegion(raw, source, cloudName, requestedRegion);
  let merged: Raw = { ...raw };
  delete merged.regions;
  if (region) {
    merged = deepMerge(merged, region.values);
    merged.region_name = region.name;
  }
  const normalized = normalize(merged);
  const parsed = cloudEntry.safeParse(normalized);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`${issue?.path.join('.') || '(the entry)'}: ${issue?.message ?? 'invalid'}`);
  }
  const entry = parsed.data;
  const a = entry.auth ?? {};
  fillDomains(a, entry.default_domain);

  const authUrl = a.auth_url ?? fail('auth.auth_url is missing');
  const type = (
    entry.auth_type ?? (a.application_credential_secret ? 'v3applicationcredential' : 'password')
  ).toLowerCase();
  const user = {
    username: a.username,
    userId: a.user_id,
    userDomainName: a.user_domain_name,
    userDomainId: a.user_domain_id,
  };
  let auth: Auth;
  if (
    type === 'v3applicationcredential' ||
    type === 'applicationcredential' ||
    type === 'v3applicationcredentials'
  ) {
    if (
      !a.application_credential_id &&
      !(a.application_credential_name && (a.username || a.user_id))
    ) {
      fail(
        'application-credential auth needs auth.application_credential_id, or a name with the user',
      );
    }
    auth = {
      type: 'application-credential',
      authUrl,
      id: a.application_credential_id,
      name: a.application_credential_name,
      secret:
        a.application_credential_secret ?? fail('auth.application_credential_secret is missing'),
      ...user,
    };
  } else if (type === 'password' || type === 'v3password') {
    if (!a.username && !a.user_id) fail('password auth needs auth.username or auth.user_id');
    auth = {
      type: 'password',
      authUrl,
      password: a.password ?? fail('auth.password is missing'),
      ...user,
      projectName: a.project_name,
      projectId: a.project_id,
      projectDomainName: a.project_domain_name,
      projectDomainId: a.project_domain_id,
    };
  } else {
    return fail(
      `auth_type "${entry.auth_type}" is not supported (password, v3applicationcredential)`,
    );
  }
  // `verify: false` and `insecure: true` both turn TLS verification off; nothing else does.
  const verify = entry.insecure === true ? false : (entry.verify ?? true);
  const regionName = typeof normalized.region_name === 'string' ? normalized.region_name : '';
  return {
    source,
    auth,
    regionName: regionName || undefined,
    interface: entry.interface ?? 'public',
    verify,
    cacert: expandHome(entry.cacert, env),
    clientCert: expandHome(entry.cert, env),
    clientKey: expandHome(entry.key, env),
    endpointOverrides: {
      ...(entry.image_endpoint_override ? { image: entry.image_endpoint_override } : {}),
      ...(entry.compute_endpoint_override ? { compute: entry.compute_endpoint_override } : {}),
      ...(entry.block_storage_endpoint_override
        ? { 'block-storage': entry.block_storage_endpoint_override }
        : {}),
    },
  };
}
