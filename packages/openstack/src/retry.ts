// When a request may be sent again, and after how long. Pure: the caller supplies the
// random source and the clock, so the policy is tested without waiting.

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for: the error surfaces instead. */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 250,
  maxDelayMs: 20_000,
  maxRetryAfterMs: 120_000,
};

const RETRYABLE_STATUS = new Set([500, 502, 503, 504, 429]);
const RETRYABLE_ERROR_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ECONNABORTED',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
]);

export type Outcome =
  { status: number; retryAfter?: string | undefined } | { errorCode: string | undefined };

export type RetryDecision =
  { retry: false; reason: string } | { retry: true; delayMs: number; reason: string };

export function decideRetry(input: {
  policy: RetryPolicy;
  /** 1 for the first attempt. */
  attempt: number;
  /** Only requests that may be repeated without harm are retried; a streamed body never is. */
  repeatable: boolean;
  outcome: Outcome;
  random: () => number;
  now: number;
}): RetryDecision {
  const { policy, attempt, repeatable, outcome } = input;
  const cause =
    'status' in outcome ? `HTTP ${outcome.status}` : (outcome.errorCode ?? 'connection error');
  const transient =
    'status' in outcome
      ? RETRYABLE_STATUS.has(outcome.status)
      : outcome.errorCode !== undefined && RETRYABLE_ERROR_CODES.has(outcome.errorCode);
  if (!transient) return { retry: false, reason: `${cause} is not transient` };
  if (!repeatable)
    return { retry: false, reason: `${cause}, but the request cannot be repeated safely` };
  if (attempt >= policy.maxAttempts)
    return { retry: false, reason: `${cause} after ${attempt} attempts` };

  if ('status' in outcome && outcome.retryAfter !== undefined) {
    const waitMs = parseRetryAfter(outcome.retryAfter, input.now);
    if (waitMs !== undefined) {
      if (waitMs > policy.maxRetryAfterMs) {
        return {
          retry: false,
          reason: `${cause} asks to wait ${Math.round(waitMs / 1000)} s, longer than allowed`,
        };
      }
      return { retry: true, delayMs: waitMs, reason: `${cause}, Retry-After` };
    }
  }
  // Exponential backoff with "full jitter": a random delay up to the exponential ceiling.
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return { retry: true, delayMs: Math.round(input.random() * ceiling), reason: cause };
}

/** Retry-After as delay-seconds or an HTTP date; undefined when it is neither. */
export function parseRetryAfter(value: string, now: number): number | undefined {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export function isRepeatableMethod(method: string): boolean {
  return ['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'].includes(method.toUpperCase());
}
