// parseCatalogue / loadCatalogue: YAML (with source positions) -> variable substitution ->
// zod validation -> cross-series rules -> the resolved Catalogue. Every problem is
// collected and thrown at once as a CatalogueError naming file, line, column, path, rule.
import { readFile } from 'node:fs/promises';
import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import {
  catalogueProperties,
  scsPropertyFindings,
  successorByNameChecked,
  uniquenessKey,
} from '@imagecycle/contracts';
import type { z } from 'zod';
import { CatalogueError, formatPath, type CatalogueIssue } from './errors.ts';
import { PACKAGED_KEYRING_DIR } from './paths.ts';
import { resolveCatalogue } from './resolve.ts';
import { resolveSmokeTest } from './smoke-test.ts';
import { catalogueSchema, type CatalogueOutput } from './schema.ts';
import type { Catalogue } from './types.ts';
import { substituteVars, type Vars } from './vars.ts';

export interface CatalogueOptions {
  /** values for `${NAME}` references (e.g. `process.env`); none by default */
  readonly vars?: Vars;
  /** today, for the rules that depend on a date still ahead (default: the clock) */
  readonly now?: Date;
}

/**
 * Variables every catalogue may use without setting them: `KEYRING_DIR` is the directory of
 * the upstreams' keys shipped with the package unless the environment names another.
 */
export const BUILT_IN_VARS: Readonly<Record<string, string>> = {
  KEYRING_DIR: PACKAGED_KEYRING_DIR,
};

/** The given variables over the built-in ones (an unset or empty variable takes its default). */
function withBuiltIns(vars: Vars): Vars {
  const out: Record<string, string | undefined> = { ...vars };
  for (const [name, value] of Object.entries(BUILT_IN_VARS))
    if (out[name] === undefined || out[name] === '') out[name] = value;
  return out;
}

type Segment = string | number;

interface Located {
  readonly line: number;
  readonly column: number;
}

/** Source positions for paths of one parsed document. */
class Locator {
  readonly #doc: Document;
  readonly #lines: LineCounter;

  constructor(doc: Document, lines: LineCounter) {
    this.#doc = doc;
    this.#lines = lines;
  }

  at(offset: number): Located {
    const { line, col } = this.#lines.linePos(offset);
    return { line, column: col };
  }

  /**
   * Position of the node at `path`; when the path does not exist (a missing key), the
   * key of the deepest existing ancestor. `key` points at a map key instead of its value.
   */
  locate(path: readonly PropertyKey[], key = false): Located {
    let node: unknown = this.#doc.contents;
    let anchor: { range?: readonly number[] | null | undefined } | null = node as YamlNode | null;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i];
      if (isAlias(node)) node = node.resolve(this.#doc);
      if (isMap(node)) {
        const pair = node.items.find(
          (p) => isPair(p) && String(isScalar(p.key) ? p.key.value : p.key) === String(seg),
        );
        if (pair === undefined) break;
        const last = i === path.length - 1;
        anchor =
          last && !key && pair.value !== null ? (pair.value as YamlNode) : (pair.key as YamlNode);
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg] !== undefined) {
        node = node.items[seg];
        anchor = node as YamlNode;
      } else {
        break;
      }
    }
    const offset = anchor?.range?.[0] ?? 0;
    return this.at(offset);
  }
}

function issueAt(
  file: string,
  where: Located,
  path: readonly PropertyKey[],
  message: string,
): CatalogueIssue {
  return { file, line: where.line, column: where.column, path: formatPath(path), message };
}

/** Drops YAML's " at line X, column Y:" tail and the source excerpt from a parser message. */
function yamlMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return first.replace(/ at line \d+, column \d+:?$/, '');
}

function zodMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_key' && issue.issues[0] !== undefined) return issue.issues[0].message;
  if (issue.code === 'unrecognized_keys') {
    return `unknown key${issue.keys.length === 1 ? '' : 's'}: ${issue.keys.join(', ')}`;
  }
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input: expected')) {
    // zod's default "Invalid input: expected string, received number" -> "must be a string, got number"
    const m = /expected (\w+), received (\w+)/.exec(issue.message);
    if (m !== null) {
      return m[2] === 'undefined' ? `required (${m[1]})` : `must be a ${m[1]}, got ${m[2]}`;
    }
  }
  return issue.message;
}

export function parseCatalogue(
  text: string,
  fileName: string,
  options: CatalogueOptions = {},
): Catalogue {
  const vars = withBuiltIns(options.vars ?? {});
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const locator = new Locator(doc, lines);

  if (doc.errors.length > 0) {
    throw new CatalogueError(
      fileName,
      doc.errors.map((e) =>
        issueAt(fileName, locator.at(e.pos[0]), [], `YAML syntax: ${yamlMessage(e.message)}`),
      ),
    );
  }

  const issues: CatalogueIssue[] = [];
  const varPaths = new Set<string>();
  const varPositions = new Set<string>();
  /** the variables each value refers to, by its position (aliases share their anchor's) */
  const varsAt = new Map<string, readonly string[]>();
  visit(doc, {
    Scalar(key, node, path) {
      if (key === 'key' || typeof node.value !== 'string') return;
      const result = substituteVars(node.value, vars);
      if (result.names.length > 0) {
        const at = locator.at(node.range?.[0] ?? 0);
        varsAt.set(`${at.line}:${at.column}`, result.names);
      }
      if (result.errors.length === 0) {
        node.value = result.value;
        return;
      }
      const segments = scalarPath(path, node);
      const where = locator.at(node.range?.[0] ?? 0);
      varPaths.add(formatPath(segments));
      varPositions.add(`${where.line}:${where.column}`);
      for (const message of result.errors) issues.push(issueAt(fileName, where, segments, message));
      node.value = result.value;
    },
  });

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new CatalogueError(fileName, [
      issueAt(
        fileName,
        locator.at(0),
        [],
        `YAML: ${err instanceof Error ? err.message : String(err)}`,
      ),
    ]);
  }

  const parsed = catalogueSchema.safeParse(raw ?? undefined);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const pathText = formatPath(issue.path);
      const onKey = issue.code === 'invalid_key' || issue.code === 'unrecognized_keys';
      let path: PropertyKey[] = issue.path;
      if (issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined)
        path = [...issue.path, issue.keys[0]];
      const where = locator.locate(path, onKey);
      // an undefined variable already explains why the value is wrong (also through aliases)
      if (varPaths.has(pathText) || varPositions.has(`${where.line}:${where.column}`)) continue;
      issues.push(
        issueAt(
          fileName,
          where,
          issue.path,
          raw === null || raw === undefined
            ? 'the catalogue is empty: expected a mapping with `series`'
            : zodMessage(issue),
        ),
      );
    }
  }

  issues.push(...duplicateTitles(raw, fileName, locator));
  if (parsed.success) issues.push(...unpinned(parsed.data, fileName, locator, varsAt));
  if (parsed.success) issues.push(...smokeTestIssues(parsed.data, fileName, locator));

  if (issues.length > 0 || !parsed.success) {
    throw new CatalogueError(fileName, sortIssues(issues));
  }
  const catalogue = resolveCatalogue(parsed.data, fileName);
  const resolvedIssues = [
    ...retentionFloor(catalogue, parsed.data, fileName, locator),
    ...scsMetadata(catalogue, parsed.data, fileName, locator, options.now ?? new Date()),
  ];
  if (resolvedIssues.length > 0) throw new CatalogueError(fileName, sortIssues(resolvedIssues));
  return catalogue;
}

export async function loadCatalogue(
  path: string,
  options: CatalogueOptions = {},
): Promise<Catalogue> {
  const text = await readFile(path, 'utf8');
  return parseCatalogue(text, path, options);
}

/** Where a catalogue's paths are written: `locate(path)` gives the 1-based line and column. */
export function catalogueLocator(text: string): {
  locate(path: readonly PropertyKey[]): { line: number; column: number };
} {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  return new Locator(doc, lines);
}

/**
 * An empty fingerprint is a variable without a default left unset: allowed while the series
 * is switched off (nothing is verified), an error once it is enabled - naming the variable.
 */
function unpinned(
  data: CatalogueOutput,
  file: string,
  locator: Locator,
  varsAt: ReadonlyMap<string, readonly string[]>,
): CatalogueIssue[] {
  // one issue per place in the file (an anchored signature shared by several series)
  const byPlace = new Map<string, { path: Segment[]; where: Located; ids: string[] }>();
  for (const [id, series] of Object.entries(data.series)) {
    if (!series.enabled) continue;
    (series.signature.fingerprints ?? []).forEach((fingerprint, i) => {
      if (fingerprint !== '') return;
      const path = ['series', id, 'signature', 'fingerprints', i];
      const where = locator.locate(path);
      const place = `${where.line}:${where.column}`;
      const seen = byPlace.get(place);
      if (seen) seen.ids.push(id);
      else byPlace.set(place, { path, where, ids: [id] });
    });
  }
  return [...byPlace].map(([place, { path, where, ids }]) => {
    const names = varsAt.get(place) ?? [];
    const set =
      names.length > 0
        ? `set ${names.map((n) => `\${${n}}`).join(', ')} to the signing key's fingerprint`
        : "write the signing key's fingerprint";
    const also = ids.length > 1 ? ` [series ${ids.join(', ')}]` : '';
    return issueAt(
      file,
      where,
      path,
      `no fingerprint pinned while the series is enabled: ${set} (and put its key in the keyring), or switch the series off${also}`,
    );
  });
}

function duplicateTitles(raw: unknown, file: string, locator: Locator): CatalogueIssue[] {
  if (typeof raw !== 'object' || raw === null) return [];
  const series = (raw as { series?: unknown }).series;
  if (typeof series !== 'object' || series === null) return [];
  const seen = new Map<string, string>();
  const issues: CatalogueIssue[] = [];
  for (const [id, value] of Object.entries(series)) {
    const title: unknown =
      typeof value === 'object' && value !== null
        ? (value as { title?: unknown }).title
        : undefined;
    if (typeof title !== 'string') continue;
    const key = title.trim().toLowerCase();
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, id);
      continue;
    }
    const path = ['series', id, 'title'];
    issues.push(
      issueAt(
        file,
        locator.locate(path),
        path,
        `duplicate title "${title}": already used by series ${first} (titles name the public images and must be unique)`,
      ),
    );
  }
  return issues;
}

/** Series whose smoke test lacks a project, a flavor or a console-log pattern for its family. */
function smokeTestIssues(data: CatalogueOutput, file: string, locator: Locator): CatalogueIssue[] {
  return Object.entries(data.series).flatMap(([id, s]) => {
    const properties = { ...data.defaults.properties, ...s.properties };
    const { problem } = resolveSmokeTest(id, data.defaults, properties, s.smokeTest);
    return problem
      ? [issueAt(file, locator.locate(problem.path), problem.path, problem.message)]
      : [];
  });
}

/** `uuid_validity: last-N` promises N valid images: the Latest plus N-1 community ones. */
function retentionFloor(
  catalogue: Catalogue,
  data: CatalogueOutput,
  file: string,
  locator: Locator,
): CatalogueIssue[] {
  const issues: CatalogueIssue[] = [];
  for (const series of catalogue.series) {
    const m = /^last-(\d+)$/.exec(series.properties.uuid_validity ?? '');
    if (m === null) continue;
    const n = Number(m[1]);
    if (series.retention.keepLast >= n - 1) continue;
    const own = data.series[series.id]?.properties.uuid_validity !== undefined;
    const path = own
      ? ['series', series.id, 'properties', 'uuid_validity']
      : ['defaults', 'properties', 'uuid_validity'];
    issues.push(
      issueAt(
        file,
        locator.locate(path),
        path,
        `uuid_validity last-${n} promises the last ${n} images stay valid, but series ${series.id} keeps only ${series.retention.keepLast} community image(s): set retention.keepLast to at least ${n - 1}`,
      ),
    );
  }
  return issues;
}

/**
 * The SCS image metadata (scs-0102 v2) every series would publish: its merged properties
 * checked by the rules in @imagecycle/contracts, each finding placed where the value is
 * written (the series' own property, its endOfLife, or defaults.properties) or, for a missing
 * one, at the series' properties; and os_purpose=generic unique per (architecture, os_distro,
 * os_version) among the series that publish a public image.
 */
function scsMetadata(
  catalogue: Catalogue,
  data: CatalogueOutput,
  file: string,
  locator: Locator,
  now: Date,
): CatalogueIssue[] {
  const issues: CatalogueIssue[] = [];
  const where = (id: string, key: string): PropertyKey[] => {
    const own = data.series[id];
    if (
      key === 'provided_until' &&
      own?.endOfLife !== undefined &&
      own.properties[key] === undefined
    )
      return ['series', id, 'endOfLife'];
    if (own?.properties[key] !== undefined) return ['series', id, 'properties', key];
    if (data.defaults.properties[key] !== undefined) return ['defaults', 'properties', key];
    return ['series', id, 'properties', key];
  };
  const add = (id: string, path: PropertyKey[], message: string) =>
    issues.push(
      issueAt(
        file,
        locator.locate(path),
        path,
        `SCS 0102: ${path[0] === 'defaults' ? `series ${id}: ` : ''}${message}`,
      ),
    );
  const generic = new Map<string, string>();
  for (const series of catalogue.series) {
    const own = data.series[series.id];
    // what reaches the images: the catalogue's properties (the release adds its own)
    const published = catalogueProperties(series.properties);
    for (const finding of scsPropertyFindings(published, 'catalogue')) {
      add(series.id, where(series.id, finding.property), finding.message);
    }
    const ownUntil = own?.properties.provided_until;
    if (series.endOfLife !== undefined && ownUntil !== undefined && ownUntil !== series.endOfLife)
      add(
        series.id,
        ['series', series.id, 'properties', 'provided_until'],
        `provided_until comes from endOfLife (${series.endOfLife}): remove "${ownUntil}" or make them agree`,
      );
    // the default scheme's older names, "<Title> - <YYYY-MM-DD>", lose their last word to
    // "<Title> -", which no image carries: the conformance test's recency check fails on
    // every outdated older image while a dated provided_until is ahead
    if (catalogue.naming === 'default' && successorByNameChecked(published, now))
      add(
        series.id,
        where(series.id, 'provided_until'),
        `with naming default, the SCS conformance test (scs-0102-image-recency) fails on this series' older images once they are outdated (replace_frequency ${published.replace_frequency}) while provided_until ${published.provided_until} is ahead: it looks for their successor under the name without its last word ("${series.title} -"), which no image carries. Use naming: scs ("${series.title} <YYYYMMDD>" -> "${series.title}"), or provided_until notice`,
      );
    if (series.minRam <= 0)
      add(
        series.id,
        ['series', series.id, 'minRam'],
        'min_ram is required: the MiB the image needs to boot',
      );
    if (series.retired || published.os_purpose !== 'generic') continue;
    const key = uniquenessKey(published);
    const first = generic.get(key);
    if (first === undefined) {
      generic.set(key, series.id);
      continue;
    }
    add(
      series.id,
      where(series.id, 'os_purpose'),
      `os_purpose generic must be unique per architecture/os_distro/os_version (${key}), and series ${first} already publishes it: give one of them another os_purpose (minimal, custom, ...)`,
    );
  }
  return issues;
}

function sortIssues(issues: CatalogueIssue[]): CatalogueIssue[] {
  return issues.sort((a, b) => a.line - b.line || a.column - b.column);
}

/** The document path of a scalar reached by `visit` (ancestors: Document, maps, pairs, seqs). */
function scalarPath(ancestors: readonly unknown[], node: unknown): Segment[] {
  const out: Segment[] = [];
  const chain = [...ancestors.slice(1), node];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isPair(parent)) {
      const k = parent.key;
      out.push(String(isScalar(k) ? k.value : k));
    } else if (isSeq(parent)) {
      const index = parent.items.indexOf(child);
      out.push(index);
    }
  }
  return out;
}
