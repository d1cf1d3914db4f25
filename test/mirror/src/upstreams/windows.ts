// The in-house Windows Server 2019 builds (GUI / Core): a build pipeline (Packer et al.)
// publishes a JSON manifest, format `imagecycle-build-manifest/1`, listing every build with
// version, build date, pinned URL, disk format, compression, checksum and the Glance
// properties to set; plus a detached armored signature `manifest.json.asc`.
//
// The format is the project's own (packages/feeds owns the parser). This writer follows
// the Release contract in packages/contracts (checksum as {algorithm, value}).
import { stringify, type Json } from '../json.ts';
import type { Artifact, Distro, PublishedRelease } from '../types.ts';
import { at, compactDay, compareSerial } from '../util.ts';
import { nextRespin, type Upstream, type UpstreamFactory } from './common.ts';

const ROOT = '/builds.imagecycle.test/windows';
const MANIFEST = `${ROOT}/manifest.json`;
export const BUILD_MANIFEST_FORMAT = 'imagecycle-build-manifest/1';

const EDITIONS: Record<string, { product: string; edition: 'gui' | 'core'; title: string }> = {
  'windows-2019-gui': {
    product: 'windows-server-2019-gui',
    edition: 'gui',
    title: 'Windows Server 2019 Datacenter',
  },
  'windows-2019-core': {
    product: 'windows-server-2019-core',
    edition: 'core',
    title: 'Windows Server 2019 Datacenter Core',
  },
};

interface Build {
  product: string;
  version: string;
  buildDate: Date;
  artifact: Artifact;
  edition: 'gui' | 'core';
  /** A build whose guest never boots (PublishOptions.guestBoot). */
  unbootable: boolean;
}

export const windows: UpstreamFactory = (ctx): Upstream => {
  const builds: Build[] = [];
  return {
    distros: Object.keys(EDITIONS) as Distro[],
    feedPath: () => MANIFEST,
    seedPlan: () => [{}],
    async publish(distro, day, options): Promise<PublishedRelease> {
      const { product, edition } = EDITIONS[distro] as { product: string; edition: 'gui' | 'core' };
      const version = nextRespin(compactDay(day), (v) =>
        builds.some((b) => b.product === product && b.version === v),
      );
      const buildDate = at(day, 4, 0, builds.length);
      const mtime = at(day, 5, 0, builds.length);
      const path = `${ROOT}/2019-${edition}/${version}/${product}-${version}.qcow2`;
      const artifact = await ctx.artifact(
        path,
        ctx.image(`${product} ${version}`, 'qcow2', options.disk),
        { format: 'qcow2', compression: 'none' },
        mtime,
      );
      builds.push({
        product,
        version,
        buildDate,
        artifact,
        edition,
        unbootable: options.guestBoot === 'fail',
      });
      const sorted = [...builds].sort(
        (a, b) =>
          a.buildDate.getTime() - b.buildDate.getTime() || compareSerial(a.version, b.version),
      );
      const manifest: Json = {
        format: BUILD_MANIFEST_FORMAT,
        generated_at: mtime.toISOString(),
        builder: { name: 'packer', version: '1.11.2', pipeline: 'windows-images' },
        builds: sorted.map((b) => ({
          product: b.product,
          version: b.version,
          build_date: b.buildDate.toISOString(),
          url: b.artifact.url,
          disk_format: b.artifact.format,
          compression: b.artifact.compression,
          size: b.artifact.size,
          checksum: { algorithm: 'sha256', value: b.artifact.sha256 },
          min_disk: 40,
          min_ram: 4096,
          properties: {
            os_type: 'windows',
            os_distro: 'windows',
            os_version: '2019',
            os_edition: b.edition === 'gui' ? 'datacenter' : 'datacenter-core',
            hw_disk_bus: 'scsi',
            hw_scsi_model: 'virtio-scsi',
            hw_qemu_guest_agent: 'True',
            os_require_quiesce: 'True',
            image_original_user: 'Administrator',
            // read by the local stack's fake compute driver: this build's guest never boots
            ...(b.unbootable ? { test_guest_boot: 'fail' } : {}),
          },
        })),
      };
      await ctx.text(MANIFEST, stringify(manifest, 2), mtime, { checksums: true });
      const sig = await ctx.detached(`${MANIFEST}.asc`, MANIFEST, 'imagecycle-builds', true, mtime);
      return {
        distro,
        version,
        date: day,
        publishedAt: mtime.toISOString(),
        feedUrl: ctx.url(MANIFEST),
        image: artifact,
        artifacts: [artifact],
        checksum: { algorithm: 'sha256', hex: artifact.sha256, url: ctx.url(MANIFEST) },
        signatures: [sig],
      };
    },
  };
};
