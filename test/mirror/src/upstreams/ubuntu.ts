// Ubuntu server (24.04, 22.04, 20.04) and Minimal (24.04, 22.04): simplestreams index +
// products file (with clearsigned .sjson twins), dated `release-<serial>/` directories
// with SHA256SUMS (`<hex> *<file>`) + SHA256SUMS.gpg, and a mutable `release/` link.
import { gnuLine } from '../context.ts';
import { stringify, type Json } from '../json.ts';
import type { Artifact, Distro, PublishedRelease } from '../types.ts';
import {
  addDays,
  at,
  compactDay,
  compareSerial,
  digests,
  rfc2822,
  scramble,
  sha256,
  type Day,
} from '../util.ts';
import { nextRespin, type Upstream, type UpstreamFactory } from './common.ts';
import {
  history,
  itemSpecs,
  productFields,
  productId as productIdOf,
  releasesOf,
  rendered,
  type Kind,
  type ReleaseMeta,
} from './ubuntu-history.ts';

const HOST = '/cloud-images.ubuntu.com';
const CONTENT_ID = 'com.ubuntu.cloud:released:download';

type Series = '24.04' | '22.04' | '20.04';
const metaOf = (kind: Kind, series: Series) =>
  releasesOf(kind).find((m) => m.version === series) as ReleaseMeta;

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
  [combined: `combined_${string}`]: string;
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
  const firstDay: Partial<Record<Kind, Day>> = {};
  const productId = (kind: Kind, series: Series) => productIdOf(kind, series, 'amd64');

  /**
   * The products file in its real shape: every product of the stream (every release and
   * architecture, with their history) and, in the products the mirror moves, its own
   * releases among them; version keys in no order. Rendered as text piece by piece: the
   * history's pieces are cached, so a publish costs only what it changed (and the clearsign).
   */
  function productsText(kind: Kind, updated: string): { text: string; ids: string[] } {
    const { itemPrefix } = STREAMS[kind];
    const until = addDays(firstDay[kind] ?? lastDay[kind], -1);
    const past = new Map(history(kind, until, itemPrefix).map((p) => [p.id, p]));
    const ids = [
      ...new Set([
        ...past.keys(),
        ...[...products.keys()].filter((id) => products.get(id)?.kind === kind),
      ]),
    ].sort();
    const members = ids.map((id) => {
      const old = past.get(id);
      const own = products.get(id);
      const meta = own ? metaOf(kind, own.series) : (old?.meta as ReleaseMeta);
      const arch = old?.arch ?? 'amd64';
      let versions: Array<[string, string]> = old?.versions ?? [];
      if (own) {
        // the mirror's own releases sit in the middle of the history, themselves unsorted
        const mine = scramble([...own.versions.keys()].sort(compareSerial)).map((serial) => {
          const v = own.versions.get(serial) as Version;
          const body: Json = {
            items: Object.fromEntries(
              v.items.map(([key, item]) => [
                key,
                Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : 1))),
              ]),
            ),
            label: 'release',
            pubname: v.pubname,
          };
          return [serial, rendered(body, 4)] as [string, string];
        });
        const half = Math.floor(versions.length / 2);
        versions = [...versions.slice(0, half), ...mine, ...versions.slice(half)];
      }
      const fields = Object.entries(productFields(meta, arch, lastDay[kind])).map(
        ([key, value]) => `   ${JSON.stringify(key)}: ${rendered(value, 3)}`,
      );
      const versionsText = versions.length
        ? `{\n${versions.map(([serial, body]) => `    ${JSON.stringify(serial)}: ${body}`).join(',\n')}\n   }`
        : '{}';
      return `  ${JSON.stringify(id)}: {\n${fields.join(',\n')},\n   "versions": ${versionsText}\n  }`;
    });
    const head: Record<string, Json> = {
      content_id: CONTENT_ID,
      creator: 'Canonical Group Limited',
      datatype: 'image-downloads',
      format: 'products:1.0',
      license: 'http://www.canonical.com/intellectual-property-policy',
    };
    const text =
      '{\n' +
      Object.entries(head)
        .map(([k, v]) => ` ${JSON.stringify(k)}: ${JSON.stringify(v)},\n`)
        .join('') +
      ` "products": {\n${members.join(',\n')}\n },\n "updated": ${JSON.stringify(updated)}\n}\n`;
    return { text, ids };
  }

  async function writeStreams(kind: Kind, mtime: Date): Promise<void> {
    const { root } = STREAMS[kind];
    const updated = rfc2822(mtime);
    const { text, ids } = productsText(kind, updated);
    const productsPath = `streams/v1/${CONTENT_ID}.json`;
    await ctx.text(`${root}/${productsPath}`, text, mtime, { checksums: true });
    await ctx.clearsigned(
      `${root}/streams/v1/${CONTENT_ID}.sjson`,
      `${root}/${productsPath}`,
      'ubuntu-streams',
      mtime,
    );
    // The real index also lists the clouds' image-id streams (datatype image-ids).
    const clouds: Array<[string, string]> =
      kind === 'server'
        ? [
            ['aws', 'aws'],
            ['azure', 'azure'],
            ['gce', 'gce'],
          ]
        : [['gce', 'gce']];
    const index = {
      format: 'index:1.0',
      index: Object.fromEntries([
        ...clouds.map(([name, cloud]) => [
          `com.ubuntu.cloud:released:${name}`,
          {
            cloudname: cloud,
            datatype: 'image-ids',
            format: 'products:1.0',
            path: `streams/v1/com.ubuntu.cloud:released:${name}.json`,
            products: ids.filter((id) => id.endsWith(':amd64') || id.endsWith(':arm64')),
            updated,
          },
        ]),
        [
          CONTENT_ID,
          {
            datatype: 'image-downloads',
            format: 'products:1.0',
            path: productsPath,
            products: ids,
            updated,
          },
        ],
      ]) as Record<string, Json>,
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
      const meta = metaOf(kind, series);
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
      const first = firstDay[kind];
      if (first === undefined || day < first) firstDay[kind] = day;

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
      // Every other artifact kind of the real item list, as small files of their own (the
      // feed-watcher never reads them; they are there so a parser meets the whole list).
      const files: Array<{ name: string; bytes: Buffer }> = [];
      const byFtype = new Map<string, Buffer>();
      for (const spec of itemSpecs(kind, meta, 'amd64')) {
        if (spec.ftype === 'disk1.img' || spec.ftype === 'disk-kvm.img') continue;
        const bytes = Buffer.from(
          spec.ftype === 'manifest' || spec.ftype.endsWith('.manifest')
            ? manifestText
            : `ubuntu ${kind} ${series} ${serial} ${spec.ftype}\n`,
        );
        const name = `${base}${spec.suffix}`;
        await ctx.text(`${dir}/${name}`, bytes.toString(), mtime);
        files.push({ name, bytes });
        byFtype.set(spec.ftype, bytes);
        items.push(item(spec.ftype, { name, size: bytes.length, ...digests(bytes) }));
      }
      // LXD's combined hashes: the metadata tarball followed by the disk / rootfs it goes with
      const lxd = items.find(([key]) => key === 'lxd.tar.xz')?.[1];
      const lxdBytes = byFtype.get('lxd.tar.xz');
      if (lxd && lxdBytes) {
        const combined = (other: Buffer) => sha256(Buffer.concat([lxdBytes, other]));
        lxd['combined_disk1-img_sha256'] = combined(disk);
        const root = byFtype.get('root.tar.xz');
        if (root) lxd.combined_rootxz_sha256 = lxd.combined_sha256 = combined(root);
        const squashfs = byFtype.get('squashfs');
        if (squashfs) lxd.combined_squashfs_sha256 = combined(squashfs);
      }
      items.sort(([a], [b]) => (a < b ? -1 : 1));

      const sums = [
        ...artifacts.map((a) => ({ name: a.name, sha256: a.sha256 })),
        ...files.map((f) => ({ name: f.name, sha256: digests(f.bytes).sha256 })),
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
      const meta = metaOf(kind, series);
      const { root } = STREAMS[kind];
      const known = products.get(productId(kind, series))?.versions;
      if (!known?.has(version)) throw new Error(`${distro} ${version} is not published`);
      if (known.size === 1)
        throw new Error(
          `${distro} ${version} is the only release the mirror published: withdrawn, the feed's newest would be a history version without files`,
        );
      known.delete(version);
      const mtime = at(lastDay[kind], 23, 59);
      await ctx.store.removeTree(`${root}/${meta.codename}/release-${version}`, mtime);
      const newest = [...known.keys()].sort(compareSerial).at(-1);
      if (newest) await ctx.link(`${root}/${meta.codename}/release`, `release-${newest}`, mtime);
      await writeStreams(kind, mtime);
    },
  };
};
