// What the upstream publishers share: the store, the registry of what was published
// (artifacts, checksum-bearing files, signatures: the fault layer needs all three), the
// keys, and helpers that write a file and register it in one step.
import { craftedDisk, makeQcow2, makeRaw, type Compression, type CraftedDisk } from './images.ts';
import { clearsign, signDetached, type TestKey } from './keys.ts';
import type { Store } from './store.ts';
import type { Artifact, DiskFormat, KeyName, SignatureRef } from './types.ts';
import { debianDigest, digests, sha256 } from './util.ts';
import { createHash } from 'node:crypto';

export interface SignatureEntry {
  /** Canonical path of the signature file. */
  path: string;
  /** Canonical path of what it signs (for clearsigned files: the plain twin with the same text). */
  subject: string;
  kind: SignatureRef['kind'];
  key: KeyName;
}

export class Registry {
  /** Canonical path -> artifact. */
  readonly artifacts = new Map<string, Artifact>();
  /** Canonical paths of files that state digests of artifacts (checksum lists, manifests, feeds). */
  readonly checksumFiles = new Set<string>();
  /** Canonical path of a signature file -> what it signs. */
  readonly signatures = new Map<string, SignatureEntry>();
  /** Every digest string of every artifact, in each spelling a feed uses -> the artifact's name. */
  readonly digests = new Map<string, string>();

  signaturesOf(subject: string): SignatureEntry[] {
    return [...this.signatures.values()].filter((s) => s.subject === subject);
  }
}

export interface ImageSettings {
  /** qcow2 virtual size in bytes. */
  virtualSize: number;
  /** Allocated 64 KiB clusters per qcow2 (bigger files for download benchmarks). */
  dataClusters: number;
  /** Size of raw disks in bytes. */
  rawSize: number;
}

export interface ArtifactMeta {
  format: DiskFormat;
  compression: Compression;
  container?: 'tar';
  /** The disk image inside a compressed file or archive. */
  inner?: Buffer;
  /** The image is a crafted bad one (`PublishOptions.disk`), not a sound `format` disk. */
  crafted?: CraftedDisk;
}

export class PublishContext {
  readonly store: Store;
  readonly registry: Registry;
  readonly keys: Readonly<Record<KeyName, TestKey>>;
  readonly baseUrl: string;
  readonly images: ImageSettings;

  constructor(
    store: Store,
    registry: Registry,
    keys: Readonly<Record<KeyName, TestKey>>,
    baseUrl: string,
    images: ImageSettings,
  ) {
    this.store = store;
    this.registry = registry;
    this.keys = keys;
    this.baseUrl = baseUrl;
    this.images = images;
  }

  url(path: string): string {
    return this.baseUrl + encodeURI(path);
  }

  qcow2(seed: string): Buffer {
    return makeQcow2({
      seed,
      virtualSize: this.images.virtualSize,
      dataClusters: this.images.dataClusters,
    });
  }

  raw(seed: string): Buffer {
    return makeRaw(seed, this.images.rawSize);
  }

  /**
   * A release's own image, declared `format` by its upstream: a sound one, or the crafted
   * bad one a test asked the upstream to publish instead (`PublishOptions.disk`).
   */
  image(seed: string, format: DiskFormat, crafted: CraftedDisk | undefined): Buffer {
    if (!crafted) return format === 'qcow2' ? this.qcow2(seed) : this.raw(seed);
    const bytes = craftedDisk(crafted, seed, this.images);
    this.#crafted.set(bytes, crafted);
    return bytes;
  }

  /** The crafted images `image` made, so that their artifacts say so. */
  readonly #crafted = new WeakMap<Buffer, CraftedDisk>();

  /** Write a disk image (maybe compressed / archived) and register its digests. */
  async artifact(path: string, data: Buffer, meta: ArtifactMeta, mtime: Date): Promise<Artifact> {
    await this.store.write(path, data, mtime);
    const d = digests(data);
    const inner = meta.inner ?? data;
    const innerSha256 = meta.inner ? sha256(inner) : d.sha256;
    const innerSha512 = meta.inner ? createHash('sha512').update(inner).digest('hex') : d.sha512;
    const name = path.slice(path.lastIndexOf('/') + 1);
    const crafted = meta.crafted ?? this.#crafted.get(inner);
    const artifact: Artifact = {
      name,
      path,
      url: this.url(path),
      format: meta.format,
      ...(meta.container ? { container: meta.container } : {}),
      ...(crafted ? { crafted } : {}),
      compression: meta.compression,
      size: data.length,
      ...d,
      uncompressed: { size: inner.length, sha256: innerSha256, sha512: innerSha512 },
      virtualSize: virtualSizeOf(inner),
    };
    this.registry.artifacts.set(path, artifact);
    for (const digest of [
      d.sha256,
      d.sha512,
      d.sha1,
      d.md5,
      debianDigest(data).slice('sha512:'.length),
      innerSha256,
    ]) {
      this.registry.digests.set(digest, name);
    }
    return artifact;
  }

  /** The same artifact seen through an alias (symlink) path. */
  alias(artifact: Artifact, path: string): Artifact {
    return { ...artifact, name: path.slice(path.lastIndexOf('/') + 1), path, url: this.url(path) };
  }

  async text(
    path: string,
    text: string,
    mtime: Date,
    options: { checksums?: boolean } = {},
  ): Promise<void> {
    await this.store.write(path, text, mtime);
    if (options.checksums) this.registry.checksumFiles.add(path);
  }

  /** A detached signature (armored or binary) over the file at `subject`. */
  async detached(
    path: string,
    subject: string,
    key: KeyName,
    armor: boolean,
    mtime: Date,
  ): Promise<SignatureRef> {
    const data = await this.store.read(subject);
    const sig = armor
      ? await signDetached(data, this.keys[key])
      : await signDetached(data, this.keys[key], { armor: false });
    await this.store.write(path, sig, mtime);
    const kind = armor ? 'armored' : 'binary';
    this.registry.signatures.set(path, { path, subject, kind, key });
    return { url: this.url(path), subjectUrl: this.url(subject), kind, key };
  }

  /** A clearsigned twin of the text file at `subject`. */
  async clearsigned(
    path: string,
    subject: string,
    key: KeyName,
    mtime: Date,
  ): Promise<SignatureRef> {
    const text = (await this.store.read(subject)).toString('utf8');
    await this.store.write(path, await clearsign(text, this.keys[key]), mtime);
    if (this.registry.checksumFiles.has(subject)) this.registry.checksumFiles.add(path);
    this.registry.signatures.set(path, { path, subject, kind: 'clearsigned', key });
    return { url: this.url(path), subjectUrl: this.url(subject), kind: 'clearsigned', key };
  }

  link(path: string, target: string, mtime: Date): Promise<void> {
    return this.store.link(path, target, mtime);
  }
}

/** What the bytes themselves say (a crafted image need not be the format it is declared). */
function virtualSizeOf(disk: Buffer): number {
  if (disk.length >= 32 && disk.readUInt32BE(0) === 0x514649fb)
    return Number(disk.readBigUInt64BE(24));
  if (disk.length >= 20 && disk.toString('latin1', 0, 4) === 'KDMV')
    return Number(disk.readBigUInt64LE(12)) * 512;
  return disk.length;
}

/** `<hex> *<file>` (Ubuntu SHA256SUMS: binary-mode marker). */
export function gnuLine(hex: string, file: string, binaryMarker = false): string {
  return binaryMarker ? `${hex} *${file}` : `${hex}  ${file}`;
}

/** `SHA256 (<file>) = <hex>` */
export function bsdLine(file: string, hex: string, algo = 'SHA256'): string {
  return `${algo} (${file}) = ${hex}`;
}
