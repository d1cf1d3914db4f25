// Reading one path out of a JSON document that carries far more: each step checks only the
// member it reads and names its place in the document when that member is missing or of
// the wrong kind (`architectures.x86_64.artifacts.openstack.formats["qcow2.xz"].disk.sha256`).
// Members the reader never visits are never looked at.
import { FeedError } from './errors.ts';

export type JsonPath = readonly (string | number)[];

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `a.b["c.d"][2]`: dotted where a key is a plain name, bracketed (JSON-quoted) otherwise. */
export function formatJsonPath(path: JsonPath): string {
  if (path.length === 0) return '(root)';
  return path
    .map((step, i) =>
      typeof step === 'number'
        ? `[${step}]`
        : IDENTIFIER.test(step)
          ? `${i ? '.' : ''}${step}`
          : `[${JSON.stringify(step)}]`,
    )
    .join('');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}...` : value;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof value === 'number' || typeof value === 'boolean')
    return `the ${typeof value} ${value}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** One document's reader: every error names the feed, the document and the path. */
export class JsonReader {
  readonly feed: string;
  readonly source: string;

  constructor(feed: string, source: string) {
    this.feed = feed;
    this.source = source;
  }

  fail(path: JsonPath, message: string): never {
    throw new FeedError(this.feed, this.source, message, formatJsonPath(path));
  }

  /** The value at `path` must be a JSON object (not an array, not null). */
  object(value: unknown, path: JsonPath): Record<string, unknown> {
    if (value === undefined) this.fail(path, 'missing');
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      this.fail(path, `expected an object, found ${describe(value)}`);
    return value as Record<string, unknown>;
  }

  array(value: unknown, path: JsonPath): unknown[] {
    if (value === undefined) this.fail(path, 'missing');
    if (!Array.isArray(value)) this.fail(path, `expected an array, found ${describe(value)}`);
    return value;
  }

  /** A required member of an object, itself an object. */
  child(parent: Record<string, unknown>, path: JsonPath, key: string): Record<string, unknown> {
    return this.object(Object.hasOwn(parent, key) ? parent[key] : undefined, [...path, key]);
  }

  /** A string member; `pattern` (with `what` saying what it should be) checks its form. */
  string(
    parent: Record<string, unknown>,
    path: JsonPath,
    key: string,
    check?: { pattern: RegExp; what: string },
  ): string {
    const value = this.optionalString(parent, path, key, check);
    if (value === undefined) this.fail([...path, key], 'missing');
    return value;
  }

  /** As `string`, but an absent member is `undefined` (present and wrong is still an error). */
  optionalString(
    parent: Record<string, unknown>,
    path: JsonPath,
    key: string,
    check?: { pattern: RegExp; what: string },
  ): string | undefined {
    if (!Object.hasOwn(parent, key)) return undefined;
    const value = parent[key];
    const at = [...path, key];
    if (typeof value !== 'string') this.fail(at, `expected a string, found ${describe(value)}`);
    if (value.length === 0) this.fail(at, 'is empty');
    if (check && !check.pattern.test(value))
      this.fail(at, `${describe(value)} is not ${check.what}`);
    return value;
  }

  /** An http(s) URL member. */
  url(parent: Record<string, unknown>, path: JsonPath, key: string): string {
    const value = this.string(parent, path, key);
    this.checkUrl(value, [...path, key]);
    return value;
  }

  optionalUrl(parent: Record<string, unknown>, path: JsonPath, key: string): string | undefined {
    const value = this.optionalString(parent, path, key);
    if (value !== undefined) this.checkUrl(value, [...path, key]);
    return value;
  }

  private checkUrl(value: string, path: JsonPath): void {
    let protocol = '';
    try {
      protocol = new URL(value).protocol;
    } catch {
      this.fail(path, `${describe(value)} is not a URL`);
    }
    if (protocol !== 'https:' && protocol !== 'http:')
      this.fail(path, `${describe(value)} is not an http(s) URL`);
  }
}

export const HEX64 = { pattern: /^[0-9a-fA-F]{64}$/, what: '64 hex digits (a sha256)' };
