// Keyring files read at every use, parsed only when their content changed: an operator (or
// the kubelet syncing a ConfigMap volume) replacing an upstream's keyring - a new signing
// subkey, a new key beside the old one - is seen by the next verification, without a
// restart. The content is compared, not the modification time: a ConfigMap update swaps a
// symlink, and a file rewritten within the same second keeps its mtime on some filesystems.
import { readFile } from 'node:fs/promises';
import { TrustConfigError } from './errors.ts';
import { loadTrust, type TrustAnchor } from './trust.ts';

interface Cached {
  readonly text: string;
  readonly anchor: Promise<TrustAnchor>;
}

export class KeyringFiles {
  readonly #cache = new Map<string, Cached>();

  /**
   * The trust anchor of `path` with `fingerprints` pinned, as the file reads now. The same
   * anchor is returned while the file's content is unchanged; a changed file is parsed
   * again (and must still hold every pinned fingerprint).
   */
  async load(path: string, fingerprints: readonly string[]): Promise<TrustAnchor> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new TrustConfigError(
        `keyring ${path} cannot be read: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    const key = `${path}\n${fingerprints.join(',')}`;
    const cached = this.#cache.get(key);
    if (cached !== undefined && cached.text === text) return cached.anchor;
    const anchor = loadTrust({
      armoredKeys: [text],
      armoredKeyLabels: [`keyring ${path}`],
      fingerprints,
    });
    this.#cache.set(key, { text, anchor });
    // a keyring that fails to load is read and tried again at the next use
    anchor.catch(() => {
      if (this.#cache.get(key)?.anchor === anchor) this.#cache.delete(key);
    });
    return anchor;
  }
}
