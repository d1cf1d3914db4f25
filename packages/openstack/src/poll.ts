// Waiting for a resource to reach a state: poll with a growing interval until it does,
// until it reaches a failure state, or until the deadline - one loop for every service.
import { setTimeout as sleep } from 'node:timers/promises';
import { OpenStackHttpError, WaitError } from './errors.ts';

/** A signal aborted when either is (one of them may be absent). */
export function bothSignals(
  first: AbortSignal | undefined,
  second: AbortSignal | undefined,
): AbortSignal | undefined {
  if (!first) return second;
  if (!second) return first;
  return AbortSignal.any([first, second]);
}

/** Waits `ms`; an abort of `signal` ends the wait at once, throwing the signal's reason. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, signal ? { signal } : undefined);
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw error;
  }
}

export interface PollOptions<T> {
  /** What is waited for, for messages: `image 1234`. */
  what: string;
  probe: () => Promise<T>;
  status: (value: T) => string;
  targets: readonly string[];
  /** A failure status ends the wait at once; `detail` may say why. */
  failed?: (value: T) => boolean;
  detail?: (value: T) => string | undefined;
  timeoutMs: number;
  initialIntervalMs?: number;
  maxIntervalMs?: number;
  /** Ends the wait between probes (the probe's own request carries it too, if it wants). */
  signal?: AbortSignal | undefined;
}

export async function pollUntil<T>(options: PollOptions<T>): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let interval = options.initialIntervalMs ?? 250;
  for (;;) {
    const value = await options.probe();
    const status = options.status(value);
    if (options.targets.includes(status)) return value;
    if (options.failed?.(value)) {
      const detail = options.detail?.(value);
      throw new WaitError(
        `${options.what} went to ${status}${detail ? `: ${detail}` : ''} while waiting for ${options.targets.join('/')}`,
        status,
      );
    }
    if (Date.now() + interval > deadline) {
      throw new WaitError(
        `${options.what} still ${status} after ${Math.round(options.timeoutMs / 1000)} s waiting for ${options.targets.join('/')}`,
        status,
      );
    }
    await pause(interval, options.signal);
    interval = Math.min(options.maxIntervalMs ?? 3000, Math.round(interval * 1.5));
  }
}

/** Polls until `probe` answers 404. */
export async function pollUntilGone(
  what: string,
  probe: () => Promise<unknown>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await probe();
    } catch (error) {
      if (error instanceof OpenStackHttpError && error.status === 404) return;
      throw error;
    }
    if (Date.now() > deadline)
      throw new WaitError(`${what} not gone after ${Math.round(timeoutMs / 1000)} s`, undefined);
    await pause(300, signal);
  }
}

/**
 * Every item of a marker-paged listing (Nova, Cinder): a page is requested with the last id
 * of the previous one; a page without a `next` link (or shorter than the limit) is the last.
 */
export async function* markerPages<T extends { id: string }>(
  fetchPage: (
    marker: string | undefined,
  ) => Promise<{ items: T[]; hasNextLink: boolean | undefined }>,
  limit: number,
): AsyncGenerator<T> {
  let marker: string | undefined;
  for (;;) {
    const page = await fetchPage(marker);
    yield* page.items;
    const last = page.items.at(-1);
    const hasNext = page.hasNextLink ?? page.items.length === limit;
    if (!last || !hasNext) return;
    marker = last.id;
  }
}
