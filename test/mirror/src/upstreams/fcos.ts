// Fedora CoreOS stable: `streams/stable.json` naming only the current build, in the shape
// Fedora really publishes it (fedora-coreos-stream-generator; coreos/stream-metadata-go's
// `stream` package): every architecture (aarch64, ppc64le, s390x, x86_64), each with all
// its artifacts in alphabetical order, formats whose members differ (metal's `pxe` holds
// kernel/initramfs/rootfs and no disk; `iso`, `ova`, `ociarchive`, `qcow2`, `tar.gz` carry
// no uncompressed-sha256) and an `images` member (AMIs per AWS region, the GCP image, the
// KubeVirt container disk; empty for ppc64le). The openstack artifact is qcow2.xz with
// `sha256` over the .xz, `uncompressed-sha256` over the qcow2 inside, and a detached
// binary signature (`.sig`) by the Fedora key.
//
// Only x86_64's openstack and qemu disks are served (real small qcow2 images, signed);
// every other artifact is listed with well-formed, made-up digests and is not served.
import { compress } from '../images.ts';
import { stringify, type Json } from '../json.ts';
import type { Artifact, PublishedRelease, SignatureRef } from '../types.ts';
import { addDays, at, compactDay, sha256, type Day } from '../util.ts';
import type { Upstream, UpstreamFactory } from './common.ts';

const HOST = '/builds.coreos.fedoraproject.org';
const STREAM = `${HOST}/streams/stable.json`;

/** The Fedora release FCOS stable is on at that day (F40 reached stable around June 2024). */
export function fedoraMajor(day: Day): number {
  const year = Number(day.slice(0, 4));
  const month = Number(day.slice(5, 7));
  return 39 + 2 * (year - 2024) + (month >= 6 ? 1 : 0) + (month >= 12 ? 1 : 0);
}

export const FCOS_ARCHITECTURES = ['aarch64', 'ppc64le', 's390x', 'x86_64'] as const;
type Arch = (typeof FCOS_ARCHITECTURES)[number];

/** A format whose one `disk` file is `fedora-coreos-<v>-<file>.<arch>.<ext>`. */
interface DiskFormat {
  format: string;
  /** the platform part of the file name (`metal4k`, `live-iso`, or the artifact's name) */
  file?: string;
  ext: string;
}
const disk = (format: string, ext = format, file?: string): DiskFormat => ({
  format,
  ext,
  ...(file ? { file } : {}),
});
const METAL = [
  disk('4k.raw.xz', 'raw.xz', 'metal4k'),
  disk('iso', 'iso', 'live-iso'),
  'pxe' as const,
  disk('raw.xz', 'raw.xz', 'metal'),
];
type Formats = ReadonlyArray<DiskFormat | 'pxe'>;

/** Artifacts per architecture, as the stable stream carried them in mid 2026. */
export const FCOS_ARTIFACTS: Record<Arch, Record<string, Formats>> = {
  aarch64: {
    applehv: [disk('raw.gz')],
    aws: [disk('vmdk.xz')],
    azure: [disk('vhd.xz')],
    gcp: [disk('tar.gz')],
    hetzner: [disk('raw.xz')],
    hyperv: [disk('vhdx.zip')],
    metal: METAL,
    openstack: [disk('qcow2.xz')],
    oraclecloud: [disk('qcow2.xz')],
    qemu: [disk('qcow2.xz')],
  },
  ppc64le: {
    metal: METAL,
    openstack: [disk('qcow2.xz')],
    powervs: [disk('ova.gz')],
    qemu: [disk('qcow2.xz')],
  },
  s390x: {
    ibmcloud: [disk('qcow2.xz')],
    kubevirt: [disk('ociarchive')],
    metal: METAL,
    openstack: [disk('qcow2.xz')],
    qemu: [disk('qcow2.xz')],
  },
  x86_64: {
    aliyun: [disk('qcow2.xz')],
    applehv: [disk('raw.gz')],
    aws: [disk('vmdk.xz')],
    azure: [disk('vhd.xz')],
    azurestack: [disk('vhd.xz')],
    digitalocean: [disk('qcow2.gz')],
    exoscale: [disk('qcow2.xz')],
    gcp: [disk('tar.gz')],
    hetzner: [disk('raw.xz')],
    hyperv: [disk('vhdx.zip')],
    ibmcloud: [disk('qcow2.xz')],
    kubevirt: [disk('ociarchive')],
    metal: METAL,
    nutanix: [disk('qcow2')],
    openstack: [disk('qcow2.xz')],
    oraclecloud: [disk('qcow2.xz')],
    proxmoxve: [disk('qcow2.xz')],
    qemu: [disk('qcow2.xz')],
    virtualbox: [disk('ova')],
    vmware: [disk('ova')],
    vultr: [disk('raw.xz')],
  },
};

const AWS_REGIONS = [
  'af-south-1',
  'ap-east-1',
  'ap-east-2',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-south-1',
  'ap-south-2',
  'ap-southeast-1',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'ap-southeast-5',
  'ap-southeast-6',
  'ap-southeast-7',
  'ca-central-1',
  'ca-west-1',
  'eu-central-1',
  'eu-central-2',
  'eu-north-1',
  'eu-south-1',
  'eu-south-2',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'il-central-1',
  'mx-central-1',
  'sa-east-1',
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
];

/** Only whole-file compressions carry a digest of what is inside. */
const hasInner = (ext: string) => /\.(xz|gz|zip)$/.test(ext) && !ext.endsWith('tar.gz');

/** The `images` member: cloud image ids of this release per architecture. */
function cloudImages(arch: Arch, version: string): Json {
  const made = (what: string) => sha256(`fcos ${version} ${arch} ${what}`);
  const aws = {
    regions: Object.fromEntries(
      AWS_REGIONS.map((region) => [
        region,
        { release: version, image: `ami-${made(`aws ${region}`).slice(0, 17)}` },
      ]),
    ),
  };
  const gcp = (suffix: string, family: string) => ({
    release: version,
    project: 'fedora-coreos-cloud',
    family,
    name: `fedora-coreos-${version.replaceAll('.', '-')}-gcp-${suffix}`,
  });
  const kubevirt = {
    release: version,
    image: 'quay.io/fedora/fedora-coreos-kubevirt:stable',
    'digest-ref': `quay.io/fedora/fedora-coreos-kubevirt@sha256:${made('kubevirt')}`,
  };
  switch (arch) {
    case 'aarch64':
      return { aws, gcp: gcp('aarch64', 'fedora-coreos-stable-arm64') };
    case 'ppc64le':
      return {};
    case 's390x':
      return { kubevirt };
    case 'x86_64':
      return { aws, gcp: gcp('x86-64', 'fedora-coreos-stable'), kubevirt };
  }
}

/** The artifacts served for real: x86_64's openstack and qemu qcow2.xz. */
const SERVED = ['openstack', 'qemu'];

export const fcos: UpstreamFactory = (ctx): Upstream => {
  const versions = new Set<string>();
  return {
    distros: ['fedora-coreos-stable'],
    feedPath: () => STREAM,
    seedPlan: () => [{}],
    async publish(distro, day, options): Promise<PublishedRelease> {
      // the version's date field is the snapshot date, two weeks before the release
      const snapshot = compactDay(addDays(day, -14));
      let n = 0;
      while (versions.has(`${fedoraMajor(day)}.${snapshot}.3.${n}`)) n++;
      const version = `${fedoraMajor(day)}.${snapshot}.3.${n}`;
      versions.add(version);
      const mtime = at(day, 11, 0, n);
      const build = `${HOST}/prod/streams/stable/builds/${version}`;
      const served: Record<string, { artifact: Artifact; sig: SignatureRef }> = {};
      for (const platform of SERVED) {
        // the openstack image is the release's (crafted when a test asks); qemu stays sound
        const image = ctx.image(
          `fcos ${version} ${platform}`,
          'qcow2',
          platform === 'openstack' ? options.disk : undefined,
        );
        const path = `${build}/x86_64/fedora-coreos-${version}-${platform}.x86_64.qcow2.xz`;
        const artifact = await ctx.artifact(
          path,
          await compress(image, 'xz'),
          { format: 'qcow2', compression: 'xz', inner: image },
          mtime,
        );
        served[platform] = {
          artifact,
          sig: await ctx.detached(`${path}.sig`, path, 'fedora', false, mtime),
        };
      }

      const file = (arch: Arch, name: string, withInner: boolean): Json => {
        const path = `${build}/${arch}/${name}`;
        const real = Object.values(served).find((s) => s.artifact.path === path);
        if (real)
          return {
            location: real.artifact.url,
            signature: real.sig.url,
            sha256: real.artifact.sha256,
            'uncompressed-sha256': real.artifact.uncompressed.sha256,
          };
        return {
          location: ctx.url(path),
          signature: ctx.url(`${path}.sig`),
          sha256: sha256(`fcos ${version} ${name}`),
          ...(withInner ? { 'uncompressed-sha256': sha256(`fcos ${version} ${name} inner`) } : {}),
        };
      };
      const architectures: Record<string, Json> = {};
      for (const arch of FCOS_ARCHITECTURES) {
        const artifacts: Record<string, Json> = {};
        for (const [platform, formats] of Object.entries(FCOS_ARTIFACTS[arch])) {
          const entries: Record<string, Json> = {};
          for (const f of formats) {
            const stem = `fedora-coreos-${version}`;
            if (f === 'pxe') {
              entries.pxe = {
                kernel: file(arch, `${stem}-live-kernel.${arch}`, false),
                initramfs: file(arch, `${stem}-live-initramfs.${arch}.img`, false),
                rootfs: file(arch, `${stem}-live-rootfs.${arch}.img`, false),
              };
            } else {
              const name = `${stem}-${f.file ?? platform}.${arch}.${f.ext}`;
              entries[f.format] = { disk: file(arch, name, hasInner(f.ext)) };
            }
          }
          artifacts[platform] = { release: version, formats: entries };
        }
        architectures[arch] = { artifacts, images: cloudImages(arch, version) };
      }
      const stream: Json = {
        stream: 'stable',
        metadata: {
          'last-modified': mtime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          generator: 'fedora-coreos-stream-generator v0.2.19',
        },
        architectures,
      };
      await ctx.text(STREAM, stringify(stream, 4), mtime, { checksums: true });
      const { artifact: image, sig } = served['openstack'] as {
        artifact: Artifact;
        sig: SignatureRef;
      };
      return {
        distro,
        version,
        date: day,
        publishedAt: mtime.toISOString(),
        feedUrl: ctx.url(STREAM),
        image,
        artifacts: Object.values(served).map((p) => p.artifact),
        checksum: { algorithm: 'sha256', hex: image.sha256, url: ctx.url(STREAM) },
        signatures: [sig],
      };
    },
  };
};
