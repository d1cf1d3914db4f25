// clouds.yaml the way openstacksdk reads it, on real files in temporary folders: which file
// wins, secure.* merged from any standard folder, regions, OS_* variables and their domain
// defaults, `~` in TLS paths, vendor profiles refused, and no secret in any message.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CloudConfigError, resolveCloudConfig, standardConfigDirs } from '../src/index.ts';

/** A temporary folder holding `files` (relative path -> text); returns its path. */
function tree(files: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'clouds-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** A working directory and a home, both empty unless given files: the search sees only them. */
function place(cwdFiles: Record<string, string>, homeFiles: Record<string, string> = {}) {
  const cwd = tree(cwdFiles);
  const home = tree(homeFiles);
  return { cwd, home, env: { HOME: home } as NodeJS.ProcessEnv };
}

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

// A clouds.yaml as operators write them (openstacksdk's documented shape): password and
// application-credential clouds, a `regions:` list of names and of {name, values}, top-level
// settings (interface, TLS, API versions, endpoint overrides) beside `auth:`.
const clouds = `
clouds:
  prod:
    auth:
      auth_url: https://keystone.example:5000
      username: imagecycle
      project_name: images
      user_domain_name: Default
      project_domain_name: Default
    region_name: RegionTwo
    interface: internal
    cacert: /etc/ssl/our-ca.pem
    identity_api_version: 3
    image_api_version: 2
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.example:5000/v3
      application_credential_id: abc123
      application_credential_secret: s3cr3t-value
  lax:
    verify: false
    auth: { auth_url: http://k:5000, username: u, password: p1234 }
  multi:
    auth:
      auth_url: https://keystone.multi.example:5000/v3
      username: imagecycle
      password: multi-pass-77
      project_name: images
      user_domain_name: Default
      project_domain_name: Default
    identity_api_version: 3
    interface: public
    regions:
      - ams1
      - name: fra1
        values:
          interface: internal
          image_endpoint_override: https://glance.fra1.example:9292
          auth:
            project_name: images-fra
      - name: lon1
`;

describe('which clouds file is read', () => {
  it('searches the standard folders in openstacksdk order: cwd, user config, site config, /etc/openstack', () => {
    expect(standardConfigDirs({ HOME: '/home/op' }, '/srv/work')).toEqual([
      '/srv/work',
      '/home/op/.config/openstack',
      '/etc/xdg/openstack',
      '/etc/openstack',
    ]);
    expect(
      standardConfigDirs(
        { HOME: '/home/op', XDG_CONFIG_HOME: '/xdg/home', XDG_CONFIG_DIRS: '/xdg/site' },
        '/srv/work',
      ),
    ).toEqual([
      '/srv/work',
      '/xdg/home/openstack',
      '/home/op/.config/openstack',
      '/xdg/site/openstack',
      '/etc/openstack',
    ]);
  });

  const entry = (url: string) =>
    `clouds:\n  c:\n    auth: { auth_url: ${url}, username: u, password: pw-12345 }\n`;
  const json = (url: string) =>
    JSON.stringify({ clouds: { c: { auth: { auth_url: url, username: 'u', password: 'pw' } } } });

  it('takes the working directory before ~/.config/openstack, and clouds.yaml before .yml before .json', () => {
    const both = place(
      { 'clouds.yml': entry('http://cwd-yml') },
      { '.config/openstack/clouds.yaml': entry('http://home-yaml') },
    );
    expect(resolveCloudConfig({ cloud: 'c', cwd: both.cwd, env: both.env }).auth.authUrl).toBe(
      'http://cwd-yml',
    );

    const suffixes = place({
      'clouds.yaml': entry('http://cwd-yaml'),
      'clouds.yml': entry('http://cwd-yml'),
      'clouds.json': json('http://cwd-json'),
    });
    expect(
      resolveCloudConfig({ cloud: 'c', cwd: suffixes.cwd, env: suffixes.env }).auth.authUrl,
    ).toBe('http://cwd-yaml');

    const onlyJson = place({}, { '.config/openstack/clouds.json': json('http://home-json') });
    const config = resolveCloudConfig({ cloud: 'c', cwd: onlyJson.cwd, env: onlyJson.env });
    expect(config.auth.authUrl).toBe('http://home-json');
    expect(config.source).toBe(`${join(onlyJson.home, '.config/openstack/clouds.json')}:c`);
  });

  it('puts OS_CLIENT_CONFIG_FILE before every folder, and XDG_CONFIG_HOME before ~/.config', () => {
    const { cwd, home, env } = place(
      { 'clouds.yaml': entry('http://cwd') },
      {
        'elsewhere/mine.yaml': entry('http://override'),
        'xdg/openstack/clouds.yaml': entry('http://xdg'),
        '.config/openstack/clouds.yaml': entry('http://home'),
      },
    );
    expect(
      resolveCloudConfig({
        cloud: 'c',
        cwd,
        env: { ...env, OS_CLIENT_CONFIG_FILE: join(home, 'elsewhere/mine.yaml') },
      }).auth.authUrl,
    ).toBe('http://override');
    const empty = tree();
    expect(
      resolveCloudConfig({
        cloud: 'c',
        cwd: empty,
        env: { ...env, XDG_CONFIG_HOME: join(home, 'xdg') },
      }).auth.authUrl,
    ).toBe('http://xdg');
    expect(resolveCloudConfig({ cloud: 'c', cwd: empty, env }).auth.authUrl).toBe('http://home');
  });

  it('uses the only cloud of the file when neither OS_CLOUD nor OS_* variables name one', () => {
    const one = place({ 'clouds.yaml': entry('http://only') });
    expect(resolveCloudConfig({ cwd: one.cwd, env: one.env }).source).toBe(
      `${join(one.cwd, 'clouds.yaml')}:c`,
    );
    const many = place({ 'clouds.yaml': clouds });
    expect(() => resolveCloudConfig({ cwd: many.cwd, env: many.env })).toThrow(
      /no cloud configured: set OS_CLOUD .*\(.*clouds\.yaml has prod, appcred, lax, multi\)/,
    );
  });
});

describe('secure.yaml', () => {
  it('is found in any standard folder, not only beside clouds.yaml, and deep-merged into the entry', () => {
    const { cwd, env } = place(
      { 'clouds.yaml': clouds },
      {
        '.config/openstack/secure.yml':
          'clouds:\n  prod:\n    auth:\n      password: from-secure\n    regions: [RegionTwo, RegionThree]\n',
      },
    );
    const config = resolveCloudConfig({ cloud: 'prod', cwd, env });
    expect(config.auth).toEqual({
      type: 'password',
      authUrl: 'https://keystone.example:5000',
      username: 'imagecycle',
      userId: undefined,
      password: 'from-secure',
      projectName: 'images',
      projectId: undefined,
      userDomainName: 'Default',
      userDomainId: undefined,
      projectDomainName: 'Default',
      projectDomainId: undefined,
    });
    expect(config.regionName).toBe('RegionTwo');
    expect(config.interface).toBe('internal');
    expect(config.cacert).toBe('/etc/ssl/our-ca.pem');
    expect(config.verify).toBe(true);
    expect(config.source).toBe(`${join(cwd, 'clouds.yaml')}:prod`);
    // the secure file's regions list replaced region_name's single region
    expect(resolveCloudConfig({ cloud: 'prod', cwd, env, region: 'RegionThree' }).regionName).toBe(
      'RegionThree',
    );
  });

  it('takes OS_CLIENT_SECURE_FILE first, and reads secure.json', () => {
    const { cwd, home, env } = place(
      {
        'clouds.yaml': 'clouds:\n  c:\n    auth: { auth_url: http://k:5000/v3, username: u }\n',
        'secure.json': JSON.stringify({ clouds: { c: { auth: { password: 'from-json' } } } }),
      },
      { 'vault/secret.yaml': 'clouds:\n  c:\n    auth: { password: from-override }\n' },
    );
    const pw = (e: NodeJS.ProcessEnv) => {
      const auth = resolveCloudConfig({ cloud: 'c', cwd, env: e }).auth;
      return auth.type === 'password' ? auth.password : undefined;
    };
    expect(pw(env)).toBe('from-json');
    expect(pw({ ...env, OS_CLIENT_SECURE_FILE: join(home, 'vault/secret.yaml') })).toBe(
      'from-override',
    );
  });
});

describe('regions', () => {
  const { cwd, env } = place({ 'clouds.yaml': clouds });

  it('uses the first region of the list unless one is asked for', () => {
    const config = resolveCloudConfig({ cloud: 'multi', cwd, env });
    expect(config.regionName).toBe('ams1');
    expect(config.interface).toBe('public');
    expect(config.endpointOverrides).toEqual({});
  });

  it('applies the chosen region: its name and the values it overrides, from the option or OS_REGION_NAME', () => {
    const fra = resolveCloudConfig({
      cloud: 'multi',
      cwd,
      env: { ...env, OS_REGION_NAME: 'fra1' },
    });
    expect(fra.regionName).toBe('fra1');
    expect(fra.interface).toBe('internal');
    expect(fra.endpointOverrides).toEqual({ image: 'https://glance.fra1.example:9292' });
    expect(fra.auth).toMatchObject({
      projectName: 'images-fra',
      username: 'imagecycle',
      password: 'multi-pass-77',
    });
    const lon = resolveCloudConfig({
      cloud: 'multi',
      region: 'lon1',
      cwd,
      env: { ...env, OS_REGION_NAME: 'fra1' },
    });
    expect(lon.regionName).toBe('lon1');
    expect(lon.auth).toMatchObject({ projectName: 'images' });
  });

  it('refuses a region the cloud does not list, naming the cloud and its regions', () => {
    const error = errorOf(() =>
      resolveCloudConfig({ cloud: 'multi', cwd, env: { ...env, OS_REGION_NAME: 'FRA1' } }),
    );
    expect(error).toBeInstanceOf(CloudConfigError);
    expect(error.message).toBe(
      `${join(cwd, 'clouds.yaml')}:multi: region "FRA1" is not a region of cloud "multi" ` +
        '(its regions: ams1, fra1, lon1; names are case sensitive)',
    );
    expect(error.message).not.toContain('multi-pass-77');
    // a single region_name is the cloud's only region
    expect(() => resolveCloudConfig({ cloud: 'prod', cwd, env, region: 'RegionOne' })).toThrow(
      /region "RegionOne" is not a region of cloud "prod" \(its regions: RegionTwo;/,
    );
    // a cloud that names no region takes the one asked for
    expect(resolveCloudConfig({ cloud: 'lax', cwd, env, region: 'Anywhere' }).regionName).toBe(
      'Anywhere',
    );
    expect(resolveCloudConfig({ cloud: 'lax', cwd, env }).regionName).toBeUndefined();
  });

  it('refuses a malformed region entry', () => {
    const bad = place({
      'clouds.yaml':
        'clouds:\n  r:\n    auth: { auth_url: http://k, username: u, password: pw-9876 }\n    regions:\n      - { name: a, valuez: {} }\n',
    });
    expect(() => resolveCloudConfig({ cloud: 'r', cwd: bad.cwd, env: bad.env })).toThrow(
      /:r: regions\[0\] must be a name or \{name, values\}/,
    );
  });
});

describe('validation', () => {
  it('validates only the selected cloud: a broken neighbour does not matter', () => {
    const { cwd, env } = place({
      'clouds.yaml': `${clouds}  broken:\n    auth: 17\n    interface: sideways\n    regions: nope\n`,
    });
    expect(resolveCloudConfig({ cloud: 'lax', cwd, env }).verify).toBe(false);
    expect(resolveCloudConfig({ cloud: 'multi', cwd, env }).regionName).toBe('ams1');
    expect(() => resolveCloudConfig({ cloud: 'broken', cwd, env })).toThrow(
      `${join(cwd, 'clouds.yaml')}:broken: regions must be a list`,
    );
    const other = place({
      'clouds.yaml': `${clouds}  broken:\n    auth: { auth_url: 17 }\n    interface: sideways\n`,
    });
    expect(() => resolveCloudConfig({ cloud: 'broken', cwd: other.cwd, env: other.env })).toThrow(
      /:broken: interface: Invalid option/,
    );
  });

  it('names the file and the cloud when something is wrong', () => {
    const { cwd, env } = place({ 'clouds.yaml': clouds });
    const file = join(cwd, 'clouds.yaml');
    expect(() => resolveCloudConfig({ cloud: 'nope', cwd, env })).toThrow(
      `${file}: has no cloud named "nope" (it has prod, appcred, lax, multi)`,
    );
    const at = (text: string) => {
      const p = place({ 'clouds.yaml': text });
      return [p.cwd, p.env, join(p.cwd, 'clouds.yaml')] as const;
    };
    const [c1, e1, f1] = at('clouds:\n  x:\n    auth:\n      username: u\n');
    expect(() => resolveCloudConfig({ cloud: 'x', cwd: c1, env: e1 })).toThrow(
      `${f1}:x: auth.auth_url is missing`,
    );
    const [c2, e2] = at('clouds:\n  x:\n    auth: { auth_url: http://k, username: u }\n');
    expect(() => resolveCloudConfig({ cloud: 'x', cwd: c2, env: e2 })).toThrow(
      /auth.password is missing/,
    );
    const [c3, e3, f3] = at('- just\n- a list\n');
    expect(() => resolveCloudConfig({ cloud: 'x', cwd: c3, env: e3 })).toThrow(
      `${f3}: is empty or not a mapping`,
    );
    const empty = tree();
    expect(() => resolveCloudConfig({ env: { HOME: empty }, cwd: empty })).toThrow(
      /no cloud configured/,
    );
    expect(() => resolveCloudConfig({ cloud: 'x', env: { HOME: empty }, cwd: empty })).toThrow(
      /cloud "x": no clouds.yaml found \(looked at .*clouds\.yaml, .*clouds\.yml, .*clouds\.json/,
    );
  });

  it('keeps the secret out of a parse error, giving only where it is', () => {
    const yaml = place({
      'clouds.yaml': 'clouds:\n  x:\n    auth:\n      password: "hunter2-secret\n      user: u\n',
    });
    const yamlError = errorOf(() =>
      resolveCloudConfig({ cloud: 'x', cwd: yaml.cwd, env: yaml.env }),
    );
    expect(yamlError).toBeInstanceOf(CloudConfigError);
    expect(yamlError.message).toMatch(
      /clouds\.yaml: not valid YAML \(\w+ at line \d+, column \d+\)$/,
    );
    expect(yamlError.message).not.toContain('hunter2');

    const json = place({
      'clouds.json': '{"clouds": {"x": {"auth": {"password": hunter2-secret}}}}',
    });
    const jsonError = errorOf(() =>
      resolveCloudConfig({ cloud: 'x', cwd: json.cwd, env: json.env }),
    );
    expect(jsonError.message).toMatch(/clouds\.json: not valid JSON( \(at character \d+\))?$/);
    expect(jsonError.message).not.toContain('hunter2');
  });

  it('refuses a vendor profile, naming the cloud, instead of ignoring it', () => {
    const { cwd, env } = place({
      'clouds.yaml':
        'clouds:\n  vexx:\n    profile: vexxhost\n    auth: { username: u, password: pw-5555, project_name: p }\n    region_name: ca-ymq-1\n  old:\n    cloud: rackspace\n    auth: { username: u, password: pw-5555 }\n',
    });
    const error = errorOf(() => resolveCloudConfig({ cloud: 'vexx', cwd, env }));
    expect(error).toBeInstanceOf(CloudConfigError);
    expect(error.message).toBe(
      `${join(cwd, 'clouds.yaml')}:vexx: profile "vexxhost" names a vendor profile, which ` +
        'imagecycle does not load: write its auth_url, region_name and interface into the ' +
        'entry of cloud "vexx" instead',
    );
    expect(error.message).not.toContain('pw-5555');
    expect(() => resolveCloudConfig({ cloud: 'old', cwd, env })).toThrow(
      /:old: cloud "rackspace" names a vendor profile/,
    );
  });
});

describe('credentials and TLS settings', () => {
  it('takes OS_CLOUD when no name is given, and reads application credentials', () => {
    const { cwd, env } = place({ 'clouds.yaml': clouds });
    const config = resolveCloudConfig({ cwd, env: { ...env, OS_CLOUD: 'appcred' } });
    expect(config.auth).toEqual(
      expect.objectContaining({
        type: 'application-credential',
        id: 'abc123',
        secret: 's3cr3t-value',
      }),
    );
  });

  it('turns TLS verification off only when the cloud says so', () => {
    const { cwd, env } = place({ 'clouds.yaml': clouds });
    expect(resolveCloudConfig({ cloud: 'lax', cwd, env }).verify).toBe(false);
    expect(resolveCloudConfig({ cloud: 'multi', cwd, env }).verify).toBe(true);
  });

  it('expands ~ in cacert, cert and key', () => {
    const { cwd, home, env } = place({
      'clouds.yaml':
        'clouds:\n  tls:\n    auth: { auth_url: https://k:5000/v3, username: u, password: pw-4242 }\n    cacert: ~/pki/ca.pem\n    cert: ~/pki/client.crt\n    key: ~/pki/client.key\n',
    });
    const config = resolveCloudConfig({ cloud: 'tls', cwd, env });
    expect(config.cacert).toBe(join(home, 'pki/ca.pem'));
    expect(config.clientCert).toBe(join(home, 'pki/client.crt'));
    expect(config.clientKey).toBe(join(home, 'pki/client.key'));
  });

  it('builds a cloud from OS_* variables', () => {
    const empty = tree();
    const config = resolveCloudConfig({
      cwd: empty,
      env: {
        HOME: empty,
        OS_AUTH_URL: 'http://127.0.0.1:5000/v3',
        OS_USERNAME: 'demo',
        OS_PASSWORD: 'demopass',
        OS_PROJECT_NAME: 'demo',
        OS_USER_DOMAIN_ID: 'default',
        OS_PROJECT_DOMAIN_ID: 'default',
        OS_REGION_NAME: 'RegionOne',
        OS_ENDPOINT_TYPE: 'internalURL',
        OS_INSECURE: 'true',
        OS_CERT: '~/client.pem',
        OS_IMAGE_ENDPOINT_OVERRIDE: 'http://127.0.0.1:9292',
      },
    });
    expect(config.source).toBe('OS_* variables');
    expect(config.auth).toMatchObject({
      type: 'password',
      username: 'demo',
      projectName: 'demo',
      userDomainId: 'default',
      projectDomainId: 'default',
    });
    expect(config.regionName).toBe('RegionOne');
    expect(config.interface).toBe('internal');
    expect(config.verify).toBe(false);
    expect(config.clientCert).toBe(join(empty, 'client.pem'));
    expect(config.endpointOverrides).toEqual({ image: 'http://127.0.0.1:9292' });
  });

  it('fills the user and project domain from OS_DEFAULT_DOMAIN only where they are unset', () => {
    const empty = tree();
    const base = {
      HOME: empty,
      OS_AUTH_URL: 'http://127.0.0.1:5000/v3',
      OS_USERNAME: 'demo',
      OS_PASSWORD: 'demopass',
      OS_PROJECT_NAME: 'demo',
    };
    const both = resolveCloudConfig({ cwd: empty, env: { ...base, OS_DEFAULT_DOMAIN: 'dom-1' } });
    expect(both.auth).toMatchObject({ userDomainId: 'dom-1', projectDomainId: 'dom-1' });

    const userSet = resolveCloudConfig({
      cwd: empty,
      env: { ...base, OS_DEFAULT_DOMAIN: 'dom-1', OS_USER_DOMAIN_NAME: 'Users' },
    });
    expect(userSet.auth).toMatchObject({ userDomainName: 'Users', projectDomainId: 'dom-1' });
    expect(userSet.auth.userDomainId).toBeUndefined();

    const projectSet = resolveCloudConfig({
      cwd: empty,
      env: { ...base, OS_DEFAULT_DOMAIN: 'dom-1', OS_PROJECT_DOMAIN_NAME: 'Projects' },
    });
    expect(projectSet.auth).toMatchObject({ userDomainId: 'dom-1', projectDomainName: 'Projects' });
    expect(projectSet.auth.type === 'password' && projectSet.auth.projectDomainId).toBeFalsy();

    // keystoneauth's default_domain_name, and domain_name standing for both domains
    const byName = resolveCloudConfig({
      cwd: empty,
      env: { ...base, OS_DEFAULT_DOMAIN_NAME: 'Shared' },
    });
    expect(byName.auth).toMatchObject({ userDomainName: 'Shared', projectDomainName: 'Shared' });
    const domainName = resolveCloudConfig({
      cwd: empty,
      env: { ...base, OS_DOMAIN_NAME: 'Both', OS_DEFAULT_DOMAIN: 'ignored' },
    });
    expect(domainName.auth).toMatchObject({ userDomainName: 'Both', projectDomainName: 'Both' });
  });

  it('reads default_domain and domain settings written beside auth: in clouds.yaml', () => {
    const { cwd, env } = place({
      'clouds.yaml':
        'clouds:\n  d:\n    default_domain: dom-2\n    project_domain_name: Outside\n    auth:\n      auth_url: http://k:5000/v3\n      username: u\n      password: pw-3131\n      project_name: p\n      project_domain_name: Inside\n',
    });
    expect(resolveCloudConfig({ cloud: 'd', cwd, env }).auth).toMatchObject({
      userDomainId: 'dom-2',
      projectDomainName: 'Outside',
    });
  });

  it('does not mix OS_* credentials into a cloud chosen by OS_CLOUD', () => {
    const { cwd, env } = place({ 'clouds.yaml': clouds });
    const config = resolveCloudConfig({
      cwd,
      env: { ...env, OS_CLOUD: 'lax', OS_USERNAME: 'someone-else', OS_AUTH_URL: 'http://x' },
    });
    expect(config.auth).toMatchObject({ username: 'u', authUrl: 'http://k:5000' });
  });
});
