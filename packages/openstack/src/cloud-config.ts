// Resolves how to reach a cloud, following the OpenStack conventions:
//   OS_CLOUD (or an explicit name) picks an entry of clouds.yaml, merged with secure.yaml;
//   without one, the OS_* variables describe the cloud.
// Files are looked up where openstacksdk looks: OS_CLIENT_CONFIG_FILE, ./clouds.yaml,
// ~/.config/openstack/clouds.yaml, /etc/openstack/clouds.yaml (and secure.yaml beside them,
// or OS_CLIENT_SECURE_FILE).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
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
  /** Where it came from, for messages: `clouds.yaml:mycloud` or `OS_* variables`. */
  source: string;
  auth: Auth;
  regionName: string | undefined;
  interface: Interface;
  /** Verify TLS certificates (on unless the operator turns it off). */
  verify: boolean;
  /** PEM file of extra certificate authorities. */
  cacert: string | undefined;
  /** Endpoints used instead of the catalogue's (`image_endpoint_override`, ...). */
  endpointOverrides: Partial<Record<'image' | 'compute' | 'block-storage', string>>;
}

const str = z.union([z.string(), z.number()]).transform(String);
const bool = z
  .union([z.boolean(), z.enum(['true', 'false', 'True', 'False', '1', '0', 'yes', 'no'])])
  .transform((v) => (typeof v === 'boolean' ? v : ['true', 'True', '1', 'yes'].includes(v)));

const authSection = z.looseObject({
  auth_url: str.optional(),
  username: str.optional(),
  user_id: str.optional(),
  password: str.optional(),
  user_domain_name: str.optional(),
  user_domain_id: str.optional(),
  project_name: str.optional(),
  project_id: str.optional(),
  tenant_name: str.optional(),
  tenant_id: str.optional(),
  project_domain_name: str.optional(),
  project_domain_id: str.optional(),
  domain_name: str.optional(),
  domain_id: str.optional(),
  application_credential_id: str.optional(),
  application_credential_name: str.optional(),
  application_credential_secret: str.optional(),
});

const cloudEntry = z.looseObject({
  auth_type: z.string().optional(),
  auth: authSection.optional(),
  region_name: str.optional(),
  interface: z.enum(['public', 'internal', 'admin']).optional(),
  endpoint_type: z
    .enum(['public', 'internal', 'admin', 'publicURL', 'internalURL', 'adminURL'])
    .optional(),
  verify: bool.optional(),
  insecure: bool.optional(),
  cacert: z.string().optional(),
  identity_api_version: str.optional(),
  image_endpoint_override: z.url().optional(),
  compute_endpoint_override: z.url().optional(),
  block_storage_endpoint_override: z.url().optional(),
});

const cloudsFile = z.object({ clouds: z.record(z.string(), cloudEntry) });

type Entry = z.infer<typeof cloudEntry>;

export interface ResolveOptions {
  /** The cloud name; defaults to OS_CLOUD. */
  cloud?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Overrides the file search (tests). */
  configFiles?: string[];
  cwd?: string;
}

export function resolveCloudConfig(options: ResolveOptions = {}): CloudConfig {
  const env = options.env ?? process.env;
  const cloudName = options.cloud ?? env.OS_CLOUD;
  if (cloudName) return fromCloudsYaml(cloudName, env, options);
  if (env.OS_AUTH_URL) return fromEnv(env);
  throw new CloudConfigError(
    'no cloud configured: set OS_CLOUD to an entry of clouds.yaml, or the OS_* variables (OS_AUTH_URL, ...)',
  );
}

function candidateFiles(env: NodeJS.ProcessEnv, cwd: string): string[] {
  return [
    env.OS_CLIENT_CONFIG_FILE,
    join(cwd, 'clouds.yaml'),
    join(homedir(), '.config', 'openstack', 'clouds.yaml'),
    '/etc/openstack/clouds.yaml',
  ].filter((file): file is string => Boolean(file));
}

function readYaml(file: string): unknown {
  try {
    return parseYaml(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CloudConfigError(`${file}: not readable YAML: ${(error as Error).message}`);
  }
}

function parseCloudsFile(file: string): Record<string, Entry> {
  const result = cloudsFile.safeParse(readYaml(file));
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new CloudConfigError(
      `${file}: ${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return result.data.clouds;
}

function fromCloudsYaml(
  name: string,
  env: NodeJS.ProcessEnv,
  options: ResolveOptions,
): CloudConfig {
  const files = options.configFiles ?? candidateFiles(env, options.cwd ?? process.cwd());
  const file = files.find((candidate) => existsSync(candidate));
  if (!file)
    throw new CloudConfigError(
      `cloud "${name}": no clouds.yaml found (looked at ${files.join(', ')})`,
    );
  const entry = parseCloudsFile(file)[name];
  if (!entry) throw new CloudConfigError(`${file}: has no cloud named "${name}"`);

  const secureFile = env.OS_CLIENT_SECURE_FILE ?? join(dirname(file), 'secure.yaml');
  let merged: Entry = entry;
  if (existsSync(secureFile)) {
    const secure = parseCloudsFile(secureFile)[name];
    if (secure) merged = { ...entry, ...secure, auth: { ...entry.auth, ...secure.auth } };
  }
  return toConfig(merged, `${file}:${name}`);
}

function fromEnv(env: NodeJS.ProcessEnv): CloudConfig {
  const entry: Entry = cloudEntry.parse({
    auth_type: env.OS_AUTH_TYPE,
    auth: {
      auth_url: env.OS_AUTH_URL,
      username: env.OS_USERNAME,
      user_id: env.OS_USER_ID,
      password: env.OS_PASSWORD,
      user_domain_name: env.OS_USER_DOMAIN_NAME,
      user_domain_id: env.OS_USER_DOMAIN_ID,
      project_name: env.OS_PROJECT_NAME ?? env.OS_TENANT_NAME,
      project_id: env.OS_PROJECT_ID ?? env.OS_TENANT_ID,
      project_domain_name: env.OS_PROJECT_DOMAIN_NAME,
      project_domain_id: env.OS_PROJECT_DOMAIN_ID,
      application_credential_id: env.OS_APPLICATION_CREDENTIAL_ID,
      application_credential_name: env.OS_APPLICATION_CREDENTIAL_NAME,
      application_credential_secret: env.OS_APPLICATION_CREDENTIAL_SECRET,
    },
    region_name: env.OS_REGION_NAME,
    interface: env.OS_INTERFACE,
    endpoint_type: env.OS_ENDPOINT_TYPE,
    insecure: env.OS_INSECURE,
    cacert: env.OS_CACERT,
    image_endpoint_override: env.OS_IMAGE_ENDPOINT_OVERRIDE,
    compute_endpoint_override: env.OS_COMPUTE_ENDPOINT_OVERRIDE,
    block_storage_endpoint_override: env.OS_BLOCK_STORAGE_ENDPOINT_OVERRIDE,
  });
  return toConfig(entry, 'OS_* variables');
}

function toConfig(entry: Entry, source: string): CloudConfig {
  const a = entry.auth ?? {};
  const fail = (what: string): never => {
    throw new CloudConfigError(`${source}: ${what}`);
  };
  const authUrl = a.auth_url ?? fail('auth.auth_url is missing');
  const type = (
    entry.auth_type ?? (a.application_credential_secret ? 'v3applicationcredential' : 'password')
  ).toLowerCase();
  const user = {
    username: a.username,
    userId: a.user_id,
    userDomainName: a.user_domain_name ?? a.domain_name,
    userDomainId: a.user_domain_id ?? a.domain_id,
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
      projectName: a.project_name ?? a.tenant_name,
      projectId: a.project_id ?? a.tenant_id,
      projectDomainName: a.project_domain_name ?? a.domain_name,
      projectDomainId: a.project_domain_id ?? a.domain_id,
    };
  } else {
    return fail(
      `auth_type "${entry.auth_type}" is not supported (password, v3applicationcredential)`,
    );
  }
  const endpointType = entry.endpoint_type?.replace(/URL$/, '') as Interface | undefined;
  // `verify: false` and `insecure: true` both turn TLS verification off; nothing else does.
  const verify = entry.insecure === true ? false : (entry.verify ?? true);
  return {
    source,
    auth,
    regionName: entry.region_name,
    interface: entry.interface ?? endpointType ?? 'public',
    verify,
    cacert: entry.cacert,
    endpointOverrides: {
      ...(entry.image_endpoint_override ? { image: entry.image_endpoint_override } : {}),
      ...(entry.compute_endpoint_override ? { compute: entry.compute_endpoint_override } : {}),
      ...(entry.block_storage_endpoint_override
        ? { 'block-storage': entry.block_storage_endpoint_override }
        : {}),
    },
  };
}
