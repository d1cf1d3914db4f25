import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CloudConfigError, resolveCloudConfig } from '../src/index.ts';

function files(clouds: string, secure?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'clouds-'));
  writeFileSync(join(dir, 'clouds.yaml'), clouds);
  if (secure) writeFileSync(join(dir, 'secure.yaml'), secure);
  return join(dir, 'clouds.yaml');
}

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
  appcred:
    auth_type: v3applicationcredential
    auth:
      auth_url: https://keystone.example:5000/v3
      application_credential_id: abc123
      application_credential_secret: s3cr3t-value
  lax:
    verify: false
    auth: { auth_url: http://k:5000, username: u, password: p1234 }
`;

describe('resolveCloudConfig', () => {
  it('reads a clouds.yaml entry and merges secure.yaml over it', () => {
    const file = files(clouds, 'clouds:\n  prod:\n    auth:\n      password: from-secure\n');
    const config = resolveCloudConfig({ cloud: 'prod', env: { OS_CLIENT_CONFIG_FILE: file } });
    expect(config.auth).toMatchObject({
      type: 'password',
      authUrl: 'https://keystone.example:5000',
      username: 'imagecycle',
      password: 'from-secure',
      projectName: 'images',
      userDomainName: 'Default',
    });
    expect(config.regionName).toBe('RegionTwo');
    expect(config.interface).toBe('internal');
    expect(config.cacert).toBe('/etc/ssl/our-ca.pem');
    expect(config.verify).toBe(true);
    expect(config.source).toBe(`${file}:prod`);
  });

  it('takes OS_CLOUD when no name is given, and reads application credentials', () => {
    const file = files(clouds);
    const config = resolveCloudConfig({
      env: { OS_CLOUD: 'appcred', OS_CLIENT_CONFIG_FILE: file },
    });
    expect(config.auth).toEqual(
      expect.objectContaining({
        type: 'application-credential',
        id: 'abc123',
        secret: 's3cr3t-value',
      }),
    );
  });

  it('turns TLS verification off only when the cloud says so', () => {
    const file = files(clouds);
    expect(resolveCloudConfig({ cloud: 'lax', env: { OS_CLIENT_CONFIG_FILE: file } }).verify).toBe(
      false,
    );
  });

  it('builds a cloud from OS_* variables', () => {
    const config = resolveCloudConfig({
      env: {
        OS_AUTH_URL: 'http://127.0.0.1:5000/v3',
        OS_USERNAME: 'demo',
        OS_PASSWORD: 'demopass',
        OS_PROJECT_NAME: 'demo',
        OS_USER_DOMAIN_ID: 'default',
        OS_PROJECT_DOMAIN_ID: 'default',
        OS_REGION_NAME: 'RegionOne',
        OS_ENDPOINT_TYPE: 'internalURL',
        OS_INSECURE: 'true',
      },
    });
    expect(config.source).toBe('OS_* variables');
    expect(config.auth).toMatchObject({
      type: 'password',
      username: 'demo',
      projectName: 'demo',
      userDomainId: 'default',
    });
    expect(config.interface).toBe('internal');
    expect(config.verify).toBe(false);
  });

  it('names the file and the cloud when something is wrong', () => {
    const file = files(clouds);
    expect(() =>
      resolveCloudConfig({ cloud: 'nope', env: { OS_CLIENT_CONFIG_FILE: file } }),
    ).toThrow(`${file}: has no cloud named "nope"`);
    const broken = files('clouds:\n  x:\n    auth:\n      username: u\n');
    expect(() =>
      resolveCloudConfig({ cloud: 'x', env: { OS_CLIENT_CONFIG_FILE: broken } }),
    ).toThrow(`${broken}:x: auth.auth_url is missing`);
    const noPassword = files('clouds:\n  x:\n    auth: { auth_url: http://k, username: u }\n');
    expect(() =>
      resolveCloudConfig({ cloud: 'x', env: { OS_CLIENT_CONFIG_FILE: noPassword } }),
    ).toThrow(/auth.password is missing/);
    const badYaml = files('clouds: [unclosed\n');
    expect(() =>
      resolveCloudConfig({ cloud: 'x', env: { OS_CLIENT_CONFIG_FILE: badYaml } }),
    ).toThrow(CloudConfigError);
    expect(() => resolveCloudConfig({ env: {} })).toThrow(/no cloud configured/);
  });
});
