// Following a disk image while the downloader writes it (an overlapped upload). The
// downloader's `written.json` says how many bytes of which file are on the disk, and under
// which epoch (one incarnation of the file); this sends no byte past it, waits for more, and
// ends the body when the fact says the file is whole. Nothing here makes the bytes
// promotable: that takes the staging marker (the uploader waits for it afterwards) and
// Glance's hash of what it stored.
// The download being started again from zero (a new epoch), rejected (its staging directory
// removed) or silent for too long ends the sending with FollowAbandoned: the caller deletes
// its candidate, and the job's retry starts over from what staging then says.
import { type FileHandle, open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type StagingPaths, type StagingWritten, parseStagingWritten } from '@imagecycle/contracts';

/** The staged file being followed is no longer the one that will be verified, or stalled. */
export class FollowAbandoned extends Error {
  override name = 'FollowAbandoned';
}

const readWritten = async (paths: StagingPaths): Promise<StagingWritten | undefined> =>
  parseStagingWritten(await readFile(paths.written, 'utf8').catch(() => undefined));

const exists = (path: string) =>
  readFile(path).then(
    () => true,
    () => false,
  );

export interface FollowOptions {
  signal?: AbortSignal | undefined;
  /** How often the fact is read again while waiting (default 100 ms). */
  pollMs?: number;
  /** Giving up when the fact has not moved for this long (default 10 minutes). */
  stallMs?: number;
}

export class StagedFollower {
  readonly #paths: StagingPaths;
  readonly #what: string;
  readonly #options: FollowOptions;
  readonly #epoch: string;
  #fact: StagingWritten;
  #movedAt = Date.now();

  private constructor(
    paths: StagingPaths,
    what: string,
    fact: StagingWritten,
    options: FollowOptions,
  ) {
    this.#paths = paths;
    this.#what = what;
    this.#fact = fact;
    this.#epoch = fact.epoch;
    this.#options = options;
  }

  /** A follower of the file `written.json` names now; undefined when there is none. */
  static async of(
    paths: StagingPaths,
    what: string,
    options: FollowOptions = {},
  ): Promise<StagedFollower | undefined> {
    const fact = await readWritten(paths);
    return fact && new StagedFollower(paths, what, fact, options);
  }

  get epoch(): string {
    return this.#epoch;
  }

  /** The bytes the download had durably written when last read. */
  get written(): number {
    return this.#fact.bytes;
  }

  /** The fact read again: still this epoch, or FollowAbandoned. */
  async #refresh(): Promise<StagingWritten> {
    this.#options.signal?.throwIfAborted();
    const fact = await readWritten(this.#paths);
    if (!fact) {
      // the marker may be written and the fact left; only a missing directory is the end
      if (await exists(this.#paths.marker)) return this.#fact;
      throw new FollowAbandoned(
        `${this.#what}: the download stopped being staged (${this.#paths.written} is gone: rejected or removed)`,
      );
    }
    if (fact.epoch !== this.#epoch)
      throw new FollowAbandoned(
        `${this.#what}: the download started its file again from zero (epoch ${fact.epoch.slice(0, 8)}, was ${this.#epoch.slice(0, 8)})`,
      );
    if (
      fact.bytes !== this.#fact.bytes ||
      fact.complete !== this.#fact.complete ||
      fact.file !== this.#fact.file
    )
      this.#movedAt = Date.now();
    this.#fact = fact;
    return fact;
  }

  async #wait(): Promise<void> {
    const stallMs = this.#options.stallMs ?? 10 * 60_000;
    if (Date.now() - this.#movedAt > stallMs)
      throw new FollowAbandoned(
        `${this.#what}: the staged file has not grown for ${Math.round(stallMs / 1000)} s`,
      );
    const { signal } = this.#options;
    await sleep(this.#options.pollMs ?? 100, undefined, signal ? { signal } : {}).catch(() => {
      throw signal?.reason;
    });
  }

  /** Opens the file the fact names (it may be renamed meanwhile: then the fact says so). */
  async open(): Promise<FileHandle> {
    for (;;) {
      const fact = await this.#refresh();
      const handle = await open(join(this.#paths.dir, fact.file), 'r').catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code === 'ENOENT') return undefined;
          throw error;
        },
      );
      if (handle) {
        // opened after the fact was read: make sure it is still the same epoch's file
        await this.#refresh();
        return handle;
      }
      await this.#wait();
    }
  }

  /** For the file body: the next allowance past `position`, or 'end' once the file is whole. */
  async until(position: number): Promise<number | 'end'> {
    for (;;) {
      const fact = await this.#refresh();
      if (fact.bytes > position) return fact.bytes;
      if (fact.complete) {
        if (fact.bytes === position) return 'end';
        throw new FollowAbandoned(
          `${this.#what}: sent ${position} bytes, the staged file is whole at ${fact.bytes}`,
        );
      }
      await this.#wait();
    }
  }

  /** Waits until the marker is there (the download verified), the file still this epoch's. */
  async verified(): Promise<void> {
    this.#movedAt = Date.now();
    for (;;) {
      if (await exists(this.#paths.marker)) {
        await this.#refresh();
        return;
      }
      await this.#refresh();
      await this.#wait();
    }
  }
}
