import { describe, expect, it } from 'vitest';
import { decideRetry, defaultRetryPolicy, parseRetryAfter } from '../src/index.ts';

const base = {
  policy: defaultRetryPolicy,
  random: () => 1,
  now: Date.parse('2026-11-28T12:00:00Z'),
};

describe('decideRetry', () => {
  it('retries 5xx, 429 and connection resets of repeatable requests with growing backoff', () => {
    const delays = [1, 2, 3, 4].map((attempt) => {
      const d = decideRetry({ ...base, attempt, repeatable: true, outcome: { status: 503 } });
      return d.retry ? d.delayMs : -1;
    });
    expect(delays).toEqual([250, 500, 1000, 2000]);
    expect(
      decideRetry({ ...base, attempt: 1, repeatable: true, outcome: { status: 429 } }).retry,
    ).toBe(true);
    expect(
      decideRetry({ ...base, attempt: 1, repeatable: true, outcome: { errorCode: 'ECONNRESET' } })
        .retry,
    ).toBe(true);
  });

  it('jitters the delay below the ceiling', () => {
    const d = decideRetry({
      ...base,
      random: () => 0.5,
      attempt: 3,
      repeatable: true,
      outcome: { status: 502 },
    });
    expect(d).toMatchObject({ retry: true, delayMs: 500 });
  });

  it('stops at the attempt limit, for client errors, and for requests that cannot be repeated', () => {
    expect(
      decideRetry({ ...base, attempt: 5, repeatable: true, outcome: { status: 503 } }),
    ).toMatchObject({
      retry: false,
      reason: 'HTTP 503 after 5 attempts',
    });
    expect(
      decideRetry({ ...base, attempt: 1, repeatable: true, outcome: { status: 409 } }).retry,
    ).toBe(false);
    expect(
      decideRetry({ ...base, attempt: 1, repeatable: true, outcome: { errorCode: 'ENOTFOUND' } })
        .retry,
    ).toBe(false);
    expect(
      decideRetry({ ...base, attempt: 1, repeatable: false, outcome: { status: 503 } }),
    ).toMatchObject({
      retry: false,
      reason: 'HTTP 503, but the request cannot be repeated safely',
    });
  });

  it('honours Retry-After in seconds and as a date, within a cap', () => {
    expect(
      decideRetry({
        ...base,
        attempt: 1,
        repeatable: true,
        outcome: { status: 429, retryAfter: '7' },
      }),
    ).toMatchObject({
      retry: true,
      delayMs: 7000,
    });
    expect(
      decideRetry({
        ...base,
        attempt: 1,
        repeatable: true,
        outcome: { status: 503, retryAfter: 'Sat, 28 Nov 2026 12:00:30 GMT' },
      }),
    ).toMatchObject({ retry: true, delayMs: 30_000 });
    expect(
      decideRetry({
        ...base,
        attempt: 1,
        repeatable: true,
        outcome: { status: 429, retryAfter: '3600' },
      }).retry,
    ).toBe(false);
  });

  it('parses Retry-After forms', () => {
    expect(parseRetryAfter('0', 0)).toBe(0);
    expect(parseRetryAfter('garbage', 0)).toBeUndefined();
    expect(parseRetryAfter('Sat, 28 Nov 2026 11:00:00 GMT', base.now)).toBe(0);
  });
});
