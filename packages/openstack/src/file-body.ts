// Sends a file as a request body through a small fixed pool of buffers. A buffer is
// refilled only after the socket's write callback says the kernel has taken it, so a
// multi-GiB upload allocates nothing per chunk: no garbage waiting for the collector, and
// a flat, small RSS however large the file.
import { type FileHandle, open } from 'node:fs/promises';
import type { Writable } from 'node:stream';

export interface FileBody {
  path: string;
  size: number;
  /**
   * Called each time the file is opened to be sent; what it returns sees every chunk of that
   * sending, in order, before it goes to the socket. A hash of what is sent starts afresh
   * here, so a body sent again is never hashed twice.
   */
  onOpen?: (() => ((chunk: Buffer) => void) | undefined) | undefined;
  /**
   * A file still being written (`size` is then unknown and not used): called whenever every
   * byte allowed so far is sent, it resolves with the new allowance - a position past
   * `position` - once there is one, or with 'end' when the file ends at `position`. Whatever
   * it throws ends the sending (and the request) with that error.
   */
  follow?: ((position: number) => Promise<number | 'end'>) | undefined;
  /** Opens the file instead of `path` (a followed file may change its name while written). */
  open?: (() => Promise<FileHandle>) | undefined;
}

const CHUNK = 256 * 1024;
const POOL = 8;

/** Writes the file into `sink` and ends it; reports bytes the socket has taken. */
export async function pumpFile(
  file: FileBody,
  sink: Writable,
  onProgress: (transferred: number) => void,
): Promise<void> {
  const handle = file.open ? await file.open() : await open(file.path, 'r');
  const watch = file.onOpen?.();
  const free: Buffer[] = Array.from({ length: POOL }, () => Buffer.allocUnsafeSlow(CHUNK));
  const waiting: ((buffer: Buffer) => void)[] = [];
  let failure: Error | undefined;
  let flushed = 0;
  const release = (buffer: Buffer) => {
    const next = waiting.shift();
    if (next) next(buffer);
    else free.push(buffer);
  };
  const take = () =>
    new Promise<Buffer>((resolve) => {
      const buffer = free.pop();
      if (buffer) resolve(buffer);
      else waiting.push(resolve);
    });
  const onError = (error: Error) => {
    failure = error;
    // unblock a pump waiting for a buffer that will never come back
    for (const resolve of waiting.splice(0)) resolve(Buffer.allocUnsafeSlow(0));
  };
  sink.once('error', onError);
  try {
    let position = 0;
    let limit = file.follow ? 0 : file.size;
    while (!failure) {
      if (position >= limit) {
        const next = file.follow ? await file.follow(position) : 'end';
        if (next === 'end') break;
        limit = next;
        continue;
      }
      const buffer = await take();
      if (failure) break;
      const { bytesRead } = await handle.read(
        buffer,
        0,
        Math.min(CHUNK, limit - position),
        position,
      );
      if (bytesRead === 0) {
        release(buffer);
        throw new Error(`${file.path}: ended at ${position} of ${limit} bytes`);
      }
      position += bytesRead;
      watch?.(buffer.subarray(0, bytesRead));
      sink.write(buffer.subarray(0, bytesRead), (error) => {
        if (error) return onError(error);
        flushed += bytesRead;
        onProgress(flushed);
        release(buffer);
      });
    }
    if (failure) throw failure;
    sink.end();
  } finally {
    sink.off('error', onError);
    await handle.close();
  }
}
