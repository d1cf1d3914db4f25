// CentOS 7 (GNU sha256sum.txt, unsorted, + clearsigned .asc), CentOS 8 (BSD CHECKSUM,
// frozen) and CentOS Stream 9 (BSD CHECKSUM with `-latest` aliases and look-alikes).
// All three are flat directories that accumulate every build, and their lists name every
// file of the folder: other architectures (CentOS 7), Vagrant boxes, ec2 and container
// images, the unversioned / `-latest` aliases (same digest as the file they follow). The
// release's own image and its near look-alikes are served; the rest is listed only.
import { bsdLine, gnuLine } from '../context.ts';
import { compress, makeTar, type CraftedDisk } from '../images.ts';
import type { Artifact, Distro, PublishedRelease, SignatureRef } from '../types.ts';
import { at, compactDay, scramble, type Day } from '../util.ts';
import { aliasOf, listedOnly, type Listed, type Upstream, type UpstreamFactory } from './common.ts';

const C7 = '/cloud.centos.org/centos/7/images';
const C8 = '/cloud.centos.org/centos/8/x86_64/images';
const S9 = '/cloud.centos.org/centos/9-stream/x86_64/images';

interface Build {
  version: string;
  /** Served: the release's image and the look-alikes a parser must not take. */
  files: Artifact[];
  /** Listed in the checksum file, not served. */
  listed: Listed[];
}

const MB = 1024 ** 2;

/** CentOS 7's first builds carried a date tag, not YYMM: still in sha256sum.txt. */
const C7_DATE_TAGGED = ['20140929_01', '20141129_01', '20150628_01'].flatMap((tag) =>
  ['qcow2', 'qcow2.xz'].map((ext) =>
    listedOnly(`CentOS-7-x86_64-GenericCloud-${tag}.${ext}`, `centos 7 ${tag}`, 850 * MB),
  ),
);
/** Forms of every CentOS 7 x86_64 build, each with an unversioned name for the newest. */
const C7_FORMS = ['qcow2', 'qcow2c', 'qcow2.xz', 'raw.tar.gz'] as const;

export const centos: UpstreamFactory = (ctx): Upstream => {
  const builds: Record<'centos-7' | 'centos-8' | 'centos-stream-9', Build[]> = {
    'centos-7': [],
    'centos-8': [],
    'centos-stream-9': [],
  };
  const plain = { format: 'qcow2', compression: 'none' } as const;

  async function centos7(day: Day, crafted?: CraftedDisk): Promise<PublishedRelease> {
    const list = builds['centos-7'];
    const yymm = compactDay(day).slice(2, 6);
    let tag = yymm;
    for (let n = 1; list.some((b) => b.version === tag); n++)
      tag = `${yymm}_${String(n).padStart(2, '0')}`;
    const mtime = at(day, 14, 0, list.length);
    const base = `CentOS-7-x86_64-GenericCloud-${tag}`;
    const seed = `centos 7 ${tag}`;
    const disk = ctx.image(seed, 'qcow2', crafted);
    const raw = ctx.image(seed, 'raw', crafted);
    const image = await ctx.artifact(`${C7}/${base}.qcow2`, disk, plain, mtime);
    const files = [
      image,
      await ctx.artifact(`${C7}/${base}.qcow2c`, ctx.qcow2(`${seed} qcow2c`), plain, mtime),
      await ctx.artifact(
        `${C7}/${base}.qcow2.xz`,
        await compress(disk, 'xz'),
        { format: 'qcow2', compression: 'xz', inner: disk },
        mtime,
      ),
      await ctx.artifact(
        `${C7}/${base}.raw.tar.gz`,
        await compress(makeTar([{ name: `${base}.raw`, data: raw, mtime }]), 'gz'),
        { format: 'raw', compression: 'gz', container: 'tar', inner: raw },
        mtime,
      ),
      await ctx.artifact(
        `${C7}/CentOS-7-aarch64-GenericCloud-${tag}.qcow2`,
        ctx.qcow2(`${seed} aarch64`),
        plain,
        mtime,
      ),
    ];
    const listed = [
      listedOnly(`CentOS-7-aarch64-GenericCloud-${tag}.qcow2.xz`, seed, 330 * MB),
      listedOnly(`CentOS-7-aarch64-GenericCloud-${tag}.raw.tar.gz`, seed, 360 * MB),
      listedOnly(`CentOS-7-ppc64le-GenericCloud-${tag}.qcow2`, seed, 880 * MB),
      listedOnly(`CentOS-7-ppc64le-GenericCloud-${tag}.qcow2.xz`, seed, 310 * MB),
    ];
    list.push({ version: tag, files, listed });
    // the unversioned names follow the newest build, in every form
    const sorted = [...list].sort((a, b) => (a.version < b.version ? -1 : 1));
    const newest = sorted.at(-1) as Build;
    const unversioned: Listed[] = [];
    for (const form of C7_FORMS) {
      const target = newest.files.find(
        (f) => f.name === `CentOS-7-x86_64-GenericCloud-${newest.version}.${form}`,
      ) as Artifact;
      const name = `CentOS-7-x86_64-GenericCloud.${form}`;
      await ctx.link(`${C7}/${name}`, target.name, mtime);
      unversioned.push(aliasOf(target, name));
    }
    // appended over the years, never sorted: the first builds, then the YYMM ones
    const entries = [
      ...C7_DATE_TAGGED,
      ...scramble(sorted).flatMap((b) => [...b.files, ...b.listed]),
      ...unversioned.slice(1),
    ];
    entries.splice(1, 0, unversioned[0] as Listed);
    const lines = entries.map((f) => gnuLine(f.sha256, f.name));
    await ctx.text(`${C7}/sha256sum.txt`, lines.join('\n') + '\n', mtime, { checksums: true });
    const sig = await ctx.clearsigned(
      `${C7}/sha256sum.txt.asc`,
      `${C7}/sha256sum.txt`,
      'centos',
      mtime,
    );
    return release('centos-7', tag, day, mtime, `${C7}/sha256sum.txt`, image, files, [sig]);
  }

  async function centos8(
    day: Day,
    point: string,
    crafted?: CraftedDisk,
  ): Promise<PublishedRelease> {
    const list = builds['centos-8'];
    let n = 0;
    const version = () => `${point}-${compactDay(day)}.${n}`;
    while (list.some((b) => b.version === version())) n++;
    const v = version();
    const mtime = at(day, 16, 0, list.length);
    const image = await ctx.artifact(
      `${C8}/CentOS-8-GenericCloud-${v}.x86_64.qcow2`,
      ctx.image(`centos 8 ${v}`, 'qcow2', crafted),
      plain,
      mtime,
    );
    const files = [
      image,
      await ctx.artifact(
        `${C8}/CentOS-8-ec2-${v}.x86_64.qcow2`,
        ctx.qcow2(`centos 8 ${v} ec2`),
        plain,
        mtime,
      ),
    ];
    const seed = `centos 8 ${v}`;
    const listed = [
      listedOnly(`CentOS-8-Container-${v}.x86_64.tar.xz`, seed, 45 * MB),
      listedOnly(`CentOS-8-Vagrant-${v}.x86_64.vagrant-libvirt.box`, seed, 700 * MB),
      listedOnly(`CentOS-8-Vagrant-${v}.x86_64.vagrant-virtualbox.box`, seed, 720 * MB),
    ];
    list.push({ version: v, files, listed });
    // one compose after the other, each compose's files by name; sizes in K
    const lines = list.flatMap((b) =>
      [...b.files, ...b.listed]
        .sort((x, y) => (x.name < y.name ? -1 : 1))
        .flatMap((f) => [
          `# ${f.name}: ${Math.ceil(f.size / 1024)}K bytes`,
          bsdLine(f.name, f.sha256),
        ]),
    );
    await ctx.text(`${C8}/CHECKSUM`, lines.join('\n') + '\n', mtime, { checksums: true });
    return release('centos-8', v, day, mtime, `${C8}/CHECKSUM`, image, files, []);
  }

  async function stream9(day: Day, crafted?: CraftedDisk): Promise<PublishedRelease> {
    const list = builds['centos-stream-9'];
    let n = 0;
    while (list.some((b) => b.version === `9-${compactDay(day)}.${n}`)) n++;
    const stamp = `${compactDay(day)}.${n}`;
    const v = `9-${stamp}`;
    const mtime = at(day, 3, 0, list.length);
    const image = await ctx.artifact(
      `${S9}/CentOS-Stream-GenericCloud-9-${stamp}.x86_64.qcow2`,
      ctx.image(`stream 9 ${stamp}`, 'qcow2', crafted),
      plain,
      mtime,
    );
    const files = [
      image,
      // look-alikes: the newer naming scheme and other flavours of the same build
      await ctx.artifact(
        `${S9}/CentOS-Stream-GenericCloud-x86_64-9-${stamp}.x86_64.qcow2`,
        ctx.qcow2(`stream 9 ${stamp} x86_64-9`),
        plain,
        mtime,
      ),
      await ctx.artifact(
        `${S9}/CentOS-Stream-ec2-9-${stamp}.x86_64.qcow2`,
        ctx.qcow2(`stream 9 ${stamp} ec2`),
        plain,
        mtime,
      ),
    ];
    const seed = `stream 9 ${stamp}`;
    const listed = [
      listedOnly(`CentOS-Stream-Container-Base-9-${stamp}.x86_64.tar.xz`, seed, 50 * MB),
      listedOnly(`CentOS-Stream-Container-Minimal-9-${stamp}.x86_64.tar.xz`, seed, 30 * MB),
      listedOnly(`CentOS-Stream-Vagrant-9-${stamp}.x86_64.vagrant-libvirt.box`, seed, 800 * MB),
      listedOnly(`CentOS-Stream-Vagrant-9-${stamp}.x86_64.vagrant-virtualbox.box`, seed, 820 * MB),
    ];
    list.push({ version: v, files, listed });
    // `-latest` names follow the newest build: the two qcow2 namings are served (links)
    const newest = [...list].sort((a, b) => (a.version < b.version ? -1 : 1)).at(-1) as Build;
    const aliases: Listed[] = [];
    for (const [latest, dated] of [
      ['CentOS-Stream-GenericCloud-9-latest.x86_64.qcow2', newest.files[0]],
      ['CentOS-Stream-GenericCloud-x86_64-9-latest.x86_64.qcow2', newest.files[1]],
    ] as const) {
      await ctx.link(`${S9}/${latest}`, (dated as Artifact).name, mtime);
      aliases.push(aliasOf(dated as Artifact, latest));
    }
    for (const box of ['libvirt', 'virtualbox'])
      aliases.push(
        aliasOf(
          newest.listed.find((f) => f.name.endsWith(`.vagrant-${box}.box`)) as Listed,
          `CentOS-Stream-Vagrant-9-latest.x86_64.vagrant-${box}.box`,
        ),
      );
    const all = [...list.flatMap((b) => [...b.files, ...b.listed]), ...aliases].sort((a, b) =>
      a.name < b.name ? -1 : 1,
    );
    const lines = all.flatMap((f) => [`# ${f.name}: ${f.size} bytes`, bsdLine(f.name, f.sha256)]);
    await ctx.text(`${S9}/CHECKSUM`, lines.join('\n') + '\n', mtime, { checksums: true });
    return release('centos-stream-9', v, day, mtime, `${S9}/CHECKSUM`, image, files, []);
  }

  function release(
    distro: Distro,
    version: string,
    day: Day,
    mtime: Date,
    checksumPath: string,
    image: Artifact,
    artifacts: Artifact[],
    signatures: SignatureRef[],
  ): PublishedRelease {
    return {
      distro,
      version,
      date: day,
      publishedAt: mtime.toISOString(),
      feedUrl: ctx.url(checksumPath),
      image,
      artifacts,
      checksum: { algorithm: 'sha256', hex: image.sha256, url: ctx.url(checksumPath) },
      signatures,
    };
  }

  return {
    distros: ['centos-7', 'centos-8', 'centos-stream-9'],
    feedPath: (distro) =>
      distro === 'centos-7'
        ? `${C7}/sha256sum.txt`
        : distro === 'centos-8'
          ? `${C8}/CHECKSUM`
          : `${S9}/CHECKSUM`,
    // 7 and 8 are frozen: their seed is their last two builds
    seedPlan: (distro) =>
      distro === 'centos-7'
        ? [{ date: '2020-09-29' }, { date: '2022-11-14' }]
        : distro === 'centos-8'
          ? [
              { date: '2020-12-04', pointRelease: '8.3.2011' },
              { date: '2021-06-03', pointRelease: '8.4.2105' },
            ]
          : [{}],
    publish(distro, day, options) {
      if (distro === 'centos-7') return centos7(day, options.disk);
      if (distro === 'centos-8')
        return centos8(
          day,
          options.pointRelease ?? (day < '2021-06-01' ? '8.3.2011' : '8.4.2105'),
          options.disk,
        );
      return stream9(day, options.disk);
    },
  };
};
