// Small helpers shared by the mirror: UTC days, digests, ordering quirks.
import { createHash } from 'node:crypto';

/** A UTC calendar day, `YYYY-MM-DD`. */
export type Day = string;
export type DayInput = string | Date;

const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

export function toDay(input: DayInput): Day {
  if (input instanceof Date) return input.toISOString().slice(0, 10);
  if (!DAY_RE.test(input) || Number.isNaN(Date.parse(`${input}T00:00:00Z`))) {
    throw new Error(`not a UTC day (YYYY-MM-DD): ${input}`);
  }
  return input;
}

export function today(): Day {
  return toDay(new Date());
}

/** `2026-11-01` -> `20261101` */
export function compactDay(day: Day): string {
  return day.replaceAll('-', '');
}

export function addDays(day: Day, n: number): Day {
  const t = Date.parse(`${day}T00:00:00Z`) + n * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to`. */
export function daysBetween(from: Day, to: Day): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** A moment on that day (UTC). */
export function at(day: Day, hours = 6, minutes = 0, seconds = 0): Date {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d, hours, minutes, seconds));
}

/** `Sun, 01 Nov 2026 06:00:00 +0000` (the style of simplestreams' `updated`). */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

export interface Digests {
  sha256: string;
  sha512: string;
  sha1: string;
  md5: string;
}

export function digests(data: Uint8Array): Digests {
  const h = (algo: string) => createHash(algo).update(data).digest('hex');
  return { sha256: h('sha256'), sha512: h('sha512'), sha1: h('sha1'), md5: h('md5') };
}

export function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Debian's digest annotation: `sha512:` + base64 of the raw digest, `=` padding stripped. */
export function debianDigest(data: Uint8Array): string {
  return `sha512:${createHash('sha512').update(data).digest('base64').replace(/=+$/, '')}`;
}

/**
 * Put an ascending list in an order that is neither ascending nor descending where that
 * is possible: the newest entry lands in the middle (with two entries: newest first). The
 * real feeds are not sorted, and parsers that take the first or last entry must fail.
 */
export function scramble<T>(ascending: readonly T[]): T[] {
  if (ascending.length < 2) return [...ascending];
  const rest = ascending.slice(0, -1);
  const newest = ascending[ascending.length - 1] as T;
  rest.splice(Math.floor(rest.length / 2), 0, newest);
  return rest;
}

/** Compare Ubuntu-style serials: `20240523.1` > `20240523` > `20240522.3`. */
export function compareSerial(a: string, b: string): number {
  const [ad, ar = '0'] = a.split('.');
  const [bd, br = '0'] = b.split('.');
  return Number(ad) - Number(bd) || Number(ar) - Number(br);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
