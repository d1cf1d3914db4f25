// clouds.yaml features against the real Keystone (and Glance) of the test stack, from a
// temporary clouds.yaml copying the stack's service cloud: the password comes from a
// secure.yaml in another standard folder; the region picked from a `regions:` list decides
// the catalogue endpoints; a region the catalogue lacks, or the cloud does not list, fails
// with the region's name.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { AuthError, CloudConfigError, OpenStackClient } from '../src/index.ts';

const stackFile = process.env.OS_CLIENT_CONFIG_FILE;
const serviceCloud = process.env.OS_CLOUD ?? 'imagecycle';

interface StackEntry {
  auth: Record<string, unknown> & { password?: string };
  region_name?: string;
  [key: string]: unknown;
}

function stackEntry(): StackEntry {
  if (!stackFile) throw new Error('OS_CLIENT_CONFIG_FILE (the stack clouds.yaml) is not set');
  const doc = parse(readFileSync(stackFile, 'utf8')) as { clouds: Record<string, StackEntry> };
  const entry = doc.clouds[serviceCloud];
  if (!entry?.auth.password) throw new Error(`${stackFile}: no password cloud "${serviceCloud}"`);
  return entry;
}

/** A working dir with clouds.yaml (no password) and a home whose secure.yaml holds it. */
function layout(regions: unknown[], withSecure = true) {
  const { auth, region_name: _region, ...rest } = stackEntry();
  const { password, ...publicAuth } = auth;
  const cwd = mkdtempSync(join(tmpdir(), 'int-clouds-'));
  const home = mkdtempSync(join(tmpdir(), 'int-home-'));
  writeFileSync(
    join(cwd, 'clouds.yaml'),
    stringify({ clouds: { ic: { ...rest, auth: publicAuth, regions } } }),
  );
  if (withSecure) {
    mkdirSync(join(home, '.config', 'openstack'), { recursive: true });
    writeFileSync(
      join(home, '.config', 'openstack', 'secure.yaml'),
      stringify({ clouds: { ic: { auth: { password } } } }),
    );
  }
  return { cwd, env: { HOME: home } as NodeJS.ProcessEnv, password: password ?? '' };
}

const region = () => stackEntry().region_name ?? 'RegionOne';

describe('clouds.yaml against the real Keystone', () => {
  it("logs in with the password merged from secure.yaml and uses the selected region's endpoints", async () => {
    const { cwd, env } = layout([`${region()}-absent`, region()]);
    const client = OpenStackClient.connect({ cloud: 'ic', cwd, env, region: region() });
    const token = await client.session.token();
    expect(token.projectId).toBeTruthy();

    const image = token.catalog.find((entry) => entry.type === 'image');
    const expected = image?.endpoints.find(
      (e) => e.interface === 'public' && (e.region_id ?? e.region) === region(),
    );
    expect(expected).toBeDefined();
    expect(await client.session.endpoint('image')).toBe(expected?.url.replace(/\/+$/, ''));
    expect(Array.isArray(await client.glance.listAllImages({ limit: 1 }))).toBe(true);
  });

  it('without the secure.yaml the same cloud has no password', () => {
    const { cwd, env } = layout([region()], false);
    expect(() => OpenStackClient.connect({ cloud: 'ic', cwd, env })).toThrow(
      `${join(cwd, 'clouds.yaml')}:ic: auth.password is missing`,
    );
  });

  it('fails clearly for a listed region the catalogue does not have, and for an unlisted one', async () => {
    const absent = `${region()}-absent`;
    const { cwd, env, password } = layout([absent, region()]);
    // the first listed region is the default
    const client = OpenStackClient.connect({ cloud: 'ic', cwd, env });
    const error = await client.session.endpoint('image').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    const message = (error as Error).message;
    expect(message).toContain(
      `${join(cwd, 'clouds.yaml')}:ic: the catalogue has no image endpoint for interface "public" in region "${absent}"`,
    );
    expect(message).toContain(`image/public/${region()}`);
    expect(message).not.toContain(password);

    const unlisted = (() => {
      try {
        OpenStackClient.connect({ cloud: 'ic', cwd, env: { ...env, OS_REGION_NAME: 'Nowhere' } });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(unlisted).toBeInstanceOf(CloudConfigError);
    expect(unlisted?.message).toBe(
      `${join(cwd, 'clouds.yaml')}:ic: region "Nowhere" is not a region of cloud "ic" ` +
        `(its regions: ${absent}, ${region()}; names are case sensitive)`,
    );
  });
});
