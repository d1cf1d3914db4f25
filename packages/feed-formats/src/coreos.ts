// Fedora CoreOS stream metadata: one current release per stream. The openstack artifact's
// qcow2.xz disk carries the sha256 of the .xz, optionally of the qcow2 inside, and a
// detached signature. Its release id's date is a snapshot date: the stream's
// last-modified is when it was published.
//
// A real stream carries every architecture, dozens of artifacts, formats whose members
// differ (metal's `pxe` has kernel/initramfs/rootfs and no disk) and an `images` member
// per architecture. Only the one path below is read and checked; everything else - other
// architectures, artifacts, formats, fields, top-level members - is never looked at.
import { HEX64, JsonReader } from './json-path.ts';
import { parseJsonDocument } from './text.ts';
import type { ParsedRelease } from './types.ts';

const FEED = 'fedora-coreos';
const FORMAT = 'qcow2.xz';

export function parseCoreosStream(
  text: string,
  options: { streamUrl: string; arch?: string },
): ParsedRelease[] {
  const source = options.streamUrl;
  const arch = options.arch ?? 'x86_64';
  const json = new JsonReader(FEED, source);
  const root = json.object(parseJsonDocument(FEED, source, text), []);

  const metadata = json.child(root, [], 'metadata');
  const published = json.string(metadata, ['metadata'], 'last-modified');
  if (published.length < 10 || Number.isNaN(Date.parse(published)))
    json.fail(['metadata', 'last-modified'], `"${published.slice(0, 40)}" is not a date`);

  const architectures = json.child(root, [], 'architectures');
  if (!Object.hasOwn(architectures, arch))
    json.fail(['architectures'], `no ${arch} architecture in the stream`);
  const archPath = ['architectures', arch];
  const artifacts = json.child(json.object(architectures[arch], archPath), archPath, 'artifacts');
  const artifactsPath = [...archPath, 'artifacts'];
  if (!Object.hasOwn(artifacts, 'openstack'))
    json.fail(artifactsPath, `no openstack artifact for ${arch}`);
  const openstackPath = [...artifactsPath, 'openstack'];
  const openstack = json.object(artifacts.openstack, openstackPath);
  const release = json.string(openstack, openstackPath, 'release');
  const formats = json.child(openstack, openstackPath, 'formats');
  const formatsPath = [...openstackPath, 'formats'];
  if (!Object.hasOwn(formats, FORMAT))
    json.fail(formatsPath, `the openstack artifact has no ${FORMAT} format`);
  const formatPath = [...formatsPath, FORMAT];
  const diskPath = [...formatPath, 'disk'];
  const disk = json.child(json.object(formats[FORMAT], formatPath), formatPath, 'disk');

  const location = json.url(disk, diskPath, 'location');
  const sha256 = json.string(disk, diskPath, 'sha256', HEX64);
  const uncompressed = json.optionalString(disk, diskPath, 'uncompressed-sha256', HEX64);
  const signature = json.optionalUrl(disk, diskPath, 'signature');

  return [
    {
      version: release,
      buildDate: new Date(published).toISOString().slice(0, 10),
      url: location,
      diskFormat: 'qcow2',
      compression: 'xz',
      checksum: { algorithm: 'sha256', value: sha256.toLowerCase() },
      ...(uncompressed
        ? {
            uncompressedChecksum: {
              algorithm: 'sha256' as const,
              value: uncompressed.toLowerCase(),
            },
          }
        : {}),
      properties: {},
      signatureRef: signature
        ? { kind: 'detached', signedUrl: location, signatureUrl: signature }
        : { kind: 'none' },
    },
  ];
}
