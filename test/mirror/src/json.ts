// A JSON writer that keeps key order exactly as given. JavaScript objects put integer-like
// keys ("20240523") first and ascending whatever the insertion order, so a feed whose keys
// must stay unsorted (Ubuntu's `versions`) is built with `ordered([...entries])`.
const ORDERED = Symbol('ordered');

export interface Ordered {
  readonly [ORDERED]: ReadonlyArray<readonly [string, Json]>;
}
export type Json =
  | string
  | number
  | boolean
  | null
  | Ordered
  | readonly Json[]
  | { readonly [key: string]: Json | undefined };

export function ordered(entries: ReadonlyArray<readonly [string, Json]>): Ordered {
  return { [ORDERED]: entries };
}

function isOrdered(v: unknown): v is Ordered {
  return typeof v === 'object' && v !== null && ORDERED in v;
}

/** Like `JSON.stringify(value, null, indent)`, honouring `ordered` objects; drops `undefined` members. */
export function stringify(value: Json, indent = 2): string {
  const pad = (depth: number) => ' '.repeat(indent * depth);
  const write = (v: Json, depth: number): string => {
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    if (Array.isArray(v)) {
      const arr = v as readonly Json[];
      if (arr.length === 0) return '[]';
      return `[\n${arr.map((x) => pad(depth + 1) + write(x, depth + 1)).join(',\n')}\n${pad(depth)}]`;
    }
    const entries: ReadonlyArray<readonly [string, Json | undefined]> = isOrdered(v)
      ? v[ORDERED]
      : Object.entries(v as { readonly [key: string]: Json | undefined });
    const kept = entries.filter((e): e is readonly [string, Json] => e[1] !== undefined);
    if (kept.length === 0) return '{}';
    const body = kept.map(
      ([k, x]) => `${pad(depth + 1)}${JSON.stringify(k)}: ${write(x, depth + 1)}`,
    );
    return `{\n${body.join(',\n')}\n${pad(depth)}}`;
  };
  return write(value, 0) + '\n';
}
