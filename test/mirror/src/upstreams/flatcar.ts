// Flatcar stable: `amd64-usr/current/version.txt` (KEY=value: FLATCAR_BUILD, _BRANCH, _PATCH,
// _VERSION, _VERSION_ID, _BUILD_ID, _SDK_VERSION, as release builds write it), pinned directory
// `amd64-usr/<version>/` with the OpenStack image as .img (qcow2), .img.bz2 and .img.gz,
// each with `.DIGESTS` (MD5/SHA1/SHA512 sections: what flatcar/scripts' make_digests
// writes), `.DIGESTS.asc` (clearsigned) and `.sig` (detached, binary) by the Flatcar key's
// signing subkey; release dates in
// www.flatcar.org/releases-json/releases-stable.json.
import { gnuLine } from '../context.ts';
import { compress, type Compression } from '../images.ts';
import { stringify } from '../json.ts';
import type { Artifact, PublishedRelease, SignatureRef } from '../types.ts';
import { at, daysBetween } from '../util.ts';
import type { Upstream, UpstreamFactory } from './common.ts';

const ROOT = '/stable.release.flatcar-linux.net/amd64-usr';
const RELEASES = '/www.flatcar.org/releases-json/releases-stable.json';
const IMAGE = 'flatcar_production_openstack_image.img';

export const flatcar: UpstreamFactory = (ctx): Upstream => {
  const releases = new Map<string, { date: Date }>();
  return {
    distros: ['flatcar-stable'],
    feedPath: () => `${ROOT}/current/version.txt`,
    seedPlan: () => [{}],
    async publish(distro, day, options): Promise<PublishedRelease> {
      // build numbers count days since mid-2013; stable lags alpha by about three months
      const build = daysBetween('2013-07-01', day) - 90;
      let patch = 0;
      while (releases.has(`${build}.2.${patch}`)) patch++;
      const version = `${build}.2.${patch}`;
      const mtime = at(day, 15, 0, patch);
      const dir = `${ROOT}/${version}`;
      const disk = ctx.image(`flatcar ${version}`, 'qcow2', options.disk);
      const artifacts: Artifact[] = [];
      const signatures: SignatureRef[] = [];
      const forms: Array<[string, Compression]> = [
        ['.bz2', 'bz2'],
        ['.gz', 'gz'],
        ['', 'none'],
      ];
      for (const [suffix, kind] of forms) {
        const path = `${dir}/${IMAGE}${suffix}`;
        const data = await compress(disk, kind);
        const a = await ctx.artifact(
          path,
          data,
          { format: 'qcow2', compression: kind, ...(kind === 'none' ? {} : { inner: disk }) },
          mtime,
        );
        artifacts.push(a);
        const digests = [
          '# MD5 HASH',
          gnuLine(a.md5, a.name),
          '# SHA1 HASH',
          gnuLine(a.sha1, a.name),
          '# SHA512 HASH',
          gnuLine(a.sha512, a.name),
        ];
        await ctx.text(`${path}.DIGESTS`, digests.join('\n') + '\n', mtime, { checksums: true });
        signatures.push(
          await ctx.clearsigned(`${path}.DIGESTS.asc`, `${path}.DIGESTS`, 'flatcar', mtime),
        );
        signatures.push(await ctx.detached(`${path}.sig`, path, 'flatcar', false, mtime));
      }
      const versionTxt = [
        `FLATCAR_BUILD=${build}`,
        'FLATCAR_BRANCH=2',
        `FLATCAR_PATCH=${patch}`,
        `FLATCAR_VERSION=${version}`,
        `FLATCAR_VERSION_ID=${version}`,
        // a release build's id is its build timestamp, quoted; its SDK is the major's first
        `FLATCAR_BUILD_ID="${mtime.toISOString().slice(0, 16).replace('T', '-').replace(':', '')}"`,
        `FLATCAR_SDK_VERSION=${build}.0.0`,
      ];
      await ctx.text(`${dir}/version.txt`, versionTxt.join('\n') + '\n', mtime);
      releases.set(version, { date: mtime });
      const newest = [...releases.keys()]
        .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
        .at(-1) as string;
      await ctx.link(`${ROOT}/current`, newest, mtime);
      const json: Record<string, unknown> = {};
      for (const [v, r] of releases) {
        json[v] = {
          channel: 'stable',
          architectures: ['amd64', 'arm64'],
          release_date: r.date
            .toISOString()
            .replace('T', ' ')
            .replace(/\.\d{3}Z$/, ' +0000'),
          major_software: { kernel: ['6.6.56'], systemd: ['255'] },
          release_notes: `Flatcar ${v} (test mirror)`,
          github_release: `https://github.com/flatcar/scripts/releases/tag/stable-${v}`,
        };
      }
      await ctx.text(RELEASES, stringify(json as never, 2), mtime);
      const image = artifacts[0] as Artifact;
      return {
        distro,
        version,
        date: day,
        publishedAt: mtime.toISOString(),
        feedUrl: ctx.url(`${ROOT}/current/version.txt`),
        image,
        artifacts,
        checksum: { algorithm: 'sha512', hex: image.sha512, url: ctx.url(`${image.path}.DIGESTS`) },
        signatures: signatures.slice(0, 2),
      };
    },
  };
};
