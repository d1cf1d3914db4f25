// Debian 12/11/10 cloud images: dated `<codename>/<YYYYMMDD-NNNN>/` directories holding,
// like cloud.debian.org's, every image of the build: each vendor (azure, ec2, generic,
// genericcloud, nocloud) for each of its architectures, as tar.xz (a raw disk inside), and
// for generic/genericcloud/nocloud also qcow2 and raw, each with its JSON `List` manifest
// (a Build item and one Upload item per file: digest `sha512:` + unpadded base64), and one
// SHA512SUMS over every file; `latest/` is a link swapped to the newest; no signatures (as
// upstream). The genericcloud amd64 files (and the generic-amd64 / genericcloud-arm64
// qcow2 look-alikes) are real small disk images; the other files are small placeholders
// whose digests are stated correctly everywhere.
import { gnuLine } from '../context.ts';
import { compress, makeTar } from '../images.ts';
import { stringify, type Json } from '../json.ts';
import type { Artifact, Distro, PublishedRelease } from '../types.ts';
import { at, compactDay, debianDigest, digests, sha256 } from '../util.ts';
import type { Upstream, UpstreamFactory } from './common.ts';

const ROOT = '/cloud.debian.org/images/cloud';
const SERIES: Record<string, { n: number; codename: string }> = {
  'debian-12': { n: 12, codename: 'bookworm' },
  'debian-11': { n: 11, codename: 'bullseye' },
  'debian-10': { n: 10, codename: 'buster' },
};

/** Vendors and the architectures each is built for (bookworm's set). */
const VENDORS: Record<string, readonly string[]> = {
  azure: ['amd64', 'arm64'],
  ec2: ['amd64', 'arm64'],
  generic: ['amd64', 'arm64', 'ppc64el'],
  genericcloud: ['amd64', 'arm64'],
  nocloud: ['amd64', 'arm64', 'ppc64el'],
};
/** File kinds and their Upload item's image-format label (azure and ec2: tar.xz only). */
const KINDS = [
  { ext: 'tar.xz', label: 'internal' },
  { ext: 'qcow2', label: 'qcow2' },
  { ext: 'raw', label: 'raw' },
] as const;

/** A deterministic uid for an item, shaped like the tool's UUIDs. */
function uid(seed: string): string {
  const h = sha256(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const PACKAGES = [
  ['base-files', '12.4+deb12u'],
  ['cloud-init', '22.4.2-1'],
  ['cloud-initramfs-growroot', '0.18.debian13'],
  ['grub-efi-amd64', '2.06-13+deb12u1'],
  ['libc6', '2.36-9+deb12u'],
  ['openssh-server', '1:9.2p1-2+deb12u'],
  ['qemu-guest-agent', '1:7.2+dfsg-7+deb12u'],
  ['systemd', '252.'],
] as const;

/** One vendor/arch manifest: a `List` of its Build item and one Upload item per file. */
function manifestOf(b: {
  n: number;
  codename: string;
  version: string;
  vendor: string;
  arch: string;
  buildId: number;
  mtime: Date;
  uploads: Array<{ name: string; data: Buffer; label: string }>;
}): Json {
  const common = {
    'cloud.debian.org/vendor': b.vendor,
    'cloud.debian.org/version': b.version,
    'debian.org/arch': b.arch,
    'debian.org/dist': b.codename,
    'debian.org/release': String(b.n),
  };
  const kernel =
    b.vendor === 'generic' || b.vendor === 'nocloud' ? 'linux-image' : 'linux-image-cloud';
  return {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'cloud.debian.org/v1alpha1',
        kind: 'Build',
        metadata: { labels: common, uid: uid(`${b.version} ${b.vendor} ${b.arch} build`) },
        data: {
          info: {
            arch: b.arch,
            build_id: `vendor-${b.vendor}-${b.buildId}`,
            release: b.codename,
            release_baseid: String(b.n),
            release_id: String(b.n),
            type: 'official',
            vendor: b.vendor,
            version: b.version,
          },
          packages: [
            ...PACKAGES.map(([name, v]) => ({ name, version: `${v}${b.buildId % 9}` })),
            { name: `${kernel}-${b.arch}`, version: `6.1.${b.buildId % 200}-1` },
          ],
        },
      },
      ...b.uploads.map((f, i) => ({
        apiVersion: 'cloud.debian.org/v1alpha1',
        kind: 'Upload',
        metadata: {
          labels: {
            ...common,
            'upload.cloud.debian.org/image-format': f.label,
            'upload.cloud.debian.org/provider': 'cdimage.debian.org',
            'upload.cloud.debian.org/type': 'release',
          },
          annotations: {
            'cloud.debian.org/digest': debianDigest(f.data),
            'cloud.debian.org/timestamp': new Date(b.mtime.getTime() + i * 1000)
              .toISOString()
              .replace('Z', '+00:00'),
          },
          uid: uid(`${b.version} ${f.name} upload`),
        },
        data: { provider: 'cdimage.debian.org', ref: `${b.codename}/${b.version}/${f.name}` },
      })),
    ],
  };
}

export const debian: UpstreamFactory = (ctx): Upstream => {
  let counter = 1500; // NNNN: one build counter shared by all releases
  const versions = new Map<string, Set<string>>();

  return {
    distros: Object.keys(SERIES) as Distro[],
    feedPath: (distro) => `${ROOT}/${(SERIES[distro] as { codename: string }).codename}/`,
    // buster's builds stopped: its seed is its last build
    seedPlan: (distro) => (distro === 'debian-10' ? [{ date: '2024-07-03', buildId: 1797 }] : [{}]),
    async publish(distro, day, options): Promise<PublishedRelease> {
      const { n, codename } = SERIES[distro] as { n: number; codename: string };
      const buildId = options.buildId ?? ++counter;
      counter = Math.max(counter, buildId);
      const version = `${compactDay(day)}-${String(buildId).padStart(4, '0')}`;
      let known = versions.get(distro);
      if (!known) versions.set(distro, (known = new Set()));
      if (known.has(version)) throw new Error(`${distro} ${version} is already published`);
      const dir = `${ROOT}/${codename}/${version}`;
      const mtime = at(day, 2, buildId % 60);
      const base = `debian-${n}-genericcloud-amd64-${version}`;
      const seed = `debian ${n} ${version}`;

      const raw = ctx.image(seed, 'raw', options.disk);
      const tar = makeTar([{ name: 'disk.raw', data: raw, mtime }]);
      const files: Array<{
        name: string;
        data: Buffer;
        format: 'qcow2' | 'raw';
        compression: 'none' | 'xz';
        container?: 'tar';
        inner?: Buffer;
        label: string;
      }> = [
        {
          name: `${base}.qcow2`,
          data: ctx.image(seed, 'qcow2', options.disk),
          format: 'qcow2',
          compression: 'none',
          label: 'qcow2',
        },
        { name: `${base}.raw`, data: raw, format: 'raw', compression: 'none', label: 'raw' },
        {
          name: `${base}.tar.xz`,
          data: await compress(tar, 'xz'),
          format: 'raw',
          compression: 'xz',
          container: 'tar',
          inner: raw,
          label: 'internal',
        },
      ];
      const artifacts: Artifact[] = [];
      for (const f of files) {
        const meta = {
          format: f.format,
          compression: f.compression,
          ...(f.container ? { container: f.container } : {}),
          ...(f.inner ? { inner: f.inner } : {}),
        };
        artifacts.push(await ctx.artifact(`${dir}/${f.name}`, f.data, meta, mtime));
      }
      const image = artifacts[0] as Artifact;
      // look-alikes in the same directory: other vendor, other arch
      for (const name of [
        `debian-${n}-generic-amd64-${version}.qcow2`,
        `debian-${n}-genericcloud-arm64-${version}.qcow2`,
      ]) {
        artifacts.push(
          await ctx.artifact(
            `${dir}/${name}`,
            ctx.qcow2(`${seed} ${name}`),
            { format: 'qcow2', compression: 'none' },
            mtime,
          ),
        );
      }

      // every other image of the build: vendor x arch x file kind
      const placeholder = (name: string) => Buffer.from(`placeholder for ${name}\n`);
      const inDir = new Map<string, Buffer>();
      for (const f of files) inDir.set(f.name, f.data);
      for (const a of artifacts.slice(files.length))
        inDir.set(a.name, await ctx.store.read(a.path));
      const manifestNames: string[] = [];
      for (const [vendor, arches] of Object.entries(VENDORS)) {
        for (const arch of arches) {
          const stem = `debian-${n}-${vendor}-${arch}-${version}`;
          const kinds = vendor === 'azure' || vendor === 'ec2' ? KINDS.slice(0, 1) : KINDS;
          const uploads: Array<{ name: string; data: Buffer; label: string }> = [];
          for (const { ext, label } of kinds) {
            const name = `${stem}.${ext}`;
            let data = inDir.get(name);
            if (!data) {
              data = placeholder(name);
              await ctx.store.write(`${dir}/${name}`, data, mtime);
              inDir.set(name, data);
            }
            uploads.push({ name, data, label });
          }
          const manifestName = `${stem}.json`;
          const text = stringify(
            manifestOf({ n, codename, version, vendor, arch, buildId, mtime, uploads }),
            2,
          );
          await ctx.text(`${dir}/${manifestName}`, text, mtime, { checksums: true });
          inDir.set(manifestName, Buffer.from(text));
          manifestNames.push(manifestName);
        }
      }

      const sums = [...inDir]
        .map(([name, data]) => ({ name, sha512: digests(data).sha512 }))
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((f) => gnuLine(f.sha512, f.name));
      await ctx.text(`${dir}/SHA512SUMS`, sums.join('\n') + '\n', mtime, { checksums: true });

      known.add(version);
      const newest = [...known].sort().at(-1) as string;
      await ctx.link(`${ROOT}/${codename}/latest`, newest, mtime);
      return {
        distro,
        version,
        date: day,
        publishedAt: mtime.toISOString(),
        feedUrl: ctx.url(`${ROOT}/${codename}/`),
        image,
        artifacts,
        checksum: { algorithm: 'sha512', hex: image.sha512, url: ctx.url(`${dir}/SHA512SUMS`) },
        signatures: [],
      };
    },
    async withdraw(distro, version): Promise<void> {
      const { codename } = SERIES[distro] as { codename: string };
      const known = versions.get(distro);
      if (!known?.has(version)) throw new Error(`${distro} ${version} is not published`);
      known.delete(version);
      const mtime = at(`${version.slice(0, 4)}-${version.slice(4, 6)}-${version.slice(6, 8)}`, 23);
      await ctx.store.removeTree(`${ROOT}/${codename}/${version}`, mtime);
      const newest = [...known].sort().at(-1);
      if (newest) await ctx.link(`${ROOT}/${codename}/latest`, newest, mtime);
      else await ctx.store.remove(`${ROOT}/${codename}/latest`);
    },
  };
};
