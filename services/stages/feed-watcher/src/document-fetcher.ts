// Fetches feed documents (indexes, checksum lists, manifests, signatures - never images):
// conditional requests from the cache, timeouts, a size cap, a redirect cap, and errors that
// name the series, the URL and what was wrong. A caller's signal cancels a fetch (its reason
// is thrown, not a FetchError: nothing is wrong with the upstream).
import got, { type Got, type RequestError } from 'got';
import { MAX_DOCUMENT_BYTES } from '@imagecycle/feed-formats';
import type { DocumentCache } from './document-cache.ts';

export class FetchError extends Error {
  override name = 'FetchError';
  readonly series: string;
  readonly url: string;
  readonly status: number | undefined;
  constructor(series: string, url: string, what: string, status?: number) {
    super(`series ${series}: ${url}: ${what}`);
    this.series = series;
    this.url = url;
    this.status = status;
  }
}

export interface FetchStats {
  requests: number;
  notModified: number;
  bytes: number;
}

export interface FetcherOptions {
  cache: DocumentCache;
  /** Largest document accepted, in bytes (default: the parsers' one cap, MAX_DOCUMENT_BYTES). */
  maxBytes?: number;
  maxRedirects?: number;
  timeoutMs?: number;
  /** TLS verification stays on unless the operator turns it off. */
  verifyTls?: boolean;
  userAgent?: string;
}

export interface FetchedDocument {
  url: string;
  bytes: Buffer;
  /** True when the cache answered (the upstream said 304). */
  fromCache: boolean;
}

export class DocumentFetcher {
  readonly stats: FetchStats = { requests: 0, notModified: 0, bytes: 0 };
  readonly #got: Got;
  readonly #cache: DocumentCache;
  readonly #maxBytes: number;
  readonly #maxRedirects: number;

  constructor(options: FetcherOptions) {
    this.#cache = options.cache;
    this.#maxBytes = options.maxBytes ?? MAX_DOCUMENT_BYTES;
    this.#maxRedirects = options.maxRedirects ?? 5;
    this.#got = got.extend({
      retry: { limit: 2, methods: ['GET'], statusCodes: [500, 502, 503, 504, 429] },
      timeout: {
        connect: 10_000,
        response: options.timeoutMs ?? 30_000,
        request: (options.timeoutMs ?? 30_000) * 4,
      },
      followRedirect: true,
      maxRedirects: this.#maxRedirects,
      throwHttpErrors: false,
      decompress: true,
      headers: { 'user-agent': options.userAgent ?? 'imagecycle' },
      hooks: {
        // A redirect never takes an https document onto plain http (the series' URL rules
        // are checked before each request; this is the one hop they cannot see).
        beforeRedirect: [
          (next, response) => {
            const to = new URL(String(next.url));
            if (to.protocol !== 'https:' && new URL(response.url).protocol === 'https:')
              throw new Error(`redirected from https to ${to.protocol}//${to.host}: refused`);
          },
        ],
      },
      https: { rejectUnauthorized: options.verifyTls ?? true },
    });
  }

  /** A document, from the upstream or (after a 304) from the cache. 404 is an error. */
  async fetch(series: string, url: string, signal?: AbortSignal): Promise<FetchedDocument> {
    const found = await this.fetchOptional(series, url, signal);
    if (!found) throw new FetchError(series, url, 'not found (404)', 404);
    return found;
  }

  /** Like fetch, but a 404 answers undefined (a signature an upstream may not publish). */
  async fetchOptional(
    series: string,
    url: string,
    signal?: AbortSignal,
  ): Promise<FetchedDocument | undefined> {
    signal?.throwIfAborted();
    const cached = await this.#cache.get(url);
    const headers: Record<string, string> = {};
    if (cached?.etag) headers['if-none-match'] = cached.etag;
    if (cached?.lastModified) headers['if-modified-since'] = cached.lastModified;

    this.stats.requests += 1;
    const abort = new AbortController();
    const request = this.#got(url, {
      headers,
      responseType: 'buffer',
      signal: signal ? AbortSignal.any([abort.signal, signal]) : abort.signal,
    });
    let received = 0;
    void request.on('downloadProgress', (progress: { transferred: number }) => {
      received = progress.transferred;
      if (received > this.#maxBytes) abort.abort();
    });
    let response;
    try {
      response = await request;
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      if (received > this.#maxBytes) {
        throw new FetchError(series, url, `document larger than the ${this.#maxBytes}-byte cap`);
      }
      const e = error as RequestError;
      if (e.code === 'ERR_TOO_MANY_REDIRECTS')
        throw new FetchError(series, url, `more than ${this.#maxRedirects} redirects`);
      throw new FetchError(series, url, `${e.code ?? 'request failed'}: ${e.message}`);
    }
    const status = response.statusCode;
    if (status === 304 && cached) {
      this.stats.notModified += 1;
      return { url, bytes: Buffer.from(cached.body, 'base64'), fromCache: true };
    }
    if (status === 404 || status === 410) return undefined;
    if (status !== 200) throw new FetchError(series, url, `answered HTTP ${status}`, status);
    const body = response.body;
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    if (bytes.length > this.#maxBytes)
      throw new FetchError(series, url, `document larger than the ${this.#maxBytes}-byte cap`);
    const declared = Number(response.headers['content-length']);
    if (
      Number.isFinite(declared) &&
      declared !== bytes.length &&
      !response.headers['content-encoding']
    ) {
      throw new FetchError(series, url, `truncated: ${bytes.length} of ${declared} bytes`);
    }
    this.stats.bytes += bytes.length;
    const etag = response.headers.etag;
    const lastModified = response.headers['last-modified'];
    if (etag || lastModified)
      await this.#cache.set(url, { etag, lastModified, body: bytes.toString('base64') });
    return { url, bytes, fromCache: false };
  }
}
