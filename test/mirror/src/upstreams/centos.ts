// CentOS 7 (GNU sha256sum.txt, unsorted, + clearsigned .asc), CentOS 8 (BSD CHECKSUM,
// frozen) and CentOS Stream 9 (BSD CHECKSUM with a `-latest` alias and look-alikes).
// All three are flat directories that accumulate every build.
import { bsdLine, gnuLine } from '../context.ts';
import { compress, makeTar, type CraftedDisk } from '../images.ts';
import type { Artifact, Distro, PublishedRelease, SignatureRef } from '../types.ts';
import { at, compactDay, scramble, type Day } from '../util.ts';
import type { Upstream, UpstreamFactory } from './common.ts';

const C7 = '/cloud.centos.org/centos/7/images';
const C8 = '/cloud.centos.org/centos/8/x86_64/images';
const S9 = '/cloud.centos.org/centos/9-stream/x86_64/images';

interface Build {
  version: string;
  files: Artifact[];
}

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
    list.push({ version: tag, files });
    // the unversioned name follows the newest build
    const newest = [...list].sort((a, b) => (a.version < b.version ? -1 : 1)).at(-1) as Build;
    const newestImage = newest.files[0] as Artifact;
    await ctx.link(`${C7}/CentOS-7-x86_64-GenericCloud.qcow2`, newestImage.name, mtime);
    const sorted = [...list].sort((a, b) => (a.version < b.version ? -1 : 1));
    const lines = scramble(sorted).flatMap((b) => b.files.map((f) => gnuLine(f.sha256, f.name)));
    lines.splice(1, 0, gnuLine(newestImage.sha256, 'CentOS-7-x86_64-GenericCloud.qcow2'));
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
    list.push({ version: v, files });
    const lines = list.flatMap((b) =>
      b.files.flatMap((f) => [
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
    list.push({ version: v, files });
    const newest = [...list].sort((a, b) => (a.version < b.version ? -1 : 1)).at(-1) as Build;
    const latestName = 'CentOS-Stream-GenericCloud-9-latest.x86_64.qcow2';
    await ctx.link(`${S9}/${latestName}`, (newest.files[0] as Artifact).name, mtime);
    const all = [
      ...list.flatMap((b) => b.files),
      ctx.alias(newest.files[0] as Artifact, `${S9}/${latestName}`),
    ].sort((a, b) => (a.name < b.name ? -1 : 1));
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
