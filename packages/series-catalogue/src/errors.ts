// CatalogueError: every problem of a catalogue at once, each with file, line, column,
// the path inside the document and the rule it breaks.

export interface CatalogueIssue {
  readonly file: string;
  /** 1-based */
  readonly line: number;
  /** 1-based */
  readonly column: number;
  /** path inside the document, e.g. `series.debian-12.feed.url`; `` for the document itself */
  readonly path: string;
  /** the rule that is broken */
  readonly message: string;
}

export function formatIssue(issue: CatalogueIssue): string {
  const where = `${issue.file}:${issue.line}:${issue.column}`;
  return issue.path === ''
    ? `${where}: ${issue.message}`
    : `${where}: ${issue.path}: ${issue.message}`;
}

export class CatalogueError extends Error {
  override readonly name = 'CatalogueError';
  readonly file: string;
  readonly issues: readonly CatalogueIssue[];

  constructor(file: string, issues: readonly CatalogueIssue[], options?: ErrorOptions) {
    const head = `${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'} in the catalogue`;
    super([head, ...issues.map((i) => `  ${formatIssue(i)}`)].join('\n'), options);
    this.file = file;
    this.issues = issues;
  }
}

/** Path segments as written in messages: `a.b[0].c`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}
