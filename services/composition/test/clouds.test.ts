// Which account each stage uses, and how the two accounts are found in clouds.yaml: the
// settings of each, OS_CLOUD when unset, one client when both name the same entry, and
// nothing read at all for stages that use no cloud.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  allQueues,
  downloadQueue,
  feedCheckQueue,
  janitorQueue,
  reapQueue,
  reconcileQueue,
  uploadQueue,
  usageCheckQueue,
} from '@imagecycle/contracts';
import { createLogger } from '@imagecycle/observability';
import { CloudConfigError } from '@imagecycle/openstack';
import { describe, expect, it } from 'vitest';
import { CloudAccounts, cloudRolesOf, consumedQueues, loadSettings } from '../src/index.ts';

const quiet = createLogger({ name: 'clouds-test', level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'clouds-test-'));
const cloudsYaml = join(dir, 'clouds.yaml');
const entry = (user: string) => ({
  auth_type: 'password',
  auth: {
    auth_url: 'https://keystone.example.org:5000/v3',
    username: user,
    password: `${user}-secret`,
    project_name: 'images',
    user_domain_name: 'Default',
    project_domain_name: 'Default',
  },
  region_name: 'RegionOne',
  interface: 'public',
  identity_api_version: 3,
});
writeFileSync(
  cloudsYaml,
  JSON.stringify({
    clouds: {
      imagecycle: entry('imagecycle'),
      'imagecycle-publish': entry('imagecycle-publish'),
      'imagecycle-usage': entry('imagecycle-usage'),
    },
  }),
);

function accounts(env: Record<string, string>): CloudAccounts {
  const full = { REDIS_URL: 'redis://127.0.0.1:6379', ...env };
  return new CloudAccounts(loadSettings(full), quiet, full);
}

describe('the account of each stage', () => {
  it('gives the downloader and the feed-watcher none, the writers the publishing one, the readers the usage one', () => {
    expect(cloudRolesOf([downloadQueue])).toEqual([]);
    // what is published, the feed-watcher reads from the record the renamer and janitor keep
    expect(cloudRolesOf([feedCheckQueue])).toEqual([]);
    for (const queue of [uploadQueue, reconcileQueue, janitorQueue])
      expect(cloudRolesOf([queue]), queue.name).toEqual(['publish']);
    // both read every project's servers and volumes and write what they decide to Glance
    expect(cloudRolesOf([usageCheckQueue])).toEqual(['publish', 'usage']);
    expect(cloudRolesOf([reapQueue])).toEqual(['publish', 'usage']);
    expect(cloudRolesOf(allQueues)).toEqual(['publish', 'usage']);
    expect(cloudRolesOf(consumedQueues(['downloader', 'feed-watcher']))).toEqual([]);
  });

  it('names an account for every queue of the system', () => {
    // a new queue without an entry would silently use no account
    const roles = (name: string) => cloudRolesOf(allQueues.filter((queue) => queue.name === name));
    for (const queue of allQueues)
      if (queue !== downloadQueue && queue !== feedCheckQueue)
        expect(roles(queue.name), queue.name).not.toEqual([]);
  });
});

describe('CloudAccounts', () => {
  it('reads each account from its own setting', () => {
    const clouds = accounts({
      OS_CLIENT_CONFIG_FILE: cloudsYaml,
      OS_CLOUD: 'imagecycle',
      IMAGECYCLE_CLOUD_PUBLISH: 'imagecycle-publish',
      IMAGECYCLE_CLOUD_USAGE: 'imagecycle-usage',
    });
    expect(clouds.get('publish').session.config.source).toBe(`${cloudsYaml}:imagecycle-publish`);
    expect(clouds.get('usage').session.config.source).toBe(`${cloudsYaml}:imagecycle-usage`);
    expect(clouds.get('publish')).not.toBe(clouds.get('usage'));
    expect(clouds.get('publish')).toBe(clouds.get('publish'));
  });

  it('falls back to OS_CLOUD, one client for both: a single-account deployment as before', () => {
    const clouds = accounts({ OS_CLIENT_CONFIG_FILE: cloudsYaml, OS_CLOUD: 'imagecycle' });
    expect(clouds.cloudName('publish')).toBe('imagecycle');
    expect(clouds.get('publish').session.config.source).toBe(`${cloudsYaml}:imagecycle`);
    expect(clouds.get('usage')).toBe(clouds.get('publish'));
    const one = accounts({
      OS_CLIENT_CONFIG_FILE: cloudsYaml,
      OS_CLOUD: 'imagecycle',
      IMAGECYCLE_CLOUD_USAGE: 'imagecycle-usage',
    });
    expect(one.get('publish').session.config.source).toBe(`${cloudsYaml}:imagecycle`);
    expect(one.get('usage').session.config.source).toBe(`${cloudsYaml}:imagecycle-usage`);
  });

  it('reads each account from its own file when one is set (a Secret per account)', () => {
    const publishDir = mkdtempSync(join(tmpdir(), 'clouds-publish-'));
    const publishFile = join(publishDir, 'clouds.yaml');
    writeFileSync(
      publishFile,
      JSON.stringify({
        clouds: { 'imagecycle-publish': entry('from-file'), 'smoke-project': entry('smoke') },
      }),
    );
    // the password is in secure.yaml beside it, as openstacksdk splits them
    writeFileSync(
      join(publishDir, 'secure.yaml'),
      JSON.stringify({ clouds: { 'imagecycle-publish': { auth: { password: 'from-secure' } } } }),
    );
    const clouds = accounts({
      OS_CLIENT_CONFIG_FILE: cloudsYaml,
      IMAGECYCLE_CLOUD_PUBLISH: 'imagecycle-publish',
      IMAGECYCLE_CLOUD_PUBLISH_FILE: publishFile,
      IMAGECYCLE_CLOUD_USAGE: 'imagecycle-usage',
    });
    const publish = clouds.get('publish').session.config;
    expect(publish.source).toBe(`${publishFile}:imagecycle-publish`);
    expect(publish.auth).toMatchObject({ username: 'from-file', password: 'from-secure' });
    expect(clouds.get('usage').session.config.source).toBe(`${cloudsYaml}:imagecycle-usage`);
    // a smoke test's project is an entry of the publishing account's file
    expect(clouds.publishFileEntry('smoke-project').session.config.source).toBe(
      `${publishFile}:smoke-project`,
    );
  });

  it('reads no clouds.yaml until an account is asked for, and then names its setting', () => {
    const missing = join(dir, 'nowhere.yaml');
    const clouds = accounts({
      OS_CLIENT_CONFIG_FILE: missing,
      IMAGECYCLE_CLOUD_PUBLISH: 'imagecycle-publish',
    });
    let error: unknown;
    try {
      clouds.get('publish');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CloudConfigError);
    expect((error as Error).message).toMatch(
      /^the publish account \(IMAGECYCLE_CLOUD_PUBLISH, else OS_CLOUD\): cloud "imagecycle-publish": no clouds.yaml found \(looked at \/.*\/nowhere\.yaml, /,
    );
    expect(() =>
      accounts({
        OS_CLIENT_CONFIG_FILE: cloudsYaml,
        IMAGECYCLE_CLOUD_USAGE: 'imagecycle-read',
      }).get('usage'),
    ).toThrow(/^the usage account \(IMAGECYCLE_CLOUD_USAGE, else OS_CLOUD\): .*"imagecycle-read"/);
  });
});
