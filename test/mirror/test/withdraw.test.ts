// A withdrawn release leaves its feed (the one before it is the newest again) and its files
// answer 404, as when an upstream pulls a broken build. Ubuntu and Debian; others refuse.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMirror, type Mirror } from '../index.ts';
import { get, getJson, getText } from './helpers.ts';

let mirror: Mirror;

beforeAll(async () => {
  mirror = await startMirror();
}, 30_000);
afterAll(() => mirror.stop());

interface Products {
  products: Record<string, { versions: Record<string, unknown> }>;
}

describe('withdraw', () => {
  it('Ubuntu: the serial leaves the products file, its directory 404s, release/ points back', async () => {
    const first = await mirror.publish('ubuntu-24.04', { date: '2026-11-01' });
    const second = await mirror.publish('ubuntu-24.04', { date: '2026-11-02' });
    const productsUrl = mirror.url(
      '/cloud-images.ubuntu.com/releases/streams/v1/com.ubuntu.cloud:released:download.json',
    );
    const serials = async () =>
      Object.keys(
        (await getJson<Products>(productsUrl)).products['com.ubuntu.cloud:server:24.04:amd64']
          ?.versions ?? {},
      )
        .filter((s) => s >= first.version) // the stream's history before the mirror's first
        .sort();
    expect(await serials()).toEqual([first.version, second.version]);

    const withdrawn = await mirror.withdraw('ubuntu-24.04', second.version);
    expect(withdrawn).toBe(second);
    expect(await serials()).toEqual([first.version]);
    expect((await get(second.image.url)).status).toBe(404);
    expect((await get(second.checksum.url)).status).toBe(404);
    expect((await get(first.image.url)).status).toBe(200);
    // the mutable link serves the release before it again
    expect(
      await getText(mirror.url('/cloud-images.ubuntu.com/releases/noble/release/SHA256SUMS')),
    ).toBe(await getText(first.checksum.url));
    // the clearsigned twin was rewritten too
    const signed = await getText(
      mirror.url(
        '/cloud-images.ubuntu.com/releases/streams/v1/com.ubuntu.cloud:released:download.sjson',
      ),
    );
    expect(signed).not.toContain(second.version);
    expect(mirror.latest('ubuntu-24.04')).toBe(first);
    expect(mirror.releases('ubuntu-24.04')).toEqual([first]);
    await expect(mirror.withdraw('ubuntu-24.04', second.version)).rejects.toThrow(/not published/);
  });

  it('Debian: the dated directory leaves the listing, latest/ points back', async () => {
    const first = await mirror.publish('debian-12', { date: '2026-11-01' });
    const second = await mirror.publish('debian-12', { date: '2026-11-02' });
    const listing = mirror.url('/cloud.debian.org/images/cloud/bookworm/');
    expect(await getText(listing)).toContain(`${second.version}/`);

    await mirror.withdraw('debian-12', second.version);
    const after = await getText(listing);
    expect(after).not.toContain(second.version);
    expect(after).toContain(`${first.version}/`);
    expect((await get(second.image.url)).status).toBe(404);
    expect(
      await getText(mirror.url('/cloud.debian.org/images/cloud/bookworm/latest/SHA512SUMS')),
    ).toBe(await getText(first.checksum.url));
    expect(mirror.latest('debian-12')).toBe(first);
  });

  it('refuses upstreams it cannot take a release back from', async () => {
    const release = await mirror.publish('flatcar-stable', { date: '2026-11-01' });
    await expect(mirror.withdraw('flatcar-stable', release.version)).rejects.toThrow(
      /cannot withdraw flatcar-stable/,
    );
    expect((await get(release.image.url)).status).toBe(200);
  });
});
