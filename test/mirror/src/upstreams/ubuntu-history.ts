// What makes Ubuntu's products files large: every release since 12.04, every architecture
// built, every serial (one every week or two for the life of a release) with every artifact
// kind of its era (disk1.img, uefi1.img, lxd.tar.xz with combined_* hashes, root.tar.xz,
// squashfs, manifests, vmdk, ova, vhd, tar.gz, ...). The mirror renders that history
// deterministically (no files behind it: only the releases it publishes have bytes), up to
// the day before its first publish of the stream, so that it is always older than what the
// mirror serves. Rendered text is cached per stream and cut-off day: a publish costs only the
// products the mirror itself moves.
import { createHash } from 'node:crypto';
import { stringify, type Json } from '../json.ts';
import { addDays, compactDay, type Day } from '../util.ts';

export type Kind = 'server' | 'minimal';

export interface ReleaseMeta {
  version: string;
  codename: string;
  codenameTitle: string;
  title: string;
  released: Day;
  eol: Day;
  arches: readonly string[];
  lts: boolean;
}

const ALL = ['amd64', 'arm64', 'armhf', 'ppc64el', 's390x', 'riscv64'] as const;
const r = (
  version: string,
  codename: string,
  codenameTitle: string,
  released: Day,
  eol: Day,
  arches: readonly string[],
): ReleaseMeta => {
  const lts = /^\d[02468]\.04$/.test(version);
  return {
    version,
    codename,
    codenameTitle,
    title: lts ? `${version} LTS` : version,
    released,
    eol,
    arches,
    lts,
  };
};

/** Server releases of the real `releases/` stream (dates and architectures as published). */
export const SERVER_RELEASES: readonly ReleaseMeta[] = [
  r('12.04', 'precise', 'Precise Pangolin', '2012-04-26', '2017-04-28', ['amd64', 'i386', 'armhf']),
  r('14.04', 'trusty', 'Trusty Tahr', '2014-04-17', '2019-04-25', [
    'amd64',
    'i386',
    'armhf',
    'arm64',
    'ppc64el',
  ]),
  r('16.04', 'xenial', 'Xenial Xerus', '2016-04-21', '2021-04-30', [
    'amd64',
    'i386',
    'armhf',
    'arm64',
    'ppc64el',
    's390x',
  ]),
  r('18.04', 'bionic', 'Bionic Beaver', '2018-04-26', '2023-05-31', [
    'amd64',
    'i386',
    'armhf',
    'arm64',
    'ppc64el',
    's390x',
  ]),
  r('20.04', 'focal', 'Focal Fossa', '2020-04-23', '2025-05-29', ALL),
  r('22.04', 'jammy', 'Jammy Jellyfish', '2022-04-21', '2027-06-01', ALL),
  r('23.10', 'mantic', 'Mantic Minotaur', '2023-10-12', '2024-07-11', ALL),
  r('24.04', 'noble', 'Noble Numbat', '2024-04-25', '2029-05-31', ALL),
  r('24.10', 'oracular', 'Oracular Oriole', '2024-10-10', '2025-07-10', ALL),
  r('25.04', 'plucky', 'Plucky Puffin', '2025-04-17', '2026-01-15', ALL),
  r('25.10', 'questing', 'Questing Quokka', '2025-10-09', '2026-07-09', ALL),
];

/** Minimal releases of `minimal/releases/` (fewer architectures, fewer artifacts). */
export const MINIMAL_RELEASES: readonly ReleaseMeta[] = SERVER_RELEASES.filter(
  (m) => m.version >= '20.04',
).map((m) => ({ ...m, arches: ['amd64', 'arm64', 'ppc64el', 's390x'] }));

export const releasesOf = (kind: Kind) => (kind === 'server' ? SERVER_RELEASES : MINIMAL_RELEASES);

export function productId(kind: Kind, version: string, arch: string): string {
  return `com.ubuntu.cloud:${kind}:${version}:${arch}`;
}

/** Product-level fields in the real file's key order (without `versions`). */
export function productFields(meta: ReleaseMeta, arch: string, today: Day): Record<string, Json> {
  const newestLts = meta.version === '24.04';
  return {
    aliases: `${meta.version},${meta.codename[0]},${meta.codename}${newestLts ? ',lts,default' : ''}`,
    arch,
    os: 'ubuntu',
    release: meta.codename,
    release_codename: meta.codenameTitle,
    release_title: meta.title,
    support_eol: meta.eol,
    supported: today <= meta.eol,
    version: meta.version,
  };
}

export interface ItemSpec {
  ftype: string;
  /** File name suffix after `ubuntu-<ver>-<kind>-cloudimg-<arch>`. */
  suffix: string;
  /** Rough size in bytes, for realistic `size` values. */
  size: number;
}

/** The artifact kinds a version of that era, kind and architecture carries. */
export function itemSpecs(kind: Kind, meta: ReleaseMeta, arch: string): ItemSpec[] {
  const v = meta.version;
  const disk = v >= '18.04' ? '.img' : '-disk1.img';
  const specs: ItemSpec[] = [{ ftype: 'disk1.img', suffix: disk, size: 600_000_000 }];
  specs.push({ ftype: 'manifest', suffix: '.manifest', size: 18_000 });
  if (kind === 'minimal') {
    specs.push(
      { ftype: 'lxd.tar.xz', suffix: '-lxd.tar.xz', size: 400 },
      { ftype: 'squashfs', suffix: '.squashfs', size: 180_000_000 },
      { ftype: 'squashfs.manifest', suffix: '.squashfs.manifest', size: 12_000 },
    );
    return specs;
  }
  specs.push({ ftype: 'tar.gz', suffix: '.tar.gz', size: 420_000_000 });
  if (v >= '14.04') {
    specs.push(
      { ftype: 'lxd.tar.xz', suffix: '-lxd.tar.xz', size: 420 },
      { ftype: 'root.tar.xz', suffix: '-root.tar.xz', size: 200_000_000 },
      { ftype: 'root.manifest', suffix: '-root.manifest', size: 17_000 },
    );
  }
  if (v >= '16.04')
    specs.push(
      { ftype: 'squashfs', suffix: '.squashfs', size: 250_000_000 },
      { ftype: 'squashfs.manifest', suffix: '.squashfs.manifest', size: 17_000 },
    );
  if (arch === 'arm64' || (arch === 'armhf' && v >= '16.04'))
    specs.push({ ftype: 'uefi1.img', suffix: '-uefi1.img', size: 550_000_000 });
  if (arch === 'amd64' && v >= '16.04')
    specs.push(
      { ftype: 'vmdk', suffix: '.vmdk', size: 450_000_000 },
      { ftype: 'ova', suffix: '.ova', size: 450_000_000 },
    );
  if (arch === 'amd64' && v >= '20.04')
    specs.push(
      { ftype: 'vhd.tar.gz', suffix: '-azure.vhd.tar.gz', size: 580_000_000 },
      { ftype: 'vhd.manifest', suffix: '-azure.vhd.manifest', size: 20_000 },
    );
  if (arch === 'amd64' && (v === '20.04' || v === '22.04'))
    specs.push(
      { ftype: 'disk-kvm.img', suffix: '-disk-kvm.img', size: 530_000_000 },
      { ftype: 'wsl.rootfs.tar.gz', suffix: '-wsl.rootfs.tar.gz', size: 480_000_000 },
    );
  if (arch === 'i386' && v <= '16.04')
    specs.push({ ftype: 'root.tar.gz', suffix: '-root.tar.gz', size: 220_000_000 });
  return specs;
}

const hex = (seed: string, algo = 'sha256') => createHash(algo).update(seed).digest('hex');

/** A small deterministic generator: the history is the same for the same cut-off day. */
function serialsOf(meta: ReleaseMeta, until: Day): string[] {
  const last = meta.eol < until ? meta.eol : until;
  const out: string[] = [];
  let day = meta.released;
  let n = 0;
  while (day <= last) {
    const h = parseInt(hex(`${meta.codename}/${n}`).slice(0, 8), 16);
    const serial = compactDay(day);
    out.push(serial);
    if (h % 11 === 0) out.push(`${serial}.1`); // a respin
    day = addDays(day, 6 + (h % 13));
    n += 1;
  }
  return out;
}

/** One history version as JSON, with the items the era carries (digests of nothing real). */
export function historyVersion(
  kind: Kind,
  meta: ReleaseMeta,
  arch: string,
  serial: string,
  prefix: string,
): Json {
  const base = `ubuntu-${meta.version}-${kind}-cloudimg-${arch}`;
  const dir = `${prefix}${meta.codename}/release-${serial}/`;
  const items: Record<string, Json> = {};
  const specs = itemSpecs(kind, meta, arch);
  const sha = (ftype: string) => hex(`${kind}/${meta.version}/${arch}/${serial}/${ftype}`);
  for (const spec of specs) {
    const seed = `${kind}/${meta.version}/${arch}/${serial}/${spec.ftype}`;
    const h = sha(spec.ftype);
    const extra: Record<string, Json> = {};
    if (spec.ftype === 'lxd.tar.xz') {
      for (const other of specs) {
        if (other.ftype === 'disk1.img') extra['combined_disk1-img_sha256'] = hex(`${seed}+disk1`);
        if (other.ftype === 'disk-kvm.img')
          extra['combined_disk-kvm-img_sha256'] = hex(`${seed}+kvm`);
        if (other.ftype === 'root.tar.xz') {
          extra.combined_rootxz_sha256 = hex(`${seed}+rootxz`);
          extra.combined_sha256 = extra.combined_rootxz_sha256;
        }
        if (other.ftype === 'squashfs') extra.combined_squashfs_sha256 = hex(`${seed}+squashfs`);
      }
    }
    items[spec.ftype] = {
      ...extra,
      ftype: spec.ftype,
      md5: hex(seed, 'md5'),
      path: `${dir}${base}${spec.suffix}`,
      sha256: h,
      size: spec.size + (parseInt(h.slice(0, 6), 16) % 10_000_000),
    };
  }
  return {
    items: sortedObject(items),
    label: 'release',
    pubname: `ubuntu-${meta.codename}-${meta.version}-${arch}-${kind}-${serial}`,
  };
}

function sortedObject(o: Record<string, Json>): Record<string, Json> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

/** `JSON` text of `value` as it sits at `depth` in a document indented by one space. */
export function rendered(value: Json, depth: number): string {
  const text = stringify(value, 1).trimEnd();
  return depth === 0 ? text : text.replaceAll('\n', `\n${' '.repeat(depth)}`);
}

/** Deterministic shuffle (the real file's version keys are in no order). */
export function shuffled<T>(items: readonly T[], seed: string): T[] {
  const out = [...items];
  let state = parseInt(hex(seed).slice(0, 8), 16) || 1;
  for (let i = out.length - 1; i > 0; i -= 1) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export interface ProductHistory {
  id: string;
  meta: ReleaseMeta;
  arch: string;
  /** `[serial, rendered version text at depth 4]`, already in file order. */
  versions: Array<[string, string]>;
}

const cache = new Map<string, ProductHistory[]>();

/** Every product of the stream with its history up to `until` (inclusive), rendered. */
export function history(kind: Kind, until: Day, prefix: string): ProductHistory[] {
  const key = `${kind}/${until}/${prefix}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const out: ProductHistory[] = [];
  for (const meta of releasesOf(kind)) {
    if (meta.released > until) continue;
    const serials = serialsOf(meta, until);
    for (const arch of meta.arches) {
      const versions = shuffled(serials, `${kind}/${meta.version}/${arch}`).map(
        (serial) =>
          [serial, rendered(historyVersion(kind, meta, arch, serial, prefix), 4)] as [
            string,
            string,
          ],
      );
      out.push({ id: productId(kind, meta.version, arch), meta, arch, versions });
    }
  }
  cache.set(key, out);
  // a test process needs one or two cut-offs per stream: keep the newest few
  for (const old of cache.keys()) if (cache.size > 4) cache.delete(old);
  return out;
}
