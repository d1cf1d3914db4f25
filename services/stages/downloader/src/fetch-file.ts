// Streams a URL into a file, hashing while it streams. A cut connection is resumed with
// HTTP Range from the bytes already on disk (hashed again first, so the digest covers the
// whole file); a server that ignores Range restarts from zero. Retries are bounded.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import got from 'got';
import { sinkToFile } from './file-sink.ts';

export interface FetchedFile {
  size: number;
  digests: Record<string, string>;
  /** Range requests made to resume. */
  resumes: number;
}

export interface FetchFileOptions {
  algorithms: readonly string[];
  onProgress?: (bytes: number, total: number | undefined) => void;
  attempts?: number;
  timeoutMs?: number;
  verifyTls?: boolean;
}

async function hashExisting(path: string, hashes: Hash[]): Promise<number> {
  const size = await stat(path).then(
    (s) => s.size,
    () => 0,
  );
  if (size === 0) return 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }))
    for (const h of hashes) h.update(chunk as Buffer);
  return size;
}

export async function fetchFile(
  url: string,
  path: string,
  options: FetchFileOptions,
): Promise<FetchedFile> {
  const attempts = options.attempts ?? 6;
  let resumes = 0;
  for (let attempt = 1; ; attempt += 1) {
    const hashes = options.algorithms.map((algorithm) => createHash(algorithm));
    let have = await hashExisting(path, hashes);
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
      });
      const response = await new Promise<{
        statusCode: number;
        headers: Record<string, string | string[] | undefined>;
      }>((resolve, reject) => {
        request.once('response', resolve);
        request.once('error', reject);
      });
      if (have > 0 && response.statusCode === 200) {
        // The server ignored Range: start over (the sink truncates the file).
        for (const [i, algorithm] of options.algorithms.entries())
          hashes[i] = createHash(algorithm);
        have = 0;
      } else if (have > 0) {
        resumes += 1;
      }
      const length = Number(response.headers['content-length']);
      const total = Number.isFinite(length) ? have + length : undefined;
      let bytes = have;
      options.onProgress?.(bytes, total); // where this attempt starts (a resume: not at 0)
      await sinkToFile(request, path, {
        restart: have === 0,
        onChunk: (chunk) => {
          for (const h of hashes) h.update(chunk);
          bytes += chunk.length;
          options.onProgress?.(bytes, total);
        },
      });
      if (total !== undefined && bytes !== total) throw new Error(`got ${bytes} of ${total} bytes`);
      const digests: Record<string, string> = {};
      options.algorithms.forEach(
        (algorithm, i) => (digests[algorithm] = hashes[i]?.digest('hex') ?? ''),
      );
      return { size: bytes, digests, resumes };
    } catch (error) {
      const status = (error as { response?: { statusCode?: number } }).response?.statusCode;
      if (status === 404 || status === 403 || status === 410 || attempt >= attempts) {
        throw new Error(
          `${url}: ${(error as Error).message} (after ${attempt} attempt${attempt > 1 ? 's' : ''})`,
        );
      }
      await sleep(Math.min(30_000, 250 * 2 ** attempt));
    }
  }
}
