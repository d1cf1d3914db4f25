// The digests of an artifact's bytes as the uploader sends them: SHA-512 (to compare with
// Glance's os_hash_value) and, for an uncompressed release, the upstream's own algorithm, so
// the bytes Glance received are proven to be the bytes the upstream signed - even if staging
// changed between the download and the upload. Hashing runs while the socket sends the
// previous chunks, so it overlaps Glance's own work instead of adding to the download.
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { Artifact } from '@imagecycle/contracts';
import { StagingDamaged } from './staged-artifact.ts';

export class ArtifactDigest {
  readonly #artifact: Artifact;
  readonly #sha512 = createHash('sha512');
  readonly #upstream: Hash | undefined;

  constructor(artifact: Artifact) {
    this.#artifact = artifact;
    const upstream = artifact.upstreamChecksum?.algorithm;
    this.#upstream = upstream && upstream !== 'sha512' ? createHash(upstream) : undefined;
  }

  update(chunk: Uint8Array): void {
    this.#sha512.update(chunk);
    this.#upstream?.update(chunk);
  }

  /**
   * The SHA-512 of what was sent, once it matches everything known about the artifact (or,
   * for bytes sent before the marker, the artifact the marker then recorded).
   */
  verify(what: string, artifact: Artifact = this.#artifact): string {
    const sha512 = this.#sha512.digest('hex');
    const { sha512: known, upstreamChecksum } = artifact;
    if (known && known !== sha512)
      throw new StagingDamaged(
        `${what}: the staged file changed since it was verified (sha512 ${sha512.slice(0, 16)}..., verified ${known.slice(0, 16)}...)`,
      );
    if (upstreamChecksum) {
      const sent = upstreamChecksum.algorithm === 'sha512' ? sha512 : this.#upstream?.digest('hex');
      if (sent !== upstreamChecksum.value)
        throw new StagingDamaged(
          `${what}: the staged file changed since it was verified: the bytes sent hash to ${upstreamChecksum.algorithm}:${sent?.slice(0, 16)}..., the upstream says ${upstreamChecksum.value.slice(0, 16)}...`,
        );
    }
    return sha512;
  }

  /** The same check over the staged file (an image already in Glance, nothing sent). */
  static async ofFile(artifact: Artifact, what: string, signal?: AbortSignal): Promise<string> {
    const digest = new ArtifactDigest(artifact);
    try {
      for await (const chunk of createReadStream(artifact.path, {
        highWaterMark: 1 << 20,
        ...(signal ? { signal } : {}),
      }))
        digest.update(chunk as Buffer);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
    return digest.verify(what);
  }
}
