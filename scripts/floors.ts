// The floors of the workspace, and the check that keeps every arrow pointing down:
//
//   4 entry        services/cli                the `imagecycle` command
//   3 composition  services/composition        wires a process: settings, run modes, every
//                                              stage's handler, the read models' wiring
//   2 stage        services/stages/*,          the effectful steps, and the HTTP face
//                  services/control-plane
//   1 library      packages/*                  rules, contracts, clients, formats, ...
//
// Production code (a unit's src/ and scripts/) may depend only on units of a lower floor;
// libraries may also depend on other libraries (never in a cycle). A stage never depends on
// another stage: stages hand work to each other through queues. Tests may also use units of
// their own floor and the test workspace (test/), which may use anything. What a unit's
// production code imports must be declared in its package.json `dependencies`, and what is
// declared there must obey the same rules. Relative imports never leave the unit.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const FLOORS = { library: 1, stage: 2, composition: 3, entry: 4 } as const;
export type Floor = keyof typeof FLOORS;

export interface Unit {
  name: string;
  /** Relative to the workspace root, e.g. services/stages/reaper. */
  dir: string;
  floor: Floor | 'test';
  dependencies: string[];
  devDependencies: string[];
}

export interface Violation {
  /** file[:line] relative to the workspace root */
  where: string;
  message: string;
}

/** The floor a unit's folder puts it on. */
export function floorOf(dir: string): Floor | 'test' | undefined {
  if (dir === 'test') return 'test';
  if (/^packages\/[^/]+$/.test(dir)) return 'library';
  if (/^services\/stages\/[^/]+$/.test(dir) || dir === 'services/control-plane') return 'stage';
  if (dir === 'services/composition') return 'composition';
  if (dir === 'services/cli') return 'entry';
  return undefined;
}

const SCOPE = '@imagecycle/';

function subdirs(root: string, dir: string): string[] {
  const full = join(root, dir);
  if (!existsSync(full)) return [];
  return readdirSync(full, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && entry.name !== 'node_modules')
    .map((entry) => `${dir}/${entry.name}`);
}

/** Every workspace unit with a package.json under packages/, services/ and test/. */
export function readUnits(root: string): { units: Unit[]; violations: Violation[] } {
  const units: Unit[] = [];
  const violations: Violation[] = [];
  const dirs = [
    ...subdirs(root, 'packages'),
    ...subdirs(root, 'services'),
    ...subdirs(root, 'services/stages'),
    'test',
  ];
  for (const dir of dirs) {
    const manifest = join(root, dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as {
      name: string;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const floor = floorOf(dir);
    if (!floor) {
      violations.push({
        where: `${dir}/package.json`,
        message: `${pkg.name} is on no floor: put it in packages/, services/stages/, services/composition or services/cli`,
      });
      continue;
    }
    const ours = (deps: Record<string, string> = {}) =>
      Object.keys(deps).filter((name) => name.startsWith(SCOPE));
    units.push({
      name: pkg.name,
      dir,
      floor,
      dependencies: ours(pkg.dependencies),
      devDependencies: ours(pkg.devDependencies),
    });
  }
  return { units, violations };
}

/** Why `from` may not depend on `to` (production code unless `inTest`), or undefined. */
export function arrowRefusal(from: Unit, to: Unit, inTest: boolean): string | undefined {
  if (to.floor === 'test')
    return inTest ? undefined : 'production code never depends on the test workspace';
  if (from.floor === 'test') return undefined;
  const a = FLOORS[from.floor];
  const b = FLOORS[to.floor];
  if (b > a) return `points up: a ${from.floor} (floor ${a}) depends on a ${to.floor} (floor ${b})`;
  if (b === a && !inTest && from.floor !== 'library')
    return `a ${from.floor} depends on another ${to.floor}: ${from.floor === 'stage' ? 'stages hand work over queues' : 'one per floor'}`;
  return undefined;
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s+(?:[^'"]*?\sfrom\s*)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;

function sourceFiles(root: string, dir: string): string[] {
  const full = join(root, dir);
  if (!existsSync(full)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(full, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'fixtures') continue;
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...sourceFiles(root, path));
    else if (/\.(ts|mts|js|mjs)$/.test(entry.name)) out.push(path);
  }
  return out;
}

/** The imports of one file: [specifier, line]. */
export function importsOf(text: string): [string, number][] {
  const found: [string, number][] = [];
  for (const match of text.matchAll(IMPORT)) {
    const specifier = match[1] ?? match[2];
    if (!specifier) continue;
    const line =
      text.slice(0, match.index).split('\n').length + (match[0].startsWith('\n') ? 1 : 0);
    found.push([specifier, line]);
  }
  return found;
}

function packageOf(specifier: string): string | undefined {
  if (!specifier.startsWith(SCOPE)) return undefined;
  return specifier.split('/').slice(0, 2).join('/');
}

/** Every rule above, over the workspace at `root`. */
export function checkFloors(root: string): Violation[] {
  const { units, violations } = readUnits(root);
  const byName = new Map(units.map((unit) => [unit.name, unit]));

  for (const unit of units) {
    const declared = new Set(unit.dependencies);
    for (const [list, inTest] of [
      [unit.dependencies, false],
      [unit.devDependencies, true],
    ] as const) {
      for (const name of list) {
        const to = byName.get(name);
        if (!to) continue;
        const refusal = arrowRefusal(unit, to, inTest);
        if (refusal)
          violations.push({
            where: `${unit.dir}/package.json`,
            message: `${inTest ? 'devDependencies' : 'dependencies'}: ${unit.name} -> ${name}: ${refusal}`,
          });
      }
    }

    // The test workspace may import anything; only the units' own code is read.
    const folders =
      unit.floor === 'test'
        ? []
        : ([
            ['src', false],
            ['scripts', false],
            ['test', true],
          ] as const);
    for (const [folder, inTest] of folders) {
      const base = folder ? `${unit.dir}/${folder}` : unit.dir;
      for (const file of sourceFiles(root, base)) {
        const text = readFileSync(join(root, file), 'utf8');
        for (const [specifier, line] of importsOf(text)) {
          const where = `${file}:${line}`;
          if (specifier.startsWith('.')) {
            const target = relative(
              join(root, unit.dir),
              resolve(dirname(join(root, file)), specifier),
            );
            if (target.startsWith('..'))
              violations.push({
                where,
                message: `"${specifier}" leaves ${unit.dir}: import the unit by its package name`,
              });
            continue;
          }
          const name = packageOf(specifier);
          if (!name || name === unit.name) continue;
          const to = byName.get(name);
          if (!to) {
            violations.push({ where, message: `${name} is no unit of the workspace` });
            continue;
          }
          const refusal = arrowRefusal(unit, to, inTest);
          if (refusal) violations.push({ where, message: `imports ${name}: ${refusal}` });
          else if (!inTest && !declared.has(name))
            violations.push({
              where,
              message: `imports ${name}, which ${unit.dir}/package.json does not list in dependencies`,
            });
        }
      }
    }
  }
  violations.push(...libraryCycles(units));
  return violations;
}

/** Libraries may depend on libraries, but never around a circle. */
function libraryCycles(units: readonly Unit[]): Violation[] {
  const libraries = new Map(
    units.filter((u) => u.floor === 'library').map((u) => [u.name, u] as const),
  );
  const violations: Violation[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = [...path.slice(path.indexOf(name)), name];
      violations.push({
        where: `${libraries.get(name)?.dir ?? name}/package.json`,
        message: `libraries depend on each other in a circle: ${cycle.join(' -> ')}`,
      });
      return;
    }
    state.set(name, 'visiting');
    for (const dep of libraries.get(name)?.dependencies ?? [])
      if (libraries.has(dep)) visit(dep, [...path, name]);
    state.set(name, 'done');
  };
  for (const name of libraries.keys()) visit(name, []);
  return violations;
}
