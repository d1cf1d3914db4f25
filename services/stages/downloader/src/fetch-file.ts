// Streams a URL into a file, hashing while it streams. A cut connection is resumed with
// HTTP Range from the bytes already on disk (hashed again first, so the digest covers the
// whole file); a server that ignores Range restarts from zero. A file that is already whole -
// a worker killed after the last byte - is hashed, not fetched again: it has the size the
// feed gave, or the server answers the Range past its end with 416 naming that very length.
// A file longer than the upstream's starts over from zero. Retries are bounded. A cancel (the
// signal aborted) ends the transfer at once, keeping what arrived for the next attempt.
// A 404 or 410 is not an outage: it is thrown at once as `UrlGone` (the upstream took the
// file back), so the caller can judge the release instead of retrying it.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import got from 'got';
import { sinkToFile } from './file-sink.ts';

export interface FetchedFile {
  size: number;
  digests: Record<string, string>;
  /** Range requests made to resume. */
  resumes: number;
  /** Bytes that were on disk before this call and are part of the result (0: all fetched now). */
  reused: number;
}

export interface FetchFileOptions {
  algorithms: readonly string[];
  /** The file's size, when the feed says it: a file of this size on disk is complete. */
  size?: number | undefined;
  onProgress?: (bytes: number, total: number | undefined) => void;
  attempts?: number;
  timeoutMs?: number;
  verifyTls?: boolean;
  /**
   * Cancels the transfer (and any wait before a retry), throwing the signal's reason; the
   * bytes that arrived stay in the file, so the next attempt resumes after them.
   */
  signal?: AbortSignal | undefined;
  /**
   * Told of each resume the server honoured (206 to a Range): where it starts, the whole
   * length when known, and whether the bytes before it were on disk before this call (left
   * by an earlier attempt: a crash or a cancel) rather than cut off during it.
   */
  onResume?: (resume: { from: number; total: number | undefined; earlier: boolean }) => unknown;
  /**
   * Called before bytes are written: `fromZero`, into a new file (one from zero is never the
   * old file truncated: a reader holding it open keeps reading the old bytes), else appended.
   */
  onStart?: ((fromZero: boolean) => Promise<void>) | undefined;
}

/** The server says the URL does not exist (any more): 404 Not Found or 410 Gone. */
export class UrlGone extends Error {
  override name = 'UrlGone';
  readonly url: string;
  readonly status: 404 | 410;
  constructor(url: string, status: 404 | 410, attempt: number) {
    super(
      `${url} answered ${status} ${status === 404 ? 'Not Found' : 'Gone'} (attempt ${attempt})`,
    );
    this.url = url;
    this.status = status;
  }
}

const sizeOf = (path: string) =>
  stat(path).then(
    (s) => s.size,
    () => 0,
  );

async function hashExisting(path: string, hashes: Hash[]): Promise<number> {
  const size = await sizeOf(path);
  if (size === 0) return 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
    for (const h of hashes) h.update(chunk as Buffer);
  return size;
}

/**
 * For a 416 answer (Range Not Satisfiable), the complete length it names
 * (`Content-Range: bytes *\/<length>`, NaN when it names none); undefined for any other.
 */
function unsatisfiedLength(error: unknown): number | undefined {
  const response = (error as { response?: { statusCode?: number; headers?: object } }).response;
  if (response?.statusCode !== 416) return undefined;
  const header = (response.headers as Record<string, unknown> | undefined)?.['content-range'];
  const length = /^bytes \*\/(\d+)$/.exec(typeof header === 'string' ? header.trim() : '')?.[1];
  return length === undefined ? Number.NaN : Number(length);
}

export async function fetchFile(
  url: string,
  path: string,
  options: FetchFileOptions,
): Promise<FetchedFile> {
  const attempts = options.attempts ?? 6;
  const { signal } = options;
  let resumes = 0;
  let reused = await sizeOf(path);
  const digestsOf = (hashes: Hash[]) => {
    const digests: Record<string, string> = {};
    options.algorithms.forEach(
      (algorithm, i) => (digests[algorithm] = hashes[i]?.digest('hex') ?? ''),
    );
    return digests;
  };
  const startOver = async () => {
    await rm(path, { force: true });
    reused = 0;
  };
  if (options.size !== undefined && reused > options.size) await startOver();

  for (let attempt = 1; ; attempt += 1) {
    signal?.throwIfAborted();
    const hashes = options.algorithms.map((algorithm) => createHash(algorithm));
    let have = await hashExisting(path, hashes);
    if (have > 0 && have === options.size) {
      // complete already (killed after the last byte): nothing to ask the server
      options.onProgress?.(have, have);
      return { size: have, digests: digestsOf(hashes), resumes, reused };
    }
    try {
      const request = got.stream(url, {
        headers: have > 0 ? { range: `bytes=${have}-` } : {},
        timeout: {
          connect: 15_000,
          response: options.timeoutMs ?? 60_000,
          read: options.timeoutMs ?? 60_000,
        },
        retry: { limit: 0 },
        https: { rejectUnauthorized: options.verifyTls ?? true },
        decompress: false,
        ...(signal ? { signal } : {}),
      });
      const response = await new Promise<{
        statusCode: number;
        headers: Record<string, string | string[] | undefined>;
      }>((resolve, reject) => {
        request.once('response', resolve);
        request.once('error', reject);
      }).catch((error: unknown) => {
        // A Range past the end: complete when the server's length is what is on disk.
        const length = have > 0 ? unsatisfiedLength(error) : undefined;
        if (length !== undefined && length === have) return 'complete' as const;
        throw error;
      });
      if (response === 'complete') {
        options.onProgress?.(have, have);
        return { size: have, digests: digestsOf(hashes), resumes, reused };
      }
      if (have > 0 && response.statusCode === 200) {
        // The server ignored Range: start over (the sink truncates the file).
        for (const [i, algorithm] of options.algorithms.entries())
          hashes[i] = createHash(algorithm);
        have = 0;
        reused = 0;
      } else if (have > 0) {
        resumes += 1;
      }
      const length = Number(response.headers['content-length']);
      const total = Number.isFinite(length) ? have + length : undefined;
      if (have > 0) await options.onResume?.({ from: have, total, earlier: attempt === 1 });
      let bytes = have;
      options.onProgress?.(bytes, total); // where this attempt starts (a resume: not at 0)
      const { onStart } = options;
      await sinkToFile(request, path, {
        restart: have === 0,
        // followed by an overlapped upload: a start from zero is a new file, announced first
        ...(onStart ? { beforeOpen: () => onStart(have === 0) } : {}),
        onChunk: (chunk) => {
          for (const h of hashes) h.update(chunk);
          bytes += chunk.length;
          options.onProgress?.(bytes, total);
        },
      });
      if (total !== undefined && bytes !== total) throw new Error(`got ${bytes} of ${total} bytes`);
      return { size: bytes, digests: digestsOf(hashes), resumes, reused };
    } catch (error) {
      if (signal?.aborted) throw signal.reason; // cancelled: no retry, the part file stays
      const length = have > 0 ? unsatisfiedLength(error) : undefined;
      if (length !== undefined) {
        // 416 with another length (or none): what is on disk is longer than the upstream's
        // file, or another file altogether. Start over from zero, at once.
        await startOver();
        if (attempt < attempts) continue;
      }
      const status = (error as { response?: { statusCode?: number } }).response?.statusCode;
      if (status === 404 || status === 410) throw new UrlGone(url, status, attempt);
      if (status === 403 || attempt >= attempts) {
        throw new Error(
          `${url}: ${(error as Error).message} (after ${attempt} attempt${attempt > 1 ? 's' : ''})`,
        );
      }
      await sleep(Math.min(30_000, 250 * 2 ** attempt), undefined, { signal }).catch(
        (slept: unknown) => {
          throw signal?.aborted ? signal.reason : slept;
        },
      );
    }
  }
}
