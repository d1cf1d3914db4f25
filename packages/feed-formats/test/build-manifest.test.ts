// A build manifest's properties reach the image's create request: names that imagecycle or
// Glance set themselves are refused when the manifest is read, naming the property and where.
import { describe, expect, it } from 'vitest';
import { FeedError, parseBuildManifest } from '../src/index.ts';

const manifestUrl = 'https://builds.test/manifest.json';
const build = (product: string, properties: Record<string, string>) => ({
  product,
  version: '1',
  build_date: '2026-11-01',
  url: `https://builds.test/${product}/1.qcow2`,
  disk_format: 'qcow2',
  checksum: { algorithm: 'sha256', value: 'a'.repeat(64) },
  min_disk: 40,
  properties,
});
const manifest = (...builds: ReturnType<typeof build>[]) =>
  JSON.stringify({ format: 'imagecycle-build-manifest/1', builds });
const parse = (text: string) => parseBuildManifest(text, { manifestUrl, product: 'p' });

function refusal(text: string): FeedError {
  try {
    parse(text);
  } catch (error) {
    expect(error).toBeInstanceOf(FeedError);
    return error as FeedError;
  }
  throw new Error('expected the manifest to be refused');
}

const RESERVED = [
  'name',
  'visibility',
  'owner',
  'id',
  'status',
  'protected',
  'os_hidden',
  'tags',
  'container_format',
  'disk_format',
  'min_disk',
  'min_ram',
  'os_hash_value',
  'checksum',
  'upstream_checksum',
  'imagecycle_state',
  'imagecycle_series',
  'imagecycle_anything_new',
  'os_glance_import_method',
];

describe('build manifest properties', () => {
  it.each(RESERVED)('refuses "%s", naming the property and the build it is in', (name) => {
    const error = refusal(
      manifest(build('other', {}), build('p', { os_type: 'windows', [name]: 'x' })),
    );
    expect(error.where).toBe(`builds[1].properties.${name}`);
    expect(error.message).toContain(`"${name}"`);
    expect(error.message).toContain(manifestUrl);
  });

  it("refuses the manifest for a reserved name in another product's build too: the document is wrong", () => {
    const error = refusal(manifest(build('p', {}), build('other', { visibility: 'public' })));
    expect(error.where).toBe('builds[1].properties.visibility');
  });

  it("names a build by its place in the whole manifest, not among its product's builds", () => {
    const short = { ...build('p', {}), checksum: { algorithm: 'sha256', value: 'a'.repeat(63) } };
    expect(refusal(manifest(build('other', {}), short)).where).toBe('builds[1].checksum.value');
  });

  it('passes ordinary properties through, with min_disk from the build itself', () => {
    const [release] = parse(
      manifest(build('p', { os_type: 'windows', hw_disk_bus: 'scsi', 'x-custom:key': 'v' })),
    );
    expect(release?.properties).toEqual({
      os_type: 'windows',
      hw_disk_bus: 'scsi',
      'x-custom:key': 'v',
      min_disk: '40',
    });
  });
});
