// The keyrings a catalogue names, checked the way the feed-watcher will use them: for every
// enabled series that verifies signatures, its keyring file exists, holds OpenPGP public
// keys, and holds each pinned fingerprint as a primary key or a subkey. Each problem is an
// issue at the keyring or fingerprint in the catalogue (an anchored signature block shared
// by several series is reported once, naming them all).
import { readFile } from 'node:fs/promises';
import { keyringFingerprints, readKeyring, TrustConfigError } from '@imagecycle/trust';
import { type CatalogueIssue, formatPath } from './errors.ts';
import { catalogueLocator } from './parse.ts';
import type { Catalogue } from './types.ts';

type Keyring =
  | { readonly ok: true; readonly fingerprints: ReadonlySet<string>; readonly holds: string }
  | { readonly ok: false; readonly problem: string };

async function readKeyringFile(path: string): Promise<Keyring> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : `cannot be read (${error instanceof Error ? error.message : String(error)})`;
    return {
      ok: false,
      problem: `keyring ${path} ${why}: put the upstream's armored public keys there, or set KEYRING_DIR to the directory that holds them`,
    };
  }
  try {
    const keys = await readKeyring(text, path);
    const holds = keys
      .map((k) => `${k.getFingerprint().toUpperCase()} (${k.getUserIDs()[0] ?? 'no user id'})`)
      .join(', ');
    return { ok: true, fingerprints: keyringFingerprints(keys), holds };
  } catch (error) {
    if (!(error instanceof TrustConfigError)) throw error;
    return {
      ok: false,
      problem: `keyring ${path} holds no readable OpenPGP public key: ${error.message}`,
    };
  }
}

/** Problems with the keyrings of the catalogue's enabled series; none when all is well. */
export async function checkKeyrings(
  catalogue: Catalogue,
  text: string,
  file: string = catalogue.file,
): Promise<CatalogueIssue[]> {
  const locator = catalogueLocator(text);
  const keyrings = new Map<string, Promise<Keyring>>();
  // one issue per place in the file and problem; the series it concerns are listed
  const found = new Map<
    string,
    { issue: Omit<CatalogueIssue, 'message'>; message: string; series: string[] }
  >();
  const report = (id: string, path: (string | number)[], message: string): void => {
    const { line, column } = locator.locate(path);
    const key = `${line}:${column}\n${message}`;
    const entry = found.get(key);
    if (entry) entry.series.push(id);
    else
      found.set(key, {
        issue: { file, line, column, path: formatPath(path) },
        message,
        series: [id],
      });
  };

  for (const series of catalogue.series) {
    const { policy, keyring, fingerprints } = series.signature;
    if (!series.enabled || policy === 'none' || keyring === undefined) continue;
    let pending = keyrings.get(keyring);
    if (!pending) {
      pending = readKeyringFile(keyring);
      keyrings.set(keyring, pending);
    }
    const ring = await pending;
    const base = ['series', series.id, 'signature'];
    if (!ring.ok) {
      report(series.id, [...base, 'keyring'], ring.problem);
      continue;
    }
    // an enabled series has no empty fingerprint (parseCatalogue refuses one), so each
    // resolved fingerprint sits at the same index in the file
    fingerprints.forEach((fingerprint, index) => {
      if (ring.fingerprints.has(fingerprint)) return;
      report(
        series.id,
        [...base, 'fingerprints', index],
        `fingerprint ${spaced(fingerprint)} is neither a primary key nor a subkey in keyring ${keyring} (it holds ${ring.holds}): pin the upstream's key, or put that key in the keyring`,
      );
    });
  }
  return [...found.values()]
    .map(({ issue, message, series }) => ({
      ...issue,
      message: series.length > 1 ? `${message} [series ${series.join(', ')}]` : message,
    }))
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

/** Groups of four hex digits, as upstreams publish fingerprints. */
function spaced(fingerprint: string): string {
  return fingerprint.toUpperCase().replace(/(.{4})(?=.)/g, '$1 ');
}
