// AlmaLinux (BSD CHECKSUM with `# <file>: <n> bytes` comments + clearsigned CHECKSUM.asc)
// and Rocky (per-file BSD `<file>.CHECKSUM` plus a directory CHECKSUM). Flat directories
// that accumulate builds; each list names every file of the folder: the GenericCloud
// image and its `-ext4-` / `-LVM-` variant (served), the other products of the same build
// (OCI, OpenNebula; EC2, OCP, Azure, containers, Vagrant boxes: listed only, made-up
// digests) and a `latest` alias of each, with the digest of the newest file it follows.
import { bsdLine } from '../context.ts';
import type { Artifact, Distro, PublishedRelease } from '../types.ts';
import { at, compactDay } from '../util.ts';
import { aliasOf, listedOnly, type Listed, type Upstream, type UpstreamFactory } from './common.ts';

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
const MB = 1024 ** 2;
/** `# <file>: <n> bytes` then `SHA256 (<file>) = <hex>`, as AlmaLinux and Rocky write them. */
const sizedBsd = (f: Listed) => `# ${f.name}: ${f.size} bytes\n${bsdLine(f.name, f.sha256)}\n`;

/** Rocky's products of one build beside GenericCloud: [kind, suffix, typical size]. */
const ROCKY_PRODUCTS = [
  ['EC2-Base', 'qcow2', 1700],
  ['EC2-LVM', 'qcow2', 1750],
  ['OCP-Base', 'qcow2', 1650],
  ['Azure-Base', 'vhd', 10240],
  ['Azure-LVM', 'vhd', 10240],
  ['Container-Base', 'tar.xz', 60],
  ['Container-Minimal', 'tar.xz', 40],
  ['Container-UBI', 'tar.xz', 70],
  ['Vagrant-Libvirt', 'box', 780],
  ['Vagrant-Vbox', 'box', 800],
  ['Vagrant-VMware', 'box', 820],
] as const;

export const el: UpstreamFactory = (ctx): Upstream => {
  const builds = new Map<string, Array<{ version: string; files: Artifact[]; listed: Listed[] }>>();
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
        const listed = (['OCI', 'OpenNebula'] as const).map((kind) =>
          listedOnly(
            `AlmaLinux-${major}-${kind}-${version}.x86_64.qcow2`,
            `alma ${version}`,
            520 * MB,
          ),
        );
        list.push({ version, files, listed });
        const newest = [...list]
          .sort((a, b) =>
            (a.version.split('-')[1] ?? '').localeCompare(b.version.split('-')[1] ?? ''),
          )
          .at(-1) as { version: string; files: Artifact[]; listed: Listed[] };
        // `-latest` of each product; the two GenericCloud ones are served (links)
        const aliases: Listed[] = [];
        for (const [kind, dated] of [
          ['GenericCloud', newest.files[0]],
          ['GenericCloud-ext4', newest.files[1]],
        ] as const) {
          const name = `AlmaLinux-${major}-${kind}-latest.x86_64.qcow2`;
          await ctx.link(`${dir}/${name}`, (dated as Artifact).name, mtime);
          aliases.push(aliasOf(dated as Artifact, name));
        }
        for (const dated of newest.listed)
          aliases.push(aliasOf(dated, dated.name.replace(`-${newest.version}.`, '-latest.')));
        const all = [...list.flatMap((b) => [...b.files, ...b.listed]), ...aliases].sort(byName);
        await ctx.text(`${dir}/CHECKSUM`, all.map(sizedBsd).join(''), mtime, { checksums: true });
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
      const listed = ROCKY_PRODUCTS.map(([kind, suffix, mb]) =>
        listedOnly(
          `Rocky-${major}-${kind}-${version}.x86_64.${suffix}`,
          `rocky ${version}`,
          mb * MB,
        ),
      );
      list.push({ version, files, listed });
      const newest = [...list]
        .sort((a, b) =>
          (a.version.split('-')[1] ?? '').localeCompare(b.version.split('-')[1] ?? '', 'en', {
            numeric: true,
          }),
        )
        .at(-1) as { version: string; files: Artifact[]; listed: Listed[] };
      // `.latest` of each product, and a bare `<product>.latest` for the Base flavour of
      // GenericCloud, EC2 and Azure; the GenericCloud ones are served (links)
      const latestName = (dated: Listed) => dated.name.replace(`-${newest.version}.`, '.latest.');
      const aliases: Listed[] = [];
      const [base, lvm] = newest.files as [Artifact, Artifact];
      for (const [name, dated] of [
        [latestName(base), base],
        [latestName(lvm), lvm],
        [`Rocky-${major}-GenericCloud.latest.x86_64.qcow2`, base],
      ] as const) {
        await ctx.link(`${dir}/${name}`, dated.name, mtime);
        aliases.push(aliasOf(dated, name));
      }
      const servedAliases = [...aliases];
      for (const dated of newest.listed) {
        aliases.push(aliasOf(dated, latestName(dated)));
        if (/-(EC2|Azure)-Base-/.test(dated.name))
          aliases.push(aliasOf(dated, latestName(dated).replace('-Base.latest.', '.latest.')));
      }
      // each served file has its own `<file>.CHECKSUM` (older builds' are written already;
      // listed-only files' are not served), and the directory CHECKSUM lists them all
      const all = [...list.flatMap((b) => [...b.files, ...b.listed]), ...aliases].sort(byName);
      for (const f of [...files, ...servedAliases])
        await ctx.text(`${dir}/${f.name}.CHECKSUM`, sizedBsd(f), mtime, { checksums: true });
      await ctx.text(`${dir}/CHECKSUM`, all.map(sizedBsd).join(''), mtime, { checksums: true });
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
