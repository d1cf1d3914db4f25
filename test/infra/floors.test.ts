// The floors check (scripts/floors.ts) over the real workspace, and over small made-up
// workspaces that break each rule once: a check that never fails would prove nothing.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkFloors, floorOf, importsOf, readUnits } from '../../scripts/floors.ts';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');

type Files = Record<string, string>;

function workspace(files: Files): string {
  const root = mkdtempSync(join(tmpdir(), 'floors-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const manifest = (name: string, dependencies: string[] = [], devDependencies: string[] = []) =>
  JSON.stringify({
    name: `@imagecycle/${name}`,
    dependencies: Object.fromEntries(dependencies.map((d) => [`@imagecycle/${d}`, 'workspace:*'])),
    devDependencies: Object.fromEntries(
      devDependencies.map((d) => [`@imagecycle/${d}`, 'workspace:*']),
    ),
  });

/** A small healthy house: rules <- stage <- composition <- cli. */
const healthy: Files = {
  'packages/rules/package.json': manifest('rules'),
  'packages/rules/src/index.ts': 'export const rule = 1;\n',
  'packages/client/package.json': manifest('client', ['rules']),
  'packages/client/src/index.ts':
    "import { rule } from '@imagecycle/rules';\nexport const c = rule;\n",
  'services/stages/reaper/package.json': manifest('reaper', ['rules', 'client']),
  'services/stages/reaper/src/index.ts':
    "import {\n  rule,\n} from '@imagecycle/rules';\nimport { c } from '@imagecycle/client';\nexport const r = rule + c;\n",
  'services/stages/renamer/package.json': manifest('renamer', ['rules']),
  'services/stages/renamer/src/index.ts': "export { rule } from '@imagecycle/rules';\n",
  'services/composition/package.json': manifest('composition', ['reaper', 'renamer']),
  'services/composition/src/index.ts': "import { r } from '@imagecycle/reaper';\nexport { r };\n",
  'services/cli/package.json': manifest('cli', ['composition']),
  'services/cli/src/main.ts': "await import('@imagecycle/composition');\n",
  'test/package.json': manifest('test', ['cli', 'composition']),
  'test/e2e/x.ts': "import '@imagecycle/composition';\n",
};

const messages = (files: Files) =>
  checkFloors(workspace(files)).map(({ where, message }) => `${where}: ${message}`);

describe('the floors of the workspace', () => {
  it('puts every unit of this repository on a floor, and finds no arrow pointing up', () => {
    const { units, violations } = readUnits(REPO_ROOT);
    expect(violations).toEqual([]);
    const floors = Object.fromEntries(units.map((u) => [u.name, u.floor]));
    expect(floors).toMatchObject({
      '@imagecycle/lifecycle': 'library',
      '@imagecycle/overview': 'library',
      '@imagecycle/renamer': 'stage',
      '@imagecycle/control-plane': 'stage',
      '@imagecycle/composition': 'composition',
      '@imagecycle/cli': 'entry',
    });
    expect(checkFloors(REPO_ROOT)).toEqual([]);
  });

  it('reads imports of every form', () => {
    const text = [
      "import { a } from '@imagecycle/one';",
      'import {',
      '  b,',
      "} from '@imagecycle/two/deep';",
      "export { c } from './local.ts';",
      "const d = await import('@imagecycle/three');",
      "import type { E } from '@imagecycle/four';",
    ].join('\n');
    expect(importsOf(text)).toEqual([
      ['@imagecycle/one', 1],
      ['@imagecycle/two/deep', 2],
      ['./local.ts', 5],
      ['@imagecycle/three', 6],
      ['@imagecycle/four', 7],
    ]);
    expect(floorOf('services/stages/x')).toBe('stage');
    expect(floorOf('services/somewhere')).toBeUndefined();
  });

  it('passes a healthy house', () => {
    expect(messages(healthy)).toEqual([]);
  });

  it('refuses a library that depends on a stage', () => {
    expect(
      messages({
        ...healthy,
        'packages/rules/package.json': manifest('rules', ['reaper']),
        'packages/rules/src/index.ts':
          "import { r } from '@imagecycle/reaper';\nexport const rule = r;\n",
      }),
    ).toEqual(
      expect.arrayContaining([
        'packages/rules/package.json: dependencies: @imagecycle/rules -> @imagecycle/reaper: points up: a library (floor 1) depends on a stage (floor 2)',
        'packages/rules/src/index.ts:1: imports @imagecycle/reaper: points up: a library (floor 1) depends on a stage (floor 2)',
      ]),
    );
  });

  it('refuses a stage that imports another stage, or the composition', () => {
    expect(
      messages({
        ...healthy,
        'services/stages/renamer/src/index.ts':
          "export { rule } from '@imagecycle/rules';\nexport { r } from '@imagecycle/reaper';\nimport '@imagecycle/composition';\n",
      }),
    ).toEqual([
      'services/stages/renamer/src/index.ts:2: imports @imagecycle/reaper: a stage depends on another stage: stages hand work over queues',
      'services/stages/renamer/src/index.ts:3: imports @imagecycle/composition: points up: a stage (floor 2) depends on a composition (floor 3)',
    ]);
  });

  it('refuses an import its package.json does not declare, a relative import out of the unit, and an unknown unit', () => {
    expect(
      messages({
        ...healthy,
        'services/stages/renamer/src/index.ts':
          "export { rule } from '@imagecycle/rules';\nimport { c } from '@imagecycle/client';\nimport '../../reaper/src/index.ts';\nimport '@imagecycle/nowhere';\n",
      }),
    ).toEqual([
      'services/stages/renamer/src/index.ts:2: imports @imagecycle/client, which services/stages/renamer/package.json does not list in dependencies',
      'services/stages/renamer/src/index.ts:3: "../../reaper/src/index.ts" leaves services/stages/renamer: import the unit by its package name',
      'services/stages/renamer/src/index.ts:4: @imagecycle/nowhere is no unit of the workspace',
    ]);
  });

  it('lets tests use their own floor and the test workspace, but not production code', () => {
    const files: Files = {
      ...healthy,
      'services/stages/renamer/package.json': manifest('renamer', ['rules'], ['reaper', 'test']),
      'services/stages/renamer/test/x.test.ts':
        "import '@imagecycle/reaper';\nimport '@imagecycle/test/support';\n",
    };
    expect(messages(files)).toEqual([]);
    expect(
      messages({
        ...files,
        'services/stages/renamer/test/y.test.ts': "import '@imagecycle/composition';\n",
        'services/stages/renamer/src/z.ts': "import '@imagecycle/test/support';\n",
      }),
    ).toEqual([
      'services/stages/renamer/src/z.ts:1: imports @imagecycle/test: production code never depends on the test workspace',
      'services/stages/renamer/test/y.test.ts:1: imports @imagecycle/composition: points up: a stage (floor 2) depends on a composition (floor 3)',
    ]);
  });

  it('refuses libraries that depend on each other in a circle, and a unit on no floor', () => {
    expect(
      messages({
        ...healthy,
        'packages/rules/package.json': manifest('rules', ['client']),
        'services/elsewhere/package.json': manifest('elsewhere'),
      }),
    ).toEqual([
      'services/elsewhere/package.json: @imagecycle/elsewhere is on no floor: put it in packages/, services/stages/, services/composition or services/cli',
      'packages/client/package.json: libraries depend on each other in a circle: @imagecycle/client -> @imagecycle/rules -> @imagecycle/client',
    ]);
  });
});
