// The one JSON-patch that takes an image from what Glance has to what is wanted.
// Only differences become operations, so applying a desired state twice sends nothing
// the second time.
import type { GlanceImage, Visibility } from './glance-types.ts';

export interface DesiredImage {
  name?: string;
  visibility?: Visibility;
  os_hidden?: boolean;
  protected?: boolean;
  min_disk?: number;
  min_ram?: number;
  /** Custom properties: a string sets it, null removes it, an absent key is left alone. */
  properties?: Record<string, string | null>;
  /** Tags the image must carry: missing ones are added, none is ever removed. */
  tags?: readonly string[];
}

export type PatchOperation =
  { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/** RFC 6901: `~` and `/` inside a member name. */
const pointer = (member: string): string => `/${member.replace(/~/g, '~0').replace(/\//g, '~1')}`;

export function diffImage(actual: GlanceImage, desired: DesiredImage): PatchOperation[] {
  const ops: PatchOperation[] = [];
  const set = (member: string, value: unknown) => {
    const current = actual[member];
    if (current === value) return;
    ops.push({ op: current === undefined ? 'add' : 'replace', path: pointer(member), value });
  };
  for (const member of [
    'name',
    'visibility',
    'os_hidden',
    'protected',
    'min_disk',
    'min_ram',
  ] as const) {
    if (desired[member] !== undefined) set(member, desired[member]);
  }
  for (const [member, value] of Object.entries(desired.properties ?? {})) {
    if (value === null) {
      if (actual[member] !== undefined) ops.push({ op: 'remove', path: pointer(member) });
    } else {
      set(member, value);
    }
  }
  const have = actual.tags ?? [];
  const missing = (desired.tags ?? []).filter((tag) => !have.includes(tag));
  if (missing.length > 0) ops.push({ op: 'replace', path: '/tags', value: [...have, ...missing] });
  return ops;
}
