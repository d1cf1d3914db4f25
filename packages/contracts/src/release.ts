// A release as it travels from the feed-watcher to the downloader and uploader: what an
// upstream published, where its dated bytes are, and what they must hash to.
import { z } from 'zod';

const HEX_LENGTH = { sha256: 64, sha512: 128 } as const;

export const checksumSchema = z
  .object({
    algorithm: z.enum(['sha256', 'sha512']),
    value: z.string().regex(/^[0-9a-f]+$/, 'lower-case hex'),
  })
  .refine((c) => c.value.length === HEX_LENGTH[c.algorithm], {
    message: 'hex length does not match the algorithm',
    path: ['value'],
  });
export type Checksum = z.infer<typeof checksumSchema>;

export const DISK_FORMATS = ['qcow2', 'raw', 'vmdk'] as const;
export const COMPRESSIONS = ['none', 'xz', 'bz2', 'gz'] as const;

export const releaseSchema = z.object({
  series: z.string().min(1),
  /** The upstream's own version id (serial, build id, release number). */
  version: z.string().min(1),
  /** ISO date (or date-time) the upstream built or published it. */
  buildDate: z.string().min(10),
  /** The pinned, dated URL: never a `latest`/`current` alias. */
  url: z.url(),
  diskFormat: z.enum(DISK_FORMATS),
  compression: z.enum(COMPRESSIONS),
  /** Checksum of the file at `url` (compressed, when it is). */
  checksum: checksumSchema,
  /** Checksum of the decompressed disk image, where the upstream publishes one. */
  uncompressedChecksum: checksumSchema.optional(),
  /**
   * How the checksum was authenticated before the release was accepted: verified over the
   * checksum list, not required by the series' policy, or - where the upstream signs the
   * image file itself (Fedora CoreOS) - to be verified by the downloader over the bytes.
   */
  signature: z.discriminatedUnion('status', [
    z.object({ status: z.literal('verified'), signedBy: z.string() }),
    z.object({ status: z.literal('not-required') }),
    z.object({ status: z.literal('verify-on-download'), signatureUrl: z.url() }),
  ]),
  size: z.number().int().positive().optional(),
  /** Extra Glance properties the feed supplies (e.g. a build manifest's). */
  properties: z.record(z.string(), z.string()).default({}),
});
export type Release = z.infer<typeof releaseSchema>;

/** `sha256:<hex>`, the form stored in the image's upstream_checksum property. */
export function formatChecksum(checksum: Checksum): string {
  return `${checksum.algorithm}:${checksum.value}`;
}
