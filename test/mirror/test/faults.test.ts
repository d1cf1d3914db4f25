// Each fault does what it says, only where it is aimed, only as often as asked, and goes
// away when removed.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startMirror, type Mirror, type PublishedRelease } from '../index.ts';
import { debianDigestOf } from './digests.ts';
import {
  dirOf,
  get,
  getOk,
  getText,
  parseGnuSums,
  sha256,
  sha512,
  verifyClearsigned,
  verifyDetached,
} from './helpers.ts';

let mirror: Mirror;
let ubuntu: PublishedRelease;
let sumsUrl: string;

beforeAll(async () => {
  mirror = await startMirror({ seed: '2026-11-01' });
  ubuntu = mirror.latest('ubuntu-24.04') as PublishedRelease;
  sumsUrl = dirOf(ubuntu.image.url) + 'SHA256SUMS';
}, 30_000);
afterEach(() => mirror.faults.clear());
afterAll(() => mirror.stop());

describe('corrupt', () => {
  it('flips bytes of the image while the published checksums stay as they were', async () => {
    const sums = await getText(sumsUrl);
    const fault = mirror.faults.corrupt(ubuntu.image.url);
    const body = await getOk(ubuntu.image.url);
    expect(body.length).toBe(ubuntu.image.size);
    expect(sha256(body)).not.toBe(ubuntu.checksum.hex);
    expect(await getText(sumsUrl)).toBe(sums);
    expect(fault.hits).toBe(1);
    fault.remove();
    const good = await getOk(ubuntu.image.url);
    expect(sha256(good)).toBe(ubuntu.checksum.hex);
    // exactly one byte, in the middle, inverted
    const diff = [...body].flatMap((b, i) => (b !== good[i] ? [i] : []));
    expect(diff).toEqual([Math.floor(good.length / 2)]);
  });

  it('applies at absolute offsets through ranges, and with a prefix only to images', async () => {
    const range = { Range: 'bytes=69998-70005' };
    const clean = (await get(ubuntu.image.url, range)).body;
    const sums = await getOk(sumsUrl);
    mirror.faults.corrupt({ prefix: '/cloud-images.ubuntu.com/' }, { offset: 70_000, length: 4 });
    const part = (await get(ubuntu.image.url, range)).body;
    expect([...part].map((b, i) => b ^ (clean[i] as number))).toEqual([
      0, 0, 0xff, 0xff, 0xff, 0xff, 0, 0,
    ]);
    expect((await getOk(ubuntu.image.url)).subarray(69_998, 70_006)).toEqual(part);
    expect(await getOk(sumsUrl)).toEqual(sums);
  });
});

describe('swapChecksum', () => {
  it('serves a checksum list whose digests no longer match the bytes; its detached signature then fails', async () => {
    const sig = await getOk(`${sumsUrl}.gpg`);
    mirror.faults.swapChecksum(sumsUrl);
    const swapped = await getText(sumsUrl);
    const parsed = parseGnuSums(swapped, 64);
    expect(parsed.get(ubuntu.image.name)).toMatch(/^[0-9a-f]{64}$/);
    expect(parsed.get(ubuntu.image.name)).not.toBe(ubuntu.image.sha256);
    await expect(verifyDetached(Buffer.from(swapped), sig, mirror.keyring)).rejects.toThrow();
    // the signature file itself is untouched without `resign`
    expect(await getOk(`${sumsUrl}.gpg`)).toEqual(sig);
  });

  it('with resign, the list is wrong but consistently signed by the genuine key', async () => {
    mirror.faults.swapChecksum(sumsUrl, { resign: true });
    const swapped = await getText(sumsUrl);
    const sig = await getOk(`${sumsUrl}.gpg`);
    expect(await verifyDetached(Buffer.from(swapped), sig, mirror.keyring)).toBe(
      mirror.keys['ubuntu-images'].subkeyFingerprint.slice(-16),
    );
    expect(parseGnuSums(swapped, 64).get(ubuntu.image.name)).not.toBe(
      sha256(await getOk(ubuntu.image.url)),
    );
    // stable across requests (resumable, cacheable)
    expect(await getOk(`${sumsUrl}.gpg`)).toEqual(sig);
  });

  it('breaks a clearsigned list, or re-clearsigns it with resign', async () => {
    const url = mirror.feedUrl('centos-7');
    mirror.faults.swapChecksum({ prefix: '/cloud.centos.org/centos/7/' });
    expect(
      parseGnuSums(await getText(url), 64).get('CentOS-7-x86_64-GenericCloud-2211.qcow2'),
    ).not.toBe(mirror.latest('centos-7')?.image.sha256);
    await expect(verifyClearsigned(await getText(`${url}.asc`), mirror.keyring)).rejects.toThrow();
    mirror.faults.clear();
    mirror.faults.swapChecksum(`${url}.asc`, { resign: true });
    const { text } = await verifyClearsigned(await getText(`${url}.asc`), mirror.keyring);
    expect(parseGnuSums(text, 64).get('CentOS-7-x86_64-GenericCloud-2211.qcow2')).not.toBe(
      mirror.latest('centos-7')?.image.sha256,
    );
  });

  it('swaps only the named file, in every spelling (Debian base64 digests, feed JSON)', async () => {
    const debian = mirror.latest('debian-12') as PublishedRelease;
    const manifestUrl =
      dirOf(debian.image.url) + `debian-12-genericcloud-amd64-${debian.version}.json`;
    mirror.faults.swapChecksum({ prefix: '/cloud.debian.org/' }, { file: debian.image.name });
    const manifest = await getText(manifestUrl);
    const qcow2 = await getOk(debian.image.url);
    const raw = await getOk(
      dirOf(debian.image.url) + debian.image.name.replace(/\.qcow2$/, '.raw'),
    );
    expect(manifest).not.toContain(debianDigestOf(qcow2));
    expect(manifest).toContain(debianDigestOf(raw));
    const sums = parseGnuSums(await getText(dirOf(debian.image.url) + 'SHA512SUMS'), 128);
    expect(sums.get(debian.image.name)).not.toBe(sha512(qcow2));
    expect(sums.get(debian.image.name.replace(/\.qcow2$/, '.raw'))).toBe(sha512(raw));
    mirror.faults.swapChecksum(mirror.feedUrl('fedora-coreos-stable'));
    const fcos = mirror.latest('fedora-coreos-stable') as PublishedRelease;
    const stream = await getText(mirror.feedUrl('fedora-coreos-stable'));
    expect(stream).not.toContain(fcos.image.sha256);
    expect(stream).not.toContain(fcos.image.uncompressed.sha256);
    expect(() => JSON.parse(stream) as unknown).not.toThrow();
  });
});

describe('dropSignature', () => {
  it('answers 404 for the signature, aimed at it or at what it signs; the signed file stays', async () => {
    const drop = mirror.faults.dropSignature(`${sumsUrl}.gpg`);
    expect((await get(`${sumsUrl}.gpg`)).status).toBe(404);
    expect((await get(sumsUrl)).status).toBe(200);
    expect(drop.hits).toBe(1);
    drop.remove();
    expect((await get(`${sumsUrl}.gpg`)).status).toBe(200);
    const fcos = mirror.latest('fedora-coreos-stable') as PublishedRelease;
    mirror.faults.dropSignature(fcos.image.url);
    expect((await get(`${fcos.image.url}.sig`)).status).toBe(404);
    expect((await get(fcos.image.url)).status).toBe(200);
    mirror.faults.dropSignature({ prefix: '/cloud.centos.org/' });
    expect((await get(`${mirror.feedUrl('centos-7')}.asc`)).status).toBe(404);
  });
});

describe('forgeSignature', () => {
  it('other-key: a valid signature by a key outside the keyring', async () => {
    mirror.faults.forgeSignature(`${sumsUrl}.gpg`);
    const sums = await getOk(sumsUrl);
    const sig = await getOk(`${sumsUrl}.gpg`);
    await expect(verifyDetached(sums, sig, mirror.keyring)).rejects.toThrow(/key/i);
    expect(await verifyDetached(sums, sig, mirror.forger.armoredPublic)).toBe(
      mirror.forger.subkeyFingerprint.slice(-16),
    );
  });

  it('other-data: the genuine key, over different bytes (detached binary and clearsigned)', async () => {
    const fcos = mirror.latest('fedora-coreos-stable') as PublishedRelease;
    mirror.faults.forgeSignature(fcos.image.url, { mode: 'other-data' });
    await expect(
      verifyDetached(
        await getOk(fcos.image.url),
        await getOk(`${fcos.image.url}.sig`),
        mirror.keyring,
      ),
    ).rejects.toThrow(/signed digest did not match|invalid/i);
    const url = `${mirror.feedUrl('almalinux-9')}.asc`;
    const genuine = await getText(url);
    mirror.faults.forgeSignature(url, { mode: 'other-data' });
    const forged = await getText(url);
    expect(forged.split('-----BEGIN PGP SIGNATURE-----')[0]).toBe(
      genuine.split('-----BEGIN PGP SIGNATURE-----')[0],
    );
    await expect(verifyClearsigned(forged, mirror.keyring)).rejects.toThrow();
    mirror.faults.clear();
    mirror.faults.forgeSignature(url);
    await expect(verifyClearsigned(await getText(url), mirror.keyring)).rejects.toThrow();
    expect(
      (await verifyClearsigned(await getText(url), mirror.forger.armoredPublic)).text.trim(),
    ).toBe((await getText(mirror.feedUrl('almalinux-9'))).trim());
  });
});

describe('delay and trickle', () => {
  it('delay waits before answering', async () => {
    mirror.faults.delay(mirror.feedUrl('debian-12'), 300);
    const t0 = performance.now();
    expect((await get(mirror.feedUrl('debian-12'))).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('trickle sends the body slowly but whole', async () => {
    const url = mirror.feedUrl('centos-8');
    const size = (await getOk(url)).length;
    mirror.faults.trickle(url, { chunkBytes: Math.ceil(size / 5), intervalMs: 60 });
    const t0 = performance.now();
    const r = await get(url);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(4 * 60 - 10);
    expect(r.complete).toBe(true);
    expect(r.body.length).toBe(size);
  });
});

describe('fail', () => {
  it('answers 5xx N times, then recovers', async () => {
    const url = mirror.feedUrl('rocky-9');
    const fault = mirror.faults.fail(url, { times: 2 });
    expect((await get(url)).status).toBe(503);
    expect((await get(url)).status).toBe(503);
    expect((await get(url)).status).toBe(200);
    expect(fault.hits).toBe(2);
    mirror.faults.fail({ prefix: '/dl.rockylinux.org/' }, { status: 500 });
    expect((await get(mirror.latest('rocky-9')?.image.url ?? '')).status).toBe(500);
    expect((await get(url)).status).toBe(200);
  });
});

describe('truncate', () => {
  it('closes the connection mid-body once, and a Range request resumes', async () => {
    const url = ubuntu.image.url;
    mirror.faults.truncate(url, { times: 1 });
    const cut = await get(url);
    expect(cut.status).toBe(200);
    expect(Number(cut.headers['content-length'])).toBe(ubuntu.image.size);
    expect(cut.complete).toBe(false);
    expect(cut.body.length).toBe(Math.floor(ubuntu.image.size / 2));
    const rest = await get(url, {
      Range: `bytes=${cut.body.length}-`,
      'If-Range': cut.headers.etag ?? '',
    });
    expect(rest.status).toBe(206);
    expect(rest.complete).toBe(true);
    expect(sha256(Buffer.concat([cut.body, rest.body]))).toBe(ubuntu.checksum.hex);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(
      mirror.requests.log
        .filter((e) => url.endsWith(e.path))
        .slice(-2)
        .map((e) => e.aborted),
    ).toEqual([true, false]);
  });

  it('cuts after an exact byte count, also inside a range', async () => {
    mirror.faults.truncate(ubuntu.image.url, { afterBytes: 1000 });
    const cut = await get(ubuntu.image.url, { Range: 'bytes=5000-' });
    expect(cut.status).toBe(206);
    expect(cut.complete).toBe(false);
    mirror.faults.clear();
    expect(cut.body).toEqual((await getOk(ubuntu.image.url)).subarray(5000, 6000));
  });
});
