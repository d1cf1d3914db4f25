// The durable progress of the file being staged (`written.json`, the contract's
// StagingWritten), for an upload that overlaps the download: it may send the bytes this names
// and nothing past them.
// "Durable" means: on the staging volume's stable storage - the file was fdatasync'ed after
// those bytes were written (its size is read first, then the sync returns, then the fact is
// published), so they survive a crash of the downloader's machine and any other node reading
// the volume sees them. The sync is coarse: a fact is published once at least `syncBytes` more
// are written, or `syncMs` after the last one when fewer are - not per chunk - with the first
// bytes published at once so the upload can start. Each fact is one sync of everything written
// since the last, one journal commit; the upload waits for the next fact at most `syncMs`.
// Why sending durable-but-unverified bytes is safe: nothing here makes them promotable. The
// candidate stays hidden until the downloader's marker says the whole file matched the
// upstream checksum, and Glance's own SHA-512 of the bytes it stored equals the verified
// artifact's; bytes sent that were not those (lost in a crash and written again, or a file
// started anew) fail that comparison, and a new epoch makes the upload abandon them at once.
// The fact is replaced whole (a temporary file renamed over it); an older fact after a crash
// only says less than is there.
// `epoch` names one incarnation of the file. The downloader never truncates a file in place
// while a fact may name it: it removes it and writes a new one, and a new epoch is published
// before the first byte of the new file - an upload still reading the old one reads the old
// bytes (an open file outlives its name), then sees the new epoch and starts again.
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, readFile, rename, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type StagingPaths, type StagingWritten, parseStagingWritten } from '@imagecycle/contracts';

export interface WrittenOptions {
  /** How often the file's size is read (default 50 ms): cheap, no sync. */
  pollMs?: number;
  /** A fact once this many more bytes are written (default 256 MiB)... */
  syncBytes?: number;
  /** ...or once this long has passed since the last fact, when fewer are (default 1 s). */
  syncMs?: number;
}

export const readWritten = async (paths: StagingPaths): Promise<StagingWritten | undefined> =>
  parseStagingWritten(await readFile(paths.written, 'utf8').catch(() => undefined));

export class WrittenFact {
  readonly #paths: StagingPaths;
  readonly #onFirst: (() => void) | undefined;
  #fact: StagingWritten | undefined;
  readonly #pollMs: number;
  readonly #syncBytes: number;
  readonly #syncMs: number;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> = Promise.resolve();
  #following = false;
  #publishedAt = 0;
  #handle: { file: string; handle: FileHandle } | undefined;
  #announced = false;

  /** `onFirst`: called once, after the first fact naming a byte is published. */
  constructor(paths: StagingPaths, onFirst?: () => void, options: WrittenOptions = {}) {
    this.#paths = paths;
    this.#onFirst = onFirst;
    this.#pollMs = options.pollMs ?? 50;
    this.#syncBytes = options.syncBytes ?? 256 * 1024 * 1024;
    this.#syncMs = options.syncMs ?? 1000;
  }

  /**
   * `path` is written from here on (`fromZero`: a new file - a new epoch, published before
   * its first byte; otherwise appended to, keeping the epoch on record when it is this file's).
   */
  async follow(path: string, fromZero: boolean): Promise<void> {
    const file = basename(path) as StagingWritten['file'];
    const previous = this.#fact ?? (await readWritten(this.#paths));
    const keep = !fromZero && previous?.file === file && !previous.complete;
    await this.#stopTicking();
    await this.#close(); // a new file may have taken the name
    await this.#publish({
      file,
      epoch: keep && previous ? previous.epoch : randomBytes(16).toString('hex'),
      bytes: keep && previous ? previous.bytes : 0,
      complete: false,
    });
    this.#following = true;
    this.#schedule();
  }

  /** The next look at the file, `pollMs` after the last one ended (never two at once). */
  #schedule(): void {
    this.#timer = setTimeout(() => {
      this.#ticking = this.#tick()
        .catch(() => undefined)
        .then(() => {
          if (this.#following) this.#schedule();
        });
    }, this.#pollMs);
  }

  /**
   * `path` is whole: `bytes` long, all of it on the disk. Also after a restart that found the
   * file already whole (nothing followed in this process): the epoch on record is kept.
   */
  async complete(path: string, bytes: number): Promise<void> {
    await this.#stopTicking();
    const file = basename(path) as StagingWritten['file'];
    const previous = this.#fact ?? (await readWritten(this.#paths));
    const epoch = previous?.file === file ? previous.epoch : randomBytes(16).toString('hex');
    await this.#sync(file);
    await this.#publish({ file, epoch, bytes, complete: true });
  }

  /** The file was renamed (download.part -> disk.img): same bytes, same epoch. */
  async renamed(to: string): Promise<void> {
    const fact = this.#fact;
    if (fact) await this.#publish({ ...fact, file: basename(to) as StagingWritten['file'] });
  }

  /** Stops following; the fact stays as it is (a cancelled download resumes it). */
  async stop(): Promise<void> {
    await this.#stopTicking();
    await this.#close();
  }

  async #stopTicking(): Promise<void> {
    this.#following = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
  }

  async #close(): Promise<void> {
    const open = this.#handle;
    this.#handle = undefined;
    await open?.handle.close().catch(() => undefined);
  }

  /** Opens `file` (kept open while it is followed); undefined: not there yet. */
  async #open(file: string): Promise<FileHandle | undefined> {
    if (this.#handle?.file !== file) {
      await this.#close();
      const handle = await open(`${this.#paths.dir}/${file}`, 'r').catch(() => undefined);
      if (!handle) return undefined;
      this.#handle = { file, handle };
    }
    return this.#handle.handle;
  }

  /** Syncs `file`; returns the size it had before the sync (undefined: not there yet). */
  async #sync(file: string): Promise<number | undefined> {
    const handle = await this.#open(file);
    if (!handle) return undefined;
    const { size } = await handle.stat();
    await handle.datasync();
    return size;
  }

  async #tick(): Promise<void> {
    const fact = this.#fact;
    if (!fact || fact.complete) return;
    const handle = await this.#open(fact.file);
    if (!handle) return;
    const grown = (await handle.stat()).size - fact.bytes;
    // coarse: the first bytes at once (the upload starts), then a sync per `syncBytes` or `syncMs`
    if (
      grown <= 0 ||
      (fact.bytes > 0 && grown < this.#syncBytes && Date.now() - this.#publishedAt < this.#syncMs)
    )
      return;
    const size = await this.#sync(fact.file);
    // the epoch may have changed while syncing: that size is of another incarnation
    if (size === undefined || this.#fact !== fact || size <= fact.bytes) return;
    await this.#publish({ ...fact, bytes: size });
  }

  async #publish(fact: StagingWritten): Promise<void> {
    const temporary = `${this.#paths.written}.tmp`;
    await writeFile(temporary, JSON.stringify(fact));
    await rename(temporary, this.#paths.written);
    this.#fact = fact;
    this.#publishedAt = Date.now();
    if (fact.bytes > 0 && !this.#announced) {
      this.#announced = true;
      this.#onFirst?.();
    }
  }
}
