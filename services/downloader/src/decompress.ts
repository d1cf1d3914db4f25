// Decompression as a stream through the system's own tools (xz, bzip2, gzip): as fast as
// `xz -dc` because it is `xz -dc`. The output is hashed on its way to the disk file.
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

const TOOLS = { xz: ['xz', '-dc', '-T0'], bz2: ['bzip2', '-dc'], gz: ['gzip', '-dc'] } as const;

export interface Decompressed {
  size: number;
  digests: Record<string, string>;
}

export async function decompress(
  compression: keyof typeof TOOLS,
  from: string,
  to: string,
  algorithms: readonly string[],
  onProgress?: (bytes: number) => void,
): Promise<Decompressed> {
  const [command, ...args] = TOOLS[compression];
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
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
  await Promise.all([
    pipeline(createReadStream(from, { highWaterMark: 1 << 20 }), child.stdin),
    pipeline(child.stdout, tap, createWriteStream(to)),
  ]);
  const code = await exited;
  if (code !== 0)
    throw new Error(`${command} -dc failed (exit ${code}): ${stderr.trim().slice(0, 300)}`);
  const digests: Record<string, string> = {};
  algorithms.forEach((algorithm, i) => (digests[algorithm] = hashes[i]?.digest('hex') ?? ''));
  return { size, digests };
}
