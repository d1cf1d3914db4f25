// Ubuntu server (24.04, 22.04, 20.04) and Minimal (24.04, 22.04): simplestreams index +
// products file (with clearsigned .sjson twins), dated `release-<serial>/` directories
// with SHA256SUMS (`<hex> *<file>`) + SHA256SUMS.gpg, and a mutable `release/` link.
import { gnuLine } from '../context.ts';
import { ordered, stringify, type Json } from '../json.ts';
import type { Artifact, Distro, PublishedRelease } from '../types.ts';
import { at, compactDay, compareSerial, digests, rfc2822, scramble, type Day } from '../util.ts';
import { nextRespin, type Upstream, type UpstreamFactory } from './common.ts';

const HOST = '/cloud-images.ubuntu.com';
const CONTENT_ID = 'com.ubuntu.cloud:released:download';

const SERIES = {
  '24.04': {
    codename: 'noble',
    codenameTitle: 'Noble Numbat',
    title: '24.04 LTS',
    eol: '2029-05-31',
  },
  '22.04': {
    codename: 'jammy',
    codenameTitle: 'Jammy Jellyfish',
    title: '22.04 LTS',
    eol: '2027-06-01',
  },
  '20.04': {
    codename: 'focal',
    codenameTitle: 'Focal Fossa',
    title: '20.04 LTS',
    eol: '2025-05-29',
  },
} as const;
type Series = keyof typeof SERIES;

type Kind = 'server' | 'minimal';
const STREAMS: Record<Kind, { root: string; itemPrefix: string }> = {
  // item paths are relative to `.../releases/`; the server ones start with `server/releases/`,
  // which resolves through the link `releases/server -> ..`
  server: { root: `${HOST}/releases`, itemPrefix: 'server/releases/' },
  minimal: { root: `${HOST}/minimal/releases`, itemPrefix: '' },
};

const DISTROS: Record<string, { kind: Kind; series: Series }> = {
  'ubuntu-24.04': { kind: 'server', series: '24.04' },
  'ubuntu-22.04': { kind: 'server', series: '22.04' },
  'ubuntu-20.04': { kind: 'server', series: '20.04' },
  'ubuntu-minimal-24.04': { kind: 'minimal', series: '24.04' },
  'ubuntu-minimal-22.04': { kind: 'minimal', series: '22.04' },
};

interface Item {
  ftype: string;
  path: string;
  sha256: string;
  md5: string;
  size: number;
}
interface Version {
  serial: string;
  pubname: string;
  items: Array<[string, Item]>;
}
interface Product {
  kind: Kind;
  series: Series;
  versions: Map<string, Version>;
}

export const ubuntu: UpstreamFactory = (ctx): Upstream => {
  const products = new Map<string, Product>();
  const lastDay: Record<Kind, Day> = { server: '1970-01-01', minimal: '1970-01-01' };
  const productId = (kind: Kind, series: Series) => `com.ubuntu.cloud:${kind}:${series}:amd64`;

  async function writeStreams(kind: Kind, mtime: Date): Promise<void> {
    const { root } = STREAMS[kind];
    const ids = [...products.keys()].filter((id) => products.get(id)?.kind === kind).sort();
    const updated = rfc2822(mtime);
    const productsJson: Record<string, Json> = {};
    for (const id of ids) {
      const p = products.get(id) as Product;
      const meta = SERIES[p.series];
      const serials = scramble([...p.versions.keys()].sort(compareSerial));
      productsJson[id] = {
        aliases: `${p.series},${meta.codename}`,
        arch: 'amd64',
        os: 'ubuntu',
        release: meta.codename,
        release_codename: meta.codenameTitle,
        release_title: meta.title,
        support_eol: meta.eol,
        supported: lastDay[kind] <= meta.eol,
        version: p.series,
        versions: ordered(
          serials.map((serial) => {
            const v = p.versions.get(serial) as Version;
            return [
              serial,
              {
                items: ordered(v.items.map(([key, item]) => [key, { ...item }])),
                label: 'release',
                pubname: v.pubname,
              },
            ] as const;
          }),
        ),
      };
    }
    const productsPath = `streams/v1/${CONTENT_ID}.json`;
    await ctx.text(
      `${root}/${productsPath}`,
      stringify(
        {
          content_id: CONTENT_ID,
          creator: 'Canonical Group Limited',
          datatype: 'image-downloads',
          format: 'products:1.0',
          license: 'http://www.canonical.com/intellectual-property-policy',
          products: productsJson,
          updated,
        },
        1,
      ),
      mtime,
      { checksums: true },
    );
    await ctx.clearsigned(
      `${root}/streams/v1/${CONTENT_ID}.sjson`,
      `${root}/${productsPath}`,
      'ubuntu-streams',
      mtime,
    );
    const index = {
      format: 'index:1.0',
      index: {
        [CONTENT_ID]: {
          datatype: 'image-downloads',
          format: 'products:1.0',
          path: productsPath,
          products: ids,
          updated,
        },
      },
      updated,
    };
    await ctx.text(`${root}/streams/v1/index.json`, stringify(index, 1), mtime);
    await ctx.clearsigned(
      `${root}/streams/v1/index.sjson`,
      `${root}/streams/v1/index.json`,
      'ubuntu-streams',
      mtime,
    );
  }

  return {
    distros: Object.keys(DISTROS) as Distro[],
    feedPath: (distro) =>
      `${STREAMS[(DISTROS[distro] as { kind: Kind }).kind].root}/streams/v1/index.json`,
    seedPlan: () => [{}],
    async publish(distro, day, options): Promise<PublishedRelease> {
      const { kind, series } = DISTROS[distro] as { kind: Kind; series: Series };
      const meta = SERIES[series];
      const { root, itemPrefix } = STREAMS[kind];
      const id = productId(kind, series);
      let product = products.get(id);
      if (!product) products.set(id, (product = { kind, series, versions: new Map() }));
      const known = product.versions;
      const serial = nextRespin(compactDay(day), (v) => known.has(v));
      const rel = `${meta.codename}/release-${serial}`;
      const dir = `${root}/${rel}`;
      const mtime = at(day, 6, 30, known.size % 60);
      if (day > lastDay[kind]) lastDay[kind] = day;

      const base = `ubuntu-${series}-${kind}-cloudimg-amd64`;
      const imageName = options.fileName ?? `${base}.img`;
      const disk = ctx.image(`ubuntu ${kind} ${series} ${serial}`, 'qcow2', options.disk);
      const image = await ctx.artifact(
        `${dir}/${imageName}`,
        disk,
        { format: 'qcow2', compression: 'none' },
        mtime,
      );
      const artifacts: Artifact[] = [image];
      const items: Array<[string, Item]> = [];
      const item = (
        ftype: string,
        a: { name: string; sha256: string; md5: string; size: number },
      ): [string, Item] => [
        ftype,
        {
          ftype,
          md5: a.md5,
          path: `${itemPrefix}${rel}/${a.name}`,
          sha256: a.sha256,
          size: a.size,
        },
      ];
      items.push(item('disk1.img', image));
      if (kind === 'server') {
        // a look-alike: another qcow2 in the same item list
        const kvm = await ctx.artifact(
          `${dir}/${base}-disk-kvm.img`,
          ctx.qcow2(`ubuntu ${kind} ${series} ${serial} disk-kvm`),
          { format: 'qcow2', compression: 'none' },
          mtime,
        );
        artifacts.push(kvm);
        items.push(item('disk-kvm.img', kvm));
      }
      const manifestText = `cloud-init\t24.4-0ubuntu1~${series}.1\nlinux-image-virtual\t6.8.0-${serial.slice(-3)}.1\nopenssh-server\t1:9.6p1-3ubuntu13\n`;
      await ctx.text(`${dir}/${base}.manifest`, manifestText, mtime);
      const manifestBytes = Buffer.from(manifestText);
      items.push(
        item('manifest', {
          name: `${base}.manifest`,
          size: manifestBytes.length,
          ...digests(manifestBytes),
        }),
      );

      const sums = [
        ...artifacts.map((a) => ({ name: a.name, sha256: a.sha256 })),
        { name: `${base}.manifest`, sha256: digests(manifestBytes).sha256 },
      ]
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((f) => gnuLine(f.sha256, f.name, true));
      const sumsPath = `${dir}/SHA256SUMS`;
      await ctx.text(sumsPath, sums.join('\n') + '\n', mtime, { checksums: true });
      const sumsSig = await ctx.detached(`${sumsPath}.gpg`, sumsPath, 'ubuntu-images', true, mtime);

      known.set(serial, {
        serial,
        pubname: `ubuntu-${meta.codename}-${series}-amd64-${kind}-${serial}`,
        items,
      });
      const newest = [...known.keys()].sort(compareSerial).at(-1) as string;
      await ctx.link(`${root}/${meta.codename}/release`, `release-${newest}`, mtime);
      if (kind === 'server' && !(await ctx.store.exists(`${root}/server`)))
        await ctx.link(`${root}/server`, '..', mtime);
      await writeStreams(kind, mtime);
      return {
        distro,
        version: serial,
        date: day,
        publishedAt: mtime.toISOString(),
        feedUrl: ctx.url(`${root}/streams/v1/index.json`),
        image,
        artifacts,
        checksum: { algorithm: 'sha256', hex: image.sha256, url: ctx.url(sumsPath) },
        signatures: [
          sumsSig,
          {
            url: ctx.url(`${root}/streams/v1/${CONTENT_ID}.sjson`),
            subjectUrl: ctx.url(`${root}/streams/v1/${CONTENT_ID}.json`),
            kind: 'clearsigned',
            key: 'ubuntu-streams',
          },
        ],
      };
    },
    async withdraw(distro, version): Promise<void> {
      const { kind, series } = DISTROS[distro] as { kind: Kind; series: Series };
      const meta = SERIES[series];
      const { root } = STREAMS[kind];
      const known = products.get(productId(kind, series))?.versions;
      if (!known?.has(version)) throw new Error(`${distro} ${version} is not published`);
      known.delete(version);
      const mtime = at(lastDay[kind], 23, 59);
      await ctx.store.removeTree(`${root}/${meta.codename}/release-${version}`, mtime);
      const newest = [...known.keys()].sort(compareSerial).at(-1);
      if (newest) await ctx.link(`${root}/${meta.codename}/release`, `release-${newest}`, mtime);
      else await ctx.store.remove(`${root}/${meta.codename}/release`);
      await writeStreams(kind, mtime);
    },
  };
};
