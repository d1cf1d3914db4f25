// The soak's random numbers: mulberry32, a 32-bit generator small enough to read in one go.
// One seed gives one sequence on every machine and Node version (no Math.random), which is
// what lets `--replay <seed>` inflict the same faults in the same order again.

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** One element, chosen with the given weights (each > 0). */
  weighted<T>(entries: readonly (readonly [T, number])[]): T;
  /** A generator of its own, derived from this one (so adding draws here does not shift it). */
  fork(label: string): Rng;
}

/** Seeds are unsigned 32-bit integers; anything else is folded into one. */
export function normalizeSeed(seed: number): number {
  if (!Number.isFinite(seed)) throw new Error(`seed must be a finite number, not ${seed}`);
  return Math.trunc(seed) >>> 0;
}

/** FNV-1a of a text: turns a fork's label into 32 bits. */
function hashLabel(label: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function createRng(seed: number): Rng {
  let state = normalizeSeed(seed);
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    int(min, max) {
      if (!Number.isInteger(min) || !Number.isInteger(max) || max < min)
        throw new Error(`int(${min}, ${max}): not an integer range`);
      return min + Math.floor(next() * (max - min + 1));
    },
    chance: (p) => next() < p,
    pick(items) {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
    weighted(entries) {
      const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
      if (!(total > 0)) throw new Error('weighted: no positive weight');
      let point = next() * total;
      for (const [value, weight] of entries) {
        point -= weight;
        if (point < 0) return value;
      }
      return (entries.at(-1) as readonly [(typeof entries)[number][0], number])[0];
    },
    fork: (label) => createRng((normalizeSeed(seed) ^ hashLabel(label)) >>> 0),
  };
  return rng;
}
