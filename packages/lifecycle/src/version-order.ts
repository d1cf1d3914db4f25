// Newest-first ordering of upstream version ids. Versions are split into runs of digits
// and runs of other characters; digit runs compare as numbers, so 20240523.1 > 20240523
// and 9.10 > 9.9. A longer version that extends a shorter one is newer (a respin).
const TOKEN = /\d+|[^\d.\-_]+/g;

export function compareVersions(a: string, b: string): number {
  const left = a.match(TOKEN) ?? [];
  const right = b.match(TOKEN) ?? [];
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const x = left[i];
    const y = right[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    if (xn && yn) {
      const diff = BigInt(x) - BigInt(y);
      if (diff !== 0n) return diff > 0n ? 1 : -1;
    } else if (x !== y) {
      if (xn !== yn) return xn ? 1 : -1;
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

export function newestFirst<T extends { version: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => compareVersions(b.version, a.version));
}
