// One HTTP exchange with an OpenStack service: got underneath, JSON by default,
// retries by the policy in retry.ts, typed errors, a debug line per request, and a
// summary of each attempt for whoever observes the transport (see `observe`).
// Knows nothing of tokens: the session adds them.
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import got, { type Got, type Progress, RequestError } from 'got';
import {
  CloudConfigError,
  OpenStackConnectionError,
  OpenStackError,
  OpenStackHttpError,
  type RequestSummary,
  type ServiceName,
  serviceMessageOf,
} from './errors.ts';
import { type Logger, silentLogger } from './logger.ts';
import { type FileBody, pumpFile } from './file-body.ts';
import { pause } from './poll.ts';
import type { Redactor } from './redact.ts';
import {
  decideRetry,
  defaultRetryPolicy,
  isRepeatableMethod,
  type Outcome,
  type RetryPolicy,
} from './retry.ts';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface RequestSpec {
  service: ServiceName;
  method: Method;
  url: string;
  query?: Query | undefined;
  json?: unknown;
  /** A streamed body. It is sent once: never retried here, the caller restarts it. */
  body?: Readable | undefined;
  /** A file sent as the body through a fixed buffer pool (see file-body.ts); never retried either. */
  file?: FileBody | undefined;
  headers?: Record<string, string> | undefined;
  /** Statuses that count as success; anything else becomes an OpenStackHttpError. */
  expect: readonly number[];
  /** Defaults to true for GET/HEAD/PUT/DELETE without a streamed body. */
  repeatable?: boolean | undefined;
  onUploadProgress?:
    ((progress: { transferred: number; total: number | undefined }) => void) | undefined;
  /** Milliseconds to wait for the response once the request is sent. */
  responseTimeoutMs?: number | undefined;
  /** Aborts the request (and any wait before a retry), throwing the signal's reason. */
  signal?: AbortSignal | undefined;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * What an observer learns of one attempt: never a header, a query string or a body, so
 * neither tokens nor passwords can reach it.
 */
export interface RequestInfo {
  service: ServiceName;
  method: Method;
  /** The URL's path (no query string). */
  path: string;
  /** The answer's status; undefined when none came (refused, reset, timed out). */
  status: number | undefined;
  ms: number;
  /** 1 for the first try; retries count up. */
  attempt: number;
}

export type RequestObserver = (info: RequestInfo) => void;

export interface TransportOptions {
  verify?: boolean;
  cacert?: string | undefined;
  /** PEM client certificate presented to the services (may also hold the key). */
  clientCert?: string | undefined;
  /** PEM private key of the client certificate; without it, clientCert must hold the key. */
  clientKey?: string | undefined;
  logger?: Logger;
  redactor: Redactor;
  retry?: Partial<RetryPolicy>;
  userAgent?: string;
  connectTimeoutMs?: number;
  responseTimeoutMs?: number;
  /** For tests of the retry path: replaces the clock's sleep and the jitter source. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<unknown>;
  random?: () => number;
}

export class Transport {
  readonly #got: Got;
  readonly #logger: Logger;
  readonly #redactor: Redactor;
  readonly #policy: RetryPolicy;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<unknown>;
  readonly #random: () => number;
  readonly #responseTimeoutMs: number;
  readonly #observers = new Set<RequestObserver>();

  constructor(options: TransportOptions) {
    this.#logger = options.logger ?? silentLogger;
    this.#redactor = options.redactor;
    this.#policy = { ...defaultRetryPolicy, ...options.retry };
    this.#sleep = options.sleep ?? pause;
    this.#random = options.random ?? Math.random;
    this.#responseTimeoutMs = options.responseTimeoutMs ?? 120_000;
    this.#got = got.extend({
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
      decompress: true,
      headers: {
        accept: 'application/json',
        'user-agent': options.userAgent ?? 'imagecycle',
      },
      timeout: { connect: options.connectTimeoutMs ?? 15_000 },
      https: {
        rejectUnauthorized: options.verify ?? true,
        ...(options.cacert ? { certificateAuthority: readPem(options.cacert, 'cacert') } : {}),
        ...(options.clientCert
          ? {
              certificate: readPem(options.clientCert, 'cert'),
              // A PEM file may hold the certificate and its key; TLS finds the key block in it.
              key: readPem(
                options.clientKey ?? options.clientCert,
                options.clientKey ? 'key' : 'cert',
              ),
            }
          : {}),
      },
    });
  }

  get redactor(): Redactor {
    return this.#redactor;
  }

  /** Calls `observer` after every attempt, answered or not; returns the way to stop. */
  observe(observer: RequestObserver): () => void {
    const own = (info: RequestInfo) => observer(info);
    this.#observers.add(own);
    return () => this.#observers.delete(own);
  }

  #notify(info: RequestInfo): void {
    for (const observer of this.#observers) {
      try {
        observer(info);
      } catch (error) {
        // An observer's fault must not fail the request it watched.
        this.#logger.warn(
          { error: this.#redactor.text(error instanceof Error ? error.message : String(error)) },
          'openstack request observer failed',
        );
      }
    }
  }

  async request(spec: RequestSpec): Promise<Reply> {
    const summary: RequestSummary = {
      service: spec.service,
      method: spec.method,
      url: this.#redactor.text(spec.url),
    };
    const path = this.#redactor.text(pathOf(spec.url));
    const streamed = spec.body !== undefined || spec.file !== undefined;
    const repeatable = !streamed && (spec.repeatable ?? isRepeatableMethod(spec.method));
    for (let attempt = 1; ; attempt += 1) {
      spec.signal?.throwIfAborted();
      const started = performance.now();
      let outcome: Outcome;
      let failure: Error;
      try {
        const reply = await this.#send(spec);
        const requestId = requestIdOf(reply.headers);
        const ms = Math.round(performance.now() - started);
        this.#logger.debug(
          { ...summary, status: reply.status, ms, requestId, attempt },
          'openstack request',
        );
        this.#notify({
          service: spec.service,
          method: spec.method,
          path,
          status: reply.status,
          ms,
          attempt,
        });
        if (spec.expect.includes(reply.status)) return reply;
        failure = new OpenStackHttpError({
          status: reply.status,
          requestId,
          serviceMessage: this.#redactor.text(serviceMessageOf(reply.body) ?? '') || undefined,
          request: summary,
        });
        outcome = { status: reply.status, retryAfter: headerOf(reply.headers, 'retry-after') };
      } catch (error) {
        // Cancelled by its caller: neither a fault of the service nor worth a retry.
        if (spec.signal?.aborted) throw spec.signal.reason;
        if (!(error instanceof RequestError)) throw error;
        this.#notify({
          service: spec.service,
          method: spec.method,
          path,
          status: undefined,
          ms: Math.round(performance.now() - started),
          attempt,
        });
        const detail = this.#redactor.text(error.message);
        failure = new OpenStackConnectionError(summary, error.code, detail);
        outcome = { errorCode: error.code };
      }
      const decision = decideRetry({
        policy: this.#policy,
        attempt,
        repeatable,
        outcome,
        random: this.#random,
        now: Date.now(),
      });
      if (!decision.retry) throw failure;
      this.#logger.warn(
        { ...summary, attempt, delayMs: decision.delayMs, reason: decision.reason },
        'openstack request retried',
      );
      await this.#sleep(decision.delayMs, spec.signal);
      spec.signal?.throwIfAborted();
    }
  }

  async #send(spec: RequestSpec): Promise<Reply> {
    const searchParams = toSearchParams(spec.query);
    const responseTimeout = spec.responseTimeoutMs ?? this.#responseTimeoutMs;
    if (spec.file) return this.#sendFile(spec, spec.file, searchParams, responseTimeout);
    const pending = this.#got(spec.url, {
      method: spec.method,
      ...(searchParams ? { searchParams } : {}),
      ...(spec.json !== undefined ? { json: spec.json } : {}),
      ...(spec.body !== undefined ? { body: spec.body } : {}),
      headers: spec.headers ?? {},
      // A streamed upload may take long to send; the clock runs once it is sent.
      timeout: { response: responseTimeout },
      responseType: 'text',
      ...(spec.signal ? { signal: spec.signal } : {}),
    });
    if (spec.onUploadProgress) {
      const report = spec.onUploadProgress;
      void pending.on('uploadProgress', (progress: Progress) =>
        report({ transferred: progress.transferred, total: progress.total }),
      );
    }
    const response = await pending;
    return { status: response.statusCode, headers: response.headers, body: response.body };
  }

  async #sendFile(
    spec: RequestSpec,
    file: FileBody,
    searchParams: URLSearchParams | undefined,
    responseTimeout: number,
  ): Promise<Reply> {
    const stream = this.#got.stream(spec.url, {
      method: spec.method,
      ...(searchParams ? { searchParams } : {}),
      // a followed file's length is known only at its end: sent chunked
      headers: file.follow
        ? spec.headers
        : { ...spec.headers, 'content-length': String(file.size) },
      timeout: { response: responseTimeout },
      ...(spec.signal ? { signal: spec.signal } : {}),
    });
    const answered = new Promise<{ statusCode: number; headers: Reply['headers'] }>(
      (resolve, reject) => {
        stream.once('response', resolve);
        stream.once('error', reject);
      },
    );
    const report = spec.onUploadProgress;
    const total = file.follow ? undefined : file.size;
    const [response] = await Promise.all([
      answered,
      pumpFile(file, stream, (transferred) => report?.({ transferred, total })).catch(
        (error: unknown) => {
          // the body cannot go on: end the request rather than leave it open, unfinished
          stream.destroy(error as Error);
          throw error;
        },
      ),
    ]);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return {
      status: response.statusCode,
      headers: response.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
  }
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.split('?')[0] ?? '';
  }
}

function toSearchParams(query: Query | undefined): URLSearchParams | undefined {
  if (!query) return undefined;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const values: readonly (string | number | boolean)[] =
      typeof value === 'object' ? value : [value];
    for (const item of values) params.append(key, String(item));
  }
  return params;
}

export function headerOf(headers: Reply['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Glance and Keystone say x-openstack-request-id; Nova says x-compute-request-id too. */
export function requestIdOf(headers: Reply['headers']): string | undefined {
  return headerOf(headers, 'x-openstack-request-id') ?? headerOf(headers, 'x-compute-request-id');
}

export function parseJson<T>(reply: Reply, summary: string): T {
  try {
    return JSON.parse(reply.body) as T;
  } catch {
    throw new OpenStackError(`${summary}: answered ${reply.status} with a body that is not JSON`);
  }
}

/** A PEM file the TLS settings name; a missing one is named (never its contents). */
function readPem(file: string, setting: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new CloudConfigError(`${setting}: ${file} cannot be read (${code})`);
  }
}
