// Every parser against what the local mirror serves in each upstream's real format: the
// mirror was written independently from these parsers, from the same format notes, and
// knows which release a correct watcher must find.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Distro, type Mirror, startMirror } from '@imagecycle/test/mirror';
import {
  crossCheckSha512Sums,
  FeedError,
  FILE_PATTERNS,
  flatcarRelease,
  parseBuildManifest,
  parseChecksumList,
  parseCoreosStream,
  parseDebianManifest,
  parseDirectoryListing,
  parseSimplestreamsIndex,
  parseSimplestreamsProducts,
  type ParsedRelease,
} from '../src/index.ts';

let mirror: Mirror;
const text = async (url: string) => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.text();
};

beforeAll(async () => {
  mirror = await startMirror({ seed: '2026-11-01' });
  // a second release everywhere it can happen, one of them a respin
  await mirror.publish('ubuntu-24.04', { date: '2026-11-10' });
  await mirror.publish('ubuntu-24.04', { date: '2026-11-10', respin: true });
  await mirror.publish('ubuntu-minimal-22.04', { date: '2026-11-12' });
  await mirror.publish('debian-12', { date: '2026-11-12' });
  await mirror.publish('centos-stream-9', { date: '2026-11-13' });
  await mirror.publish('almalinux-9', { date: '2026-11-14' });
  await mirror.publish('rocky-9', { date: '2026-11-14' });
  await mirror.publish('fedora-coreos-stable', { date: '2026-11-15' });
  await mirror.publish('flatcar-stable', { date: '2026-11-15' });
  await mirror.publish('windows-2019-gui', { date: '2026-11-16' });
});
afterAll(() => mirror.stop());

function latestOf(distro: Distro) {
  const latest = mirror.latest(distro);
  if (!latest) throw new Error(`the mirror has no ${distro} release`);
  return latest;
}

/** The newest parsed release is the mirror's newest, and its URL serves the bytes it names. */
async function expectLatest(distro: Distro, releases: ParsedRelease[]) {
  const latest = latestOf(distro);
  const [newest] = releases;
  expect(newest?.version).toBe(latest.version);
  expect(newest?.checksum.value).toBe(latest.checksum.hex);
  const bytes = Buffer.from(await (await fetch(newest?.url ?? '')).arrayBuffer());
  const algorithm = newest?.checksum.algorithm ?? 'sha256';
  expect(createHash(algorithm).update(bytes).digest('hex')).toBe(newest?.checksum.value);
  return newest as ParsedRelease;
}

async function ubuntu(distro: Distro, productId: string, releasesPath: string) {
  const indexUrl = mirror.feedUrl(distro);
  const productsUrl = parseSimplestreamsIndex(await text(indexUrl), indexUrl);
  return parseSimplestreamsProducts(await text(productsUrl), {
    productsUrl,
    productId,
    releasesUrl: mirror.url(releasesPath),
  });
}

describe('parsers against the mirror', () => {
  it('Ubuntu server: newest serial first (respin beats its base), signed SHA256SUMS beside the image', async () => {
    const releases = await ubuntu(
      'ubuntu-24.04',
      'com.ubuntu.cloud:server:24.04:amd64',
      '/cloud-images.ubuntu.com/releases/',
    );
    const newest = await expectLatest('ubuntu-24.04', releases);
    expect(releases.slice(0, 3).map((r) => r.version)).toEqual([
      '20261110.1',
      '20261110',
      '20261101',
    ]);
    // the rest is the stream's history (every serial since 24.04's release), all older
    expect(releases.length).toBeGreaterThan(50);
    expect(releases.slice(3).every((r) => r.version < '20261101')).toBe(true);
    expect(newest.signatureRef).toEqual({
      kind: 'detached',
      signedUrl: newest.url.replace(/[^/]+$/, 'SHA256SUMS'),
      signatureUrl: newest.url.replace(/[^/]+$/, 'SHA256SUMS.gpg'),
    });
    expect(newest.buildDate).toBe('2026-11-10');
  });

  it('Ubuntu Minimal', async () => {
    const releases = await ubuntu(
      'ubuntu-minimal-22.04',
      'com.ubuntu.cloud:minimal:22.04:amd64',
      '/cloud-images.ubuntu.com/minimal/releases/',
    );
    await expectLatest('ubuntu-minimal-22.04', releases);
  });

  it('Debian: newest dated directory, manifest digest decoded and cross-checked with SHA512SUMS', async () => {
    const listing = mirror.feedUrl('debian-12');
    const [dir] = parseDirectoryListing(await text(listing), listing);
    const version = /(\d{8}-\d+)\/$/.exec(dir ?? '')?.[1] ?? '';
    const manifestUrl = `${dir}debian-12-genericcloud-amd64-${version}.json`;
    const release = parseDebianManifest(await text(manifestUrl), {
      manifestUrl,
      imagesRoot: mirror.url('/cloud.debian.org/images/cloud/'),
    });
    await expectLatest('debian-12', [release]);
    expect(() => crossCheckSha512Sums(release, '', `${dir}SHA512SUMS`)).toThrow(FeedError);
    crossCheckSha512Sums(release, await text(`${dir}SHA512SUMS`), `${dir}SHA512SUMS`);
  });

  it.each([
    ['centos-7', 'gnu', /\/CentOS-7-x86_64-GenericCloud-\d{4}\.qcow2$/],
    ['centos-8', 'bsd', /\/CentOS-8-GenericCloud-8\.\d+\.\d{4}-\d{8}\.\d+\.x86_64\.qcow2$/],
    ['centos-stream-9', 'bsd', /\/CentOS-Stream-GenericCloud-9-\d{8}\.\d+\.x86_64\.qcow2$/],
    ['almalinux-9', 'bsd', /\/AlmaLinux-9-GenericCloud-9\.\d+-\d{8}\.x86_64\.qcow2$/],
    ['rocky-9', 'bsd', /\/Rocky-9-GenericCloud-Base-9\.\d+-\d{8}\.\d+\.x86_64\.qcow2$/],
  ] as const)(
    '%s checksum list (%s style): only the anchored pattern counts, look-alikes never',
    async (distro, _style, datedGenericCloud) => {
      const listUrl = mirror.feedUrl(distro);
      const releases = parseChecksumList(await text(listUrl), {
        listUrl,
        filePattern: FILE_PATTERNS[distro],
        algorithm: 'sha256',
      });
      await expectLatest(distro, releases);
      for (const r of releases)
        expect(r.url).not.toMatch(/latest|LVM|ext4|ec2|qcow2c|\.xz$|aarch64|x86_64-9/);
      // the list names the whole folder (boxes, vendor images, aliases, other architectures):
      // what is picked is exactly the dated GenericCloud qcow2 of each build the mirror made
      for (const r of releases) expect(r.url).toMatch(datedGenericCloud);
      expect(releases.map((r) => r.url).sort()).toEqual(
        mirror
          .releases(distro)
          .map((r) => r.image.url)
          .sort(),
      );
    },
  );

  it('Fedora CoreOS: the openstack qcow2.xz, both checksums, the detached signature', async () => {
    const streamUrl = mirror.feedUrl('fedora-coreos-stable');
    const [release] = parseCoreosStream(await text(streamUrl), { streamUrl });
    const latest = latestOf('fedora-coreos-stable');
    expect(release?.version).toBe(latest.version);
    expect(release?.url).toBe(latest.image.url);
    expect(release?.compression).toBe('xz');
    expect(release?.checksum.value).toBe(latest.image.sha256);
    expect(release?.uncompressedChecksum?.value).toBe(latest.image.uncompressed?.sha256);
    expect(release?.signatureRef).toMatchObject({
      kind: 'detached',
      signatureUrl: `${latest.image.url}.sig`,
    });
  });

  it('Flatcar: version.txt + DIGESTS (SHA512) + release date', async () => {
    const versionUrl = mirror.feedUrl('flatcar-stable');
    const latest = latestOf('flatcar-stable');
    const options = {
      channelUrl: versionUrl.replace(/current\/version\.txt$/, ''),
      compression: 'bz2' as const,
    };
    const release = flatcarRelease({
      options,
      versionTxt: await text(versionUrl),
      versionUrl,
      digests: await text(`${latest.image.url}.DIGESTS`),
      releasesJson: await text(mirror.url('/www.flatcar.org/releases-json/releases-stable.json')),
    });
    expect(release.version).toBe(latest.version);
    expect(release.url).toBe(latest.image.url);
    expect(release.checksum).toEqual({ algorithm: 'sha512', value: latest.image.sha512 });
    expect(release.buildDate).toBe('2026-11-15');
  });

  it('build manifest: the series follows one product', async () => {
    const manifestUrl = mirror.feedUrl('windows-2019-gui');
    const releases = parseBuildManifest(await text(manifestUrl), {
      manifestUrl,
      product: 'windows-server-2019-gui',
    });
    await expectLatest('windows-2019-gui', releases);
    expect(releases[0]?.properties).toMatchObject({ os_type: 'windows', min_disk: '40' });
    expect(() =>
      parseBuildManifest(JSON.stringify({ format: 'imagecycle-build-manifest/1', builds: [] }), {
        manifestUrl,
        product: 'x',
      }),
    ).toThrow('no build of product "x"');
  });
});
