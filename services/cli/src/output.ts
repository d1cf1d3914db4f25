// How a listing command prints, as the `openstack` CLI lets one choose with -f: a table for
// people, `value` (the rows alone, cells one space apart, no header) for shell loops, and
// JSON or YAML (the same document, the API's shapes) for programs.
import { stringify } from 'yaml';
import type { Value } from './command-line.ts';
import { CliError, EXIT } from './exit-codes.ts';

export const FORMATS = ['table', 'value', 'json', 'yaml'] as const;
export type Format = (typeof FORMATS)[number];

export const formatOption: Value<Format> & { default: string } = {
  kind: 'value',
  value: 'FORMAT',
  short: 'f',
  help: `output format: ${FORMATS.join(', ')}`,
  default: 'table',
  parse: (raw, option) => {
    const found = FORMATS.find((f) => f === raw);
    if (!found)
      throw new CliError(EXIT.usage, `${option}: "${raw}" is not one of ${FORMATS.join(', ')}`);
    return found;
  },
};

/** `--json` is kept as the short way of saying `-f json`. */
export function chosenFormat(options: { format: Format; json: boolean }): Format {
  return options.json ? 'json' : options.format;
}

export interface Listing {
  /** What json and yaml print. */
  document: unknown;
  /** The table's lines, header first. */
  table: () => string[];
  /** One line per row, no header. */
  values: () => string[];
}

/** The lines a listing prints in `format`. */
export function render(format: Format, listing: Listing): string[] {
  switch (format) {
    case 'json':
      return [JSON.stringify(listing.document)];
    case 'yaml':
      return [stringify(listing.document).trimEnd()];
    case 'value':
      return listing.values();
    case 'table':
      return listing.table();
  }
}

/** Cells of a row for `-f value`: one space apart, as `openstack ... -f value` prints them. */
export const valueLine = (cells: readonly string[]): string => cells.join(' ');

/**
 * A line cut to a terminal `columns` wide (the last kept character replaced by `…`), so a
 * redrawn progress line never wraps and breaks the redraw; unknown width: left whole.
 */
export function fitWidth(line: string, columns: number | undefined): string {
  if (!columns || columns < 2 || line.length <= columns) return line;
  return `${line.slice(0, columns - 1)}…`;
}
