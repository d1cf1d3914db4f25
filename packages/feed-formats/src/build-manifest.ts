// imagecycle-build-manifest/1: the feed an in-house build pipeline (Packer or any other)
// publishes for images that have no upstream, such as Windows Server. One manifest may list
// builds of several products; a series follows one product. See README.md for an example.
import { COMPRESSIONS, DISK_FORMATS, reservedPropertyRule } from '@imagecycle/contracts';
import { z } from 'zod';
import { FeedError } from './errors.ts';
import { issuePath, parseJsonDocument } from './text.ts';
import type { ParsedRelease } from './types.ts';
import { compareVersions } from '@imagecycle/lifecycle';

const FEED = 'build-manifest';
export const BUILD_MANIFEST_FORMAT = 'imagecycle-build-manifest/1';

export const buildManifestSchema = z.object({
  format: z.literal(BUILD_MANIFEST_FORMAT),
  generated_at: z.iso.datetime().optional(),
  builder: z.record(z.string(), z.string()).optional(),
  builds: z.array(
    z.object({
      product: z
        .string()
        .min(1)
        .describe('The product a catalogue series follows, e.g. windows-server-2019-gui'),
      version: z.string().min(1),
      build_date: z.iso.datetime({ offset: true }).or(z.iso.date()),
      url: z.url().describe('Pinned URL of this build (never a moving alias)'),
      disk_format: z.enum(DISK_FORMATS),
      compression: z.enum(COMPRESSIONS).default('none'),
      size: z.number().int().positive().optional(),
      checksum: z.object({
        algorithm: z.enum(['sha256', 'sha512']),
        value: z.string().regex(/^[0-9a-f]+$/),
      }),
      min_disk: z.number().int().nonnegative().optional(),
      min_ram: z.number().int().nonnegative().optional(),
      properties: z
        .record(z.string(), z.string())
        .default({})
        .describe(
          'Extra Glance properties of the image. Names imagecycle or Glance set are refused: name, visibility, owner, id, status, protected, os_hidden, tags, container_format, disk_format, min_disk, min_ram (use the fields above), upstream_checksum, imagecycle_*, os_glance_* and the fields Glance computes',
        ),
    }),
  ),
});

export function parseBuildManifest(
  text: string,
  options: { manifestUrl: string; product: string },
): ParsedRelease[] {
  const source = options.manifestUrl;
  const parsed = buildManifestSchema.safeParse(parseJsonDocument(FEED, source, text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FeedError(FEED, source, issue?.message ?? 'invalid', issuePath(issue?.path ?? []));
  }
  // Reserved names are refused in every build: the document is wrong, whichever product.
  parsed.data.builds.forEach((build, index) => {
    for (const name of Object.keys(build.properties)) {
      const rule =
        name === 'min_disk' || name === 'min_ram'
          ? `an image field, set by the build's own ${name}`
          : reservedPropertyRule(name);
      if (rule)
        throw new FeedError(
          FEED,
          source,
          `property "${name}" is reserved: ${rule}`,
          `builds[${index}].properties.${name}`,
        );
    }
  });
  const releases = parsed.data.builds
    .map((build, index) => ({ build, index }))
    .filter(({ build }) => build.product === options.product)
    .map(({ build, index }): ParsedRelease => {
      const expected = build.checksum.algorithm === 'sha256' ? 64 : 128;
      if (build.checksum.value.length !== expected) {
        throw new FeedError(
          FEED,
          source,
          `checksum is not ${expected} hex digits`,
          `builds[${index}].checksum.value`,
        );
      }
      const properties = { ...build.properties };
      if (build.min_disk !== undefined) properties.min_disk = String(build.min_disk);
      if (build.min_ram !== undefined) properties.min_ram = String(build.min_ram);
      return {
        version: build.version,
        buildDate: build.build_date.slice(0, 10),
        url: build.url,
        diskFormat: build.disk_format,
        compression: build.compression,
        checksum: build.checksum,
        ...(build.size ? { size: build.size } : {}),
        properties,
        signatureRef: { kind: 'detached', signedUrl: source, signatureUrl: `${source}.asc` },
      };
    });
  if (releases.length === 0)
    throw new FeedError(FEED, source, `no build of product "${options.product}"`);
  return releases.sort(
    (a, b) => b.buildDate.localeCompare(a.buildDate) || compareVersions(b.version, a.version),
  );
}
