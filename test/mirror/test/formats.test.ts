// Every feed is served in its upstream's real format: parse it, check each checksum line
// against the bytes it describes, verify each signature against the exported test keys.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decompress,
  KEY_NAMES,
  startMirror,
  type Mirror,
  type PublishedRelease,
} from '../index.ts';
import { debianDigestOf } from './digests.ts';
import {
  dirOf,
  getJson,
  getOk,
  getText,
  md5,
  parseBsdSums,
  parseGnuSums,
  readQcow2Header,
  sha256,
  sha512,
  verifyClearsigned,
  verifyDetached,
} from './helpers.ts';

let mirror: Mirror;
let seeded: PublishedRelease[];
const extra: Record<string, PublishedRelease> = {};

beforeAll(async () => {
  mirror = await startMirror();
  seeded = await mirror.seed('2026-11-01');
  // a respin and a next-day release: the Ubuntu versions map now has three keys
  extra.ubuntuRespin = await mirror.publish('ubuntu-24.04', { respin: true });
  extra.ubuntuNext = await mirror.publish('ubuntu-24.04');
  extra.debianNext = await mirror.publish('debian-12');
  extra.streamRespin = await mirror.publish('centos-stream-9', { respin: true });
  extra.almaNext = await mirror.publish('almalinux-9');
  extra.rockyNext = await mirror.publish('rocky-9');
}, 30_000);
afterAll(() => mirror.stop());

const keyOf = (name: (typeof KEY_NAMES)[number]) => mirror.keys[name];
const subkeyId = (name: (typeof KEY_NAMES)[number]) => keyOf(name).subkeyFingerprint.slice(-16);

describe('every published release', () => {
  it('serves its pinned image with the stated checksum, and a disk image inside', async () => {
    expect(seeded.length).toBe(21);
    for (const r of mirror.releases()) {
      const body = await getOk(r.image.url);
      const hex = r.checksum.algorithm === 'sha256' ? sha256(body) : sha512(body);
      expect(hex, `${r.distro} ${r.version}`).toBe(r.checksum.hex);
      expect(body.length).toBe(r.image.size);
      const inner = r.image.container ? null : await decompress(body, r.image.compression);
      if (inner) {
        expect(sha256(inner)).toBe(r.image.uncompressed.sha256);
        expect(readQcow2Header(inner).magic, r.distro).toBe('QFI\xfb');
        expect(readQcow2Header(inner).size).toBe(BigInt(r.image.virtualSize));
      }
      expect(r.image.url).not.toMatch(/\/(latest|current|release)\//);
    }
  });

  it('has distinct bytes per release', () => {
    const hashes = mirror.releases().map((r) => r.image.sha256);
    expect(new Set(hashes).size).toBe(hashes.length);
  });
});

describe('keys', () => {
  it('exports one keyring with every upstream key and not the forger', async () => {
    const keys = await openpgp.readKeys({ armoredKeys: mirror.keyring });
    const fingerprints = keys.map((k) => k.getFingerprint().toUpperCase()).sort();
    expect(fingerprints).toEqual(KEY_NAMES.map((n) => keyOf(n).fingerprint).sort());
    expect(fingerprints).not.toContain(mirror.forger.fingerprint);
    for (const k of keys)
      expect(k.subkeys.map((s) => s.getFingerprint().toUpperCase())).toHaveLength(1);
    expect(mirror.trust('ubuntu-24.04')?.fingerprints).toEqual([
      keyOf('ubuntu-images').fingerprint,
      keyOf('ubuntu-images').subkeyFingerprint,
    ]);
    expect(mirror.trust('debian-12')).toBeUndefined();
  });
});

describe('Ubuntu simplestreams', () => {
  interface Item {
    ftype: string;
    path: string;
    sha256: string;
    md5: string;
    size: number;
  }
  interface Products {
    format: string;
    datatype: string;
    content_id: string;
    products: Record<
      string,
      {
        release: string;
        version: string;
        supported: boolean;
        support_eol: string;
        versions: Record<string, { items: Record<string, Item> }>;
      }
    >;
  }
  const releases = () => mirror.url('/cloud-images.ubuntu.com/releases/');

  it('index.json points at the products file, products.json lists every version with disk1.img', async () => {
    const index = await getJson<{
      format: string;
      index: Record<string, { path: string; products: string[]; format: string }>;
    }>(mirror.feedUrl('ubuntu-24.04'));
    expect(index.format).toBe('index:1.0');
    const entry = index.index['com.ubuntu.cloud:released:download'];
    expect(entry?.format).toBe('products:1.0');
    // every product of the stream: every release since 12.04, every architecture built
    expect(entry?.products).toEqual(
      expect.arrayContaining([
        'com.ubuntu.cloud:server:12.04:i386',
        'com.ubuntu.cloud:server:20.04:amd64',
        'com.ubuntu.cloud:server:22.04:amd64',
        'com.ubuntu.cloud:server:24.04:amd64',
        'com.ubuntu.cloud:server:24.04:arm64',
        'com.ubuntu.cloud:server:24.04:riscv64',
        'com.ubuntu.cloud:server:25.10:s390x',
      ]),
    );
    expect(entry?.products.length).toBeGreaterThan(50);
    // and the clouds' image-id streams beside it
    expect(index.index['com.ubuntu.cloud:released:aws']?.format).toBe('products:1.0');
    const text = await getText(releases() + (entry?.path ?? ''));
    const products = JSON.parse(text) as Products;
    expect(products).toMatchObject({
      format: 'products:1.0',
      datatype: 'image-downloads',
      content_id: 'com.ubuntu.cloud:released:download',
    });
    const noble = products.products['com.ubuntu.cloud:server:24.04:amd64'];
    expect(noble).toMatchObject({
      release: 'noble',
      version: '24.04',
      support_eol: '2029-05-31',
      supported: true,
    });
    expect(products.products['com.ubuntu.cloud:server:20.04:amd64']?.supported).toBe(false);
    const serials = Object.keys(noble?.versions ?? {});
    expect(serials).toEqual(expect.arrayContaining(['20261101', '20261101.1', '20261102']));
    // the history before the mirror's first release: every serial since noble's release
    expect(serials.filter((s) => s < '20261101')).toContain('20240425');
    expect(serials.filter((s) => s >= '20261101').sort()).toEqual([
      '20261101',
      '20261101.1',
      '20261102',
    ]);
    for (const serial of ['20261101', '20261101.1', '20261102']) {
      const v = noble?.versions[serial] as { items: Record<string, Item> };
      const disk = v.items['disk1.img'] as Item;
      expect(disk.ftype).toBe('disk1.img');
      expect(disk.path).toBe(
        `server/releases/noble/release-${serial}/ubuntu-24.04-server-cloudimg-amd64.img`,
      );
      const bytes = await getOk(releases() + disk.path);
      expect([sha256(bytes), md5(bytes), bytes.length]).toEqual([disk.sha256, disk.md5, disk.size]);
      expect(v.items['disk-kvm.img']?.sha256).not.toBe(disk.sha256);
      // every other artifact kind of the real item list, each with a file that matches it
      expect(Object.keys(v.items).sort()).toEqual(
        [
          'disk-kvm.img',
          'disk1.img',
          'lxd.tar.xz',
          'manifest',
          'ova',
          'root.manifest',
          'root.tar.xz',
          'squashfs',
          'squashfs.manifest',
          'tar.gz',
          'vhd.manifest',
          'vhd.tar.gz',
          'vmdk',
        ].sort(),
      );
      for (const item of Object.values(v.items)) {
        const body = await getOk(releases() + item.path);
        expect([sha256(body), md5(body), body.length], item.path).toEqual([
          item.sha256,
          item.md5,
          item.size,
        ]);
      }
      const lxd = v.items['lxd.tar.xz'] as Item & Record<string, string>;
      const lxdBytes = await getOk(releases() + lxd.path);
      expect(lxd['combined_disk1-img_sha256']).toBe(sha256(Buffer.concat([lxdBytes, bytes])));
      expect(lxd.combined_squashfs_sha256).toMatch(/^[0-9a-f]{64}$/);
    }
    // an older release on another architecture carries its era's kinds (uefi1.img on arm64)
    const trusty = products.products['com.ubuntu.cloud:server:14.04:arm64'];
    const first = Object.values(trusty?.versions ?? {})[0];
    expect(first?.items['uefi1.img']?.ftype).toBe('uefi1.img');
    expect(first?.items['disk1.img']?.path).toMatch(/-disk1\.img$/);
    expect(text.length).toBeGreaterThan(15_000_000);
  });

  it('writes the version keys unsorted in the file itself', async () => {
    const text = await getText(
      mirror.url(
        '/cloud-images.ubuntu.com/releases/streams/v1/com.ubuntu.cloud:released:download.json',
      ),
    );
    const start = text.indexOf('"com.ubuntu.cloud:server:24.04:amd64"');
    const block = text.slice(start, text.indexOf('\n  "com.ubuntu.cloud:', start));
    const all = [...block.matchAll(/^ {4}"(\d{8}(?:\.\d+)?)": \{/gm)].map((m) => m[1] ?? '');
    expect(all.length).toBeGreaterThan(50);
    expect(all).not.toEqual([...all].sort());
    const order = all.filter((s) => s >= '20261101');
    expect(order).toHaveLength(3);
    expect(order).not.toEqual(['20261101', '20261101.1', '20261102']);
    expect(order.at(-1)).not.toBe('20261102');
    expect(order[0]).not.toBe('20261102');
  });

  it('has release-<serial>/ dirs with SHA256SUMS (`<hex> *<file>`) and a detached SHA256SUMS.gpg', async () => {
    for (const r of [extra.ubuntuRespin, extra.ubuntuNext] as PublishedRelease[]) {
      expect(r.image.url).toContain(`/noble/release-${r.version}/`);
      const sums = await getText(dirOf(r.image.url) + 'SHA256SUMS');
      expect(sums).toMatch(/^[0-9a-f]{64} \*ubuntu-24\.04-server-cloudimg-amd64\.img$/m);
      const parsed = parseGnuSums(sums, 64);
      expect(parsed.size).toBe(13); // every file of the directory: both disks and 11 others
      for (const [file, hex] of parsed)
        expect(sha256(await getOk(dirOf(r.image.url) + file))).toBe(hex);
      const sig = await getOk(dirOf(r.image.url) + 'SHA256SUMS.gpg');
      expect(sig.toString().startsWith('-----BEGIN PGP SIGNATURE-----')).toBe(true);
      expect(await verifyDetached(Buffer.from(sums), sig, mirror.keyring)).toBe(
        subkeyId('ubuntu-images'),
      );
    }
    expect(extra.ubuntuRespin?.version).toBe('20261101.1');
  });

  it('clearsigns the .sjson twins with the stream key', async () => {
    const base = mirror.url('/cloud-images.ubuntu.com/releases/streams/v1/');
    for (const name of ['index', 'com.ubuntu.cloud:released:download']) {
      const { text, keyId } = await verifyClearsigned(
        await getText(`${base}${name}.sjson`),
        keyOf('ubuntu-streams').armoredPublic,
      );
      expect(keyId).toBe(subkeyId('ubuntu-streams'));
      expect(JSON.parse(text)).toEqual(JSON.parse(await getText(`${base}${name}.json`)));
    }
  });

  it('moves the release/ link to the newest serial', async () => {
    const viaAlias = await getOk(
      mirror.url(
        '/cloud-images.ubuntu.com/releases/noble/release/ubuntu-24.04-server-cloudimg-amd64.img',
      ),
    );
    expect(sha256(viaAlias)).toBe(extra.ubuntuNext?.image.sha256);
  });

  it('serves Minimal under minimal/releases with paths without the server/ prefix', async () => {
    const index = await getJson<{ index: Record<string, { path: string }> }>(
      mirror.feedUrl('ubuntu-minimal-24.04'),
    );
    const base = mirror.url('/cloud-images.ubuntu.com/minimal/releases/');
    const products = await getJson<Products>(
      base + (index.index['com.ubuntu.cloud:released:download']?.path ?? ''),
    );
    expect(Object.keys(products.products)).toEqual(
      expect.arrayContaining([
        'com.ubuntu.cloud:minimal:22.04:amd64',
        'com.ubuntu.cloud:minimal:24.04:amd64',
        'com.ubuntu.cloud:minimal:24.04:arm64',
        'com.ubuntu.cloud:minimal:20.04:s390x',
      ]),
    );
    const disk = products.products['com.ubuntu.cloud:minimal:24.04:amd64']?.versions['20261101']
      ?.items['disk1.img'] as Item;
    expect(disk.path).toBe('noble/release-20261101/ubuntu-24.04-minimal-cloudimg-amd64.img');
    expect(sha256(await getOk(base + disk.path))).toBe(disk.sha256);
  });
});

describe('Debian', () => {
  interface Manifest {
    kind: string;
    items: Array<{
      kind: string;
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      data: { info?: Record<string, string>; ref?: string };
    }>;
  }

  it('lists dated directories and latest/ in an HTML index', async () => {
    const html = await getText(mirror.feedUrl('debian-12'));
    expect(html).toContain('<title>Index of /images/cloud/bookworm</title>');
    const dirs = [...html.matchAll(/href="([^"]+)\/"/g)].map((m) => m[1]);
    expect(dirs).toEqual(
      expect.arrayContaining(['20261101-1501', extra.debianNext?.version, 'latest']),
    );
    expect(extra.debianNext?.version).toMatch(/^20261102-\d{4}$/);
  });

  it('has a JSON List manifest whose Upload refs and sha512 digests match the files', async () => {
    const r = extra.debianNext as PublishedRelease;
    const manifest = await getJson<Manifest>(
      dirOf(r.image.url) + `debian-12-genericcloud-amd64-${r.version}.json`,
    );
    expect(manifest.kind).toBe('List');
    const build = manifest.items.find((i) => i.kind === 'Build');
    expect(build?.data.info).toMatchObject({
      version: r.version,
      release: 'bookworm',
      release_id: '12',
      arch: 'amd64',
      vendor: 'genericcloud',
    });
    const uploads = manifest.items.filter((i) => i.kind === 'Upload');
    expect(
      uploads.map((u) => u.metadata.labels['upload.cloud.debian.org/image-format']).sort(),
    ).toEqual(['internal', 'qcow2', 'raw']);
    for (const u of uploads) {
      expect(u.metadata.labels['cloud.debian.org/version']).toBe(r.version);
      const digest = u.metadata.annotations?.['cloud.debian.org/digest'] ?? '';
      expect(digest).toMatch(/^sha512:[A-Za-z0-9+/]{86}$/);
      const bytes = await getOk(mirror.url('/cloud.debian.org/images/cloud/') + (u.data.ref ?? ''));
      expect(digest).toBe(debianDigestOf(bytes));
    }
  });

  it('has one manifest per vendor and arch, each naming its own files with their digests', async () => {
    const r = extra.debianNext as PublishedRelease;
    const sums = parseGnuSums(await getText(dirOf(r.image.url) + 'SHA512SUMS'), 128);
    const manifests = [...sums.keys()].filter((name) => name.endsWith('.json'));
    expect(manifests).toHaveLength(12);
    for (const name of manifests) {
      const [, vendor, arch] = /^debian-12-(\w+)-(\w+)-\d{8}-\d+\.json$/.exec(name) ?? [];
      const manifest = await getJson<Manifest>(dirOf(r.image.url) + name);
      const builds = manifest.items.filter((i) => i.kind === 'Build');
      expect(builds).toHaveLength(1);
      expect(builds[0]?.data.info).toMatchObject({ vendor, arch, version: r.version });
      const uploads = manifest.items.filter((i) => i.kind === 'Upload');
      const refs = uploads.map((u) => u.data.ref?.split('/').at(-1));
      const stem = name.replace(/\.json$/, '');
      expect(refs.sort()).toEqual(
        [...sums.keys()].filter((f) => f.startsWith(`${stem}.`) && f !== name).sort(),
      );
      for (const u of uploads) {
        expect(u.metadata.labels['debian.org/arch']).toBe(arch);
        const bytes = await getOk(
          mirror.url('/cloud.debian.org/images/cloud/') + (u.data.ref ?? ''),
        );
        expect(u.metadata.annotations?.['cloud.debian.org/digest']).toBe(debianDigestOf(bytes));
      }
    }
  });

  it('has SHA512SUMS (two spaces) matching every file, a raw inside the tar.xz, and latest/ on the newest', async () => {
    const r = extra.debianNext as PublishedRelease;
    const sums = parseGnuSums(await getText(dirOf(r.image.url) + 'SHA512SUMS'), 128);
    // every image of the build, as cloud.debian.org lists it: vendor x arch x kind
    const images: Array<[string, string[], string[]]> = [
      ['azure', ['amd64', 'arm64'], ['.json', '.tar.xz']],
      ['ec2', ['amd64', 'arm64'], ['.json', '.tar.xz']],
      ['generic', ['amd64', 'arm64', 'ppc64el'], ['.json', '.qcow2', '.raw', '.tar.xz']],
      ['genericcloud', ['amd64', 'arm64'], ['.json', '.qcow2', '.raw', '.tar.xz']],
      ['nocloud', ['amd64', 'arm64', 'ppc64el'], ['.json', '.qcow2', '.raw', '.tar.xz']],
    ];
    const expected = images.flatMap(([vendor, arches, kinds]) =>
      arches.flatMap((arch) => kinds.map((k) => `debian-12-${vendor}-${arch}-${r.version}${k}`)),
    );
    expect(expected).toHaveLength(40);
    expect([...sums.keys()].sort()).toEqual(expected.sort());
    for (const [file, hex] of sums)
      expect(sha512(await getOk(dirOf(r.image.url) + file))).toBe(hex);
    const tar = await decompress(
      await getOk(dirOf(r.image.url) + `debian-12-genericcloud-amd64-${r.version}.tar.xz`),
      'xz',
    );
    expect(tar.subarray(0, 8).toString()).toBe('disk.raw');
    const raw = await getOk(dirOf(r.image.url) + `debian-12-genericcloud-amd64-${r.version}.raw`);
    expect(sha256(tar.subarray(512, 512 + raw.length))).toBe(sha256(raw));
    const latest = await getOk(
      mirror.url(`/cloud.debian.org/images/cloud/bookworm/latest/${r.image.name}`),
    );
    expect(sha512(latest)).toBe(r.checksum.hex);
  });

  it('keeps buster frozen at its last build', () => {
    expect(mirror.latest('debian-10')?.version).toBe('20240703-1797');
  });
});

/** Each listed file the mirror serves has exactly the listed digest (and, given, byte size). */
async function expectServed(
  dir: string,
  sums: Map<string, string>,
  served: string[],
  sizes?: Map<string, number>,
) {
  for (const file of served) {
    const bytes = await getOk(dir + file);
    expect(sha256(bytes), file).toBe(sums.get(file));
    if (sizes) expect(sizes.get(file), file).toBe(bytes.length);
  }
}
const hexOf = (bsd: Map<string, { hex: string; comment?: string }>) =>
  new Map([...bsd].map(([file, { hex }]) => [file, hex]));
const bytesOf = (bsd: Map<string, { hex: string; comment?: string }>) =>
  new Map(
    [...bsd].map(([file, { comment }]) => [file, Number(/^(\d+) bytes$/.exec(comment ?? '')?.[1])]),
  );
const each = (versions: string[], names: (v: string) => string[]) => versions.flatMap(names);

describe('CentOS', () => {
  it('7: unsorted GNU sha256sum.txt naming the whole folder, unversioned aliases, clearsigned .asc', async () => {
    const url = mirror.feedUrl('centos-7');
    const text = await getText(url);
    const sums = parseGnuSums(text, 64);
    const names = text
      .trim()
      .split('\n')
      .map((l) => l.slice(66));
    expect(names).not.toEqual([...names].sort());
    expect(names.length).toBe(sums.size);
    const x86 = (tag: string) =>
      ['qcow2', 'qcow2c', 'qcow2.xz', 'raw.tar.gz'].map(
        (ext) => `CentOS-7-x86_64-GenericCloud-${tag}.${ext}`,
      );
    expect([...sums.keys()].sort()).toEqual(
      [
        // the first builds, date-tagged
        ...each(['20140929_01', '20141129_01', '20150628_01'], (tag) => [
          `CentOS-7-x86_64-GenericCloud-${tag}.qcow2`,
          `CentOS-7-x86_64-GenericCloud-${tag}.qcow2.xz`,
        ]),
        ...each(['2009', '2211'], (tag) => [
          ...x86(tag),
          `CentOS-7-aarch64-GenericCloud-${tag}.qcow2`,
          `CentOS-7-aarch64-GenericCloud-${tag}.qcow2.xz`,
          `CentOS-7-aarch64-GenericCloud-${tag}.raw.tar.gz`,
          `CentOS-7-ppc64le-GenericCloud-${tag}.qcow2`,
          `CentOS-7-ppc64le-GenericCloud-${tag}.qcow2.xz`,
        ]),
        ...x86('').map((n) => n.replace('-.', '.')),
      ].sort(),
    );
    // the unversioned names are the newest build's files, in each form
    for (const [alias, dated] of x86('').map((n, i) => [n.replace('-.', '.'), x86('2211')[i]]))
      expect(sums.get(alias as string), alias).toBe(sums.get(dated as string));
    await expectServed(dirOf(url), sums, [
      ...x86('2009'),
      ...x86('2211'),
      ...x86('').map((n) => n.replace('-.', '.')),
      'CentOS-7-aarch64-GenericCloud-2211.qcow2',
    ]);
    const { text: signed, keyId } = await verifyClearsigned(
      await getText(`${url}.asc`),
      mirror.keyring,
    );
    expect(keyId).toBe(subkeyId('centos'));
    expect(signed.trim()).toBe(text.trim());
    const xz = await decompress(
      await getOk(dirOf(url) + 'CentOS-7-x86_64-GenericCloud-2211.qcow2.xz'),
      'xz',
    );
    expect(sha256(xz)).toBe(sums.get('CentOS-7-x86_64-GenericCloud-2211.qcow2'));
  });

  it('8: frozen BSD CHECKSUM of every compose file (Vagrant boxes, container, ec2), sizes in K', async () => {
    const url = mirror.feedUrl('centos-8');
    const text = await getText(url);
    const sums = parseBsdSums(text);
    const composes = ['8.3.2011-20201204.0', '8.4.2105-20210603.0'];
    expect([...sums.keys()].sort()).toEqual(
      each(composes, (v) => [
        `CentOS-8-Container-${v}.x86_64.tar.xz`,
        `CentOS-8-GenericCloud-${v}.x86_64.qcow2`,
        `CentOS-8-Vagrant-${v}.x86_64.vagrant-libvirt.box`,
        `CentOS-8-Vagrant-${v}.x86_64.vagrant-virtualbox.box`,
        `CentOS-8-ec2-${v}.x86_64.qcow2`,
      ]).sort(),
    );
    for (const [file, { comment }] of sums) expect(comment, file).toMatch(/^\d+K bytes$/);
    expect(text.trim().split('\n').length).toBe(2 * sums.size);
    await expectServed(
      dirOf(url),
      hexOf(sums),
      each(composes, (v) => [
        `CentOS-8-GenericCloud-${v}.x86_64.qcow2`,
        `CentOS-8-ec2-${v}.x86_64.qcow2`,
      ]),
    );
    expect(mirror.latest('centos-8')?.version).toBe('8.4.2105-20210603.0');
  });

  it('Stream 9: BSD CHECKSUM with byte sizes naming every build file and the -latest aliases of the newest', async () => {
    const url = mirror.feedUrl('centos-stream-9');
    const text = await getText(url);
    const sums = parseBsdSums(text);
    expect(extra.streamRespin?.version).toBe('9-20261101.1');
    const stamps = ['20261101.0', '20261101.1'];
    const latest = {
      'CentOS-Stream-GenericCloud-9-latest.x86_64.qcow2':
        'CentOS-Stream-GenericCloud-9-20261101.1.x86_64.qcow2',
      'CentOS-Stream-GenericCloud-x86_64-9-latest.x86_64.qcow2':
        'CentOS-Stream-GenericCloud-x86_64-9-20261101.1.x86_64.qcow2',
      'CentOS-Stream-Vagrant-9-latest.x86_64.vagrant-libvirt.box':
        'CentOS-Stream-Vagrant-9-20261101.1.x86_64.vagrant-libvirt.box',
      'CentOS-Stream-Vagrant-9-latest.x86_64.vagrant-virtualbox.box':
        'CentOS-Stream-Vagrant-9-20261101.1.x86_64.vagrant-virtualbox.box',
    };
    const qcow2s = (s: string) => [
      `CentOS-Stream-GenericCloud-9-${s}.x86_64.qcow2`,
      `CentOS-Stream-GenericCloud-x86_64-9-${s}.x86_64.qcow2`,
      `CentOS-Stream-ec2-9-${s}.x86_64.qcow2`,
    ];
    expect([...sums.keys()]).toEqual(
      [
        ...each(stamps, (s) => [
          ...qcow2s(s),
          `CentOS-Stream-Container-Base-9-${s}.x86_64.tar.xz`,
          `CentOS-Stream-Container-Minimal-9-${s}.x86_64.tar.xz`,
          `CentOS-Stream-Vagrant-9-${s}.x86_64.vagrant-libvirt.box`,
          `CentOS-Stream-Vagrant-9-${s}.x86_64.vagrant-virtualbox.box`,
        ]),
        ...Object.keys(latest),
      ].sort(),
    );
    for (const [alias, dated] of Object.entries(latest))
      expect(sums.get(alias), alias).toEqual(sums.get(dated));
    expect(sums.get('CentOS-Stream-GenericCloud-9-latest.x86_64.qcow2')?.hex).toBe(
      extra.streamRespin?.image.sha256,
    );
    for (const [file, { comment }] of sums) expect(comment, file).toMatch(/^\d+ bytes$/);
    expect(text.trim().split('\n').length).toBe(2 * sums.size);
    await expectServed(
      dirOf(url),
      hexOf(sums),
      [...each(stamps, qcow2s), ...Object.keys(latest).slice(0, 2)],
      bytesOf(sums),
    );
  });
});

describe('AlmaLinux and Rocky', () => {
  it('Alma: BSD CHECKSUM with byte sizes, every product of each build and a -latest of each, clearsigned CHECKSUM.asc', async () => {
    const url = mirror.feedUrl('almalinux-9');
    const text = await getText(url);
    const sums = parseBsdSums(text);
    const products = ['GenericCloud', 'GenericCloud-ext4', 'OCI', 'OpenNebula'];
    const name = (p: string, v: string) => `AlmaLinux-9-${p}-${v}.x86_64.qcow2`;
    expect([...sums.keys()]).toEqual(
      [
        ...each(['9.6-20261101', '9.6-20261102', 'latest'], (v) => products.map((p) => name(p, v))),
      ].sort(),
    );
    for (const p of products)
      expect(sums.get(name(p, 'latest')), p).toEqual(sums.get(name(p, '9.6-20261102')));
    expect(sums.get(name('GenericCloud', 'latest'))?.hex).toBe(extra.almaNext?.image.sha256);
    for (const [file, { comment }] of sums) expect(comment, file).toMatch(/^\d+ bytes$/);
    expect(text.split('\n').filter((l) => l.startsWith('# ')).length).toBe(sums.size);
    await expectServed(
      dirOf(url),
      hexOf(sums),
      each(['9.6-20261101', '9.6-20261102', 'latest'], (v) => [
        name('GenericCloud', v),
        name('GenericCloud-ext4', v),
      ]),
      bytesOf(sums),
    );
    const { text: signed, keyId } = await verifyClearsigned(
      await getText(`${url}.asc`),
      mirror.keyring,
    );
    expect(keyId).toBe(subkeyId('almalinux'));
    expect(signed.trim()).toBe(text.trim());
  });

  it('Rocky: per-file BSD .CHECKSUM and a directory CHECKSUM of every product, each with .latest aliases', async () => {
    const r = extra.rockyNext as PublishedRelease;
    expect(r.version).toBe('9.6-20261102.0');
    const own = parseBsdSums(await getText(`${r.image.url}.CHECKSUM`));
    expect([...own.keys()]).toEqual([r.image.name]);
    expect(own.get(r.image.name)?.hex).toBe(sha256(await getOk(r.image.url)));
    expect(own.get(r.image.name)?.comment).toBe(`${r.image.size} bytes`);
    const url = mirror.feedUrl('rocky-9');
    const all = parseBsdSums(await getText(url));
    const products = [
      ['Azure-Base', 'vhd'],
      ['Azure-LVM', 'vhd'],
      ['Container-Base', 'tar.xz'],
      ['Container-Minimal', 'tar.xz'],
      ['Container-UBI', 'tar.xz'],
      ['EC2-Base', 'qcow2'],
      ['EC2-LVM', 'qcow2'],
      ['GenericCloud-Base', 'qcow2'],
      ['GenericCloud-LVM', 'qcow2'],
      ['OCP-Base', 'qcow2'],
      ['Vagrant-Libvirt', 'box'],
      ['Vagrant-Vbox', 'box'],
      ['Vagrant-VMware', 'box'],
    ];
    const dated = (p: string, ext: string, v: string) => `Rocky-9-${p}-${v}.x86_64.${ext}`;
    const latest = (p: string, ext: string) => `Rocky-9-${p}.latest.x86_64.${ext}`;
    const bare = [
      ['GenericCloud', 'qcow2'],
      ['EC2', 'qcow2'],
      ['Azure', 'vhd'],
    ];
    expect([...all.keys()]).toEqual(
      [
        ...each(['9.6-20261101.0', r.version], (v) =>
          products.map(([p, ext]) => dated(p as string, ext as string, v)),
        ),
        ...products.map(([p, ext]) => latest(p as string, ext as string)),
        ...bare.map(([p, ext]) => latest(p as string, ext as string)),
      ].sort(),
    );
    for (const [p, ext] of products)
      expect(all.get(latest(p as string, ext as string)), p).toEqual(
        all.get(dated(p as string, ext as string, r.version)),
      );
    for (const [p, ext] of bare)
      expect(all.get(latest(p as string, ext as string)), p).toEqual(
        all.get(latest(`${p}-Base`, ext as string)),
      );
    expect(all.get('Rocky-9-GenericCloud-Base.latest.x86_64.qcow2')?.hex).toBe(r.image.sha256);
    for (const [file, { comment }] of all) expect(comment, file).toMatch(/^\d+ bytes$/);
    // the GenericCloud images and their aliases are served, each with its own .CHECKSUM
    const served = [
      ...each(['9.6-20261101.0', r.version], (v) => [
        dated('GenericCloud-Base', 'qcow2', v),
        dated('GenericCloud-LVM', 'qcow2', v),
      ]),
      latest('GenericCloud-Base', 'qcow2'),
      latest('GenericCloud-LVM', 'qcow2'),
      latest('GenericCloud', 'qcow2'),
    ];
    await expectServed(dirOf(url), hexOf(all), served, bytesOf(all));
    for (const file of served)
      expect(parseBsdSums(await getText(`${dirOf(url)}${file}.CHECKSUM`)), file).toEqual(
        new Map([[file, all.get(file)]]),
      );
  });
});

describe('Fedora CoreOS', () => {
  it('stable.json: openstack qcow2.xz with sha256 of the xz, uncompressed-sha256 and a detached binary signature', async () => {
    interface Disk {
      location: string;
      signature: string;
      sha256: string;
      'uncompressed-sha256': string;
    }
    const stream = await getJson<{
      stream: string;
      metadata: { 'last-modified': string };
      architectures: {
        x86_64: {
          artifacts: Record<string, { release: string; formats: Record<string, { disk: Disk }> }>;
        };
      };
    }>(mirror.feedUrl('fedora-coreos-stable'));
    const r = mirror.latest('fedora-coreos-stable') as PublishedRelease;
    expect(stream.stream).toBe('stable');
    expect(stream.metadata['last-modified']).toBe('2026-11-01T11:00:00Z');
    const openstack = stream.architectures.x86_64.artifacts.openstack;
    expect(openstack?.release).toBe(r.version);
    expect(r.version).toMatch(/^44\.20261018\.3\.0$/);
    const disk = openstack?.formats['qcow2.xz']?.disk as Disk;
    const xz = await getOk(disk.location);
    expect(sha256(xz)).toBe(disk.sha256);
    expect(sha256(await decompress(xz, 'xz'))).toBe(disk['uncompressed-sha256']);
    const sig = await getOk(disk.signature);
    expect(sig[0]).not.toBe('-'.charCodeAt(0));
    expect(await verifyDetached(xz, sig, mirror.keyring)).toBe(subkeyId('fedora'));
  });
});

describe('Fedora CoreOS, the whole stream', () => {
  interface File {
    location: string;
    signature: string;
    sha256: string;
    'uncompressed-sha256'?: string;
  }
  type Formats = Record<string, Record<string, File>>;
  interface Arch {
    artifacts: Record<string, { release: string; formats: Formats }>;
    images: Record<string, Record<string, unknown>>;
  }

  it('carries every architecture, every artifact, pxe without a disk, and cloud images', async () => {
    const stream = await getJson<{ architectures: Record<string, Arch> }>(
      mirror.feedUrl('fedora-coreos-stable'),
    );
    const r = mirror.latest('fedora-coreos-stable') as PublishedRelease;
    const archs = stream.architectures;
    expect(Object.keys(archs)).toEqual(['aarch64', 'ppc64le', 's390x', 'x86_64']);
    const names = (arch: string) => Object.keys(archs[arch]?.artifacts ?? {});
    expect(names('x86_64')).toEqual([
      'aliyun',
      'applehv',
      'aws',
      'azure',
      'azurestack',
      'digitalocean',
      'exoscale',
      'gcp',
      'hetzner',
      'hyperv',
      'ibmcloud',
      'kubevirt',
      'metal',
      'nutanix',
      'openstack',
      'oraclecloud',
      'proxmoxve',
      'qemu',
      'virtualbox',
      'vmware',
      'vultr',
    ]);
    expect(names('ppc64le')).toEqual(['metal', 'openstack', 'powervs', 'qemu']);
    for (const [arch, a] of Object.entries(archs)) {
      expect(Object.keys(a.artifacts.metal?.formats ?? {})).toEqual([
        '4k.raw.xz',
        'iso',
        'pxe',
        'raw.xz',
      ]);
      const pxe = a.artifacts.metal?.formats.pxe ?? {};
      expect(Object.keys(pxe)).toEqual(['kernel', 'initramfs', 'rootfs']);
      expect(pxe.kernel?.location).toMatch(new RegExp(`-live-kernel\\.${arch}$`));
      for (const { release, formats } of Object.values(a.artifacts)) {
        expect(release).toBe(r.version);
        for (const [format, members] of Object.entries(formats))
          for (const file of Object.values(members)) {
            expect(file.location).toContain(`/builds/${r.version}/${arch}/`);
            expect(file.signature).toBe(`${file.location}.sig`);
            expect(file.sha256).toMatch(/^[0-9a-f]{64}$/);
            // a digest of what is inside only where the whole file is compressed
            expect('uncompressed-sha256' in file, `${arch} ${format}`).toBe(
              /\.(xz|gz|zip)$/.test(format) && format !== 'tar.gz',
            );
          }
      }
    }
    expect(Object.keys(archs.x86_64?.images ?? {})).toEqual(['aws', 'gcp', 'kubevirt']);
    expect(Object.keys(archs.aarch64?.images ?? {})).toEqual(['aws', 'gcp']);
    expect(archs.ppc64le?.images).toEqual({});
    expect(Object.keys(archs.x86_64?.images.aws?.regions ?? {})).toContain('eu-central-1');
    // only x86_64's openstack and qemu disks are served
    const x86 = archs.x86_64?.artifacts;
    expect(x86?.openstack?.formats['qcow2.xz']?.disk?.location).toBe(r.image.url);
    expect(
      (await getOk(x86?.qemu?.formats['qcow2.xz']?.disk?.location ?? '')).length,
    ).toBeGreaterThan(0);
  });
});

describe('Flatcar', () => {
  it('version.txt names the pinned dir; DIGESTS (SHA512 section), .DIGESTS.asc and .sig all check out', async () => {
    const vars = Object.fromEntries(
      (await getText(mirror.feedUrl('flatcar-stable')))
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    );
    const r = mirror.latest('flatcar-stable') as PublishedRelease;
    expect(vars.FLATCAR_VERSION_ID).toBe(r.version);
    expect(vars.FLATCAR_VERSION).toBe(r.version);
    expect(Object.keys(vars)).toEqual([
      'FLATCAR_BUILD',
      'FLATCAR_BRANCH',
      'FLATCAR_PATCH',
      'FLATCAR_VERSION',
      'FLATCAR_VERSION_ID',
      'FLATCAR_BUILD_ID',
      'FLATCAR_SDK_VERSION',
    ]);
    expect(`${vars.FLATCAR_BUILD}.${vars.FLATCAR_BRANCH}.${vars.FLATCAR_PATCH}`).toBe(r.version);
    expect(vars.FLATCAR_BUILD_ID).toMatch(/^"\d{4}-\d{2}-\d{2}-\d{4}"$/);
    const dir = mirror.url(
      `/stable.release.flatcar-linux.net/amd64-usr/${vars.FLATCAR_VERSION_ID}/`,
    );
    for (const [suffix, kind] of [
      ['.bz2', 'bz2'],
      ['.gz', 'gz'],
      ['', 'none'],
    ] as const) {
      const name = `flatcar_production_openstack_image.img${suffix}`;
      const bytes = await getOk(dir + name);
      const digests = await getText(dir + name + '.DIGESTS');
      const sections = digests.split(/^# (\w+) HASH\n/m).slice(1);
      expect(sections.filter((_, i) => i % 2 === 0)).toEqual(['MD5', 'SHA1', 'SHA512']);
      expect(parseGnuSums(sections[5] ?? '', 128).get(name)).toBe(sha512(bytes));
      const { text } = await verifyClearsigned(
        await getText(dir + name + '.DIGESTS.asc'),
        mirror.keyring,
      );
      expect(text.trim()).toBe(digests.trim());
      expect(
        await verifyDetached(
          bytes,
          await getOk(dir + name + '.sig'),
          keyOf('flatcar').armoredPublic,
        ),
      ).toBe(subkeyId('flatcar'));
      expect(readQcow2Header(await decompress(bytes, kind)).version).toBe(3);
    }
    const releases = await getJson<Record<string, { release_date: string }>>(
      mirror.url('/www.flatcar.org/releases-json/releases-stable.json'),
    );
    expect(releases[r.version]?.release_date).toMatch(/^2026-11-01 \d\d:\d\d:\d\d \+0000$/);
  });
});

describe('Windows build manifest', () => {
  it('lists every build with a pinned URL, checksum and Windows properties, signed by the builds key', async () => {
    interface Build {
      product: string;
      version: string;
      build_date: string;
      url: string;
      disk_format: string;
      compression: string;
      size: number;
      checksum: { algorithm: string; value: string };
      properties: Record<string, string>;
    }
    const url = mirror.feedUrl('windows-2019-gui');
    const text = await getText(url);
    const manifest = JSON.parse(text) as { format: string; builds: Build[] };
    expect(manifest.format).toBe('imagecycle-build-manifest/1');
    expect(manifest.builds.map((b) => b.product).sort()).toEqual([
      'windows-server-2019-core',
      'windows-server-2019-gui',
    ]);
    for (const b of manifest.builds) {
      const bytes = await getOk(b.url);
      expect(b.checksum).toEqual({ algorithm: 'sha256', value: sha256(bytes) });
      expect(b.size).toBe(bytes.length);
      expect(b).toMatchObject({ disk_format: 'qcow2', compression: 'none', version: '20261101' });
      expect(b.properties).toMatchObject({
        os_type: 'windows',
        os_distro: 'windows',
        os_version: '2019',
      });
    }
    expect(await verifyDetached(Buffer.from(text), await getOk(`${url}.asc`), mirror.keyring)).toBe(
      subkeyId('imagecycle-builds'),
    );
  });
});

describe('a Windows build that never boots', () => {
  it('carries test_guest_boot: fail in its manifest entry only; other upstreams refuse the option', async () => {
    const own = await startMirror();
    try {
      const sound = await own.publish('windows-2019-core', { date: '2026-11-01' });
      const broken = await own.publish('windows-2019-core', { guestBoot: 'fail' });
      const manifest = JSON.parse(await getText(own.feedUrl('windows-2019-core'))) as {
        builds: { product: string; version: string; properties: Record<string, string> }[];
      };
      const boots = manifest.builds.map((b) => [
        b.product,
        b.version,
        b.properties.test_guest_boot ?? 'boots',
      ]);
      expect(boots).toEqual([
        ['windows-server-2019-core', sound.version, 'boots'],
        ['windows-server-2019-core', broken.version, 'fail'],
      ]);
      await expect(own.publish('debian-12', { guestBoot: 'fail' })).rejects.toThrow(
        'publish debian-12: guestBoot is for the in-house Windows builds only',
      );
    } finally {
      await own.stop();
    }
  });
});

describe('real-world tooling', () => {
  it('gpg verifies the clearsigned and detached signatures against the exported keyring', async () => {
    const home = mkdtempSync(join(tmpdir(), 'mirror-gpg-'));
    try {
      const gpg = (...args: string[]) =>
        spawnSync('gpg', ['--homedir', home, '--batch', ...args], { encoding: 'utf8' });
      writeFileSync(join(home, 'keyring.asc'), mirror.keyring);
      const imported = gpg('--import', join(home, 'keyring.asc'));
      expect(imported.status, imported.stderr).toBe(0);
      writeFileSync(join(home, 'sums.asc'), await getText(`${mirror.feedUrl('centos-7')}.asc`));
      const clear = gpg('--verify', join(home, 'sums.asc'));
      expect(clear.status, clear.stderr).toBe(0);
      expect(clear.stderr).toContain(keyOf('centos').subkeyFingerprint);
      const r = mirror.latest('fedora-coreos-stable') as PublishedRelease;
      writeFileSync(join(home, 'image.xz'), await getOk(r.image.url));
      writeFileSync(join(home, 'image.xz.sig'), await getOk(`${r.image.url}.sig`));
      const detached = gpg('--verify', join(home, 'image.xz.sig'), join(home, 'image.xz'));
      expect(detached.status, detached.stderr).toBe(0);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
