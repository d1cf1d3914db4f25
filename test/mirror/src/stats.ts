// Request and byte counters, total and per path, plus a bounded request log, so tests can
// assert what a client asked for and benchmarks can print what was served.
export interface PathStats {
  requests: number;
  /** Body bytes written. */
  bytes: number;
  statuses: Record<number, number>;
}

export interface RequestLogEntry {
  method: string;
  path: string;
  status: number;
  bytes: number;
  range?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifRange?: string;
  /** Faults that acted on this request. */
  faults: string[];
  /** The connection was closed before the body was complete. */
  aborted: boolean;
  ms: number;
}

const LOG_LIMIT = 10_000;

export class RequestCounters {
  total = 0;
  bytes = 0;
  readonly statuses: Record<number, number> = {};
  readonly byPath = new Map<string, PathStats>();
  readonly log: RequestLogEntry[] = [];
  readonly #origin: () => string;

  constructor(origin: () => string) {
    this.#origin = origin;
  }

  /** Counters of one path (or full mirror URL); zeros if never requested. */
  for(pathOrUrl: string): PathStats {
    const path = this.#path(pathOrUrl);
    return this.byPath.get(path) ?? { requests: 0, bytes: 0, statuses: {} };
  }

  /** Totals over every path under a prefix. */
  under(prefix: string): { requests: number; bytes: number } {
    const p = this.#path(prefix);
    let requests = 0;
    let bytes = 0;
    for (const [path, s] of this.byPath) {
      if (!path.startsWith(p)) continue;
      requests += s.requests;
      bytes += s.bytes;
    }
    return { requests, bytes };
  }

  reset(): void {
    this.total = 0;
    this.bytes = 0;
    for (const k of Object.keys(this.statuses)) delete this.statuses[Number(k)];
    this.byPath.clear();
    this.log.length = 0;
  }

  /** A plain-text table (requests, bytes, statuses per path), busiest first. */
  table(limit = 50): string {
    const rows = [...this.byPath]
      .sort((a, b) => b[1].bytes - a[1].bytes || b[1].requests - a[1].requests)
      .slice(0, limit);
    const lines = rows.map(
      ([path, s]) =>
        `${String(s.requests).padStart(6)} ${String(s.bytes).padStart(12)}  ${Object.entries(
          s.statuses,
        )
          .map(([k, v]) => `${k}x${v}`)
          .join(',')
          .padEnd(14)} ${path}`,
    );
    return [
      `${'reqs'.padStart(6)} ${'bytes'.padStart(12)}  ${'statuses'.padEnd(14)} path`,
      ...lines,
      `${String(this.total).padStart(6)} ${String(this.bytes).padStart(12)}  total`,
    ].join('\n');
  }

  /** @internal */
  start(path: string): PathStats {
    this.total++;
    let s = this.byPath.get(path);
    if (!s) this.byPath.set(path, (s = { requests: 0, bytes: 0, statuses: {} }));
    s.requests++;
    return s;
  }

  /** @internal */
  sent(stats: PathStats, n: number): void {
    stats.bytes += n;
    this.bytes += n;
  }

  /** @internal */
  finish(stats: PathStats, entry: RequestLogEntry): void {
    stats.statuses[entry.status] = (stats.statuses[entry.status] ?? 0) + 1;
    this.statuses[entry.status] = (this.statuses[entry.status] ?? 0) + 1;
    this.log.push(entry);
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
  }

  #path(pathOrUrl: string): string {
    if (/^https?:\/\//.test(pathOrUrl)) {
      const url = new URL(pathOrUrl);
      if (url.origin !== new URL(this.#origin()).origin) return pathOrUrl;
      return decodeURIComponent(url.pathname);
    }
    return pathOrUrl;
  }
}
