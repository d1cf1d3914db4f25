// A rotated upstream key reaches a running feed-watcher without a restart: its keyring file
// is read at every check and parsed again when it changed. Flatcar adds a new signing subkey
// to its key every year; here the keyring first lacks the subkey the mirror signs with (as an
// operator's keyring does until they add the new one) and is then updated on disk.
import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Catalogue, Series } from '@imagecycle/series-catalogue';
import { readKeyring } from '@imagecycle/trust';
import { type Mirror, startMirror } from '@imagecycle/test/mirror';
import { loadMirrorCatalogue } from '@imagecycle/test/support/mirror-catalogue';
import {
  DocumentFetcher,
  FeedWatcher,
  type FeedWatcherOptions,
  MemoryDocumentCache,
  MemorySignedSeries,
  readNewestRelease,
  ReleaseRejected,
} from '../src/index.ts';

let mirror: Mirror;
let catalogue: Catalogue;

vi.setConfig({ testTimeout: 60_000, hookTimeout: 120_000 });

beforeAll(async () => {
  mirror = await startMirror({ seed: '2026-11-01' });
  catalogue = await loadMirrorCatalogue(mirror);
});
afterAll(() => mirror.stop());

/** The mirror's keyring with the Flatcar key's subkeys left out (its primary key stays). */
async function withoutFlatcarSubkeys(keyring: string): Promise<string> {
  const flatcar = mirror.keys.flatcar.fingerprint.toLowerCase();
  const keys = await readKeyring(keyring, 'the mirror keyring');
  return keys
    .map((key) => {
      if (key.getFingerprint().toLowerCase() === flatcar) key.subkeys = [];
      return key.armor();
    })
    .join('\n');
}

describe('a rotated keyring', () => {
  it('is used by the next check of the same feed-watcher', async () => {
    const series = catalogue.series.find((s) => s.id === 'flatcar-stable') as Series;
    const keyring = series.signature.keyring as string;
    const published = await readFile(keyring, 'utf8');
    // only trustFor and the catalogue are used here: no check is run through the queues
    const watcher = new FeedWatcher({ catalogue } as unknown as FeedWatcherOptions);
    const read = async () =>
      readNewestRelease({
        series,
        fetcher: new DocumentFetcher({ cache: new MemoryDocumentCache() }),
        trust: await watcher.trustFor(series),
        signed: new MemorySignedSeries(),
        now: () => new Date('2026-12-05T00:00:00Z'),
      });

    await writeFile(keyring, await withoutFlatcarSubkeys(published));
    const refused = await read().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(ReleaseRejected);
    expect((refused as ReleaseRejected).reason).toBe('signature-invalid');

    await writeFile(keyring, published); // the operator adds the new subkey
    const release = await read();
    const newest = mirror.latest('flatcar-stable');
    expect(newest).toBeDefined();
    expect(release?.version).toBe(newest?.version);
  });
});
