// Faults the tests switch on from code, per exact path or path prefix. A rule applies to
// the first `times` requests it matches (default: all), counts its hits, and can be removed.
export type FaultKind =
  | 'corrupt'
  | 'swapChecksum'
  | 'dropSignature'
  | 'forgeSignature'
  | 'delay'
  | 'trickle'
  | 'fail'
  | 'truncate'
  | 'rewrite';

/** An exact mirror path (`/host/path`) or full URL, or `{ prefix }` for a whole subtree. */
export type PathTarget = string | { prefix: string };

export type FaultSpec =
  | { kind: 'corrupt'; offset?: number; length: number }
  | { kind: 'swapChecksum'; file?: string; resign: boolean }
  | { kind: 'dropSignature' }
  | { kind: 'forgeSignature'; mode: 'other-key' | 'other-data' }
  | { kind: 'delay'; ms: number }
  | { kind: 'trickle'; chunkBytes: number; intervalMs: number }
  | { kind: 'fail'; status: number }
  | { kind: 'truncate'; afterBytes?: number; fraction: number }
  | { kind: 'rewrite'; from: string; to: string };

export type Rule<K extends FaultKind = FaultKind> = Extract<FaultSpec, { kind: K }> & {
  id: number;
  exact?: string;
  prefix?: string;
  times: number;
  hits: number;
};

export interface FaultHandle {
  readonly id: number;
  readonly kind: FaultKind;
  /** Requests this rule has acted on so far. */
  readonly hits: number;
  remove(): void;
}

interface Times {
  /** Act on the first N matching requests only (default: every one; `fail`: 1). */
  times?: number;
}

export class Faults {
  #rules: Rule[] = [];
  #next = 1;
  readonly #origin: () => string;

  constructor(origin: () => string) {
    this.#origin = origin;
  }

  /** Flip bytes of the body (XOR 0xff) after the checksums were published: `length` bytes at `offset` (default: the middle). A prefix target only hits artifact (image) files. */
  corrupt(
    target: PathTarget,
    options: { offset?: number; length?: number } & Times = {},
  ): FaultHandle {
    return this.#add(
      target,
      {
        kind: 'corrupt',
        length: options.length ?? 1,
        ...(options.offset === undefined ? {} : { offset: options.offset }),
      },
      options.times,
    );
  }

  /**
   * Serve checksum lists / manifests / feeds with wrong digests for the artifacts (only the
   * digests of `file`, a file name, when given). Signatures over them then fail, unless
   * `resign` re-signs the swapped text with the genuine key (a consistent but wrong list).
   */
  swapChecksum(
    target: PathTarget,
    options: { file?: string; resign?: boolean } & Times = {},
  ): FaultHandle {
    return this.#add(
      target,
      {
        kind: 'swapChecksum',
        resign: options.resign ?? false,
        ...(options.file ? { file: options.file } : {}),
      },
      options.times,
    );
  }

  /** 404 for signature files (target the signature or the file it signs). */
  dropSignature(target: PathTarget, options: Times = {}): FaultHandle {
    return this.#add(target, { kind: 'dropSignature' }, options.times);
  }

  /** Serve a signature made by the forger key (`other-key`, default) or by the genuine key over other data (`other-data`). */
  forgeSignature(
    target: PathTarget,
    options: { mode?: 'other-key' | 'other-data' } & Times = {},
  ): FaultHandle {
    return this.#add(
      target,
      { kind: 'forgeSignature', mode: options.mode ?? 'other-key' },
      options.times,
    );
  }

  /** Wait `ms` before answering. */
  delay(target: PathTarget, ms: number, options: Times = {}): FaultHandle {
    return this.#add(target, { kind: 'delay', ms }, options.times);
  }

  /** Send the body `chunkBytes` at a time, `intervalMs` apart. */
  trickle(
    target: PathTarget,
    options: { chunkBytes?: number; intervalMs?: number } & Times = {},
  ): FaultHandle {
    return this.#add(
      target,
      {
        kind: 'trickle',
        chunkBytes: options.chunkBytes ?? 1024,
        intervalMs: options.intervalMs ?? 20,
      },
      options.times,
    );
  }

  /** Answer `status` (default 503) to the next `times` (default 1) requests, then recover. */
  fail(target: PathTarget, options: { status?: number } & Times = {}): FaultHandle {
    return this.#add(target, { kind: 'fail', status: options.status ?? 503 }, options.times ?? 1);
  }

  /** Promise the full Content-Length, send `afterBytes` (default: `fraction` = half) of the body, then close the connection. */
  truncate(
    target: PathTarget,
    options: { afterBytes?: number; fraction?: number } & Times = {},
  ): FaultHandle {
    return this.#add(
      target,
      {
        kind: 'truncate',
        fraction: options.fraction ?? 0.5,
        ...(options.afterBytes === undefined ? {} : { afterBytes: options.afterBytes }),
      },
      options.times,
    );
  }

  /**
   * Serve a document (a stream, a version.txt, a products .json; never a signature file)
   * with every `from` replaced by `to`: a feed that claims another version, date or URL than
   * what the upstream signed. A signature over the document no longer verifies; a
   * clearsigned twin (.sjson) keeps the genuine text.
   */
  rewrite(target: PathTarget, from: string, to: string, options: Times = {}): FaultHandle {
    if (from === '') throw new Error('rewrite: `from` must not be empty');
    return this.#add(target, { kind: 'rewrite', from, to }, options.times);
  }

  clear(): void {
    this.#rules = [];
  }

  get rules(): readonly Rule[] {
    return this.#rules;
  }

  /**
   * The first live rule of `kind` matching any of `paths` (and `eligible`), counted as a hit.
   */
  take<K extends FaultKind>(
    kind: K,
    paths: readonly string[],
    eligible: (rule: Rule<K>) => boolean = () => true,
  ): Rule<K> | undefined {
    const rule = this.peek(kind, paths, eligible);
    if (rule) rule.hits++;
    return rule;
  }

  /** Like `take`, without counting a hit. */
  peek<K extends FaultKind>(
    kind: K,
    paths: readonly string[],
    eligible: (rule: Rule<K>) => boolean = () => true,
  ): Rule<K> | undefined {
    for (const rule of this.#rules) {
      if (rule.kind !== kind || rule.hits >= rule.times) continue;
      const r = rule as Rule<K>;
      if (
        paths.some((p) =>
          r.exact !== undefined ? p === r.exact : p.startsWith(r.prefix ?? '\0'),
        ) &&
        eligible(r)
      )
        return r;
    }
    return undefined;
  }

  #normalize(path: string): string {
    const origin = this.#origin();
    if (/^https?:\/\//.test(path)) {
      const url = new URL(path);
      if (url.origin !== new URL(origin).origin)
        throw new Error(`fault target ${path} is not on the mirror (${origin})`);
      return decodeURIComponent(url.pathname);
    }
    return path.startsWith('/') ? path : `/${path}`;
  }

  #add(target: PathTarget, spec: FaultSpec, times = Infinity): FaultHandle {
    const where =
      typeof target === 'string'
        ? { exact: this.#normalize(target) }
        : { prefix: this.#normalize(target.prefix) };
    const rule = { ...spec, ...where, id: this.#next++, times, hits: 0 } as Rule;
    this.#rules.push(rule);
    return {
      id: rule.id,
      kind: rule.kind,
      get hits() {
        return rule.hits;
      },
      remove: () => {
        this.#rules = this.#rules.filter((r) => r !== rule);
      },
    };
  }
}
