// What the readers authenticate besides the bytes, against the local mirror: the version and
// URL where the upstream signs a document carrying them, the version an unsigned document
// claims against the signed file's name, a signed series that goes unsigned, and URLs that
// are not https. No Glance: these refusals all come before the feed-watcher asks it.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Catalogue, Series } from '@imagecycle/series-catalogue';
import { type Distro, type Mirror, startMirror } from '@imagecycle/test/mirror';
import { loadMirrorCatalogue } from '@imagecycle/test/support/mirror-catalogue';
import {
  DocumentFetcher,
  loadSeriesTrust,
  MemoryDocumentCache,
  MemorySignedSeries,
  readNewestRelease,
  ReleaseRejected,
  type SignedSeries,
} from '../src/index.ts';

let mirror: Mirror;
let catalogue: Catalogue;

// The mirror renders Ubuntu's products files at their real size (tens of MB, clearsigned
// twins included) and each read verifies one: slower than a unit test's default budget.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

beforeAll(async () => {
  mirror = await startMirror({ seed: '2026-11-01' });
  catalogue = await loadMirrorCatalogue(mirror);
});
afterAll(() => mirror.stop());

const seriesOf = (id: string): Series => {
  const found = catalogue.series.find((s) => s.id === id);
  if (!found) throw new Error(`no series ${id}`);
  return found;
};

/** One read of the series' newest release, with a fresh cache (and the given memory). */
async function read(series: Series, signed: SignedSeries = new MemorySignedSeries()) {
  return readNewestRelease({
    series,
    fetcher: new DocumentFetcher({ cache: new MemoryDocumentCache() }),
    trust: await loadSeriesTrust(series),
    signed,
    now: () => new Date('2026-12-05T00:00:00Z'),
  });
}

/** The rejection a read ends in (fails the test when it ends in a release). */
async function rejection(series: Series, signed?: SignedSeries): Promise<ReleaseRejected> {
  const outcome = await read(series, signed).then(
    (release) => release,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(ReleaseRejected);
  return outcome as ReleaseRejected;
}

const latest = (distro: Distro) => {
  const release = mirror.latest(distro);
  if (!release) throw new Error(`the mirror has no ${distro}`);
  return release;
};

describe('Ubuntu: the clearsigned streams, not the unsigned .json', () => {
  it('takes version, URL and checksum from the .sjson even when the .json claims a newer version', async () => {
    const genuine = latest('ubuntu-24.04');
    const json = mirror.url(
      '/cloud-images.ubuntu.com/releases/streams/v1/com.ubuntu.cloud:released:download.json',
    );
    // the unsigned products file says the serial is from 2099 (the .sjson keeps the truth)
    const handle = mirror.faults.rewrite(json, `"${genuine.version}"`, '"20991231"');
    try {
      const release = await read(seriesOf('ubuntu-24.04'));
      expect(release?.version).toBe(genuine.version);
      expect(release?.checksum.value).toBe(genuine.checksum.hex);
      expect(handle.hits).toBe(0); // never even read
    } finally {
      handle.remove();
    }
  });

  it('refuses the release when the .sjson is withdrawn (policy required)', async () => {
    const sjson = mirror.url(
      '/cloud-images.ubuntu.com/releases/streams/v1/com.ubuntu.cloud:released:download.sjson',
    );
    const handle = mirror.faults.dropSignature(sjson);
    try {
      const error = await rejection(seriesOf('ubuntu-24.04'));
      expect(error.reason).toBe('signature-missing');
      expect(error.message).toContain(`${sjson} is not published (policy: required)`);
    } finally {
      handle.remove();
    }
  });

  it('refuses a .sjson signed by a key that is not pinned', async () => {
    const handle = mirror.faults.forgeSignature({
      prefix: mirror.url('/cloud-images.ubuntu.com/releases/streams/'),
    });
    try {
      const error = await rejection(seriesOf('ubuntu-24.04'));
      expect(error.reason).toBe('signature-invalid');
      // refused at the first signed document, the index: no version is believed yet
      expect(error.version).toBeUndefined();
      expect(error.message).toContain('rejected (signature-invalid)');
      expect(error.message).toContain('signature rejected (unknown-key)');
      expect(error.message).toContain(mirror.forger.subkeyFingerprint.slice(-16).toLowerCase());
      expect(error.message).toContain('streams/v1/index.sjson');
    } finally {
      handle.remove();
    }
  });
});

describe('Fedora CoreOS: the stream is unsigned, the signed file name carries the version', () => {
  it('refuses a stream whose version is not the one the signed file is named for', async () => {
    const genuine = latest('fedora-coreos-stable');
    const claimed = '44.20261101.3.0';
    const handle = mirror.faults.rewrite(
      genuine.feedUrl,
      `"release": "${genuine.version}"`,
      `"release": "${claimed}"`,
    );
    try {
      const error = await rejection(seriesOf('fedora-coreos-stable'));
      expect(error.reason).toBe('version-mismatch');
      expect(error.version).toBe(claimed);
      expect(error.message).toBe(
        `series fedora-coreos-stable version ${claimed}: rejected (version-mismatch): the feed says version ${claimed}, but the signed file is fedora-coreos-${genuine.version}-openstack.x86_64.qcow2.xz, whose name does not carry it`,
      );
    } finally {
      handle.remove();
    }
    // the genuine stream: the version is the file's
    expect(await read(seriesOf('fedora-coreos-stable'))).toMatchObject({
      version: genuine.version,
      signature: { status: 'verify-on-download' },
    });
  });
});

describe('policy optional: a series seen signed stays signed', () => {
  const manifestSignature = () => mirror.url('/builds.imagecycle.test/windows/manifest.json.asc');

  it('refuses a withdrawn signature once the series was seen signed', async () => {
    const memory = new MemorySignedSeries();
    const windows = seriesOf('windows-2019-gui');
    expect(windows.signature.policy).toBe('optional');
    expect(await read(windows, memory)).toMatchObject({ signature: { status: 'verified' } });
    expect(await memory.seenSigned('windows-2019-gui')).toBe('2026-12-05T00:00:00.000Z');

    const handle = mirror.faults.dropSignature(manifestSignature());
    try {
      const error = await rejection(windows, memory);
      expect(error.reason).toBe('signature-downgrade');
      expect(error.message).toBe(
        `series windows-2019-gui: rejected (signature-downgrade): ${manifestSignature()} is not published, but the series has been seen signed since 2026-12-05: policy optional does not let a signed series become unsigned`,
      );
      // a series never seen signed may still be unsigned: that is what optional means
      expect(await read(windows, new MemorySignedSeries())).toMatchObject({
        signature: { status: 'not-required' },
      });
    } finally {
      handle.remove();
    }
  });

  it('a failed verification teaches nothing: a forged signature does not mark the series', async () => {
    const memory = new MemorySignedSeries();
    const handle = mirror.faults.forgeSignature(manifestSignature());
    try {
      expect((await rejection(seriesOf('windows-2019-gui'), memory)).reason).toBe(
        'signature-invalid',
      );
    } finally {
      handle.remove();
    }
    expect(await memory.seenSigned('windows-2019-gui')).toBeUndefined();
  });
});

describe('https only, unless the feed opts in for its named mirror', () => {
  it('refuses a plain-http feed without the opt-in before any request', async () => {
    const debian = seriesOf('debian-12');
    const { insecureHttp: _optIn, ...feed } = debian.feed;
    const before = mirror.requests.log.length;
    const error = await rejection({ ...debian, feed });
    expect(error.reason).toBe('insecure-url');
    expect(error.message).toBe(
      `series debian-12: rejected (insecure-url): ${debian.feed.kind === 'debian' ? debian.feed.imagesUrl : ''} is plain http: feed URLs must be https (the feed has no insecureHttp opt-in)`,
    );
    expect(mirror.requests.log.length).toBe(before);
  });

  it('refuses a document that points at plain http on another host than the named mirror', async () => {
    const genuine = latest('fedora-coreos-stable');
    const elsewhere = mirror.baseUrl.replace('127.0.0.1', 'localhost');
    const handle = mirror.faults.rewrite(
      genuine.feedUrl,
      `"location": "${mirror.baseUrl}/`,
      `"location": "${elsewhere}/`,
    );
    try {
      const error = await rejection(seriesOf('fedora-coreos-stable'));
      expect(error.reason).toBe('insecure-url');
      expect(error.message).toContain(
        `is plain http on ${elsewhere}, which is not the mirror the catalogue names for this feed (insecureHttp allows only ${mirror.baseUrl})`,
      );
    } finally {
      handle.remove();
    }
  });
});
