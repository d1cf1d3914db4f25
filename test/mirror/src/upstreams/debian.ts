// Debian 12/11/10 genericcloud: dated `<codename>/<YYYYMMDD-NNNN>/` directories with
// qcow2, raw, tar.xz, a JSON `List` manifest (digest `sha512:` + unpadded base64) and
// SHA512SUMS; `latest/` is a link swapped to the newest; no signatures (as upstream).
import { gnuLine } from '../context.ts';
import { compress, makeTar } from '../images.ts';
import { stringify, type Json } from '../json.ts';
import type { Artifact, Distro, PublishedRelease } from '../types.ts';
import { at, compactDay, debianDigest, digests } from '../util.ts';
import type { Upstream, UpstreamFactory } from './common.ts';

const ROOT = '/cloud.debian.org/images/cloud';
const SERIES: Record<string, { n: number; codename: string }> = {
  'debian-12': { n: 12, codename: 'bookworm' },
  'debian-11': { n: 11, codename: 'bullseye' },
  'debian-10': { n: 10, codename: 'buster' },
};

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

      const manifest: Json = {
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'cloud.debian.org/v1alpha1',
            kind: 'Build',
            metadata: {
              labels: {
                'cloud.debian.org/vendor': 'genericcloud',
                'cloud.debian.org/version': version,
                'debian.org/arch': 'amd64',
                'debian.org/dist': codename,
                'debian.org/release': String(n),
              },
            },
            data: {
              info: {
                arch: 'amd64',
                build_id: `vendor-genericcloud-${buildId}`,
                release: codename,
                release_baseid: String(n),
                release_id: String(n),
                type: 'official',
                vendor: 'genericcloud',
                version,
              },
              packages: [
                { name: 'cloud-init', version: '22.4.2-1' },
                { name: 'linux-image-cloud-amd64', version: `6.1.${buildId % 200}-1` },
              ],
            },
          },
          ...files.map((f, i) => ({
            apiVersion: 'cloud.debian.org/v1alpha1',
            kind: 'Upload',
            metadata: {
              labels: {
                'cloud.debian.org/version': version,
                'upload.cloud.debian.org/image-format': f.label,
                'upload.cloud.debian.org/provider': 'cdimage.debian.org',
                'upload.cloud.debian.org/type': 'release',
              },
              annotations: {
                'cloud.debian.org/digest': debianDigest(f.data),
                'cloud.debian.org/timestamp': new Date(mtime.getTime() + i * 1000)
                  .toISOString()
                  .replace('Z', '+00:00'),
              },
            },
            data: { provider: 'cdimage.debian.org', ref: `${codename}/${version}/${f.name}` },
          })),
        ],
      };
      const manifestName = `${base}.json`;
      const manifestText = stringify(manifest, 2);
      await ctx.text(`${dir}/${manifestName}`, manifestText, mtime, { checksums: true });

      const sums = [
        ...artifacts.map((a) => ({ name: a.name, sha512: a.sha512 })),
        { name: manifestName, sha512: digests(Buffer.from(manifestText)).sha512 },
      ]
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
