// Glance v2: every call this system makes on images.
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { FileBody } from './file-body.ts';
import { OpenStackHttpError } from './errors.ts';
import { bothSignals, pollUntil } from './poll.ts';
import type { GlanceImage, ImageFilters, ImageStatus, NewImage } from './glance-types.ts';
import { type DesiredImage, diffImage, type PatchOperation } from './image-patch.ts';
import type { Session } from './session.ts';
import { parseJson, type Query } from './transport.ts';

export interface UploadOptions {
  /** Bytes in the source, sent as Content-Length; unknown sizes go chunked. */
  size?: number | undefined;
  onProgress?: ((progress: { transferred: number; total: number | undefined }) => void) | undefined;
  /**
   * A file source only: called each time the file is opened to be sent; what it returns sees
   * every chunk of that sending before it goes out (hash what Glance receives, afresh each time).
   */
  onOpen?: (() => ((chunk: Buffer) => void) | undefined) | undefined;
}

/**
 * A stream, or a file (sent through a buffer pool); a file still being written is followed
 * (`follow`, `open`: see FileBody) and sent chunked.
 */
export type UploadSource =
  Readable | { path: string; follow?: FileBody['follow']; open?: FileBody['open'] };

export interface WaitOptions {
  timeoutMs: number;
  /** Statuses that end the wait with an error (e.g. killed). */
  failOn?: readonly ImageStatus[];
  initialIntervalMs?: number;
  maxIntervalMs?: number;
}

export class GlanceClient {
  readonly #session: Session;
  readonly #signal: AbortSignal | undefined;

  /** With a `signal`, every request and wait of this client ends when it is aborted. */
  constructor(session: Session, signal?: AbortSignal) {
    this.#session = session;
    this.#signal = signal;
  }

  /** The same client (same session and token) whose requests and waits `signal` can cancel. */
  withSignal(signal: AbortSignal): GlanceClient {
    return new GlanceClient(this.#session, bothSignals(this.#signal, signal));
  }

  /** Glance's root URL (the catalogue may or may not include /v2). */
  async #root(): Promise<string> {
    return (await this.#session.endpoint('image')).replace(/\/v2(\.\d+)?$/, '');
  }

  async #call(spec: Omit<Parameters<Session['request']>[0], 'service' | 'url'> & { path: string }) {
    const root = await this.#root();
    const { path, ...rest } = spec;
    return this.#session.request({
      ...rest,
      service: 'image',
      url: `${root}${path}`,
      signal: this.#signal,
    });
  }

  /** Every image matching the filters, page by page (follows Glance's `next` links). */
  async *listImages(filters: ImageFilters = {}): AsyncGenerator<GlanceImage> {
    const query: Query = {
      visibility: filters.visibility,
      os_hidden: filters.os_hidden,
      tag: filters.tags,
      owner: filters.owner,
      status: filters.status,
      name: filters.name,
      limit: filters.limit ?? 100,
      sort: filters.sort,
      ...filters.properties,
    };
    let path: string | undefined = '/v2/images';
    let first = true;
    while (path) {
      const reply = await this.#call({
        method: 'GET',
        path,
        query: first ? query : undefined,
        expect: [200],
      });
      first = false;
      const page = parseJson<{ images: GlanceImage[]; next?: string }>(
        reply,
        'image: GET /v2/images',
      );
      yield* page.images;
      path = page.next; // relative, and already carries every filter and the marker
    }
  }

  async listAllImages(filters: ImageFilters = {}): Promise<GlanceImage[]> {
    const images: GlanceImage[] = [];
    for await (const image of this.listImages(filters)) images.push(image);
    return images;
  }

  async getImage(id: string): Promise<GlanceImage> {
    const reply = await this.#call({
      method: 'GET',
      path: `/v2/images/${encodeURIComponent(id)}`,
      expect: [200],
    });
    return parseJson<GlanceImage>(reply, `image: GET /v2/images/${id}`);
  }

  /** The image, or undefined when Glance does not know it (404). */
  async findImage(id: string): Promise<GlanceImage | undefined> {
    try {
      return await this.getImage(id);
    } catch (error) {
      if (error instanceof OpenStackHttpError && error.status === 404) return undefined;
      throw error;
    }
  }

  /**
   * Creates an image record with every property in one request. The image's own fields come
   * last: a custom property of the same name never overrides them.
   */
  async createImage(image: NewImage): Promise<GlanceImage> {
    const { properties, ...fixed } = image;
    const reply = await this.#call({
      method: 'POST',
      path: '/v2/images',
      json: { ...properties, container_format: 'bare', ...fixed },
      expect: [201],
    });
    return parseJson<GlanceImage>(reply, 'image: POST /v2/images');
  }

  /**
   * Streams data into a queued image (PUT /file). Never buffered; never sent twice here: a
   * token refused on the way is a StreamRefusedError, and the caller sends it again. A file
   * path goes through a fixed buffer pool (flat memory); a Readable is piped as it comes.
   */
  async uploadImageData(
    id: string,
    source: UploadSource,
    options: UploadOptions = {},
  ): Promise<void> {
    const fromFile = !('pipe' in source);
    const followed = fromFile && source.follow !== undefined;
    const size = followed
      ? undefined
      : (options.size ?? (fromFile ? (await stat(source.path)).size : undefined));
    await this.#call({
      method: 'PUT',
      path: `/v2/images/${encodeURIComponent(id)}/file`,
      ...(fromFile
        ? {
            file: {
              path: source.path,
              size: size ?? 0,
              onOpen: options.onOpen,
              follow: source.follow,
              open: source.open,
            },
          }
        : { body: source }),
      headers: {
        'content-type': 'application/octet-stream',
        ...(size !== undefined ? { 'content-length': String(size) } : {}),
      },
      expect: [204],
      onUploadProgress: options.onProgress,
      // Glance answers once it has stored and hashed every byte.
      responseTimeoutMs: 30 * 60_000,
    });
  }

  /** Sends one JSON-patch (skipped when there is nothing to change). */
  async patchImage(id: string, ops: readonly PatchOperation[]): Promise<GlanceImage | undefined> {
    if (ops.length === 0) return undefined;
    const reply = await this.#call({
      method: 'PATCH',
      path: `/v2/images/${encodeURIComponent(id)}`,
      json: ops,
      headers: { 'content-type': 'application/openstack-images-v2.1-json-patch' },
      expect: [200],
      // The patch is computed against a known state; sending it twice converges the same way.
      repeatable: true,
    });
    return parseJson<GlanceImage>(reply, `image: PATCH /v2/images/${id}`);
  }

  /** Brings an image to the desired state with at most one PATCH; returns what it sent. */
  async applyImage(
    actual: GlanceImage,
    desired: DesiredImage,
  ): Promise<{ image: GlanceImage; ops: PatchOperation[] }> {
    const ops = diffImage(actual, desired);
    const updated = await this.patchImage(actual.id, ops);
    return { image: updated ?? actual, ops };
  }

  /** No new boots from it; admins can still read it. */
  async deactivateImage(id: string): Promise<void> {
    await this.#call({
      method: 'POST',
      path: `/v2/images/${encodeURIComponent(id)}/actions/deactivate`,
      expect: [204],
      repeatable: true,
    });
  }

  async reactivateImage(id: string): Promise<void> {
    await this.#call({
      method: 'POST',
      path: `/v2/images/${encodeURIComponent(id)}/actions/reactivate`,
      expect: [204],
      repeatable: true,
    });
  }

  /** Deletes an image; an image already gone counts as deleted (returns false). */
  async deleteImage(id: string): Promise<boolean> {
    const reply = await this.#call({
      method: 'DELETE',
      path: `/v2/images/${encodeURIComponent(id)}`,
      expect: [204, 404],
    });
    return reply.status === 204;
  }

  /** Polls until the image reaches one of the target statuses, with backoff. */
  waitForImageStatus(
    id: string,
    targets: readonly ImageStatus[],
    options: WaitOptions,
  ): Promise<GlanceImage> {
    return pollUntil({
      what: `image ${id}`,
      probe: () => this.getImage(id),
      status: (image) => image.status,
      targets,
      failed: (image) => options.failOn?.includes(image.status) ?? false,
      timeoutMs: options.timeoutMs,
      initialIntervalMs: options.initialIntervalMs ?? 200,
      maxIntervalMs: options.maxIntervalMs ?? 5000,
      signal: this.#signal,
    });
  }
}
