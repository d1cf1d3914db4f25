// The durable progress of the file being staged (`written.json`, the contract's
// StagingWritten), for an upload that overlaps the download: it may send the bytes this names
// and nothing past them. A tick stats the file, forces it to the disk (fdatasync) and only then
// publishes the size it had before the sync, so every byte named was on the disk first. The
// fact is replaced whole (a temporary file renamed over it); an older fact after a crash only
// says less than is there.
// `epoch` names one incarnation of the file. The downloader never truncates a file in place
// while a fact may name it: it removes it and writes a new one, and a new epoch is published
// before the first byte of the new file - an upload still reading the old one reads the old
// bytes (an open file outlives its name), then sees the new epoch and starts again.
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, readFile, rename, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  type StagingPaths,
  type StagingWritten,
  stagingWrittenSchema,
} from '@imagecycle/contracts';

/** How often the fact follows the growing file. */
const TICK_MS = 200;

export async function readWritten(paths: StagingPaths): Promise<StagingWritten | undefined> {
  const text = await readFile(paths.written, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const parsed = stagingWrittenSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

export class WrittenFact {
  readonly #paths: StagingPaths;
  readonly #onFirst: (() => void) | undefined;
  #fact: StagingWritten | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> = Promise.resolve();
  #handle: { file: string; handle: FileHandle } | undefined;
  #announced = false;

  /** `onFirst`: called once, after the first fact naming a byte is published. */
  constructor(paths: StagingPaths, onFirst?: () => void) {
    this.#paths = paths;
    this.#onFirst = onFirst;
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
    this.#timer = setInterval(() => {
      this.#ticking = this.#ticking.then(() => this.#tick()).catch(() => undefined);
    }, TICK_MS);
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
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
  }

  async #close(): Promise<void> {
    const open = this.#handle;
    this.#handle = undefined;
    await open?.handle.close().catch(() => undefined);
  }

  /** Syncs `file`; returns the size it had before the sync (undefined: not there yet). */
  async #sync(file: string): Promise<number | undefined> {
    if (this.#handle?.file !== file) {
      await this.#close();
      const handle = await open(`${this.#paths.dir}/${file}`, 'r').catch(() => undefined);
      if (!handle) return undefined;
      this.#handle = { file, handle };
    }
    const { handle } = this.#handle;
    const { size } = await handle.stat();
    await handle.datasync();
    return size;
  }

  async #tick(): Promise<void> {
    const fact = this.#fact;
    if (!fact || fact.complete) return;
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
    if (fact.bytes > 0 && !this.#announced) {
      this.#announced = true;
      this.#onFirst?.();
    }
  }
}
