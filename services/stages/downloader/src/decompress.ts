// Decompression as a stream through the system's own tools (xz, bzip2, gzip): as fast as
// `xz -dc` because it is `xz -dc`. The output is hashed on its way to the disk file. When
// only one digest is wanted (SHA-512, for Glance), the bytes never enter Node at all:
// `tool -dc | tee disk | sha512sum` runs as one shell pipeline on every core, and progress
// is read from the growing file. Otherwise Node taps the stream and hashes each algorithm.
// An abort of the signal kills the tools (the whole pipeline) and throws the signal's reason.
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const TOOLS = { xz: ['xz', '-dc'], bz2: ['bzip2', '-dc'], gz: ['gzip', '-dc'] } as const;

export interface Decompressed {
  size: number;
  digests: Record<string, string>;
}

const SUM_TOOLS: Record<string, string> = { sha512: 'sha512sum', sha256: 'sha256sum' };

async function decompressInShell(
  tool: readonly string[],
  from: string,
  to: string,
  algorithm: string,
  onProgress?: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<Decompressed> {
  signal?.throwIfAborted();
  // paths travel as positional parameters, never inside the script text
  const script = 'set -o pipefail; "${@:4}" < "$1" | tee -- "$2" | "$3"';
  const child = spawn(
    'bash',
    ['-c', script, 'decompress', from, to, SUM_TOOLS[algorithm] ?? '', ...tool],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      // its own process group: a cancel stops the whole pipeline, not just the shell
      detached: true,
    },
  );
  const cancel = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  };
  signal?.addEventListener('abort', cancel, { once: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const ticker = onProgress
    ? setInterval(() => {
        stat(to).then(
          (info) => onProgress(info.size),
          () => undefined,
        );
      }, 500)
    : undefined;
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  }).finally(() => {
    clearInterval(ticker);
    signal?.removeEventListener('abort', cancel);
  });
  signal?.throwIfAborted();
  if (code !== 0)
    throw new Error(`${tool[0]} -dc failed (exit ${code}): ${stderr.trim().slice(0, 300)}`);
  const digest = /^([0-9a-f]+)\s/.exec(stdout)?.[1];
  if (!digest)
    throw new Error(`${SUM_TOOLS[algorithm]} printed no digest: ${stdout.slice(0, 100)}`);
  const size = (await stat(to)).size;
  onProgress?.(size);
  return { size, digests: { [algorithm]: digest } };
}

export async function decompress(
  compression: keyof typeof TOOLS,
  from: string,
  to: string,
  algorithms: readonly string[],
  onProgress?: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<Decompressed> {
  const [only, ...more] = algorithms;
  if (only && more.length === 0 && SUM_TOOLS[only])
    return decompressInShell(TOOLS[compression], from, to, only, onProgress, signal);
  try {
    return await decompressInNode(compression, from, to, algorithms, onProgress, signal);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}

async function decompressInNode(
  compression: keyof typeof TOOLS,
  from: string,
  to: string,
  algorithms: readonly string[],
  onProgress?: (bytes: number) => void,
  signal?: AbortSignal,
): Promise<Decompressed> {
  const [command, ...args] = TOOLS[compression];
  // an abort kills the tool and ends both pipelines
  const child = spawn(command, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(signal ? { signal } : {}),
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  // awaited once the streams are done; until then a kill (an abort) must not go unhandled
  exited.catch(() => undefined);
  const hashes = algorithms.map((algorithm) => createHash(algorithm));
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, callback) {
      for (const h of hashes) h.update(chunk);
      size += chunk.length;
      onProgress?.(size);
      callback(null, chunk);
    },
  });
  const options = signal ? { signal } : {};
  await Promise.all([
    pipeline(createReadStream(from, { highWaterMark: 1 << 20 }), child.stdin, options),
    pipeline(child.stdout, tap, createWriteStream(to), options),
  ]);
  const code = await exited;
  if (code !== 0)
    throw new Error(`${command} -dc failed (exit ${code}): ${stderr.trim().slice(0, 300)}`);
  const digests: Record<string, string> = {};
  algorithms.forEach((algorithm, i) => (digests[algorithm] = hashes[i]?.digest('hex') ?? ''));
  return { size, digests };
}
