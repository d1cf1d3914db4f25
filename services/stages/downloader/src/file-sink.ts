// Writes a byte stream into a file in batches. Chunks gather while one write is in flight and
// reach the disk in a single writev, instead of one stream write per 64 KiB socket chunk. The
// source is paused while a full batch waits, which bounds memory to two batches. Writes stay
// asynchronous: a slow volume (NFS behind a ReadWriteMany claim) never blocks the event loop
// that renews job locks and answers probes.
//
// The batch size was chosen by measurement against a fs.WriteStream and other sizes (the
// figures are in the README, Performance). Larger batches keep socket chunks alive past a
// scavenge, and old-space buffers are freed late.
import { type FileHandle, lstat, open, unlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/** How many bytes may wait for the disk before the source is paused. */
const BATCH_BYTES = 256 * 1024;

/**
 * Streams `source` onto the end of `path` (or over it, to `restart`), calling `onChunk` for
 * each chunk as it arrives. If the source fails (a cut connection), every byte that arrived is
 * written before the error is passed on, so a resume asks only for the rest.
 */
export function sinkToFile(
  source: Readable,
  path: string,
  {
    restart,
    beforeOpen,
    onChunk,
  }: {
    /**
     * Written from zero: a regular file there is removed and a new one written, never
     * truncated in place (a reader holding the old one open goes on reading the old bytes).
     */
    restart: boolean;
    /** Runs before the file is opened (after the old one is removed). */
    beforeOpen?: () => Promise<void>;
    onChunk: (chunk: Buffer) => void;
  },
): Promise<void> {
  // Listeners go on before anything is awaited, so no chunk or error is missed; chunks that
  // arrive while the file is opening wait like any other batch.
  return new Promise<void>((resolve, reject) => {
    let file: FileHandle | undefined;
    let waiting: Buffer[] = [];
    let waitingBytes = 0;
    let writing = true; // opening counts as the first write
    let ended = false;
    let cut: Error | undefined;
    let failed = false;

    const settle = (error?: Error) => {
      const close = file ? file.close() : Promise.resolve();
      close.then(
        () => (error ? reject(error) : resolve()),
        (closeError: unknown) => reject(error ?? (closeError as Error)),
      );
    };
    const fail = (error: Error) => {
      failed = true;
      source.destroy();
      settle(error);
    };
    const flush = (): void => {
      if (writing || failed) return;
      if (waiting.length === 0) {
        if (cut) settle(cut);
        else if (ended) settle();
        return;
      }
      const batch = waiting;
      const size = waitingBytes;
      waiting = [];
      waitingBytes = 0;
      writing = true;
      (file as FileHandle).writev(batch).then(({ bytesWritten }) => {
        if (bytesWritten !== size)
          return fail(new Error(`${path}: wrote ${bytesWritten} of ${size} bytes (disk full?)`));
        ready();
      }, fail);
    };
    /** The file is free again (opened, or a write done): take the source's next bytes. */
    const ready = () => {
      writing = false;
      if (source.isPaused() && !cut) source.resume();
      flush();
    };

    source.on('data', (chunk: Buffer) => {
      onChunk(chunk);
      waiting.push(chunk);
      waitingBytes += chunk.length;
      if (!writing) flush();
      else if (waitingBytes >= BATCH_BYTES) source.pause();
    });
    source.once('end', () => {
      ended = true;
      flush();
    });
    source.once('error', (error) => {
      cut = error;
      flush();
    });
    const opening = async () => {
      if (restart && (await lstat(path).catch(() => undefined))?.isFile()) await unlink(path);
      await beforeOpen?.();
      return open(path, restart ? 'w' : 'a');
    };
    opening().then((handle) => {
      file = handle;
      ready();
    }, fail);
  });
}
