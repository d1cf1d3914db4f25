// AlmaLinux (GNU CHECKSUM + clearsigned CHECKSUM.asc, `-ext4-` and `-latest` look-alikes)
// and Rocky (per-file BSD `<file>.CHECKSUM` plus a directory CHECKSUM, `-LVM-` and
// `.latest` look-alikes). Flat directories that accumulate builds.
import { bsdLine, gnuLine } from '../context.ts';
import type { Artifact, Distro, PublishedRelease } from '../types.ts';
import { at, compactDay } from '../util.ts';
import type { Upstream, UpstreamFactory } from './common.ts';

const ALMA: Record<string, { major: number; point: string }> = {
  'almalinux-9': { major: 9, point: '9.6' },
  'almalinux-8': { major: 8, point: '8.10' },
};
const ROCKY: Record<string, { major: number; point: string }> = {
  'rocky-9': { major: 9, point: '9.6' },
  'rocky-8': { major: 8, point: '8.10' },
};
const almaDir = (major: number) => `/repo.almalinux.org/almalinux/${major}/cloud/x86_64/images`;
const rockyDir = (major: number) => `/dl.rockylinux.org/pub/rocky/${major}/images/x86_64`;
const byName = (a: { name: string }, b: { name: string }) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

export const el: UpstreamFactory = (ctx): Upstream => {
  const builds = new Map<string, Array<{ version: string; files: Artifact[] }>>();
  const plain = { format: 'qcow2', compression: 'none' } as const;
  const listOf = (distro: string) => {
    let list = builds.get(distro);
    if (!list) builds.set(distro, (list = []));
    return list;
  };

  return {
    distros: [...Object.keys(ALMA), ...Object.keys(ROCKY)] as Distro[],
    feedPath: (distro) =>
      distro in ALMA
        ? `${almaDir((ALMA[distro] as { major: number }).major)}/CHECKSUM`
        : `${rockyDir((ROCKY[distro] as { major: number }).major)}/CHECKSUM`,
    seedPlan: () => [{}],
    async publish(distro, day, options): Promise<PublishedRelease> {
      const list = listOf(distro);
      const mtime = at(day, 9, 0, list.length);
      if (distro in ALMA) {
        const { major, point: defaultPoint } = ALMA[distro] as { major: number; point: string };
        const dir = almaDir(major);
        const point = options.pointRelease ?? defaultPoint;
        const version = `${point}-${compactDay(day)}`;
        if (list.some((b) => b.version === version))
          throw new Error(
            `${distro} ${version} is already published (AlmaLinux has no respins: use another date)`,
          );
        const image = await ctx.artifact(
          `${dir}/AlmaLinux-${major}-GenericCloud-${version}.x86_64.qcow2`,
          ctx.image(`alma ${version}`, 'qcow2', options.disk),
          plain,
          mtime,
        );
        const files = [
          image,
          await ctx.artifact(
            `${dir}/AlmaLinux-${major}-GenericCloud-ext4-${version}.x86_64.qcow2`,
            ctx.qcow2(`alma ${version} ext4`),
            plain,
            mtime,
          ),
        ];
        list.push({ version, files });
        const newest = [...list]
          .sort((a, b) =>
            (a.version.split('-')[1] ?? '').localeCompare(b.version.split('-')[1] ?? ''),
          )
          .at(-1)?.files[0] as Artifact;
        const latest = `AlmaLinux-${major}-GenericCloud-latest.x86_64.qcow2`;
        await ctx.link(`${dir}/${latest}`, newest.name, mtime);
        const all = [...list.flatMap((b) => b.files), ctx.alias(newest, `${dir}/${latest}`)].sort(
          byName,
        );
        await ctx.text(
          `${dir}/CHECKSUM`,
          all.map((f) => gnuLine(f.sha256, f.name)).join('\n') + '\n',
          mtime,
          { checksums: true },
        );
        const sig = await ctx.clearsigned(
          `${dir}/CHECKSUM.asc`,
          `${dir}/CHECKSUM`,
          'almalinux',
          mtime,
        );
        return {
          distro,
          version,
          date: day,
          publishedAt: mtime.toISOString(),
          feedUrl: ctx.url(`${dir}/CHECKSUM`),
          image,
          artifacts: files,
          checksum: { algorithm: 'sha256', hex: image.sha256, url: ctx.url(`${dir}/CHECKSUM`) },
          signatures: [sig],
        };
      }
      const { major, point: defaultPoint } = ROCKY[distro] as { major: number; point: string };
      const dir = rockyDir(major);
      const point = options.pointRelease ?? defaultPoint;
      let n = 0;
      while (list.some((b) => b.version === `${point}-${compactDay(day)}.${n}`)) n++;
      const version = `${point}-${compactDay(day)}.${n}`;
      const image = await ctx.artifact(
        `${dir}/Rocky-${major}-GenericCloud-Base-${version}.x86_64.qcow2`,
        ctx.image(`rocky ${version}`, 'qcow2', options.disk),
        plain,
        mtime,
      );
      const files = [
        image,
        await ctx.artifact(
          `${dir}/Rocky-${major}-GenericCloud-LVM-${version}.x86_64.qcow2`,
          ctx.qcow2(`rocky ${version} lvm`),
          plain,
          mtime,
        ),
      ];
      list.push({ version, files });
      const checksumOf = (f: Artifact) =>
        `# ${f.name}: ${f.size} bytes\n${bsdLine(f.name, f.sha256)}\n`;
      for (const f of files)
        await ctx.text(`${dir}/${f.name}.CHECKSUM`, checksumOf(f), mtime, { checksums: true });
      const newest = [...list]
        .sort((a, b) =>
          (a.version.split('-')[1] ?? '').localeCompare(b.version.split('-')[1] ?? '', 'en', {
            numeric: true,
          }),
        )
        .at(-1)?.files[0] as Artifact;
      const latest = ctx.alias(
        newest,
        `${dir}/Rocky-${major}-GenericCloud-Base.latest.x86_64.qcow2`,
      );
      await ctx.link(latest.path, newest.name, mtime);
      await ctx.text(`${latest.path}.CHECKSUM`, checksumOf(latest), mtime, { checksums: true });
      const all = [...list.flatMap((b) => b.files), latest].sort(byName);
      await ctx.text(`${dir}/CHECKSUM`, all.map(checksumOf).join(''), mtime, { checksums: true });
      return {
        distro,
        version,
        date: day,
        publishedAt: mtime.toISOString(),
        feedUrl: ctx.url(`${dir}/CHECKSUM`),
        image,
        artifacts: files,
        checksum: {
          algorithm: 'sha256',
          hex: image.sha256,
          url: ctx.url(`${image.path}.CHECKSUM`),
        },
        signatures: [],
      };
    },
  };
};
