// Fedora CoreOS stream metadata: one current release per stream. The openstack artifact's
// qcow2.xz disk carries the sha256 of the .xz, optionally of the qcow2 inside, and a
// detached signature. Its release id's date is a snapshot date: the stream's
// last-modified is when it was published.
import { z } from 'zod';
import { FeedError } from './errors.ts';
import { issuePath, parseJsonDocument } from './text.ts';
import type { ParsedRelease } from './types.ts';

const FEED = 'fedora-coreos';
const sha256 = z.string().regex(/^[0-9a-f]{64}$/i, 'sha256 must be 64 hex digits');

const streamSchema = z.object({
  metadata: z.object({ 'last-modified': z.string().min(10) }),
  architectures: z.record(
    z.string(),
    z.object({
      artifacts: z.record(
        z.string(),
        z.object({
          release: z.string().min(1),
          formats: z.record(
            z.string(),
            z.object({
              disk: z.object({
                location: z.url(),
                sha256,
                'uncompressed-sha256': sha256.optional(),
                signature: z.url().optional(),
              }),
            }),
          ),
        }),
      ),
    }),
  ),
});

export function parseCoreosStream(
  text: string,
  options: { streamUrl: string; arch?: string },
): ParsedRelease[] {
  const source = options.streamUrl;
  const parsed = streamSchema.safeParse(parseJsonDocument(FEED, source, text));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FeedError(FEED, source, issue?.message ?? 'invalid', issuePath(issue?.path ?? []));
  }
  const arch = options.arch ?? 'x86_64';
  const openstack = parsed.data.architectures[arch]?.artifacts.openstack;
  if (!openstack) throw new FeedError(FEED, source, `no openstack artifact for ${arch}`);
  const disk = openstack.formats['qcow2.xz']?.disk;
  if (!disk)
    throw new FeedError(
      FEED,
      source,
      'the openstack artifact has no qcow2.xz disk',
      `architectures.${arch}.artifacts.openstack.formats`,
    );
  const published = parsed.data.metadata['last-modified'];
  if (Number.isNaN(Date.parse(published)))
    throw new FeedError(FEED, source, `last-modified "${published}" is not a date`);
  const uncompressed = disk['uncompressed-sha256'];
  return [
    {
      version: openstack.release,
      buildDate: new Date(published).toISOString().slice(0, 10),
      url: disk.location,
      diskFormat: 'qcow2',
      compression: 'xz',
      checksum: { algorithm: 'sha256', value: disk.sha256.toLowerCase() },
      ...(uncompressed
        ? {
            uncompressedChecksum: {
              algorithm: 'sha256' as const,
              value: uncompressed.toLowerCase(),
            },
          }
        : {}),
      properties: {},
      signatureRef: disk.signature
        ? { kind: 'detached', signedUrl: disk.location, signatureUrl: disk.signature }
        : { kind: 'none' },
    },
  ];
}
