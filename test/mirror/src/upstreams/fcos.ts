// Fedora CoreOS stable: `streams/stable.json` naming only the current build; the
// openstack artifact is qcow2.xz with `sha256` over the .xz, `uncompressed-sha256` over
// the qcow2 inside, and a detached binary signature (`.sig`) by the Fedora key.
import { compress } from '../images.ts';
import { stringify } from '../json.ts';
import type { Artifact, PublishedRelease, SignatureRef } from '../types.ts';
import { addDays, at, compactDay, type Day } from '../util.ts';
import type { Upstream, UpstreamFactory } from './common.ts';

const HOST = '/builds.coreos.fedoraproject.org';
const STREAM = `${HOST}/streams/stable.json`;

/** The Fedora release FCOS stable is on at that day (F40 reached stable around June 2024). */
export function fedoraMajor(day: Day): number {
  const year = Number(day.slice(0, 4));
  const month = Number(day.slice(5, 7));
  return 39 + 2 * (year - 2024) + (month >= 6 ? 1 : 0) + (month >= 12 ? 1 : 0);
}

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
      const dir = `${HOST}/prod/streams/stable/builds/${version}/x86_64`;
      const published: Record<string, { artifact: Artifact; sig: SignatureRef }> = {};
      for (const platform of ['openstack', 'qemu']) {
        // the openstack image is the release's; the qemu one stays sound
        const disk = ctx.image(
          `fcos ${version} ${platform}`,
          'qcow2',
          platform === 'openstack' ? options.disk : undefined,
        );
        const path = `${dir}/fedora-coreos-${version}-${platform}.x86_64.qcow2.xz`;
        const artifact = await ctx.artifact(
          path,
          await compress(disk, 'xz'),
          { format: 'qcow2', compression: 'xz', inner: disk },
          mtime,
        );
        published[platform] = {
          artifact,
          sig: await ctx.detached(`${path}.sig`, path, 'fedora', false, mtime),
        };
      }
      const entry = (platform: string) => {
        const p = published[platform] as { artifact: Artifact; sig: SignatureRef };
        return {
          release: version,
          formats: {
            'qcow2.xz': {
              disk: {
                location: p.artifact.url,
                signature: p.sig.url,
                sha256: p.artifact.sha256,
                'uncompressed-sha256': p.artifact.uncompressed.sha256,
              },
            },
          },
        };
      };
      const stream = {
        stream: 'stable',
        metadata: {
          'last-modified': mtime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          generator: 'fedora-coreos-stream-generator v0.4.0',
        },
        architectures: {
          x86_64: { artifacts: { openstack: entry('openstack'), qemu: entry('qemu') } },
        },
      };
      await ctx.text(STREAM, stringify(stream, 2), mtime, { checksums: true });
      const { artifact: image, sig } = published['openstack'] as {
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
        artifacts: Object.values(published).map((p) => p.artifact),
        checksum: { algorithm: 'sha256', hex: image.sha256, url: ctx.url(STREAM) },
        signatures: [sig],
      };
    },
  };
};
