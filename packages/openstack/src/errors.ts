// Typed errors of the OpenStack client. Every message has passed through the redactor
// before it is built, so an error can be logged or shown as it is.

export type ServiceName = 'identity' | 'image' | 'compute' | 'block-storage';

export interface RequestSummary {
  service: ServiceName;
  method: string;
  /** The URL without its query secrets (the client never puts secrets in URLs). */
  url: string;
}

export class OpenStackError extends Error {
  override name = 'OpenStackError';
}

/** The cloud answered with an unexpected HTTP status. */
export class OpenStackHttpError extends OpenStackError {
  override name = 'OpenStackHttpError';
  readonly status: number;
  readonly requestId: string | undefined;
  /** The message the service gave (parsed from its JSON error body), if any. */
  readonly serviceMessage: string | undefined;
  readonly request: RequestSummary;

  constructor(init: {
    status: number;
    requestId: string | undefined;
    serviceMessage: string | undefined;
    request: RequestSummary;
  }) {
    const { status, requestId, serviceMessage, request } = init;
    super(
      `${request.service}: ${request.method} ${request.url} answered ${status}` +
        (serviceMessage ? `: ${serviceMessage}` : '') +
        (requestId ? ` (request id ${requestId})` : ''),
    );
    this.status = status;
    this.requestId = requestId;
    this.serviceMessage = serviceMessage;
    this.request = request;
  }

  get notFound(): boolean {
    return this.status === 404;
  }
  get conflict(): boolean {
    return this.status === 409;
  }
}

/**
 * A service refused the token of a request whose body is streamed (a Readable or a file):
 * 401. The session has dropped that token, so the next request authenticates anew - but the
 * body is not sent again behind its caller's back (a second sending would feed whatever
 * watches the bytes, such as a digest, twice). Retryable: the caller sends the request again
 * from the start, with a fresh body.
 */
export class StreamRefusedError extends OpenStackHttpError {
  override name = 'StreamRefusedError';
  readonly retryable = true;

  constructor(refused: OpenStackHttpError) {
    super({
      status: refused.status,
      requestId: refused.requestId,
      serviceMessage: refused.serviceMessage,
      request: refused.request,
    });
    const { service, method, url } = refused.request;
    this.message =
      `${service}: ${method} ${pathOf(url)} was refused with ${refused.status} (the token was not accepted); ` +
      'the next request takes a new token, but the streamed body was not sent again: send it again from the start' +
      (refused.requestId ? ` (request id ${refused.requestId})` : '');
  }
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url.split('?')[0] ?? url;
  }
}

/** No HTTP answer at all: connection refused or reset, DNS, TLS, a timeout. */
export class OpenStackConnectionError extends OpenStackError {
  override name = 'OpenStackConnectionError';
  readonly code: string | undefined;
  readonly request: RequestSummary;

  constructor(request: RequestSummary, code: string | undefined, detail: string) {
    super(
      `${request.service}: ${request.method} ${request.url} failed: ${code ?? 'error'}: ${detail}`,
    );
    this.code = code;
    this.request = request;
  }
}

/** Configuration could not be resolved (clouds.yaml, OS_* variables). */
export class CloudConfigError extends OpenStackError {
  override name = 'CloudConfigError';
}

/** Keystone refused the credentials, or the catalogue lacks a wanted endpoint. */
export class AuthError extends OpenStackError {
  override name = 'AuthError';
}

/** A wait for a status did not reach the target in time, or reached a failure status. */
export class WaitError extends OpenStackError {
  override name = 'WaitError';
  readonly lastStatus: string | undefined;
  constructor(message: string, lastStatus: string | undefined) {
    super(message);
    this.lastStatus = lastStatus;
  }
}

/** Reads the human message out of the error bodies of Glance, Keystone, Nova and Cinder. */
export function serviceMessageOf(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    const text = body
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    return text ? text.slice(0, 500) : undefined;
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const record = parsed as Record<string, unknown>;
  // Glance: {"message", "code", "title"}; Keystone: {"error": {"message", ...}};
  // Nova / Cinder: {"itemNotFound": {"message", "code"}} (one member named by the fault)
  if (typeof record.message === 'string') return record.message;
  for (const member of Object.values(record)) {
    if (
      member &&
      typeof member === 'object' &&
      typeof (member as Record<string, unknown>).message === 'string'
    ) {
      return (member as Record<string, string>).message;
    }
  }
  return undefined;
}
