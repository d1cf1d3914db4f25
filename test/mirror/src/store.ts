// The mirror's file tree on disk: `<root>/<upstream host>/<upstream path>`. Every write
// goes through here so that each file has a strong ETag (content hash) and a
// Last-Modified that moves forward whenever the content changes.
import { createHash, randomBytes } from 'node:crypto';
import {
  lstat,
  mkdir,
  readdir,
  readFile,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';

export interface Resolved {
  kind: 'file' | 'dir';
  /** The path after following symlinks (`/host/dated/dir/file`). */
  canonical: string;
  fsPath: string;
  stats: Stats;
}

export interface DirEntry {
  name: string;
  dir: boolean;
  size: number;
  mtime: Date;
}

function etagOf(data: Uint8Array): string {
  return `"${createHash('sha256').update(data).digest('hex').slice(0, 32)}"`;
}

export class Store {
  readonly root: string;
  readonly #etags = new Map<string, string>();
  readonly #dirTimes = new Map<string, number>();
  #realRoot: string | undefined;

  constructor(root: string) {
    this.root = root;
  }

  /** Normalise a mirror path: leading slash, no `.`/`..` escaping the root. */
  static normalize(path: string): string {
    const p = posix.normalize('/' + path);
    if (p.split('/').includes('..')) throw new Error(`path escapes the mirror: ${path}`);
    return p;
  }

  fsPath(path: string): string {
    return join(this.root, ...Store.normalize(path).split('/').filter(Boolean));
  }

  /**
   * Write a file. Its mtime is `mtime`, or one second past the previous one when the file
   * already existed with a newer or equal mtime and different bytes, so If-Modified-Since
   * stays truthful; identical content keeps the old mtime and ETag.
   */
  async write(path: string, data: Uint8Array | string, mtime: Date): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const file = this.fsPath(path);
    const etag = etagOf(bytes);
    const previous = await stat(file).catch(() => undefined);
    const canonical = Store.normalize(path);
    if (previous && this.#etags.get(canonical) === etag) return;
    let when = mtime;
    if (previous && previous.mtime.getTime() >= mtime.getTime())
      when = new Date(Math.floor(previous.mtime.getTime() / 1000) * 1000 + 1000);
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
    await writeFile(tmp, bytes);
    await utimes(tmp, when, when);
    await rename(tmp, file);
    this.#etags.set(canonical, etag);
    await this.#touchDirs(path, when);
  }

  /** Point `path` at `target` (relative to the link's directory), replacing any old link atomically. */
  async link(path: string, target: string, mtime: Date): Promise<void> {
    const file = this.fsPath(path);
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.tmp-${randomBytes(4).toString('hex')}`;
    await symlink(target, tmp);
    await rename(tmp, file);
    await this.#touchDirs(path, mtime);
  }

  async remove(path: string): Promise<void> {
    await unlink(this.fsPath(path)).catch(() => undefined);
    this.#etags.delete(Store.normalize(path));
  }

  /** Remove a directory and everything under it (a withdrawn release's files). */
  async removeTree(path: string, mtime: Date): Promise<void> {
    const canonical = Store.normalize(path);
    await rm(this.fsPath(canonical), { recursive: true, force: true });
    for (const key of [...this.#etags.keys()])
      if (key === canonical || key.startsWith(`${canonical}/`)) this.#etags.delete(key);
    await this.#touchDirs(canonical, mtime);
  }

  async read(path: string): Promise<Buffer> {
    return readFile(this.fsPath(path));
  }

  async exists(path: string): Promise<boolean> {
    return lstat(this.fsPath(path)).then(
      () => true,
      () => false,
    );
  }

  /** Resolve a request path (following symlinks, staying inside the root). */
  async resolve(path: string): Promise<Resolved | undefined> {
    let fsPath: string;
    try {
      fsPath = this.fsPath(path);
    } catch {
      return undefined;
    }
    this.#realRoot ??= await realpath(this.root);
    const real = await realpath(fsPath).catch(() => undefined);
    if (!real || (real !== this.#realRoot && !real.startsWith(this.#realRoot + sep)))
      return undefined;
    const stats = await stat(real).catch(() => undefined);
    if (!stats) return undefined;
    const canonical = '/' + relative(this.#realRoot, real).split(sep).join('/');
    return {
      kind: stats.isDirectory() ? 'dir' : 'file',
      canonical: canonical === '/' ? '/' : canonical,
      fsPath: real,
      stats,
    };
  }

  /** The ETag of a file written through this store, else one made from its stats. */
  etag(resolved: Resolved): string {
    return (
      this.#etags.get(resolved.canonical) ??
      `"${resolved.stats.ino.toString(16)}-${resolved.stats.size.toString(16)}-${Math.floor(resolved.stats.mtimeMs).toString(16)}"`
    );
  }

  async list(resolved: Resolved): Promise<DirEntry[]> {
    const names = (await readdir(resolved.fsPath)).filter((n) => !n.includes('.tmp-'));
    const entries = await Promise.all(
      names.map(async (name) => {
        const s = await stat(join(resolved.fsPath, name)).catch(() => undefined);
        return s ? { name, dir: s.isDirectory(), size: s.size, mtime: s.mtime } : undefined;
      }),
    );
    return entries
      .filter((e): e is DirEntry => e !== undefined)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Directories carry the newest (simulated) mtime of what was written into them. */
  async #touchDirs(path: string, mtime: Date): Promise<void> {
    let dir = posix.dirname(Store.normalize(path));
    while (dir !== '/') {
      const when = Math.max(this.#dirTimes.get(dir) ?? 0, mtime.getTime());
      this.#dirTimes.set(dir, when);
      await utimes(this.fsPath(dir), new Date(when), new Date(when)).catch(() => undefined);
      dir = posix.dirname(dir);
    }
  }
}
